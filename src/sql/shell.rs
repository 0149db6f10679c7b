//! The interactive `cme sql` prompt: rustyline for editing and history,
//! statements may span lines and end with `;`, Ctrl-C cancels the running
//! query (or the statement being typed), Ctrl-D exits. Meta commands:
//! `\d` lists the tables, `\d NAME` describes one, `\?` helps, `\q` quits.

use std::io::Write;
use std::path::PathBuf;

use datafusion::prelude::SessionContext;
use rustyline::error::ReadlineError;

use super::catalog::Catalog;
use super::output::{self, Format};
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

pub async fn run(ctx: &SessionContext, catalog: &Catalog, options: &ShellOptions) -> Result<()> {
    let mut editor = rustyline::DefaultEditor::new()
        .map_err(|e| Error::Internal(format!("cannot start the shell: {e}")))?;
    if let Some(path) = &options.history {
        // A missing history file is the first session, not an error.
        let _ = editor.load_history(path);
    }
    println!(
        "cme sql: run {} ({}), {} tables; end statements with `;`, \\d lists tables, \\? helps, \\q or Ctrl-D quits",
        catalog.run_id,
        catalog.period,
        catalog.tables.len()
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { "cme> " } else { "  -> " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                println!("^C");
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Error::Internal(format!("shell: {e}"))),
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(trimmed);
            if !meta(ctx, catalog, trimmed).await {
                break;
            }
            continue;
        }
        if trimmed.is_empty() && buffer.is_empty() {
            continue;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if !trimmed.ends_with(';') {
            continue;
        }
        let script = std::mem::take(&mut buffer);
        let _ = editor.add_history_entry(script.trim());
        if let Err(e) = execute(ctx, &script, options).await {
            eprintln!("error: {e}");
        }
    }
    if let Some(path) = &options.history {
        if let Err(e) = editor.save_history(path) {
            tracing::warn!(error = %e, "could not save the shell history to {}", path.display());
        }
    }
    Ok(())
}

/// Runs each statement of `script`; Ctrl-C cancels the one running.
async fn execute(ctx: &SessionContext, script: &str, options: &ShellOptions) -> Result<()> {
    for statement in super::split_statements(script)? {
        tokio::select! {
            result = super::run(ctx, &statement) => {
                let batches = result?;
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                output::write(&batches, options.format, options.max_rows, &mut out, None)?;
                out.flush().ok();
            }
            _ = tokio::signal::ctrl_c() => {
                println!("query cancelled");
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A meta command; false means quit.
async fn meta(ctx: &SessionContext, catalog: &Catalog, command: &str) -> bool {
    let mut parts = command.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some("\\q"), _) => return false,
        (Some("\\d"), None) => print_tables(catalog),
        (Some("\\d"), Some(name)) => {
            if let Err(e) = describe(ctx, name).await {
                eprintln!("error: {e}");
            }
        }
        (Some("\\?"), _) | (Some("\\h"), _) => println!(
            "\\d            list the tables\n\\d NAME       describe a table\n\\q            quit (or Ctrl-D)\nSQL ending with `;` runs; Ctrl-C cancels a running query. Writes are refused."
        ),
        _ => eprintln!("unknown command `{command}`: \\? lists the commands"),
    }
    true
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
