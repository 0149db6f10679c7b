//! Data tests declared next to the tables they test (dbt-style): a
//! `tests.toml` beside the SQL lists, per table, `unique`, `not_null`,
//! `accepted_values` and `relationships` tests with a severity. Each test is
//! compiled to a SQL query that returns the failing rows; an `error` test
//! with failures stops the run before publishing, a `warn` test is reported.
//! Results go into the stage report and the run manifest.

use std::path::Path;

use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::config::PipelineConfig;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    tests: Vec<DataTest>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTest {
    pub table: String,
    pub test: TestKind,
    pub columns: Vec<String>,
    #[serde(default)]
    pub severity: Severity,
    /// accepted_values: the allowed values...
    #[serde(default)]
    pub values: Vec<String>,
    /// ...or the codes of a configured code set.
    pub codeset: Option<String>,
    /// relationships: every value must exist in `to_table.to_column`.
    pub to_table: Option<String>,
    pub to_column: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    Unique,
    NotNull,
    AcceptedValues,
    Relationships,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Error,
    Warn,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TestResult {
    pub name: String,
    pub table: String,
    pub severity: Severity,
    pub failing_rows: u64,
    pub passed: bool,
}

/// Reads a tests file; a missing file means no tests.
pub fn load(path: &Path) -> Result<Vec<DataTest>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Config {
                path: path.display().to_string(),
                message: format!("cannot read: {e}"),
            });
        }
    };
    let file: TestFile = toml::from_str(&text).map_err(|e| Error::Config {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(file.tests)
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

impl DataTest {
    pub fn name(&self) -> String {
        let kind = match self.test {
            TestKind::Unique => "unique",
            TestKind::NotNull => "not_null",
            TestKind::AcceptedValues => "accepted_values",
            TestKind::Relationships => "relationships",
        };
        format!("{kind}({}.{})", self.table, self.columns.join(", "))
    }

    /// The query returning this test's failing rows.
    fn sql(&self, config: &PipelineConfig) -> Result<String> {
        let table = ident(&self.table);
        let columns: Vec<String> = self.columns.iter().map(|c| ident(c)).collect();
        let bad = |message: &str| Error::Config {
            path: "tests.toml".into(),
            message: format!("{}: {message}", self.name()),
        };
        if columns.is_empty() {
            return Err(bad("names no columns"));
        }
        Ok(match self.test {
            // Every row that shares its key with another (not one per key).
            // One row per duplicated key with how many rows share it; the
            // runner adds them up, so the count is of rows, not keys.
            TestKind::Unique => format!(
                "SELECT COUNT(*) AS rows_sharing FROM {table} GROUP BY {cols} HAVING COUNT(*) > 1",
                cols = columns.join(", ")
            ),
            TestKind::NotNull => format!(
                "SELECT * FROM {table} WHERE {}",
                columns
                    .iter()
                    .map(|c| format!("{c} IS NULL"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ),
            TestKind::AcceptedValues => {
                let mut values = self.values.clone();
                if let Some(codeset) = &self.codeset {
                    let categories = config.codeset(codeset);
                    if categories.is_empty() {
                        return Err(bad(&format!("no code set `{codeset}`")));
                    }
                    values.extend(categories.iter().map(|c| c.code().to_string()));
                }
                if values.is_empty() {
                    return Err(bad("accepted_values needs `values` or `codeset`"));
                }
                let list = values
                    .iter()
                    .map(|v| literal(v))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "SELECT * FROM {table} WHERE {}",
                    columns
                        .iter()
                        .map(|c| format!("({c} IS NOT NULL AND {c} NOT IN ({list}))"))
                        .collect::<Vec<_>>()
                        .join(" OR ")
                )
            }
            TestKind::Relationships => {
                let (Some(to_table), Some(to_column)) = (&self.to_table, &self.to_column) else {
                    return Err(bad("relationships needs `to_table` and `to_column`"));
                };
                if columns.len() != 1 {
                    return Err(bad("relationships tests one column"));
                }
                format!(
                    "SELECT t.{c} FROM {table} t LEFT JOIN (SELECT DISTINCT {tc} AS k FROM {tt}) r ON t.{c} = r.k \
                     WHERE t.{c} IS NOT NULL AND r.k IS NULL",
                    c = columns[0],
                    tc = ident(to_column),
                    tt = ident(to_table)
                )
            }
        })
    }
}

/// Runs `tests` against the tables registered in `ctx`. Fails with a
/// data-quality error naming every failing error-level test.
pub async fn run(
    ctx: &SessionContext,
    tests: &[DataTest],
    config: &PipelineConfig,
) -> Result<Vec<TestResult>> {
    let mut results = Vec::new();
    for test in tests {
        let sql = match test.test {
            TestKind::Unique => format!(
                "SELECT CAST(COALESCE(SUM(rows_sharing), 0) AS BIGINT) FROM ({}) failing",
                test.sql(config)?
            ),
            _ => format!("SELECT COUNT(*) FROM ({}) failing", test.sql(config)?),
        };
        let batches = ctx
            .sql(&sql)
            .await
            .map_err(|e| Error::Internal(format!("data test {}: {e}", test.name())))?
            .collect()
            .await
            .map_err(|e| Error::Internal(format!("data test {}: {e}", test.name())))?;
        let failing_rows = batches
            .iter()
            .filter(|b| b.num_rows() > 0)
            .filter_map(|b| {
                b.column(0)
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::Int64Array>()
                    .map(|a| a.value(0) as u64)
            })
            .sum();
        results.push(TestResult {
            name: test.name(),
            table: test.table.clone(),
            severity: test.severity,
            failing_rows,
            passed: failing_rows == 0,
        });
    }
    for result in results
        .iter()
        .filter(|r| !r.passed && r.severity == Severity::Warn)
    {
        tracing::warn!(test = %result.name, failing_rows = result.failing_rows, "data test failed (warn)");
    }
    let errors: Vec<String> = results
        .iter()
        .filter(|r| !r.passed && r.severity == Severity::Error)
        .map(|r| format!("{}: {} failing row(s)", r.name, r.failing_rows))
        .collect();
    if errors.is_empty() {
        Ok(results)
    } else {
        Err(Error::DataQuality(format!(
            "data tests failed: {}",
            errors.join("; ")
        )))
    }
}
