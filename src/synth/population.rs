//! Builds one authority's population: families, children, episodes, and every
//! attribute a published figure counts. Personal details (names, exact dates of
//! birth, addresses) and ids are added per copy by `render`.

use chrono::NaiveDate;

use super::allocate::{Quota, allocate, expand};
use super::calendar::{
    BASE_ACADEMIC_YEAR, FY_2016, FY_2017, HISTORY_START, Q1_2018, STOCK_DATE, academic_year, date,
    open_at, within, year_group_at, years_since,
};
use super::dice::Dice;
use super::quotas::*;
use super::roles::{Closure, EpisodeTemplate, ROLES};

/// Scope bits (see `allocate`): the episode (or child) counts in ...
/// ... the Q1 2018/19 flow (the child's first episode new in Q1),
pub(super) const IN_Q1: u8 = 1;
/// ... the stock at 30 June 2018 (the child's current episode),
pub(super) const IN_STOCK: u8 = 2;
/// ... the 2017/18 flow (first episode new in 2017/18),
pub(super) const IN_FY2017: u8 = 4;
/// ... the 2016/17 flow (first episode new in 2016/17).
pub(super) const IN_FY2016: u8 = 8;

/// Longest closure draw after the earliest allowed closure date: cases mostly close
/// within a few months.
const CASE_SPAN_DAYS: i64 = 150;
/// Every n-th family of one child has no family_id (~3% of children).
const SINGLES_PER_MISSING_FAMILY_ID: u32 = 10;
/// Largest family drawn.
const MAX_FAMILY_SIZE: u32 = 6;

pub(super) struct Family {
    pub has_id: bool,
    pub members: Vec<usize>,
}

pub(super) struct Child {
    pub family: usize,
    /// Indices into `Population::episodes`, in referral order.
    pub episodes: Vec<usize>,
    pub sex: usize,
    pub ethnic_code: &'static str,
    /// National Curriculum year group in academic year 2017/18 (may be above 11 for
    /// children seen only long ago).
    pub year_2017: i32,
}

pub(super) struct Episode {
    pub child: usize,
    pub referral: NaiveDate,
    pub closure: Option<NaiveDate>,
    pub locality: usize,
    pub phase: usize,
    pub need: usize,
    pub open_to_csc: bool,
    pub open_to_eh_locality: bool,
    pub open_to_eh_partner: bool,
    pub removal_authorised: bool,
    /// Index into `OUTCOMES`; only written for closed episodes.
    pub outcome: usize,
}

pub(super) struct Population {
    pub families: Vec<Family>,
    pub children: Vec<Child>,
    pub episodes: Vec<Episode>,
    /// Episode indices in episode_id order (referral order, as a case system numbers them).
    pub id_order: Vec<usize>,
}

impl Population {
    /// Distinct family keys (family_id, or the child's id where it has none).
    pub(super) fn family_keys(&self) -> usize {
        self.families
            .iter()
            .map(|f| if f.has_id { 1 } else { f.members.len() })
            .sum()
    }
}

pub(super) fn build(seed: u64) -> Population {
    let mut dice = Dice::new(seed, 0);
    let (mut pop, special) = skeleton(&mut dice);
    let scopes = Scopes::of(&pop);
    assign_sex(&mut pop, &scopes, &mut dice);
    assign_ethnicity(&mut pop, &scopes, &mut dice);
    assign_phases_and_ages(&mut pop, &scopes, &special, &mut dice);
    assign_localities(&mut pop, &scopes, &mut dice);
    assign_referral_details(&mut pop, &scopes, &mut dice);
    assign_removal_flags(&mut pop, &scopes, &mut dice);
    assign_outcomes(&mut pop, &scopes, &mut dice);
    pop.id_order = (0..pop.episodes.len()).collect();
    pop.id_order.sort_by_key(|&e| (pop.episodes[e].referral, e));
    pop
}

// ---- skeleton: families, children, episode dates ---------------------------------

/// Returns the population with dates only, and per child whether its role has a
/// Special/Inclusion or Unknown current phase.
fn skeleton(dice: &mut Dice) -> (Population, Vec<bool>) {
    let mut pop = Population {
        families: vec![],
        children: vec![],
        episodes: vec![],
        id_order: vec![],
    };
    let mut special = vec![];
    let mut singles = 0u32;
    for role in ROLES {
        for size in family_sizes(role.children, role.families, dice) {
            let dates = draw_chain(role.episodes, dice)
                .unwrap_or_else(|e| panic!("role {}: {e}", role.name));
            let family = pop.families.len();
            if size == 1 {
                singles += 1;
            }
            let has_id = !(size == 1 && singles.is_multiple_of(SINGLES_PER_MISSING_FAMILY_ID));
            pop.families.push(Family {
                has_id,
                members: vec![],
            });
            for _ in 0..size {
                let child = pop.children.len();
                let mut episodes = vec![];
                for &(referral, closure) in &dates {
                    episodes.push(pop.episodes.len());
                    pop.episodes.push(Episode {
                        child,
                        referral,
                        closure,
                        locality: 0,
                        phase: PHASE_UNKNOWN,
                        need: NEEDS.len() - 1,
                        open_to_csc: false,
                        open_to_eh_locality: false,
                        open_to_eh_partner: false,
                        removal_authorised: false,
                        outcome: OUTCOMES.len() - 1,
                    });
                }
                pop.families[family].members.push(child);
                pop.children.push(Child {
                    family,
                    episodes,
                    sex: SEX_NOT_KNOWN,
                    ethnic_code: "",
                    year_2017: 0,
                });
                special.push(role.special_or_unknown_phase);
            }
        }
    }
    (pop, special)
}

/// `children` split into `families` of 1..=MAX_FAMILY_SIZE: every family gets one
/// child, the rest go to random families (so most are 1 or 2, a few larger).
fn family_sizes(children: u32, families: u32, dice: &mut Dice) -> Vec<u32> {
    assert!(families >= 1 && families <= children && children <= families * MAX_FAMILY_SIZE);
    let mut sizes = vec![1u32; families as usize];
    let mut extra = children - families;
    while extra > 0 {
        let f = dice.below(u64::from(families)) as usize;
        if sizes[f] < MAX_FAMILY_SIZE {
            sizes[f] += 1;
            extra -= 1;
        }
    }
    sizes
}

/// Draws the dates of one role's episodes, each after the previous one closed.
fn draw_chain(
    templates: &[EpisodeTemplate],
    dice: &mut Dice,
) -> Result<Vec<(NaiveDate, Option<NaiveDate>)>, String> {
    let day = chrono::Duration::days(1);
    let mut earliest = date(HISTORY_START);
    let mut out = vec![];
    for t in templates {
        let (lo, hi) = (date(t.referral.0).max(earliest), date(t.referral.1));
        if lo > hi {
            return Err(format!("no room for a referral in {:?}", t.referral));
        }
        let referral = dice.date_between(lo, hi);
        let closure = match t.closure {
            Closure::Open => None,
            Closure::Within(from, to) => {
                let lo = date(from).max(referral + day);
                let hi = date(to).min(lo + chrono::Duration::days(CASE_SPAN_DAYS));
                if lo > hi {
                    return Err(format!("no room for a closure in {from:?}..{to:?}"));
                }
                Some(dice.date_between(lo, hi))
            }
        };
        earliest = match closure {
            Some(c) => c + day,
            None => NaiveDate::MAX,
        };
        out.push((referral, closure));
    }
    Ok(out)
}

// ---- which episode counts where --------------------------------------------------

/// Scope bits per episode and per child (the union over its episodes), computed from
/// the dates with the rules of indicators.md, so the quotas land on exactly the
/// episodes the pipeline will count.
pub(super) struct Scopes {
    pub episode: Vec<u8>,
    pub child: Vec<u8>,
    pub closed_in_q1: Vec<bool>,
}

impl Scopes {
    pub(super) fn of(pop: &Population) -> Scopes {
        let mut episode = vec![0u8; pop.episodes.len()];
        let mut child = vec![0u8; pop.children.len()];
        let stock_date = date(STOCK_DATE);
        for (c, ch) in pop.children.iter().enumerate() {
            // Episodes are in referral order and never share a referral date, so the
            // first match is the earliest referral (no tie to break).
            let first_in = |period| {
                ch.episodes
                    .iter()
                    .copied()
                    .find(|&e| within(pop.episodes[e].referral, period))
            };
            let current = ch
                .episodes
                .iter()
                .copied()
                .filter(|&e| {
                    open_at(
                        pop.episodes[e].referral,
                        pop.episodes[e].closure,
                        stock_date,
                    )
                })
                .max_by_key(|&e| pop.episodes[e].referral);
            for (found, bit) in [
                (first_in(Q1_2018), IN_Q1),
                (current, IN_STOCK),
                (first_in(FY_2017), IN_FY2017),
                (first_in(FY_2016), IN_FY2016),
            ] {
                if let Some(e) = found {
                    episode[e] |= bit;
                    child[c] |= bit;
                }
            }
        }
        let closed_in_q1 = pop
            .episodes
            .iter()
            .map(|e| e.closure.is_some_and(|d| within(d, Q1_2018)))
            .collect();
        Scopes {
            episode,
            child,
            closed_in_q1,
        }
    }
}

fn quota(scope: u8, counts: &[u32]) -> Quota {
    Quota {
        scope,
        counts: counts.to_vec(),
    }
}

// ---- child-level attributes ------------------------------------------------------

fn assign_sex(pop: &mut Population, scopes: &Scopes, dice: &mut Dice) {
    let quotas = [
        quota(IN_Q1, &Q1_SEX),
        quota(IN_STOCK, &STOCK_SEX),
        quota(IN_FY2017, &FY2017_SEX),
        quota(IN_FY2016, &FY2016_SEX),
    ];
    let labels = allocate(&scopes.child, &quotas, dice);
    for (child, label) in pop.children.iter_mut().zip(labels) {
        child.sex = label.unwrap_or_else(|| dice.weighted(&OTHER_SEX_WEIGHTS));
    }
}

/// Ethnicity is kept per child (the spec allows per episode; per child is more
/// believable and the quotas still fit). The code within the group is drawn too, so
/// extended codes (WENG, WROG, ...) and REFU/NOBT/empty all occur.
fn assign_ethnicity(pop: &mut Population, scopes: &Scopes, dice: &mut Dice) {
    let quotas = [
        quota(IN_Q1, &Q1_ETHNICITY),
        quota(IN_STOCK, &STOCK_ETHNICITY),
        quota(IN_FY2017, &FY2017_ETHNICITY),
        quota(IN_FY2016, &FY2016_ETHNICITY),
    ];
    let labels = allocate(&scopes.child, &quotas, dice);
    for (child, label) in pop.children.iter_mut().zip(labels) {
        let group = label.unwrap_or_else(|| dice.weighted(&OTHER_ETHNICITY_WEIGHTS));
        child.ethnic_code = *dice.pick(ETHNIC_CODES[group]);
    }
}

// ---- school phase and age --------------------------------------------------------

/// Year groups a phase stands for when an age is chosen for it (Reception counts as
/// Primary when derived, but CME is about compulsory school age, so it is not chosen).
fn years_of(phase: usize) -> (i32, i32) {
    match phase {
        PRIMARY => (1, 6),
        SECONDARY => (7, 11),
        _ => unreachable!("only Primary/Secondary follow from age"),
    }
}

/// The phase a year group implies (indicators.md / spec: Reception..Year 6 Primary,
/// Year 7..11 Secondary).
fn phase_of_year(year: i32) -> Option<usize> {
    match year {
        0..=6 => Some(PRIMARY),
        7..=11 => Some(SECONDARY),
        _ => None,
    }
}

/// School phase is drawn to the quotas and each child's age is then chosen to agree
/// with it at every counted episode, so phase and age never contradict each other
/// (apart from the Special/Inclusion and Unknown stock episodes, which have no age).
fn assign_phases_and_ages(
    pop: &mut Population,
    scopes: &Scopes,
    special: &[bool],
    dice: &mut Dice,
) {
    let n = pop.children.len();
    let mut year: Vec<Option<i32>> = vec![None; n];

    // (a) Special/Inclusion and Unknown exist only in the stock quota: they go to the
    //     children whose role was built for them.
    let special_children: Vec<usize> = (0..n).filter(|&c| special[c]).collect();
    let mut pool = expand(&[0, 0, STOCK_PHASE[SPECIAL], STOCK_PHASE[PHASE_UNKNOWN]]);
    assert_eq!(
        pool.len(),
        special_children.len(),
        "Special/Unknown stock quota vs roles"
    );
    dice.shuffle(&mut pool);
    let mut stock_phase_override: Vec<Option<usize>> = vec![None; n];
    for (&c, p) in special_children.iter().zip(pool) {
        stock_phase_override[c] = Some(p);
    }

    // (b) Primary/Secondary of the Q1 cohort and of the rest of the June stock.
    assert_eq!(
        Q1_PHASE[SPECIAL] + Q1_PHASE[PHASE_UNKNOWN],
        0,
        "Q1 phase quota has no age-free category"
    );
    let units: Vec<u8> = (0..n)
        .map(|c| {
            if special[c] {
                0
            } else {
                scopes.child[c] & (IN_Q1 | IN_STOCK)
            }
        })
        .collect();
    let quotas = [
        quota(IN_Q1, &Q1_PHASE[..2]),
        quota(IN_STOCK, &STOCK_PHASE[..2]),
    ];
    let now_phase = allocate(&units, &quotas, dice);

    // (c) Ages of the June stock: the published year-group table, each child in a year
    //     group that gives its phase.
    assign_stock_year_groups(pop, scopes, &now_phase, special, &mut year, dice);

    // (d) Q1 children closed by 30 June: any year group of their phase.
    for c in 0..n {
        if let (Some(phase), None) = (now_phase[c], year[c]) {
            let (lo, hi) = years_of(phase);
            year[c] = Some(dice.between(i64::from(lo), i64::from(hi)) as i32);
        }
    }

    // (e) These children's first 2017/18 and 2016/17 episodes carry the phase of
    //     their age; what is left of those quotas goes to everyone else.
    let mut fy2017 = FY2017_PHASE[..2].to_vec();
    let mut fy2016 = FY2016_PHASE[..2].to_vec();
    for c in (0..n).filter(|&c| year[c].is_some()) {
        for &e in &pop.children[c].episodes {
            let ep = &pop.episodes[e];
            for (bit, left) in [(IN_FY2017, &mut fy2017), (IN_FY2016, &mut fy2016)] {
                if scopes.episode[e] & bit != 0 {
                    let phase = phase_of_year(year_group_at(year[c].unwrap(), ep.referral))
                        .expect("a counted episode of a child of school age");
                    left[phase] = left[phase]
                        .checked_sub(1)
                        .expect("earlier-year phase quota exhausted");
                }
            }
        }
    }

    // (f) Everyone else counted in 2017/18 or 2016/17: a phase from what is left, then
    //     an age giving that phase at each of their counted episodes.
    let units: Vec<u8> = (0..n)
        .map(|c| {
            if year[c].is_some() {
                0
            } else {
                scopes.child[c] & (IN_FY2017 | IN_FY2016)
            }
        })
        .collect();
    let past_phase = allocate(
        &units,
        &[quota(IN_FY2017, &fy2017), quota(IN_FY2016, &fy2016)],
        dice,
    );
    for c in 0..n {
        if year[c].is_none() {
            year[c] = Some(choose_year(pop, scopes, c, past_phase[c], dice));
        }
    }

    // (g) Every episode's phase follows from the age, except the Special/Unknown ones.
    for c in 0..n {
        let y = year[c].unwrap();
        pop.children[c].year_2017 = y;
        for &e in &pop.children[c].episodes {
            let ep = &mut pop.episodes[e];
            let by_age = phase_of_year(year_group_at(y, ep.referral));
            ep.phase = match stock_phase_override[c] {
                Some(p) if scopes.episode[e] & IN_STOCK != 0 => p,
                _ => by_age.unwrap_or(PHASE_UNKNOWN),
            };
            if scopes.episode[e] & (IN_Q1 | IN_STOCK) != 0 && stock_phase_override[c].is_none() {
                assert_eq!(Some(ep.phase), now_phase[c], "Q1/stock phase follows age");
            }
        }
    }
}

/// Gives each child of the June stock a year group from `STOCK_YEAR_GROUP`: Primary
/// children Years 1-6, Secondary Years 7-11 (8-11 if referred before September 2017,
/// when they were a year younger), Special/Unknown the slots left over.
fn assign_stock_year_groups(
    pop: &Population,
    scopes: &Scopes,
    now_phase: &[Option<usize>],
    special: &[bool],
    year: &mut [Option<i32>],
    dice: &mut Dice,
) {
    let mut slots: Vec<i32> = expand(&STOCK_YEAR_GROUP)
        .into_iter()
        .map(|i| i as i32 + 1)
        .collect();
    let mut wanted: Vec<(usize, i32, i32)> = vec![];
    for (c, child) in pop.children.iter().enumerate() {
        let Some(&current) = child
            .episodes
            .iter()
            .find(|&&e| scopes.episode[e] & IN_STOCK != 0)
        else {
            continue;
        };
        let referred_this_year =
            academic_year(pop.episodes[current].referral) == BASE_ACADEMIC_YEAR;
        let (lo, hi) = match now_phase[c] {
            _ if special[c] => (1, 11),
            Some(SECONDARY) if !referred_this_year => (8, 11),
            Some(phase) => years_of(phase),
            None => unreachable!("stock child without a phase"),
        };
        wanted.push((c, lo, hi));
    }
    assert_eq!(
        wanted.len(),
        slots.len(),
        "stock children vs year-group table"
    );
    // Narrowest ranges first, so nobody is left without a slot.
    dice.shuffle(&mut wanted);
    wanted.sort_by_key(|&(_, lo, hi)| hi - lo);
    for (c, lo, hi) in wanted {
        let fitting: Vec<usize> = (0..slots.len())
            .filter(|&i| (lo..=hi).contains(&slots[i]))
            .collect();
        assert!(!fitting.is_empty(), "no Year {lo}-{hi} slot left");
        let i = *dice.pick(&fitting);
        year[c] = Some(slots.swap_remove(i));
    }
}

/// A year group (in 2017/18) that puts the child in `phase` at each of its counted
/// 2017/18 / 2016/17 episodes and in Years 1-11 at all its other episodes.
fn choose_year(
    pop: &Population,
    scopes: &Scopes,
    c: usize,
    phase: Option<usize>,
    dice: &mut Dice,
) -> i32 {
    let (mut lo, mut hi) = (i32::MIN, i32::MAX);
    for &e in &pop.children[c].episodes {
        let (a, b) = match phase {
            Some(p) if scopes.episode[e] & (IN_FY2017 | IN_FY2016) != 0 => years_of(p),
            _ => (1, 11),
        };
        let shift = years_since(pop.episodes[e].referral);
        lo = lo.max(a + shift);
        hi = hi.min(b + shift);
    }
    assert!(lo <= hi, "child {c}: no age fits its episodes");
    dice.between(i64::from(lo), i64::from(hi)) as i32
}

// ---- episode-level attributes ----------------------------------------------------

/// Locality is per episode (families move between episodes).
fn assign_localities(pop: &mut Population, scopes: &Scopes, dice: &mut Dice) {
    let quotas = [
        quota(IN_Q1, &Q1_LOCALITY),
        quota(IN_STOCK, &STOCK_LOCALITY),
        quota(IN_FY2017, &FY2017_LOCALITY),
        quota(IN_FY2016, &FY2016_LOCALITY),
    ];
    let labels = allocate(&scopes.episode, &quotas, dice);
    for (ep, label) in pop.episodes.iter_mut().zip(labels) {
        ep.locality = label.unwrap_or_else(|| dice.weighted(&OTHER_LOCALITY_WEIGHTS));
    }
}

/// Presenting need and "open to" flags, recorded at referral. Only the Q1 figures are
/// published; other episodes get plausible random values.
fn assign_referral_details(pop: &mut Population, scopes: &Scopes, dice: &mut Dice) {
    let mut first_q1: Vec<usize> = (0..pop.episodes.len())
        .filter(|&e| scopes.episode[e] & IN_Q1 != 0)
        .collect();
    assert_eq!(first_q1.len() as u32, Q1_NEW_CHILDREN);
    dice.shuffle(&mut first_q1);
    for (&e, need) in first_q1.iter().zip(expand(&Q1_NEED)) {
        pop.episodes[e].need = need;
    }

    // The seed's commentary says all Neglect children had social care or early help
    // involvement: hand the CSC flags to Neglect first, then the EH locality flags
    // to the remaining Neglect children, then to others.
    let (neglect, others): (Vec<usize>, Vec<usize>) = first_q1
        .iter()
        .copied()
        .partition(|&e| pop.episodes[e].need == NEGLECT);
    let order: Vec<usize> = neglect.into_iter().chain(others).collect();
    for &e in order.iter().take(Q1_OPEN_TO_CSC as usize) {
        pop.episodes[e].open_to_csc = true;
    }
    let not_csc = &order[Q1_OPEN_TO_CSC as usize..];
    for &e in not_csc.iter().take(Q1_OPEN_TO_EH_LOCALITY as usize) {
        pop.episodes[e].open_to_eh_locality = true;
    }
    // Early Help partners (0 in the seed) come from the end of the list: children
    // with neither of the other involvements.
    for &e in not_csc.iter().rev().take(Q1_OPEN_TO_EH_PARTNER as usize) {
        pop.episodes[e].open_to_eh_partner = true;
    }

    let need_weights: Vec<u32> = Q1_NEED.iter().map(|&n| n + 1).collect();
    for (e, ep) in pop.episodes.iter_mut().enumerate() {
        if scopes.episode[e] & IN_Q1 == 0 {
            ep.need = dice.weighted(&need_weights);
            ep.open_to_csc = dice.chance(OTHER_CSC_PER_MILLE);
            ep.open_to_eh_locality = dice.chance(OTHER_EH_LOCALITY_PER_MILLE);
            ep.open_to_eh_partner = dice.chance(OTHER_EH_PARTNER_PER_MILLE);
        }
    }
}

fn assign_removal_flags(pop: &mut Population, scopes: &Scopes, dice: &mut Dice) {
    let mut current: Vec<usize> = (0..pop.episodes.len())
        .filter(|&e| scopes.episode[e] & IN_STOCK != 0)
        .collect();
    assert_eq!(current.len() as u32, STOCK_CHILDREN);
    dice.shuffle(&mut current);
    for &e in current.iter().take(STOCK_REMOVAL_AUTHORISED as usize) {
        pop.episodes[e].removal_authorised = true;
    }
    for (e, ep) in pop.episodes.iter_mut().enumerate() {
        if scopes.episode[e] & IN_STOCK == 0 {
            ep.removal_authorised = dice.chance(OTHER_REMOVAL_PER_MILLE);
        }
    }
}

fn assign_outcomes(pop: &mut Population, scopes: &Scopes, dice: &mut Dice) {
    let mut closed_q1: Vec<usize> = (0..pop.episodes.len())
        .filter(|&e| scopes.closed_in_q1[e])
        .collect();
    assert_eq!(closed_q1.len() as u32, Q1_CLOSED_EPISODES);
    dice.shuffle(&mut closed_q1);
    for (&e, outcome) in closed_q1.iter().zip(expand(&Q1_OUTCOME)) {
        pop.episodes[e].outcome = outcome;
    }
    for (e, ep) in pop.episodes.iter_mut().enumerate() {
        if ep.closure.is_some() && !scopes.closed_in_q1[e] {
            ep.outcome = dice.weighted(&OTHER_OUTCOME_WEIGHTS);
        }
    }
}
