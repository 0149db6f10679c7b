//! Shared helpers for the integration tests: hand-made extracts and a runner
//! that takes them through ingest, transform and publish into a temporary
//! warehouse, then reads the published tables back.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cme::calendar::Period;
use cme::config::PipelineConfig;
use cme::ingest::{IngestOptions, IngestReport};
use cme::publish::manifest::Manifest;
use cme::transform::TransformOptions;
use cme::warehouse::Warehouse;
use datafusion::arrow::array::{Array, Float64Array, Int64Array, StringArray};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

pub const TEST_KEY: &str = "integration-test-pseudonym-key-0001";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped pipeline configuration with a test key.
pub fn config() -> PipelineConfig {
    let mut config =
        PipelineConfig::load(&repo().join("pipelines/cme.toml")).expect("pipeline loads");
    config.pseudonym.key = Some(TEST_KEY.into());
    config.pseudonym.key_env = "CME_TEST_KEY_NOT_SET".into();
    config
}

/// The `cme` binary run from the repository on `warehouse`, with `key` as
/// the pseudonym key and none of the user's own CME_* settings.
pub fn cme_command(key: &str, warehouse: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cme"));
    cmd.current_dir(repo())
        .env("CME_PSEUDONYM_KEY", key)
        .env_remove("CME_WAREHOUSE")
        .env_remove("CME_PIPELINE")
        .env_remove("CME_LOG")
        .env_remove("CME_LOCK_TTL_SECS")
        .args(args)
        .args(["--warehouse", warehouse.to_str().unwrap()]);
    cmd
}

/// `cme run` of the bundled sample for `period`, extract of 2018-07-02, as
/// `make run` does for June: its output (the caller checks it).
pub fn run_sample(key: &str, warehouse: &Path, period: &str) -> std::process::Output {
    cme_command(
        key,
        warehouse,
        &[
            "run",
            "--period",
            period,
            "--input",
            "data/sample/cme-extract-sample.csv",
            "--extract-date",
            "2018-07-02",
        ],
    )
    .output()
    .expect("cme runs")
}

/// Everything a command printed, stdout then stderr.
pub fn printed(output: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// One extract row; unset fields are empty.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub fields: Vec<(&'static str, String)>,
}

pub const HEADER: &[&str] = &[
    "episode_id",
    "child_id",
    "family_id",
    "forename",
    "surname",
    "date_of_birth",
    "sex",
    "ethnicity",
    "address",
    "postcode",
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

/// An episode of `child` referred on `referral` (ISO date).
pub fn ep(episode: &str, child: &str, referral: &str) -> Row {
    Row::default()
        .set("episode_id", episode)
        .set("child_id", child)
        .set("referral_date", referral)
}

impl Row {
    pub fn set(mut self, column: &'static str, value: &str) -> Self {
        self.fields.retain(|(c, _)| *c != column);
        self.fields.push((column, value.to_string()));
        self
    }
    pub fn closed(self, date: &str) -> Self {
        self.set("closure_date", date)
    }
    pub fn get(&self, column: &str) -> &str {
        self.fields
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// Writes rows as a canonical CSV extract.
pub fn write_csv(path: &Path, rows: &[Row]) {
    let mut writer = csv::Writer::from_path(path).expect("create csv");
    writer.write_record(HEADER).unwrap();
    for row in rows {
        writer
            .write_record(HEADER.iter().map(|h| row.get(h)))
            .unwrap();
    }
    writer.flush().unwrap();
}

pub struct Run {
    pub dir: tempfile::TempDir,
    pub warehouse: Warehouse,
    pub ingest: IngestReport,
    pub manifest: Manifest,
    pub ctx: SessionContext,
}

/// Ingest, transform and publish `rows` for `period` (extract taken on
/// `extract_date`), then register the published tables for queries.
pub async fn run_with(
    config: PipelineConfig,
    rows: &[Row],
    period: &str,
    extract_date: &str,
) -> cme::Result<Run> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("extract.csv");
    write_csv(&input, rows);
    run_file(config, dir, &input, period, extract_date).await
}

pub async fn run(rows: &[Row], period: &str) -> Run {
    let end = Period::parse(period).unwrap().last_day();
    let extract = (end + chrono::Days::new(2)).to_string();
    run_with(config(), rows, period, &extract)
        .await
        .expect("pipeline run")
}

pub async fn run_file(
    config: PipelineConfig,
    dir: tempfile::TempDir,
    input: &Path,
    period: &str,
    extract_date: &str,
) -> cme::Result<Run> {
    let warehouse = Warehouse::open(dir.path().join("warehouse").to_str().unwrap())?;
    let period = Period::parse(period)?;
    let ingest = cme::ingest::ingest(
        &config,
        &warehouse,
        &IngestOptions {
            input: input.to_path_buf(),
            extract_date: Some(date(extract_date)),
        },
    )
    .await?;
    cme::transform::transform(
        &config,
        &warehouse,
        &TransformOptions {
            period,
            as_of: None,
            sql_dir: repo().join("sql/transform"),
        },
    )
    .await?;
    let manifest = cme::publish::publish(&config, &warehouse, period, "test-run").await?;
    // Read strings as plain Utf8, as a BI tool sees them.
    let ctx = cme::transform::session::local_session();
    for output in &manifest.outputs {
        let path = dir.path().join("warehouse").join(&output.object);
        ctx.register_parquet(&output.table, path.to_str().unwrap(), Default::default())
            .await
            .expect("register published table");
    }
    Ok(Run {
        dir,
        warehouse,
        ingest,
        manifest,
        ctx,
    })
}

/// A SQL string literal.
fn lit(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Run {
    pub async fn query(&self, sql: &str) -> Vec<RecordBatch> {
        self.ctx
            .sql(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The single value of a one-row, one-column query (None for SQL NULL).
    pub async fn scalar_i64(&self, sql: &str) -> Option<i64> {
        let batches = self.query(sql).await;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 1, "expected one row from {sql}");
        let batch = batches.iter().find(|b| b.num_rows() > 0).unwrap();
        let column = batch.column(0);
        if column.is_null(0) {
            return None;
        }
        Some(
            column
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap_or_else(|| panic!("{sql}: not BIGINT but {}", column.data_type()))
                .value(0),
        )
    }

    pub async fn scalar_f64(&self, sql: &str) -> Option<f64> {
        let batches = self.query(sql).await;
        let batch = batches.iter().find(|b| b.num_rows() > 0).expect("a row");
        let column = batch.column(0);
        if column.is_null(0) {
            return None;
        }
        Some(
            column
                .as_any()
                .downcast_ref::<Float64Array>()
                .expect("DOUBLE")
                .value(0),
        )
    }

    pub async fn scalar_str(&self, sql: &str) -> Option<String> {
        let batches = self.query(sql).await;
        let batch = batches.iter().find(|b| b.num_rows() > 0).expect("a row");
        let column = batch.column(0);
        if column.is_null(0) {
            return None;
        }
        Some(
            column
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("Utf8")
                .value(0)
                .to_string(),
        )
    }

    /// indicator_values.value for one indicator, category label and period id.
    pub async fn value(&self, indicator: &str, category: &str, period: &str) -> Option<i64> {
        self.scalar_i64(&format!(
            "SELECT value FROM indicator_values WHERE indicator_id = {} \
             AND category = {} AND period = {}",
            lit(indicator),
            lit(category),
            lit(period)
        ))
        .await
    }

    pub async fn percent(&self, indicator: &str, category: &str, period: &str) -> Option<f64> {
        self.scalar_f64(&format!(
            "SELECT percent FROM indicator_values WHERE indicator_id = {} \
             AND category = {} AND period = {}",
            lit(indicator),
            lit(category),
            lit(period)
        ))
        .await
    }

    /// A text column of performance_summary for one indicator and category.
    pub async fn summary_str(
        &self,
        column: &str,
        indicator: &str,
        category: &str,
    ) -> Option<String> {
        self.scalar_str(&format!(
            "SELECT {column} FROM performance_summary WHERE indicator_id = {} AND category = {}",
            lit(indicator),
            lit(category)
        ))
        .await
    }

    pub async fn summary_i64(&self, column: &str, indicator: &str, category: &str) -> Option<i64> {
        self.scalar_i64(&format!(
            "SELECT {column} FROM performance_summary WHERE indicator_id = {} AND category = {}",
            lit(indicator),
            lit(category)
        ))
        .await
    }

    pub async fn quarterly(&self, column: &str, table: &str, category: &str) -> Option<i64> {
        self.scalar_i64(&format!(
            "SELECT {column} FROM quarterly_tables WHERE table_id = {} AND category = {}",
            lit(table),
            lit(category)
        ))
        .await
    }
}
