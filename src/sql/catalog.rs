//! The tables `cme sql` sees, registered by name from the warehouse.
//!
//! - every table published by the chosen run (the newest committed period
//!   by default, or `--period`, or `--run`), read through the period's
//!   `current.json` and the run's manifest;
//! - `<table>_history`: the BI dataset `bi/<table>/`, every committed month,
//!   with `report_month` as a column;
//! - `episodes`: the run's staged extract, pseudonymised (no personal
//!   columns exist in it);
//! - `categories` and `indicator_catalogue`: the pipeline's code sets and
//!   indicator catalogue, so codes in `episodes` can be given their labels.
//!
//! Nothing is copied: tables are Parquet files registered in place.

use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::file_format::options::ParquetReadOptions;
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::calendar::Period;
use crate::error::{Error, Result};
use crate::publish::manifest::Manifest;
use crate::publish::pointer;
use crate::warehouse::Warehouse;

/// Which run to open.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub period: Option<Period>,
    pub run_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableInfo {
    pub name: String,
    /// `published`, `history` or `staged`.
    pub kind: String,
    /// Location in the warehouse.
    pub location: String,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub run_id: String,
    pub period: String,
    pub tables: Vec<TableInfo>,
}

/// Periods with a committed run, oldest first.
pub async fn committed_periods(warehouse: &Warehouse) -> Result<Vec<String>> {
    let mut periods: Vec<String> = warehouse
        .list("runs")
        .await?
        .iter()
        .filter_map(|p| {
            p.strip_prefix("runs/")?
                .strip_suffix("/current.json")
                .map(str::to_string)
        })
        // Only folders named as a month: a stray copy such as
        // `runs/old-2018-06/` is not a period.
        .filter(|p| Period::parse(p).is_ok())
        .collect();
    periods.sort();
    Ok(periods)
}

/// Finds the manifest of the selected run.
async fn manifest(warehouse: &Warehouse, selection: &Selection) -> Result<(String, Manifest)> {
    let object = if let Some(run_id) = &selection.run_id {
        let found = warehouse
            .list("runs")
            .await?
            .into_iter()
            .find(|p| p.ends_with(&format!("/{run_id}/manifest.json")));
        found.ok_or_else(|| {
            Error::Input(format!(
                "no run {run_id} with a manifest in {}",
                warehouse.describe("runs")
            ))
        })?
    } else {
        let period = match selection.period {
            Some(p) => p.to_string(),
            None => committed_periods(warehouse).await?.pop().ok_or_else(|| {
                Error::Input(format!(
                    "no published run in {}: run `cme run` first",
                    warehouse.display()
                ))
            })?,
        };
        let parsed = Period::parse(&period).map_err(|e| Error::Input(e.to_string()))?;
        let (current, _) = pointer::read(warehouse, parsed).await?.ok_or_else(|| {
            Error::Input(format!(
                "no committed run for {period} in {}",
                warehouse.describe(&pointer::current_pointer(parsed))
            ))
        })?;
        current.manifest
    };
    let bytes = warehouse.get(&object).await?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        Error::storage(
            "read",
            warehouse.describe(&object),
            format!("not a valid manifest ({e})"),
        )
    })?;
    Ok((object, manifest))
}

/// Registers the selected run's tables, their history and the staged
/// episodes in `ctx`.
pub async fn open(
    ctx: &SessionContext,
    warehouse: &Warehouse,
    selection: &Selection,
) -> Result<Catalog> {
    let (_, manifest) = manifest(warehouse, selection).await?;
    let mut tables = Vec::new();
    // A table whose file is missing or damaged is left out with a warning,
    // so the others stay queryable; querying it then says it is unknown.
    let register = |name: String, object: String, kind: &'static str| async move {
        match ctx
            .register_parquet(&name, warehouse.url(&object), ParquetReadOptions::default())
            .await
        {
            Ok(()) => Some(TableInfo {
                name,
                kind: kind.into(),
                location: warehouse.describe(&object),
            }),
            Err(e) => {
                tracing::warn!(
                    table = %name,
                    error = %e.find_root(),
                    "table left out: {} cannot be read",
                    warehouse.describe(&object)
                );
                None
            }
        }
    };
    for output in &manifest.outputs {
        tables.extend(register(output.table.clone(), output.object.clone(), "published").await);
    }
    let staged = format!(
        "{}/extract_date={}/episodes.parquet",
        crate::ingest::STAGED_EPISODES,
        manifest.extract_date
    );
    if warehouse.exists(&staged).await? {
        tables.extend(register("episodes".into(), staged, "staged").await);
    }
    for output in &manifest.outputs {
        let folder = format!("{}/{}/", crate::publish::bi::BI_PREFIX, output.table);
        if warehouse.list(&folder).await?.is_empty() {
            continue;
        }
        let name = format!("{}_history", output.table);
        let options = ParquetReadOptions::default().table_partition_cols(vec![(
            crate::publish::bi::PARTITION_KEY.to_string(),
            DataType::Utf8,
        )]);
        // A damaged history file leaves that history out, as for the
        // published tables above, rather than every query failing.
        if let Err(e) = ctx
            .register_parquet(&name, warehouse.url(&folder), options)
            .await
        {
            tracing::warn!(
                table = %name,
                error = %e.find_root(),
                "table left out: {} cannot be read",
                warehouse.describe(&folder)
            );
            continue;
        }
        tables.push(TableInfo {
            name,
            kind: "history".into(),
            location: warehouse.describe(&folder),
        });
    }
    Ok(Catalog {
        run_id: manifest.run_id,
        period: manifest.reporting_period,
        tables,
    })
}

/// Registers the configuration's reference tables (`categories`,
/// `indicator_catalogue`). They are a few dozen rows built from the
/// pipeline file, so they live in memory: this is the analyst's session,
/// not the transform path that must run from files on Ballista.
pub fn register_reference(
    ctx: &SessionContext,
    config: &crate::config::PipelineConfig,
    catalog: &mut Catalog,
) -> Result<()> {
    use crate::transform::reference;
    for (name, batch) in [
        ("categories", reference::categories(config)?),
        (
            "indicator_catalogue",
            reference::indicator_catalogue(config)?,
        ),
    ] {
        ctx.register_batch(name, batch)
            .map_err(|e| Error::internal("reference table", e))?;
        catalog.tables.push(TableInfo {
            name: name.into(),
            kind: "reference".into(),
            location: format!("pipeline configuration ({})", config.pipeline.name),
        });
    }
    Ok(())
}

/// Names of the registered tables, sorted.
pub fn table_names(ctx: &SessionContext) -> Vec<String> {
    let mut names = ctx
        .catalog("datafusion")
        .and_then(|c| c.schema("public"))
        .map(|s| s.table_names())
        .unwrap_or_default();
    names.sort();
    names
}

/// Every column name of every registered table (for suggestions).
pub fn column_names(ctx: &SessionContext) -> Vec<String> {
    let Some(schema) = ctx.catalog("datafusion").and_then(|c| c.schema("public")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in schema.table_names() {
        // Registered listing tables know their schema without I/O.
        if let Ok(Some(table)) = futures::executor::block_on(schema.table(&name)) {
            out.extend(table.schema().fields().iter().map(|f| f.name().clone()));
        }
    }
    out.sort();
    out.dedup();
    out
}
