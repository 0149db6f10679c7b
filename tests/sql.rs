//! `cme sql` and `cme tables` as an analyst uses them, on the bundled
//! sample published as `make run` publishes it: the ten documented example
//! questions of docs/sql.md with their documented answers, the refusal of
//! every write, the shell on piped input, output formats, run selection and
//! the hints for misspelt names.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::{printed, repo};

const KEY: &str = "sql-test-pseudonym-key-00000000001";

fn cme(warehouse: &Path, args: &[&str]) -> Command {
    let mut cmd = common::cme_command(KEY, warehouse, args);
    cmd.env("CME_SQL_HISTORY", "");
    cmd
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", printed(&output));
    String::from_utf8(output.stdout).unwrap()
}

fn run_month(warehouse: &Path, period: &str) {
    let output = common::run_sample(KEY, warehouse, period);
    assert!(output.status.success(), "{}", printed(&output));
}

/// The sample published for May and then June 2018, as `make run` does for
/// June: June is the newest committed month, so the default run.
fn warehouse() -> &'static Path {
    static WAREHOUSE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = WAREHOUSE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wh");
        run_month(&path, "2018-05");
        run_month(&path, "2018-06");
        (dir, path)
    });
    path
}

fn sql(args: &[&str]) -> Output {
    cme(warehouse(), &[&["sql"], args].concat())
        .output()
        .unwrap()
}

/// One example of docs/sql.md: its heading, query and documented result.
struct Example {
    heading: String,
    query: String,
    result: String,
}

/// The examples: each `### ` heading followed by a ```sql block and then a
/// ```text block.
fn documented_examples() -> Vec<Example> {
    let doc = std::fs::read_to_string(repo().join("docs/sql.md")).unwrap();
    let section = doc
        .split("## Ten questions analysts ask")
        .nth(1)
        .expect("docs/sql.md has the examples section");
    let block = |text: &str, fence: &str| -> Option<String> {
        let start = text.find(fence)? + fence.len();
        let end = text[start..].find("```")?;
        Some(text[start..start + end].to_string())
    };
    section
        .split("\n### ")
        .skip(1)
        .map(|part| {
            let heading = part.lines().next().unwrap().to_string();
            let query = block(part, "```sql\n").unwrap_or_else(|| panic!("{heading}: no sql"));
            let after_query = &part[part.find("```sql\n").unwrap() + 7 + query.len() + 3..];
            let result =
                block(after_query, "```text\n").unwrap_or_else(|| panic!("{heading}: no result"));
            Example {
                heading,
                query: query.trim().to_string(),
                result,
            }
        })
        .collect()
}

#[test]
fn the_ten_documented_questions_give_their_documented_answers() {
    let examples = documented_examples();
    assert_eq!(examples.len(), 10, "docs/sql.md promises ten examples");
    for example in &examples {
        let output = sql(&["--format", "csv", &example.query]);
        let got = ok(output);
        assert_eq!(
            got, example.result,
            "docs/sql.md example {}: the result differs from the documented one",
            example.heading
        );
    }
}

/// Some documented answers are the seed report's own figures (BRIEF.md), so
/// the documentation cannot drift into agreeing with a wrong pipeline.
#[test]
fn documented_answers_include_the_seed_report_figures() {
    let examples = documented_examples();
    let result = |n: &str| {
        &examples
            .iter()
            .find(|e| e.heading.starts_with(&format!("{n}. ")))
            .unwrap()
            .result
    };
    // Q1 2018/19: 188 new children from 116 families, 110 with a previous
    // episode, 210 active, 134 closed, 49 authorised removals.
    let headline = result("1");
    for line in [
        ",54,188,188",
        ",34,116,116",
        ",35,110,110",
        ",210,210,210",
        ",53,134,134",
        ",49,49,49",
    ] {
        assert!(headline.contains(line), "{line} missing from\n{headline}");
    }
    // 510 and 585 new referrals in 2016/17 and 2017/18.
    assert!(
        result("8").contains("1a,2016/17,510,2017/18,585,75"),
        "{}",
        result("8")
    );
    // The month-by-month series ends with June's 54 new and 210 active.
    assert!(
        result("5").ends_with("Jun 2018,54,210\n"),
        "{}",
        result("5")
    );
    // The time-open buckets add up to the 210 active children.
    let buckets: i64 = result("7")
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(buckets, 210);
}

/// Every way of writing is refused with the bad-input exit code and a
/// message naming the statement, and the warehouse is left as it was.
#[test]
fn writes_are_refused_and_the_warehouse_is_unchanged() {
    let before = listing(warehouse());
    let outside = tempfile::tempdir().unwrap();
    let copy_target = outside.path().join("copy.csv");
    let external = outside.path().join("ext");
    std::fs::create_dir_all(&external).unwrap();
    let attempts = [
        (
            "CREATE",
            "CREATE TABLE t AS SELECT * FROM episodes".to_string(),
        ),
        ("CREATE", "CREATE VIEW v AS SELECT 1".to_string()),
        (
            "CREATE",
            format!(
                "CREATE EXTERNAL TABLE e STORED AS CSV LOCATION '{}'",
                external.display()
            ),
        ),
        (
            "INSERT",
            "INSERT INTO categories SELECT * FROM categories".to_string(),
        ),
        (
            "INSERT",
            "INSERT INTO episodes SELECT * FROM episodes".to_string(),
        ),
        (
            "COPY",
            format!(
                "COPY (SELECT * FROM episodes) TO '{}'",
                copy_target.display()
            ),
        ),
        (
            "COPY",
            format!("COPY episodes TO '{}/x.parquet'", warehouse().display()),
        ),
        ("DROP", "DROP TABLE episodes".to_string()),
        ("DROP", "DROP VIEW performance_summary".to_string()),
        (
            "SET",
            "SET datafusion.execution.target_partitions = 1".to_string(),
        ),
        ("DELETE", "DELETE FROM episodes".to_string()),
    ];
    for (verb, statement) in &attempts {
        let output = sql(&[statement]);
        let text = printed(&output);
        assert_eq!(output.status.code(), Some(3), "{statement}: {text}");
        assert!(
            text.contains(&format!("cme sql is read-only: {verb} is refused")),
            "{statement}: {text}"
        );
    }
    assert!(!copy_target.exists(), "COPY wrote a file");
    // In the shell too, and the shell goes on after the refusal.
    let (code, out, err) = shell_with(
        b"DROP TABLE episodes;\nSELECT count(*) AS n FROM episodes;\n",
        None,
    );
    assert!(
        err.contains("cme sql is read-only: DROP is refused"),
        "{err}"
    );
    assert!(out.contains("n\n1703\n"), "{out}");
    // A piped script that had a failure ends with its exit code.
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("1 error in the script"), "{err}");
    // The refusal names the statement after comments and EXPLAIN.
    for (statement, verb) in [
        (
            "/* note */ COPY (SELECT 1) TO '/tmp/cme-sql-never.csv'",
            "COPY",
        ),
        ("-- why\ndrop table episodes", "DROP"),
        (
            "EXPLAIN ANALYZE COPY episodes TO '/tmp/cme-sql-never.csv'",
            "COPY",
        ),
    ] {
        // After `--`, as the docs say for a query that starts with a comment.
        let output = cme(warehouse(), &["sql"])
            .args(["--", statement])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{statement}");
        assert!(
            printed(&output).contains(&format!("cme sql is read-only: {verb} is refused")),
            "{statement}: {}",
            printed(&output)
        );
    }
    assert!(!Path::new("/tmp/cme-sql-never.csv").exists());
    assert_eq!(listing(warehouse()), before, "the warehouse changed");
}

/// Every file of the warehouse with its size and modified time.
fn listing(root: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                out.push((entry.path(), meta.len(), meta.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Runs the shell on `input` (stdin a pipe), with history in `history`:
/// its exit code, stdout and stderr.
fn shell_with(input: &[u8], history: Option<&Path>) -> (Option<i32>, String, String) {
    let mut cmd = cme(warehouse(), &["sql"]);
    if let Some(history) = history {
        cmd.env("CME_SQL_HISTORY", history);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The shell on piped input that runs without an error.
fn shell(input: &str) -> (String, String) {
    let (code, out, err) = shell_with(input.as_bytes(), None);
    assert_eq!(code, Some(0), "{out}\n{err}");
    (out, err)
}

#[test]
fn the_shell_runs_multi_line_statements_meta_commands_and_keeps_history() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let input = "SELECT quarter_value\n  FROM performance_summary\n  WHERE indicator_id = '1a'\n    AND category = 'All';\n\
                 \\d\n\\d monthly_series\n\\d monthly_serie\n\
                 SELECT 1 AS one; SELECT 2 AS two;\n\
                 SELEC 3;\n\
                 \\q\nSELECT 'after quit' AS never;\n";
    let (code, out, err) = shell_with(input.as_bytes(), Some(&history));
    // Two statements failed (a misspelt table, a syntax error): the shell
    // went on, and the piped script ends with the bad-input exit code.
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("2 errors in the script"), "{err}");
    // The banner names the run, on stderr: stdout holds only results.
    assert!(err.starts_with("cme sql: run "), "{err}");
    assert!(err.contains("(2018-06)"), "{err}");
    assert!(out.starts_with("quarter_value\n188\n"), "{out}");
    // The four-line statement ran once it ended with `;`.
    assert!(out.contains("quarter_value\n188\n"), "{out}");
    // \d lists the tables with their kinds.
    for line in [
        "performance_summary ",
        "episodes ",
        "quarantine ",
        "performance_summary_history ",
        "categories ",
    ] {
        assert!(out.contains(line), "\\d lacks {line}: {out}");
    }
    assert!(out.contains(" staged "), "{out}");
    assert!(out.contains(" reference "), "{out}");
    // \d NAME describes one.
    assert!(out.contains("month_order       Int32 not null"), "{out}");
    assert!(out.contains("active_children   Int64 not null"), "{out}");
    // A misspelt name gets a suggestion, and a syntax error its position;
    // neither ends the shell.
    assert!(
        err.contains("no table `monthly_serie`; did you mean `monthly_series`?"),
        "{err}"
    );
    assert!(err.contains("SELEC 3\n  ^"), "{err}");
    // Two statements on one line both ran; nothing after \q.
    assert!(
        out.contains("one\n1\n") && out.contains("two\n2\n"),
        "{out}"
    );
    assert!(!out.contains("after quit"), "{out}");
    // The history keeps the multi-line statement as one entry and the
    // meta commands.
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(saved.contains("SELECT quarter_value"), "{saved}");
    assert!(saved.contains("\\\\d monthly_series"), "{saved}");
    assert!(!saved.contains("after quit"), "{saved}");
    // A second session starts from that history and adds to it.
    let (_, out, _) = shell_with(b"SELECT 42 AS answer;\n", Some(&history));
    assert!(out.contains("answer\n42\n"), "{out}");
    let saved_again = std::fs::read_to_string(&history).unwrap();
    assert!(
        saved_again.contains("SELECT quarter_value"),
        "{saved_again}"
    );
    assert!(
        saved_again.contains("SELECT 42 AS answer;"),
        "{saved_again}"
    );
}

#[test]
fn the_shell_reads_statements_as_sql_does() {
    // A `;` at the end of a line inside a string does not end the
    // statement; a meta command ends with or without `;`, and works in the
    // middle of a statement, which it leaves as it is.
    let (out, err) =
        shell("SELECT 'a;\nb' AS s;\n\\d monthly_series;\nSELECT 1 AS one\n\\d quarantine\n;\n");
    assert!(out.starts_with("s\n\"a;\nb\"\n"), "{out}");
    assert!(out.contains("month_order"), "{out}");
    assert!(out.contains("reason_code"), "{out}");
    assert!(out.contains("one\n1\n"), "{out}");
    assert!(!err.contains("error"), "{err}");
    // The end of piped input ends the last statement, `;` or not.
    let (out, _) = shell("SELECT 'last' AS x\n");
    assert_eq!(out, "x\nlast\n");
    // \q quits in the middle of a statement too.
    let (out, _) = shell("SELECT 'never' AS x\n\\q\n");
    assert_eq!(out, "");
    // A byte-order mark before the first line is not SQL.
    let (out, _) = shell("\u{feff}SELECT 2 AS two;\n");
    assert_eq!(out, "two\n2\n");
    // Bytes that are not UTF-8: bad input, with the line.
    let (code, _, err) = shell_with(b"SELECT 1;\nSELECT '\xff';\n", None);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("standard input, line 2: not UTF-8"), "{err}");
    // The shell prints: --output and parquet belong to one-shot queries.
    let output = cme(warehouse(), &["sql", "--output", "/tmp/cme-sql-shell.csv"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(printed(&output).contains("--output goes with a query or -f FILE"));
}

#[test]
fn results_print_as_a_table_csv_json_lines_or_parquet() {
    // Indicator 2 for Q1 2018/19: the seed report's 91 boys and 97 girls.
    let query = "SELECT category, quarter_value FROM performance_summary \
                 WHERE indicator_id = '2' ORDER BY category_order";
    assert_eq!(
        ok(sql(&["--format", "csv", query])),
        "category,quarter_value\nMale,91\nFemale,97\nNot known,0\n"
    );
    assert_eq!(
        ok(sql(&["--format", "json", query])),
        "{\"category\":\"Male\",\"quarter_value\":91}\n\
         {\"category\":\"Female\",\"quarter_value\":97}\n\
         {\"category\":\"Not known\",\"quarter_value\":0}\n"
    );
    // JSON keeps null fields, so every row has every column.
    assert_eq!(
        ok(sql(&[
            "--format",
            "json",
            "SELECT 'x' AS a, CAST(NULL AS VARCHAR) AS b"
        ])),
        "{\"a\":\"x\",\"b\":null}\n"
    );
    let table = ok(sql(&["--format", "table", "--max-rows", "2", query]));
    assert!(table.contains("| category | quarter_value |"), "{table}");
    assert!(table.contains("| Female   | 97            |"), "{table}");
    assert!(
        !table.contains("Not known"),
        "--max-rows 2 shows two rows: {table}"
    );
    assert!(table.contains("more than 2 rows (first 2 shown"), "{table}");
    let table = ok(sql(&["--format", "table", "--max-rows", "3", query]));
    assert!(table.ends_with("+\n3 rows\n"), "{table}");
    // An empty result still names its columns.
    assert_eq!(
        ok(sql(&[
            "--format",
            "csv",
            "SELECT reason_code FROM quarantine"
        ])),
        "reason_code\n"
    );
    // Output to a file, and Parquet with plain types for other tools.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let printed_out = ok(sql(&[
        "--format",
        "csv",
        "--output",
        csv.to_str().unwrap(),
        query,
    ]));
    assert_eq!(printed_out, "");
    assert!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .starts_with("category,quarter_value\nMale,91\n")
    );
    let parquet = dir.path().join("out.parquet");
    ok(sql(&[
        "--format",
        "parquet",
        "--output",
        parquet.to_str().unwrap(),
        query,
    ]));
    let ctx = cme::transform::session::local_session();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let text = rt.block_on(async {
        let df = ctx
            .read_parquet(parquet.to_str().unwrap(), Default::default())
            .await
            .unwrap();
        let schema = df.schema().as_arrow().clone();
        let batches = df.collect().await.unwrap();
        format!(
            "{:?} {}",
            schema.field(0).data_type(),
            datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap()
        )
    });
    assert!(text.starts_with("Utf8 "), "{text}");
    assert!(text.contains("| Male      | 91            |"), "{text}");
    // Parquet needs a file.
    let output = sql(&["--format", "parquet", query]);
    assert_eq!(output.status.code(), Some(3), "{}", printed(&output));
    assert!(printed(&output).contains("--output FILE"));
}

#[test]
fn a_file_of_statements_runs_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("q.sql");
    std::fs::write(
        &file,
        "-- two questions; the semicolon in this comment does not split\n\
         SELECT count(*) AS episodes FROM episodes;\n\
         SELECT count(DISTINCT child_key) AS children, 'a;b' AS s FROM episodes;\n",
    )
    .unwrap();
    assert_eq!(
        ok(sql(&["--format", "csv", "-f", file.to_str().unwrap()])),
        "episodes\n1703\nchildren,s\n1075,a;b\n"
    );
    fails_with(
        3,
        &["-f", dir.path().join("missing.sql").to_str().unwrap()],
        "missing.sql",
    );
}

/// `cme sql ARGS` exits with `code` and prints `needle`.
fn fails_with(code: i32, args: &[&str], needle: &str) {
    let output = sql(args);
    let text = printed(&output);
    assert_eq!(output.status.code(), Some(code), "{text}");
    assert!(text.contains(needle), "{needle:?} missing: {text}");
}

#[test]
fn misspelt_names_get_suggestions_and_syntax_errors_their_position() {
    fails_with(
        3,
        &["SELECT * FROM performance_sumary"],
        "did you mean `performance_summary`?",
    );
    fails_with(
        3,
        &["SELECT count(*) FROM \"Episodes\""],
        "did you mean `episodes`?",
    );
    fails_with(
        3,
        &["SELECT indicatr_id FROM performance_summary"],
        "indicator_id",
    );
    let output = sql(&["SELECT category\nFROM performance_summary WHER x = 1"]);
    assert_eq!(output.status.code(), Some(3));
    let text = printed(&output);
    assert!(text.contains("Line: 2, Column: 31"), "{text}");
    assert!(
        text.contains("  FROM performance_summary WHER x = 1\n                                ^"),
        "{text}"
    );
}

#[test]
fn tables_lists_every_kind_and_runs_are_selected_by_period_or_id() {
    let listed = ok(cme(warehouse(), &["tables"]).output().unwrap());
    let first = listed.lines().next().unwrap();
    assert!(
        first.starts_with("run ") && first.ends_with("(2018-06)"),
        "{listed}"
    );
    for (name, kind) in [
        ("indicator_values", "published"),
        ("performance_summary", "published"),
        ("quarterly_tables", "published"),
        ("monthly_series", "published"),
        ("quarantine", "published"),
        ("episodes", "staged"),
        ("performance_summary_history", "history"),
        ("categories", "reference"),
        ("indicator_catalogue", "reference"),
    ] {
        assert!(
            listed.lines().any(|l| {
                let mut words = l.split_whitespace();
                words.next() == Some(name) && words.next() == Some(kind)
            }),
            "{name} ({kind}) missing: {listed}"
        );
    }
    let month = "SELECT month_label, month_value FROM performance_summary \
                 WHERE indicator_id = '1a' AND category = 'All'";
    // Default: the newest committed month (June); --period picks May.
    assert_eq!(
        ok(sql(&["--format", "csv", month])),
        "month_label,month_value\nJune 2018,54\n"
    );
    let may = ok(sql(&["--period", "2018-05", "--format", "csv", month]));
    assert!(
        may.starts_with("month_label,month_value\nMay 2018,"),
        "{may}"
    );
    assert_eq!(may, "month_label,month_value\nMay 2018,59\n");
    // The history holds both months.
    assert_eq!(
        ok(sql(&[
            "--format",
            "csv",
            "SELECT report_month, month_value FROM performance_summary_history \
             WHERE indicator_id = '1a' AND category = 'All' ORDER BY report_month"
        ])),
        "report_month,month_value\n2018-05,59\n2018-06,54\n"
    );
    // --run picks a run by its id.
    let pointer: serde_json::Value = serde_json::from_slice(
        &std::fs::read(warehouse().join("runs/2018-05/current.json")).unwrap(),
    )
    .unwrap();
    let run_id = pointer["run_id"].as_str().unwrap();
    let by_id = ok(sql(&["--run", run_id, "--format", "csv", month]));
    assert_eq!(by_id, may);
    fails_with(3, &["--run", "no-such-run", month], "no run no-such-run");
    fails_with(
        3,
        &["--period", "2017-01", month],
        "no committed run for 2017-01",
    );
}

#[test]
fn an_empty_warehouse_says_to_run_first_and_a_missing_one_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("wh");
    std::fs::create_dir(&empty).unwrap();
    let output = cme(&empty, &["sql", "SELECT 1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", printed(&output));
    assert!(
        printed(&output).contains("run `cme run` first"),
        "{}",
        printed(&output)
    );
    // A mistyped warehouse: the storage exit code, and no folder made.
    let typo = dir.path().join("wherehouse");
    let output = cme(&typo, &["sql", "SELECT 1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", printed(&output));
    assert!(
        printed(&output).contains("no such folder"),
        "{}",
        printed(&output)
    );
    assert!(!typo.exists());
}

/// On a damaged copy, `table` still answers its row count, and the
/// session warned that a table was left out.
fn counts_with_a_table_left_out(copy: &Path, table: &str, rows: u64) {
    let query = format!("SELECT count(*) AS n FROM {table}");
    let output = cme(copy, &["sql", "--format", "csv", &query])
        .output()
        .unwrap();
    let text = printed(&output);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("n\n{rows}\n"),
        "{text}"
    );
    assert!(text.contains("table left out"), "{text}");
}

/// A copy of the sample warehouse to damage, and its June run folder.
fn damaged_copy() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("wh");
    let status = Command::new("cp")
        .args(["-r", warehouse().to_str().unwrap(), copy.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let pointer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copy.join("runs/2018-06/current.json")).unwrap())
            .unwrap();
    let run = copy
        .join(pointer["manifest"].as_str().unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    (dir, copy, run)
}

#[test]
fn a_damaged_warehouse_is_a_storage_failure_and_a_missing_table_is_left_out() {
    // A damaged pointer: exit code 5, naming the file.
    let (_dir, copy, _) = damaged_copy();
    std::fs::write(copy.join("runs/2018-06/current.json"), "{not json").unwrap();
    let output = cme(&copy, &["sql", "SELECT 1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", printed(&output));
    assert!(
        printed(&output).contains("runs/2018-06/current.json"),
        "{}",
        printed(&output)
    );
    assert!(
        printed(&output).contains("not a valid run pointer"),
        "{}",
        printed(&output)
    );
    // A published table deleted: a warning, the other tables still answer,
    // and the missing one is unknown.
    let (_dir, copy, run) = damaged_copy();
    std::fs::remove_file(run.join("indicator_values.parquet")).unwrap();
    counts_with_a_table_left_out(&copy, "monthly_series", 13);
    let output = cme(&copy, &["sql", "SELECT * FROM indicator_values"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", printed(&output));
    // A table file damaged inside (its footer intact): the storage exit code.
    let (_dir, copy, run) = damaged_copy();
    let file = run.join("performance_summary.parquet");
    let mut bytes = std::fs::read(&file).unwrap();
    // The first page (just after the magic bytes), not the footer.
    let end = (bytes.len() / 4).min(64);
    bytes[4..end].fill(0xAB);
    std::fs::write(&file, bytes).unwrap();
    let output = cme(&copy, &["sql", "SELECT * FROM performance_summary"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", printed(&output));
}

#[test]
fn output_files_are_replaced_only_by_a_finished_result_and_never_in_the_warehouse() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept.csv");
    std::fs::write(&kept, "precious\n").unwrap();
    let output = sql(&[
        "--output",
        kept.to_str().unwrap(),
        "SELECT * FROM no_such_table",
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "precious\n");
    ok(sql(&["--output", kept.to_str().unwrap(), "SELECT 1 AS a"]));
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "a\n1\n");
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // Into the warehouse: refused, and the pointer is untouched.
    let before = listing(warehouse());
    let pointer = warehouse().join("runs/2018-06/current.json");
    fails_with(
        3,
        &["--output", pointer.to_str().unwrap(), "SELECT 1 AS a"],
        "is inside the warehouse",
    );
    assert_eq!(listing(warehouse()), before);
    // A result Parquet cannot hold is bad input, not a bug.
    let target = dir.path().join("x.parquet");
    fails_with(
        3,
        &[
            "--format",
            "parquet",
            "--output",
            target.to_str().unwrap(),
            "SELECT interval '1 day' AS iv",
        ],
        "cannot be written as Parquet",
    );
    assert!(!target.exists());
}

#[test]
fn files_with_a_byte_order_mark_run_and_errors_name_the_statement() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("q.sql");
    std::fs::write(
        &file,
        "\u{feff}-- first\nSELECT 1 AS a;\n\nSELECT\n  nope\nFROM episodes;\n",
    )
    .unwrap();
    let output = sql(&["-f", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", printed(&output));
    let text = printed(&output);
    assert!(text.starts_with("a\n1\n"), "{text}");
    assert!(text.contains("q.sql, statement 2 (line 4): SQL:"), "{text}");
    std::fs::write(&file, b"SELECT '\xe9' AS e;\n").unwrap();
    fails_with(3, &["-f", file.to_str().unwrap()], "is not UTF-8 text");
}

#[test]
fn the_staged_episodes_hold_no_personal_columns() {
    let columns = ok(sql(&[
        "--format",
        "csv",
        "SELECT column_name FROM information_schema.columns \
         WHERE table_name = 'episodes' ORDER BY ordinal_position",
    ]));
    for personal in [
        "forename",
        "surname",
        "address",
        "postcode",
        "date_of_birth",
        "child_id",
        "family_id",
        "episode_id",
    ] {
        assert!(
            !columns.lines().any(|c| c == personal),
            "{personal} is queryable: {columns}"
        );
    }
    assert!(columns.lines().any(|c| c == "child_key"), "{columns}");
}

/// A query long enough to interrupt: a three-way cross join of the
/// episodes, sorted.
const SLOW: &str = "SELECT a.episode_key FROM episodes a, episodes b, episodes c \
                    ORDER BY a.episode_key, b.episode_key, c.episode_key LIMIT 1";

/// Waits until `path` (a child's redirected output) holds `text`.
fn wait_for(path: &Path, text: &str) {
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(path)
        .unwrap_or_default()
        .contains(text)
    {
        assert!(start.elapsed().as_secs() < 60, "{text:?} never appeared");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn interrupting_stops_a_piped_script_and_leaves_no_partial_output() {
    let dir = tempfile::tempdir().unwrap();
    // A piped script: Ctrl-C during the second statement stops the script,
    // exit code 3, the notice on stderr, nothing after it runs.
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = cme(warehouse(), &["sql"])
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let script = format!("SELECT 'first' AS s;\n{SLOW};\nSELECT 'after' AS s;\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    wait_for(&out, "first");
    std::thread::sleep(std::time::Duration::from_millis(500));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let (out, err) = (
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(&err).unwrap(),
    );
    assert_eq!(status.code(), Some(3), "{err}");
    assert_eq!(out, "s\nfirst\n");
    assert!(err.contains("query cancelled (Ctrl-C)"), "{err}");
    // A one-shot query to a file, stopped by SIGTERM: the file it would
    // replace is untouched and no temporary file is left.
    let kept = dir.path().join("kept.csv");
    std::fs::write(&kept, "precious\n").unwrap();
    let err = dir.path().join("err2");
    let mut child = cme(
        warehouse(),
        &["sql", "--output", kept.to_str().unwrap(), SLOW],
    )
    .stderr(std::fs::File::create(&err).unwrap())
    .spawn()
    .unwrap();
    // Well after start-up (34 ms), when the signal handlers are in place.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let err = std::fs::read_to_string(&err).unwrap();
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(
        err.contains("query cancelled (SIGTERM); nothing was written"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "precious\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with(".cme-sql-")),
        "{names:?}"
    );
}

#[test]
fn output_follows_symlinks_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.csv");
    std::fs::write(&target, "old\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    ok(sql(&["--output", link.to_str().unwrap(), "SELECT 1 AS a"]));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "a\n1\n");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    // A symlink into the warehouse is still the warehouse.
    let sneaky = dir.path().join("sneaky.json");
    std::os::unix::fs::symlink(warehouse().join("runs/2018-06/current.json"), &sneaky).unwrap();
    let output = sql(&["--output", sneaky.to_str().unwrap(), "SELECT 1 AS a"]);
    assert_eq!(output.status.code(), Some(3), "{}", printed(&output));
    assert!(printed(&output).contains("is inside the warehouse"));
}

#[test]
fn odd_inputs_are_read_as_meant() {
    // A line starting with `\` inside a string is part of the string.
    let (out, _) = shell("SELECT 'x\n\\d\n' AS s;\n");
    assert_eq!(out, "s\n\"x\n\\d\n\"\n");
    // --max-rows must show at least one row; a huge one is fine.
    let output = sql(&["--max-rows", "0", "SELECT 1"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        ok(sql(&[
            "--format",
            "table",
            "--max-rows",
            "18446744073709551615",
            "SELECT 1 AS a"
        ])),
        "+---+\n| a |\n+---+\n| 1 |\n+---+\n1 row\n"
    );
    // A stray folder under runs/ is not a month, and a damaged history file
    // leaves that history out.
    let (_dir, copy, _) = damaged_copy();
    let status = Command::new("cp")
        .args([
            "-r",
            copy.join("runs/2018-06").to_str().unwrap(),
            copy.join("runs/old-2018-06").to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(
        copy.join("bi/monthly_series/report_month=2018-06/monthly_series.parquet"),
        "garbage",
    )
    .unwrap();
    counts_with_a_table_left_out(&copy, "quarterly_tables", 69);
}
