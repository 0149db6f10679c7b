//! Runs the SQL files of a stage in file-name order. A file may hold several
//! statements; each is planned and executed on its own (DataFusion's
//! `SessionContext::sql` takes one statement), and a failure names the file,
//! the statement's line and its first words.

use std::path::{Path, PathBuf};

use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::ast::Spanned;
use datafusion::sql::sqlparser::dialect::GenericDialect;

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct SqlFile {
    pub path: PathBuf,
    pub text: String,
}

/// The `.sql` files of `dir`, sorted by name (the names carry the order).
pub fn load_dir(dir: &Path) -> Result<Vec<SqlFile>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Config {
        path: dir.display().to_string(),
        message: format!("cannot read the SQL folder: {e}"),
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::internal(dir.display(), e))?.path();
        if path.extension().is_some_and(|x| x == "sql") {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::Config {
                path: path.display().to_string(),
                message: format!("cannot read: {e}"),
            })?;
            files.push(SqlFile { path, text });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if files.is_empty() {
        return Err(Error::Config {
            path: dir.display().to_string(),
            message: "the SQL folder has no .sql files".into(),
        });
    }
    Ok(files)
}

impl SqlFile {
    /// Views the file asks to have materialized, from header lines such as
    /// `-- materialize: flow_children`. The runner writes each to Parquet
    /// and re-registers it as a table, so later files read the result
    /// instead of recomputing the view every time they refer to it (the
    /// equivalent of a dbt model materialized as a table).
    pub fn materialize(&self) -> Vec<String> {
        self.text
            .lines()
            .filter_map(|line| line.trim().strip_prefix("-- materialize:"))
            .flat_map(|names| names.split(','))
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .collect()
    }
}

/// Plans and executes every statement of `file`, in order.
pub async fn run_file(ctx: &SessionContext, file: &SqlFile) -> Result<usize> {
    let name = file.path.display().to_string();
    let statements = DFParser::parse_sql_with_dialect(&file.text, &GenericDialect {})
        .map_err(|e| Error::Internal(format!("{name}: SQL does not parse: {e}")))?;
    let count = statements.len();
    for (index, statement) in statements.into_iter().enumerate() {
        let line = match &statement {
            Statement::Statement(inner) => inner.span().start.line,
            _ => 0,
        };
        let head: String = statement
            .to_string()
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        let context = || {
            if line > 0 {
                format!("{name}:{line}: statement {} ({head} ...)", index + 1)
            } else {
                format!("{name}: statement {} ({head} ...)", index + 1)
            }
        };
        let state = ctx.state();
        let plan = state
            .statement_to_plan(statement)
            .await
            .map_err(|e| Error::Internal(format!("{}: {e}", context())))?;
        ctx.execute_logical_plan(plan)
            .await
            .map_err(|e| Error::Internal(format!("{}: {e}", context())))?
            .collect()
            .await
            .map_err(|e| Error::Internal(format!("{}: {e}", context())))?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failing statement is named by file, line and position in the file,
    /// and the statements before it have run.
    #[tokio::test]
    async fn a_failure_names_the_file_line_and_statement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("20_broken.sql");
        std::fs::write(
            &path,
            "-- a view, then one over a misspelt table\nCREATE VIEW a AS SELECT 1 AS x;\n\nCREATE VIEW b AS\n  SELECT x FROM no_such_table;\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("10_first.sql"), "SELECT 1;").unwrap();
        let files = load_dir(dir.path()).unwrap();
        assert_eq!(
            files
                .iter()
                .map(|f| f.path.file_name().unwrap().to_str().unwrap())
                .collect::<Vec<_>>(),
            ["10_first.sql", "20_broken.sql"]
        );
        let ctx = SessionContext::new();
        assert_eq!(run_file(&ctx, &files[0]).await.unwrap(), 1);
        let error = run_file(&ctx, &files[1]).await.unwrap_err().to_string();
        assert!(
            error.contains(&format!(
                "{}:4: statement 2 (CREATE VIEW b AS ...)",
                path.display()
            )),
            "{error}"
        );
        assert!(error.contains("no_such_table"), "{error}");
        // The first statement ran before the failure.
        assert!(ctx.table("a").await.is_ok());
    }

    #[test]
    fn a_folder_without_sql_is_a_configuration_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("the SQL folder has no .sql files"),
            "{error}"
        );
    }
}
