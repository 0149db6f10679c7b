//! `cme sql`: ad-hoc, read-only SQL over the warehouse (docs/sql.md).
//!
//! [`catalog`] registers the published tables of a committed run (through
//! the period's `current.json`, so a reader never sees a partial run), the
//! BI history of each table, and the run's pseudonymised staged episodes.
//! [`script`] cuts a script into statements; [`run`] executes one with
//! writes refused; [`output`] streams its result out; [`shell`] is the
//! interactive prompt.

pub mod catalog;
pub mod output;
pub mod script;
pub mod shell;

use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};

/// What an analyst may run: queries, EXPLAIN, SHOW, DESCRIBE. DDL (CREATE,
/// DROP), DML (INSERT, COPY ... TO) and statements (SET, transactions) are
/// refused before anything is planned.
pub fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// Runs one statement read-only. The result streams: it is printed as it
/// comes, never held whole in memory (the session's memory pool bounds the
/// query itself).
pub async fn run(ctx: &SessionContext, sql: &str) -> Result<SendableRecordBatchStream> {
    let df = ctx
        .sql_with_options(sql, read_only())
        .await
        .map_err(|e| explain_error(ctx, sql, e))?;
    df.execute_stream()
        .await
        .map_err(|e| explain_error(ctx, sql, e))
}

/// Resolves when the user interrupts (Ctrl-C) or the scheduler stops the
/// process (SIGTERM), naming which.
pub async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return "Ctrl-C";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C",
        _ = term.recv() => "SIGTERM",
    }
}

/// A table file that is missing or damaged is the warehouse failing, not
/// the analyst's SQL: the storage exit code.
fn storage_error(e: &datafusion::error::DataFusionError) -> Option<Error> {
    use datafusion::arrow::error::ArrowError;
    use datafusion::error::DataFusionError;
    let root = e.find_root();
    let storage = match root {
        DataFusionError::ObjectStore(_)
        | DataFusionError::IoError(_)
        | DataFusionError::ParquetError(_) => true,
        DataFusionError::ArrowError(arrow, _) => {
            matches!(
                **arrow,
                ArrowError::ParquetError(_) | ArrowError::IoError(..)
            )
        }
        _ => false,
    };
    storage.then(|| Error::storage("read", "a table of the warehouse", root))
}

/// An error while a result streams: the warehouse failing, or the query
/// itself (a cast that fails on a value, the memory limit).
pub fn stream_error(e: datafusion::error::DataFusionError) -> Error {
    storage_error(&e).unwrap_or_else(|| Error::Input(format!("SQL: {}", e.strip_backtrace())))
}

/// Runs the statements of a query or a `-f` file in order, each result
/// streamed to `sink`; the first failure stops it. In a script of several
/// statements (or a file) the error names the statement and its line.
pub async fn run_script(
    ctx: &SessionContext,
    script: &str,
    source: Option<&str>,
    format: output::Format,
    max_rows: usize,
    sink: &mut output::Sink,
) -> Result<()> {
    let statements = script::split(script)?;
    if statements.is_empty() {
        return Err(Error::Input("no SQL statement given".into()));
    }
    if format == output::Format::Parquet && statements.len() > 1 {
        return Err(Error::Input("--format parquet takes one statement".into()));
    }
    let many = statements.len() > 1;
    for (index, statement) in statements.iter().enumerate() {
        let result = async {
            let stream = run(ctx, &statement.text).await?;
            output::write(stream, format, max_rows, sink).await
        }
        .await;
        if let Err(e) = result {
            return Err(match (source, many) {
                (Some(file), _) => e.map_message(|m| {
                    format!(
                        "{file}, statement {} (line {}): {m}",
                        index + 1,
                        statement.line
                    )
                }),
                (None, true) => e.map_message(|m| {
                    format!("statement {} (line {}): {m}", index + 1, statement.line)
                }),
                (None, false) => e,
            });
        }
    }
    Ok(())
}

/// The error as an analyst should read it: the refusal of a write in plain
/// words, parser errors with their position, and a suggestion when a table
/// or column name is misspelt.
pub fn explain_error(
    ctx: &SessionContext,
    sql: &str,
    e: datafusion::error::DataFusionError,
) -> Error {
    if let Some(storage) = storage_error(&e) {
        return storage;
    }
    let text = e.strip_backtrace();
    // The exact refusals of SQLOptions::verify_plan, not any message that
    // happens to say "not supported".
    let refused = [
        "DDL not supported",
        "DML not supported",
        "Statement not supported",
    ]
    .iter()
    .any(|r| text.contains(&format!("Error during planning: {r}")));
    if refused {
        let verb = script::verb(sql);
        return Error::Input(format!(
            "cme sql is read-only: {verb} is refused (DDL, INSERT, COPY and SET cannot change the warehouse from here) [{text}]"
        ));
    }
    let mut message = format!("SQL: {text}");
    if let Some(pointer) = position(sql, &text) {
        message.push('\n');
        message.push_str(&pointer);
    }
    let datafusion_suggested = text.contains("Did you mean");
    if let Some(hint) = suggestion(ctx, &text).filter(|_| !datafusion_suggested) {
        message.push_str(&format!("\n  hint: {hint}"));
    }
    Error::Input(message)
}

/// The line of the statement a parser error points at ("at Line: 2,
/// Column: 8"), with a caret under the column.
fn position(sql: &str, error: &str) -> Option<String> {
    let rest = &error[error.find("at Line: ")? + "at Line: ".len()..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let (line, column): (usize, usize) = (line.trim().parse().ok()?, column.parse().ok()?);
    let text = sql.lines().nth(line.checked_sub(1)?)?;
    let caret = " ".repeat(column.saturating_sub(1).min(text.chars().count()));
    Some(format!("  {text}\n  {caret}^"))
}

/// "did you mean ..." for an unknown table or column.
fn suggestion(ctx: &SessionContext, error: &str) -> Option<String> {
    let tables = catalog::table_names(ctx);
    if let Some(name) = quoted_after(error, "table '").or_else(|| quoted_after(error, "table \"")) {
        let name = name.rsplit('.').next().unwrap_or(&name).to_string();
        let best = closest(&name, tables.iter().map(String::as_str))?;
        return Some(format!(
            "no table `{name}`; did you mean `{best}`? (`\\d` or `cme tables` lists them)"
        ));
    }
    if let Some(name) = quoted_after(error, "No field named ").or_else(|| {
        error
            .split("No field named ")
            .nth(1)
            .map(|r| r.split(['.', ' ']).next().unwrap_or("").to_string())
    }) {
        let name = name
            .trim_matches(['"', '\'', '`'])
            .rsplit('.')
            .next()
            .unwrap_or("")
            .to_string();
        let columns = catalog::column_names(ctx);
        let best = closest(&name, columns.iter().map(String::as_str))?;
        return Some(format!("no column `{name}`; did you mean `{best}`?"));
    }
    None
}

fn quoted_after(text: &str, marker: &str) -> Option<String> {
    let start = text.find(marker)? + marker.len();
    let rest = &text[start..];
    let quote = marker.chars().last().filter(|c| *c == '\'' || *c == '"');
    let end = match quote {
        Some(q) => rest.find(q)?,
        None => rest.find([' ', '.', ',']).unwrap_or(rest.len()),
    };
    Some(rest[..end].to_string())
}

/// The candidate nearest to `name` by edit distance, if it is near enough
/// to be a plausible misspelling.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lowered = name.to_lowercase();
    candidates
        .filter(|c| *c != name)
        .map(|c| (levenshtein(&lowered, &c.to_lowercase()), c))
        // Distance 0 is the same name in other letter case: a quoted
        // "Episodes" is not the table episodes.
        .filter(|(d, c)| *d <= (lowered.len().max(c.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c.to_string())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_errors_point_at_the_position() {
        let sql = "SELECT a,\n  FROM t WHERE";
        let error = "SQL error: ParserError(\"Expected: an expression, found: FROM at Line: 2, Column: 3\")";
        assert_eq!(
            position(sql, error).as_deref(),
            Some("    FROM t WHERE\n    ^")
        );
        assert_eq!(position(sql, "no position here"), None);
        assert_eq!(position(sql, "at Line: 9, Column: 1"), None);
    }

    #[test]
    fn misspellings_find_the_nearest_name() {
        let names = ["performance_summary", "quarterly_tables", "episodes"];
        assert_eq!(
            closest("performance_summry", names.iter().copied()).as_deref(),
            Some("performance_summary")
        );
        assert_eq!(
            closest("episode", names.iter().copied()).as_deref(),
            Some("episodes")
        );
        assert_eq!(closest("zzzzzz", names.iter().copied()), None);
        // The same name in other letter case is suggested.
        assert_eq!(
            closest("Episodes", names.iter().copied()).as_deref(),
            Some("episodes")
        );
        assert_eq!(closest("episodes", names.iter().copied()), None);
        // A one-letter name is not a misspelling of a longer one.
        assert_eq!(closest("x", ["sex"].into_iter()), None);
    }
}
