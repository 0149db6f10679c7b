//! The published report of a run on the bundled sample, as `make run`
//! makes it: report.html's numbers equal the performance_summary and
//! quarterly_tables it was drawn from (parsed back out of the HTML), the
//! commentary quotes the right figures, and the public variant hides every
//! small count.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

const KEY: &str = "report-test-pseudonym-key-000000001";

/// One run of the sample for the whole file: (warehouse, run folder).
fn sample_run() -> &'static (tempfile::TempDir, PathBuf) {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| run_sample_for("2018-06"))
}

/// The sample published for `period`: (warehouse, run folder).
fn run_sample_for(period: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    let output = common::run_sample(KEY, &wh, period);
    assert!(output.status.success(), "{}", common::printed(&output));
    let pointer: Value = serde_json::from_slice(
        &std::fs::read(wh.join(format!("runs/{period}/current.json"))).unwrap(),
    )
    .unwrap();
    let manifest = wh.join(pointer["manifest"].as_str().unwrap());
    let run = manifest.parent().unwrap().to_path_buf();
    (dir, run)
}

fn read(run: &Path, name: &str) -> String {
    std::fs::read_to_string(run.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Rows of a published Parquet table as JSON objects (via pyarrow-free
/// DataFusion + arrow-json).
fn table(run: &Path, name: &str) -> Vec<serde_json::Map<String, Value>> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ctx = cme::transform::session::local_session();
        let path = run.join(format!("{name}.parquet"));
        let batches = ctx
            .read_parquet(path.to_str().unwrap(), Default::default())
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let mut writer = datafusion::arrow::json::ArrayWriter::new(Vec::new());
        for b in &batches {
            writer.write(b).unwrap();
        }
        writer.finish().unwrap();
        serde_json::from_slice(&writer.into_inner()).unwrap()
    })
}

fn unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
}

/// (indicator, category, column) -> cell text, parsed from the indicator
/// table of report.html.
fn html_indicator_cells(html: &str) -> BTreeMap<(String, String, String), String> {
    let row =
        Regex::new(r#"(?s)<tr class="[^"]*" data-ind="([^"]+)" data-cat="([^"]+)">(.*?)</tr>"#)
            .unwrap();
    let cell = Regex::new(r#"<td class="n" data-col="([a-z_0-9]+)">([^<]*)</td>"#).unwrap();
    let mut out = BTreeMap::new();
    for r in row.captures_iter(html) {
        for c in cell.captures_iter(&r[3]) {
            out.insert(
                (unescape(&r[1]), unescape(&r[2]), c[1].to_string()),
                c[2].trim().to_string(),
            );
        }
    }
    out
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::Number(n)) if n.is_i64() => n.to_string(),
        Some(Value::Number(n)) => format!("{:.1}", n.as_f64().unwrap()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[test]
fn the_run_publishes_the_three_reports_and_lists_them_in_the_manifest() {
    let (_, run) = sample_run();
    let manifest: Value = serde_json::from_str(&read(run, "manifest.json")).unwrap();
    let names: Vec<&str> = manifest["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "report.html",
            "report.json",
            "public/report-public.html",
            "public/report-public.json"
        ]
    );
    let html = read(run, "report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: no scripts, no external assets.
    assert!(!html.contains("<script"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(!html.contains("<link"));
    for section in [
        "id=\"key\"",
        "id=\"indicators\"",
        "id=\"quarterly\"",
        "id=\"charts\"",
        "id=\"commentary\"",
    ] {
        assert!(html.contains(section), "{section}");
    }
    assert_eq!(html.matches("<svg").count(), 4, "four charts");
    assert!(html.contains("Data as at: 2018-07-02"));
    assert!(html.contains("Reporting month: <strong>June 2018</strong>"));
    assert!(!html.contains("NaN") && !html.contains("#DIV/0!"));
}

#[test]
fn every_number_in_the_html_indicator_table_equals_performance_summary() {
    let (_, run) = sample_run();
    let cells = html_indicator_cells(&read(run, "report.html"));
    let summary = table(run, "performance_summary");
    assert_eq!(summary.len(), 42);
    let columns = [
        ("month", "month_value"),
        ("quarter", "quarter_value"),
        ("year_to_date", "year_to_date_value"),
        ("previous_fy_2", "previous_fy_2_value"),
        ("previous_fy_1", "previous_fy_1_value"),
    ];
    assert_eq!(cells.len(), summary.len() * columns.len());
    for row in &summary {
        let id = row["indicator_id"].as_str().unwrap().to_string();
        let category = row["category"].as_str().unwrap().to_string();
        for (html_column, table_column) in columns {
            let shown = &cells[&(id.clone(), category.clone(), html_column.to_string())];
            assert_eq!(
                shown,
                &text_of(row.get(table_column)),
                "{id} {category} {html_column}"
            );
        }
    }
    // Spot values from the seed: 188 new children in Q1, 210 active.
    assert_eq!(cells[&("1a".into(), "All".into(), "quarter".into())], "188");
    assert_eq!(cells[&("6".into(), "All".into(), "month".into())], "210");
}

#[test]
fn every_number_in_the_html_quarterly_tables_equals_quarterly_tables() {
    let (_, run) = sample_run();
    let html = read(run, "report.html");
    let block = Regex::new(r#"(?s)<div class="qtable" data-table="(\d+)">(.*?)</div>"#).unwrap();
    let row = Regex::new(r#"(?s)<tr class="[^"]*" data-cat="([^"]+)">(.*?)</tr>"#).unwrap();
    let cell = Regex::new(r#"<td class="n"[^>]*>([^<]*)</td>"#).unwrap();
    let mut parsed: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for b in block.captures_iter(&html) {
        for r in row.captures_iter(&b[2]) {
            let values: Vec<String> = cell
                .captures_iter(&r[2])
                .map(|c| c[1].to_string())
                .collect();
            parsed.insert((b[1].to_string(), unescape(&r[1])), values);
        }
    }
    let rows = table(run, "quarterly_tables");
    assert_eq!(parsed.len(), rows.len());
    for row in &rows {
        let key = (
            row["table_id"].as_str().unwrap().to_string(),
            row["category"].as_str().unwrap().to_string(),
        );
        let expected: Vec<String> = ["q1", "q2", "q3", "q4", "total_to_date"]
            .iter()
            .flat_map(|q| {
                [
                    text_of(row.get(&format!("{q}_value"))),
                    text_of(row.get(&format!("{q}_percent"))),
                ]
            })
            .collect();
        assert_eq!(parsed[&key], expected, "{key:?}");
    }
    // June is in Q1: Q2-Q4 not started, shown empty (never 0).
    assert_eq!(parsed[&("13".into(), "Total".into())][2], "");
}

#[test]
fn the_commentary_quotes_the_figures_of_the_tables() {
    let (_, run) = sample_run();
    let report: Value = serde_json::from_str(&read(run, "report.json")).unwrap();
    let sentences: BTreeMap<String, String> = report["commentary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let summary = table(run, "performance_summary");
    let get = |id: &str, category: &str, column: &str| -> i64 {
        summary
            .iter()
            .find(|r| r["indicator_id"] == id && r["category"] == category)
            .unwrap()[column]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        sentences["new_referrals"],
        "In Q1 2018/19 there were 188 children (from 116 families) newly referred as missing education."
    );
    let previous = get("1a", "All", "previous_quarter_value");
    let (direction, change) = match 188.cmp(&previous) {
        std::cmp::Ordering::Greater => ("an increase", format!(" of {}", 188 - previous)),
        std::cmp::Ordering::Less => ("a decrease", format!(" of {}", previous - 188)),
        std::cmp::Ordering::Equal => ("no change", String::new()),
    };
    assert_eq!(
        sentences["new_referrals_change"],
        format!(
            "This is {direction}{change} compared with the previous quarter ({previous} children)."
        )
    );
    // 110 of 188 = 58.5%; Central 146 of 188 = 77.7%.
    assert_eq!(
        sentences["previous_episodes"],
        "Of the 188 children referred in the quarter, 110 (58.5%) had a previous episode of missing education that had been closed."
    );
    assert_eq!(
        sentences["largest_locality"],
        "77.7% of the children newly referred in the quarter (146) were from the Central locality at the time of referral."
    );
    assert_eq!(
        sentences["active_and_resolved"],
        "At the end of June 2018 there were 210 active cases, and 134 cases were resolved in the quarter."
    );
    assert_eq!(
        sentences["removal_authorised"],
        format!(
            "For {} of the open cases the school was authorised to remove the child from its admission roll.",
            get("8", "All", "month_value")
        )
    );
    // 13-18 months 8, over 18 months 0.
    assert_eq!(
        sentences["open_long"],
        "8 children have been open for 13 months or more."
    );
    // Table 17, year to date: 35 of 134 (26.1%), 23 of 134 (17.2%).
    assert_eq!(
        sentences["closure_outcomes"],
        "Of the 134 cases closed in 2018/19 to date, the main outcomes were Other LA accepted responsibility (26.1%) and Verified left UK (17.2%)."
    );
    // The HTML prints the same sentences.
    let html = read(run, "report.html");
    for text in sentences.values() {
        let escaped = text
            .replace('&', "&amp;")
            .replace('\'', "&#x27;")
            .replace('/', "&#x2f;");
        assert!(
            html.contains(text.as_str()) || html.contains(&escaped),
            "{text}"
        );
    }
}

/// In March (Q4 2017/18) the quarter and the year to date differ, so a
/// sentence reading the wrong period's column shows: every figure is taken
/// from performance_summary, not written down.
#[test]
fn outside_the_first_quarter_the_commentary_quotes_the_quarter_and_year_to_date_columns() {
    let (_dir, run) = run_sample_for("2018-03");
    let report: Value = serde_json::from_str(&read(&run, "report.json")).unwrap();
    let sentence = |id: &str| -> String {
        report["commentary"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no sentence {id}"))["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let summary = table(&run, "performance_summary");
    let get = |id: &str, column: &str| -> i64 {
        summary
            .iter()
            .find(|r| r["indicator_id"] == id && r["category"] == "All")
            .unwrap()[column]
            .as_i64()
            .unwrap()
    };
    let (new_quarter, new_ytd) = (get("1a", "quarter_value"), get("1a", "year_to_date_value"));
    let (closed_quarter, closed_ytd) = (get("7", "quarter_value"), get("7", "year_to_date_value"));
    assert_ne!(new_quarter, new_ytd);
    assert_ne!(closed_quarter, closed_ytd);
    assert_eq!(
        sentence("new_referrals"),
        format!(
            "In Q4 2017/18 there were {new_quarter} children (from {} families) newly referred as missing education.",
            get("1a_families", "quarter_value")
        )
    );
    let previous = get("1b", "quarter_value");
    assert_eq!(
        sentence("previous_episodes"),
        format!(
            "Of the {new_quarter} children referred in the quarter, {previous} ({:.1}%) had a previous episode of missing education that had been closed.",
            previous as f64 * 100.0 / new_quarter as f64
        )
    );
    assert_eq!(
        sentence("active_and_resolved"),
        format!(
            "At the end of March 2018 there were {} active cases, and {closed_quarter} cases were resolved in the quarter.",
            get("6", "month_value")
        )
    );
    let closures = sentence("closure_outcomes");
    assert!(
        closures.starts_with(&format!("Of the {closed_ytd} cases closed in 2017/18")),
        "{closures}"
    );
}

#[test]
fn the_public_report_hides_small_counts_and_keeps_true_totals() {
    let (_, run) = sample_run();
    let public: Value = serde_json::from_str(&read(run, "public/report-public.json")).unwrap();
    assert_eq!(public["variant"], "public");
    assert_eq!(public["suppression"]["threshold"], 4);
    let mut markers = 0;
    for row in public["indicators"].as_array().unwrap() {
        for column in [
            "month",
            "quarter",
            "year_to_date",
            "previous_fy_2",
            "previous_fy_1",
        ] {
            match &row[column] {
                Value::Number(n) => {
                    let v = n.as_i64().unwrap();
                    let is_total = row["is_headline"] == true
                        && ["1a", "6", "7"].contains(&row["indicator_id"].as_str().unwrap());
                    assert!(
                        is_total || v == 0 || v > 4,
                        "{} {} {column} shows {v}",
                        row["indicator_id"],
                        row["category"]
                    );
                }
                Value::String(s) => {
                    assert_eq!(s, "c");
                    markers += 1;
                }
                _ => {}
            }
        }
    }
    assert!(markers > 0, "the sample has small counts");
    // Totals are the true totals.
    let internal: Value = serde_json::from_str(&read(run, "report.json")).unwrap();
    let find = |r: &Value, id: &str| -> Value {
        r["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["indicator_id"] == id && x["category"] == "All")
            .unwrap()["quarter"]
            .clone()
    };
    for id in ["1a", "6", "7"] {
        assert_eq!(find(&public, id), find(&internal, id), "{id}");
    }
    // Table 14, Q1: every Total equals the internal one; small cells hidden.
    let q14 = |r: &Value| -> Vec<Value> {
        r["quarterly_tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table_id"] == "14")
            .unwrap()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["values"][0].clone())
            .collect()
    };
    let (p, i) = (q14(&public), q14(&internal));
    assert_eq!(p.last(), i.last());
    // Asian Pakistani 7 stays; Any other Asian background 1 is hidden.
    assert!(p.iter().filter(|v| **v == "c").count() >= 2);
    let html = read(run, "public/report-public.html");
    assert!(html.contains("Public version"));
    // The public tables are text columns with the marker.
    let rows = table(run, "public/public_quarterly_tables");
    let cell = rows
        .iter()
        .find(|r| r["table_id"] == "14" && r["category"] == "Any other Asian background")
        .unwrap();
    assert_eq!(cell["q1_value"], "c");
    assert_eq!(cell["q1_percent"], "c");
}
