//! The public Parquet tables: `public_performance_summary` and
//! `public_quarterly_tables`, the public report's figures as data.
//!
//! Counts and percents are text columns, as in published official
//! statistics: the number, the suppression marker (`c`), or empty (null)
//! for a quarter not started or a percent without a denominator. Every
//! other column is as in the internal tables (docs/outputs.md).

use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;

use super::model::{Figure, Report};
use crate::error::{Error, Result};

fn text(figure: &Option<Figure>) -> Option<String> {
    figure.as_ref().map(|f| match f {
        Figure::Count(v) => v.to_string(),
        Figure::Percent(v) => format!("{v:.1}"),
        Figure::Marker(m) => m.clone(),
    })
}

struct Columns {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl Columns {
    fn new() -> Self {
        Self {
            fields: Vec::new(),
            arrays: Vec::new(),
        }
    }

    fn text(&mut self, name: &str, values: Vec<Option<String>>) {
        self.fields.push(Field::new(name, DataType::Utf8, true));
        self.arrays.push(Arc::new(StringArray::from(values)));
    }

    fn int(&mut self, name: &str, values: Vec<i64>) {
        self.fields.push(Field::new(name, DataType::Int64, false));
        self.arrays.push(Arc::new(Int64Array::from(values)));
    }

    fn parquet(self) -> Result<Bytes> {
        let schema = Arc::new(Schema::new(self.fields));
        let batch = RecordBatch::try_new(schema.clone(), self.arrays)
            .map_err(|e| Error::internal("public table", e))?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let mut buffer = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut buffer, schema, Some(properties))
            .map_err(|e| Error::internal("public table", e))?;
        writer
            .write(&batch)
            .map_err(|e| Error::internal("public table", e))?;
        writer
            .close()
            .map_err(|e| Error::internal("public table", e))?;
        Ok(Bytes::from(buffer))
    }
}

/// `public_performance_summary`: one row per (indicator_id, category).
pub fn performance_summary(report: &Report) -> Result<(Bytes, u64)> {
    let rows = &report.indicators;
    let mut c = Columns::new();
    let same = |v: &str| rows.iter().map(|_| Some(v.to_string())).collect::<Vec<_>>();
    c.text("reporting_period", same(&report.reporting_period));
    c.text(
        "indicator_id",
        rows.iter().map(|r| Some(r.indicator_id.clone())).collect(),
    );
    c.text(
        "indicator_title",
        rows.iter().map(|r| Some(r.title.clone())).collect(),
    );
    c.text(
        "breakdown",
        rows.iter().map(|r| Some(r.breakdown.clone())).collect(),
    );
    c.text(
        "category",
        rows.iter().map(|r| Some(r.category.clone())).collect(),
    );
    c.int(
        "category_order",
        rows.iter().map(|r| r.category_order).collect(),
    );
    c.text(
        "polarity",
        rows.iter().map(|r| Some(r.polarity.clone())).collect(),
    );
    c.text("month_label", same(&report.month_label));
    c.text("month_value", rows.iter().map(|r| text(&r.month)).collect());
    c.text(
        "month_percent",
        rows.iter().map(|r| text(&r.month_percent)).collect(),
    );
    c.text("dot", rows.iter().map(|r| r.dot.clone()).collect());
    c.text(
        "dot_judgement",
        rows.iter().map(|r| r.dot_judgement.clone()).collect(),
    );
    c.text("rag", rows.iter().map(|r| r.rag.clone()).collect());
    c.text("quarter_label", same(&report.quarter_label));
    c.text(
        "quarter_value",
        rows.iter().map(|r| text(&r.quarter)).collect(),
    );
    c.text("year_to_date_label", same(&report.year_to_date_label));
    c.text(
        "year_to_date_value",
        rows.iter().map(|r| text(&r.year_to_date)).collect(),
    );
    c.text("previous_fy_2_label", same(&report.previous_fy_2_label));
    c.text(
        "previous_fy_2_value",
        rows.iter().map(|r| text(&r.previous_fy_2)).collect(),
    );
    c.text("previous_fy_1_label", same(&report.previous_fy_1_label));
    c.text(
        "previous_fy_1_value",
        rows.iter().map(|r| text(&r.previous_fy_1)).collect(),
    );
    Ok((c.parquet()?, rows.len() as u64))
}

/// `public_quarterly_tables`: one row per (table_id, category).
pub fn quarterly_tables(report: &Report) -> Result<(Bytes, u64)> {
    let mut c = Columns::new();
    let lines: Vec<(&super::model::QuarterlyTable, &super::model::QuarterlyLine)> = report
        .quarterly_tables
        .iter()
        .flat_map(|t| t.rows.iter().map(move |l| (t, l)))
        .collect();
    c.text(
        "reporting_period",
        lines
            .iter()
            .map(|_| Some(report.reporting_period.clone()))
            .collect(),
    );
    c.text(
        "table_id",
        lines
            .iter()
            .map(|(t, _)| Some(t.table_id.clone()))
            .collect(),
    );
    c.text(
        "table_title",
        lines.iter().map(|(t, _)| Some(t.title.clone())).collect(),
    );
    c.text(
        "category",
        lines
            .iter()
            .map(|(_, l)| Some(l.category.clone()))
            .collect(),
    );
    c.int(
        "category_order",
        lines.iter().map(|(_, l)| l.category_order).collect(),
    );
    let names = ["q1", "q2", "q3", "q4", "total_to_date"];
    for (i, name) in names.iter().enumerate() {
        c.text(
            &format!("{name}_value"),
            lines.iter().map(|(_, l)| text(&l.values[i])).collect(),
        );
        c.text(
            &format!("{name}_percent"),
            lines.iter().map(|(_, l)| text(&l.percents[i])).collect(),
        );
    }
    Ok((c.parquet()?, lines.len() as u64))
}
