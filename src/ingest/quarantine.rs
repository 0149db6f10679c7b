//! The quarantine table: every extract row that cannot be used, with where
//! it came from and why. It never holds the row's values, so it carries no
//! personal data and can be shared with the people who fix the source.

use std::fs::File;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One quarantined row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedRow {
    pub source_file: String,
    /// The sheet, for xlsx sources.
    pub sheet: Option<String>,
    /// Line (CSV) or row (xlsx) of the row.
    pub line: u64,
    /// The canonical column at fault, or `(row)` for the whole row.
    pub column: String,
    pub reason_code: String,
    pub reason: String,
    /// Pseudonym of the row's episode id, when it has one.
    pub episode_key: Option<String>,
}

/// Reason codes (docs/data-quality.md).
pub mod reason {
    pub const MISSING_REQUIRED: &str = "missing_required";
    pub const BAD_DATE: &str = "bad_date";
    pub const BAD_FLAG: &str = "bad_flag";
    pub const CLOSURE_BEFORE_REFERRAL: &str = "closure_before_referral";
    pub const REFERRAL_AFTER_EXTRACT: &str = "referral_after_extract";
    pub const IMPLAUSIBLE_DATE_OF_BIRTH: &str = "implausible_date_of_birth";
    pub const DUPLICATE_EPISODE_ID: &str = "duplicate_episode_id";
    pub const BLANK_ROW: &str = "blank_row";
    pub const SUMMARY_ROW: &str = "summary_row";
    pub const UNREADABLE_ROW: &str = "unreadable_row";
    pub const WRONG_FIELD_COUNT: &str = "wrong_field_count";

    /// Rows that are layout, not data: they do not count towards the
    /// quarantine threshold.
    pub fn is_layout(code: &str) -> bool {
        code == BLANK_ROW || code == SUMMARY_ROW
    }
}

pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source_file", DataType::Utf8, false),
        Field::new("sheet", DataType::Utf8, true),
        Field::new("line", DataType::Int64, false),
        Field::new("column", DataType::Utf8, false),
        Field::new("reason_code", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("episode_key", DataType::Utf8, true),
    ]))
}

/// Writes the quarantine as Parquet, sorted by line.
pub fn write(rows: &mut [QuarantinedRow], file: File) -> Result<()> {
    rows.sort_by(|a, b| (a.line, &a.column).cmp(&(b.line, &b.column)));
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(file, schema(), Some(properties))
        .map_err(|e| Error::internal("open quarantine Parquet writer", e))?;
    for chunk in rows.chunks(8192) {
        let n = chunk.len();
        let text = |get: &dyn Fn(&QuarantinedRow) -> Option<&str>| -> ArrayRef {
            let mut b = StringBuilder::with_capacity(n, n * 24);
            for row in chunk {
                b.append_option(get(row));
            }
            Arc::new(b.finish())
        };
        let source_file = text(&|r| Some(r.source_file.as_str()));
        let sheet = text(&|r| r.sheet.as_deref());
        let column = text(&|r| Some(r.column.as_str()));
        let code = text(&|r| Some(r.reason_code.as_str()));
        let why = text(&|r| Some(r.reason.as_str()));
        let key = text(&|r| r.episode_key.as_deref());
        let mut line = Int64Builder::with_capacity(n);
        for row in chunk {
            line.append_value(row.line as i64);
        }
        let batch = RecordBatch::try_new(
            schema(),
            vec![
                source_file,
                sheet,
                Arc::new(line.finish()),
                column,
                code,
                why,
                key,
            ],
        )
        .map_err(|e| Error::internal("quarantine batch", e))?;
        writer
            .write(&batch)
            .map_err(|e| Error::internal("write quarantine Parquet", e))?;
    }
    writer
        .close()
        .map_err(|e| Error::internal("close quarantine Parquet", e))?;
    Ok(())
}
