//! Cutting a script into statements, with DataFusion's own SQL tokenizer
//! (sqlparser, generic dialect, as `SessionContext::sql` parses), so a `;`
//! inside a string, a quoted name, a dollar-quoted string or a (nested)
//! comment never ends a statement, and whatever DataFusion accepts splits
//! the way it parses.

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::error::{Error, Result};

/// One statement of a script: its own text (re-printing a parsed statement
/// is not faithful: `COPY ... TO 'file'` loses its quotes) and the line of
/// the script it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    pub line: u64,
}

/// A SQL file as text: UTF-8, with or without a byte-order mark.
pub fn read_file(path: &std::path::Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Input(format!("cannot read the SQL file {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::Input(format!(
            "the SQL file {} is not UTF-8 text (byte {}); save it as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Text as read from a file or a terminal: a UTF-8 byte-order mark (which
/// Windows editors add) is not SQL.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn tokens(sql: &str) -> std::result::Result<Vec<TokenWithSpan>, String> {
    Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| e.to_string())
}

fn is_code(token: &Token) -> bool {
    !matches!(token, Token::Whitespace(_) | Token::EOF)
}

/// Byte offset of a tokenizer location (1-based line, 1-based column in
/// characters).
fn offset(sql: &str, line_starts: &[usize], at: Location) -> usize {
    let Some(start) = (at.line as usize)
        .checked_sub(1)
        .and_then(|l| line_starts.get(l))
    else {
        return sql.len();
    };
    sql[*start..]
        .char_indices()
        .nth((at.column as usize).saturating_sub(1))
        .map_or(sql.len(), |(i, _)| start + i)
}

/// The statements of a script, at the `;` that end them. Pieces holding
/// only comments and white space are dropped; the statements themselves are
/// parsed when they run. A string, quoted name or comment left open is an
/// error with its position.
pub fn split(sql: &str) -> Result<Vec<Statement>> {
    let sql = without_bom(sql);
    let tokens = tokens(sql).map_err(|e| Error::Input(format!("SQL: {e}")))?;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(sql.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut statements = Vec::new();
    let mut piece_start = 0;
    let mut first_code: Option<u64> = None;
    for token in &tokens {
        if token.token == Token::SemiColon {
            let end = offset(sql, &line_starts, token.span.start);
            if let Some(line) = first_code.take() {
                statements.push(piece(sql, piece_start, end, line));
            }
            piece_start = offset(sql, &line_starts, token.span.end);
        } else if is_code(&token.token) && first_code.is_none() {
            first_code = Some(token.span.start.line);
        }
    }
    if let Some(line) = first_code {
        statements.push(piece(sql, piece_start, sql.len(), line));
    }
    Ok(statements)
}

fn piece(sql: &str, start: usize, end: usize, code_line: u64) -> Statement {
    let raw = &sql[start..end];
    let text = raw.trim();
    // The statement's text starts with its leading comments, if any: its
    // line is that of its first character, so positions inside it map back.
    let skipped = raw.len() - raw.trim_start().len();
    let line = sql[..start + skipped].matches('\n').count() as u64 + 1;
    Statement {
        text: text.to_string(),
        line: line.min(code_line),
    }
}

/// Whether typed text is ready to run: it ends with a `;` outside any
/// string, quoted name or comment. Text with a string or comment still open
/// waits for more lines; other tokenizer errors are ready (running them
/// reports the error).
pub fn is_complete(sql: &str) -> bool {
    match tokens(without_bom(sql)) {
        Ok(tokens) => tokens
            .iter()
            .rev()
            .find(|t| is_code(&t.token))
            .is_some_and(|t| t.token == Token::SemiColon),
        Err(e) => !is_unterminated(&e),
    }
}

/// Whether typed text ends inside a string, quoted name or comment (so a
/// line starting with `\` is part of it, not a meta command).
pub fn in_literal(sql: &str) -> bool {
    tokens(without_bom(sql)).is_err_and(|e| is_unterminated(&e))
}

fn is_unterminated(error: &str) -> bool {
    error.contains("Unterminated")
        || error.contains("Unexpected EOF")
        || error.contains("before EOF")
}

/// The statement's verb as an analyst would name it: its first keyword,
/// after comments and after `EXPLAIN [ANALYZE] [VERBOSE]` (so a refused
/// `EXPLAIN ANALYZE COPY ...` is named COPY).
pub fn verb(sql: &str) -> String {
    let words: Vec<String> = tokens(sql)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| is_code(&t.token))
        .map(|t| match t.token {
            Token::Word(w) => w.value.to_uppercase(),
            other => other.to_string(),
        })
        .take(4)
        .collect();
    words
        .iter()
        .find(|w| !matches!(w.as_str(), "EXPLAIN" | "ANALYZE" | "VERBOSE"))
        .or(words.first())
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        split(sql).unwrap().into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn scripts_split_on_semicolons_outside_strings_names_and_comments() {
        assert_eq!(
            texts("SELECT 'a;b'; -- c;\nSELECT 2;"),
            ["SELECT 'a;b'", "-- c;\nSELECT 2"]
        );
        assert_eq!(
            texts("SELECT \"x;y\", 'it''s;' /* ; */ FROM t;;\n-- only a comment;\n"),
            ["SELECT \"x;y\", 'it''s;' /* ; */ FROM t"]
        );
        // What DataFusion itself accepts: dollar quotes, escaped strings,
        // nested comments, backquoted names.
        assert_eq!(
            texts("SELECT $$a;b$$; SELECT 2"),
            ["SELECT $$a;b$$", "SELECT 2"]
        );
        assert_eq!(texts(r"SELECT E'it\'s; ok'"), [r"SELECT E'it\'s; ok'"]);
        assert_eq!(
            texts("SELECT 1 /* a /* b */ c; */; SELECT 2"),
            ["SELECT 1 /* a /* b */ c; */", "SELECT 2"]
        );
        assert_eq!(texts("SELECT `a;b` FROM t"), ["SELECT `a;b` FROM t"]);
        // The statement's own text is kept, quotes included.
        assert_eq!(
            texts("COPY (SELECT 1) TO '/tmp/x.csv'"),
            ["COPY (SELECT 1) TO '/tmp/x.csv'"]
        );
        assert!(
            split("SELECT 'open")
                .unwrap_err()
                .to_string()
                .contains("Unterminated string literal")
        );
        assert!(split("SELECT 1 /* open").is_err());
        assert!(split("  -- nothing\n").unwrap().is_empty());
        // A byte-order mark is not part of the first statement.
        assert_eq!(texts("\u{feff}SELECT 1;"), ["SELECT 1"]);
    }

    #[test]
    fn each_statement_knows_its_line_in_the_script() {
        let lines: Vec<u64> = split("SELECT 1;\n\n-- two\nSELECT\n 2; SELECT 3;\nSELECT 'é';")
            .unwrap()
            .iter()
            .map(|s| s.line)
            .collect();
        assert_eq!(lines, [1, 3, 5, 6]);
    }

    #[test]
    fn typed_text_is_complete_at_a_semicolon_outside_strings() {
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1; -- done"));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT 'a;"));
        assert!(is_complete("SELECT 'a;\nb';"));
        assert!(!is_complete("SELECT 1 /* ;"));
        assert!(!is_complete("SELECT \"a;"));
        assert!(in_literal("SELECT 'x\n"));
        assert!(in_literal("SELECT 1 /* x\n"));
        assert!(!in_literal("SELECT 'x'\n"));
        assert!(!in_literal(""));
    }

    #[test]
    fn the_verb_skips_comments_and_explain() {
        assert_eq!(verb("/* hi */ COPY (SELECT 1) TO '/tmp/x'"), "COPY");
        assert_eq!(verb("-- note\ndrop table t"), "DROP");
        assert_eq!(verb("EXPLAIN ANALYZE COPY t TO 'x'"), "COPY");
        assert_eq!(verb("EXPLAIN SELECT 1"), "SELECT");
    }
}
