//! Data tests declared in tests.toml files beside the SQL: error-level
//! failures stop the run before anything is staged or written; warn-level
//! failures are reported in the manifest.

mod common;

use common::{config, ep, run, run_with};

#[tokio::test]
async fn shipped_tests_run_and_are_reported_in_the_manifest() {
    // One episode without a family id trips the warn-level family test.
    let r = run(
        &[
            ep("E1", "C1", "2018-06-01"),
            ep("E2", "C2", "2018-06-02").set("family_id", "F9"),
        ],
        "2018-06",
    )
    .await;
    let tests = &r.manifest.data_tests;
    let by_name = |name: &str| {
        tests
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} in {tests:?}"))
    };
    assert!(by_name("unique(episodes.episode_key)").passed);
    assert!(by_name("unique(indicator_values.indicator_id, category, period)").passed);
    assert!(by_name("relationships(indicator_values.indicator_id)").passed);
    let family = by_name("not_null(episodes.family_key)");
    assert!(!family.passed);
    assert_eq!(family.failing_rows, 1);
    assert_eq!(family.severity, cme::datatests::Severity::Warn);
    assert!(tests.len() >= 15, "{}", tests.len());
}

#[tokio::test]
async fn an_error_level_failure_stops_the_run() {
    // A stricter tests file: only boys accepted. A girl in the extract must
    // stop ingest with the data-quality exit code, staging nothing.
    let dir = tempfile::tempdir().unwrap();
    let strict = dir.path().join("strict.toml");
    std::fs::write(
        &strict,
        "[[tests]]\ntable = \"episodes\"\ntest = \"accepted_values\"\ncolumns = [\"sex\"]\nvalues = [\"M\"]\n",
    )
    .unwrap();
    let mut config = config();
    config.transform.staged_tests = strict.to_string_lossy().into_owned();
    let err = match run_with(
        config,
        &[ep("E1", "C1", "2018-06-01").set("sex", "F")],
        "2018-06",
        "2018-07-02",
    )
    .await
    {
        Ok(_) => panic!("expected the data test to fail"),
        Err(e) => e,
    };
    assert_eq!(
        err.exit_code(),
        cme::error::exit_code::DATA_QUALITY,
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("accepted_values(episodes.sex): 1 failing row(s)"),
        "{err}"
    );
}

#[tokio::test]
async fn unique_counts_rows_and_accepted_values_checks_every_column() {
    // Two children share a family and a locality: `unique` on family_key
    // fails with BOTH rows; accepted_values over two columns catches the
    // second column too.
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path().join("t.toml");
    std::fs::write(
        &tests,
        "[[tests]]\ntable = \"episodes\"\ntest = \"unique\"\ncolumns = [\"family_key\"]\nseverity = \"warn\"\n\
         [[tests]]\ntable = \"episodes\"\ntest = \"accepted_values\"\ncolumns = [\"sex\", \"locality\"]\n\
         values = [\"M\", \"F\", \"U\"]\nseverity = \"warn\"\n",
    )
    .unwrap();
    let mut config = config();
    config.transform.staged_tests = tests.to_string_lossy().into_owned();
    let rows = [
        ep("E1", "C1", "2018-06-01")
            .set("family_id", "F1")
            .set("sex", "M"),
        ep("E2", "C2", "2018-06-01")
            .set("family_id", "F1")
            .set("locality", "North")
            .set("sex", "F"),
        ep("E3", "C3", "2018-06-01")
            .set("family_id", "F2")
            .set("sex", "M"),
    ];
    let r = run_with(config, &rows, "2018-06", "2018-07-02")
        .await
        .unwrap();
    let find = |name: &str| {
        r.manifest
            .data_tests
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .failing_rows
    };
    assert_eq!(find("unique(episodes.family_key)"), 2);
    assert_eq!(find("accepted_values(episodes.sex, locality)"), 1);
}

#[tokio::test]
async fn relationships_counts_the_rows_whose_value_is_missing_from_the_other_table() {
    // Relating family_key to child_key: no family key is a child key
    // (different ids), so both rows with a family fail, and the row with no
    // family is not tested. child_key related to itself always passes.
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path().join("t.toml");
    std::fs::write(
        &tests,
        "[[tests]]\ntable = \"episodes\"\ntest = \"relationships\"\ncolumns = [\"family_key\"]\n\
         to_table = \"episodes\"\nto_column = \"child_key\"\nseverity = \"warn\"\n\
         [[tests]]\ntable = \"episodes\"\ntest = \"relationships\"\ncolumns = [\"child_key\"]\n\
         to_table = \"episodes\"\nto_column = \"child_key\"\nseverity = \"warn\"\n",
    )
    .unwrap();
    let mut config = config();
    config.transform.staged_tests = tests.to_string_lossy().into_owned();
    let rows = [
        ep("E1", "C1", "2018-06-01").set("family_id", "F1"),
        ep("E2", "C2", "2018-06-01").set("family_id", "F2"),
        ep("E3", "C3", "2018-06-01").set("family_id", ""),
    ];
    let r = run_with(config, &rows, "2018-06", "2018-07-02")
        .await
        .unwrap();
    let result = |name: &str| {
        r.manifest
            .data_tests
            .iter()
            .find(|t| t.name == name)
            .cloned()
            .unwrap()
    };
    let failing = result("relationships(episodes.family_key)");
    assert_eq!((failing.failing_rows, failing.passed), (2, false));
    let passing = result("relationships(episodes.child_key)");
    assert_eq!((passing.failing_rows, passing.passed), (0, true));
}
