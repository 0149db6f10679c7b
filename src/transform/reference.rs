//! Reference tables built from the pipeline configuration (code sets, the
//! indicator catalogue, the run's parameters). They are written as Parquet
//! into the warehouse and registered from there like any other table, so the
//! same SQL runs unchanged on a distributed engine.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;

use crate::config::{DERIVED_CODESETS, PipelineConfig, SOURCE_CODESETS};
use crate::error::{Error, Result};
use crate::ingest::values::date32;

/// `categories`: codeset, code, label, sort_order, is_fallback.
pub fn categories(config: &PipelineConfig) -> Result<RecordBatch> {
    let mut codeset = Vec::new();
    let mut code = Vec::new();
    let mut label = Vec::new();
    let mut order = Vec::new();
    let mut fallback = Vec::new();
    for name in SOURCE_CODESETS.iter().chain(DERIVED_CODESETS) {
        for (i, category) in config.codeset(name).iter().enumerate() {
            codeset.push(name.to_string());
            code.push(category.code().to_string());
            label.push(category.label.clone());
            order.push(i as i32 + 1);
            fallback.push(category.fallback);
        }
    }
    batch(
        vec![
            ("codeset", DataType::Utf8, false),
            ("code", DataType::Utf8, false),
            ("label", DataType::Utf8, false),
            ("sort_order", DataType::Int32, false),
            ("is_fallback", DataType::Boolean, false),
        ],
        vec![
            Arc::new(StringArray::from(codeset)),
            Arc::new(StringArray::from(code)),
            Arc::new(StringArray::from(label)),
            Arc::new(Int32Array::from(order)),
            Arc::new(BooleanArray::from(fallback)),
        ],
    )
}

/// `indicator_catalogue`: the configured metadata of every indicator.
pub fn indicator_catalogue(config: &PipelineConfig) -> Result<RecordBatch> {
    let list = &config.indicators;
    let text = |f: &dyn Fn(&crate::config::IndicatorConfig) -> String| -> ArrayRef {
        Arc::new(StringArray::from(list.iter().map(f).collect::<Vec<_>>()))
    };
    batch(
        vec![
            ("indicator_id", DataType::Utf8, false),
            ("catalogue_order", DataType::Int32, false),
            ("title", DataType::Utf8, false),
            ("polarity", DataType::Utf8, false),
            ("unit", DataType::Utf8, false),
            ("data_note", DataType::Utf8, false),
            ("target", DataType::Float64, true),
            ("tolerance", DataType::Float64, true),
            ("tolerance_kind", DataType::Utf8, false),
            ("rag_basis", DataType::Utf8, false),
        ],
        vec![
            text(&|i| i.id.clone()),
            Arc::new(Int32Array::from(
                (1..=list.len() as i32).collect::<Vec<_>>(),
            )),
            text(&|i| i.title.clone()),
            text(&|i| i.polarity.as_str().to_string()),
            text(&|i| i.unit.clone()),
            text(&|i| i.data_note.clone()),
            Arc::new(Float64Array::from(
                list.iter().map(|i| i.target).collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                list.iter().map(|i| i.tolerance).collect::<Vec<_>>(),
            )),
            text(&|i| match i.tolerance_kind {
                crate::config::ToleranceKind::Absolute => "absolute".into(),
                crate::config::ToleranceKind::Percent => "percent".into(),
            }),
            text(&|i| i.rag_basis.as_str().to_string()),
        ],
    )
}

/// `run_params`: one row naming the reporting month, its last day E and the
/// extract's date.
pub fn run_params(
    reporting_period: &str,
    period_end: NaiveDate,
    extract_date: NaiveDate,
) -> Result<RecordBatch> {
    batch(
        vec![
            ("reporting_period", DataType::Utf8, false),
            ("period_end", DataType::Date32, false),
            ("extract_date", DataType::Date32, false),
        ],
        vec![
            Arc::new(StringArray::from(vec![reporting_period.to_string()])),
            Arc::new(Date32Array::from(vec![date32(period_end)])),
            Arc::new(Date32Array::from(vec![date32(extract_date)])),
        ],
    )
}

fn batch(fields: Vec<(&str, DataType, bool)>, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    let schema = Schema::new(
        fields
            .into_iter()
            .map(|(name, data_type, nullable)| Field::new(name, data_type, nullable))
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(Arc::new(schema), columns)
        .map_err(|e| Error::internal("reference table", e))
}

/// Serialises a batch as a Parquet file in memory (reference tables are tiny).
pub fn to_parquet(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), None)
        .map_err(|e| Error::internal("reference Parquet", e))?;
    writer
        .write(batch)
        .map_err(|e| Error::internal("reference Parquet", e))?;
    writer
        .close()
        .map_err(|e| Error::internal("reference Parquet", e))?;
    Ok(buffer)
}
