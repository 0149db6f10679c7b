//! What both targets share: the shipped pipeline configuration, loaded once,
//! and one run of `cme::ingest::check_extract` over the fuzzer's bytes
//! written to a file with the extension that picks the reader.

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::NaiveDate;
use cme::config::PipelineConfig;
use cme::ingest::{IngestOptions, check_extract};

/// pipelines/cme.toml, as shipped (it includes pipelines/shared/*.toml by a
/// path relative to itself), with a fixed inline pseudonym key and a key
/// variable that is never set, so the environment cannot change a run.
fn config() -> &'static PipelineConfig {
    static CONFIG: OnceLock<PipelineConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../pipelines/cme.toml");
        let mut config = PipelineConfig::load(std::path::Path::new(path))
            .unwrap_or_else(|e| panic!("fuzz setup: cannot load {path}: {e}"));
        config.pseudonym.key = Some("fuzz-key-0123456789abcdef".into());
        config.pseudonym.key_env = "CME_FUZZ_NO_SUCH_VAR".into();
        // `format = "auto"`: the file's extension chooses CSV or xlsx.
        assert_eq!(
            config.source.format, "auto",
            "fuzz setup: the targets rely on format = \"auto\" in pipelines/cme.toml"
        );
        config
    })
}

/// One input file per process (libFuzzer's -jobs/-workers run separate
/// processes), in the system temp directory, named `extract.<extension>`.
fn input_path(extension: &str) -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cme-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("fuzz setup: cannot create {}: {e}", dir.display()));
        dir
    });
    // Leaked once per extension: a process only ever uses one.
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| dir.join(format!("extract.{extension}")))
}

/// Replaces libfuzzer-sys's panic hook (which aborts on every panic, even
/// one that is caught) with one that aborts on every panic except those
/// raised inside calamine: `cme::ingest::excel` catches those on purpose
/// and reports the workbook as bad input (calamine overflows on some
/// malformed cell references; docs/fuzzing.md, Runs). A panic anywhere else
/// still aborts at once, with its stack, and libFuzzer keeps the input.
pub fn init() {
    let aborting = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_calamine = info
            .location()
            .is_some_and(|l| l.file().contains("/calamine-"));
        if !in_calamine {
            aborting(info);
        }
    }));
}

/// Writes `data` as `extract.<extension>`, checks it, deletes it.
///
/// Any result but `Error::Internal` is fine (an unusable file is an
/// `Error::Input`); an `Internal` error, a panic inside `cme`, or a report that
/// does not add up is a bug and aborts the run so libFuzzer keeps the input.
pub fn check(data: &[u8], extension: &str) {
    let path = input_path(extension);
    std::fs::write(path, data)
        .unwrap_or_else(|e| panic!("fuzz setup: cannot write {}: {e}", path.display()));
    let options = IngestOptions {
        input: path.clone(),
        extract_date: Some(NaiveDate::from_ymd_opt(2018, 7, 2).expect("valid date")),
    };
    let result = check_extract(config(), &options);
    let _ = std::fs::remove_file(path);
    match result {
        Ok(report) => {
            assert!(
                report.reconciles(),
                "rows do not reconcile: {} read, {} staged, {} quarantined, {} exact duplicates",
                report.rows_read,
                report.rows_staged,
                report.rows_quarantined,
                report.exact_duplicates
            );
            assert_eq!(report.bytes, data.len() as u64, "report.bytes");
            assert!(
                (0.0..=1.0).contains(&report.quarantine_share),
                "quarantine_share out of range: {}",
                report.quarantine_share
            );
        }
        Err(cme::Error::Internal(message)) => panic!("Error::Internal: {message}"),
        Err(_) => {}
    }
}
