//! Pipeline configuration (`pipelines/*.toml`): the source, its column and code
//! mappings, the indicator catalogue, engine limits and what gets published.
//!
//! Every field is documented in `docs/configuration.md`; this module only
//! parses and validates. Business rules stay in `sql/`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The canonical extract columns (`extract-contract.md`), in contract order.
pub const CANONICAL_COLUMNS: &[&str] = &[
    "episode_id",
    "child_id",
    "family_id",
    "forename",
    "surname",
    "address",
    "postcode",
    "date_of_birth",
    "sex",
    "ethnicity",
    "locality",
    "school_phase",
    "referral_date",
    "closure_date",
    "closure_outcome",
    "presenting_need",
    "open_to_csc",
    "open_to_eh_locality",
    "open_to_eh_partner",
    "removal_from_roll_authorised",
];

/// Columns an extract must have.
pub const REQUIRED_COLUMNS: &[&str] = &["episode_id", "child_id", "referral_date"];

/// Personal details: recognised so they can be dropped, never kept.
pub const PERSONAL_COLUMNS: &[&str] = &["forename", "surname", "address", "postcode"];

/// Code sets whose values come from the extract (mapped at ingest).
pub const SOURCE_CODESETS: &[&str] = &[
    "sex",
    "ethnicity",
    "locality",
    "school_phase",
    "closure_outcome",
    "presenting_need",
];

/// Code sets whose codes the SQL derives (only labels and order configurable).
pub const DERIVED_CODESETS: &[&str] = &["time_open", "year_group", "open_to"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Other TOML files merged under this one (paths relative to it); keys of
    /// the including file win.
    #[serde(default)]
    pub include: Vec<String>,
    pub pipeline: PipelineSection,
    pub source: SourceConfig,
    #[serde(default)]
    pub pseudonym: PseudonymConfig,
    #[serde(default)]
    pub engine: EngineConfig,
    #[serde(default)]
    pub quality: QualityConfig,
    #[serde(default)]
    pub storage: StorageConfig,
    #[serde(default)]
    pub transform: TransformConfig,
    #[serde(default)]
    pub publish: PublishConfig,
    #[serde(default)]
    pub report: ReportConfig,
    pub codesets: BTreeMap<String, Vec<Category>>,
    pub indicators: Vec<IndicatorConfig>,
    /// Folder of the pipeline file: relative paths in it resolve from here.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    pub name: String,
    #[serde(default)]
    pub service: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub path: Option<PathBuf>,
    #[serde(default = "default_format")]
    pub format: String,
    #[serde(default = "default_encoding")]
    pub encoding: String,
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    #[serde(default = "default_date_formats")]
    pub date_formats: Vec<String>,
    /// 1-based line (CSV) or row (xlsx) of the header; rows above are titles.
    #[serde(default = "default_header_row")]
    pub header_row: usize,
    /// xlsx: the sheet to read (default: the first).
    pub sheet: Option<String>,
    /// canonical column -> header names accepted for it
    pub columns: BTreeMap<String, Vec<String>>,
    /// canonical column -> header regular expressions (case-insensitive)
    #[serde(default)]
    pub column_patterns: BTreeMap<String, Vec<String>>,
    /// code set -> value regular expressions; the first capture group (or
    /// the whole match) is looked up among the code set's aliases
    #[serde(default)]
    pub value_patterns: BTreeMap<String, Vec<String>>,
}

fn default_header_row() -> usize {
    1
}

/// Object storage settings for cloud warehouses. Credentials are never
/// configured here: they come from each cloud's standard environment
/// variables (AWS_ACCESS_KEY_ID, AZURE_STORAGE_ACCOUNT_KEY, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Endpoint override: an S3-compatible store, or an emulator.
    pub endpoint: Option<String>,
    /// Allow plain http (local test servers only).
    #[serde(default)]
    pub allow_http: bool,
    pub region: Option<String>,
    /// Azure: talk to the Azurite emulator.
    #[serde(default)]
    pub azure_use_emulator: bool,
    /// Retries of a failed request (with exponential backoff).
    #[serde(default = "default_retry_max")]
    pub retry_max: usize,
    /// Give up retrying one request after this long.
    #[serde(default = "default_retry_timeout_secs")]
    pub retry_timeout_secs: u64,
    /// Timeout of one request.
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
    /// A run's warehouse lock expires this long after it was taken or last
    /// renewed (each stage renews it); an expired lock can be taken over.
    #[serde(default = "default_lock_ttl_secs")]
    pub lock_ttl_secs: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            allow_http: false,
            region: None,
            azure_use_emulator: false,
            retry_max: default_retry_max(),
            retry_timeout_secs: default_retry_timeout_secs(),
            request_timeout_secs: default_request_timeout_secs(),
            lock_ttl_secs: default_lock_ttl_secs(),
        }
    }
}

impl StorageConfig {
    /// Overrides from the environment, for schedulers and test servers:
    /// `CME_STORAGE_ENDPOINT`, `CME_STORAGE_ALLOW_HTTP` (`true`/`1`),
    /// `CME_STORAGE_RETRY_MAX`, `CME_STORAGE_RETRY_TIMEOUT_SECS`,
    /// `CME_STORAGE_REQUEST_TIMEOUT_SECS`, `CME_LOCK_TTL_SECS`.
    pub fn apply_env(&mut self) -> Result<()> {
        fn number<T: std::str::FromStr>(name: &str, target: &mut T) -> Result<()> {
            if let Ok(text) = std::env::var(name) {
                *target = text.trim().parse().map_err(|_| Error::Config {
                    path: format!("environment variable {name}"),
                    message: format!("`{text}` is not a whole number"),
                })?;
            }
            Ok(())
        }
        if let Ok(endpoint) = std::env::var("CME_STORAGE_ENDPOINT") {
            self.endpoint = Some(endpoint);
        }
        if let Ok(value) = std::env::var("CME_STORAGE_ALLOW_HTTP") {
            self.allow_http = matches!(value.trim(), "true" | "1");
        }
        number("CME_STORAGE_RETRY_MAX", &mut self.retry_max)?;
        number(
            "CME_STORAGE_RETRY_TIMEOUT_SECS",
            &mut self.retry_timeout_secs,
        )?;
        number(
            "CME_STORAGE_REQUEST_TIMEOUT_SECS",
            &mut self.request_timeout_secs,
        )?;
        number("CME_LOCK_TTL_SECS", &mut self.lock_ttl_secs)?;
        Ok(())
    }
}

fn default_retry_max() -> usize {
    5
}
fn default_retry_timeout_secs() -> u64 {
    60
}
fn default_request_timeout_secs() -> u64 {
    30
}
fn default_lock_ttl_secs() -> u64 {
    3600
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityConfig {
    /// Above this share of quarantined rows the run stops before publishing.
    #[serde(default = "default_max_quarantine_share")]
    pub max_quarantine_share: f64,
}

impl Default for QualityConfig {
    fn default() -> Self {
        Self {
            max_quarantine_share: default_max_quarantine_share(),
        }
    }
}

fn default_max_quarantine_share() -> f64 {
    0.05
}

fn default_format() -> String {
    "auto".into()
}
fn default_encoding() -> String {
    "auto".into()
}
fn default_delimiter() -> String {
    ",".into()
}
fn default_date_formats() -> Vec<String> {
    vec!["%d/%m/%Y".into(), "%Y-%m-%d".into()]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PseudonymConfig {
    #[serde(default = "default_key_env")]
    pub key_env: String,
    /// Inline key: for tests only; prefer the environment variable.
    pub key: Option<String>,
}

impl Default for PseudonymConfig {
    fn default() -> Self {
        Self {
            key_env: default_key_env(),
            key: None,
        }
    }
}

fn default_key_env() -> String {
    "CME_PSEUDONYM_KEY".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    #[serde(default = "default_memory_limit_mb")]
    pub memory_limit_mb: usize,
    #[serde(default)]
    pub spill_dir: String,
    #[serde(default = "default_target_partitions")]
    pub target_partitions: usize,
    #[serde(default = "default_batch_rows")]
    pub batch_rows: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            memory_limit_mb: default_memory_limit_mb(),
            spill_dir: String::new(),
            target_partitions: default_target_partitions(),
            batch_rows: default_batch_rows(),
        }
    }
}

fn default_memory_limit_mb() -> usize {
    2048
}
fn default_target_partitions() -> usize {
    2
}
fn default_batch_rows() -> usize {
    8192
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformConfig {
    /// Folder of the transform SQL files, relative to the pipeline file.
    #[serde(default = "default_sql_dir")]
    pub sql_dir: String,
    /// Data tests on the staged tables, run at the end of ingest.
    #[serde(default = "default_staged_tests")]
    pub staged_tests: String,
    /// Data tests on the transform's tables, run before they are written.
    #[serde(default = "default_transform_tests")]
    pub tests: String,
}

impl Default for TransformConfig {
    fn default() -> Self {
        Self {
            sql_dir: default_sql_dir(),
            staged_tests: default_staged_tests(),
            tests: default_transform_tests(),
        }
    }
}

fn default_staged_tests() -> String {
    "../sql/staged/tests.toml".into()
}

fn default_transform_tests() -> String {
    "../sql/transform/tests.toml".into()
}

fn default_sql_dir() -> String {
    "../sql/transform".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishConfig {
    #[serde(default = "default_tables")]
    pub tables: Vec<String>,
}

/// `[report]`: the rendered performance summary (docs/report.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Write `report.html` (internal readers).
    #[serde(default = "yes")]
    pub html: bool,
    /// Write `report.json` (the same content as data).
    #[serde(default = "yes")]
    pub json: bool,
    /// The page template (minijinja), relative to the pipeline file.
    #[serde(default = "default_report_template")]
    pub template: String,
    /// The commentary sentences (TOML of minijinja templates).
    #[serde(default = "default_commentary")]
    pub commentary: String,
    #[serde(default)]
    pub public: PublicConfig,
}

impl Default for ReportConfig {
    fn default() -> Self {
        Self {
            html: true,
            json: true,
            template: default_report_template(),
            commentary: default_commentary(),
            public: PublicConfig::default(),
        }
    }
}

/// `[report.public]`: the variant safe to share, with small-number
/// suppression (docs/suppression.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicConfig {
    /// Write `public/report-public.html` and the public tables.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Counts from 1 to this are suppressed.
    #[serde(default = "default_threshold")]
    pub threshold: i64,
    /// What a suppressed cell shows.
    #[serde(default = "default_marker")]
    pub marker: String,
    /// Headline indicators that are totals of published breakdowns: shown
    /// as they are, like breakdown totals. Other headline counts are
    /// suppressed when small.
    #[serde(default = "default_public_totals")]
    pub totals: Vec<String>,
    /// Public Parquet tables written under `public/` of the run.
    #[serde(default = "default_public_tables")]
    pub tables: Vec<String>,
}

impl Default for PublicConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: default_threshold(),
            marker: default_marker(),
            totals: default_public_totals(),
            tables: default_public_tables(),
        }
    }
}

fn yes() -> bool {
    true
}
fn default_report_template() -> String {
    "report/report.html.j2".into()
}
fn default_commentary() -> String {
    "report/commentary.toml".into()
}
fn default_threshold() -> i64 {
    4
}
fn default_marker() -> String {
    "c".into()
}
fn default_public_totals() -> Vec<String> {
    vec!["1a".into(), "6".into(), "7".into()]
}
fn default_public_tables() -> Vec<String> {
    vec!["performance_summary".into(), "quarterly_tables".into()]
}

impl Default for PublishConfig {
    fn default() -> Self {
        Self {
            tables: default_tables(),
        }
    }
}

fn default_tables() -> Vec<String> {
    vec![
        "indicator_values".into(),
        "performance_summary".into(),
        "quarterly_tables".into(),
    ]
}

/// One category of a code set, in report order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// What the staged table holds; defaults to the label.
    pub code: Option<String>,
    pub label: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub fallback: bool,
}

impl Category {
    pub fn code(&self) -> &str {
        self.code.as_deref().unwrap_or(&self.label)
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum Polarity {
    High,
    Low,
    Info,
}

impl Polarity {
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::High => "High",
            Polarity::Low => "Low",
            Polarity::Info => "Info",
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ToleranceKind {
    #[default]
    Absolute,
    Percent,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum RagBasis {
    #[default]
    Month,
    Quarter,
    YearToDate,
}

impl RagBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            RagBasis::Month => "month",
            RagBasis::Quarter => "quarter",
            RagBasis::YearToDate => "year_to_date",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorConfig {
    pub id: String,
    pub title: String,
    pub polarity: Polarity,
    #[serde(default = "default_unit")]
    pub unit: String,
    #[serde(default)]
    pub data_note: String,
    pub target: Option<f64>,
    pub tolerance: Option<f64>,
    #[serde(default)]
    pub tolerance_kind: ToleranceKind,
    #[serde(default)]
    pub rag_basis: RagBasis,
}

fn default_unit() -> String {
    "Number".into()
}

impl PipelineConfig {
    /// Reads and validates a pipeline file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: path.display().to_string(),
            message: format!("cannot read the file: {e}"),
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let config_error = |message: String| Error::Config {
            path: path.display().to_string(),
            message,
        };
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| config_error(e.to_string()))?;
        let includes: Vec<String> = match table.get("include") {
            Some(value) => value
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| config_error(format!("include: {e}")))?,
            None => Vec::new(),
        };
        let base = path.parent().unwrap_or(Path::new(""));
        for include in &includes {
            let included_path = base.join(include);
            let included_text =
                std::fs::read_to_string(&included_path).map_err(|e| Error::Config {
                    path: included_path.display().to_string(),
                    message: format!("cannot read the included file: {e}"),
                })?;
            let included: toml::Table =
                toml::from_str(&included_text).map_err(|e| Error::Config {
                    path: included_path.display().to_string(),
                    message: e.to_string(),
                })?;
            merge_under(&mut table, included);
        }
        let mut config: PipelineConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| config_error(e.to_string()))?;
        config.base_dir = base.to_path_buf();
        config.validate().map_err(|message| Error::Config {
            path: path.display().to_string(),
            message,
        })?;
        Ok(config)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        for column in self.source.columns.keys() {
            if !CANONICAL_COLUMNS.contains(&column.as_str()) {
                return Err(format!(
                    "[source.columns] names `{column}`, which is not a canonical column (expected one of: {})",
                    CANONICAL_COLUMNS.join(", ")
                ));
            }
        }
        for column in REQUIRED_COLUMNS {
            if !self.source.columns.contains_key(*column) {
                return Err(format!(
                    "[source.columns] has no header names for the required column `{column}`"
                ));
            }
        }
        if !matches!(self.source.format.as_str(), "auto" | "csv" | "xlsx") {
            return Err(format!(
                "[source] format `{}` is not one of auto, csv, xlsx",
                self.source.format
            ));
        }
        if !matches!(
            self.source.encoding.as_str(),
            "auto" | "utf-8" | "windows-1252"
        ) {
            return Err(format!(
                "[source] encoding `{}` is not one of auto, utf-8, windows-1252",
                self.source.encoding
            ));
        }
        if self.source.header_row == 0 {
            return Err("[source] header_row counts from 1".into());
        }
        for (kind, patterns, known) in [
            (
                "column_patterns",
                &self.source.column_patterns,
                CANONICAL_COLUMNS,
            ),
            (
                "value_patterns",
                &self.source.value_patterns,
                SOURCE_CODESETS,
            ),
        ] {
            for (name, list) in patterns {
                if !known.contains(&name.as_str()) {
                    return Err(format!(
                        "[source.{kind}] names `{name}`, which is not one of: {}",
                        known.join(", ")
                    ));
                }
                for pattern in list {
                    regex::Regex::new(pattern).map_err(|e| {
                        format!("[source.{kind}] {name}: `{pattern}` is not a valid regular expression: {e}")
                    })?;
                }
            }
        }
        if !(0.0..=1.0).contains(&self.quality.max_quarantine_share) {
            return Err("[quality] max_quarantine_share is a share between 0 and 1".into());
        }
        if self.source.delimiter.len() != 1 {
            return Err("[source] delimiter must be a single byte, such as \",\"".into());
        }
        for name in SOURCE_CODESETS.iter().chain(DERIVED_CODESETS) {
            let Some(categories) = self.codesets.get(*name) else {
                return Err(format!("[codesets] has no `{name}` code set"));
            };
            if categories.is_empty() {
                return Err(format!("code set `{name}` has no categories"));
            }
            let fallbacks = categories.iter().filter(|c| c.fallback).count();
            let needs_fallback = *name != "open_to" && *name != "time_open";
            if needs_fallback && fallbacks != 1 {
                return Err(format!(
                    "code set `{name}` needs exactly one category with `fallback = true` (has {fallbacks})"
                ));
            }
            let mut seen = HashSet::new();
            for category in categories {
                if !seen.insert(category.code().to_string()) {
                    return Err(format!(
                        "code set `{name}` repeats the code `{}`",
                        category.code()
                    ));
                }
            }
        }
        let mut ids = HashSet::new();
        for indicator in &self.indicators {
            if !ids.insert(indicator.id.clone()) {
                return Err(format!("indicator `{}` is listed twice", indicator.id));
            }
            if indicator.target.is_some() && indicator.polarity == Polarity::Info {
                return Err(format!(
                    "indicator `{}` has a target but polarity Info: Info indicators have no RAG",
                    indicator.id
                ));
            }
            if indicator.tolerance.is_some_and(|t| t < 0.0) {
                return Err(format!(
                    "indicator `{}` has a negative tolerance",
                    indicator.id
                ));
            }
        }
        Ok(())
    }

    /// A path of the pipeline file, resolved from the file's folder.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let path = Path::new(path);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// The code set's categories (empty when not configured).
    pub fn codeset(&self, name: &str) -> &[Category] {
        self.codesets.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Adds `included` under `table`: keys already in `table` win; tables present
/// in both are merged the same way.
fn merge_under(table: &mut toml::Table, included: toml::Table) {
    for (key, value) in included {
        match (table.get_mut(&key), value) {
            (Some(toml::Value::Table(mine)), toml::Value::Table(theirs)) => {
                merge_under(mine, theirs)
            }
            (Some(_), _) => {}
            (None, value) => {
                table.insert(key, value);
            }
        }
    }
}
