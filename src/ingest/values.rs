//! Parsing of the extract's text values: identifiers, dates and Y/N flags.
//! Parsers return a reason, never the value, so messages cannot leak
//! personal data.

use chrono::{Datelike, NaiveDate};

/// Trims a raw cell and treats the usual spreadsheet placeholders as empty.
pub fn clean(raw: &str) -> Option<&str> {
    // Control characters (NUL and the like) are never part of a value.
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}' || c.is_control());
    match trimmed {
        "" => None,
        t if t.eq_ignore_ascii_case("#n/a") || t.eq_ignore_ascii_case("null") => None,
        t => Some(t),
    }
}

/// Identifiers are text: `000123` stays `000123`; `123.0` (an id that went
/// through Excel) is the id `123`.
pub fn normalise_id(raw: &str) -> String {
    match raw.strip_suffix(".0") {
        Some(stem) if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) => {
            stem.to_string()
        }
        _ => raw.to_string(),
    }
}

/// Parses a date with the first matching layout. In an xlsx source a whole
/// number is an Excel serial date (days since 1899-12-30). Two-digit years and
/// US month/day order are refused with a reason, never guessed.
pub fn parse_date(value: &str, formats: &[String], excel: bool) -> Result<NaiveDate, String> {
    if excel && !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<i64>() {
            // 1 = 1900-01-01 ... 109574 = 2199-12-31
            Ok(serial) if (1..=109_574).contains(&serial) => {
                let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid epoch");
                Ok(epoch + chrono::Days::new(serial as u64))
            }
            _ => Err("is a number that is not an Excel date".into()),
        };
    }
    // A real date cell of a workbook reaches here as ISO text
    // (ingest::excel), whatever layouts the source's text dates use.
    if excel {
        if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            return Ok(date);
        }
    }
    for format in formats {
        if let Ok(date) = NaiveDate::parse_from_str(value, format) {
            if date.year() < 1000 {
                return Err("has a two-digit year; write the year in full".into());
            }
            return Ok(date);
        }
    }
    Err(diagnose_date(value, formats))
}

/// Why a text that looks like a date is not one.
fn diagnose_date(value: &str, formats: &[String]) -> String {
    let parts: Vec<&str> = value.split('/').collect();
    let numbers: Vec<Option<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
    let short = |p: &str| (1..=2).contains(&p.len());
    if let [Some(a), Some(b), Some(_)] = numbers[..] {
        if short(parts[0]) && short(parts[1]) && parts[2].len() == 2 {
            return "has a two-digit year; write the year in full".into();
        }
        if short(parts[0]) && short(parts[1]) && parts[2].len() == 4 {
            if a <= 12 && b > 12 && b <= 31 {
                return "looks like a US month/day/year date; dates must be day/month/year".into();
            }
            // dd/mm/yyyy in shape but refused: 31/02/2018 and the like.
            return "is not a real calendar date".into();
        }
    }
    let iso: Vec<&str> = value.split('-').collect();
    if let [y, m, d] = iso[..] {
        if y.len() == 4
            && short(m)
            && short(d)
            && iso.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        {
            return "is not a real calendar date".into();
        }
    }
    format!(
        "is not a date in an accepted layout ({})",
        formats
            .iter()
            .map(|f| describe_format(f))
            .collect::<Vec<_>>()
            .join(" or ")
    )
}

fn describe_format(format: &str) -> String {
    format
        .replace("%d", "dd")
        .replace("%m", "mm")
        .replace("%Y", "yyyy")
}

/// Y/N flags: Y/N, Yes/No, True/False, 1/0 (any case).
pub fn parse_flag(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "1" => Ok(true),
        "n" | "no" | "false" | "0" => Ok(false),
        _ => Err("is not a Y/N flag (accepted: Y, N, Yes, No, True, False, 1, 0)".into()),
    }
}

/// School cohort year: the year the child's school year group starts counting
/// from. Children born September to December belong to the cohort of their
/// birth year, the rest to the cohort of the year before (indicators.md, 13).
/// Only this is staged: the date of birth itself never leaves ingest.
pub fn cohort_year(date_of_birth: NaiveDate) -> i32 {
    if date_of_birth.month() >= 9 {
        date_of_birth.year()
    } else {
        date_of_birth.year() - 1
    }
}

/// Days since 1970-01-01, Arrow's Date32.
pub fn date32(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
    (date - epoch).num_days() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formats() -> Vec<String> {
        vec!["%d/%m/%Y".into(), "%Y-%m-%d".into()]
    }

    #[test]
    fn ids_keep_leading_zeros_and_lose_excel_suffix() {
        assert_eq!(normalise_id("000123"), "000123");
        assert_eq!(normalise_id("123.0"), "123");
        assert_eq!(normalise_id("A12.0"), "A12.0");
        assert_eq!(normalise_id(".0"), ".0");
    }

    #[test]
    fn dates_in_uk_and_iso_layouts() {
        let d = NaiveDate::from_ymd_opt(2018, 6, 30).unwrap();
        assert_eq!(parse_date("30/06/2018", &formats(), false), Ok(d));
        assert_eq!(parse_date("2018-06-30", &formats(), false), Ok(d));
        assert_eq!(
            parse_date("1/6/2018", &formats(), false),
            NaiveDate::from_ymd_opt(2018, 6, 1).ok_or(String::new())
        );
        assert_eq!(
            parse_date("31/02/2018", &formats(), false).unwrap_err(),
            "is not a real calendar date"
        );
        assert!(
            parse_date("06/30/2018", &formats(), false)
                .unwrap_err()
                .contains("US month/day/year")
        );
        assert!(
            parse_date("30/06/18", &formats(), false)
                .unwrap_err()
                .contains("two-digit year")
        );
        assert!(
            parse_date("yesterday", &formats(), false)
                .unwrap_err()
                .contains("dd/mm/yyyy or yyyy-mm-dd")
        );
        for other_layout in ["2018/06/01", "01.06.2018", "01-06-2018"] {
            assert!(
                parse_date(other_layout, &formats(), false)
                    .unwrap_err()
                    .contains("accepted layout"),
                "{other_layout}"
            );
        }
        assert_eq!(
            parse_date("2018-13-01", &formats(), false).unwrap_err(),
            "is not a real calendar date"
        );
        // Excel serial numbers only in xlsx sources.
        assert_eq!(parse_date("43281", &formats(), true), Ok(d));
        assert!(parse_date("43281", &formats(), false).is_err());
    }

    #[test]
    fn flags_accept_common_spellings() {
        for yes in ["Y", "yes", "TRUE", "1"] {
            assert_eq!(parse_flag(yes), Ok(true));
        }
        for no in ["n", "No", "false", "0"] {
            assert_eq!(parse_flag(no), Ok(false));
        }
        assert!(parse_flag("maybe").is_err());
    }

    #[test]
    fn placeholders_are_empty() {
        assert_eq!(clean("  \u{a0}"), None);
        assert_eq!(clean("#N/A"), None);
        assert_eq!(clean("NULL"), None);
        assert_eq!(clean(" x "), Some("x"));
    }

    #[test]
    fn cohort_year_turns_on_first_of_september() {
        // 31 August 2011 is the youngest of the 2010 cohort; 1 September 2011
        // the oldest of the 2011 cohort.
        assert_eq!(
            cohort_year(NaiveDate::from_ymd_opt(2011, 8, 31).unwrap()),
            2010
        );
        assert_eq!(
            cohort_year(NaiveDate::from_ymd_opt(2011, 9, 1).unwrap()),
            2011
        );
    }
}
