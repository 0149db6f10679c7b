//! No personal value from the input (names, addresses, postcodes, dates of
//! birth, raw ids) may appear in a published file, a log line or a message.
//! The test runs the binary on the synthetic sample with the most verbose
//! logging, then scans everything it printed and everything it published.

mod common;

use std::collections::HashSet;
use std::path::Path;

use assert_cmd::Command;
use common::repo;
use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const SAMPLE: &str = "data/sample/cme-extract-sample.csv";

/// Personal values of the sample: addresses, postcodes and dates of birth
/// (found as substrings), names and raw ids (found as whole words).
struct Personal {
    phrases: HashSet<String>,
    names: HashSet<String>,
    ids: HashSet<String>,
}

fn personal_values() -> Personal {
    let mut reader = csv::Reader::from_path(repo().join(SAMPLE)).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (forename, surname, address, postcode, dob) = (
        col("forename"),
        col("surname"),
        col("address"),
        col("postcode"),
        col("date_of_birth"),
    );
    let mut names = HashSet::new();
    let (episode, child, family) = (col("episode_id"), col("child_id"), col("family_id"));
    let mut phrases = HashSet::new();
    let mut ids = HashSet::new();
    for record in reader.records() {
        let r = record.unwrap();
        for i in [address, postcode, dob] {
            if !r[i].is_empty() {
                phrases.insert(r[i].to_string());
            }
        }
        for i in [forename, surname] {
            if !r[i].is_empty() {
                names.insert(r[i].to_string());
            }
        }
        // The DOB in ISO form too, as a date column would print it.
        if let Ok(d) = chrono::NaiveDate::parse_from_str(&r[dob], "%d/%m/%Y") {
            phrases.insert(d.to_string());
        }
        for i in [episode, child, family] {
            if !r[i].is_empty() {
                ids.insert(r[i].to_string());
            }
        }
    }
    assert!(
        phrases.len() > 100 && ids.len() > 100 && names.len() > 20,
        "the sample has personal columns to look for"
    );
    Personal {
        phrases,
        names,
        ids,
    }
}

/// Every text value in a Parquet file (all columns cast to strings).
fn parquet_text(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        for column in batch.columns() {
            let text = cast(column, &DataType::Utf8).unwrap();
            let text = text.as_any().downcast_ref::<StringArray>().unwrap();
            for i in 0..text.len() {
                if !text.is_null(i) {
                    out.push(text.value(i).to_string());
                }
            }
        }
    }
    out
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// All personal values in one automaton, so each text is scanned once.
struct Scanner {
    automaton: aho_corasick::AhoCorasick,
    /// (value, whole_word, is_date) per pattern.
    patterns: Vec<(String, bool, bool)>,
}

impl Scanner {
    fn new(personal: &Personal) -> Self {
        let mut patterns = Vec::new();
        for phrase in &personal.phrases {
            let is_date = phrase.chars().filter(|c| c.is_ascii_digit()).count() >= 6;
            patterns.push((phrase.clone(), false, is_date));
        }
        for word in personal.names.iter().chain(&personal.ids) {
            patterns.push((word.clone(), true, false));
        }
        let automaton =
            aho_corasick::AhoCorasick::new(patterns.iter().map(|p| p.0.as_str())).unwrap();
        Self {
            automaton,
            patterns,
        }
    }

    /// Personal values found in `text`: phrases anywhere, names and ids as
    /// whole alphanumeric words (so a hash that happens to contain the digits
    /// of an id, or a word that contains a short forename, is no false
    /// alarm). Dates only when `include_dates`.
    fn leaks(&self, text: &str, include_dates: bool) -> Vec<String> {
        let bytes = text.as_bytes();
        let mut found = Vec::new();
        for m in self.automaton.find_overlapping_iter(text) {
            let (value, whole_word, is_date) = &self.patterns[m.pattern().as_usize()];
            if *is_date && !include_dates {
                continue;
            }
            if *whole_word {
                let before = m
                    .start()
                    .checked_sub(1)
                    .map(|i| bytes[i].is_ascii_alphanumeric());
                let after = bytes.get(m.end()).map(|b| b.is_ascii_alphanumeric());
                if before == Some(true) || after == Some(true) {
                    continue;
                }
            }
            found.push(value.clone());
        }
        found
    }
}

#[test]
fn nothing_personal_in_outputs_logs_or_staged_data() {
    let personal = personal_values();
    let scanner = Scanner::new(&personal);
    // The scanner itself finds what it should (so this test can fail).
    let name = personal.names.iter().next().unwrap();
    let id = personal.ids.iter().next().unwrap();
    let phrase = personal.phrases.iter().find(|p| p.contains(' ')).unwrap();
    assert_eq!(
        scanner.leaks(&format!("a {name}, b"), true),
        vec![name.clone()]
    );
    assert_eq!(scanner.leaks(&format!("id={id}\n"), true), vec![id.clone()]);
    assert!(scanner.leaks(&format!("x{phrase}y"), true).contains(phrase));
    assert!(scanner.leaks(&format!("x{id}0"), true).is_empty());
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("wh");
    let output = Command::cargo_bin("cme")
        .unwrap()
        .current_dir(repo())
        .env("CME_PSEUDONYM_KEY", "privacy-test-key-000000000000001")
        .args([
            "run",
            "-vv",
            "--period",
            "2018-06",
            "--input",
            SAMPLE,
            "--extract-date",
            "2018-07-02",
        ])
        .args(["--warehouse", warehouse.to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .clone();
    let printed = common::printed(&output);
    assert!(!printed.is_empty());
    let found = scanner.leaks(&printed, true);
    assert!(
        found.is_empty(),
        "personal values in the output or logs: {found:?}"
    );

    let mut scanned = 0;
    for file in files_under(&warehouse) {
        let relative = file
            .strip_prefix(&warehouse)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let published = relative.starts_with("runs/");
        let texts = if file.extension().is_some_and(|e| e == "parquet") {
            parquet_text(&file)
        } else {
            vec![String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned()]
        };
        scanned += texts.len();
        // Staged rows legitimately hold referral and closure dates, which can
        // coincide with someone's birthday; published files and logs hold no
        // row-level dates, so every date is checked there.
        let found = scanner.leaks(&texts.join("\n"), published);
        assert!(found.is_empty(), "{relative}: personal values {found:?}");
    }
    assert!(scanned > 1000, "scanned {scanned} values");
}
