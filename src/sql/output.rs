//! Printing query results as they stream in: an aligned table (the default
//! on a terminal), CSV, JSON lines, or a Parquet file. Nothing holds a
//! whole result: CSV, JSON and Parquet are written batch by batch, and the
//! table keeps only the rows it shows.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::json::writer::LineDelimited;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned table, cut to --max-rows.
    Table,
    Csv,
    /// One JSON object per row, nulls included.
    Json,
    /// A Parquet file (needs --output).
    Parquet,
}

fn arrow_error(e: datafusion::arrow::error::ArrowError) -> Error {
    Error::Input(format!("the result cannot be written: {e}"))
}

fn io_error(e: std::io::Error) -> Error {
    Error::storage("write", "output", e)
}

/// Where a result goes: standard output; a regular file that appears
/// only when the statement has succeeded (written beside it, then renamed),
/// so a failing or interrupted query never empties or half-writes a file
/// that was there (the temporary file is deleted when the sink is dropped);
/// or, for an existing FIFO or device, that file written directly.
pub enum Sink {
    Stdout,
    File {
        path: PathBuf,
        temp: tempfile::NamedTempFile,
    },
    Direct(std::fs::File),
}

impl Sink {
    /// A file sink for `path`, refused when the bytes would land inside
    /// `forbidden` (the local warehouse folder, canonical), by any path or
    /// link.
    pub fn file(path: &Path, forbidden: Option<&Path>) -> Result<Self> {
        let failed = |e: std::io::Error| Error::storage("write", path.display().to_string(), e);
        // A symlink is followed: the file it names is the one replaced.
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if let Some(forbidden) = forbidden {
            let folder = std::fs::canonicalize(&folder).map_err(|e| {
                Error::Input(format!(
                    "--output {}: the folder cannot be used: {e}",
                    path.display()
                ))
            })?;
            if folder.starts_with(forbidden) {
                return Err(Error::Input(format!(
                    "--output {} is inside the warehouse {}: cme sql does not write there; choose a file elsewhere",
                    path.display(),
                    forbidden.display()
                )));
            }
        }
        let existing = std::fs::metadata(&target).ok();
        if let Some(meta) = &existing {
            if !meta.is_file() {
                // A FIFO, /dev/stdout, a device: write to it as it is.
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .map_err(failed)?;
                return Ok(Sink::Direct(file));
            }
        }
        // A replaced file keeps its permissions; a new one gets the usual
        // ones (0666 less the umask), not a temporary file's 0600.
        let permissions = existing.map(|m| m.permissions()).unwrap_or_else(|| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o666)
        });
        let temp = tempfile::Builder::new()
            .prefix(".cme-sql-")
            .permissions(permissions)
            .tempfile_in(&folder)
            .map_err(failed)?;
        Ok(Sink::File { path: target, temp })
    }

    fn writer(&mut self) -> Box<dyn Write + '_> {
        match self {
            Sink::Stdout => Box::new(std::io::stdout().lock()),
            Sink::File { temp, .. } => Box::new(temp.as_file_mut()),
            Sink::Direct(file) => Box::new(file),
        }
    }

    /// Moves a finished file into place.
    pub fn finish(self) -> Result<()> {
        match self {
            Sink::Stdout => std::io::stdout().flush().map_err(io_error),
            Sink::Direct(mut file) => file.flush().map_err(io_error),
            Sink::File { path, temp } => temp
                .persist(&path)
                .map(|_| ())
                .map_err(|e| Error::storage("write", path.display().to_string(), e.error)),
        }
    }
}

/// Writes a streaming result in `format` to `sink`.
pub async fn write(
    mut stream: SendableRecordBatchStream,
    format: Format,
    max_rows: usize,
    sink: &mut Sink,
) -> Result<()> {
    let schema = stream.schema();
    let next = |e: datafusion::error::DataFusionError| crate::sql::stream_error(e);
    match format {
        Format::Table => {
            // Keep the rows shown and one more, to know there are more.
            let mut shown = Vec::new();
            let mut rows = 0;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(next)?;
                let take = batch.num_rows().min(max_rows.saturating_add(1) - rows);
                shown.push(batch.slice(0, take));
                rows += take;
                if rows > max_rows {
                    break;
                }
            }
            drop(stream);
            let more = rows > max_rows;
            let shown = first_rows(&schema, &shown, max_rows);
            let text = datafusion::arrow::util::pretty::pretty_format_batches(&shown)
                .map_err(arrow_error)?;
            let mut out = sink.writer();
            writeln!(out, "{text}").map_err(io_error)?;
            if more {
                writeln!(
                    out,
                    "more than {max_rows} rows (first {max_rows} shown; --max-rows to see more, or --format csv)"
                )
                .map_err(io_error)?;
            } else {
                let plural = if rows == 1 { "row" } else { "rows" };
                writeln!(out, "{rows} {plural}").map_err(io_error)?;
            }
        }
        Format::Csv => {
            let mut out = sink.writer();
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            let mut wrote = false;
            while let Some(batch) = stream.next().await {
                writer.write(&batch.map_err(next)?).map_err(arrow_error)?;
                wrote = true;
            }
            // An empty result still names its columns.
            if !wrote {
                writer
                    .write(&RecordBatch::new_empty(schema))
                    .map_err(arrow_error)?;
            }
        }
        Format::Json => {
            let mut out = sink.writer();
            let mut writer = datafusion::arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, LineDelimited>(&mut out);
            while let Some(batch) = stream.next().await {
                writer.write(&batch.map_err(next)?).map_err(arrow_error)?;
            }
            writer.finish().map_err(arrow_error)?;
        }
        Format::Parquet => {
            let file: &mut (dyn Write + Send) = match sink {
                Sink::File { temp, .. } => temp.as_file_mut(),
                Sink::Direct(file) => file,
                Sink::Stdout => {
                    return Err(Error::Input(
                        "--format parquet writes a file: give it with --output FILE".into(),
                    ));
                }
            };
            let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None)
                .map_err(|e| {
                Error::Input(format!("the result cannot be written as Parquet: {e}"))
            })?;
            while let Some(batch) = stream.next().await {
                writer.write(&batch.map_err(next)?).map_err(|e| {
                    Error::Input(format!("the result cannot be written as Parquet: {e}"))
                })?;
            }
            writer.close().map_err(|e| {
                Error::Input(format!("the result cannot be written as Parquet: {e}"))
            })?;
        }
    }
    Ok(())
}

/// At most `max_rows` rows of `batches` (at least an empty batch, so the
/// column names print).
fn first_rows(schema: &SchemaRef, batches: &[RecordBatch], max_rows: usize) -> Vec<RecordBatch> {
    let mut out = Vec::new();
    let mut left = max_rows;
    for batch in batches {
        if left == 0 {
            break;
        }
        let take = batch.num_rows().min(left);
        out.push(batch.slice(0, take));
        left -= take;
    }
    if out.is_empty() {
        out.push(RecordBatch::new_empty(schema.clone()));
    }
    out
}
