//! A BI tool's view of the published Parquet: pyarrow (installed by
//! `make test`) reads every table and must find plain strings, DATE and
//! 64-bit integers, never string_view, large_string or nanosecond timestamps.

mod common;

use std::process::Command;

use common::{ep, run};

#[tokio::test]
async fn pyarrow_reads_plain_strings_and_dates() {
    let r = run(&[ep("E1", "C1", "2018-06-01").set("sex", "M")], "2018-06").await;
    let python = std::env::var("CME_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import sys, pyarrow.parquet as pq
for path in sys.argv[1:]:
    schema = pq.read_schema(path)
    for field in schema:
        print(path.rsplit('/', 1)[-1], field.name, field.type, sep='\t')
"#;
    let files: Vec<String> = r
        .manifest
        .outputs
        .iter()
        .map(|o| {
            r.dir
                .path()
                .join("warehouse")
                .join(&o.object)
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let output = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} (run `make test`, which installs pyarrow): {e}")
        });
    assert!(
        output.status.success(),
        "pyarrow failed (run `make test`, which installs it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing = String::from_utf8(output.stdout).unwrap();
    let types: Vec<(String, String, String)> = listing
        .lines()
        .map(|l| {
            let mut parts = l.split('\t');
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
            )
        })
        .collect();
    assert!(types.len() > 40, "{listing}");
    let allowed = ["string", "date32[day]", "int64", "int32", "double"];
    for (file, column, ty) in &types {
        assert!(
            allowed.contains(&ty.as_str()),
            "{file}.{column} has type {ty}"
        );
    }
    let type_of = |file: &str, column: &str| {
        types
            .iter()
            .find(|(f, c, _)| f == file && c == column)
            .map(|(_, _, t)| t.clone())
            .unwrap_or_else(|| panic!("{file}.{column} missing"))
    };
    assert_eq!(type_of("indicator_values.parquet", "category"), "string");
    assert_eq!(
        type_of("indicator_values.parquet", "period_start"),
        "date32[day]"
    );
    assert_eq!(type_of("indicator_values.parquet", "value"), "int64");
    assert_eq!(type_of("performance_summary.parquet", "rag"), "string");
    assert_eq!(type_of("quarterly_tables.parquet", "q1_percent"), "double");
}
