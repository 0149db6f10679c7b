//! Ingest stage: raw extract -> `staged/episodes/extract_date=D/`.
//!
//! Reads the extract as text (every column a string), maps headers and codes
//! as configured, parses dates and flags, drops personal columns, replaces
//! identifiers with keyed pseudonyms and keeps the date of birth only as the
//! school cohort year. Rows stream through to Parquet a batch at a time.
//!
//! Every row read ends in exactly one place: staged, quarantined (with file,
//! line, column and reason), or dropped as an exact duplicate of a staged
//! row, and the report reconciles the three with the rows read.

pub mod excel;
pub mod mapping;
pub mod pseudonym;
pub mod quarantine;
pub mod reader;
pub mod staged;
pub mod values;

use std::collections::{BTreeMap, HashMap, HashSet};
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
use quarantine::{QuarantinedRow, reason};
use reader::RawRecord;
use staged::{StagedEpisode, StagedWriter};
use values::{clean, cohort_year, normalise_id, parse_date, parse_flag};

/// Where staged extracts live in the warehouse.
pub const STAGED_EPISODES: &str = "staged/episodes";

/// Where quarantined rows live.
pub const STAGED_QUARANTINE: &str = "staged/quarantine";
/// Where an extract that failed the quarantine threshold leaves its
/// quarantine and report, for inspection, without replacing staged data.
pub const REJECTED: &str = "rejected";

pub fn staged_partition(extract_date: NaiveDate) -> String {
    format!("{STAGED_EPISODES}/extract_date={extract_date}")
}

pub fn quarantine_object(extract_date: NaiveDate) -> String {
    format!("{STAGED_QUARANTINE}/extract_date={extract_date}/quarantine.parquet")
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub input: PathBuf,
    /// The date the extract was taken; defaults to the file's modified date.
    pub extract_date: Option<NaiveDate>,
}

/// A row that could not be used: which field and why. Never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RowIssue {
    column: String,
    reason_code: &'static str,
    reason: String,
    episode_key: Option<String>,
}

/// What ingest did, kept beside the staged data and copied into the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestReport {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub encoding: String,
    pub sheet: Option<String>,
    pub extract_date: NaiveDate,
    pub extract_date_source: String,
    /// Data rows below the header (wholly empty lines are not rows).
    pub rows_read: u64,
    pub rows_staged: u64,
    pub rows_quarantined: u64,
    /// Copies of a staged row, dropped once each.
    pub exact_duplicates: u64,
    /// reason code -> quarantined rows
    pub quarantine_by_reason: BTreeMap<String, u64>,
    /// Share of data rows quarantined (blank and summary rows excluded).
    pub quarantine_share: f64,
    pub ignored_columns: Vec<String>,
    /// column -> source value -> rows, for code values no category claims.
    pub unmapped_values: BTreeMap<String, BTreeMap<String, u64>>,
    pub staged_object: String,
    pub quarantine_object: String,
    /// Data tests on the staged tables (sql/staged/tests.toml).
    #[serde(default)]
    pub data_tests: Vec<crate::datatests::TestResult>,
    pub seconds: f64,
}

impl IngestReport {
    /// rows read = staged + quarantined + exact duplicates dropped.
    pub fn reconciles(&self) -> bool {
        self.rows_read == self.rows_staged + self.rows_quarantined + self.exact_duplicates
    }
}

/// Reads, maps and validates an extract without writing anything: what the
/// fuzz targets (fuzz/) drive. Every row must end staged, quarantined or
/// dropped as an exact copy, whatever the bytes.
pub fn check_extract(config: &PipelineConfig, options: &IngestOptions) -> Result<IngestReport> {
    let parsed = parse_extract(config, options, None)?;
    if !parsed.report.reconciles() {
        return Err(Error::Internal(format!(
            "{}: rows do not reconcile",
            parsed.report.file
        )));
    }
    Ok(parsed.report)
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
        staged_file,
        quarantine_file,
    } = parsed;
    if !report.reconciles() {
        return Err(Error::Internal(format!(
            "{}: rows do not reconcile: {} read, {} staged, {} quarantined, {} exact duplicates",
            report.file,
            report.rows_read,
            report.rows_staged,
            report.rows_quarantined,
            report.exact_duplicates
        )));
    }
    let date = report.extract_date;
    let limit = config.quality.max_quarantine_share;
    let no_rows = report.rows_staged == 0;
    if no_rows || report.quarantine_share > limit {
        // Keep the evidence for whoever fixes the extract, but leave the
        // staged data (and so every later report) as it was.
        let prefix = format!("{REJECTED}/extract_date={date}");
        warehouse.delete_prefix(&prefix).await?;
        report.quarantine_object = format!("{prefix}/quarantine.parquet");
        warehouse
            .put_file(&report.quarantine_object, quarantine_file.path())
            .await?;
        report.seconds = started.elapsed().as_secs_f64();
        put_json(warehouse, &format!("{prefix}/_ingest.json"), &report).await?;
    }
    let reasons = report
        .quarantine_by_reason
        .iter()
        .map(|(code, n)| format!("{code} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    if no_rows {
        return Err(Error::Input(format!(
            "{}: no usable rows ({} read, {} quarantined{}): nothing was staged, so the extract of {date} \
             already in the warehouse (if any) is kept; the quarantine is in {}",
            report.file,
            report.rows_read,
            report.rows_quarantined,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(": {reasons}")
            },
            warehouse.describe(&report.quarantine_object)
        )));
    }
    if report.quarantine_share > limit {
        return Err(Error::DataQuality(format!(
            "{}: {} of {} rows quarantined ({:.1}% of data rows, above the {:.1}% limit of [quality] \
             max_quarantine_share); nothing was staged. Reasons: {}. The quarantined rows (file, line, \
             column, reason) are in {}",
            report.file,
            report.rows_quarantined,
            report.rows_read,
            report.quarantine_share * 100.0,
            limit * 100.0,
            report
                .quarantine_by_reason
                .iter()
                .map(|(code, n)| format!("{code} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            warehouse.describe(&report.quarantine_object)
        )));
    }

    report.data_tests = staged_data_tests(config, &staged_file, &quarantine_file).await?;

    let partition = staged_partition(date);
    let object = format!("{partition}/episodes.parquet");
    warehouse.delete_prefix(&partition).await?;
    warehouse.put_file(&object, staged_file.path()).await?;
    report.staged_object = object;
    report.quarantine_object = quarantine_object(date);
    warehouse
        .put_file(&report.quarantine_object, quarantine_file.path())
        .await?;
    report.seconds = started.elapsed().as_secs_f64();
    put_json(warehouse, &format!("{partition}/_ingest.json"), &report).await?;
    if report.rows_quarantined > 0 {
        tracing::warn!(
            rows_quarantined = report.rows_quarantined,
            reasons = ?report.quarantine_by_reason,
            quarantine = %warehouse.describe(&report.quarantine_object),
            "rows quarantined"
        );
    }
    tracing::info!(
        rows_read = report.rows_read,
        rows_staged = report.rows_staged,
        rows_quarantined = report.rows_quarantined,
        exact_duplicates = report.exact_duplicates,
        extract_date = %report.extract_date,
        "ingest finished"
    );
    Ok(report)
}

/// Runs the staged tables' data tests on the files about to be staged, so a
/// failing error-level test stages nothing.
async fn staged_data_tests(
    config: &PipelineConfig,
    staged: &tempfile::NamedTempFile,
    quarantine: &tempfile::NamedTempFile,
) -> Result<Vec<crate::datatests::TestResult>> {
    let tests = crate::datatests::load(&config.resolve(&config.transform.staged_tests))?;
    if tests.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = crate::transform::session::local_session();
    for (name, file) in [("episodes", staged), ("quarantine", quarantine)] {
        // The temporary files have no .parquet extension.
        let options = datafusion::prelude::ParquetReadOptions::default().file_extension("");
        ctx.register_parquet(name, file.path().to_string_lossy().as_ref(), options)
            .await
            .map_err(|e| Error::internal(format!("register {name} for data tests"), e))?;
    }
    crate::datatests::run(&ctx, &tests, config).await
}

async fn put_json<T: Serialize>(warehouse: &Warehouse, object: &str, value: &T) -> Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| Error::internal("ingest report", e))?;
    warehouse.put(object, json.into()).await
}

fn spill_dir(config: &PipelineConfig) -> Option<PathBuf> {
    (!config.engine.spill_dir.is_empty()).then(|| PathBuf::from(&config.engine.spill_dir))
}

struct Parsed {
    report: IngestReport,
    staged_file: tempfile::NamedTempFile,
    quarantine_file: tempfile::NamedTempFile,
}

fn temp_file(spill: Option<&Path>) -> Result<tempfile::NamedTempFile> {
    match spill {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::storage("create folder", dir.display().to_string(), e))?;
            tempfile::NamedTempFile::new_in(dir)
        }
        None => tempfile::NamedTempFile::new(),
    }
    .map_err(|e| Error::storage("create temporary file", "ingest", e))
}

/// What is known about an episode id seen so far: enough to tell an exact
/// copy from a conflicting one without keeping the rows.
struct Seen {
    fingerprint: u64,
    line: u64,
    /// Lines of exact copies dropped so far.
    copies: Vec<u64>,
    conflicting: bool,
}

fn parse_extract(
    config: &PipelineConfig,
    options: &IngestOptions,
    spill: Option<&Path>,
) -> Result<Parsed> {
    let path = options.input.as_path();
    let file_label = path.display().to_string();
    if !path.exists() {
        return Err(Error::Input(format!("{file_label}: no such file")));
    }
    let (sha256, bytes) = hash_file(path)?;
    let (extract_date, extract_date_source) = match options.extract_date {
        Some(date) => (date, "--extract-date"),
        None => (modified_date(path)?, "file modified date"),
    };
    let pseudonymiser = Pseudonymiser::from_config(&config.pseudonym)?;
    let opened = reader::open_extract(path, &config.source)?;
    let header_map = HeaderMap::build(&opened.headers, opened.header_line, config, path)?;
    if !header_map.ignored.is_empty() {
        tracing::warn!(file = %file_label, columns = ?header_map.ignored, "columns not used by the pipeline are ignored");
    }
    let codes = CodeMaps::build(config);
    let staged_file = temp_file(spill)?;
    let quarantine_file = temp_file(spill)?;
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
        excel: opened.excel,
    };
    let quarantined = |line: u64, issue: RowIssue| QuarantinedRow {
        source_file: file_label.clone(),
        sheet: opened.sheet.clone(),
        line,
        column: issue.column,
        reason_code: issue.reason_code.to_string(),
        reason: issue.reason,
        episode_key: issue.episode_key,
    };
    let progress = crate::progress::rows("ingest");
    let mut rows_read = 0u64;
    let mut quarantine: Vec<QuarantinedRow> = Vec::new();
    let mut unmapped: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for item in opened.records {
        rows_read += 1;
        progress.inc(1);
        let record = match item {
            Ok(record) => record,
            Err(unreadable) => {
                let issue = RowIssue {
                    column: "(row)".into(),
                    reason_code: reason::UNREADABLE_ROW,
                    reason: unreadable.reason,
                    episode_key: None,
                };
                quarantine.push(quarantined(unreadable.line, issue));
                continue;
            }
        };
        let mut row_unmapped = Vec::new();
        let row = match context.parse(&record, &mut row_unmapped) {
            Ok(row) => row,
            Err(issue) => {
                quarantine.push(quarantined(record.line, issue));
                continue;
            }
        };
        // Counted only for rows that are used: a quarantined row's codes
        // never reach a figure.
        for (codeset, value) in row_unmapped {
            *unmapped
                .entry(codeset)
                .or_default()
                .entry(value)
                .or_default() += 1;
        }
        let fingerprint = fingerprint(&row);
        match seen.get_mut(&row.episode_key) {
            Some(first) if first.fingerprint == fingerprint && !first.conflicting => {
                first.copies.push(record.line)
            }
            Some(first) => {
                first.conflicting = true;
                let issue = duplicate_issue(first.line, &row.episode_key);
                quarantine.push(quarantined(record.line, issue));
            }
            None => {
                seen.insert(
                    row.episode_key.clone(),
                    Seen {
                        fingerprint,
                        line: record.line,
                        copies: Vec::new(),
                        conflicting: false,
                    },
                );
                writer.push(row)?;
            }
        }
    }
    progress.finish_and_clear();
    let written = writer.finish()?;

    // An episode id with conflicting content: every copy is quarantined,
    // including the first one already staged and its exact copies.
    let mut conflicting: HashSet<String> = HashSet::new();
    let mut exact_duplicates = 0u64;
    for (key, info) in &seen {
        if info.conflicting {
            conflicting.insert(key.clone());
            for line in std::iter::once(info.line).chain(info.copies.iter().copied()) {
                quarantine.push(quarantined(line, duplicate_issue(info.line, key)));
            }
        } else {
            exact_duplicates += info.copies.len() as u64;
        }
    }
    let rows_staged = if conflicting.is_empty() {
        written
    } else {
        staged::remove_episodes(staged_file.path(), &conflicting, config.engine.batch_rows)?
    };

    // Counts only in the log: a value typed into the wrong column could be
    // personal. The distinct values are in the ingest report in the
    // (restricted) staged area, where whoever maintains the mapping reads them.
    for (column, values) in &unmapped {
        tracing::warn!(
            column = %column,
            rows = values.values().sum::<u64>(),
            distinct_values = values.len(),
            "code values not in the code set are counted as the fallback category (see _ingest.json)"
        );
    }
    for values in unmapped.values_mut() {
        if values.len() > MAX_UNMAPPED_LISTED {
            let rest: u64 = values
                .iter()
                .skip(MAX_UNMAPPED_LISTED)
                .map(|(_, n)| *n)
                .sum();
            let keep: BTreeMap<String, u64> = values
                .iter()
                .take(MAX_UNMAPPED_LISTED)
                .map(|(k, n)| (k.clone(), *n))
                .collect();
            *values = keep;
            values.insert("(other values)".into(), rest);
        }
    }
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    for row in &quarantine {
        *by_reason.entry(row.reason_code.clone()).or_default() += 1;
    }
    let layout_rows: u64 = by_reason
        .iter()
        .filter(|(code, _)| reason::is_layout(code))
        .map(|(_, n)| *n)
        .sum();
    // Lines taken in by an unclosed quote may be whole rows: they count as
    // quarantined data in the share, so a broken file cannot pass quietly.
    let swallowed: u64 = quarantine
        .iter()
        .filter(|q| q.reason.starts_with("a quoted field is not closed"))
        .filter_map(|q| {
            q.reason
                .split_whitespace()
                .find_map(|w| w.parse::<u64>().ok())
        })
        .map(|lines| lines - 1)
        .sum();
    let data_rows = rows_read - layout_rows + swallowed;
    let quarantine_share = if data_rows == 0 {
        0.0
    } else {
        (quarantine.len() as u64 - layout_rows + swallowed) as f64 / data_rows as f64
    };
    quarantine::write(
        &mut quarantine,
        quarantine_file
            .reopen()
            .map_err(|e| Error::storage("open temporary file", "quarantine", e))?,
    )?;
    let report = IngestReport {
        file: file_label,
        sha256,
        bytes,
        encoding: opened.encoding,
        sheet: opened.sheet,
        extract_date,
        extract_date_source: extract_date_source.into(),
        rows_read,
        rows_staged,
        rows_quarantined: quarantine.len() as u64,
        exact_duplicates,
        quarantine_by_reason: by_reason,
        quarantine_share,
        ignored_columns: header_map.ignored.clone(),
        unmapped_values: unmapped,
        staged_object: String::new(),
        quarantine_object: String::new(),
        data_tests: Vec::new(),
        seconds: 0.0,
    };
    Ok(Parsed {
        report,
        staged_file,
        quarantine_file,
    })
}

fn duplicate_issue(first_line: u64, key: &str) -> RowIssue {
    RowIssue {
        column: "episode_id".into(),
        reason_code: reason::DUPLICATE_EPISODE_ID,
        reason: format!(
            "the episode id appears more than once with different content (first at line {first_line}); every copy is quarantined"
        ),
        episode_key: Some(key.to_string()),
    }
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
    /// xlsx source: whole numbers in date columns are Excel serial dates.
    excel: bool,
}

/// Distinct unmapped values listed per column in the ingest report.
const MAX_UNMAPPED_LISTED: usize = 50;

/// Oldest a child can plausibly be at referral (compulsory school age ends
/// long before; older means a mistyped date of birth).
const MAX_AGE_AT_REFERRAL: i32 = 25;

fn is_summary_cell(cell: &str) -> bool {
    let lower = cell.trim().to_lowercase();
    let rest = lower.strip_prefix("grand ").unwrap_or(&lower).trim_start();
    rest.strip_prefix("totals")
        .or_else(|| rest.strip_prefix("total"))
        .is_some_and(|after| after.chars().next().is_none_or(|c| !c.is_alphanumeric()))
}

impl RowContext<'_> {
    fn cell<'r>(&self, record: &'r RawRecord, column: &str) -> Option<&'r str> {
        self.header
            .position(column)
            .and_then(|i| record.fields.get(i))
            .and_then(|v| clean(v))
    }

    fn parse(
        &self,
        record: &RawRecord,
        unmapped: &mut Vec<(String, String)>,
    ) -> std::result::Result<StagedEpisode, RowIssue> {
        let issue = |column: &str, code: &'static str, reason: String| RowIssue {
            column: column.into(),
            reason_code: code,
            reason,
            episode_key: None,
        };
        if record.fields.iter().all(|f| clean(f).is_none()) {
            return Err(issue("(row)", reason::BLANK_ROW, "the row is blank".into()));
        }
        // A summary row starts with "Total" and is no episode: a surname or
        // an address that happens to begin with the word is not one.
        let first = record.fields.iter().find_map(|f| clean(f));
        let incomplete =
            self.cell(record, "child_id").is_none() || self.cell(record, "referral_date").is_none();
        if first.is_some_and(is_summary_cell) && incomplete {
            return Err(issue(
                "(row)",
                reason::SUMMARY_ROW,
                "the row is a total or summary row, not an episode".into(),
            ));
        }
        // Checked after blank and summary rows, which are often short.
        let expected = self.header.headers.len();
        let has_value = |fields: &[String]| fields.iter().any(|f| clean(f).is_some());
        if record.fields.len() < expected
            || record.fields.len() > expected && has_value(&record.fields[expected..])
        {
            let spanned = record
                .fields
                .iter()
                .map(|f| f.matches('\n').count())
                .sum::<usize>();
            if spanned > 0 && record.fields.len() < expected {
                return Err(issue(
                    "(row)",
                    reason::WRONG_FIELD_COUNT,
                    format!(
                        "a quoted field is not closed: the row runs over {} lines and may hold other rows",
                        spanned + 1
                    ),
                ));
            }
            let why = if record.fields.len() < expected {
                "a value is missing or the row is cut short"
            } else {
                "a value has an unquoted delimiter or the columns are shifted"
            };
            return Err(issue(
                "(row)",
                reason::WRONG_FIELD_COUNT,
                format!(
                    "the row has {} fields, the header {expected}: {why}",
                    record.fields.len()
                ),
            ));
        }
        let episode_key = self.cell(record, "episode_id").map(|id| {
            self.pseudonymiser
                .pseudonym(Domain::Episode, &normalise_id(id))
        });
        let keyed = |mut i: RowIssue| {
            i.episode_key = episode_key.clone();
            i
        };
        let required = |column: &str| {
            self.cell(record, column).ok_or_else(|| {
                keyed(issue(
                    column,
                    reason::MISSING_REQUIRED,
                    format!("the required field {column} is empty"),
                ))
            })
        };
        let date = |column: &str, value: &str| {
            parse_date(value, self.date_formats, self.excel).map_err(|why| {
                keyed(issue(
                    column,
                    reason::BAD_DATE,
                    format!("the {column} {why}"),
                ))
            })
        };
        let optional_date = |column: &str| match self.cell(record, column) {
            Some(v) => date(column, v).map(Some),
            None => Ok(None),
        };
        let flag = |column: &str| match self.cell(record, column) {
            Some(v) => parse_flag(v).map(Some).map_err(|why| {
                keyed(issue(
                    column,
                    reason::BAD_FLAG,
                    format!("the {column} {why}"),
                ))
            }),
            None => Ok(None),
        };

        let episode_id = required("episode_id")?;
        let child_id = required("child_id")?;
        let referral_date = date("referral_date", required("referral_date")?)?;
        let closure_date = optional_date("closure_date")?;
        let date_of_birth = optional_date("date_of_birth")?;
        if let Some(closed) = closure_date {
            if closed < referral_date {
                return Err(keyed(issue(
                    "closure_date",
                    reason::CLOSURE_BEFORE_REFERRAL,
                    "the closure date is before the referral date".into(),
                )));
            }
        }
        if referral_date > self.extract_date {
            return Err(keyed(issue(
                "referral_date",
                reason::REFERRAL_AFTER_EXTRACT,
                format!(
                    "the referral date is after the extract date {}",
                    self.extract_date
                ),
            )));
        }
        if let Some(born) = date_of_birth {
            if born > self.extract_date {
                return Err(keyed(issue(
                    "date_of_birth",
                    reason::IMPLAUSIBLE_DATE_OF_BIRTH,
                    "the date of birth is after the extract date".into(),
                )));
            }
            if referral_date
                .years_since(born)
                .is_some_and(|age| age as i32 > MAX_AGE_AT_REFERRAL)
            {
                return Err(keyed(issue(
                    "date_of_birth",
                    reason::IMPLAUSIBLE_DATE_OF_BIRTH,
                    format!(
                        "the date of birth makes the child older than {MAX_AGE_AT_REFERRAL} at referral"
                    ),
                )));
            }
        }

        let mut coded = BTreeMap::new();
        for codeset in SOURCE_CODESETS {
            let value = self.cell(record, codeset);
            let code = value.and_then(|v| match self.codes.map(codeset, v) {
                Some(code) => Some(code.to_string()),
                None => {
                    unmapped.push(((*codeset).to_string(), v.to_string()));
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
            source_line: record.line,
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
    Ok(chrono::DateTime::<chrono::Local>::from(modified).date_naive())
}
