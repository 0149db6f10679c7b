//! A second, differently shaped source publishes the same figures: the
//! case-management system's own export (`cme synth --style casesys`, read with
//! pipelines/casesys.toml) holds exactly the canonical sample's episodes with
//! other headers and column order, an extra column, labels instead of codes, a
//! title row and a total row, as Windows-1252 CSV and as xlsx. All three are run
//! through the real pipeline for June 2018 and every published row must match.

mod common;

use std::path::Path;

use cme::config::PipelineConfig;
use cme::synth::{Style, SynthOptions};
use common::{TEST_KEY, config, repo, run_file};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;

const CANONICAL: &str = "data/sample/cme-extract-sample.csv";
const CASESYS_CSV: &str = "data/sample/casesys-extract-sample.csv";
const CASESYS_XLSX: &str = "data/sample/casesys-extract-sample.xlsx";
const PERIOD: &str = "2018-06";
const EXTRACT_DATE: &str = "2018-07-02";
const TABLES: [&str; 4] = [
    "indicator_values",
    "performance_summary",
    "quarterly_tables",
    "monthly_series",
];

/// pipelines/casesys.toml with the test key, as `common::config()` loads cme.toml.
fn casesys_config() -> PipelineConfig {
    let mut config = PipelineConfig::load(&repo().join("pipelines/casesys.toml"))
        .expect("casesys pipeline loads");
    config.pseudonym.key = Some(TEST_KEY.into());
    config.pseudonym.key_env = "CME_TEST_KEY_NOT_SET".into();
    config
}

async fn run(config: PipelineConfig, input: &str) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    run_file(config, dir, &repo().join(input), PERIOD, EXTRACT_DATE)
        .await
        .unwrap_or_else(|e| panic!("{input}: {e}"))
}

/// Every row of `table` (optionally without some columns), ordered by all its
/// columns, as one printed table.
async fn snapshot(ctx: &SessionContext, table: &str, without: &[&str]) -> (usize, String) {
    let schema = ctx.table(table).await.unwrap().schema().clone();
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|name| !without.contains(&name.as_str()))
        .map(|name| format!("\"{name}\""))
        .collect();
    let list = columns.join(", ");
    let sql = format!("SELECT {list} FROM {table} ORDER BY {list}");
    let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let rows = batches.iter().map(|b| b.num_rows()).sum();
    (rows, pretty_format_batches(&batches).unwrap().to_string())
}

/// The first line where two printed tables differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}:\n  canonical: {x}\n  casesys:   {y}", i + 1))
        .unwrap_or_else(|| "one is a prefix of the other".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn casesys_exports_publish_the_canonical_figures() {
    let (canonical, csv, xlsx) = tokio::join!(
        run(config(), CANONICAL),
        run(casesys_config(), CASESYS_CSV),
        run(casesys_config(), CASESYS_XLSX),
    );

    // The canonical sample: every row staged.
    let base = &canonical.ingest;
    assert_eq!(
        (base.rows_read, base.rows_staged, base.rows_quarantined),
        (1703, 1703, 0)
    );

    // Both casesys files: the same episodes staged, only the total row
    // quarantined (a layout row, so the quarantine share stays 0), the extra
    // column ignored, every label mapped to a category.
    for (run, encoding, sheet) in [
        (&csv, "windows-1252", None),
        (&xlsx, "xlsx", Some(cme::synth::CASESYS_SHEET.to_string())),
    ] {
        let report = &run.ingest;
        let file = &report.file;
        assert_eq!(
            report.rows_read,
            report.rows_staged + 1,
            "{file}: {report:?}"
        );
        assert_eq!(report.rows_staged, base.rows_staged, "{file}");
        assert_eq!(report.rows_quarantined, 1, "{file}");
        assert_eq!(report.exact_duplicates, 0, "{file}");
        assert_eq!(
            report.quarantine_by_reason.iter().collect::<Vec<_>>(),
            vec![(&"summary_row".to_string(), &1)],
            "{file}"
        );
        assert_eq!(report.quarantine_share, 0.0, "{file}");
        assert_eq!(report.encoding, encoding, "{file}");
        assert_eq!(report.sheet, sheet, "{file}");
        assert_eq!(
            report.ignored_columns,
            vec!["Worker Team".to_string()],
            "{file}"
        );
        assert!(
            report.unmapped_values.is_empty(),
            "{file}: unmapped {:?}",
            report.unmapped_values
        );
    }

    // The staged episodes are the same rows (same pseudonyms, codes, dates and
    // flags); only the line each came from differs.
    for run in [&canonical, &csv, &xlsx] {
        let path = run
            .dir
            .path()
            .join("warehouse")
            .join(&run.ingest.staged_object);
        run.ctx
            .register_parquet("staged", path.to_str().unwrap(), Default::default())
            .await
            .unwrap();
    }
    let (staged_rows, staged) = snapshot(&canonical.ctx, "staged", &["source_line"]).await;
    assert_eq!(staged_rows, 1703);
    for (run, what) in [(&csv, "casesys CSV"), (&xlsx, "casesys xlsx")] {
        let (_, other) = snapshot(&run.ctx, "staged", &["source_line"]).await;
        assert!(
            staged == other,
            "staged episodes of the {what} differ at {}",
            first_difference(&staged, &other)
        );
    }

    // Every published row is identical.
    for table in TABLES {
        let (rows, expected) = snapshot(&canonical.ctx, table, &[]).await;
        assert!(rows > 0, "{table} is empty");
        for (run, what) in [(&csv, "casesys CSV"), (&xlsx, "casesys xlsx")] {
            let (other_rows, other) = snapshot(&run.ctx, table, &[]).await;
            assert_eq!(other_rows, rows, "{table} rows from the {what}");
            assert!(
                expected == other,
                "{table} from the {what} differs at {}",
                first_difference(&expected, &other)
            );
        }
    }
    // And the headline figures are the seed report's.
    for run in [&canonical, &csv, &xlsx] {
        assert_eq!(run.value("1a", "All", "quarter").await, Some(188));
        assert_eq!(run.value("6", "All", "quarter").await, Some(210));
    }
}

#[test]
fn committed_casesys_samples_are_what_synth_generates() {
    let dir = tempfile::tempdir().unwrap();
    for committed in [CASESYS_CSV, CASESYS_XLSX] {
        let name = Path::new(committed).file_name().unwrap();
        let generated = dir.path().join(name);
        cme::synth::write_style(&SynthOptions::default(), Style::Casesys, &generated).unwrap();
        assert!(
            std::fs::read(&generated).unwrap() == std::fs::read(repo().join(committed)).unwrap(),
            "{committed} is stale: regenerate it with `cme synth --style casesys --output {committed}`"
        );
    }
}
