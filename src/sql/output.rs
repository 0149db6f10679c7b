//! Printing query results: an aligned table (the default on a terminal),
//! CSV, JSON lines, or a Parquet file.

use std::io::Write;
use std::path::Path;

use clap::ValueEnum;
use datafusion::arrow::record_batch::RecordBatch;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned table, cut to --max-rows.
    Table,
    Csv,
    /// One JSON object per row.
    Json,
    /// A Parquet file (needs --output).
    Parquet,
}

/// Writes `batches` in `format` to `out` (or, for Parquet, to `path`).
pub fn write(
    batches: &[RecordBatch],
    format: Format,
    max_rows: usize,
    out: &mut dyn Write,
    path: Option<&Path>,
) -> Result<()> {
    let io = |e: std::io::Error| Error::storage("write", "output", e);
    let arrow = |e: datafusion::arrow::error::ArrowError| Error::Internal(format!("output: {e}"));
    match format {
        Format::Table => {
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            let mut shown = Vec::new();
            let mut left = max_rows;
            for batch in batches {
                if left == 0 {
                    break;
                }
                let take = batch.num_rows().min(left);
                shown.push(batch.slice(0, take));
                left -= take;
            }
            if shown.is_empty() {
                if let Some(first) = batches.first() {
                    shown.push(first.slice(0, 0));
                }
            }
            let text =
                datafusion::arrow::util::pretty::pretty_format_batches(&shown).map_err(arrow)?;
            writeln!(out, "{text}").map_err(io)?;
            let plural = if rows == 1 { "row" } else { "rows" };
            if rows > max_rows {
                writeln!(out, "{rows} {plural} (first {max_rows} shown; --max-rows to see more, or --format csv)")
                    .map_err(io)?;
            } else {
                writeln!(out, "{rows} {plural}").map_err(io)?;
            }
        }
        Format::Csv => {
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            for batch in batches {
                writer.write(batch).map_err(arrow)?;
            }
        }
        Format::Json => {
            let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(out);
            for batch in batches {
                writer.write(batch).map_err(arrow)?;
            }
            writer.finish().map_err(arrow)?;
        }
        Format::Parquet => {
            let path = path.ok_or_else(|| {
                Error::Input("--format parquet writes a file: give it with --output FILE".into())
            })?;
            let schema = batches.first().map(RecordBatch::schema).unwrap_or_else(|| {
                std::sync::Arc::new(datafusion::arrow::datatypes::Schema::empty())
            });
            let file = std::fs::File::create(path)
                .map_err(|e| Error::storage("write", path.display().to_string(), e))?;
            let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None)
                .map_err(|e| Error::Internal(format!("parquet output: {e}")))?;
            for batch in batches {
                writer
                    .write(batch)
                    .map_err(|e| Error::Internal(format!("parquet output: {e}")))?;
            }
            writer
                .close()
                .map_err(|e| Error::Internal(format!("parquet output: {e}")))?;
        }
    }
    Ok(())
}
