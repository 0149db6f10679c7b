//! The interactive `cme sql` prompt: rustyline for editing and history,
//! statements may span lines and end with a `;` outside strings and
//! comments, Ctrl-C cancels the running query (or the statement being
//! typed), Ctrl-D exits. Meta commands, each on a line of its own: `\d`
//! lists the tables, `\d NAME` describes one, `\?` helps, `\q` quits.

use std::path::PathBuf;

use datafusion::prelude::SessionContext;
use rustyline::error::ReadlineError;

use super::catalog::Catalog;
use super::output::{self, Format, Sink};
use crate::error::{Error, Result};

pub struct ShellOptions {
    pub format: Format,
    pub max_rows: usize,
    /// History file (None: no history kept).
    pub history: Option<PathBuf>,
}

/// The history file: `CME_SQL_HISTORY`, else `~/.cme_sql_history`.
pub fn default_history() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("CME_SQL_HISTORY") {
        return (!path.is_empty()).then(|| PathBuf::from(path));
    }
    std::env::var("HOME")
        .ok()
        .map(|home| PathBuf::from(home).join(".cme_sql_history"))
}

/// The shell. On a terminal an error is printed and the shell goes on; on
/// piped input (`cme sql < script.sql`) it goes on too, runs a last
/// statement left without `;`, and ends with the exit code of the first
/// failure, so a scheduler sees it.
pub async fn run(ctx: &SessionContext, catalog: &Catalog, options: &ShellOptions) -> Result<()> {
    use std::io::IsTerminal;
    let interactive = std::io::stdin().is_terminal();
    let mut editor = rustyline::DefaultEditor::new()
        .map_err(|e| Error::Internal(format!("cannot start the shell: {e}")))?;
    if let Some(path) = &options.history {
        // A missing history file is the first session, not an error.
        let _ = editor.load_history(path);
    }
    // The banner is not a result: stderr, so `cme sql < q.sql > out.csv`
    // writes only results.
    eprintln!(
        "cme sql: run {} ({}), {} tables; end statements with `;`, \\d lists tables, \\? helps, \\q or Ctrl-D quits",
        catalog.run_id,
        catalog.period,
        catalog.tables.len()
    );
    let mut buffer = String::new();
    let mut failures: Vec<Error> = Vec::new();
    let mut line_number = 0usize;
    loop {
        let prompt = if buffer.is_empty() { "cme> " } else { "  -> " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                eprintln!("^C");
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(ReadlineError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(Error::Input(format!(
                    "standard input, line {}: not UTF-8 text (save the script as UTF-8)",
                    line_number + 1
                )));
            }
            Err(e) => return Err(Error::Internal(format!("shell: {e}"))),
        };
        line_number += 1;
        let line = if line_number == 1 {
            super::script::without_bom(&line).to_string()
        } else {
            line
        };
        let trimmed = line.trim();
        // A meta command is a line of its own, also in the middle of a
        // statement (which it leaves as it is).
        if trimmed.starts_with('\\') && !super::script::in_literal(&buffer) {
            let _ = editor.add_history_entry(trimmed);
            match meta(ctx, catalog, trimmed).await {
                Ok(true) => {}
                Ok(false) => {
                    // Quitting drops a statement left unfinished.
                    buffer.clear();
                    break;
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    failures.push(e);
                }
            }
            continue;
        }
        if trimmed.is_empty() && buffer.is_empty() {
            continue;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if !super::script::is_complete(&buffer) {
            continue;
        }
        let script = std::mem::take(&mut buffer);
        let _ = editor.add_history_entry(script.trim());
        if let Err(e) = execute(ctx, &script, options).await {
            eprintln!("error: {e}");
            let cancelled = e.to_string().starts_with("query cancelled");
            failures.push(e);
            // Interrupting a piped script stops it; at a terminal the
            // prompt comes back.
            if cancelled && !interactive {
                buffer.clear();
                break;
            }
        }
    }
    if !interactive && !buffer.trim().is_empty() {
        // The end of a piped script ends its last statement.
        if let Err(e) = execute(ctx, &buffer, options).await {
            eprintln!("error: {e}");
            failures.push(e);
        }
    }
    if let Some(path) = &options.history {
        if let Err(e) = editor.save_history(path) {
            tracing::warn!(error = %e, "could not save the shell history to {}", path.display());
        }
    }
    match (interactive, failures.len()) {
        (false, n) if n > 0 => {
            let plural = if n == 1 { "error" } else { "errors" };
            let summary = format!("{n} {plural} in the script (shown above)");
            Err(match failures.swap_remove(0) {
                // The class of the first error, without its own details.
                Error::Storage { .. } => Error::storage("read", "the warehouse", summary),
                first => first.map_message(|_| summary),
            })
        }
        _ => Ok(()),
    }
}

/// Runs each statement of `script`; Ctrl-C (or SIGTERM) cancels the one
/// running and the rest of `script`.
async fn execute(ctx: &SessionContext, script: &str, options: &ShellOptions) -> Result<()> {
    for statement in super::script::split(script)? {
        let run = async {
            let stream = super::run(ctx, &statement.text).await?;
            let mut sink = Sink::Stdout;
            output::write(stream, options.format, options.max_rows, &mut sink).await?;
            sink.finish()
        };
        tokio::select! {
            result = run => result?,
            signal = super::interrupted() => {
                return Err(Error::Input(format!("query cancelled ({signal})")));
            }
        }
    }
    Ok(())
}

/// A meta command; false means quit.
async fn meta(ctx: &SessionContext, catalog: &Catalog, command: &str) -> Result<bool> {
    let command = command.trim_end_matches(';');
    let mut parts = command.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some("\\q"), _) => return Ok(false),
        (Some("\\d"), None) => print_tables(catalog),
        (Some("\\d"), Some(name)) => describe(ctx, name).await?,
        (Some("\\?"), _) | (Some("\\h"), _) => println!(
            "\\d            list the tables\n\\d NAME       describe a table\n\\q            quit (or Ctrl-D)\nSQL ending with `;` runs; Ctrl-C cancels a running query. Writes are refused."
        ),
        _ => {
            return Err(Error::Input(format!(
                "unknown command `{command}`: \\? lists the commands"
            )));
        }
    }
    Ok(true)
}

/// The table list of `\d` and `cme tables`.
pub fn print_tables(catalog: &Catalog) {
    let width = catalog
        .tables
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("run {} ({})", catalog.run_id, catalog.period);
    println!("{:<width$}  {:<9}  location", "name", "kind");
    for table in &catalog.tables {
        println!(
            "{:<width$}  {:<9}  {}",
            table.name, table.kind, table.location
        );
    }
}

/// Columns and types of one table (`\d NAME`).
pub async fn describe(ctx: &SessionContext, name: &str) -> Result<()> {
    let table = ctx.table(name).await.map_err(|_| {
        let hint = super::closest(
            name,
            super::catalog::table_names(ctx).iter().map(String::as_str),
        )
        .map(|b| format!("; did you mean `{b}`?"))
        .unwrap_or_default();
        Error::Input(format!("no table `{name}`{hint}"))
    })?;
    let schema = table.schema();
    let width = schema
        .fields()
        .iter()
        .map(|f| f.name().len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!("{:<width$}  type", "column");
    for field in schema.fields() {
        let nullable = if field.is_nullable() { "" } else { " not null" };
        println!("{:<width$}  {}{nullable}", field.name(), field.data_type());
    }
    Ok(())
}
