//! The staged episode table: typed, minimised, pseudonymised. Rows are
//! buffered a batch at a time and streamed into a Parquet file.

use std::fs::File;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Int32Builder, Int64Builder, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::ingest::values::date32;

/// One usable extract row after mapping, parsing and pseudonymisation.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedEpisode {
    pub episode_key: String,
    pub child_key: String,
    pub family_key: Option<String>,
    pub cohort_year: Option<i32>,
    pub sex: Option<String>,
    pub ethnicity: Option<String>,
    pub locality: Option<String>,
    pub school_phase: Option<String>,
    pub referral_date: NaiveDate,
    pub closure_date: Option<NaiveDate>,
    pub closure_outcome: Option<String>,
    pub presenting_need: Option<String>,
    pub open_to_csc: Option<bool>,
    pub open_to_eh_locality: Option<bool>,
    pub open_to_eh_partner: Option<bool>,
    pub removal_from_roll_authorised: Option<bool>,
    pub source_line: u64,
}

/// Schema of `staged/episodes` (documented in docs/outputs.md).
pub fn schema() -> SchemaRef {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let flag = |name: &str| Field::new(name, DataType::Boolean, true);
    Arc::new(Schema::new(vec![
        text("episode_key", false),
        text("child_key", false),
        text("family_key", true),
        Field::new("cohort_year", DataType::Int32, true),
        text("sex", true),
        text("ethnicity", true),
        text("locality", true),
        text("school_phase", true),
        Field::new("referral_date", DataType::Date32, false),
        Field::new("closure_date", DataType::Date32, true),
        text("closure_outcome", true),
        text("presenting_need", true),
        flag("open_to_csc"),
        flag("open_to_eh_locality"),
        flag("open_to_eh_partner"),
        flag("removal_from_roll_authorised"),
        Field::new("source_line", DataType::Int64, false),
    ]))
}

/// Streams staged rows into a Parquet file, `batch_rows` at a time.
pub struct StagedWriter {
    writer: ArrowWriter<File>,
    buffer: Vec<StagedEpisode>,
    batch_rows: usize,
    rows: u64,
}

impl StagedWriter {
    pub fn create(file: File, batch_rows: usize) -> Result<Self> {
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer = ArrowWriter::try_new(file, schema(), Some(properties))
            .map_err(|e| Error::internal("open staged Parquet writer", e))?;
        Ok(Self {
            writer,
            buffer: Vec::with_capacity(batch_rows),
            batch_rows: batch_rows.max(1),
            rows: 0,
        })
    }

    pub fn push(&mut self, row: StagedEpisode) -> Result<()> {
        self.buffer.push(row);
        if self.buffer.len() >= self.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let batch = to_batch(&self.buffer)?;
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(&batch)
            .map_err(|e| Error::internal("write staged Parquet", e))?;
        self.buffer.clear();
        Ok(())
    }

    /// Writes what is buffered and closes the file; returns the rows written.
    pub fn finish(mut self) -> Result<u64> {
        self.flush()?;
        self.writer
            .close()
            .map_err(|e| Error::internal("close staged Parquet", e))?;
        Ok(self.rows)
    }
}

fn to_batch(rows: &[StagedEpisode]) -> Result<RecordBatch> {
    let n = rows.len();
    let strings = |get: &dyn Fn(&StagedEpisode) -> Option<&str>| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, n * 16);
        for row in rows {
            b.append_option(get(row));
        }
        Arc::new(b.finish())
    };
    let flags = |get: &dyn Fn(&StagedEpisode) -> Option<bool>| -> ArrayRef {
        let mut b = BooleanBuilder::with_capacity(n);
        for row in rows {
            b.append_option(get(row));
        }
        Arc::new(b.finish())
    };
    let dates = |get: &dyn Fn(&StagedEpisode) -> Option<NaiveDate>| -> ArrayRef {
        let mut b = Date32Builder::with_capacity(n);
        for row in rows {
            b.append_option(get(row).map(date32));
        }
        Arc::new(b.finish())
    };
    let mut cohort = Int32Builder::with_capacity(n);
    let mut line = Int64Builder::with_capacity(n);
    for row in rows {
        cohort.append_option(row.cohort_year);
        line.append_value(row.source_line as i64);
    }
    let columns: Vec<ArrayRef> = vec![
        strings(&|r| Some(r.episode_key.as_str())),
        strings(&|r| Some(r.child_key.as_str())),
        strings(&|r| r.family_key.as_deref()),
        Arc::new(cohort.finish()),
        strings(&|r| r.sex.as_deref()),
        strings(&|r| r.ethnicity.as_deref()),
        strings(&|r| r.locality.as_deref()),
        strings(&|r| r.school_phase.as_deref()),
        dates(&|r| Some(r.referral_date)),
        dates(&|r| r.closure_date),
        strings(&|r| r.closure_outcome.as_deref()),
        strings(&|r| r.presenting_need.as_deref()),
        flags(&|r| r.open_to_csc),
        flags(&|r| r.open_to_eh_locality),
        flags(&|r| r.open_to_eh_partner),
        flags(&|r| r.removal_from_roll_authorised),
        Arc::new(line.finish()),
    ];
    RecordBatch::try_new(schema(), columns).map_err(|e| Error::internal("build staged batch", e))
}

/// Rewrites the staged file at `path` without the episodes in `keys`
/// (conflicting duplicates found after they were written); returns the rows
/// kept. Streams batch by batch.
pub fn remove_episodes(
    path: &std::path::Path,
    keys: &std::collections::HashSet<String>,
    batch_rows: usize,
) -> Result<u64> {
    use datafusion::arrow::array::{Array, BooleanArray, StringArray};
    use datafusion::arrow::compute::filter_record_batch;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let source = File::open(path)
        .map_err(|e| Error::storage("read temporary file", "staged episodes", e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(source)
        .and_then(|b| b.with_batch_size(batch_rows.max(1)).build())
        .map_err(|e| Error::internal("reread staged Parquet", e))?;
    let kept_path = path.with_extension("kept");
    let kept = File::create(&kept_path)
        .map_err(|e| Error::storage("create temporary file", "staged episodes", e))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(kept, schema(), Some(properties))
        .map_err(|e| Error::internal("open staged Parquet writer", e))?;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| Error::internal("reread staged Parquet", e))?;
        let episode = batch
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| Error::Internal("staged episode_key is not Utf8".into()))?;
        let keep: BooleanArray = (0..episode.len())
            .map(|i| Some(!keys.contains(episode.value(i))))
            .collect();
        let filtered = filter_record_batch(&batch, &keep)
            .map_err(|e| Error::internal("filter staged rows", e))?;
        rows += filtered.num_rows() as u64;
        writer
            .write(&filtered)
            .map_err(|e| Error::internal("write staged Parquet", e))?;
    }
    writer
        .close()
        .map_err(|e| Error::internal("close staged Parquet", e))?;
    std::fs::rename(&kept_path, path)
        .map_err(|e| Error::storage("replace temporary file", "staged episodes", e))?;
    Ok(rows)
}
