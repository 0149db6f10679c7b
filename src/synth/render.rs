//! One copy of the population as extract rows: ids in the copy's own id space and
//! freshly drawn personal details (names, exact dates of birth, addresses). Nothing
//! drawn here changes a published figure: a date of birth stays in the child's
//! school cohort.

use super::SynthEpisode;
use super::calendar::birth_range;
use super::dice::Dice;
use super::population::Population;
use super::quotas::{FEMALE, LOCALITIES, MALE, NEEDS, OUTCOMES, PHASES, SEX_CODES};

// Obviously fake personal details.
const FORENAMES_FEMALE: &[&str] = &[
    "Amy", "Bella", "Chloe", "Daria", "Ella", "Freya", "Gina", "Hana", "Iris", "Jade", "Kira",
    "Lena", "Mia", "Nora", "Olga", "Petra", "Rosa", "Sara", "Tia", "Zara",
];
const FORENAMES_MALE: &[&str] = &[
    "Adam", "Ben", "Carl", "Dan", "Emil", "Finn", "Gabor", "Hugo", "Ivan", "Jack", "Karol", "Leo",
    "Milan", "Noah", "Omar", "Pavel", "Rudi", "Sam", "Tom", "Vlad",
];
const FORENAMES_OTHER: &[&str] = &["Alex", "Charlie", "Jo", "Robin", "Sky"];
// Invented words, so no surname is also an ordinary word that an output may
// legitimately contain (the privacy test looks for every one of them).
const SURNAMES: &[&str] = &[
    "Quillmore",
    "Frobisham",
    "Testcombe",
    "Wexmoor",
    "Blandish",
    "Mockford",
    "Corrowby",
    "Fakeley",
    "Dunsketh",
    "Yarrowdale",
    "Plimsworth",
    "Draftwood",
    "Mockett",
    "Samplewell",
    "Testwick",
    "Pilotson",
    "Trialby",
    "Zebbington",
    "Oxlethorpe",
    "Fixtureby",
];
const STREETS: &[&str] = &[
    "Example Street",
    "Sample Road",
    "Test Lane",
    "Mock Avenue",
    "Fixture Close",
    "Demo Way",
    "Placeholder Row",
    "Specimen Terrace",
    "Dummy Crescent",
    "Trial Street",
];
const TOWNS: &[&str] = &["Testtown", "Sampleford", "Mockbridge", "Exampleton"];
/// Letters used in the inward part of real postcodes.
const POSTCODE_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// Numeric ids: child 7 digits (some with a leading zero), family 6, episode 8.
/// Child and family numbers are scrambled by a step coprime to the span, so they do
/// not reveal the build order.
const CHILD_ID_BASE: usize = 100_000;
const CHILD_ID_SPAN: usize = 1_900_000;
const CHILD_ID_STEP: usize = 7_919;
const FAMILY_ID_BASE: usize = 200_000;
const FAMILY_ID_SPAN: usize = 700_000;
const FAMILY_ID_STEP: usize = 613;
const EPISODE_ID_BASE: usize = 10_000_001;

/// Ids of one copy: with several authorities every id gets the copy number
/// (1-based, zero-padded to a common width) in front, so id spaces are disjoint
/// and ids keep one width within a file.
struct IdSpace {
    prefix: String,
}

impl IdSpace {
    fn new(copy: u32, copies: u32) -> Self {
        let prefix = if copies > 1 {
            format!("{:0w$}", copy + 1, w = copies.to_string().len())
        } else {
            String::new()
        };
        IdSpace { prefix }
    }
    fn child(&self, c: usize) -> String {
        format!(
            "{}{:07}",
            self.prefix,
            CHILD_ID_BASE + (c * CHILD_ID_STEP + 40_503) % CHILD_ID_SPAN
        )
    }
    fn family(&self, f: usize) -> String {
        format!(
            "{}{:06}",
            self.prefix,
            FAMILY_ID_BASE + (f * FAMILY_ID_STEP + 1_234) % FAMILY_ID_SPAN
        )
    }
    fn episode(&self, rank: usize) -> String {
        format!("{}{:08}", self.prefix, EPISODE_ID_BASE + rank)
    }
}

struct Household {
    surname: &'static str,
    address: String,
    postcode: String,
}

fn household(dice: &mut Dice) -> Household {
    let surname = *dice.pick(SURNAMES);
    let address = format!(
        "{} {}, {}",
        dice.between(1, 120),
        dice.pick(STREETS),
        dice.pick(TOWNS)
    );
    let letter = |dice: &mut Dice| char::from(*dice.pick(POSTCODE_LETTERS));
    let postcode = format!(
        "ZZ{} {}{}{}",
        dice.between(1, 99),
        dice.between(0, 9),
        letter(&mut *dice),
        letter(&mut *dice)
    );
    Household {
        surname,
        address,
        postcode,
    }
}

fn flag(b: bool) -> String {
    if b { "Y" } else { "N" }.to_string()
}

/// The rows of copy `copy` (0-based) of `copies`, in episode_id order.
pub(super) fn render_copy(
    pop: &Population,
    seed: u64,
    copy: u32,
    copies: u32,
) -> Vec<SynthEpisode> {
    let mut dice = Dice::new(seed, 1 + u64::from(copy));
    let ids = IdSpace::new(copy, copies);
    let households: Vec<Household> = pop.families.iter().map(|_| household(&mut dice)).collect();
    let children: Vec<(&'static str, chrono::NaiveDate)> = pop
        .children
        .iter()
        .map(|ch| {
            let names = match ch.sex {
                MALE => FORENAMES_MALE,
                FEMALE => FORENAMES_FEMALE,
                _ => FORENAMES_OTHER,
            };
            let (born_from, born_to) = birth_range(ch.year_2017);
            (*dice.pick(names), dice.date_between(born_from, born_to))
        })
        .collect();

    pop.id_order
        .iter()
        .enumerate()
        .map(|(rank, &e)| {
            let ep = &pop.episodes[e];
            let ch = &pop.children[ep.child];
            let home = &households[ch.family];
            let (forename, born) = children[ep.child];
            let family_id = if pop.families[ch.family].has_id {
                ids.family(ch.family)
            } else {
                String::new()
            };
            SynthEpisode {
                episode_id: ids.episode(rank),
                child_id: ids.child(ep.child),
                family_id,
                forename: forename.to_string(),
                surname: home.surname.to_string(),
                date_of_birth: Some(born),
                sex: SEX_CODES[ch.sex].to_string(),
                ethnicity: ch.ethnic_code.to_string(),
                address: home.address.clone(),
                postcode: home.postcode.clone(),
                locality: LOCALITIES[ep.locality].to_string(),
                school_phase: PHASES[ep.phase].to_string(),
                referral_date: Some(ep.referral),
                closure_date: ep.closure,
                closure_outcome: if ep.closure.is_some() {
                    OUTCOMES[ep.outcome]
                } else {
                    ""
                }
                .to_string(),
                presenting_need: NEEDS[ep.need].to_string(),
                open_to_csc: flag(ep.open_to_csc),
                open_to_eh_locality: flag(ep.open_to_eh_locality),
                open_to_eh_partner: flag(ep.open_to_eh_partner),
                removal_from_roll_authorised: flag(ep.removal_authorised),
            }
        })
        .collect()
}
