//! Reporting periods as the command line names them (`YYYY-MM`). Only the
//! parsing and the default live here; every period derived from the reporting
//! month (quarter, year to date, previous years) is computed in
//! `sql/transform/010_periods.sql`.

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, Result};

/// A reporting month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::Input(format!(
                "period `{text}` is not a month in the form YYYY-MM"
            ))
        };
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month)
            || !(1900..=2999).contains(&year)
            || !y.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    /// The last complete calendar month before `today`.
    pub fn last_complete_before(today: NaiveDate) -> Self {
        let (year, month) = if today.month() == 1 {
            (today.year() - 1, 12)
        } else {
            (today.year(), today.month() - 1)
        };
        Self { year, month }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    /// E: the month's last day.
    pub fn last_day(self) -> NaiveDate {
        let (y, m) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)
            .expect("valid month")
            .pred_opt()
            .expect("valid day")
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let p = Period::parse("2018-06").unwrap();
        assert_eq!(p.to_string(), "2018-06");
        assert_eq!(p.last_day(), NaiveDate::from_ymd_opt(2018, 6, 30).unwrap());
        assert_eq!(Period::parse("2020-02").unwrap().last_day().day(), 29);
        assert!(Period::parse("2018-13").is_err());
        assert!(Period::parse("18-06").is_err());
        assert!(Period::parse("June").is_err());
    }

    #[test]
    fn default_is_last_complete_month() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            Period::last_complete_before(d(2018, 7, 2)).to_string(),
            "2018-06"
        );
        assert_eq!(
            Period::last_complete_before(d(2019, 1, 31)).to_string(),
            "2018-12"
        );
    }
}
