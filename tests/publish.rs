//! Publishing as a scheduler and a BI tool see it, on a local-folder
//! warehouse: the period's `current.json` pointer, idempotent reruns, the
//! Hive-partitioned BI dataset, and the warehouse lock (`cme unlock`).
//! tests/object_store.rs does the same against real S3, Azure and GCS
//! servers, with faults and races.

mod common;

use std::path::Path;

use assert_cmd::Command;

use serde_json::Value;

const KEY: &str = "publish-test-pseudonym-key-00000001";
const SAMPLE: &str = "data/sample/cme-extract-sample.csv";
const TABLES: [&str; 7] = [
    "indicator_values",
    "performance_summary",
    "quarterly_tables",
    "monthly_series",
    "quarantine",
    "public_performance_summary",
    "public_quarterly_tables",
];

fn cme(warehouse: &Path, args: &[&str]) -> Command {
    Command::from_std(common::cme_command(KEY, warehouse, args))
}

fn run_period(warehouse: &Path, period: &str) -> std::process::Output {
    cme(
        warehouse,
        &[
            "run",
            "--period",
            period,
            "--input",
            SAMPLE,
            "--extract-date",
            "2018-07-02",
        ],
    )
    .output()
    .unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// table -> bytes of each table of the run the period's pointer names.
fn tables_through_pointer(warehouse: &Path, period: &str) -> Vec<(String, Vec<u8>)> {
    let pointer = json(&warehouse.join(format!("runs/{period}/current.json")));
    let manifest = json(&warehouse.join(pointer["manifest"].as_str().unwrap()));
    manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["table"].as_str().unwrap().to_string(),
                std::fs::read(warehouse.join(o["object"].as_str().unwrap())).unwrap(),
            )
        })
        .collect()
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_rerun_commits_a_new_run_with_identical_tables_and_no_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    let first = run_period(&wh, "2018-06");
    assert!(first.status.success(), "{}", common::printed(&first));
    let pointer1 = json(&wh.join("runs/2018-06/current.json"));
    let tables1 = tables_through_pointer(&wh, "2018-06");

    let second = run_period(&wh, "2018-06");
    assert!(second.status.success(), "{}", common::printed(&second));
    let pointer2 = json(&wh.join("runs/2018-06/current.json"));
    assert_ne!(
        pointer1["run_id"], pointer2["run_id"],
        "a rerun is a new run"
    );
    assert_eq!(pointer2["previous_run_id"], pointer1["run_id"]);
    assert!(pointer1["previous_run_id"].is_null());

    // Same inputs, same configuration: the same bytes, table by table.
    let tables2 = tables_through_pointer(&wh, "2018-06");
    assert_eq!(
        tables1.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        TABLES
    );
    for ((name, a), (_, b)) in tables1.iter().zip(&tables2) {
        assert!(a == b, "{name} differs between the two runs");
    }

    // The BI dataset holds one file per table and month: the current run's.
    let bi = files_under(&wh.join("bi"));
    let expected: Vec<String> = {
        let mut v: Vec<String> = TABLES
            .iter()
            .map(|t| format!("{t}/report_month=2018-06/{t}.parquet"))
            .collect();
        v.sort();
        v
    };
    assert_eq!(bi, expected);
    for (name, bytes) in &tables2 {
        let copy = std::fs::read(wh.join(format!("bi/{name}/report_month=2018-06/{name}.parquet")))
            .unwrap();
        assert!(&copy == bytes, "bi copy of {name} is not the current run's");
    }
    // Both run folders are complete and kept; the lock is gone.
    let runs = files_under(&wh.join("runs/2018-06"));
    assert_eq!(
        runs.iter().filter(|f| f.ends_with("manifest.json")).count(),
        2
    );
    assert!(!wh.join("_lock.json").exists());
    let printed = common::printed(&second);
    assert!(printed.contains("committed"), "{printed}");
    assert!(printed.contains("report_month=2018-06"), "{printed}");
}

/// The documented BI reads (docs/bi.md): pyarrow, and DuckDB when the test
/// environment has it, over two months of the Hive-partitioned dataset.
#[test]
fn the_bi_dataset_reads_as_a_hive_partitioned_history() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    for period in ["2018-05", "2018-06"] {
        let out = run_period(&wh, period);
        assert!(out.status.success(), "{}", common::printed(&out));
    }
    let python = std::env::var("CME_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import sys
import pyarrow.dataset as ds
root = sys.argv[1]
data = ds.dataset(root + "/bi/performance_summary", format="parquet", partitioning="hive")
rows = data.to_table().to_pylist()
months = sorted({r["report_month"] for r in rows})
new = {r["report_month"]: r["quarter_value"] for r in rows
       if r["indicator_id"] == "1a" and r["category"] == "All"}
print("pyarrow", months, len(rows), new["2018-05"], new["2018-06"])
try:
    import duckdb
except ImportError:
    sys.exit(0)
con = duckdb.connect()
q = f"""
SELECT report_month, quarter_value
FROM read_parquet('{root}/bi/performance_summary/*/*.parquet', hive_partitioning = true)
WHERE indicator_id = '1a' AND category = 'All' ORDER BY report_month
"""
print("duckdb", con.sql(q).fetchall())
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script, wh.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::printed(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    // 42 summary rows a month; new children (1a) in the quarter to date:
    // 188 in June 2018 (BRIEF.md, tests/sample.rs), fewer in May.
    let pyarrow = lines.next().unwrap();
    assert!(
        pyarrow.starts_with("pyarrow ['2018-05', '2018-06'] 84 "),
        "{pyarrow}"
    );
    let values: Vec<i64> = pyarrow
        .split_whitespace()
        .rev()
        .take(2)
        .map(|v| v.parse().unwrap())
        .collect();
    let (may, june) = (values[1], values[0]);
    assert_eq!(june, 188);
    assert!(0 < may && may < june, "{pyarrow}");
    if let Some(duck) = lines.next() {
        assert_eq!(
            duck,
            format!("duckdb [('2018-05', {may}), ('2018-06', {june})]")
        );
    } else {
        assert!(
            std::env::var("CME_TEST_PYTHON").is_err(),
            "the test environment (make test) installs duckdb"
        );
    }
    // The same figures as DataFusion reads from the month's BI file.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let quarter_1a = |period: &str| -> i64 {
        let path = wh.join(format!(
            "bi/performance_summary/report_month={period}/performance_summary.parquet"
        ));
        rt.block_on(async {
            let ctx = cme::transform::session::local_session();
            ctx.register_parquet("s", path.to_str().unwrap(), Default::default())
                .await
                .unwrap();
            let batches = ctx
                .sql("SELECT quarter_value FROM s WHERE indicator_id = '1a' AND category = 'All'")
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            use datafusion::arrow::array::{Array, Int64Array};
            let column = batches[0]
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap();
            assert_eq!(column.len(), 1);
            column.value(0)
        })
    };
    assert_eq!((quarter_1a("2018-05"), quarter_1a("2018-06")), (may, june));
}

fn write_lock(wh: &Path, host: &str, pid: u32, expires_in_secs: i64) {
    std::fs::create_dir_all(wh).unwrap();
    let now = chrono::Utc::now();
    let lock = serde_json::json!({
        "token": "0000000000000001",
        "host": host,
        "pid": pid,
        "command": "run 2018-06",
        "acquired_at": (now - chrono::Duration::seconds(30)).to_rfc3339(),
        "expires_at": (now + chrono::Duration::seconds(expires_in_secs)).to_rfc3339(),
    });
    std::fs::write(wh.join("_lock.json"), serde_json::to_vec(&lock).unwrap()).unwrap();
}

#[test]
fn a_held_lock_refuses_every_writing_command_and_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    write_lock(&wh, "scheduler-host-b", 4242, 600);
    for args in [
        vec![
            "run",
            "--period",
            "2018-06",
            "--input",
            SAMPLE,
            "--extract-date",
            "2018-07-02",
        ],
        vec!["ingest", "--input", SAMPLE, "--extract-date", "2018-07-02"],
        vec!["transform", "--period", "2018-06"],
        vec!["publish", "--period", "2018-06"],
    ] {
        let out = cme(&wh, &args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(6),
            "{args:?}: {}",
            common::printed(&out)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("is locked by `run 2018-06` on host scheduler-host-b (pid 4242)"),
            "{stderr}"
        );
        assert!(stderr.contains("cme unlock"), "{stderr}");
    }
    // Nothing was written, and the lock is still the other run's.
    assert_eq!(files_under(&wh), ["_lock.json"]);
    assert_eq!(json(&wh.join("_lock.json"))["host"], "scheduler-host-b");
}

#[test]
fn an_expired_lock_or_one_left_by_a_dead_process_here_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    write_lock(&wh, "scheduler-host-b", 4242, -5);
    let out = cme(
        &wh,
        &["ingest", "--input", SAMPLE, "--extract-date", "2018-07-02"],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", common::printed(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("took over the warehouse lock: it expired"),
        "{stderr}"
    );
    assert!(
        !wh.join("_lock.json").exists(),
        "the lock is released at the end"
    );

    // A process of this host that has exited: its pid is free.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    write_lock(&wh, &cme::lock::host_name(), pid, 600);
    let out = cme(&wh, &["transform", "--period", "2018-06"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::printed(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("its process no longer exists"),
        "{}",
        common::printed(&out)
    );
}

#[test]
fn a_failed_run_releases_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    // Nothing staged yet: transform fails with bad input (3).
    let out = cme(&wh, &["transform", "--period", "2018-06"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", common::printed(&out));
    assert!(!wh.join("_lock.json").exists());
}

#[test]
fn unlock_shows_the_holder_and_needs_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    std::fs::create_dir_all(&wh).unwrap();
    cme(&wh, &["unlock"])
        .assert()
        .success()
        .stdout(predicates::str::contains("is not locked"));

    write_lock(&wh, "scheduler-host-b", 4242, 600);
    // Not a terminal and no --yes: refused, lock kept.
    let out = cme(&wh, &["unlock"]).write_stdin("y\n").output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", common::printed(&out));
    let printed = common::printed(&out);
    assert!(printed.contains("scheduler-host-b (pid 4242)"), "{printed}");
    assert!(printed.contains("--yes"), "{printed}");
    assert!(wh.join("_lock.json").exists());

    cme(&wh, &["unlock", "--yes"])
        .assert()
        .success()
        .stdout(predicates::str::contains("lock removed"));
    assert!(!wh.join("_lock.json").exists());
    let out = run_period(&wh, "2018-06");
    assert!(out.status.success(), "{}", common::printed(&out));
}

/// The pointer's conditional put: a commit that names a pointer version
/// someone else has replaced is refused, whoever wrote in between.
#[tokio::test]
async fn a_commit_from_a_stale_pointer_version_is_refused() {
    use cme::publish::pointer;
    let dir = tempfile::tempdir().unwrap();
    let wh = cme::warehouse::Warehouse::open(dir.path().join("wh").to_str().unwrap()).unwrap();
    let period = cme::calendar::Period::parse("2018-06").unwrap();
    pointer::commit(
        &wh,
        period,
        "run-a",
        "runs/2018-06/run-a/manifest.json",
        None,
    )
    .await
    .unwrap();
    // A second first commit loses: the pointer exists now.
    let err = pointer::commit(&wh, period, "run-x", "m", None)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 6, "{err}");

    let seen_by_b = pointer::read(&wh, period).await.unwrap().unwrap();
    let seen_by_c = seen_by_b.clone();
    let b = pointer::commit(&wh, period, "run-b", "m", Some(&seen_by_b))
        .await
        .unwrap();
    assert_eq!(b.previous_run_id.as_deref(), Some("run-a"));
    let err = pointer::commit(&wh, period, "run-c", "m", Some(&seen_by_c))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 6);
    assert!(err.to_string().contains("now names run run-b"), "{err}");
    assert_eq!(
        pointer::read(&wh, period).await.unwrap().unwrap().0.run_id,
        "run-b"
    );
}
