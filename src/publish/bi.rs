//! The BI dataset: `bi/<table>/report_month=YYYY-MM/<table>.parquet`.
//!
//! BI tools cannot follow `current.json`, so after a run commits, each of
//! its tables is copied to a fixed path per table and month. The folder
//! `bi/<table>/` is then a Hive-partitioned history (one partition per
//! reporting month, each holding that month's current run), and a rerun
//! replaces the month's file rather than adding one, so nothing is counted
//! twice. Each file is replaced in one put, so a reader sees the old or the
//! new file, never a part. The partition key is `report_month`, not
//! `period`: `indicator_values` already has a `period` column, and a
//! partition key that repeats a column confuses readers. docs/bi.md.

use crate::calendar::Period;
use crate::error::Result;
use crate::publish::manifest::OutputFile;
use crate::warehouse::Warehouse;

pub const BI_PREFIX: &str = "bi";
pub const PARTITION_KEY: &str = "report_month";

pub fn bi_object(table: &str, period: Period) -> String {
    format!("{BI_PREFIX}/{table}/{PARTITION_KEY}={period}/{table}.parquet")
}

/// Copies a committed run's tables into the BI dataset.
pub async fn refresh(warehouse: &Warehouse, period: Period, outputs: &[OutputFile]) -> Result<()> {
    for output in outputs {
        let bytes = warehouse.get(&output.object).await?;
        warehouse
            .put(&bi_object(&output.table, period), bytes)
            .await?;
    }
    Ok(())
}
