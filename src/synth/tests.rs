//! Tests of the generator. The published figures are re-counted from the rows with
//! the rules of indicators.md (a second, independent check lives outside the repo).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use super::calendar::{FY_2016, FY_2017, HISTORY_START, Q1_2018, STOCK_DATE, date};
use super::quotas::*;
use super::roles::ROLES;
use super::*;

fn csv_bytes(opts: &SynthOptions) -> (Vec<u8>, SynthSummary) {
    let mut out = vec![];
    let summary = write_canonical_csv(opts, &mut out).unwrap();
    (out, summary)
}

fn opts(seed: u64, authorities: u32) -> SynthOptions {
    SynthOptions { seed, authorities }
}

fn by_child(rows: &[SynthEpisode]) -> BTreeMap<&str, Vec<&SynthEpisode>> {
    let mut map: BTreeMap<&str, Vec<&SynthEpisode>> = BTreeMap::new();
    for r in rows {
        map.entry(r.child_id.as_str()).or_default().push(r);
    }
    for eps in map.values_mut() {
        eps.sort_by_key(|e| (e.referral_date, e.episode_id.clone()));
    }
    map
}

fn open_at(e: &SynthEpisode, d: NaiveDate) -> bool {
    e.referral_date.unwrap() <= d && e.closure_date.is_none_or(|c| c > d)
}

fn ethnic_group(code: &str) -> usize {
    ETHNIC_CODES
        .iter()
        .position(|codes| codes.contains(&code))
        .expect("known code")
}

fn tally<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeMap<T, u32> {
    let mut map = BTreeMap::new();
    for i in items {
        *map.entry(i).or_insert(0) += 1;
    }
    map
}

/// `table` as a map label -> count, zeros dropped, to compare with `tally`.
fn expected<'a>(labels: &[&'a str], table: &[u32], times: u32) -> BTreeMap<&'a str, u32> {
    labels
        .iter()
        .zip(table)
        .filter(|(_, n)| **n > 0)
        .map(|(l, n)| (*l, n * times))
        .collect()
}

/// First episode new in the period of each child that has one.
fn flow<'a>(
    children: &BTreeMap<&str, Vec<&'a SynthEpisode>>,
    (from, to): ((i32, u32, u32), (i32, u32, u32)),
) -> Vec<(&'a SynthEpisode, bool)> {
    let (from, to) = (date(from), date(to));
    children
        .values()
        .filter_map(|eps| {
            let first = eps
                .iter()
                .find(|e| (from..=to).contains(&e.referral_date.unwrap()))?;
            let returning = eps.iter().any(|e| {
                e.closure_date
                    .is_some_and(|c| c < first.referral_date.unwrap())
            });
            Some((*first, returning))
        })
        .collect()
}

fn stock<'a>(
    children: &BTreeMap<&str, Vec<&'a SynthEpisode>>,
    d: NaiveDate,
) -> Vec<&'a SynthEpisode> {
    children
        .values()
        .filter_map(|eps| {
            eps.iter()
                .filter(|e| open_at(e, d))
                .max_by_key(|e| e.referral_date)
                .copied()
        })
        .collect()
}

fn datedif_months(from: NaiveDate, to: NaiveDate) -> i32 {
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if to.day() < from.day() {
        months - 1
    } else {
        months
    }
}

fn year_group(born: NaiveDate, at: NaiveDate) -> i32 {
    let cohort = if born.month() >= 9 {
        born.year()
    } else {
        born.year() - 1
    };
    let academic = if at.month() >= 9 {
        at.year()
    } else {
        at.year() - 1
    };
    academic - cohort - 5
}

/// Every figure of the spec, `times` the single-authority value.
fn assert_published_figures(rows: &[SynthEpisode], times: u32) {
    let children = by_child(rows);
    let stock_date = date(STOCK_DATE);

    let q1 = flow(&children, Q1_2018);
    assert_eq!(q1.len() as u32, Q1_NEW_CHILDREN * times, "1a");
    let families: BTreeSet<&str> = q1
        .iter()
        .map(|(e, _)| {
            if e.family_id.is_empty() {
                &e.child_id
            } else {
                &e.family_id
            }
        })
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        families.len() as u32,
        Q1_NEW_FAMILIES * times,
        "1a families"
    );
    assert_eq!(
        q1.iter().filter(|(_, r)| *r).count() as u32,
        Q1_PREVIOUS_EPISODE * times,
        "1b"
    );
    assert_eq!(
        tally(q1.iter().map(|(e, _)| e.sex.as_str())),
        expected(&SEX_CODES, &Q1_SEX, times),
        "2"
    );
    assert_eq!(
        tally(q1.iter().map(|(e, _)| e.locality.as_str())),
        expected(&LOCALITIES, &Q1_LOCALITY, times),
        "3"
    );
    assert_eq!(
        tally(q1.iter().map(|(e, _)| e.school_phase.as_str())),
        expected(&PHASES, &Q1_PHASE, times),
        "4"
    );
    assert_eq!(
        tally(
            q1.iter()
                .map(|(e, _)| ETHNIC_GROUPS[ethnic_group(&e.ethnicity)])
        ),
        expected(&ETHNIC_GROUPS, &Q1_ETHNICITY, times),
        "5"
    );
    assert_eq!(
        tally(q1.iter().map(|(e, _)| e.presenting_need.as_str())),
        expected(&NEEDS, &Q1_NEED, times),
        "15"
    );
    let yes = |f: fn(&SynthEpisode) -> &str| q1.iter().filter(|(e, _)| f(e) == "Y").count() as u32;
    assert_eq!(yes(|e| &e.open_to_csc), Q1_OPEN_TO_CSC * times, "16 CSC");
    assert_eq!(
        yes(|e| &e.open_to_eh_locality),
        Q1_OPEN_TO_EH_LOCALITY * times,
        "16 EH locality"
    );
    assert_eq!(
        yes(|e| &e.open_to_eh_partner),
        Q1_OPEN_TO_EH_PARTNER * times,
        "16 EH partners"
    );

    let (q1_from, q1_to) = (date(Q1_2018.0), date(Q1_2018.1));
    let closed: Vec<&SynthEpisode> = rows
        .iter()
        .filter(|e| {
            e.closure_date
                .is_some_and(|c| (q1_from..=q1_to).contains(&c))
        })
        .collect();
    assert_eq!(closed.len() as u32, Q1_CLOSED_EPISODES * times, "7");
    assert_eq!(
        tally(closed.iter().map(|e| e.closure_outcome.as_str())),
        expected(&OUTCOMES, &Q1_OUTCOME, times),
        "17"
    );
    assert_eq!(
        flow(&children, ((2018, 1, 1), (2018, 3, 31))).len() as u32,
        Q4_2017_NEW_CHILDREN * times,
        "Q4 1a"
    );

    let now = stock(&children, stock_date);
    assert_eq!(now.len() as u32, STOCK_CHILDREN * times, "6");
    let removal: u32 = children
        .values()
        .filter(|eps| {
            eps.iter()
                .any(|e| open_at(e, stock_date) && e.removal_from_roll_authorised == "Y")
        })
        .count() as u32;
    assert_eq!(removal, STOCK_REMOVAL_AUTHORISED * times, "8");
    assert_eq!(
        tally(now.iter().map(|e| e.sex.as_str())),
        expected(&SEX_CODES, &STOCK_SEX, times),
        "9"
    );
    assert_eq!(
        tally(now.iter().map(|e| e.locality.as_str())),
        expected(&LOCALITIES, &STOCK_LOCALITY, times),
        "10"
    );
    assert_eq!(
        tally(now.iter().map(|e| e.school_phase.as_str())),
        expected(&PHASES, &STOCK_PHASE, times),
        "11"
    );
    let bucket = |e: &&SynthEpisode| match datedif_months(e.referral_date.unwrap(), stock_date) {
        0..=6 => 0,
        7..=12 => 1,
        13..=18 => 2,
        _ => 3,
    };
    let time_open = tally(now.iter().map(bucket));
    assert_eq!(
        (0..4)
            .map(|b| time_open.get(&b).copied().unwrap_or(0))
            .collect::<Vec<_>>(),
        STOCK_TIME_OPEN
            .iter()
            .map(|n| n * times)
            .collect::<Vec<_>>(),
        "12"
    );
    let years = tally(
        now.iter()
            .map(|e| year_group(e.date_of_birth.unwrap(), stock_date)),
    );
    let want: BTreeMap<i32, u32> = (1..=11)
        .zip(STOCK_YEAR_GROUP)
        .filter(|(_, n)| *n > 0)
        .map(|(y, n)| (y, n * times))
        .collect();
    assert_eq!(years, want, "13");
    assert_eq!(
        tally(
            now.iter()
                .map(|e| ETHNIC_GROUPS[ethnic_group(&e.ethnicity)])
        ),
        expected(&ETHNIC_GROUPS, &STOCK_ETHNICITY, times),
        "14"
    );

    for (period, total, sex, locality, phase, ethnicity) in [
        (
            FY_2016,
            FY2016_NEW_CHILDREN,
            FY2016_SEX,
            FY2016_LOCALITY,
            FY2016_PHASE,
            FY2016_ETHNICITY,
        ),
        (
            FY_2017,
            FY2017_NEW_CHILDREN,
            FY2017_SEX,
            FY2017_LOCALITY,
            FY2017_PHASE,
            FY2017_ETHNICITY,
        ),
    ] {
        let f = flow(&children, period);
        assert_eq!(f.len() as u32, total * times, "1a {period:?}");
        assert_eq!(
            tally(f.iter().map(|(e, _)| e.sex.as_str())),
            expected(&SEX_CODES, &sex, times)
        );
        assert_eq!(
            tally(f.iter().map(|(e, _)| e.locality.as_str())),
            expected(&LOCALITIES, &locality, times)
        );
        assert_eq!(
            tally(f.iter().map(|(e, _)| e.school_phase.as_str())),
            expected(&PHASES, &phase, times)
        );
        assert_eq!(
            tally(
                f.iter()
                    .map(|(e, _)| ETHNIC_GROUPS[ethnic_group(&e.ethnicity)])
            ),
            expected(&ETHNIC_GROUPS, &ethnicity, times)
        );
    }
    let fy2017 = flow(&children, FY_2017);
    assert_eq!(
        fy2017.iter().filter(|(_, r)| *r).count() as u32,
        FY2017_PREVIOUS_EPISODE * times,
        "1b 2017/18"
    );
    assert_eq!(
        stock(&children, date((2017, 3, 31))).len() as u32,
        STOCK_2017_03_31 * times,
        "6 at 31/3/2017"
    );
    assert_eq!(
        stock(&children, date((2018, 3, 31))).len() as u32,
        STOCK_2018_03_31 * times,
        "6 at 31/3/2018"
    );
}

#[test]
fn quota_tables_add_up() {
    let sum = |t: &[u32]| t.iter().sum::<u32>();
    for t in [
        &Q1_SEX[..],
        &Q1_LOCALITY,
        &Q1_PHASE,
        &Q1_ETHNICITY,
        &Q1_NEED,
    ] {
        assert_eq!(sum(t), Q1_NEW_CHILDREN);
    }
    assert_eq!(sum(&Q1_OUTCOME), Q1_CLOSED_EPISODES);
    for t in [
        &STOCK_SEX[..],
        &STOCK_LOCALITY,
        &STOCK_PHASE,
        &STOCK_TIME_OPEN,
        &STOCK_YEAR_GROUP,
        &STOCK_ETHNICITY,
    ] {
        assert_eq!(sum(t), STOCK_CHILDREN);
    }
    for t in [
        &FY2016_SEX[..],
        &FY2016_LOCALITY,
        &FY2016_PHASE,
        &FY2016_ETHNICITY,
    ] {
        assert_eq!(sum(t), FY2016_NEW_CHILDREN);
    }
    for t in [
        &FY2017_SEX[..],
        &FY2017_LOCALITY,
        &FY2017_PHASE,
        &FY2017_ETHNICITY,
    ] {
        assert_eq!(sum(t), FY2017_NEW_CHILDREN);
    }
}

#[test]
fn role_sizes_add_up() {
    let block = |letter: &str| {
        let roles = ROLES.iter().filter(|r| r.name.starts_with(letter));
        roles.fold((0, 0), |(c, f), r| (c + r.children, f + r.families))
    };
    let (a, a_families) = block("a_");
    assert_eq!((a, a_families), (Q1_NEW_CHILDREN, Q1_NEW_FAMILIES));
    let (b, c) = (block("b_").0, block("c_").0);
    assert_eq!(b + c, STOCK_2018_03_31);
    assert_eq!(
        b + 110,
        STOCK_CHILDREN,
        "B plus the 110 Q1 children still open"
    );
    assert_eq!(
        block("b_open_13_18_since_2016_17").0 + block("d_").0,
        STOCK_2017_03_31
    );
    assert_eq!(
        block("b_open_13_18_since_2016_17").0 + block("d_").0 + block("e_").0,
        FY2016_NEW_CHILDREN
    );
    let special: u32 = ROLES
        .iter()
        .filter(|r| r.special_or_unknown_phase)
        .map(|r| r.children)
        .sum();
    assert_eq!(special, STOCK_PHASE[SPECIAL] + STOCK_PHASE[PHASE_UNKNOWN]);
}

#[test]
fn default_extract_reproduces_the_published_figures() {
    assert_published_figures(&generate(&SynthOptions::default()), 1);
}

#[test]
fn other_seeds_reproduce_them_too() {
    for seed in [1, 2, 3, 42, 0xDEAD_BEEF] {
        assert_published_figures(&generate(&opts(seed, 1)), 1);
    }
}

#[test]
fn two_authorities_double_every_figure() {
    let one = csv_bytes(&opts(7, 1)).1;
    let rows = generate(&opts(7, 2));
    let (_, two) = csv_bytes(&opts(7, 2));
    assert_eq!(
        two,
        SynthSummary {
            rows: one.rows * 2,
            children: one.children * 2,
            families: one.families * 2
        }
    );
    assert_eq!(rows.len() as u64, two.rows);
    assert_published_figures(&rows, 2);
    // Disjoint id spaces, fresh personal details.
    let ids: BTreeSet<&str> = rows.iter().map(|r| r.episode_id.as_str()).collect();
    assert_eq!(ids.len(), rows.len());
    let half = rows.len() / 2;
    assert!(
        rows[..half].iter().all(|r| r.child_id.starts_with('1'))
            && rows[half..].iter().all(|r| r.child_id.starts_with('2'))
    );
    let names = |rs: &[SynthEpisode]| {
        rs.iter()
            .map(|r| (r.forename.clone(), r.surname.clone(), r.address.clone()))
            .collect::<Vec<_>>()
    };
    assert_ne!(names(&rows[..half]), names(&rows[half..]));
}

#[test]
fn same_options_give_identical_bytes() {
    let (a, sa) = csv_bytes(&SynthOptions::default());
    let (b, sb) = csv_bytes(&SynthOptions::default());
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    assert_ne!(
        a,
        csv_bytes(&opts(1, 1)).0,
        "another seed gives another extract"
    );
}

#[test]
fn summary_counts_match_the_rows() {
    let (_, summary) = csv_bytes(&SynthOptions::default());
    let rows = generate(&SynthOptions::default());
    let children: BTreeSet<&str> = rows.iter().map(|r| r.child_id.as_str()).collect();
    let families: BTreeSet<&str> = rows
        .iter()
        .map(|r| {
            if r.family_id.is_empty() {
                &r.child_id
            } else {
                &r.family_id
            }
        })
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        summary,
        SynthSummary {
            rows: rows.len() as u64,
            children: children.len() as u64,
            families: families.len() as u64
        }
    );
    let no_family = rows
        .iter()
        .filter(|r| r.family_id.is_empty())
        .map(|r| &r.child_id)
        .collect::<BTreeSet<_>>()
        .len();
    let share = no_family as f64 / children.len() as f64;
    assert!(
        (0.015..0.05).contains(&share),
        "children without family_id: {share}"
    );
}

#[test]
fn csv_shape() {
    let (bytes, summary) = csv_bytes(&SynthOptions::default());
    let text = String::from_utf8(bytes).unwrap();
    assert!(!text.starts_with('\u{feff}') && !text.contains('\r'));
    assert!(text.starts_with(&(COLUMNS.join(",") + "\n")));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len() as u64, summary.rows);
    assert!(records.iter().all(|r| r.len() == COLUMNS.len()));
    assert!(
        records
            .iter()
            .all(|r| r[0].len() == 8 && r[1].len() == 7 && (r[2].is_empty() || r[2].len() == 6))
    );
    assert!(
        records.iter().any(|r| r[1].starts_with('0'))
            && records.iter().any(|r| !r[1].starts_with('0'))
    );
    assert!(records.iter().all(|r| r[9].starts_with("ZZ")));
}

#[test]
fn timelines_are_consistent() {
    let extract_date = date(SAMPLE_EXTRACT_DATE);
    for seed in [20180630, 5] {
        let rows = generate(&opts(seed, 1));
        for (child, eps) in by_child(&rows) {
            for e in &eps {
                let (r, c) = (e.referral_date.unwrap(), e.closure_date);
                assert!(
                    r >= date(HISTORY_START) && r <= extract_date,
                    "{child}: referral {r}"
                );
                assert!(
                    c.is_none_or(|c| c >= r && c <= extract_date),
                    "{child}: closure {c:?}"
                );
                assert!(
                    c.is_some() || e.closure_outcome.is_empty(),
                    "open episodes have no outcome"
                );
                // Fixed per child.
                assert_eq!(
                    (&e.sex, e.date_of_birth, &e.family_id),
                    (&eps[0].sex, eps[0].date_of_birth, &eps[0].family_id)
                );
                // Phase agrees with age at referral.
                let y = year_group(e.date_of_birth.unwrap(), r);
                match e.school_phase.as_str() {
                    "Primary" => assert!((0..=6).contains(&y), "{child}: Primary in year {y}"),
                    "Secondary" => assert!((7..=11).contains(&y), "{child}: Secondary in year {y}"),
                    _ => {}
                }
            }
            // One episode at a time: each referral after the previous closure.
            for pair in eps.windows(2) {
                let prev_closed = pair[0]
                    .closure_date
                    .unwrap_or_else(|| panic!("{child}: two open episodes"));
                assert!(
                    prev_closed < pair[1].referral_date.unwrap(),
                    "{child}: overlapping episodes"
                );
            }
        }
        // July 2018 episodes exist and changed nothing (checked by the figures tests).
        let july = |d: Option<NaiveDate>| d.is_some_and(|d| d.year() == 2018 && d.month() == 7);
        assert!(rows.iter().any(|e| july(e.referral_date)));
        assert!(rows.iter().any(|e| july(e.closure_date)));
    }
}

#[test]
fn zero_authorities_is_header_only() {
    let (bytes, summary) = csv_bytes(&opts(1, 0));
    assert_eq!(String::from_utf8(bytes).unwrap(), COLUMNS.join(",") + "\n");
    assert_eq!(
        summary,
        SynthSummary {
            rows: 0,
            children: 0,
            families: 0
        }
    );
}
