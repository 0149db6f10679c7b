//! The population design: which children exist and when their episodes run.
//!
//! Rather than simulate referrals and hope the totals come out, every child is given
//! a *role*: a fixed sequence of episodes, each drawn inside a date window. The
//! windows are chosen so that every count of children or episodes in the published
//! figures follows from the role sizes alone, whatever the seed. The sums are
//! spelled out next to each block and checked in `tests::role_sizes_add_up`.
//!
//! Children of one family share a role and the very same episode dates (siblings are
//! referred and closed together).
//!
//! The blocks (per authority):
//!
//! * **A: Q1 2018/19 referrals** (188 children, 116 families, 191 episodes).
//!   S = 110 children still open at 30 June (3 of them had a first Q1 episode closed
//!   and a second one still open); 78 closed in Q1. 110 of the 188 (1b) came back
//!   after an episode that closed in the 2017/18 academic year.
//!   Q1 episodes closed in Q1: 78 + 3 = 81.
//! * **B: open before April 2018 and still open at 30 June** (100): time open 0-6
//!   months 40 (referred December 2017 - March 2018), 7-12 months 52 (June -
//!   November 2017), 13-18 months 8 (5 in April/May 2017, 3 in January-March 2017,
//!   who are therefore also in the March 2017 stock). The 39 whose current school
//!   phase is Special/Inclusion or Unknown (a category only the stock quota has)
//!   had an earlier, closed 2017/18 episode that carries their 2017/18 phase.
//!   Stock at 30 June = S 110 + B 100 = 210; time open 0-6 = 110 + 40 = 150.
//! * **C: open at 31 March 2018, closed in Q1** (53), each with a pre-2016 episode.
//!   Stock at 31 March 2018 = B 100 + C 53 = 153; closed in Q1 = 81 + 53 = 134.
//! * **D: open at 31 March 2017** (289 + 3 from B = 292), referred in 2016/17 and
//!   closed in 2017/18; 120 come back later in 2017/18.
//! * **E: referred and closed in 2016/17** (218); 100 come back in 2017/18.
//!   40 of D and 40 of E had a pre-2016 episode (2016/17 1b = 80, not published).
//!   2016/17 new children = 3 (B) + 289 (D) + 218 (E) = 510.
//! * **F: other 2017/18 referrals**: 81 returning after a pre-2016 episode, 24 new.
//!   2017/18 new children = 110 (A) + 97 (B) + 53 (C) + 120 (D) + 100 (E) + 81 + 24
//!   = 585, of whom 53 (C) + 120 + 100 + 81 = 354 came back after a closed episode.
//!   January-March 2018 new children = 40 (A priors) + 30 (B) + 20 (C) + 15 + 20 +
//!   20 + 10 = 155.
//! * **Background**: 120 children seen only before April 2016, and 2+2 children
//!   referred on 1-2 July 2018 (after June, before the extract date); they count in
//!   no figure.

use super::calendar::Ymd;

/// How an episode ends.
#[derive(Clone, Copy)]
pub(super) enum Closure {
    /// Still open on the extract date.
    Open,
    /// Closed on a date in this window (and after the referral).
    Within(Ymd, Ymd),
}

#[derive(Clone, Copy)]
pub(super) struct EpisodeTemplate {
    pub referral: (Ymd, Ymd),
    pub closure: Closure,
}

pub(super) struct Role {
    pub name: &'static str,
    pub children: u32,
    /// Families the children are split into (sizes as even as possible).
    pub families: u32,
    pub episodes: &'static [EpisodeTemplate],
    /// The current (open) episode at 30 June has school phase Special/Inclusion or
    /// Unknown instead of the phase of the child's age.
    pub special_or_unknown_phase: bool,
}

const fn open(from: Ymd, to: Ymd) -> EpisodeTemplate {
    EpisodeTemplate {
        referral: (from, to),
        closure: Closure::Open,
    }
}

const fn closed(from: Ymd, to: Ymd, closed_by: Ymd) -> EpisodeTemplate {
    // Closure window starts at the referral window: the draw keeps it after the referral.
    EpisodeTemplate {
        referral: (from, to),
        closure: Closure::Within(from, closed_by),
    }
}

const fn closed_within(from: Ymd, to: Ymd, close_from: Ymd, close_to: Ymd) -> EpisodeTemplate {
    EpisodeTemplate {
        referral: (from, to),
        closure: Closure::Within(close_from, close_to),
    }
}

// ---- episode templates ----------------------------------------------------------
// Windows keep clear of period edges and of month-end days where DATEDIF months
// would be ambiguous.

/// Referred in Q1 2018/19 and still open at 30 June.
const Q1_OPEN: EpisodeTemplate = open((2018, 4, 3), (2018, 6, 29));
/// ... and closed on 1-2 July 2018 (so still open at 30 June).
const Q1_OPEN_CLOSES_JULY: EpisodeTemplate =
    closed_within((2018, 4, 3), (2018, 6, 29), (2018, 7, 1), (2018, 7, 2));
/// Referred and closed in Q1.
const Q1_CLOSED: EpisodeTemplate = closed((2018, 4, 3), (2018, 6, 15), (2018, 6, 30));
/// Two Q1 episodes of one child: the first closed before the second opens.
const Q1_FIRST_OF_TWO: EpisodeTemplate = closed((2018, 4, 3), (2018, 5, 4), (2018, 5, 18));
const Q1_SECOND_OF_TWO: EpisodeTemplate = open((2018, 5, 21), (2018, 6, 29));
/// Referred after the reporting month, before the extract date.
const JULY_OPEN: EpisodeTemplate = open((2018, 7, 1), (2018, 7, 2));

/// Earlier episode of a Q1 child (academic year 2017/18, so the same school phase).
const PRIOR_AUTUMN_2017: EpisodeTemplate = closed((2017, 9, 4), (2017, 12, 8), (2017, 12, 22));
const PRIOR_Q4_2017: EpisodeTemplate = closed((2018, 1, 8), (2018, 3, 9), (2018, 3, 29));

/// Still open at 30 June, open 0-6 months (referred from 1 December 2017).
const OPEN_SINCE_DECEMBER: EpisodeTemplate = open((2017, 12, 1), (2017, 12, 22));
const OPEN_SINCE_Q4: EpisodeTemplate = open((2018, 1, 8), (2018, 3, 29));
/// Open 7-12 months (referred June - November 2017).
const OPEN_7_12_MONTHS: EpisodeTemplate = open((2017, 6, 1), (2017, 11, 30));
const OPEN_7_12_MONTHS_LATE: EpisodeTemplate = open((2017, 7, 3), (2017, 11, 30));
/// Open 13-18 months, referred in 2017/18 or in 2016/17.
const OPEN_13_18_MONTHS_FY2017: EpisodeTemplate = open((2017, 4, 3), (2017, 5, 26));
const OPEN_13_18_MONTHS_FY2016: EpisodeTemplate = open((2017, 1, 9), (2017, 3, 24));
/// The closed 2017/18 episode before a Special/Unknown-phase current one.
const EARLIER_AUTUMN_2017: EpisodeTemplate = closed((2017, 9, 4), (2017, 10, 27), (2017, 11, 24));
const EARLIER_SPRING_2017: EpisodeTemplate = closed((2017, 4, 3), (2017, 5, 26), (2017, 6, 23));

/// Open at 31 March 2018 and closed in Q1 2018/19.
const OPEN_SINCE_2017_CLOSED_Q1: EpisodeTemplate =
    closed_within((2017, 6, 1), (2017, 12, 15), (2018, 4, 3), (2018, 6, 29));
const OPEN_SINCE_Q4_CLOSED_Q1: EpisodeTemplate =
    closed_within((2018, 1, 8), (2018, 3, 29), (2018, 4, 3), (2018, 6, 29));

/// Referred in 2016/17, open at 31 March 2017, closed in 2017/18.
const OPEN_AT_MARCH_2017: EpisodeTemplate =
    closed_within((2016, 4, 4), (2017, 3, 24), (2017, 4, 3), (2017, 12, 15));
const OPEN_AT_MARCH_2017_SHORT: EpisodeTemplate =
    closed_within((2016, 4, 4), (2017, 3, 24), (2017, 4, 3), (2017, 8, 25));
/// Referred and closed in 2016/17.
const FY2016_CLOSED: EpisodeTemplate = closed((2016, 4, 4), (2017, 3, 10), (2017, 3, 31));
/// Referred and closed in 2017/18 (April-December referral, or January-March).
const FY2017_CLOSED: EpisodeTemplate = closed((2017, 4, 3), (2017, 12, 15), (2018, 3, 29));
const FY2017_AUTUMN_CLOSED: EpisodeTemplate = closed((2017, 9, 4), (2017, 12, 15), (2018, 3, 29));
const FY2017_Q4_CLOSED: EpisodeTemplate = closed((2018, 1, 8), (2018, 3, 16), (2018, 3, 29));

/// History before April 2016, all closed by 31 March 2016.
const BACKGROUND: EpisodeTemplate = closed((2014, 4, 1), (2016, 2, 26), (2016, 3, 31));
const BACKGROUND_EARLY: EpisodeTemplate = closed((2014, 4, 1), (2015, 6, 30), (2015, 9, 30));
const BACKGROUND_LATE: EpisodeTemplate = closed((2015, 10, 1), (2016, 2, 26), (2016, 3, 31));

const fn role(
    name: &'static str,
    children: u32,
    families: u32,
    episodes: &'static [EpisodeTemplate],
) -> Role {
    Role {
        name,
        children,
        families,
        episodes,
        special_or_unknown_phase: false,
    }
}

const fn role_special_or_unknown(
    name: &'static str,
    children: u32,
    families: u32,
    episodes: &'static [EpisodeTemplate],
) -> Role {
    Role {
        name,
        children,
        families,
        episodes,
        special_or_unknown_phase: true,
    }
}

/// All roles of one authority. Names start with their block letter (x = background).
pub(super) const ROLES: &[Role] = &[
    // A: Q1 referrals still open at 30 June (S: 40 + 3 + 38 + 26 + 3 = 110) ...
    role("a_q1_new_open", 40, 25, &[Q1_OPEN]),
    role("a_q1_new_open_closes_july", 3, 2, &[Q1_OPEN_CLOSES_JULY]),
    role(
        "a_q1_returning_open_after_autumn",
        38,
        24,
        &[PRIOR_AUTUMN_2017, Q1_OPEN],
    ),
    role(
        "a_q1_returning_open_after_q4",
        26,
        16,
        &[PRIOR_Q4_2017, Q1_OPEN],
    ),
    role(
        "a_q1_two_episodes_open",
        3,
        2,
        &[Q1_FIRST_OF_TWO, Q1_SECOND_OF_TWO],
    ),
    // ... and closed in Q1 (30 + 2 + 32 + 14 = 78). Families: 25+2+24+16+2+19+1+19+8 = 116.
    role("a_q1_new_closed", 30, 19, &[Q1_CLOSED]),
    role("a_q1_new_closed_back_july", 2, 1, &[Q1_CLOSED, JULY_OPEN]),
    role(
        "a_q1_returning_closed_after_autumn",
        32,
        19,
        &[PRIOR_AUTUMN_2017, Q1_CLOSED],
    ),
    role(
        "a_q1_returning_closed_after_q4",
        14,
        8,
        &[PRIOR_Q4_2017, Q1_CLOSED],
    ),
    // B: open before April 2018, still open at 30 June (6+14+4+16+33+19+5+3 = 100).
    role("b_open_0_6_since_december", 6, 4, &[OPEN_SINCE_DECEMBER]),
    role("b_open_0_6_since_q4", 14, 9, &[OPEN_SINCE_Q4]),
    role_special_or_unknown(
        "b_open_0_6_since_december_special",
        4,
        3,
        &[EARLIER_AUTUMN_2017, OPEN_SINCE_DECEMBER],
    ),
    role_special_or_unknown(
        "b_open_0_6_since_q4_special",
        16,
        10,
        &[EARLIER_AUTUMN_2017, OPEN_SINCE_Q4],
    ),
    role("b_open_7_12", 33, 20, &[OPEN_7_12_MONTHS]),
    role_special_or_unknown(
        "b_open_7_12_special",
        19,
        12,
        &[EARLIER_SPRING_2017, OPEN_7_12_MONTHS_LATE],
    ),
    role(
        "b_open_13_18_since_2017_18",
        5,
        4,
        &[OPEN_13_18_MONTHS_FY2017],
    ),
    role(
        "b_open_13_18_since_2016_17",
        3,
        2,
        &[OPEN_13_18_MONTHS_FY2016],
    ),
    // C: open at 31 March 2018, closed in Q1 (33 + 20 = 53).
    role(
        "c_closed_q1_since_2017",
        33,
        20,
        &[BACKGROUND, OPEN_SINCE_2017_CLOSED_Q1],
    ),
    role(
        "c_closed_q1_since_q4",
        20,
        12,
        &[BACKGROUND, OPEN_SINCE_Q4_CLOSED_Q1],
    ),
    // D: open at 31 March 2017 (129 + 40 + 105 + 15 = 289).
    role("d_open_march_2017", 129, 80, &[OPEN_AT_MARCH_2017]),
    role(
        "d_open_march_2017_returning",
        40,
        25,
        &[BACKGROUND, OPEN_AT_MARCH_2017],
    ),
    role(
        "d_open_march_2017_back_autumn",
        105,
        65,
        &[OPEN_AT_MARCH_2017_SHORT, FY2017_AUTUMN_CLOSED],
    ),
    role(
        "d_open_march_2017_back_q4",
        15,
        9,
        &[OPEN_AT_MARCH_2017_SHORT, FY2017_Q4_CLOSED],
    ),
    // E: referred and closed in 2016/17 (78 + 40 + 80 + 20 = 218).
    role("e_closed_2016_17", 78, 48, &[FY2016_CLOSED]),
    role(
        "e_closed_2016_17_returning",
        40,
        24,
        &[BACKGROUND, FY2016_CLOSED],
    ),
    role(
        "e_closed_2016_17_back",
        80,
        50,
        &[FY2016_CLOSED, FY2017_CLOSED],
    ),
    role(
        "e_closed_2016_17_back_q4",
        20,
        12,
        &[FY2016_CLOSED, FY2017_Q4_CLOSED],
    ),
    // F: other 2017/18 referrals, all closed by 31 March 2018.
    role(
        "f_background_back_2017_18",
        61,
        38,
        &[BACKGROUND, FY2017_CLOSED],
    ),
    role(
        "f_background_back_q4",
        20,
        12,
        &[BACKGROUND, FY2017_Q4_CLOSED],
    ),
    role("f_new_2017_18", 14, 9, &[FY2017_CLOSED]),
    role("f_new_q4", 10, 6, &[FY2017_Q4_CLOSED]),
    // Background: counted in no published figure.
    role("x_background_only", 80, 50, &[BACKGROUND]),
    role(
        "x_background_twice",
        40,
        25,
        &[BACKGROUND_EARLY, BACKGROUND_LATE],
    ),
    role("x_new_july_2018", 2, 2, &[JULY_OPEN]),
];
