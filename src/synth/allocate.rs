//! Hitting several published breakdowns at once.
//!
//! A "unit" is a thing that carries one category: a child (sex, ethnicity) or an
//! episode (locality). Each unit counts in a set of *scopes* (bit mask): the
//! published breakdowns it is counted in, e.g. a child referred in April 2018 and
//! still open at 30 June counts in both the Q1 flow and the June stock. Every scope
//! has a quota (category -> count) and the units counting in it must carry exactly
//! that quota.
//!
//! Scopes are settled one after another, in the order given. When scope S comes up,
//! its still unlabelled units are grouped by which *later* scopes they also count
//! in. Groups that are tied to more later scopes go first and take a share of S's
//! remaining quota proportional to what every scope they touch still has room for
//! (the "water-fill" of the spec); the loosest group goes last and takes exactly what
//! is left of S. Whatever a group takes is also taken off its later scopes, so every
//! later quota stays reachable. The population is built so that the loosest group
//! of each step fits; a mismatch panics (and the tests run several seeds).

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::dice::Dice;

/// One scope (a single bit) and its quota, category by category.
pub(super) struct Quota {
    pub scope: u8,
    pub counts: Vec<u32>,
}

/// Returns a category for every unit whose scope mask meets one of `quotas`' scopes
/// (others get `None`), settling the scopes in the order of `quotas`.
pub(super) fn allocate(
    unit_scopes: &[u8],
    quotas: &[Quota],
    dice: &mut Dice,
) -> Vec<Option<usize>> {
    let categories = quotas[0].counts.len();
    let mut remaining: Vec<Vec<u32>> = quotas.iter().map(|q| q.counts.clone()).collect();
    let mut labels: Vec<Option<usize>> = vec![None; unit_scopes.len()];

    for step in 0..quotas.len() {
        let later_mask = quotas[step + 1..].iter().fold(0u8, |m, q| m | q.scope);
        let groups = pending_groups(unit_scopes, &labels, quotas[step].scope, later_mask);
        let units: usize = groups.iter().map(|(_, members)| members.len()).sum();
        let quota: u32 = remaining[step].iter().sum();
        assert_eq!(
            units, quota as usize,
            "scope {:#b}: {units} units for a quota of {quota}",
            quotas[step].scope
        );

        for (i, (mask, members)) in groups.iter().enumerate() {
            let touched: Vec<usize> = (step + 1..quotas.len())
                .filter(|&t| quotas[t].scope & mask != 0)
                .collect();
            let take = if i + 1 == groups.len() {
                remaining[step].clone()
            } else {
                let caps: Vec<u32> = (0..categories)
                    .map(|k| {
                        touched
                            .iter()
                            .map(|&t| remaining[t][k])
                            .fold(remaining[step][k], u32::min)
                    })
                    .collect();
                proportional(members.len() as u32, &caps)
            };
            for t in std::iter::once(step).chain(touched) {
                for k in 0..categories {
                    remaining[t][k] = remaining[t][k].checked_sub(take[k]).unwrap_or_else(|| {
                        panic!(
                            "scope {:#b} category {k}: quota exhausted by scope {:#b}",
                            quotas[t].scope, quotas[step].scope
                        )
                    });
                }
            }
            let mut pool = expand(&take);
            dice.shuffle(&mut pool);
            for (&unit, category) in members.iter().zip(pool) {
                labels[unit] = Some(category);
            }
        }
    }
    assert!(
        remaining.iter().flatten().all(|&r| r == 0),
        "quota left over: {remaining:?}"
    );
    labels
}

/// Unlabelled units of `scope`, grouped by the later scopes they also count in;
/// most constrained group first, the loosest (largest of the least tied) last.
fn pending_groups(
    unit_scopes: &[u8],
    labels: &[Option<usize>],
    scope: u8,
    later_mask: u8,
) -> Vec<(u8, Vec<usize>)> {
    let mut by_mask: BTreeMap<u8, Vec<usize>> = BTreeMap::new();
    for (unit, &scopes) in unit_scopes.iter().enumerate() {
        if labels[unit].is_none() && scopes & scope != 0 {
            by_mask.entry(scopes & later_mask).or_default().push(unit);
        }
    }
    let mut groups: Vec<(u8, Vec<usize>)> = by_mask.into_iter().collect();
    groups.sort_by_key(|(mask, members)| (Reverse(mask.count_ones()), members.len(), *mask));
    groups
}

/// Splits `n` over categories in proportion to `caps` (largest remainder), never
/// exceeding a cap.
pub(super) fn proportional(n: u32, caps: &[u32]) -> Vec<u32> {
    let total: u64 = caps.iter().map(|&c| u64::from(c)).sum();
    assert!(
        total >= u64::from(n),
        "cannot place {n} units within caps {caps:?}"
    );
    if n == 0 {
        return vec![0; caps.len()];
    }
    let share = |k: usize| u64::from(caps[k]) * u64::from(n);
    let mut out: Vec<u32> = (0..caps.len()).map(|k| (share(k) / total) as u32).collect();
    let mut left = n - out.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..caps.len()).collect();
    order.sort_by_key(|&k| (Reverse(share(k) % total), k));
    for k in order.into_iter().cycle() {
        if left == 0 {
            break;
        }
        if out[k] < caps[k] {
            out[k] += 1;
            left -= 1;
        }
    }
    out
}

/// `[2, 0, 1]` -> `[0, 0, 2]`.
pub(super) fn expand(counts: &[u32]) -> Vec<usize> {
    counts
        .iter()
        .enumerate()
        .flat_map(|(k, &c)| std::iter::repeat_n(k, c as usize))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_respects_caps_and_total() {
        assert_eq!(proportional(110, &[104, 67]), vec![67, 43]);
        assert_eq!(proportional(3, &[0, 5, 1]), vec![0, 3, 0]);
        assert_eq!(proportional(2, &[1, 1]), vec![1, 1]);
        assert_eq!(proportional(0, &[4, 4]), vec![0, 0]);
    }

    #[test]
    fn overlapping_scopes_get_exact_quotas() {
        // 3 units in both scopes, 2 only in the first, 4 only in the second.
        let units = [3u8, 3, 3, 1, 1, 2, 2, 2, 2];
        let quotas = [
            Quota {
                scope: 1,
                counts: vec![4, 1],
            },
            Quota {
                scope: 2,
                counts: vec![3, 4],
            },
        ];
        let labels = allocate(&units, &quotas, &mut Dice::new(1, 0));
        for q in &quotas {
            let mut got = vec![0u32; 2];
            for (u, l) in units.iter().zip(&labels) {
                if u & q.scope != 0 {
                    got[l.unwrap()] += 1;
                }
            }
            assert_eq!(got, q.counts);
        }
    }
}
