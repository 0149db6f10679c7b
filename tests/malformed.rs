//! The catalogue of malformed extracts: each case is a small file made here,
//! with its documented outcome: either the exact error (file, line, column,
//! reason, exit code) or the exact rows quarantined, with rows read =
//! staged + quarantined + exact duplicates. Nothing may panic, and no message
//! or quarantine reason may carry a personal value from the file.

mod common;

use std::path::Path;

use cme::config::PipelineConfig;
use cme::error::exit_code;
use cme::ingest::{IngestOptions, IngestReport};
use datafusion::arrow::array::{Array, Int64Array, StringArray};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Personal values planted in every row; none may appear in any message.
const PERSONAL: &[&str] = &[
    "Zebedee",
    "Quillfeather",
    "ZZ1 1ZZ",
    "07/03/2010",
    "9000001",
    "9000002",
];

const HEADER: &str = "episode_id,child_id,family_id,forename,surname,postcode,date_of_birth,sex,ethnicity,\
locality,school_phase,referral_date,closure_date,closure_outcome,presenting_need,open_to_csc,\
removal_from_roll_authorised";

/// One extract line with sensible defaults; `with` replaces a field.
#[derive(Clone)]
struct Line(Vec<(&'static str, String)>);

fn line(episode: &str, child: &str) -> Line {
    let fields = [
        ("episode_id", episode),
        ("child_id", child),
        ("family_id", "F1"),
        ("forename", "Zebedee"),
        ("surname", "Quillfeather"),
        ("postcode", "ZZ1 1ZZ"),
        ("date_of_birth", "07/03/2010"),
        ("sex", "M"),
        ("ethnicity", "WBRI"),
        ("locality", "North"),
        ("school_phase", "Primary"),
        ("referral_date", "01/06/2018"),
        ("closure_date", ""),
        ("closure_outcome", ""),
        ("presenting_need", "Neglect"),
        ("open_to_csc", "N"),
        ("removal_from_roll_authorised", "N"),
    ];
    Line(fields.iter().map(|(k, v)| (*k, v.to_string())).collect())
}

impl Line {
    fn with(mut self, column: &str, value: &str) -> Self {
        let slot = self
            .0
            .iter_mut()
            .find(|(k, _)| *k == column)
            .expect("known column");
        slot.1 = value.to_string();
        self
    }
    fn text(&self) -> String {
        self.0
            .iter()
            .map(|(_, v)| {
                if v.contains([',', '"', '\n']) {
                    format!("\"{}\"", v.replace('"', "\"\""))
                } else {
                    v.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn csv(lines: &[Line]) -> Vec<u8> {
    let mut text = format!("{HEADER}\n");
    for l in lines {
        text.push_str(&l.text());
        text.push('\n');
    }
    text.into_bytes()
}

fn csv_with_tail(lines: &[Line], tail: &str) -> Vec<u8> {
    let mut bytes = csv(lines);
    bytes.extend_from_slice(tail.as_bytes());
    bytes
}

fn config() -> PipelineConfig {
    let mut config = common::config();
    // The catalogue checks outcomes one by one: no threshold unless a case
    // sets one.
    config.quality.max_quarantine_share = 1.0;
    config
}

struct Outcome {
    report: IngestReport,
    /// (line, column, reason_code, reason)
    quarantined: Vec<(u64, String, String, String)>,
    child_keys: Vec<String>,
    dir: tempfile::TempDir,
}

async fn ingest(name: &str, bytes: &[u8], config: &PipelineConfig) -> cme::Result<Outcome> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(name);
    std::fs::write(&input, bytes).unwrap();
    ingest_path(dir, &input, config).await
}

async fn ingest_path(
    dir: tempfile::TempDir,
    input: &Path,
    config: &PipelineConfig,
) -> cme::Result<Outcome> {
    let warehouse =
        cme::warehouse::Warehouse::open(dir.path().join("wh").to_str().unwrap()).unwrap();
    let report = cme::ingest::ingest(
        config,
        &warehouse,
        &IngestOptions {
            input: input.to_path_buf(),
            extract_date: Some(common::date("2018-07-02")),
        },
    )
    .await?;
    assert!(report.reconciles(), "rows do not reconcile: {report:?}");
    let root = dir.path().join("wh");
    let quarantined = read_quarantine(&root.join(&report.quarantine_object));
    let child_keys = read_strings(&root.join(&report.staged_object), "child_key");
    for (_, _, _, reason) in &quarantined {
        assert_no_personal(reason);
    }
    Ok(Outcome {
        report,
        quarantined,
        child_keys,
        dir,
    })
}

fn assert_no_personal(text: &str) {
    for value in PERSONAL {
        assert!(!text.contains(value), "personal value {value:?} in: {text}");
    }
}

fn batches(path: &Path) -> Vec<datafusion::arrow::record_batch::RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn read_strings(path: &Path, column: &str) -> Vec<String> {
    let mut out = Vec::new();
    for batch in batches(path) {
        let a = batch
            .column_by_name(column)
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .clone();
        out.extend((0..a.len()).map(|i| a.value(i).to_string()));
    }
    out
}

fn read_quarantine(path: &Path) -> Vec<(u64, String, String, String)> {
    let mut out = Vec::new();
    for batch in batches(path) {
        let line = batch
            .column_by_name("line")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .clone();
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let (column, code, reason) = (text("column"), text("reason_code"), text("reason"));
        for i in 0..batch.num_rows() {
            out.push((
                line.value(i) as u64,
                column.value(i).to_string(),
                code.value(i).to_string(),
                reason.value(i).to_string(),
            ));
        }
    }
    out
}

/// Expects the file to stage `staged` rows and quarantine exactly
/// `expected` (line, column, reason code).
async fn expect_quarantine(
    name: &str,
    bytes: &[u8],
    staged: u64,
    expected: &[(u64, &str, &str)],
) -> Outcome {
    let outcome = ingest(name, bytes, &config())
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let got: Vec<(u64, &str, &str)> = outcome
        .quarantined
        .iter()
        .map(|(l, c, r, _)| (*l, c.as_str(), r.as_str()))
        .collect();
    assert_eq!(got, expected, "{name}: quarantined rows");
    assert_eq!(outcome.report.rows_staged, staged, "{name}: staged rows");
    outcome
}

/// Expects ingest to fail with `code` and a message containing each of
/// `needles`.
async fn expect_error(
    name: &str,
    bytes: &[u8],
    config: &PipelineConfig,
    code: i32,
    needles: &[&str],
) {
    let err = match ingest(name, bytes, config).await {
        Ok(_) => panic!("{name}: expected an error"),
        Err(e) => e,
    };
    let message = err.to_string();
    assert_eq!(err.exit_code(), code, "{name}: {message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{name}: {message:?} lacks {needle:?}"
        );
    }
    assert_no_personal(&message);
}

fn good(n: usize) -> Vec<Line> {
    (1..=n)
        .map(|i| line(&format!("E{i}"), &format!("C{i}")))
        .collect()
}

// --- rows quarantined, one reason each ---------------------------------

#[tokio::test]
async fn missing_required_fields() {
    let lines = [
        line("", "C1"),
        line("E2", ""),
        line("E3", "C3").with("referral_date", ""),
        line("E4", "C4"),
    ];
    expect_quarantine(
        "missing.csv",
        &csv(&lines),
        1,
        &[
            (2, "episode_id", "missing_required"),
            (3, "child_id", "missing_required"),
            (4, "referral_date", "missing_required"),
        ],
    )
    .await;
}

#[tokio::test]
async fn impossible_us_order_and_two_digit_year_dates() {
    let lines = [
        line("E1", "C1").with("referral_date", "31/02/2018"),
        line("E2", "C2").with("referral_date", "06/30/2018"),
        line("E3", "C3").with("closure_date", "30/06/18"),
        line("E4", "C4").with("date_of_birth", "2010-13-01"),
        line("E5", "C5").with("referral_date", "soon"),
        line("E6", "C6").with("referral_date", "1/6/2018"),
    ];
    let o = expect_quarantine(
        "dates.csv",
        &csv(&lines),
        1,
        &[
            (2, "referral_date", "bad_date"),
            (3, "referral_date", "bad_date"),
            (4, "closure_date", "bad_date"),
            (5, "date_of_birth", "bad_date"),
            (6, "referral_date", "bad_date"),
        ],
    )
    .await;
    let reasons: Vec<&str> = o.quarantined.iter().map(|q| q.3.as_str()).collect();
    assert_eq!(reasons[0], "the referral_date is not a real calendar date");
    assert!(reasons[1].contains("US month/day/year"), "{}", reasons[1]);
    assert!(reasons[2].contains("two-digit year"), "{}", reasons[2]);
    assert!(
        reasons[4].contains("dd/mm/yyyy or yyyy-mm-dd"),
        "{}",
        reasons[4]
    );
}

#[tokio::test]
async fn closure_before_referral_and_referral_after_extract() {
    let lines = [
        line("E1", "C1").with("closure_date", "31/05/2018"),
        line("E2", "C2").with("referral_date", "03/07/2018"),
        line("E3", "C3").with("closure_date", "01/06/2018"),
    ];
    // E3 closes the day it opens: allowed.
    expect_quarantine(
        "order.csv",
        &csv(&lines),
        1,
        &[
            (2, "closure_date", "closure_before_referral"),
            (3, "referral_date", "referral_after_extract"),
        ],
    )
    .await;
}

#[tokio::test]
async fn implausible_dates_of_birth() {
    let lines = [
        line("E1", "C1").with("date_of_birth", "01/01/2019"),
        line("E2", "C2").with("date_of_birth", "01/01/1980"),
        line("E3", "C3").with("date_of_birth", ""),
    ];
    expect_quarantine(
        "dob.csv",
        &csv(&lines),
        1,
        &[
            (2, "date_of_birth", "implausible_date_of_birth"),
            (3, "date_of_birth", "implausible_date_of_birth"),
        ],
    )
    .await;
}

#[tokio::test]
async fn flags_outside_yes_no() {
    let lines = [
        line("E1", "C1").with("open_to_csc", "maybe"),
        line("E2", "C2").with("removal_from_roll_authorised", "Yes"),
        line("E3", "C3").with("open_to_csc", "1"),
    ];
    expect_quarantine(
        "flags.csv",
        &csv(&lines),
        2,
        &[(2, "open_to_csc", "bad_flag")],
    )
    .await;
}

#[tokio::test]
async fn conflicting_duplicates_quarantine_every_copy() {
    let lines = [
        line("E1", "C1"),
        line("E1", "C1").with("locality", "South"),
        line("E2", "C2"),
    ];
    let o = expect_quarantine(
        "dups.csv",
        &csv(&lines),
        1,
        &[
            (2, "episode_id", "duplicate_episode_id"),
            (3, "episode_id", "duplicate_episode_id"),
        ],
    )
    .await;
    assert_eq!(o.report.exact_duplicates, 0);
}

#[tokio::test]
async fn exact_duplicates_are_dropped_once_and_counted() {
    let lines = [
        line("E1", "C1"),
        line("E1", "C1"),
        line("E1", "C1"),
        line("E2", "C2"),
    ];
    let o = expect_quarantine("exact.csv", &csv(&lines), 2, &[]).await;
    assert_eq!(o.report.exact_duplicates, 2);
    assert_eq!(o.report.rows_read, 4);
}

#[tokio::test]
async fn exact_copies_of_a_conflicting_episode_are_quarantined_too() {
    let lines = [
        line("E1", "C1"),
        line("E1", "C1").with("sex", "F"),
        line("E1", "C1"),
        line("E2", "C2"),
    ];
    let o = expect_quarantine(
        "mixed-dups.csv",
        &csv(&lines),
        1,
        &[
            (2, "episode_id", "duplicate_episode_id"),
            (3, "episode_id", "duplicate_episode_id"),
            (4, "episode_id", "duplicate_episode_id"),
        ],
    )
    .await;
    assert_eq!(o.report.exact_duplicates, 0);
}

#[tokio::test]
async fn blank_and_summary_rows() {
    // Summary rows are often short ("Total,2"): still summary rows. A
    // trailing empty line is a blank row too.
    let tail = ",,,,,,,,,,,,,,,,\nTotal,2\n\"Grand total:\",,,,,,,,,,,,,,,,\n\n";
    let o = expect_quarantine(
        "tail.csv",
        &csv_with_tail(&good(2), tail),
        2,
        &[
            (4, "(row)", "blank_row"),
            (5, "(row)", "summary_row"),
            (6, "(row)", "summary_row"),
            (7, "(row)", "blank_row"),
        ],
    )
    .await;
    // Layout rows do not count towards the quarantine share.
    assert_eq!(o.report.quarantine_share, 0.0);
}

#[tokio::test]
async fn rows_with_too_few_or_too_many_fields() {
    let tail = "E3,C3,F1\nE4,C4,F1,Zebedee,Quillfeather,ZZ1 1ZZ,07/03/2010,M,WBRI,North,Primary,01/06/2018,,,Neglect,N,N,EXTRA\n\
E5,C5,F1,Zebedee,Quillfeather,ZZ1 1ZZ,07/03/2010,M,WBRI,North,Primary,01/06/2018,,,Neglect,N,N,,\n";
    let o = expect_quarantine(
        "ragged.csv",
        &csv_with_tail(&good(2), tail),
        3,
        &[
            (4, "(row)", "wrong_field_count"),
            (5, "(row)", "wrong_field_count"),
        ],
    )
    .await;
    assert!(
        o.quarantined[0].3.contains("has 3 fields, the header 17"),
        "{}",
        o.quarantined[0].3
    );
}

#[tokio::test]
async fn broken_quoting_is_contained() {
    // An unterminated quote swallows the rest of the file into one field:
    // that row is quarantined, nothing panics, the counts reconcile.
    let tail = "E3,\"C3,F1,Zebedee\nE4,C4\n";
    let o = ingest("quote.csv", &csv_with_tail(&good(2), tail), &config())
        .await
        .unwrap();
    assert_eq!(o.report.rows_staged, 2);
    assert_eq!(o.report.rows_quarantined, 1);
    assert_eq!(o.quarantined[0].0, 4);
}

// --- encodings and layout: everything staged --------------------------

#[tokio::test]
async fn utf8_with_byte_order_mark() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(csv(&good(2)));
    let o = expect_quarantine("bom.csv", &bytes, 2, &[]).await;
    assert_eq!(o.report.encoding, "UTF-8");
}

#[tokio::test]
async fn windows_1252_detected() {
    let mut bytes = csv(&[line("E1", "C1").with("forename", "Ren\u{e9}e")]);
    // Re-encode the one non-ASCII letter as Windows-1252 (0xE9).
    let pos = bytes.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    bytes.splice(pos..pos + 2, [0xE9]);
    let o = expect_quarantine("cp1252.csv", &bytes, 1, &[]).await;
    assert_eq!(o.report.encoding, "windows-1252");
}

#[tokio::test]
async fn utf16_little_endian_with_bom() {
    let text = String::from_utf8(csv(&good(2))).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let o = expect_quarantine("utf16.csv", &bytes, 2, &[]).await;
    assert_eq!(o.report.encoding, "UTF-16LE");
}

#[tokio::test]
async fn crlf_line_ends_and_quoted_line_breaks_keep_line_numbers() {
    let lines = [
        line("E1", "C1").with("family_id", "F1"),
        line("E2", "C2"),
        line("E3", "C3").with("closure_date", "01/05/2018"),
    ];
    let mut text = String::from_utf8(csv(&lines))
        .unwrap()
        .replace('\n', "\r\n");
    // A quoted address over two lines in row 2 (lines 3-4).
    text = text.replace(
        "E2,C2,F1,Zebedee,Quillfeather,ZZ1 1ZZ",
        "E2,C2,F1,Zebedee,\"Quill\r\nfeather\",ZZ1 1ZZ",
    );
    // E3 (now on line 5) closes before it opens.
    expect_quarantine(
        "crlf.csv",
        text.as_bytes(),
        2,
        &[(5, "closure_date", "closure_before_referral")],
    )
    .await;
}

#[tokio::test]
async fn title_rows_above_the_header() {
    let mut bytes = b"CME Episodes Report\nProduced 02/07/2018\n".to_vec();
    bytes.extend(csv(&[
        line("E1", "C1"),
        line("E2", "C2").with("referral_date", ""),
    ]));
    let mut config = config();
    config.source.header_row = 3;
    let o = ingest("titled.csv", &bytes, &config).await.unwrap();
    assert_eq!(o.report.rows_staged, 1);
    assert_eq!(o.quarantined[0].0, 5);
}

#[tokio::test]
async fn semicolon_delimiter() {
    let text = String::from_utf8(csv(&good(2))).unwrap().replace(',', ";");
    let mut config = config();
    config.source.delimiter = ";".into();
    let o = ingest("semi.csv", text.as_bytes(), &config).await.unwrap();
    assert_eq!(o.report.rows_staged, 2);
}

// --- values that are cleaned, not quarantined --------------------------

#[tokio::test]
async fn excel_ids_leading_zeros_placeholders_and_spaces() {
    let lines = [
        line("E1", "123"),
        line("E2", "123.0"),
        line("E3", "000123"),
        line("E4", "C4")
            .with("closure_date", "#N/A")
            .with("sex", "\u{a0}M "),
        line("E5", "C5").with("closure_date", "NULL"),
    ];
    let o = expect_quarantine("values.csv", &csv(&lines), 5, &[]).await;
    // 123 and 123.0 are one child; 000123 is another.
    assert_eq!(o.child_keys[0], o.child_keys[1]);
    assert_ne!(o.child_keys[0], o.child_keys[2]);
    assert!(
        o.report.unmapped_values.is_empty(),
        "{:?}",
        o.report.unmapped_values
    );
}

#[tokio::test]
async fn unmapped_codes_are_counted_not_quarantined() {
    let lines = [
        line("E1", "C1").with("sex", "X"),
        line("E2", "C2").with("ethnicity", "WBRI - White British"),
        line("E3", "C3").with("ethnicity", "(A.A1) White - British"),
        line("E4", "C4").with("ethnicity", "ZZZZ"),
    ];
    let o = expect_quarantine("codes.csv", &csv(&lines), 4, &[]).await;
    assert_eq!(o.report.unmapped_values["sex"]["X"], 1);
    assert_eq!(o.report.unmapped_values["ethnicity"].len(), 1);
    assert_eq!(o.report.unmapped_values["ethnicity"]["ZZZZ"], 1);
}

// --- whole-file errors ------------------------------------------------

#[tokio::test]
async fn missing_required_column() {
    let text = "episode_id,child_id,start\nE1,C1,01/06/2018\n";
    expect_error(
        "nocol.csv",
        text.as_bytes(),
        &config(),
        exit_code::BAD_INPUT,
        &[
            "nocol.csv: line 1",
            "required column `referral_date` is missing",
            "headers found: episode_id, child_id, start",
        ],
    )
    .await;
}

#[tokio::test]
async fn duplicate_header() {
    let text = "episode_id,child_id,referral_date,Sex,sex\nE1,C1,01/06/2018,M,M\n";
    expect_error(
        "duphead.csv",
        text.as_bytes(),
        &config(),
        exit_code::BAD_INPUT,
        &["line 1", "appears twice", "columns 4 and 5"],
    )
    .await;
}

#[tokio::test]
async fn header_matching_two_columns() {
    let text = "episode_id,child_id,referral_date,date\nE1,C1,01/06/2018,x\n";
    let mut config = config();
    config
        .source
        .column_patterns
        .insert("closure_date".into(), vec!["^date$".into()]);
    config
        .source
        .column_patterns
        .insert("date_of_birth".into(), vec!["^date".into()]);
    expect_error(
        "twohead.csv",
        text.as_bytes(),
        &config,
        exit_code::BAD_INPUT,
        &["`date`", "matches more than one column"],
    )
    .await;
}

#[tokio::test]
async fn empty_headers_are_ignored_not_duplicates() {
    let text = format!("{HEADER},,\n{},,\n", line("E1", "C1").text());
    let o = ingest("trailing.csv", text.as_bytes(), &config())
        .await
        .unwrap();
    assert_eq!(o.report.rows_staged, 1);
    assert_eq!(o.report.ignored_columns.len(), 2);
}

#[tokio::test]
async fn empty_file() {
    expect_error(
        "empty.csv",
        b"",
        &config(),
        exit_code::BAD_INPUT,
        &["empty.csv", "empty"],
    )
    .await;
}

#[tokio::test]
async fn header_only_file_keeps_the_staged_extract() {
    expect_error(
        "header.csv",
        format!("{HEADER}\n").as_bytes(),
        &config(),
        exit_code::BAD_INPUT,
        &["no usable rows", "nothing was staged"],
    )
    .await;
}

#[tokio::test]
async fn file_without_a_header_row_is_not_echoed() {
    let text = csv(&good(2));
    let no_header = String::from_utf8(text)
        .unwrap()
        .lines()
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n");
    expect_error(
        "nohead.csv",
        no_header.as_bytes(),
        &config(),
        exit_code::BAD_INPUT,
        &["look like data", "header_row"],
    )
    .await;
}

#[tokio::test]
async fn missing_file_and_folder() {
    let dir = tempfile::tempdir().unwrap();
    for path in [dir.path().join("absent.csv"), dir.path().to_path_buf()] {
        let err = match ingest_path(tempfile::tempdir().unwrap(), &path, &config()).await {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        };
        assert_eq!(err.exit_code(), exit_code::BAD_INPUT, "{err}");
    }
}

#[tokio::test]
async fn threshold_stops_the_run_with_the_data_quality_code() {
    // 1 bad row in 10 data rows = 10% > 5%.
    let mut lines = good(9);
    lines.push(line("E10", "C10").with("referral_date", "31/02/2018"));
    let mut config = config();
    config.quality.max_quarantine_share = 0.05;
    expect_error(
        "share.csv",
        &csv(&lines),
        &config,
        exit_code::DATA_QUALITY,
        &[
            "1 of 10 rows quarantined",
            "10.0% of data rows",
            "5.0% limit",
            "bad_date 1",
        ],
    )
    .await;
    // At the limit it passes: 1 in 20 = 5%.
    let mut lines = good(19);
    lines.push(line("E20", "C20").with("referral_date", "31/02/2018"));
    let o = ingest("share-ok.csv", &csv(&lines), &config).await.unwrap();
    assert_eq!(o.report.rows_staged, 19);
}

// --- xlsx ---------------------------------------------------------------

/// Writes a workbook: sheet name, rows of cells (text, number or date).
enum Cell {
    Text(&'static str),
    Number(f64),
    Date(u16, u8, u8),
    Empty,
}

fn xlsx(path: &Path, sheets: &[(&str, Vec<Vec<Cell>>)]) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    for (name, rows) in sheets {
        let sheet = workbook.add_worksheet().set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::Text(t) => {
                        sheet.write_string(r, c, *t).unwrap();
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c, *n).unwrap();
                    }
                    Cell::Date(y, m, d) => {
                        let date = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                        sheet
                            .write_datetime_with_format(r, c, &date, &date_format)
                            .unwrap();
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    workbook.save(path).unwrap();
}

fn xlsx_rows() -> Vec<Vec<Cell>> {
    use Cell::*;
    vec![
        vec![
            Text("episode_id"),
            Text("child_id"),
            Text("referral_date"),
            Text("closure_date"),
            Text("surname"),
        ],
        // Real date cells, numeric ids (123 -> "123", not "123.0").
        vec![
            Number(1.0),
            Number(123.0),
            Date(2018, 6, 1),
            Empty,
            Text("Quillfeather"),
        ],
        // Same child as text; a closure as a bare serial number (43251 = 2018-05-31): before referral.
        vec![
            Number(2.0),
            Text("123"),
            Date(2018, 6, 4),
            Number(43251.0),
            Text("Quillfeather"),
        ],
        vec![
            Number(3.0),
            Text("000123"),
            Text("05/06/2018"),
            Number(43256.0),
            Text("Quillfeather"),
        ],
    ]
}

#[tokio::test]
async fn xlsx_dates_serials_and_numeric_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extract.xlsx");
    xlsx(&path, &[("Episodes", xlsx_rows())]);
    let o = ingest_path(dir, &path, &config()).await.unwrap();
    assert_eq!(o.report.encoding, "xlsx");
    assert_eq!(o.report.sheet.as_deref(), Some("Episodes"));
    let got: Vec<(u64, &str, &str)> = o
        .quarantined
        .iter()
        .map(|(l, c, r, _)| (*l, c.as_str(), r.as_str()))
        .collect();
    assert_eq!(got, [(3, "closure_date", "closure_before_referral")]);
    // Rows 2 and 4 staged: 123 and 000123 are different children, and row
    // 4's serial 43256 (2018-06-05) is its closure date.
    assert_eq!(o.report.rows_staged, 2);
    assert_ne!(o.child_keys[0], o.child_keys[1]);
    let _ = o.dir;
}

#[tokio::test]
async fn xlsx_sheet_by_name_and_missing_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    xlsx(
        &path,
        &[
            ("Notes", vec![vec![Cell::Text("nothing here")]]),
            ("CME", xlsx_rows()),
        ],
    );
    let mut config = config();
    config.source.sheet = Some("cme".into());
    let o = ingest_path(dir, &path, &config).await.unwrap();
    assert_eq!(o.report.sheet.as_deref(), Some("CME"));
    assert_eq!(o.report.rows_read, 3);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    xlsx(&path, &[("Notes", vec![vec![Cell::Text("x")]])]);
    config.source.sheet = Some("Episodes".into());
    let err = match ingest_path(dir, &path, &config).await {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    };
    assert_eq!(err.exit_code(), exit_code::BAD_INPUT);
    assert!(
        err.to_string()
            .contains("no sheet named `Episodes` (sheets: Notes)"),
        "{err}"
    );
}

#[tokio::test]
async fn not_really_an_xlsx_file() {
    expect_error(
        "fake.xlsx",
        b"episode_id,child_id\n",
        &config(),
        exit_code::BAD_INPUT,
        &["fake.xlsx", "cannot open as an xlsx workbook"],
    )
    .await;
}

#[tokio::test]
async fn a_surname_or_address_starting_with_total_is_not_a_summary_row() {
    let lines = [
        line("E1", "C1").with("surname", "Total"),
        line("E2", "C2").with("forename", "Totals Court"),
    ];
    expect_quarantine("totalname.csv", &csv(&lines), 2, &[]).await;
}

#[tokio::test]
async fn an_unclosed_quote_cannot_hide_rows_under_the_threshold() {
    // 40 good rows, then a forename opening a quote that never closes: the
    // remaining 10 rows vanish into one field. The row is quarantined with
    // the lines it spans counted, so 11 of 51 lines are lost: over 5%.
    let mut lines = good(40);
    lines.push(line("E41", "C41").with("forename", "\"Bud"));
    lines.extend((42..=51).map(|i| line(&format!("E{i}"), &format!("C{i}"))));
    let text: String = std::iter::once(HEADER.to_string())
        .chain(lines.iter().map(|l| {
            l.0.iter()
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
                .join(",")
        }))
        .collect::<Vec<_>>()
        .join("\n");
    let mut config = config();
    config.quality.max_quarantine_share = 0.05;
    expect_error(
        "unclosed.csv",
        text.as_bytes(),
        &config,
        exit_code::DATA_QUALITY,
        &["wrong_field_count 1"],
    )
    .await;
}

#[tokio::test]
async fn control_characters_are_not_part_of_ids() {
    let lines = [line("E1", "0752506"), line("E2", "\u{0}0752506")];
    let o = expect_quarantine("nul.csv", &csv(&lines), 2, &[]).await;
    assert_eq!(o.child_keys[0], o.child_keys[1]);
}

/// A minimal workbook written entry by entry, so its sheet XML can hold
/// what no spreadsheet program writes.
fn raw_xlsx(sheet_data: &str) -> Vec<u8> {
    use std::io::Write;
    let entries = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Episodes" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#
            ),
        ),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in entries {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn inline_cell(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// Found by fuzzing (docs/fuzzing.md): a cell reference whose row number
/// does not fit 32 bits made calamine overflow. The file is refused as bad
/// input, naming it, instead of crashing the run.
#[tokio::test]
async fn xlsx_with_an_impossible_cell_reference_is_bad_input() {
    // The workbook itself is readable when its references are sane.
    let sane = raw_xlsx(&format!(
        "<row r=\"1\">{}</row>",
        inline_cell("A1", "episode_id")
    ));
    expect_error(
        "sane.xlsx",
        &sane,
        &config(),
        3,
        &["sane.xlsx", "the required column `child_id` is missing"],
    )
    .await;
    let broken = raw_xlsx(&format!(
        "<row r=\"1\">{}</row>",
        inline_cell("A99999999999", "episode_id")
    ));
    expect_error(
        "broken.xlsx",
        &broken,
        &config(),
        3,
        &["broken.xlsx", "not a readable xlsx workbook"],
    )
    .await;
}
