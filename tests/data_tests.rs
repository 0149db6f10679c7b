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
