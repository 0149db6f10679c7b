//! Publish stage: the transform's tables -> `runs/<period>/<run id>/` with a
//! manifest, then the period's `latest.json` pointer.
//!
//! Every table is checked to carry only types BI tools read (plain UTF-8
//! strings, DATE, no nanosecond timestamps) before anything is copied; the
//! manifest is written after all tables, and the pointer after the manifest,
//! so a reader that starts from the pointer never sees a partial run.

pub mod manifest;

use std::time::Instant;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::calendar::Period;
use crate::config::PipelineConfig;
use crate::error::{Error, Result};
use crate::ingest::IngestReport;
use crate::transform::{TransformReport, work_prefix};
use crate::warehouse::Warehouse;
use manifest::{InputFile, Manifest, OutputFile, StageSeconds, Tool};

pub fn run_prefix(period: Period, run_id: &str) -> String {
    format!("runs/{period}/{run_id}")
}

pub fn latest_pointer(period: Period) -> String {
    format!("runs/{period}/latest.json")
}

/// `runs/<period>/latest.json`: names the newest complete run of a period.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LatestPointer {
    pub run_id: String,
    pub manifest: String,
}

/// A new run id: UTC time to the second plus a few random hex digits.
pub fn new_run_id() -> String {
    let now = chrono::Utc::now();
    let noise = now.timestamp_subsec_nanos() ^ std::process::id().rotate_left(16);
    format!("{}-{:06x}", now.format("%Y%m%dT%H%M%SZ"), noise & 0xff_ffff)
}

pub async fn publish(
    config: &PipelineConfig,
    warehouse: &Warehouse,
    period: Period,
    run_id: &str,
) -> Result<Manifest> {
    let started = Instant::now();
    let work = work_prefix(period);
    let transform: TransformReport = read_json(warehouse, &format!("{work}/_transform.json"))
        .await?
        .ok_or_else(|| {
            Error::Input(format!(
                "nothing to publish for {period}: run `cme transform --period {period}` first"
            ))
        })?;
    let ingest: Option<IngestReport> = transform.ingest.clone();

    let ctx = crate::transform::session::session(&config.engine, warehouse)?;
    for table in &transform.tables {
        check_bi_types(&ctx, warehouse, &table.name, &table.object).await?;
    }

    let prefix = run_prefix(period, run_id);
    let mut sources: Vec<(String, String, u64)> = transform
        .tables
        .iter()
        .map(|t| (t.name.clone(), t.object.clone(), t.rows))
        .collect();
    // The quarantine of the extract used goes out with the run: it holds no
    // personal data, and the people who fix the source need it.
    if let Some(ingest) = &ingest {
        if !ingest.quarantine_object.is_empty() {
            sources.push((
                "quarantine".into(),
                ingest.quarantine_object.clone(),
                ingest.rows_quarantined,
            ));
        }
    }
    let mut outputs = Vec::new();
    for (name, source, rows) in &sources {
        let bytes = warehouse.get(source).await?;
        let object = format!("{prefix}/{name}.parquet");
        let sha256 = hex::encode(Sha256::digest(&bytes));
        warehouse.put(&object, bytes).await?;
        outputs.push(OutputFile {
            table: name.clone(),
            object,
            rows: *rows,
            sha256,
        });
    }

    let manifest = Manifest {
        run_id: run_id.to_string(),
        tool: Tool::current(),
        pipeline: config.pipeline.name.clone(),
        reporting_period: period.to_string(),
        period_end: period.last_day(),
        extract_date: transform.extract_date,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        inputs: ingest
            .iter()
            .map(|i| InputFile {
                file: i.file.clone(),
                sha256: i.sha256.clone(),
                bytes: i.bytes,
                encoding: i.encoding.clone(),
                sheet: i.sheet.clone(),
                extract_date: i.extract_date,
                extract_date_source: i.extract_date_source.clone(),
                rows_read: i.rows_read,
                rows_staged: i.rows_staged,
                rows_quarantined: i.rows_quarantined,
                exact_duplicates: i.exact_duplicates,
                quarantine_by_reason: i.quarantine_by_reason.clone(),
                unmapped_rows: i
                    .unmapped_values
                    .iter()
                    .map(|(column, values)| (column.clone(), values.values().sum()))
                    .collect(),
            })
            .collect(),
        outputs,
        checks_passed: transform.checks_passed.clone(),
        data_tests: ingest
            .iter()
            .flat_map(|i| i.data_tests.iter().cloned())
            .chain(transform.data_tests.iter().cloned())
            .collect(),
        stage_seconds: StageSeconds {
            ingest: ingest.as_ref().map(|i| i.seconds).unwrap_or(0.0),
            transform: transform.seconds,
            publish: started.elapsed().as_secs_f64(),
        },
    };
    let manifest_object = format!("{prefix}/manifest.json");
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::internal("manifest", e))?;
    warehouse.put(&manifest_object, json.into()).await?;
    let pointer = LatestPointer {
        run_id: run_id.to_string(),
        manifest: manifest_object,
    };
    let json = serde_json::to_vec_pretty(&pointer).map_err(|e| Error::internal("pointer", e))?;
    warehouse.put(&latest_pointer(period), json.into()).await?;
    tracing::info!(run_id, period = %period, "published");
    Ok(manifest)
}

async fn read_json<T: serde::de::DeserializeOwned>(
    warehouse: &Warehouse,
    object: &str,
) -> Result<Option<T>> {
    match warehouse.get_opt(object).await? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Internal(format!("{}: {e}", warehouse.describe(object)))),
    }
}

/// Refuses a table whose schema a BI tool may not read.
async fn check_bi_types(
    ctx: &SessionContext,
    warehouse: &Warehouse,
    name: &str,
    object: &str,
) -> Result<()> {
    let df = ctx
        .read_parquet(warehouse.url(object), Default::default())
        .await
        .map_err(|e| crate::transform::classify(e, "read", &warehouse.describe(object)))?;
    for field in df.schema().fields() {
        let bad = match field.data_type() {
            DataType::Utf8View | DataType::LargeUtf8 | DataType::BinaryView => true,
            DataType::Timestamp(unit, _) => *unit == TimeUnit::Nanosecond,
            DataType::Date64 => true,
            _ => false,
        };
        if bad {
            return Err(Error::Internal(format!(
                "table {name}: column {} has type {} that BI tools may not read",
                field.name(),
                field.data_type()
            )));
        }
    }
    Ok(())
}
