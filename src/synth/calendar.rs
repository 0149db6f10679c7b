//! Dates of the sample and the calendar rules of indicators.md it relies on.

use chrono::{Datelike, NaiveDate};

pub(super) type Ymd = (i32, u32, u32);

pub(super) fn date((y, m, d): Ymd) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid calendar date")
}

/// First referral date in the sample's history.
pub(super) const HISTORY_START: Ymd = (2014, 4, 1);
/// Q1 2018/19, the quarter of the June 2018 report.
pub(super) const Q1_2018: (Ymd, Ymd) = ((2018, 4, 1), (2018, 6, 30));
/// Financial years 2017/18 and 2016/17 (the report's year-on-year columns).
pub(super) const FY_2017: (Ymd, Ymd) = ((2017, 4, 1), (2018, 3, 31));
pub(super) const FY_2016: (Ymd, Ymd) = ((2016, 4, 1), (2017, 3, 31));
/// The stock date of the June 2018 report.
pub(super) const STOCK_DATE: Ymd = (2018, 6, 30);

pub(super) fn within(d: NaiveDate, (from, to): (Ymd, Ymd)) -> bool {
    date(from) <= d && d <= date(to)
}

/// Open at the end of `d` (indicators.md: closed on d is not open at d).
pub(super) fn open_at(referral: NaiveDate, closure: Option<NaiveDate>, d: NaiveDate) -> bool {
    referral <= d && closure.is_none_or(|c| c > d)
}

/// Start year of the academic year (1 September) containing `d`.
pub(super) fn academic_year(d: NaiveDate) -> i32 {
    if d.month() >= 9 {
        d.year()
    } else {
        d.year() - 1
    }
}

/// The academic year whose year groups the generator works in: 2017/18, the year of
/// the June 2018 stock date. A child's "year 2017" is its National Curriculum year
/// group in 2017/18; its cohort (indicators.md) is `COHORT_BASE - year_2017`.
pub(super) const BASE_ACADEMIC_YEAR: i32 = 2017;
pub(super) const COHORT_BASE: i32 = BASE_ACADEMIC_YEAR - 5;

/// Year group at `d` of a child in `year_2017` during 2017/18.
pub(super) fn year_group_at(year_2017: i32, d: NaiveDate) -> i32 {
    year_2017 + academic_year(d) - BASE_ACADEMIC_YEAR
}

/// Shift that turns "year group at d" into "year group in 2017/18".
pub(super) fn years_since(d: NaiveDate) -> i32 {
    BASE_ACADEMIC_YEAR - academic_year(d)
}

/// Date of birth range of the cohort that is in `year_2017` during 2017/18.
pub(super) fn birth_range(year_2017: i32) -> (NaiveDate, NaiveDate) {
    let cohort = COHORT_BASE - year_2017;
    (date((cohort, 9, 1)), date((cohort + 1, 8, 31)))
}
