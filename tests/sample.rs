//! The bundled synthetic sample reproduces the seed report's quarter 1
//! 2018/19 figures (BRIEF.md and the seed's tables) under indicators.md.

mod common;

use common::{config, repo, run_file};

const SAMPLE: &str = "data/sample/cme-extract-sample.csv";

async fn sample_run() -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    run_file(config(), dir, &repo().join(SAMPLE), "2018-06", "2018-07-02")
        .await
        .expect("sample run")
}

#[test]
fn committed_sample_is_what_synth_generates() {
    let mut generated = Vec::new();
    cme::synth::write_canonical_csv(&cme::synth::SynthOptions::default(), &mut generated).unwrap();
    let committed = std::fs::read(repo().join(SAMPLE)).unwrap();
    assert!(
        generated == committed,
        "data/sample is stale: run `make sample` and commit the result"
    );
}

#[tokio::test]
async fn sample_reproduces_the_seed_quarter_1_figures() {
    let r = sample_run().await;
    let q = |i: &'static str, c: &'static str| {
        let r = &r;
        async move { r.value(i, c, "quarter").await }
    };
    // BRIEF.md: 188 new children from 116 families, 110 with previous
    // episodes; 210 active at 30 June; 134 closed; 49 authorised removals.
    assert_eq!(q("1a", "All").await, Some(188));
    assert_eq!(q("1a_families", "All").await, Some(116));
    assert_eq!(q("1b", "All").await, Some(110));
    assert_eq!(q("6", "All").await, Some(210));
    assert_eq!(q("7", "All").await, Some(134));
    assert_eq!(q("8", "All").await, Some(49));
    // New referrals in 2016/17 and 2017/18.
    assert_eq!(
        r.summary_i64("previous_fy_2_value", "1a", "All").await,
        Some(510)
    );
    assert_eq!(
        r.summary_i64("previous_fy_1_value", "1a", "All").await,
        Some(585)
    );
    assert_eq!(
        r.summary_i64("year_on_year_change", "1a", "All").await,
        Some(75)
    );
    // The year to date equals the quarter in Q1.
    assert_eq!(r.value("1a", "All", "year_to_date").await, Some(188));
    // The seed's narrative: 110 of 188 = 58.5% with previous episodes.
    assert_eq!(r.percent("1b", "All", "quarter").await, Some(58.5));
}

#[tokio::test]
async fn sample_reproduces_the_seed_breakdowns() {
    let r = sample_run().await;
    let expect = |indicator: &'static str, rows: &'static [(&'static str, i64)]| (indicator, rows);
    let tables = [
        expect("2", &[("Male", 91), ("Female", 97), ("Not known", 0)]),
        expect(
            "3",
            &[
                ("North", 16),
                ("South", 25),
                ("Central", 146),
                ("No locality registered", 1),
            ],
        ),
        expect(
            "4",
            &[
                ("Primary", 107),
                ("Secondary", 81),
                ("Special/Inclusion", 0),
                ("Unknown", 0),
            ],
        ),
        expect(
            "5",
            &[
                ("White British", 33),
                ("Asian Pakistani", 9),
                ("Asian Indian", 0),
                ("Any other Asian background", 1),
                ("Black African", 1),
                ("Any other Black background", 2),
                ("Gypsy/Roma", 69),
                ("Any other white background", 9),
                ("Any other ethnic group", 0),
                ("Not known", 64),
            ],
        ),
        expect("9", &[("Male", 104), ("Female", 106)]),
        expect(
            "10",
            &[
                ("North", 12),
                ("South", 15),
                ("Central", 182),
                ("No locality registered", 1),
            ],
        ),
        expect(
            "11",
            &[
                ("Primary", 104),
                ("Secondary", 67),
                ("Special/Inclusion", 4),
                ("Unknown", 35),
            ],
        ),
        expect(
            "12",
            &[
                ("<=6 months", 150),
                ("7-12 months", 52),
                ("13-18 months", 8),
                ("over 18 months", 0),
            ],
        ),
        expect(
            "13",
            &[
                ("Year 1", 27),
                ("Year 2", 17),
                ("Year 3", 24),
                ("Year 4", 26),
                ("Year 5", 13),
                ("Year 6", 20),
                ("Year 7", 15),
                ("Year 8", 17),
                ("Year 9", 19),
                ("Year 10", 17),
                ("Year 11", 15),
                ("Reception", 0),
            ],
        ),
        expect(
            "14",
            &[
                ("White British", 15),
                ("Asian Pakistani", 7),
                ("Any other Asian background", 1),
                ("Any other Black background", 1),
                ("Gypsy/Roma", 83),
                ("Any other white background", 12),
                ("Not known", 91),
            ],
        ),
        expect(
            "15",
            &[
                ("Alcohol and substance misuse", 2),
                ("Attainment and achievement", 5),
                ("Attendance and school engagement", 5),
                ("Bereavement", 3),
                ("Disability", 3),
                ("Domestic abuse", 13),
                ("Family relationships", 4),
                ("Learning needs", 2),
                ("Mental health", 0),
                ("NAS", 1),
                ("Neglect", 31),
                ("No additional needs noted", 75),
                ("Parenting", 32),
                ("Physical health", 3),
                ("Vulnerability to CSE", 7),
                ("Work and money", 2),
            ],
        ),
        expect(
            "16",
            &[
                ("Children's Social Care", 27),
                ("Early Help locality team", 11),
                ("Early Help partners", 0),
            ],
        ),
        expect(
            "17",
            &[
                ("Found - in school in this LA", 19),
                ("Found - in school in other LA", 21),
                ("Other LA accepted responsibility", 35),
                ("Found - transferred to admissions and tracking", 21),
                ("Found - elective home education", 8),
                ("Found - alternative provision", 1),
                ("Verified left UK", 23),
                ("Enquiries exhausted", 5),
                ("Not recorded", 1),
            ],
        ),
    ];
    for (indicator, rows) in tables {
        for (category, expected) in rows {
            assert_eq!(
                r.value(indicator, category, "quarter").await,
                Some(*expected),
                "indicator {indicator}, {category}"
            );
        }
    }
    // The seed narrative's figures, computed instead of typed: neglect is
    // 31 of 188 = 16.5% (the seed said 20%), CSC 27 of 188 = 14.4%.
    assert_eq!(r.percent("15", "Neglect", "quarter").await, Some(16.5));
    assert_eq!(
        r.percent("16", "Children's Social Care", "quarter").await,
        Some(14.4)
    );
    // Quarterly table 14 totals 210 in Q1, and Q2-Q4 are empty.
    assert_eq!(r.quarterly("q1_value", "14", "Total").await, Some(210));
    assert_eq!(r.percent("14", "Gypsy/Roma", "q1").await, Some(39.5));
    assert_eq!(r.quarterly("q2_value", "14", "Total").await, None);
}
