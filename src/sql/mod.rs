//! `cme sql`: ad-hoc, read-only SQL over the warehouse (docs/sql.md).
//!
//! [`catalog`] registers the published tables of a committed run (through
//! the period's `current.json`, so a reader never sees a partial run), the
//! BI history of each table, and the run's pseudonymised staged episodes.
//! [`run`] executes statements with writes refused; [`output`] prints
//! results; [`shell`] is the interactive prompt.

pub mod catalog;
pub mod output;
pub mod shell;

use datafusion::arrow::record_batch::RecordBatch;
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

/// Splits a script into statements at the `;` that are outside string
/// literals, quoted names and comments, keeping each statement's own text
/// (re-printing a parsed statement is not faithful: `COPY ... TO 'file'`
/// loses its quotes). Pieces holding only comments and whitespace are
/// dropped; the statements themselves are parsed when they run.
pub fn split_statements(sql: &str) -> Result<Vec<String>> {
    #[derive(PartialEq)]
    enum State {
        Code,
        Single,
        Double,
        LineComment,
        BlockComment,
    }
    let mut state = State::Code;
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut has_code = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            State::Code => match c {
                ';' => {
                    if has_code {
                        statements.push(current.trim().to_string());
                    }
                    current.clear();
                    has_code = false;
                    continue;
                }
                '\'' => state = State::Single,
                '"' => state = State::Double,
                '-' if chars.peek() == Some(&'-') => state = State::LineComment,
                '/' if chars.peek() == Some(&'*') => state = State::BlockComment,
                _ => {}
            },
            State::Single if c == '\'' => state = State::Code,
            State::Double if c == '"' => state = State::Code,
            State::LineComment if c == '\n' => state = State::Code,
            State::BlockComment if c == '*' && chars.peek() == Some(&'/') => {
                current.push(c);
                current.push(chars.next().unwrap_or('/'));
                state = State::Code;
                continue;
            }
            _ => {}
        }
        if matches!(state, State::Code | State::Single | State::Double) && !c.is_whitespace() {
            has_code = true;
        }
        current.push(c);
    }
    match state {
        State::Single | State::Double => {
            return Err(Error::Input(
                "SQL: a quoted string or name is not closed".into(),
            ));
        }
        State::BlockComment => return Err(Error::Input("SQL: a /* comment is not closed".into())),
        _ => {}
    }
    if has_code {
        statements.push(current.trim().to_string());
    }
    Ok(statements)
}

/// Runs one statement read-only and collects its result.
pub async fn run(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let df = match ctx.sql_with_options(sql, read_only()).await {
        Ok(df) => df,
        Err(e) => return Err(explain_error(ctx, sql, e)),
    };
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let mut batches = df.collect().await.map_err(|e| explain_error(ctx, sql, e))?;
    // An empty result still has columns: print them (a CSV header, an
    // empty table) rather than nothing.
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// The error as an analyst should read it: the refusal of a write in plain
/// words, parser errors with their position, and a suggestion when a table
/// or column name is misspelt.
pub fn explain_error(
    ctx: &SessionContext,
    sql: &str,
    e: datafusion::error::DataFusionError,
) -> Error {
    let text = e.strip_backtrace();
    let lowered = text.to_lowercase();
    if lowered.contains("not supported")
        && (lowered.contains("ddl") || lowered.contains("dml") || lowered.contains("statement"))
    {
        let verb = sql.split_whitespace().next().unwrap_or("").to_uppercase();
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
    let name = name.to_lowercase();
    candidates
        .map(|c| (levenshtein(&name, &c.to_lowercase()), c))
        .filter(|(d, c)| *d > 0 && *d <= (name.len().max(c.len()) / 3).max(1))
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
        // A one-letter name is not a misspelling of a longer one.
        assert_eq!(closest("x", ["sex"].into_iter()), None);
    }

    #[test]
    fn scripts_split_on_semicolons_outside_strings_and_comments() {
        let parts = split_statements("SELECT 'a;b'; -- c;\nSELECT 2;").unwrap();
        assert_eq!(parts, ["SELECT 'a;b'", "-- c;\nSELECT 2"]);
        let parts =
            split_statements("SELECT \"x;y\", 'it''s;' /* ; */ FROM t;;\n-- only a comment;\n")
                .unwrap();
        assert_eq!(parts, ["SELECT \"x;y\", 'it''s;' /* ; */ FROM t"]);
        // The statement's own text is kept, quotes included.
        let parts = split_statements("COPY (SELECT 1) TO '/tmp/x.csv'").unwrap();
        assert_eq!(parts, ["COPY (SELECT 1) TO '/tmp/x.csv'"]);
        assert!(split_statements("SELECT 'open").is_err());
        assert!(split_statements("SELECT 1 /* open").is_err());
        assert!(split_statements("  -- nothing\n").unwrap().is_empty());
    }
}
