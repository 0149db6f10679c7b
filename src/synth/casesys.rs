//! The `casesys` style: the same episodes as the canonical extract, shaped the way
//! a case-management system's own "CME Episodes Report" export comes out, to prove
//! the pipeline configuration (`pipelines/casesys.toml`) rather than code absorbs a
//! differently shaped source.
//!
//! What differs from the canonical extract, and what reads it back:
//!
//! * other header names, another column order and one extra column ("Worker Team")
//!   the pipeline ignores ([source.columns] in `pipelines/casesys.toml`);
//! * a title row above the header (`header_row = 2`) and a trailing "Total" row
//!   (quarantined as a summary row);
//! * labels instead of codes: "Male"/"Female"/"Unknown", ethnicity as
//!   "WBRI - White British" (the 4-letter code is captured by [source.value_patterns]),
//!   closure outcomes as the code set's labels, flags "Yes"/"No";
//! * CSV: dates `dd/mm/yyyy`, Windows-1252, CRLF line ends, and some names with
//!   accented letters, so the encoding matters;
//! * xlsx: referral, closure and birth dates are real date cells, numeric ids are
//!   number cells (child ids with a leading zero stay text to keep it), the total is
//!   a number; fixed document properties make the file byte-for-byte deterministic.
//!
//! Nothing here changes a published figure: every value maps onto the same category
//! as the canonical row's, and names, addresses and the worker team are dropped or
//! ignored at ingest.

use std::io::Write;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::quotas::OUTCOMES;
use super::{SAMPLE_EXTRACT_DATE, SynthEpisode, SynthOptions};

/// Header of the export, in its column order.
pub const CASESYS_COLUMNS: [&str; 21] = [
    "Episode Ref",
    "CME Start Date",
    "CME End Date",
    "End Reason",
    "Person ID",
    "Last Name",
    "First Name",
    "DOB",
    "Gender",
    "Ethnic Group",
    "Household Ref",
    "Address Line",
    "Post Code",
    "Area",
    "School Type",
    "Worker Team",
    "Presenting Need",
    "Open To CSC",
    "Open To EH Locality",
    "Open To EH Partner",
    "Removed From Roll",
];

/// The sheet the xlsx export writes.
pub const CASESYS_SHEET: &str = "CME Episodes";

/// The title row above the header.
pub fn title_row() -> [String; 2] {
    let (y, m, d) = SAMPLE_EXTRACT_DATE;
    [
        "CME Episodes Report".to_string(),
        format!("Produced {d:02}/{m:02}/{y:04}"),
    ]
}

/// One exported cell.
enum Cell {
    Text(String),
    Id(String),
    Date(Option<NaiveDate>),
}

impl Cell {
    /// The cell as CSV text.
    fn text(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Id(s) => s.clone(),
            Cell::Date(d) => super::uk_date(*d),
        }
    }
}

// ---- value labels -----------------------------------------------------------------

fn sex_label(code: &str) -> &'static str {
    match code {
        "M" => "Male",
        "F" => "Female",
        "U" => "Unknown",
        other => panic!("sex code {other} has no casesys label"),
    }
}

/// DfE labels of every ethnicity code the generator writes (`ETHNIC_CODES`).
const ETHNIC_LABELS: &[(&str, &str)] = &[
    ("WBRI", "White British"),
    ("WENG", "White English"),
    ("WSCO", "White Scottish"),
    ("WWEL", "White Welsh"),
    ("APKN", "Pakistani"),
    ("AIND", "Indian"),
    ("ABAN", "Bangladeshi"),
    ("AOTH", "Any other Asian background"),
    ("CHNE", "Chinese"),
    ("BAFR", "Black African"),
    ("BCRB", "Black Caribbean"),
    ("BOTH", "Any other Black background"),
    ("WROM", "Gypsy/Roma"),
    ("WROG", "Gypsy"),
    ("WROR", "Roma"),
    ("WIRT", "Traveller of Irish heritage"),
    ("WIRI", "White Irish"),
    ("WOTH", "Any other White background"),
    ("MWBC", "White and Black Caribbean"),
    ("MWBA", "White and Black African"),
    ("MWAS", "White and Asian"),
    ("MOTH", "Any other mixed background"),
    ("OOTH", "Any other ethnic group"),
    ("REFU", "Refused"),
    ("NOBT", "Information not yet obtained"),
];

/// "WBRI - White British"; empty stays empty (not known).
fn ethnicity_label(code: &str) -> String {
    if code.is_empty() {
        return String::new();
    }
    let label = ETHNIC_LABELS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or_else(|| panic!("ethnicity code {code} has no casesys label"));
    format!("{code} - {label}")
}

/// The closure outcome code set's labels (pipelines/shared/codesets.toml), in
/// `OUTCOMES` order; the empty "not recorded" stays empty.
const OUTCOME_LABELS: [&str; 9] = [
    "Found - in school in this LA",
    "Found - in school in other LA",
    "Other LA accepted responsibility",
    "Found - transferred to admissions and tracking",
    "Found - elective home education",
    "Found - alternative provision",
    "Verified left UK",
    "Enquiries exhausted",
    "",
];

fn outcome_label(code: &str) -> &'static str {
    let i = OUTCOMES
        .iter()
        .position(|c| *c == code)
        .unwrap_or_else(|| panic!("closure outcome {code} has no casesys label"));
    OUTCOME_LABELS[i]
}

fn flag_label(flag: &str) -> &'static str {
    match flag {
        "Y" => "Yes",
        "N" => "No",
        "" => "",
        other => panic!("flag {other} is not Y/N"),
    }
}

/// The team the case sits with: follows the episode's locality.
fn worker_team(locality: &str) -> String {
    match locality {
        "" => "CME Duty Desk".to_string(),
        area => format!("CME {area} Team"),
    }
}

/// A few of the fake names spelt with a letter outside ASCII (all in
/// Windows-1252), so a reader that gets the encoding wrong shows it.
const ACCENTED: &[(&str, &str)] = &[
    ("Chloe", "Chloé"),
    ("Zara", "Zoë"),
    ("Emil", "Émil"),
    ("Frobisham", "Fröbisham"),
    ("Testcombe", "Testcombé"),
    ("Mockford", "Möckford"),
];

fn accented(name: &str) -> String {
    ACCENTED
        .iter()
        .find(|(plain, _)| *plain == name)
        .map(|(_, fancy)| (*fancy).to_string())
        .unwrap_or_else(|| name.to_string())
}

/// The row in [`CASESYS_COLUMNS`] order.
fn cells(e: &SynthEpisode) -> [Cell; 21] {
    [
        Cell::Id(e.episode_id.clone()),
        Cell::Date(e.referral_date),
        Cell::Date(e.closure_date),
        Cell::Text(outcome_label(&e.closure_outcome).to_string()),
        Cell::Id(e.child_id.clone()),
        Cell::Text(accented(&e.surname)),
        Cell::Text(accented(&e.forename)),
        Cell::Date(e.date_of_birth),
        Cell::Text(sex_label(&e.sex).to_string()),
        Cell::Text(ethnicity_label(&e.ethnicity)),
        Cell::Id(e.family_id.clone()),
        Cell::Text(e.address.clone()),
        Cell::Text(e.postcode.clone()),
        Cell::Text(e.locality.clone()),
        Cell::Text(e.school_phase.clone()),
        Cell::Text(worker_team(&e.locality)),
        Cell::Text(e.presenting_need.clone()),
        Cell::Text(flag_label(&e.open_to_csc).to_string()),
        Cell::Text(flag_label(&e.open_to_eh_locality).to_string()),
        Cell::Text(flag_label(&e.open_to_eh_partner).to_string()),
        Cell::Text(flag_label(&e.removal_from_roll_authorised).to_string()),
    ]
}

/// The export's row for `e` as CSV text (dates `dd/mm/yyyy`).
pub fn casesys_record(e: &SynthEpisode) -> Vec<String> {
    cells(e).iter().map(Cell::text).collect()
}

/// The trailing total row, padded to the header's width as a spreadsheet's
/// "save as CSV" writes it.
fn total_record(rows: u64) -> Vec<String> {
    let mut record = vec![String::new(); CASESYS_COLUMNS.len()];
    record[0] = "Total".into();
    record[1] = rows.to_string();
    record
}

// ---- CSV ---------------------------------------------------------------------------

/// Text -> Windows-1252 bytes; a character it cannot hold is an error, not a `?`.
fn windows_1252(text: &str) -> std::io::Result<Vec<u8>> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    if unmappable {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the casesys export holds a character Windows-1252 cannot encode",
        ));
    }
    Ok(bytes.into_owned())
}

/// CSV text of `records` with CRLF line ends.
fn csv_text<I, R>(records: I) -> std::io::Result<String>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    for record in records {
        csv.write_record(record)?;
    }
    let bytes = csv.into_inner().map_err(|e| e.into_error())?;
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Writes the export as Windows-1252 CSV with CRLF line ends: title row, header,
/// one row per episode, total row. Copies are encoded one at a time.
pub(super) fn write_csv<W: Write>(opts: &SynthOptions, mut out: W) -> std::io::Result<u64> {
    let head = [
        title_row().to_vec(),
        CASESYS_COLUMNS.map(String::from).to_vec(),
    ];
    out.write_all(&windows_1252(&csv_text(head)?)?)?;
    let mut rows = 0u64;
    for copy in super::copies(opts) {
        rows += copy.len() as u64;
        out.write_all(&windows_1252(&csv_text(copy.iter().map(casesys_record))?)?)?;
    }
    out.write_all(&windows_1252(&csv_text([total_record(rows)])?)?)?;
    out.flush()?;
    Ok(rows)
}

// ---- xlsx --------------------------------------------------------------------------

fn xlsx_error(e: XlsxError) -> std::io::Error {
    std::io::Error::other(format!("xlsx: {e}"))
}

/// Excel's last row (1-based): title + header + episodes + total must fit.
const XLSX_MAX_ROWS: u64 = 1_048_576;

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// A digits-only id without a leading zero survives as a number (Excel shows it
/// as typed, the reader reads `123.0` back as `123`); anything else is text.
fn numeric_id(id: &str) -> Option<f64> {
    let plain = !id.is_empty()
        && id.len() <= 15
        && !id.starts_with('0')
        && id.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| id.parse::<f64>().ok()).flatten()
}

fn write_sheet(sheet: &mut Worksheet, rows: &[SynthEpisode]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let id_text = Format::new().set_num_format("@");
    sheet.set_name(CASESYS_SHEET)?;
    let [title, produced] = title_row();
    sheet.write_string_with_format(0, 0, title, &bold)?;
    sheet.write_string(0, 1, produced)?;
    for (c, header) in CASESYS_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *header, &bold)?;
    }
    let mut r = 2u32;
    for e in rows {
        for (c, cell) in cells(e).iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) if !s.is_empty() => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::Id(s) if !s.is_empty() => {
                    match numeric_id(s) {
                        Some(n) => sheet.write_number(r, c, n)?,
                        None => sheet.write_string_with_format(r, c, s, &id_text)?,
                    };
                }
                Cell::Date(Some(d)) => {
                    sheet.write_date_with_format(r, c, excel_date(*d)?, &date)?;
                }
                // Empty values are blank cells, as the system leaves them.
                _ => {}
            }
        }
        r += 1;
    }
    sheet.write_string_with_format(r, 0, "Total", &bold)?;
    sheet.write_number_with_format(r, 1, rows.len() as f64, &bold)?;
    for (c, header) in CASESYS_COLUMNS.iter().enumerate() {
        sheet.set_column_width(c as u16, (header.len() + 4).max(12) as f64)?;
    }
    sheet.set_freeze_panes(2, 0)?;
    Ok(())
}

/// The workbook as bytes: one sheet, fixed document properties (creation time
/// = the extract date), so the same options give the same bytes.
pub(super) fn xlsx_bytes(opts: &SynthOptions) -> std::io::Result<(Vec<u8>, u64)> {
    let rows = super::generate(opts);
    let total = rows.len() as u64;
    if total + 3 > XLSX_MAX_ROWS {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{total} episodes do not fit on one xlsx sheet; write CSV instead"),
        ));
    }
    let (y, m, d) = SAMPLE_EXTRACT_DATE;
    let produced = ExcelDateTime::from_ymd(y as u16, m as u8, d as u8)
        .and_then(|t| t.and_hms(6, 0, 0))
        .map_err(xlsx_error)?;
    let properties = DocProperties::new()
        .set_title("CME Episodes Report")
        .set_author("Case management system (synthetic)")
        .set_comment("Synthetic data: no real person")
        .set_creation_datetime(&produced);
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties);
    write_sheet(workbook.add_worksheet(), &rows).map_err(xlsx_error)?;
    let bytes = workbook.save_to_buffer().map_err(xlsx_error)?;
    Ok((bytes, total))
}

#[cfg(test)]
mod tests {
    use super::super::quotas::{ETHNIC_CODES, SEX_CODES};
    use super::super::{Style, write_style};
    use super::*;

    fn csv_of(opts: &SynthOptions) -> Vec<u8> {
        let mut out = Vec::new();
        write_csv(opts, &mut out).unwrap();
        out
    }

    #[test]
    fn every_generated_code_has_a_label() {
        for codes in ETHNIC_CODES {
            for code in codes.iter() {
                let label = ethnicity_label(code);
                assert!(code.is_empty() == label.is_empty());
                assert!(label.starts_with(code));
            }
        }
        for code in OUTCOMES {
            assert_eq!(outcome_label(code).is_empty(), code.is_empty());
        }
        for code in SEX_CODES {
            sex_label(code);
        }
    }

    #[test]
    fn csv_is_windows_1252_with_crlf_title_and_total() {
        let opts = SynthOptions::default();
        let bytes = csv_of(&opts);
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "accented names make it non-UTF-8"
        );
        let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(&bytes);
        assert!(!bad);
        assert!(text.contains("Chloé") || text.contains("Zoë"));
        assert!(text.starts_with("CME Episodes Report,Produced 02/07/2018\r\nEpisode Ref,"));
        assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let episodes = super::super::generate(&opts);
        assert_eq!(records.len(), episodes.len() + 3);
        assert_eq!(records[1].iter().collect::<Vec<_>>(), CASESYS_COLUMNS);
        let last = records.last().unwrap();
        assert_eq!(last.len(), CASESYS_COLUMNS.len());
        assert_eq!(
            (&last[0], &last[1]),
            ("Total", episodes.len().to_string().as_str())
        );
        // Same episodes, same order, as the canonical extract.
        for (record, e) in records[2..].iter().zip(&episodes) {
            assert_eq!(record.len(), CASESYS_COLUMNS.len());
            assert_eq!(&record[0], e.episode_id);
            assert_eq!(&record[4], e.child_id);
            assert_eq!(&record[1], super::super::uk_date(e.referral_date));
        }
        assert_eq!(csv_of(&opts), bytes, "deterministic");
    }

    #[test]
    fn xlsx_is_deterministic_and_typed() {
        let opts = SynthOptions::default();
        let (a, rows) = xlsx_bytes(&opts).unwrap();
        let (b, _) = xlsx_bytes(&opts).unwrap();
        assert_eq!(a, b);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("casesys.xlsx");
        std::fs::write(&path, &a).unwrap();
        use calamine::{Data, Reader};
        let mut workbook = calamine::open_workbook_auto(&path).unwrap();
        assert_eq!(workbook.sheet_names(), vec![CASESYS_SHEET.to_string()]);
        let range = workbook.worksheet_range(CASESYS_SHEET).unwrap();
        assert_eq!(range.height() as u64, rows + 3);
        let episodes = super::super::generate(&opts);
        let data: Vec<&[Data]> = range.rows().collect();
        assert_eq!(data[0][0], Data::String("CME Episodes Report".into()));
        let leading_zero = episodes
            .iter()
            .position(|e| e.child_id.starts_with('0'))
            .unwrap();
        let plain = episodes
            .iter()
            .position(|e| !e.child_id.starts_with('0'))
            .unwrap();
        assert_eq!(
            data[2 + leading_zero][4],
            Data::String(episodes[leading_zero].child_id.clone())
        );
        assert!(matches!(data[2 + plain][4], Data::Float(_)));
        assert!(matches!(data[2][0], Data::Float(_)));
        assert!(matches!(data[2][1], Data::DateTime(_)), "{:?}", data[2][1]);
        assert!(matches!(data[2][7], Data::DateTime(_)), "{:?}", data[2][7]);
        let last = data.last().unwrap();
        assert_eq!(last[0], Data::String("Total".into()));
        assert_eq!(last[1], Data::Float(rows as f64));
    }

    #[test]
    fn write_style_chooses_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SynthOptions::default();
        let csv = dir.path().join("x.CSV");
        let summary = write_style(&opts, Style::Casesys, &csv).unwrap();
        assert_eq!(std::fs::read(&csv).unwrap(), csv_of(&opts));
        let canonical = dir.path().join("c.csv");
        assert_eq!(
            write_style(&opts, Style::Canonical, &canonical).unwrap(),
            summary
        );
        let xlsx = dir.path().join("x.xlsx");
        assert_eq!(write_style(&opts, Style::Casesys, &xlsx).unwrap(), summary);
        assert_eq!(std::fs::read(&xlsx).unwrap(), xlsx_bytes(&opts).unwrap().0);
        assert!(write_style(&opts, Style::Canonical, &dir.path().join("c.xlsx")).is_err());
        assert!(write_style(&opts, Style::Casesys, &dir.path().join("x.txt")).is_err());
        assert_eq!("casesys".parse::<Style>(), Ok(Style::Casesys));
        assert_eq!("Canonical".parse::<Style>(), Ok(Style::Canonical));
        assert!("other".parse::<Style>().is_err());
        assert_eq!(Style::Casesys.to_string(), "casesys");
    }
}
