//! The run manifest: what went in, what came out, how long each stage took.
//! Written last, so a run folder with a manifest is complete.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub run_id: String,
    pub tool: Tool,
    pub pipeline: String,
    pub reporting_period: String,
    pub period_end: NaiveDate,
    pub extract_date: NaiveDate,
    pub created_at: String,
    pub inputs: Vec<InputFile>,
    pub outputs: Vec<OutputFile>,
    /// The rendered reports of the run (report.html, report.json, the
    /// public variant under public/).
    #[serde(default)]
    pub reports: Vec<ReportFile>,
    pub checks_passed: Vec<String>,
    /// Every data test of ingest and transform, passed or (warn) failed.
    pub data_tests: Vec<crate::datatests::TestResult>,
    pub stage_seconds: StageSeconds,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn current() -> Self {
        Self {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputFile {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub encoding: String,
    pub sheet: Option<String>,
    pub extract_date: NaiveDate,
    pub extract_date_source: String,
    /// rows_read = rows_staged + rows_quarantined + exact_duplicates
    pub rows_read: u64,
    pub rows_staged: u64,
    pub rows_quarantined: u64,
    pub exact_duplicates: u64,
    pub quarantine_by_reason: std::collections::BTreeMap<String, u64>,
    /// column -> rows whose code was not in the code set (values: the ingest report)
    pub unmapped_rows: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutputFile {
    pub table: String,
    pub object: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReportFile {
    /// Path inside the run folder, e.g. `report.html`, `public/report-public.html`.
    pub name: String,
    pub object: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageSeconds {
    pub ingest: f64,
    pub transform: f64,
    pub publish: f64,
}
