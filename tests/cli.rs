//! The `cme` binary as a user or a scheduler runs it: help, exit codes,
//! messages, the stages one by one, and the summary `make run` prints.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{ep, write_csv};
use predicates::prelude::*;

const KEY: &str = "cli-test-pseudonym-key-000000000001";

fn run_cmd(warehouse: &Path, args: &[&str]) -> Command {
    Command::from_std(common::cme_command(KEY, warehouse, args))
}

#[test]
fn help_lists_commands_options_and_exit_codes() {
    Command::cargo_bin("cme")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("ingest"))
        .stdout(predicate::str::contains("transform"))
        .stdout(predicate::str::contains("publish"))
        .stdout(predicate::str::contains("synth"))
        .stdout(predicate::str::contains("Exit codes"));
    Command::cargo_bin("cme")
        .unwrap()
        .args(["run", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--period"))
        .stdout(predicate::str::contains("--warehouse"))
        .stdout(predicate::str::contains("--input"))
        .stdout(predicate::str::contains("--extract-date"));
}

#[test]
fn run_on_the_sample_prints_a_summary_and_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("wh");
    let output = run_cmd(
        &warehouse,
        &[
            "run",
            "--period",
            "2018-06",
            "--input",
            "data/sample/cme-extract-sample.csv",
            "--extract-date",
            "2018-07-02",
        ],
    )
    .assert()
    .success()
    .get_output()
    .clone();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("period 2018-06"), "{stdout}");
    assert!(stdout.contains("new children (1a)"), "{stdout}");
    assert!(stdout.contains("188"), "{stdout}");
    assert!(stdout.contains("published"), "{stdout}");
    // Tables, reports and the manifest in one aligned list, as the README shows.
    for line in [
        format!("  {:<26} 42 rows", "performance_summary"),
        format!("  {:<26} 42 rows", "public_performance_summary"),
        format!("  {:<26} report", "report.html"),
        format!("  {:<26} report", "public/report-public.html"),
        format!("  {:<26} report", "report.json"),
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line:?} missing: {stdout}"
        );
    }
    let pointer: serde_json::Value = serde_json::from_slice(
        &std::fs::read(warehouse.join("runs/2018-06/current.json")).unwrap(),
    )
    .unwrap();
    let manifest_path = warehouse.join(pointer["manifest"].as_str().unwrap());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manifest_path).unwrap()).unwrap();
    assert_eq!(manifest["reporting_period"], "2018-06");
    assert_eq!(manifest["extract_date"], "2018-07-02");
    let input = &manifest["inputs"][0];
    assert_eq!(input["rows_read"], input["rows_staged"]);
    assert_eq!(input["sha256"].as_str().unwrap().len(), 64);
    let tables: Vec<&str> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["table"].as_str().unwrap())
        .collect();
    assert_eq!(
        tables,
        [
            "indicator_values",
            "performance_summary",
            "quarterly_tables",
            "monthly_series",
            "quarantine",
            "public_performance_summary",
            "public_quarterly_tables"
        ]
    );
    assert_eq!(input["rows_quarantined"], 0);
}

#[test]
fn stages_run_one_by_one_and_as_of_picks_an_older_extract() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("wh");
    // Extract of 2 July: one child new in June. Extract of 9 July: a second
    // June child was recorded late.
    let early = dir.path().join("early.csv");
    let late = dir.path().join("late.csv");
    write_csv(&early, &[ep("E1", "C1", "2018-06-04")]);
    write_csv(
        &late,
        &[ep("E1", "C1", "2018-06-04"), ep("E2", "C2", "2018-06-05")],
    );
    for (file, date) in [(&early, "2018-07-02"), (&late, "2018-07-09")] {
        run_cmd(
            &warehouse,
            &[
                "ingest",
                "--input",
                file.to_str().unwrap(),
                "--extract-date",
                date,
            ],
        )
        .assert()
        .success()
        .stdout(predicate::str::contains("staged"));
    }
    // Publishing before transforming is refused as bad input.
    run_cmd(&warehouse, &["publish", "--period", "2018-06"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cme transform --period 2018-06"));
    run_cmd(
        &warehouse,
        &["transform", "--period", "2018-06", "--as-of", "2018-07-05"],
    )
    .assert()
    .success()
    .stdout(predicate::str::contains("extract of 2018-07-02"));
    run_cmd(&warehouse, &["publish", "--period", "2018-06"])
        .assert()
        .success()
        .stdout(predicate::str::contains("new children (1a)").and(predicate::str::contains("1 |")));
    run_cmd(&warehouse, &["transform", "--period", "2018-06"])
        .assert()
        .success()
        .stdout(predicate::str::contains("extract of 2018-07-09"));
    run_cmd(&warehouse, &["publish", "--period", "2018-06"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 |"));
}

#[test]
fn missing_required_column_is_bad_input_naming_file_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("no-referral.csv");
    std::fs::write(&input, "episode_id,child_id\nE1,C1\n").unwrap();
    run_cmd(
        &dir.path().join("wh"),
        &[
            "ingest",
            "--input",
            input.to_str().unwrap(),
            "--extract-date",
            "2018-07-02",
        ],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("no-referral.csv: line 1"))
    .stderr(predicate::str::contains("referral_date"))
    .stderr(predicate::str::contains(
        "headers found: episode_id, child_id",
    ));
}

#[test]
fn too_many_unusable_rows_stop_the_run_with_the_quarantine_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad-rows.csv");
    write_csv(
        &input,
        &[
            ep("E1", "C1", "2018-06-01"),
            ep("E2", "C2", "2018-06-10").closed("2018-06-01"),
            ep("E3", "C3", "31/02/2018").set("surname", "Zebedee-Quill"),
        ],
    );
    let wh = dir.path().join("wh");
    run_cmd(
        &wh,
        &[
            "ingest",
            "--input",
            input.to_str().unwrap(),
            "--extract-date",
            "2018-07-02",
        ],
    )
    .assert()
    .code(4)
    .stderr(predicate::str::contains("2 of 3 rows quarantined"))
    .stderr(predicate::str::contains(
        "bad_date 1, closure_before_referral 1",
    ))
    .stderr(predicate::str::contains("nothing was staged"))
    .stderr(predicate::str::contains("31/02/2018").not())
    .stderr(predicate::str::contains("Zebedee").not());
    // Nothing was staged; the quarantine is kept for inspection.
    assert!(
        !wh.join("staged/episodes/extract_date=2018-07-02/episodes.parquet")
            .exists()
    );
    assert!(
        wh.join("rejected/extract_date=2018-07-02/quarantine.parquet")
            .exists()
    );
}

#[test]
fn missing_pseudonym_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    run_cmd(
        &dir.path().join("wh"),
        &["ingest", "--extract-date", "2018-07-02"],
    )
    .env_remove("CME_PSEUDONYM_KEY")
    .assert()
    .code(3)
    .stderr(predicate::str::contains("CME_PSEUDONYM_KEY"));
}

#[test]
fn bad_period_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    run_cmd(
        &dir.path().join("wh"),
        &["transform", "--period", "2018-13"],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("YYYY-MM"));
}

#[test]
fn transform_without_staged_data_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    run_cmd(
        &dir.path().join("wh"),
        &["transform", "--period", "2018-06"],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("run `cme ingest`"));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.csv");
    write_csv(&input, &[ep("E1", "C1", "2018-06-01")]);
    let output = run_cmd(
        &dir.path().join("wh"),
        &[
            "ingest",
            "--input",
            input.to_str().unwrap(),
            "--extract-date",
            "2018-07-02",
            "--log-format",
            "json",
        ],
    )
    .assert()
    .success()
    .get_output()
    .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(value.get("level").is_some(), "{line}");
    }
}

#[test]
fn synth_writes_a_deterministic_extract() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    for path in [&a, &b] {
        Command::cargo_bin("cme")
            .unwrap()
            .args(["synth", "--seed", "7", "--output", path.to_str().unwrap()])
            .assert()
            .success()
            .stdout(predicate::str::contains("episodes"));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}
