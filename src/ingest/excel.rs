//! xlsx extracts through calamine: the configured sheet (else the first),
//! every cell turned into the text a CSV export of it would hold, so the rest
//! of ingest treats both formats alike. Real date cells become ISO dates;
//! whole numbers lose Excel's `.0` (ids stay ids); error cells (#N/A) are
//! empty.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::config::SourceConfig;
use crate::error::{Error, Result};
use crate::ingest::reader::{Opened, RawRecord};

pub fn open_xlsx(path: &Path, source: &SourceConfig) -> Result<Opened> {
    // calamine panics on some malformed workbooks (found by fuzzing: a cell
    // reference with a row number past u32 overflows a multiplication). A
    // file that breaks the parser is a bad file, not a crash of the run.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_xlsx(path, source)))
        .unwrap_or_else(|panic| {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the parser failed".into());
            Err(Error::Input(format!(
                "{}: not a readable xlsx workbook (malformed content: {reason})",
                path.display()
            )))
        })
}

fn read_xlsx(path: &Path, source: &SourceConfig) -> Result<Opened> {
    let mut workbook = open_workbook_auto(path).map_err(|e| {
        Error::Input(format!(
            "{}: cannot open as an xlsx workbook: {e}",
            path.display()
        ))
    })?;
    let names = workbook.sheet_names();
    let sheet = match &source.sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(wanted.trim()))
            .cloned()
            .ok_or_else(|| {
                Error::Input(format!(
                    "{}: no sheet named `{wanted}` (sheets: {})",
                    path.display(),
                    names.join(", ")
                ))
            })?,
        None => names.first().cloned().ok_or_else(|| {
            Error::Input(format!("{}: the workbook has no sheets", path.display()))
        })?,
    };
    let range = workbook.worksheet_range(&sheet).map_err(|e| {
        Error::Input(format!(
            "{}: sheet `{sheet}` cannot be read: {e}",
            path.display()
        ))
    })?;
    let first_row = range.start().map(|(row, _)| row as u64).unwrap_or(0);
    let first_column = range
        .start()
        .map(|(_, column)| column as usize)
        .unwrap_or(0);
    // header_row is the sheet's own row number (1 = row 1), empty rows
    // included; below the header, wholly empty rows are not rows.
    let header_line = source.header_row as u64;
    let mut header: Option<Vec<String>> = None;
    let mut rows: Vec<RawRecord> = Vec::with_capacity(range.height());
    for (i, cells) in range.rows().enumerate() {
        let line = first_row + i as u64 + 1;
        if line < header_line {
            continue;
        }
        // Keep column positions as in the sheet, even if it starts at column C.
        let mut fields = vec![String::new(); first_column];
        fields.extend(cells.iter().map(cell_text));
        if line == header_line {
            header = Some(fields);
        } else if fields.iter().any(|f| !f.is_empty()) {
            rows.push(RawRecord { line, fields });
        }
    }
    let Some(headers) = header else {
        return Err(Error::Input(format!(
            "{}: sheet `{sheet}` has no row {header_line} for the header",
            path.display()
        )));
    };
    Ok(Opened {
        headers,
        header_line,
        encoding: "xlsx".into(),
        sheet: Some(sheet),
        excel: true,
        records: Box::new(rows.into_iter().map(Ok)),
    })
}

/// The text of a cell as a CSV export would show it.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(datetime) => datetime.date().format("%Y-%m-%d").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_a_csv_export_would_show_them() {
        assert_eq!(cell_text(&Data::Float(123.0)), "123");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
        assert_eq!(cell_text(&Data::String("000123".into())), "000123");
        assert_eq!(cell_text(&Data::Empty), "");
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
        assert_eq!(
            cell_text(&Data::DateTimeIso("2018-06-30T00:00:00".into())),
            "2018-06-30"
        );
    }
}
