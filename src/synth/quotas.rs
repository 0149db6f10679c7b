//! The published figures the default extract reproduces, as in the seed report
//! (`seed-performance-summary-2018-06.txt`), plus the code sets they are counted in.
//!
//! Every table is in its code set's report order (extract-contract.md). Each table
//! sums to its parent figure; `tests::quota_tables_add_up` checks that.
//!
//! Some figures (the plain counts: 1a, 1b, families, stocks, Q4) are produced by the
//! role sizes in `roles.rs` rather than drawn; they are listed here for comparison
//! with the seed and are only read by the tests.
#![cfg_attr(not(test), allow(dead_code))]

// ---- code sets ------------------------------------------------------------------

pub(super) const SEX_CODES: [&str; 3] = ["M", "F", "U"];
pub(super) const MALE: usize = 0;
pub(super) const FEMALE: usize = 1;
pub(super) const SEX_NOT_KNOWN: usize = 2;

/// Empty = "No locality registered".
pub(super) const LOCALITIES: [&str; 4] = ["North", "South", "Central", ""];

/// Empty = "Unknown".
pub(super) const PHASES: [&str; 4] = ["Primary", "Secondary", "Special/Inclusion", ""];
pub(super) const PRIMARY: usize = 0;
pub(super) const SECONDARY: usize = 1;
pub(super) const SPECIAL: usize = 2;
pub(super) const PHASE_UNKNOWN: usize = 3;

/// Report groups; `ETHNIC_CODES[g]` are the codes written for group g (repeats weight
/// the draw, so main codes are commoner than extended ones).
pub(super) const ETHNIC_GROUPS: [&str; 10] = [
    "White British",
    "Asian Pakistani",
    "Asian Indian",
    "Any other Asian background",
    "Black African",
    "Any other Black background",
    "Gypsy/Roma",
    "Any other white background",
    "Any other ethnic group",
    "Not known",
];
pub(super) const ETHNIC_CODES: [&[&str]; 10] = [
    &["WBRI", "WBRI", "WBRI", "WENG", "WSCO", "WWEL"],
    &["APKN"],
    &["AIND"],
    &["ABAN", "AOTH", "CHNE"],
    &["BAFR"],
    &["BCRB", "BOTH"],
    &["WROM", "WROM", "WROG", "WROR", "WIRT"],
    &["WIRI", "WOTH", "WOTH"],
    &["MWBC", "MWBA", "MWAS", "MOTH", "OOTH"],
    &["", "", "REFU", "NOBT"],
];

/// Predominant presenting need labels; the last (empty) is "Not recorded".
pub(super) const NEEDS: [&str; 27] = [
    "Alcohol and substance misuse",
    "ASB and crime",
    "Attainment and achievement",
    "Attendance and school engagement",
    "Bereavement",
    "Disability",
    "Domestic abuse",
    "Engagement in local services",
    "Exclusion",
    "Exploitation",
    "Family relationships",
    "Homelessness",
    "Housing conditions",
    "Learning needs",
    "Mental health",
    "NAS",
    "NEET",
    "Neglect",
    "No additional needs noted",
    "Parenting",
    "Physical health",
    "Runaways",
    "Sexual health",
    "Social isolation",
    "Vulnerability to CSE",
    "Work and money",
    "",
];
pub(super) const NEGLECT: usize = 17;

/// Closure outcome codes; the last (empty on a closed episode) is "Not recorded".
pub(super) const OUTCOMES: [&str; 9] = [
    "FOUND_SCHOOL_LA",
    "FOUND_SCHOOL_OTHER_LA",
    "OTHER_LA_ACCEPTED",
    "FOUND_AT_TRACKING",
    "FOUND_EHE",
    "FOUND_ALT_PROVISION",
    "VERIFIED_LEFT_UK",
    "ENQUIRIES_EXHAUSTED",
    "",
];

// ---- Q1 2018/19 (April-June 2018): flow of new referrals ------------------------

/// 1a children, 1a families, 1b.
pub(super) const Q1_NEW_CHILDREN: u32 = 188;
pub(super) const Q1_NEW_FAMILIES: u32 = 116;
pub(super) const Q1_PREVIOUS_EPISODE: u32 = 110;
/// 2 sex (M, F, U).
pub(super) const Q1_SEX: [u32; 3] = [91, 97, 0];
/// 3 locality (North, South, Central, none).
pub(super) const Q1_LOCALITY: [u32; 4] = [16, 25, 146, 1];
/// 4 school phase (Primary, Secondary, Special/Inclusion, Unknown).
pub(super) const Q1_PHASE: [u32; 4] = [107, 81, 0, 0];
/// 5 ethnicity group, in `ETHNIC_GROUPS` order.
pub(super) const Q1_ETHNICITY: [u32; 10] = [33, 9, 0, 1, 1, 2, 69, 9, 0, 64];
/// 15 presenting need, in `NEEDS` order.
pub(super) const Q1_NEED: [u32; 27] = [
    2, 0, 5, 5, 3, 3, 13, 0, 0, 0, 4, 0, 0, 2, 0, 1, 0, 31, 75, 32, 3, 0, 0, 0, 7, 2, 0,
];
/// 16 open to Children's Social Care, Early Help locality team, Early Help partners.
pub(super) const Q1_OPEN_TO_CSC: u32 = 27;
pub(super) const Q1_OPEN_TO_EH_LOCALITY: u32 = 11;
pub(super) const Q1_OPEN_TO_EH_PARTNER: u32 = 0;
/// 7 episodes closed in Q1, and 17 by outcome in `OUTCOMES` order.
pub(super) const Q1_CLOSED_EPISODES: u32 = 134;
pub(super) const Q1_OUTCOME: [u32; 9] = [19, 21, 35, 21, 8, 1, 23, 5, 1];
/// New children in Q4 2017/18 (January-March 2018), quoted in the commentary.
pub(super) const Q4_2017_NEW_CHILDREN: u32 = 155;

// ---- stock at 30 June 2018 ------------------------------------------------------

/// 6 children open, 8 of them with removal from roll authorised.
pub(super) const STOCK_CHILDREN: u32 = 210;
pub(super) const STOCK_REMOVAL_AUTHORISED: u32 = 49;
/// 9 sex, 10 locality, 11 school phase of the current episode.
pub(super) const STOCK_SEX: [u32; 3] = [104, 106, 0];
pub(super) const STOCK_LOCALITY: [u32; 4] = [12, 15, 182, 1];
pub(super) const STOCK_PHASE: [u32; 4] = [104, 67, 4, 35];
/// 12 time open: <=6 months, 7-12, 13-18, over 18.
pub(super) const STOCK_TIME_OPEN: [u32; 4] = [150, 52, 8, 0];
/// 13 year group at 30 June 2018: Year 1 ..= Year 11 (Reception, Early years,
/// Post-16 and Unknown are all 0).
pub(super) const STOCK_YEAR_GROUP: [u32; 11] = [27, 17, 24, 26, 13, 20, 15, 17, 19, 17, 15];
/// 14 ethnicity group.
pub(super) const STOCK_ETHNICITY: [u32; 10] = [15, 7, 0, 1, 0, 1, 83, 12, 0, 91];

// ---- previous financial years ---------------------------------------------------

/// 2016/17 (April 2016 - March 2017) new referrals.
pub(super) const FY2016_NEW_CHILDREN: u32 = 510;
pub(super) const FY2016_SEX: [u32; 3] = [269, 241, 0];
pub(super) const FY2016_LOCALITY: [u32; 4] = [33, 49, 427, 1];
pub(super) const FY2016_PHASE: [u32; 4] = [306, 204, 0, 0];
/// Not required by the brief, but the seed's 2016/17 ethnicity column; the blanks in
/// the seed (Asian Indian, Any other Black) are 0 so that the column sums to 510.
pub(super) const FY2016_ETHNICITY: [u32; 10] = [47, 31, 0, 4, 3, 0, 175, 47, 19, 184];

/// 2017/18 (April 2017 - March 2018) new referrals.
pub(super) const FY2017_NEW_CHILDREN: u32 = 585;
pub(super) const FY2017_PREVIOUS_EPISODE: u32 = 354;
pub(super) const FY2017_SEX: [u32; 3] = [291, 294, 0];
pub(super) const FY2017_LOCALITY: [u32; 4] = [30, 85, 464, 6];
pub(super) const FY2017_PHASE: [u32; 4] = [334, 251, 0, 0];
/// The seed's 2017/18 ethnicity column (sums to 585).
pub(super) const FY2017_ETHNICITY: [u32; 10] = [62, 30, 1, 9, 5, 5, 179, 27, 4, 263];

/// 6 at the previous year ends.
pub(super) const STOCK_2017_03_31: u32 = 292;
pub(super) const STOCK_2018_03_31: u32 = 153;

// ---- episodes outside the quotas ----------------------------------------------

/// Draw weights for attributes of episodes that no published figure counts (history,
/// second episodes in a period, July 2018). Loosely shaped like the Q1 figures.
pub(super) const OTHER_SEX_WEIGHTS: [u32; 3] = [49, 49, 2];
pub(super) const OTHER_LOCALITY_WEIGHTS: [u32; 4] = [8, 12, 79, 1];
pub(super) const OTHER_ETHNICITY_WEIGHTS: [u32; 10] = [10, 5, 1, 1, 1, 1, 35, 8, 2, 36];
pub(super) const OTHER_OUTCOME_WEIGHTS: [u32; 9] = [19, 21, 35, 21, 8, 1, 23, 5, 2];
/// Per mille chance of each Y flag on episodes outside the quotas.
pub(super) const OTHER_CSC_PER_MILLE: u64 = 140;
pub(super) const OTHER_EH_LOCALITY_PER_MILLE: u64 = 60;
pub(super) const OTHER_EH_PARTNER_PER_MILLE: u64 = 20;
pub(super) const OTHER_REMOVAL_PER_MILLE: u64 = 200;
