//! The published tables the report is drawn from, read back as rows.
//!
//! The report computes nothing the tables do not hold: it reads
//! `performance_summary`, `quarterly_tables` and `monthly_series` (the same
//! Parquet files the run publishes) and lays them out.

use datafusion::arrow::json::ArrayWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// One row of `performance_summary` (docs/outputs.md).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SummaryRow {
    pub reporting_period: String,
    pub indicator_id: String,
    pub indicator_title: String,
    pub breakdown: String,
    pub category: String,
    pub category_order: i64,
    pub polarity: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub data_note: Option<String>,
    pub month_label: String,
    pub month_value: Option<i64>,
    pub month_percent: Option<f64>,
    pub previous_month_value: Option<i64>,
    pub dot: Option<String>,
    pub dot_judgement: Option<String>,
    pub rag: Option<String>,
    pub target: Option<f64>,
    pub tolerance: Option<f64>,
    pub quarter_label: String,
    pub quarter_value: Option<i64>,
    pub quarter_percent: Option<f64>,
    pub previous_quarter_value: Option<i64>,
    pub year_to_date_label: String,
    pub year_to_date_value: Option<i64>,
    pub year_to_date_percent: Option<f64>,
    pub previous_fy_2_label: String,
    pub previous_fy_2_value: Option<i64>,
    pub previous_fy_1_label: String,
    pub previous_fy_1_value: Option<i64>,
}

/// One row of `quarterly_tables`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct QuarterlyRow {
    pub reporting_period: String,
    pub table_id: String,
    pub table_title: String,
    pub category: String,
    pub category_order: i64,
    pub q1_value: Option<i64>,
    pub q2_value: Option<i64>,
    pub q3_value: Option<i64>,
    pub q4_value: Option<i64>,
    pub q1_percent: Option<f64>,
    pub q2_percent: Option<f64>,
    pub q3_percent: Option<f64>,
    pub q4_percent: Option<f64>,
    pub total_to_date_value: Option<i64>,
    pub total_to_date_percent: Option<f64>,
}

impl QuarterlyRow {
    /// The `Total` row each table ends with.
    pub fn is_total(&self) -> bool {
        self.category_order == 9999
    }

    pub fn values(&self) -> [Option<i64>; 5] {
        [
            self.q1_value,
            self.q2_value,
            self.q3_value,
            self.q4_value,
            self.total_to_date_value,
        ]
    }

    pub fn percents(&self) -> [Option<f64>; 5] {
        [
            self.q1_percent,
            self.q2_percent,
            self.q3_percent,
            self.q4_percent,
            self.total_to_date_percent,
        ]
    }
}

/// One row of `monthly_series`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct MonthRow {
    pub month: String,
    pub month_label: String,
    pub new_children: i64,
    pub active_children: i64,
}

/// Everything the report reads.
#[derive(Debug, Clone)]
pub struct ReportTables {
    pub summary: Vec<SummaryRow>,
    pub quarterly: Vec<QuarterlyRow>,
    pub months: Vec<MonthRow>,
}

impl ReportTables {
    /// Reads the tables registered in `ctx` under their published names.
    pub async fn read(ctx: &SessionContext) -> Result<Self> {
        Ok(Self {
            summary: rows(
                ctx,
                "SELECT * FROM performance_summary ORDER BY \
                 CAST(regexp_replace(indicator_id, '[^0-9]', '', 'g') AS INT), indicator_id, category_order",
            )
            .await?,
            quarterly: rows(
                ctx,
                "SELECT * FROM quarterly_tables ORDER BY CAST(table_id AS INT), category_order",
            )
            .await?,
            months: rows(ctx, "SELECT * FROM monthly_series ORDER BY month_order").await?,
        })
    }

    /// The summary row of an indicator and category.
    pub fn summary_row(&self, indicator: &str, category: &str) -> Option<&SummaryRow> {
        self.summary
            .iter()
            .find(|r| r.indicator_id == indicator && r.category == category)
    }
}

/// Runs `sql` and turns each row into `T` through its JSON form (column
/// names are the field names; SQL NULL is `None`).
async fn rows<T: DeserializeOwned>(ctx: &SessionContext, sql: &str) -> Result<Vec<T>> {
    let report = |e: &dyn std::fmt::Display| Error::Internal(format!("report query `{sql}`: {e}"));
    let batches: Vec<RecordBatch> = ctx
        .sql(sql)
        .await
        .map_err(|e| report(&e))?
        .collect()
        .await
        .map_err(|e| report(&e))?;
    let mut writer = ArrayWriter::new(Vec::new());
    for batch in &batches {
        writer.write(batch).map_err(|e| report(&e))?;
    }
    writer.finish().map_err(|e| report(&e))?;
    let bytes = writer.into_inner();
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&bytes).map_err(|e| report(&e))
}
