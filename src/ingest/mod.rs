//! Ingest stage: raw extract -> `staged/episodes/extract_date=D/`.
//!
//! Reads the extract as text (every column a string), maps headers and codes
//! as configured, parses dates and flags, drops personal columns, replaces
//! identifiers with keyed pseudonyms and keeps the date of birth only as the
//! school cohort year. Rows stream through to Parquet a batch at a time.

pub mod mapping;
pub mod pseudonym;
pub mod reader;
pub mod staged;
pub mod values;

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{PipelineConfig, SOURCE_CODESETS};
use crate::error::{Error, Result};
use crate::warehouse::Warehouse;
use mapping::{CodeMaps, HeaderMap};
use pseudonym::{Domain, Pseudonymiser};
use staged::{StagedEpisode, StagedWriter};
use values::{clean, cohort_year, normalise_id, parse_date, parse_flag};

/// Where staged extracts live in the warehouse.
pub const STAGED_EPISODES: &str = "staged/episodes";

pub fn staged_partition(extract_date: NaiveDate) -> String {
    format!("{STAGED_EPISODES}/extract_date={extract_date}")
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub input: PathBuf,
    /// The date the extract was taken; defaults to the file's modified date.
    pub extract_date: Option<NaiveDate>,
}

/// A row that could not be used: where, which field, and why. Never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowIssue {
    pub line: u64,
    pub column: String,
    pub reason_code: String,
    pub reason: String,
}

/// What ingest did, kept beside the staged data and copied into the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestReport {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub encoding: String,
    pub extract_date: NaiveDate,
    pub extract_date_source: String,
    pub rows_read: u64,
    pub rows_staged: u64,
    pub exact_duplicates: u64,
    pub rows_rejected: u64,
    pub ignored_columns: Vec<String>,
    /// column -> source value -> rows, for code values no category claims.
    pub unmapped_values: BTreeMap<String, BTreeMap<String, u64>>,
    pub staged_object: String,
    pub seconds: f64,
}

/// Runs the ingest stage and writes its output to the warehouse.
pub async fn ingest(
    config: &PipelineConfig,
    warehouse: &Warehouse,
    options: &IngestOptions,
) -> Result<IngestReport> {
    let started = Instant::now();
    let config_owned = config.clone();
    let options_owned = options.clone();
    let spill = spill_dir(config);
    let parsed = tokio::task::spawn_blocking(move || {
        parse_extract(&config_owned, &options_owned, spill.as_deref())
    })
    .await
    .map_err(|e| Error::internal("ingest task", e))??;
    let Parsed {
        mut report,
        issues,
        staged_file,
    } = parsed;

    if !issues.is_empty() {
        return Err(Error::Input(describe_issues(
            &report.file,
            &issues,
            report.rows_read,
        )));
    }

    let partition = staged_partition(report.extract_date);
    let object = format!("{partition}/episodes.parquet");
    warehouse.delete_prefix(&partition).await?;
    warehouse.put_file(&object, staged_file.path()).await?;
    report.staged_object = object;
    report.seconds = started.elapsed().as_secs_f64();
    let json =
        serde_json::to_vec_pretty(&report).map_err(|e| Error::internal("ingest report", e))?;
    warehouse
        .put(&format!("{partition}/_ingest.json"), json.into())
        .await?;
    tracing::info!(
        rows_read = report.rows_read,
        rows_staged = report.rows_staged,
        extract_date = %report.extract_date,
        "ingest finished"
    );
    Ok(report)
}

fn spill_dir(config: &PipelineConfig) -> Option<PathBuf> {
    (!config.engine.spill_dir.is_empty()).then(|| PathBuf::from(&config.engine.spill_dir))
}

fn describe_issues(file: &str, issues: &[RowIssue], rows_read: u64) -> String {
    let mut message = format!(
        "{file}: {} of {rows_read} rows cannot be used:",
        issues.len()
    );
    for issue in issues.iter().take(10) {
        message.push_str(&format!(
            "\n  line {}, field {}: {}",
            issue.line, issue.column, issue.reason
        ));
    }
    if issues.len() > 10 {
        message.push_str(&format!("\n  ... and {} more", issues.len() - 10));
    }
    message
}

struct Parsed {
    report: IngestReport,
    issues: Vec<RowIssue>,
    staged_file: tempfile::NamedTempFile,
}

fn parse_extract(
    config: &PipelineConfig,
    options: &IngestOptions,
    spill: Option<&Path>,
) -> Result<Parsed> {
    let path = options.input.as_path();
    let file_label = path.display().to_string();
    let (sha256, bytes) = hash_file(path)?;
    let (extract_date, extract_date_source) = match options.extract_date {
        Some(date) => (date, "--extract-date"),
        None => (modified_date(path)?, "file modified date"),
    };
    let pseudonymiser = Pseudonymiser::from_config(&config.pseudonym)?;
    let encoding = reader::detect_encoding(path, &config.source.encoding)?;
    let delimiter = config.source.delimiter.as_bytes()[0];
    let mut csv = reader::csv_reader(path, encoding, delimiter)?;
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| {
            Error::Input(format!(
                "{file_label}: line 1: cannot read the header row: {e}"
            ))
        })?
        .iter()
        .map(String::from)
        .collect();
    let header_map = HeaderMap::build(&headers, config, path)?;
    if !header_map.ignored.is_empty() {
        tracing::warn!(file = %file_label, columns = ?header_map.ignored, "columns not used by the pipeline are ignored");
    }
    let codes = CodeMaps::build(config);

    let staged_file = match spill {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::storage("create folder", dir.display().to_string(), e))?;
            tempfile::NamedTempFile::new_in(dir)
        }
        None => tempfile::NamedTempFile::new(),
    }
    .map_err(|e| Error::storage("create temporary file", "staged episodes", e))?;
    let file = staged_file
        .reopen()
        .map_err(|e| Error::storage("open temporary file", "staged episodes", e))?;
    let mut writer = StagedWriter::create(file, config.engine.batch_rows)?;

    let context = RowContext {
        header: &header_map,
        codes: &codes,
        pseudonymiser: &pseudonymiser,
        date_formats: &config.source.date_formats,
        extract_date,
    };
    let progress = crate::progress::rows("ingest");
    let mut rows_read = 0u64;
    let mut issues = Vec::new();
    let mut unmapped: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    // episode key -> (content fingerprint, line): finds duplicates without
    // keeping the rows themselves.
    let mut seen: HashMap<String, (u64, u64)> = HashMap::new();
    let mut exact_duplicates = 0u64;
    let mut record = csv::StringRecord::new();
    loop {
        let line = csv.position().line();
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                rows_read += 1;
                issues.push(RowIssue {
                    line: e.position().map(|p| p.line()).unwrap_or(line),
                    column: "(row)".into(),
                    reason_code: "unreadable_row".into(),
                    reason: "the row cannot be read as CSV".into(),
                });
                continue;
            }
        }
        rows_read += 1;
        progress.inc(1);
        let line = record.position().map(|p| p.line()).unwrap_or(line);
        match context.parse(&record, line, &mut unmapped) {
            Ok(row) => {
                let fingerprint = fingerprint(&row);
                match seen.get(&row.episode_key) {
                    Some((existing, _)) if *existing == fingerprint => exact_duplicates += 1,
                    Some((_, first_line)) => issues.push(RowIssue {
                        line,
                        column: "episode_id".into(),
                        reason_code: "duplicate_episode_id".into(),
                        reason: format!(
                            "duplicate episode_id with different content (first seen at line {first_line})"
                        ),
                    }),
                    None => {
                        seen.insert(row.episode_key.clone(), (fingerprint, line));
                        writer.push(row)?;
                    }
                }
            }
            Err(issue) => issues.push(issue),
        }
    }
    progress.finish_and_clear();
    let rows_staged = writer.finish()?;
    for (column, values) in &unmapped {
        tracing::warn!(column = %column, values = ?values.keys().collect::<Vec<_>>(), "code values not in the code set are counted as the fallback category");
    }
    let report = IngestReport {
        file: file_label,
        sha256,
        bytes,
        encoding: encoding.name().to_string(),
        extract_date,
        extract_date_source: extract_date_source.into(),
        rows_read,
        rows_staged,
        exact_duplicates,
        rows_rejected: issues.len() as u64,
        ignored_columns: header_map.ignored.clone(),
        unmapped_values: unmapped,
        staged_object: String::new(),
        seconds: 0.0,
    };
    Ok(Parsed {
        report,
        issues,
        staged_file,
    })
}

fn fingerprint(row: &StagedEpisode) -> u64 {
    let mut without_line = row.clone();
    without_line.source_line = 0;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    format!("{without_line:?}").hash(&mut hasher);
    hasher.finish()
}

struct RowContext<'a> {
    header: &'a HeaderMap,
    codes: &'a CodeMaps,
    pseudonymiser: &'a Pseudonymiser,
    date_formats: &'a [String],
    extract_date: NaiveDate,
}

impl RowContext<'_> {
    fn cell<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        self.header
            .position(column)
            .and_then(|i| record.get(i))
            .and_then(clean)
    }

    fn parse(
        &self,
        record: &csv::StringRecord,
        line: u64,
        unmapped: &mut BTreeMap<String, BTreeMap<String, u64>>,
    ) -> std::result::Result<StagedEpisode, RowIssue> {
        let issue = |column: &str, code: &str, reason: String| RowIssue {
            line,
            column: column.into(),
            reason_code: code.into(),
            reason,
        };
        if record.iter().all(|f| clean(f).is_none()) {
            return Err(issue("(row)", "blank_row", "the row is blank".into()));
        }
        let required = |column: &str| {
            self.cell(record, column).ok_or_else(|| {
                issue(
                    column,
                    "missing_required",
                    format!("the required field {column} is empty"),
                )
            })
        };
        let date = |column: &str, value: &str| {
            parse_date(value, self.date_formats)
                .map_err(|why| issue(column, "bad_date", format!("the value {why}")))
        };
        let optional_date = |column: &str| match self.cell(record, column) {
            Some(v) => date(column, v).map(Some),
            None => Ok(None),
        };
        let flag = |column: &str| match self.cell(record, column) {
            Some(v) => parse_flag(v)
                .map(Some)
                .map_err(|why| issue(column, "bad_flag", format!("the value {why}"))),
            None => Ok(None),
        };

        let episode_id = required("episode_id")?;
        let child_id = required("child_id")?;
        let referral_date = date("referral_date", required("referral_date")?)?;
        let closure_date = optional_date("closure_date")?;
        let date_of_birth = optional_date("date_of_birth")?;
        if let Some(closed) = closure_date {
            if closed < referral_date {
                return Err(issue(
                    "closure_date",
                    "closure_before_referral",
                    "the closure date is before the referral date".into(),
                ));
            }
        }
        if referral_date > self.extract_date {
            return Err(issue(
                "referral_date",
                "referral_after_extract",
                format!(
                    "the referral date is after the extract date {}",
                    self.extract_date
                ),
            ));
        }

        let mut coded = BTreeMap::new();
        for codeset in SOURCE_CODESETS {
            let value = self.cell(record, codeset);
            let code = value.and_then(|v| match self.codes.map(codeset, v) {
                Some(code) => Some(code.to_string()),
                None => {
                    *unmapped
                        .entry((*codeset).to_string())
                        .or_default()
                        .entry(v.to_string())
                        .or_default() += 1;
                    None
                }
            });
            coded.insert(*codeset, code);
        }
        let mut take = |name: &str| coded.remove(name).flatten();

        Ok(StagedEpisode {
            episode_key: self
                .pseudonymiser
                .pseudonym(Domain::Episode, &normalise_id(episode_id)),
            child_key: self
                .pseudonymiser
                .pseudonym(Domain::Child, &normalise_id(child_id)),
            family_key: self.cell(record, "family_id").map(|f| {
                self.pseudonymiser
                    .pseudonym(Domain::Family, &normalise_id(f))
            }),
            cohort_year: date_of_birth.map(cohort_year),
            sex: take("sex"),
            ethnicity: take("ethnicity"),
            locality: take("locality"),
            school_phase: take("school_phase"),
            referral_date,
            closure_date,
            closure_outcome: take("closure_outcome"),
            presenting_need: take("presenting_need"),
            open_to_csc: flag("open_to_csc")?,
            open_to_eh_locality: flag("open_to_eh_locality")?,
            open_to_eh_partner: flag("open_to_eh_partner")?,
            removal_from_roll_authorised: flag("removal_from_roll_authorised")?,
            source_line: line,
        })
    }
}

fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| Error::Input(format!("{}: cannot open: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| Error::Input(format!("{}: cannot read: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((hex::encode(hasher.finalize()), total))
}

fn modified_date(path: &Path) -> Result<NaiveDate> {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| {
            Error::Input(format!(
                "{}: cannot read the modified time: {e}",
                path.display()
            ))
        })?;
    Ok(chrono::DateTime::<chrono::Utc>::from(modified).date_naive())
}
