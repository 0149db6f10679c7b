//! Transform stage: staged episodes -> indicator tables, by the SQL files
//! under `sql/transform/`.
//!
//! Rust only registers tables and runs the files; every counting rule is in
//! the SQL. Tables are registered from Parquet files (listing tables) and the
//! intermediate steps are views, so nothing here depends on one machine's
//! memory and the same SQL can run on Ballista.

pub mod reference;
pub mod runner;
pub mod session;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use datafusion::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::file_format::options::ParquetReadOptions;
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::calendar::Period;
use crate::config::PipelineConfig;
use crate::error::{Error, Result};
use crate::ingest::STAGED_EPISODES;
use crate::warehouse::Warehouse;

#[derive(Debug, Clone)]
pub struct TransformOptions {
    pub period: Period,
    /// Use the newest extract taken on or before this date (default: newest).
    pub as_of: Option<NaiveDate>,
    /// Folder of the transform SQL files.
    pub sql_dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableReport {
    pub name: String,
    pub object: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransformReport {
    pub reporting_period: String,
    pub period_end: NaiveDate,
    pub extract_date: NaiveDate,
    pub staged_object: String,
    pub sql_files: Vec<String>,
    pub statements: usize,
    pub checks_passed: Vec<String>,
    #[serde(default)]
    pub data_tests: Vec<crate::datatests::TestResult>,
    pub tables: Vec<TableReport>,
    pub seconds: f64,
    /// The ingest report of the extract used, so publish describes the
    /// input this transform really read even if the extract was re-staged
    /// since.
    pub ingest: Option<crate::ingest::IngestReport>,
}

pub fn work_prefix(period: Period) -> String {
    format!("work/{period}")
}

/// The staged extracts in the warehouse, oldest first.
pub async fn staged_extract_dates(warehouse: &Warehouse) -> Result<Vec<NaiveDate>> {
    let mut dates: Vec<NaiveDate> = warehouse
        .list(STAGED_EPISODES)
        .await?
        .iter()
        .filter(|p| p.ends_with("/episodes.parquet"))
        .filter_map(|p| {
            p.split('/')
                .find_map(|part| part.strip_prefix("extract_date="))
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        })
        .collect();
    dates.sort();
    dates.dedup();
    Ok(dates)
}

/// Picks the extract a report uses: the newest, or the newest on or before
/// `as_of`, so a past report can be re-run as the data stood then.
pub async fn choose_extract(warehouse: &Warehouse, as_of: Option<NaiveDate>) -> Result<NaiveDate> {
    let dates = staged_extract_dates(warehouse).await?;
    let chosen = match as_of {
        Some(limit) => dates.iter().rev().find(|d| **d <= limit).copied(),
        None => dates.last().copied(),
    };
    chosen.ok_or_else(|| match as_of {
        Some(limit) if !dates.is_empty() => Error::Input(format!(
            "no staged extract on or before {limit} in {} (staged extracts: {})",
            warehouse.describe(STAGED_EPISODES),
            dates
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => Error::Input(format!(
            "no staged extract in {}: run `cme ingest` (or `cme run`) first",
            warehouse.describe(STAGED_EPISODES)
        )),
    })
}

/// Runs the transform SQL and writes its output tables under
/// `work/<period>/tables/`.
pub async fn transform(
    config: &PipelineConfig,
    warehouse: &Warehouse,
    options: &TransformOptions,
) -> Result<TransformReport> {
    let started = Instant::now();
    let period = options.period;
    let extract_date = choose_extract(warehouse, options.as_of).await?;
    if extract_date < period.last_day() {
        tracing::warn!(
            %extract_date,
            period_end = %period.last_day(),
            "the extract was taken before the end of the reporting month: figures cover data to the extract date only"
        );
    }
    let files = runner::load_dir(&options.sql_dir)?;
    let ctx = session::session(&config.engine, warehouse)?;
    let work = work_prefix(period);

    register_reference_tables(&ctx, config, warehouse, &work, period, extract_date).await?;
    let staged_object = format!("{STAGED_EPISODES}/extract_date={extract_date}/episodes.parquet");
    let ingest = match warehouse
        .get_opt(&format!(
            "{STAGED_EPISODES}/extract_date={extract_date}/_ingest.json"
        ))
        .await?
    {
        Some(bytes) => serde_json::from_slice::<crate::ingest::IngestReport>(&bytes)
            .ok()
            .map(|mut report| {
                // Unmapped source values stay in _ingest.json alone (they
                // could be personal); the transform report keeps counts.
                for values in report.unmapped_values.values_mut() {
                    let rows: u64 = values.values().sum();
                    *values = [("(rows; values in _ingest.json)".to_string(), rows)].into();
                }
                report
            }),
        None => None,
    };
    register_parquet(&ctx, warehouse, "episodes", &staged_object).await?;

    let progress = crate::progress::steps(
        "transform",
        (files.len() + config.publish.tables.len()) as u64,
    );
    let mut statements = 0;
    for file in &files {
        progress.set_message(file_name(&file.path));
        statements += runner::run_file(&ctx, file).await?;
        for view in file.materialize() {
            materialize(&ctx, warehouse, &work, &view).await?;
        }
        progress.inc(1);
    }

    let checks_passed = run_checks(&ctx).await?;
    let tests = crate::datatests::load(&config.resolve(&config.transform.tests))?;
    let data_tests = crate::datatests::run(&ctx, &tests, config).await?;

    let tables_prefix = format!("{work}/tables");
    warehouse.delete_prefix(&tables_prefix).await?;
    let mut tables = Vec::new();
    for name in &config.publish.tables {
        progress.set_message(name.clone());
        let object = format!("{tables_prefix}/{name}.parquet");
        let rows = write_table(&ctx, warehouse, name, &object).await?;
        tables.push(TableReport {
            name: name.clone(),
            object,
            rows,
        });
        progress.inc(1);
    }
    progress.finish_and_clear();

    let report = TransformReport {
        reporting_period: period.to_string(),
        period_end: period.last_day(),
        extract_date,
        staged_object,
        sql_files: files.iter().map(|f| file_name(&f.path)).collect(),
        statements,
        checks_passed,
        data_tests,
        tables,
        seconds: started.elapsed().as_secs_f64(),
        ingest,
    };
    let json =
        serde_json::to_vec_pretty(&report).map_err(|e| Error::internal("transform report", e))?;
    warehouse
        .put(&format!("{work}/_transform.json"), json.into())
        .await?;
    tracing::info!(period = %period, %extract_date, statements, "transform finished");
    Ok(report)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

async fn register_reference_tables(
    ctx: &SessionContext,
    config: &PipelineConfig,
    warehouse: &Warehouse,
    work: &str,
    period: Period,
    extract_date: NaiveDate,
) -> Result<()> {
    let tables = [
        ("categories", reference::categories(config)?),
        (
            "indicator_catalogue",
            reference::indicator_catalogue(config)?,
        ),
        (
            "run_params",
            reference::run_params(&period.to_string(), period.last_day(), extract_date)?,
        ),
    ];
    for (name, batch) in tables {
        let object = format!("{work}/reference/{name}.parquet");
        warehouse
            .put(&object, reference::to_parquet(&batch)?.into())
            .await?;
        register_parquet(ctx, warehouse, name, &object).await?;
    }
    Ok(())
}

/// Writes a view's rows to `work/<period>/intermediate/<view>.parquet` and
/// replaces the view by a table over that file.
async fn materialize(
    ctx: &SessionContext,
    warehouse: &Warehouse,
    work: &str,
    view: &str,
) -> Result<()> {
    let object = format!("{work}/intermediate/{view}.parquet");
    warehouse.delete_prefix(&object).await?;
    write_table(ctx, warehouse, view, &object).await?;
    ctx.deregister_table(view)
        .map_err(|e| Error::internal(format!("replace view {view}"), e))?;
    register_parquet(ctx, warehouse, view, &object).await
}

/// Registers one Parquet object of the warehouse as a table.
pub async fn register_parquet(
    ctx: &SessionContext,
    warehouse: &Warehouse,
    name: &str,
    object: &str,
) -> Result<()> {
    ctx.register_parquet(name, warehouse.url(object), ParquetReadOptions::default())
        .await
        .map_err(|e| classify(e, "register", &warehouse.describe(object)))
}

/// Runs every `check_*` view; each must return no rows.
async fn run_checks(ctx: &SessionContext) -> Result<Vec<String>> {
    let mut names: Vec<String> = ctx
        .catalog("datafusion")
        .and_then(|c| c.schema("public"))
        .map(|s| s.table_names())
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with("check_"))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for name in &names {
        let batches = ctx
            .table(name.as_str())
            .await
            .and_then(|df| Ok(df))
            .map_err(|e| Error::Internal(format!("check {name}: {e}")))?
            .collect()
            .await
            .map_err(|e| Error::Internal(format!("check {name}: {e}")))?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if rows > 0 {
            let shown = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                .map(|t| t.to_string())
                .unwrap_or_default();
            failures.push(format!("{name}: {rows} failing row(s)\n{shown}"));
        }
    }
    if failures.is_empty() {
        Ok(names)
    } else {
        Err(Error::DataQuality(failures.join("\n")))
    }
}

async fn write_table(
    ctx: &SessionContext,
    warehouse: &Warehouse,
    name: &str,
    object: &str,
) -> Result<u64> {
    let df = ctx.table(name).await.map_err(|e| {
        Error::Internal(format!(
            "output table {name} is not defined by the SQL: {e}"
        ))
    })?;
    let mut parquet = TableParquetOptions::default();
    // Snappy is read by every BI tool; zstd is not yet everywhere.
    parquet.global.compression = Some("snappy".into());
    let result = df
        .write_parquet(
            &warehouse.url(object),
            DataFrameWriteOptions::new().with_single_file_output(true),
            Some(parquet),
        )
        .await
        .map_err(|e| classify(e, "write", &warehouse.describe(object)))?;
    Ok(count_from(&result))
}

/// Row count from the one-row `count` batch DataFusion's writers return.
pub fn count_from(batches: &[datafusion::arrow::record_batch::RecordBatch]) -> u64 {
    use datafusion::arrow::array::{Array, UInt64Array};
    batches
        .iter()
        .filter_map(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<UInt64Array>()
                .map(|a| (0..a.len()).map(|i| a.value(i)).sum::<u64>())
        })
        .sum()
}

/// Object-store failures are storage errors; anything else from DataFusion
/// is a bug in the pipeline.
pub fn classify(
    error: datafusion::error::DataFusionError,
    operation: &'static str,
    path: &str,
) -> Error {
    use datafusion::error::DataFusionError;
    match error.find_root() {
        DataFusionError::ObjectStore(e) => Error::storage(operation, path, e),
        DataFusionError::IoError(e) => Error::storage(operation, path, e),
        _ => Error::Internal(format!("{operation} {path}: {error}")),
    }
}
