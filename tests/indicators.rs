//! One test per counting rule of indicators.md, each on a small hand-made
//! extract whose right answer is worked out in the comments.
//!
//! Unless a test says otherwise the reporting month is June 2018: month =
//! 1-30 June, previous month = May, quarter = year to date = 1 April - 30
//! June (Q1 2018/19), previous FYs 2017/18 and 2016/17.

mod common;

use cme::config::{Polarity, RagBasis, ToleranceKind};
use common::{Row, config, ep, run, run_with};
use datafusion::arrow::array::Array;

#[tokio::test]
async fn children_are_distinct_but_closures_count_episodes() {
    // C1: two episodes in June (closed 5th, re-referred 10th, still open).
    // C2: one episode in June, closed on the 20th.
    // 1a counts children: 2. 7 counts episodes closed: 2 (E1, E3).
    // 6 at 30 June: only C1 (E2) is open: 1.
    let r = run(
        &[
            ep("E1", "C1", "2018-06-01").closed("2018-06-05"),
            ep("E2", "C1", "2018-06-10"),
            ep("E3", "C2", "2018-06-15").closed("2018-06-20"),
        ],
        "2018-06",
    )
    .await;
    assert_eq!(r.value("1a", "All", "month").await, Some(2));
    assert_eq!(r.value("7", "All", "month").await, Some(2));
    assert_eq!(r.value("6", "All", "month").await, Some(1));
}

#[tokio::test]
async fn flow_uses_first_episode_and_stock_uses_current_episode() {
    // C1 has two OPEN episodes: E1 (2 April, North) and E2 (10 May, South).
    // Flow, quarter: the first episode new in Q1 is E1 -> North 1, South 0.
    // Stock at 30 June: C1 counts once (6 = 1); the current episode is the
    // open one with the latest referral, E2 -> South 1, North 0.
    let r = run(
        &[
            ep("E1", "C1", "2018-04-02").set("locality", "North"),
            ep("E2", "C1", "2018-05-10").set("locality", "South"),
        ],
        "2018-06",
    )
    .await;
    assert_eq!(r.value("1a", "All", "quarter").await, Some(1));
    assert_eq!(r.value("3", "North", "quarter").await, Some(1));
    assert_eq!(r.value("3", "South", "quarter").await, Some(0));
    assert_eq!(r.value("6", "All", "month").await, Some(1));
    assert_eq!(r.value("10", "South", "month").await, Some(1));
    assert_eq!(r.value("10", "North", "month").await, Some(0));
}

#[tokio::test]
async fn first_episode_ties_go_to_the_row_listed_first_whatever_the_key() {
    // Two episodes of C1 referred the same day with different phases: the
    // first is the one listed first in the extract (E1, Primary), under any
    // pseudonym key.
    let rows = [
        ep("E1", "C1", "2018-06-04").set("school_phase", "Primary"),
        ep("E2", "C1", "2018-06-04").set("school_phase", "Secondary"),
    ];
    for key in [
        "first-key-0123456789abcdef",
        "second-key-0123456789abcdef",
        "third-key-0123456789abcdefgh",
    ] {
        let mut config = config();
        config.pseudonym.key = Some(key.into());
        let r = run_with(config, &rows, "2018-06", "2018-07-02")
            .await
            .unwrap();
        assert_eq!(r.value("4", "Primary", "month").await, Some(1), "{key}");
        assert_eq!(r.value("4", "Secondary", "month").await, Some(0), "{key}");
        // ... and the current episode (both open) is also E1 by the same rule.
        assert_eq!(r.value("11", "Primary", "month").await, Some(1), "{key}");
    }
}

#[tokio::test]
async fn closure_on_the_last_day_is_not_open_at_that_day() {
    // E1 opened 1 May and closed 30 June: closed in June (7 = 1), not open at
    // the end of 30 June (6 = 0), open at 31 May (previous month 6 = 1).
    let r = run(
        &[ep("E1", "C1", "2018-05-01").closed("2018-06-30")],
        "2018-06",
    )
    .await;
    assert_eq!(r.value("7", "All", "month").await, Some(1));
    assert_eq!(r.value("6", "All", "month").await, Some(0));
    assert_eq!(r.value("6", "All", "previous_month").await, Some(1));
}

#[tokio::test]
async fn referral_on_the_first_day_belongs_to_that_period() {
    // E1 on 1 June: June, not May. E2 on 1 April: Q1 and the year to date,
    // not 2017/18. E3 on 31 March 2018: 2017/18, not this year.
    let r = run(
        &[
            ep("E1", "C1", "2018-06-01"),
            ep("E2", "C2", "2018-04-01"),
            ep("E3", "C3", "2018-03-31"),
        ],
        "2018-06",
    )
    .await;
    assert_eq!(r.value("1a", "All", "month").await, Some(1));
    assert_eq!(r.value("1a", "All", "previous_month").await, Some(0));
    assert_eq!(r.value("1a", "All", "quarter").await, Some(2));
    assert_eq!(r.value("1a", "All", "year_to_date").await, Some(2));
    assert_eq!(r.value("1a", "All", "previous_fy_1").await, Some(1));
    assert_eq!(r.value("1a", "All", "previous_fy_2").await, Some(0));
}

#[tokio::test]
async fn time_open_counts_months_like_datedif() {
    // Reporting month February 2018, d = 28 February 2018.
    // A 31 Jan 2018 -> 0 months (28 < 31: the month is not complete) <=6
    // B 28 Aug 2017 -> exactly 6 months                              <=6
    // C 31 Jul 2017 -> 7 calendar months, but 28 < 31 so 6            <=6
    // D 28 Jul 2017 -> 7 months                                      7-12
    // E 28 Aug 2016 -> 18 months                                     13-18
    // F 29 Jul 2016 -> 19 calendar months, but 28 < 29 so 18         13-18
    // G 28 Jul 2016 -> 19 months                                     over 18
    let r = run(
        &[
            ep("A", "A", "2018-01-31"),
            ep("B", "B", "2017-08-28"),
            ep("C", "C", "2017-07-31"),
            ep("D", "D", "2017-07-28"),
            ep("E", "E", "2016-08-28"),
            ep("F", "F", "2016-07-29"),
            ep("G", "G", "2016-07-28"),
        ],
        "2018-02",
    )
    .await;
    assert_eq!(r.value("12", "<=6 months", "month").await, Some(3));
    assert_eq!(r.value("12", "7-12 months", "month").await, Some(1));
    assert_eq!(r.value("12", "13-18 months", "month").await, Some(2));
    assert_eq!(r.value("12", "over 18 months", "month").await, Some(1));
}

#[tokio::test]
async fn year_group_turns_on_the_first_of_september() {
    // d = 30 June 2018, academic year A = 2017.
    // born 31 Aug 2011: cohort 2010, 2017 - 2010 - 5 = 2 -> Year 2
    // born  1 Sep 2011: cohort 2011 -> 1 -> Year 1
    // born 31 Aug 2013: cohort 2012 -> 0 -> Reception
    // born  1 Sep 2013: cohort 2013 -> -1 -> Early years
    // born  1 Jan 2000: cohort 1999 -> 13 -> Post-16
    // no date of birth -> Unknown
    let born = |e: &str, dob: &str| ep(e, e, "2018-06-01").set("date_of_birth", dob);
    let rows = [
        born("A", "31/08/2011"),
        born("B", "01/09/2011"),
        born("C", "2013-08-31"),
        born("D", "2013-09-01"),
        born("E", "01/01/2000"),
        ep("F", "F", "2018-06-01"),
    ];
    let r = run(&rows, "2018-06").await;
    for (group, expected) in [
        ("Year 2", 1),
        ("Year 1", 1),
        ("Reception", 1),
        ("Early years", 1),
        ("Post-16", 1),
        ("Unknown", 1),
        ("Year 3", 0),
    ] {
        assert_eq!(
            r.value("13", group, "month").await,
            Some(expected),
            "{group}"
        );
    }
    // In September the same children move up: at 30 September 2018 (A =
    // 2018) the child born 1 Sep 2011 is in Year 2, the one born 31 Aug 2011
    // in Year 3.
    let r = run(&rows, "2018-09").await;
    assert_eq!(r.value("13", "Year 3", "month").await, Some(1));
    assert_eq!(r.value("13", "Year 2", "month").await, Some(1));
    assert_eq!(r.value("13", "Year 1", "month").await, Some(1));
}

#[tokio::test]
async fn year_to_date_is_not_the_sum_of_quarters() {
    // Reporting month September 2018 (Q2). C1 is new in May and again in
    // August; C2 is new in August.
    // Q1: C1 -> 1. Q2: C1, C2 -> 2. Year to date: C1, C2 -> 2, not 1 + 2.
    // Q3 and Q4 have not started: empty, not 0.
    let r = run(
        &[
            ep("E1", "C1", "2018-05-10").closed("2018-05-20"),
            ep("E2", "C1", "2018-08-10"),
            ep("E3", "C2", "2018-08-15"),
        ],
        "2018-09",
    )
    .await;
    assert_eq!(r.value("1a", "All", "q1").await, Some(1));
    assert_eq!(r.value("1a", "All", "q2").await, Some(2));
    assert_eq!(r.value("1a", "All", "year_to_date").await, Some(2));
    // The quarterly table of presenting need (all "Not recorded") agrees.
    assert_eq!(r.quarterly("q1_value", "15", "Not recorded").await, Some(1));
    assert_eq!(r.quarterly("q2_value", "15", "Not recorded").await, Some(2));
    assert_eq!(
        r.quarterly("total_to_date_value", "15", "Not recorded")
            .await,
        Some(2)
    );
    assert_eq!(r.quarterly("q3_value", "15", "Not recorded").await, None);
    assert_eq!(r.quarterly("q4_value", "15", "Total").await, None);
}

#[tokio::test]
async fn quarters_not_started_are_empty_in_every_table() {
    // June 2018 is in Q1: Q2-Q4 of 2018/19 have not started, so every cell
    // of tables 13-17 in those columns, totals included, is empty.
    let r = run(
        &[ep("E1", "C1", "2018-06-01").closed("2018-06-02")],
        "2018-06",
    )
    .await;
    let filled = r
        .scalar_i64(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM quarterly_tables \
             WHERE q2_value IS NOT NULL OR q3_value IS NOT NULL OR q4_value IS NOT NULL \
             OR q2_percent IS NOT NULL OR q3_percent IS NOT NULL OR q4_percent IS NOT NULL",
        )
        .await;
    assert_eq!(filled, Some(0));
    let q1_empty = r
        .scalar_i64("SELECT CAST(COUNT(*) AS BIGINT) FROM quarterly_tables WHERE q1_value IS NULL")
        .await;
    assert_eq!(q1_empty, Some(0));
    assert_eq!(r.quarterly("q1_value", "17", "Total").await, Some(1));
}

#[tokio::test]
async fn previous_closed_episode_makes_1b() {
    // C1: closed 2017 episode, new in June -> 1b.
    // C2: an episode closed the same day (5 June) as its new referral: the
    //     closure is not EARLIER than the referral -> not 1b.
    // C3: only an episode closed AFTER its first new referral in the quarter
    //     (April, closed May, re-referred June) -> not 1b for the quarter,
    //     but 1b for June (its first June episode follows the May closure).
    let r = run(
        &[
            ep("E1", "C1", "2017-01-10").closed("2017-02-01"),
            ep("E2", "C1", "2018-06-03"),
            ep("E3", "C2", "2018-05-01").closed("2018-06-05"),
            ep("E4", "C2", "2018-06-05"),
            ep("E5", "C3", "2018-04-10").closed("2018-05-10"),
            ep("E6", "C3", "2018-06-10"),
        ],
        "2018-06",
    )
    .await;
    assert_eq!(r.value("1b", "All", "month").await, Some(2)); // C1, C3
    assert_eq!(r.value("1b", "All", "quarter").await, Some(1)); // C1
    // 1b as a share of 1a: June 2 of 3 = 66.7%, quarter 1 of 3 = 33.3%.
    assert_eq!(r.percent("1b", "All", "month").await, Some(66.7));
    assert_eq!(r.percent("1b", "All", "quarter").await, Some(33.3));
}

#[tokio::test]
async fn families_come_from_the_first_episode_or_the_child() {
    // C1 and C2 share family F1; C3 has no family id (its own family);
    // C4's first June episode says F2, its later one F1: F2 counts.
    // Families: F1, C3, F2 -> 3.
    let r = run(
        &[
            ep("E1", "C1", "2018-06-01").set("family_id", "F1"),
            ep("E2", "C2", "2018-06-02").set("family_id", "F1"),
            ep("E3", "C3", "2018-06-03"),
            ep("E4", "C4", "2018-06-04")
                .set("family_id", "F2")
                .closed("2018-06-05"),
            ep("E5", "C4", "2018-06-06").set("family_id", "F1"),
        ],
        "2018-06",
    )
    .await;
    assert_eq!(r.value("1a", "All", "month").await, Some(4));
    assert_eq!(r.value("1a_families", "All", "month").await, Some(3));
}

#[tokio::test]
async fn removal_counts_any_open_flagged_episode() {
    // C1 has two open episodes; only the OLDER one is flagged. The current
    // episode is the newer, but 8 counts children with any open flagged
    // episode: 1. C2's flagged episode closed in June: not open, not counted.
    let r = run(
        &[
            ep("E1", "C1", "2018-03-01").set("removal_from_roll_authorised", "Y"),
            ep("E2", "C1", "2018-04-01").set("removal_from_roll_authorised", "N"),
            ep("E3", "C2", "2018-03-01")
                .set("removal_from_roll_authorised", "Yes")
                .closed("2018-06-15"),
        ],
        "2018-06",
    )
    .await;
    assert_eq!(r.value("8", "All", "month").await, Some(1));
    assert_eq!(r.value("6", "All", "month").await, Some(1));
    // 8 as a share of 6.
    assert_eq!(r.percent("8", "All", "month").await, Some(100.0));
}

#[tokio::test]
async fn open_to_services_can_count_a_child_twice() {
    // C1 is open to CSC and an EH locality team, C2 to neither: rows 1, 1, 0
    // and the total row is their sum, 2, while 1a is 2 children.
    let r = run(
        &[
            ep("E1", "C1", "2018-06-01")
                .set("open_to_csc", "Y")
                .set("open_to_eh_locality", "Y")
                .set("open_to_eh_partner", "N"),
            ep("E2", "C2", "2018-06-01"),
        ],
        "2018-06",
    )
    .await;
    assert_eq!(
        r.quarterly("q1_value", "16", "Children's Social Care")
            .await,
        Some(1)
    );
    assert_eq!(
        r.quarterly("q1_value", "16", "Early Help locality team")
            .await,
        Some(1)
    );
    assert_eq!(
        r.quarterly("q1_value", "16", "Early Help partners").await,
        Some(0)
    );
    assert_eq!(r.quarterly("q1_value", "16", "Total").await, Some(2));
    assert_eq!(
        r.quarterly("total_to_date_value", "16", "Total").await,
        Some(2)
    );
}

#[tokio::test]
async fn empty_and_unmapped_values_go_to_explicit_categories_in_code_set_order() {
    // Sex "X" is unmapped and locality empty: they count as "Not known" and
    // "No locality registered". Every category is listed, zeros included,
    // in code-set order.
    let r = run(
        &[
            ep("E1", "C1", "2018-06-01")
                .set("sex", "X")
                .set("ethnicity", "WENG"),
            ep("E2", "C2", "2018-06-01")
                .set("sex", "female")
                .set("ethnicity", "wrog"),
        ],
        "2018-06",
    )
    .await;
    assert_eq!(r.value("2", "Not known", "month").await, Some(1));
    assert_eq!(r.value("2", "Female", "month").await, Some(1));
    assert_eq!(r.value("2", "Male", "month").await, Some(0));
    assert_eq!(
        r.value("3", "No locality registered", "month").await,
        Some(2)
    );
    // Extended DfE codes roll up: WENG -> White British, WROG -> Gypsy/Roma.
    assert_eq!(r.value("5", "White British", "month").await, Some(1));
    assert_eq!(r.value("5", "Gypsy/Roma", "month").await, Some(1));
    let labels: Vec<String> = r
        .query(
            "SELECT category FROM performance_summary WHERE indicator_id = '5' ORDER BY category_order",
        )
        .await
        .iter()
        .flat_map(|b| {
            let a = b
                .column(0)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::StringArray>()
                .unwrap()
                .clone();
            (0..a.len()).map(move |i| a.value(i).to_string())
        })
        .collect();
    assert_eq!(
        labels,
        [
            "White British",
            "Asian Pakistani",
            "Asian Indian",
            "Any other Asian background",
            "Black African",
            "Any other Black background",
            "Gypsy/Roma",
            "Any other white background",
            "Any other ethnic group",
            "Not known"
        ]
    );
    assert_eq!(r.ingest.unmapped_values["sex"]["X"], 1);
}

#[tokio::test]
async fn closure_outcomes_count_closed_episodes_only() {
    // Two closed in June (one without an outcome -> Not recorded), one open.
    let r = run(
        &[
            ep("E1", "C1", "2018-05-01")
                .closed("2018-06-02")
                .set("closure_outcome", "FOUND_EHE"),
            ep("E2", "C2", "2018-05-01").closed("2018-06-03"),
            ep("E3", "C3", "2018-05-01").set("closure_outcome", "FOUND_EHE"),
        ],
        "2018-06",
    )
    .await;
    assert_eq!(
        r.value("17", "Found - elective home education", "month")
            .await,
        Some(1)
    );
    assert_eq!(r.value("17", "Not recorded", "month").await, Some(1));
    assert_eq!(r.value("7", "All", "month").await, Some(2));
    assert_eq!(r.percent("17", "Not recorded", "month").await, Some(50.0));
}

#[tokio::test]
async fn percentages_round_half_away_from_zero_and_are_empty_on_zero() {
    // 16 new children in June, 1 male: 100 * 1 / 16 = 6.25 -> 6.3.
    // 2 with locality North: 12.5 exactly. 1b: none of 16 -> 0.0.
    let mut rows: Vec<Row> = (0..16)
        .map(|i| ep(&format!("E{i}"), &format!("C{i}"), "2018-06-05").set("sex", "F"))
        .collect();
    rows[0] = rows[0].clone().set("sex", "M");
    rows[1] = rows[1].clone().set("locality", "North");
    rows[2] = rows[2].clone().set("locality", "North");
    let r = run(&rows, "2018-06").await;
    assert_eq!(r.percent("2", "Male", "month").await, Some(6.3));
    assert_eq!(r.percent("2", "Female", "month").await, Some(93.8));
    assert_eq!(r.percent("3", "North", "month").await, Some(12.5));
    assert_eq!(r.percent("1b", "All", "month").await, Some(0.0));
    // Nobody was new in May: 1a = 0, so every percentage of it is empty.
    assert_eq!(r.value("1a", "All", "previous_month").await, Some(0));
    assert_eq!(r.percent("2", "Male", "previous_month").await, None);
    assert_eq!(r.percent("1b", "All", "previous_month").await, None);
}

#[tokio::test]
async fn direction_of_travel_follows_polarity() {
    // May: X1 (previous episode closed 2017, flagged removal) new and open;
    //      X2 new, closed 20 May; X3 (April) closed 25 May.
    // June: Y1 new and open; Y2 new, closed 10 June.
    //   1a   May 2, June 2 -> same   (High -> "no change")
    //   1b   May 1, June 0 -> down   (High -> worse)
    //   7    May 2, June 1 -> down   (Low  -> better)
    //   6    May 1, June 2 -> up     (Low  -> worse)
    //   9/Not known  1 -> 2 -> up    (High -> better)
    //   11/Unknown   1 -> 2 -> up    (Info -> no judgement)
    let mut config = config();
    for i in config.indicators.iter_mut() {
        i.target = None;
        i.polarity = match i.id.as_str() {
            "1a" | "1b" | "9" => Polarity::High,
            "7" | "6" => Polarity::Low,
            _ => Polarity::Info,
        };
    }
    let rows = [
        ep("H1", "X1", "2017-01-10").closed("2017-02-01"),
        ep("M1", "X1", "2018-05-05").set("removal_from_roll_authorised", "Y"),
        ep("M2", "X2", "2018-05-06").closed("2018-05-20"),
        ep("M3", "X3", "2018-04-01").closed("2018-05-25"),
        ep("J1", "Y1", "2018-06-03"),
        ep("J2", "Y2", "2018-06-04").closed("2018-06-10"),
    ];
    let r = run_with(config, &rows, "2018-06", "2018-07-02")
        .await
        .unwrap();
    let dot = |i: &'static str, c: &'static str| {
        let r = &r;
        async move {
            (
                r.summary_str("dot", i, c).await,
                r.summary_str("dot_judgement", i, c).await,
            )
        }
    };
    let some = |a: &str, b: Option<&str>| (Some(a.to_string()), b.map(String::from));
    assert_eq!(dot("1a", "All").await, some("same", Some("no change")));
    assert_eq!(dot("1b", "All").await, some("down", Some("worse")));
    assert_eq!(dot("7", "All").await, some("down", Some("better")));
    assert_eq!(dot("6", "All").await, some("up", Some("worse")));
    assert_eq!(dot("9", "Not known").await, some("up", Some("better")));
    assert_eq!(dot("11", "Unknown").await, some("up", None));
}

/// RAG on 1a (new children in the month) for a given count and rule.
async fn rag_for(
    children: usize,
    polarity: Polarity,
    target: f64,
    tolerance: f64,
    kind: ToleranceKind,
) -> Option<String> {
    let mut config = config();
    for i in config.indicators.iter_mut() {
        i.target = None;
        if i.id == "1a" {
            i.polarity = polarity;
            i.target = Some(target);
            i.tolerance = Some(tolerance);
            i.tolerance_kind = kind;
            i.rag_basis = RagBasis::Month;
        }
    }
    let rows: Vec<Row> = (0..children)
        .map(|i| ep(&format!("E{i}"), &format!("C{i}"), "2018-06-05"))
        .collect();
    let r = run_with(config, &rows, "2018-06", "2018-07-02")
        .await
        .unwrap();
    r.summary_str("rag", "1a", "All").await
}

#[tokio::test]
async fn rag_at_the_target_and_the_tolerance_edge() {
    use Polarity::{High, Low};
    use ToleranceKind::{Absolute, Percent};
    // Low, target 2, tolerance 1: 2 is at the target (Green), 3 at the edge
    // of the tolerance (Amber), 4 beyond it (Red).
    assert_eq!(
        rag_for(2, Low, 2.0, 1.0, Absolute).await.as_deref(),
        Some("Green")
    );
    assert_eq!(
        rag_for(3, Low, 2.0, 1.0, Absolute).await.as_deref(),
        Some("Amber")
    );
    assert_eq!(
        rag_for(4, Low, 2.0, 1.0, Absolute).await.as_deref(),
        Some("Red")
    );
    // High, target 4, tolerance 25% of 4 = 1: 4 Green, 3 Amber, 2 Red.
    assert_eq!(
        rag_for(4, High, 4.0, 25.0, Percent).await.as_deref(),
        Some("Green")
    );
    assert_eq!(
        rag_for(3, High, 4.0, 25.0, Percent).await.as_deref(),
        Some("Amber")
    );
    assert_eq!(
        rag_for(2, High, 4.0, 25.0, Percent).await.as_deref(),
        Some("Red")
    );
}

/// RAG judged on the configured basis. August 2018: 1 child new in April,
/// 2 in July, 3 in August, so 1a is 3 in the month, 5 in the quarter (Q2,
/// July to August) and 6 in the year to date. Low, target 4, tolerance 1:
/// the month is Green, the quarter Amber, the year to date Red.
#[tokio::test]
async fn rag_is_judged_on_the_month_quarter_or_year_to_date_as_configured() {
    let referrals = [
        "2018-04-10",
        "2018-07-02",
        "2018-07-20",
        "2018-08-01",
        "2018-08-15",
        "2018-08-31",
    ];
    let rows: Vec<Row> = referrals
        .iter()
        .enumerate()
        .map(|(i, d)| ep(&format!("E{i}"), &format!("C{i}"), d))
        .collect();
    for (basis, expected) in [
        (RagBasis::Month, "Green"),
        (RagBasis::Quarter, "Amber"),
        (RagBasis::YearToDate, "Red"),
    ] {
        let mut config = config();
        for i in config.indicators.iter_mut() {
            i.target = None;
            if i.id == "1a" {
                i.polarity = Polarity::Low;
                i.target = Some(4.0);
                i.tolerance = Some(1.0);
                i.tolerance_kind = ToleranceKind::Absolute;
                i.rag_basis = basis;
            }
        }
        let r = run_with(config, &rows, "2018-08", "2018-09-03")
            .await
            .unwrap();
        assert_eq!(r.summary_i64("month_value", "1a", "All").await, Some(3));
        assert_eq!(r.summary_i64("quarter_value", "1a", "All").await, Some(5));
        assert_eq!(
            r.summary_i64("year_to_date_value", "1a", "All").await,
            Some(6)
        );
        assert_eq!(
            r.summary_str("rag", "1a", "All").await.as_deref(),
            Some(expected),
            "{basis:?}"
        );
        assert_eq!(
            r.summary_str("rag_basis", "1a", "All").await.as_deref(),
            Some(basis.as_str())
        );
    }
}

#[tokio::test]
async fn info_indicators_and_breakdown_rows_have_no_rag() {
    // The shipped configuration targets indicator 6 only (Low, 200, 5%).
    let r = run(&[ep("E1", "C1", "2018-06-01")], "2018-06").await;
    assert_eq!(
        r.summary_str("rag", "6", "All").await.as_deref(),
        Some("Green")
    );
    assert_eq!(r.summary_str("rag", "1a", "All").await, None);
    assert_eq!(r.summary_str("rag", "9", "Male").await, None);
}

#[tokio::test]
async fn breakdown_that_does_not_sum_fails_the_run_before_publishing() {
    // Stage with the shipped code sets, then transform with a configuration
    // that has lost the "North" locality: the North child falls out of
    // breakdown 3, which no longer sums to 1a, and the run must stop with a
    // data-quality error.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("extract.csv");
    common::write_csv(
        &input,
        &[ep("E1", "C1", "2018-06-01").set("locality", "North")],
    );
    let warehouse =
        cme::warehouse::Warehouse::open(dir.path().join("wh").to_str().unwrap()).unwrap();
    let good = config();
    cme::ingest::ingest(
        &good,
        &warehouse,
        &cme::ingest::IngestOptions {
            input,
            extract_date: Some(common::date("2018-07-02")),
        },
    )
    .await
    .unwrap();
    let mut bad = good.clone();
    bad.codesets
        .get_mut("locality")
        .unwrap()
        .retain(|c| c.label != "North");
    let err = cme::transform::transform(
        &bad,
        &warehouse,
        &cme::transform::TransformOptions {
            period: cme::calendar::Period::parse("2018-06").unwrap(),
            as_of: None,
            sql_dir: common::repo().join("sql/transform"),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.exit_code(),
        cme::error::exit_code::DATA_QUALITY,
        "{err}"
    );
    assert!(err.to_string().contains("check_breakdown_sums"), "{err}");
    assert!(
        warehouse
            .list("work/2018-06/tables")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn monthly_series_counts_new_and_active_children_over_13_months() {
    // June 2018: the months June 2017 .. June 2018.
    // B: referred 10 June 2017, closed 1 August 2017 -> new in Jun 17,
    //    active at the end of Jun 17 and Jul 17 (closed after 31 July).
    // C: referred May 2017 (before the window), closed 15 January 2018 ->
    //    active at the end of Jun 17 .. Dec 17.
    // D: two episodes in March 2018, both open -> new 1 (distinct child) in
    //    Mar 18, active from Mar 18.
    // A: referred 5 June 2018 -> new in Jun 18, active at its end.
    let r = run(
        &[
            ep("E1", "B", "2017-06-10").closed("2017-08-01"),
            ep("E2", "C", "2017-05-20").closed("2018-01-15"),
            ep("E3", "D", "2018-03-02"),
            ep("E4", "D", "2018-03-20"),
            ep("E5", "A", "2018-06-05"),
        ],
        "2018-06",
    )
    .await;
    let batches = r
        .query(
            "SELECT month, month_label, new_children, active_children FROM monthly_series ORDER BY month_order",
        )
        .await;
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    let rows: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("| 20"))
        .map(|l| {
            l.split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        rows,
        [
            "2017-06 Jun 2017 1 2",
            "2017-07 Jul 2017 0 2",
            "2017-08 Aug 2017 0 1",
            "2017-09 Sep 2017 0 1",
            "2017-10 Oct 2017 0 1",
            "2017-11 Nov 2017 0 1",
            "2017-12 Dec 2017 0 1",
            "2018-01 Jan 2018 0 0",
            "2018-02 Feb 2018 0 0",
            "2018-03 Mar 2018 1 1",
            "2018-04 Apr 2018 0 1",
            "2018-05 May 2018 0 1",
            "2018-06 Jun 2018 1 2",
        ]
    );
}
