//! Publish stage: the transform's tables -> `runs/<period>/<run id>/` with a
//! manifest, then the period's `current.json` pointer, then the BI copies.
//!
//! Every table is checked to carry only types BI tools read (plain UTF-8
//! strings, DATE, no nanosecond timestamps) before anything is copied; the
//! manifest is written after all tables, and the pointer moves (a
//! conditional put) after the manifest, so a reader that starts from the
//! pointer never sees a partial run. A run that fails before the pointer
//! moves leaves the period's committed run as it was, says so, and removes
//! what it wrote if the store still answers.

pub mod bi;
pub mod manifest;
pub mod pointer;

use std::time::Instant;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::prelude::SessionContext;
use sha2::{Digest, Sha256};

use crate::calendar::Period;
use crate::config::PipelineConfig;
use crate::error::{Error, Result};
use crate::transform::{TransformReport, work_prefix};
use crate::warehouse::Warehouse;
use manifest::{InputFile, Manifest, OutputFile, ReportFile, StageSeconds, Tool};

pub fn run_prefix(period: Period, run_id: &str) -> String {
    format!("runs/{period}/{run_id}")
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
    let ctx = crate::transform::session::session(&config.engine, warehouse)?;
    for table in &transform.tables {
        check_bi_types(&ctx, warehouse, &table.name, &table.object).await?;
    }

    // The version read now is the one the commit must replace: a run that
    // commits this period meanwhile makes our commit fail, not vanish.
    let before = pointer::read(warehouse, period).await?;
    let untouched = match &before {
        Some((p, _)) => format!(
            "nothing was committed: {} still names run {}, untouched",
            pointer::current_pointer(period),
            p.run_id
        ),
        None => format!("nothing was committed: {period} has no published run"),
    };
    let prefix = run_prefix(period, run_id);
    let written = write_run(config, warehouse, period, run_id, &transform, started).await;
    let manifest = match written {
        Ok(manifest) => manifest,
        Err(e) => {
            discard(warehouse, &prefix).await;
            return Err(e.with_note(&untouched));
        }
    };
    let manifest_object = format!("{prefix}/manifest.json");
    if let Err(e) =
        pointer::commit(warehouse, period, run_id, &manifest_object, before.as_ref()).await
    {
        if matches!(e, Error::Busy(_)) {
            // Another run won: its files must stay, ours go.
            discard(warehouse, &prefix).await;
            return Err(e);
        }
        // The pointer write itself failed: it may or may not have landed,
        // so our files stay and the message says how to check.
        return Err(e.with_note(&format!(
            "the commit of run {run_id} did not complete: read {} to see which run {period} has",
            pointer::current_pointer(period)
        )));
    }
    tracing::info!(run_id, period = %period, "committed");
    bi::refresh(warehouse, period, &manifest.outputs)
        .await
        .map_err(|e| {
            e.with_note(&format!(
                "run {run_id} is committed for {period}, but some of its BI copies under {}/ were not refreshed: run `cme publish --period {period}` again",
                bi::BI_PREFIX
            ))
        })?;
    tracing::info!(run_id, period = %period, "published");
    Ok(manifest)
}

/// Renders the report (internal and public) from the run's tables and
/// writes it, with the public tables, into the run folder.
async fn write_reports(
    config: &PipelineConfig,
    warehouse: &Warehouse,
    prefix: &str,
    run_id: &str,
    transform: &TransformReport,
    outputs: &mut Vec<OutputFile>,
) -> Result<Vec<ReportFile>> {
    use crate::report::model::{RunFacts, Variant};
    let settings = &config.report;
    if !settings.html && !settings.json && !settings.public.enabled {
        return Ok(Vec::new());
    }
    let ctx = crate::transform::session::session(&config.engine, warehouse)?;
    for needed in ["performance_summary", "quarterly_tables", "monthly_series"] {
        let table = transform.tables.iter().find(|t| t.name == needed).ok_or_else(|| {
            Error::Config {
                path: "[publish] tables".into(),
                message: format!("the report needs the table `{needed}`; add it, or turn the report off in [report]"),
            }
        })?;
        crate::transform::register_parquet(&ctx, warehouse, needed, &table.object).await?;
    }
    let tables = crate::report::tables::ReportTables::read(&ctx).await?;
    let facts = RunFacts {
        service: config.pipeline.service.clone(),
        run_id: run_id.to_string(),
        run_date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        extract_date: transform.extract_date.to_string(),
    };
    let template = config.resolve(&settings.template);
    let mut files: Vec<(String, bytes::Bytes)> = Vec::new();
    if settings.html || settings.json {
        let report = crate::report::build(config, &tables, &facts, Variant::Internal)?;
        if settings.html {
            let html = crate::report::render_html(&report, &template)?;
            files.push(("report.html".into(), html.into()));
        }
        if settings.json {
            files.push((
                "report.json".into(),
                crate::report::to_json(&report)?.into(),
            ));
        }
    }
    if settings.public.enabled {
        let report = crate::report::build(config, &tables, &facts, Variant::Public)?;
        let html = crate::report::render_html(&report, &template)?;
        files.push(("public/report-public.html".into(), html.into()));
        files.push((
            "public/report-public.json".into(),
            crate::report::to_json(&report)?.into(),
        ));
        for table in &settings.public.tables {
            let (bytes, rows) = match table.as_str() {
                "performance_summary" => {
                    crate::report::public_tables::performance_summary(&report)?
                }
                "quarterly_tables" => crate::report::public_tables::quarterly_tables(&report)?,
                other => {
                    return Err(Error::Config {
                        path: "[report.public] tables".into(),
                        message: format!(
                            "`{other}` has no public version (performance_summary, quarterly_tables)"
                        ),
                    });
                }
            };
            let name = format!("public_{table}");
            let object = format!("{prefix}/public/{name}.parquet");
            let sha256 = hex::encode(Sha256::digest(&bytes));
            warehouse.put(&object, bytes).await?;
            outputs.push(OutputFile {
                table: name,
                object,
                rows,
                sha256,
            });
        }
    }
    let mut reports = Vec::new();
    for (name, bytes) in files {
        let object = format!("{prefix}/{name}");
        let sha256 = hex::encode(Sha256::digest(&bytes));
        warehouse.put(&object, bytes).await?;
        reports.push(ReportFile {
            name,
            object,
            sha256,
        });
    }
    Ok(reports)
}

/// Removes an uncommitted run's files, if the store lets us; a folder left
/// behind has no pointer to it, so no reader that follows pointers sees it.
async fn discard(warehouse: &Warehouse, prefix: &str) {
    if let Err(e) = warehouse.delete_prefix(prefix).await {
        tracing::warn!(error = %e, "could not remove the uncommitted run folder {prefix}/; it is not referenced and can be deleted");
    }
}

/// Writes a run's tables and then its manifest under `runs/<period>/<run id>/`.
async fn write_run(
    config: &PipelineConfig,
    warehouse: &Warehouse,
    period: Period,
    run_id: &str,
    transform: &TransformReport,
    started: Instant,
) -> Result<Manifest> {
    let ingest = transform.ingest.clone();
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
    let reports =
        write_reports(config, warehouse, &prefix, run_id, transform, &mut outputs).await?;

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
        reports,
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
