//! Deterministic synthetic CME episode extract.
//!
//! Writes a canonical extract (extract-contract.md) as it would stand on
//! [`SAMPLE_EXTRACT_DATE`] (2 July 2018), whose figures for the June 2018 report
//! (indicators.md) are exactly those of the seed report
//! `seed-performance-summary-2018-06.txt`: Q1 2018/19 flow and breakdowns, the stock
//! at 30 June 2018 and its breakdowns, the two previous financial years' flows and
//! stocks, and Q4 2017/18 new referrals. The published figures are the const tables
//! in `quotas.rs`.
//!
//! # How the figures come out exactly
//!
//! Nothing is simulated. `roles.rs` lays out the population as roles: a role is a
//! number of children (in families that share dates) with a fixed sequence of
//! episodes, each drawn inside a date window. The windows are set so that every
//! *count* (new children per period, 1b, stock at each date, episodes closed, time
//! open, Q4) follows from the role sizes whatever the seed; the arithmetic is written
//! out in `roles.rs`.
//!
//! The *breakdowns* are then drawn to the quotas: which episode counts where is
//! worked out from the dates with the rules of indicators.md, and `allocate.rs`
//! labels children and episodes so that every published breakdown gets its quota,
//! even where one label counts in several (a child referred in April and still open
//! in June counts in both the Q1 flow and the June stock).
//!
//! # Compromises (what is less realistic than real data)
//!
//! * Sex, date of birth, ethnicity and family are fixed per child. Locality,
//!   presenting need and the "open to" / removal flags are drawn per episode to hit
//!   the quotas, so a child's locality can change between episodes, and siblings
//!   (same family, same dates) can have different ethnicity or locality.
//! * School phase follows the child's age (Reception-Year 6 Primary, Year 7-11
//!   Secondary) on every episode; ages are chosen to fit the phase quotas. The
//!   exceptions are the 39 current episodes whose phase is Special/Inclusion or
//!   Unknown, a category only the June stock has: those children had an earlier
//!   closed 2017/18 episode that carries their phase for the 2017/18 figures.
//! * Episodes that no published figure counts (history before April 2016, second
//!   episodes in a period, July 2018) get attributes from loose weights in
//!   `quotas.rs`, and the seed's figures that contradict its own other figures (for
//!   example 715 episodes closed in 2017/18, impossible with 585 new children and
//!   stocks of 292 and 153) are not reproduced.
//! * Names, streets and towns are obviously fake, postcodes use the unused outward
//!   code `ZZ`.
//!
//! # Determinism and `authorities`
//!
//! Output depends only on [`SynthOptions`]: one ChaCha8 stream per purpose, no clock,
//! no hash-map iteration. `authorities = N` repeats the population N times with
//! disjoint ids (copy number in front of every id) and freshly drawn personal
//! details, so every published count is exactly N times the single-authority one.
//! `authorities = 0` gives an empty extract (header only).

mod allocate;
mod calendar;
mod casesys;
mod dice;
mod population;
mod quotas;
mod render;
mod roles;

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

pub use casesys::{CASESYS_COLUMNS, CASESYS_SHEET, casesys_record};

/// The date the sample extract was taken (after the June 2018 reporting month).
pub const SAMPLE_EXTRACT_DATE: (i32, u32, u32) = (2018, 7, 2);

/// Header of the canonical extract, in column order.
pub const COLUMNS: [&str; 20] = [
    "episode_id",
    "child_id",
    "family_id",
    "forename",
    "surname",
    "date_of_birth",
    "sex",
    "ethnicity",
    "address",
    "postcode",
    "locality",
    "school_phase",
    "referral_date",
    "closure_date",
    "closure_outcome",
    "presenting_need",
    "open_to_csc",
    "open_to_eh_locality",
    "open_to_eh_partner",
    "removal_from_roll_authorised",
];

#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Seed of every random draw (default 20180630). Any seed reproduces the
    /// published figures; it changes who and when, not how many.
    pub seed: u64,
    /// Number of authority-sized copies of the population (default 1).
    pub authorities: u32,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            seed: 20180630,
            authorities: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SynthSummary {
    pub rows: u64,
    pub children: u64,
    /// Distinct family keys: family_id, or the child's id where family_id is empty.
    pub families: u64,
}

/// One extract row; one field per column of [`COLUMNS`]. Codes are as written in
/// the extract (empty string = not recorded); dates are `None` when empty.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthEpisode {
    pub episode_id: String,
    pub child_id: String,
    pub family_id: String,
    pub forename: String,
    pub surname: String,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: String,
    pub ethnicity: String,
    pub address: String,
    pub postcode: String,
    pub locality: String,
    pub school_phase: String,
    /// Always present.
    pub referral_date: Option<NaiveDate>,
    pub closure_date: Option<NaiveDate>,
    pub closure_outcome: String,
    pub presenting_need: String,
    pub open_to_csc: String,
    pub open_to_eh_locality: String,
    pub open_to_eh_partner: String,
    pub removal_from_roll_authorised: String,
}

impl SynthEpisode {
    /// The row as text in [`COLUMNS`] order, dates as `dd/mm/yyyy` (the usual UK
    /// export).
    pub fn to_record(&self) -> [String; 20] {
        [
            self.episode_id.clone(),
            self.child_id.clone(),
            self.family_id.clone(),
            self.forename.clone(),
            self.surname.clone(),
            uk_date(self.date_of_birth),
            self.sex.clone(),
            self.ethnicity.clone(),
            self.address.clone(),
            self.postcode.clone(),
            self.locality.clone(),
            self.school_phase.clone(),
            uk_date(self.referral_date),
            uk_date(self.closure_date),
            self.closure_outcome.clone(),
            self.presenting_need.clone(),
            self.open_to_csc.clone(),
            self.open_to_eh_locality.clone(),
            self.open_to_eh_partner.clone(),
            self.removal_from_roll_authorised.clone(),
        ]
    }
}

fn uk_date(d: Option<NaiveDate>) -> String {
    use chrono::Datelike;
    d.map(|d| format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year()))
        .unwrap_or_default()
}

/// Writes the canonical extract as CSV (header row, LF line ends, UTF-8, no BOM).
/// Copies are written one at a time, so memory does not grow with `authorities`.
pub fn write_canonical_csv<W: Write>(opts: &SynthOptions, out: W) -> std::io::Result<SynthSummary> {
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    csv.write_record(COLUMNS)?;
    let pop = population::build(opts.seed);
    for copy in 0..opts.authorities {
        for row in render::render_copy(&pop, opts.seed, copy, opts.authorities) {
            csv.write_record(row.to_record())?;
        }
    }
    csv.flush()?;
    Ok(summary(&pop, opts.authorities))
}

/// All rows of the extract (every copy), in file order.
pub fn generate(opts: &SynthOptions) -> Vec<SynthEpisode> {
    copies(opts).flatten().collect()
}

/// The rows of each copy in turn (what [`generate`] concatenates).
fn copies(opts: &SynthOptions) -> impl Iterator<Item = Vec<SynthEpisode>> {
    let pop = population::build(opts.seed);
    let (seed, n) = (opts.seed, opts.authorities);
    (0..n).map(move |copy| render::render_copy(&pop, seed, copy, n))
}

/// The shape of a synthetic extract; the episodes are the same in every style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// The extract contract (`pipelines/cme.toml`): canonical headers and codes,
    /// UTF-8 CSV.
    #[default]
    Canonical,
    /// A case-management system's own export (`pipelines/casesys.toml`): other
    /// headers and column order, an ignored extra column, labels instead of
    /// codes, a title row and a total row; CSV in Windows-1252 with CRLF, or xlsx
    /// with date and number cells.
    Casesys,
}

impl Style {
    pub const ALL: [Style; 2] = [Style::Canonical, Style::Casesys];

    pub fn as_str(self) -> &'static str {
        match self {
            Style::Canonical => "canonical",
            Style::Casesys => "casesys",
        }
    }
}

impl std::fmt::Display for Style {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Style {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Style::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| format!("unknown style `{text}` (accepted: canonical, casesys)"))
    }
}

/// Writes the extract in `style` to `path`, as CSV or xlsx by the path's
/// extension (`.csv`, `.xlsx`, any case; the canonical style is CSV only). The
/// extension is checked before `path` is created.
pub fn write_style(
    options: &SynthOptions,
    style: Style,
    path: &Path,
) -> std::io::Result<SynthSummary> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
    match (style, extension.as_str()) {
        (Style::Canonical, "csv") | (Style::Casesys, "csv" | "xlsx") => {}
        (Style::Canonical, "xlsx") => {
            return Err(invalid(
                "the canonical extract is CSV only (the extract contract); use the casesys style for xlsx"
                    .into(),
            ));
        }
        _ => {
            return Err(invalid(format!(
                "{}: the output must end in .csv or .xlsx",
                path.display()
            )));
        }
    }
    // An xlsx is built in memory anyway: build it before creating the file, so a
    // workbook that cannot be made leaves nothing behind.
    let workbook = match extension.as_str() {
        "xlsx" => Some(casesys::xlsx_bytes(options)?.0),
        _ => None,
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    match (style, workbook) {
        (_, Some(bytes)) => out.write_all(&bytes)?,
        (Style::Canonical, None) => {
            write_canonical_csv(options, &mut out)?;
        }
        (Style::Casesys, None) => {
            casesys::write_csv(options, &mut out)?;
        }
    }
    out.flush()?;
    Ok(summary(
        &population::build(options.seed),
        options.authorities,
    ))
}

fn summary(pop: &population::Population, copies: u32) -> SynthSummary {
    let n = u64::from(copies);
    SynthSummary {
        rows: pop.episodes.len() as u64 * n,
        children: pop.children.len() as u64 * n,
        families: pop.family_keys() as u64 * n,
    }
}

#[cfg(test)]
mod tests;
