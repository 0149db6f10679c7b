//! Small-number suppression for the public outputs (docs/suppression.md).
//!
//! A group is the categories of one breakdown in one column (new referrals
//! by sex in the quarter, say) with the group's total. Counts from 1 to the
//! threshold are hidden (primary suppression); zeros stay, they disclose
//! nothing about a person. If a group then has exactly one hidden cell, the
//! total and the other cells would give it away, so the smallest other cell
//! is hidden too (secondary suppression; zeros included, the first of equal
//! cells). The total is published as it is: it is never recomputed from
//! the shown cells. A group with a single category is its own total: there
//! the total is hidden with the cell.
//!
//! Nothing here assumes the cells add up to the total: some breakdowns
//! count a child in more than one category. The guarantee is about the
//! number of unknowns: every hidden cell shares its group with at least one
//! other hidden cell.

use serde::Serialize;

/// One cell after suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cell {
    /// No figure (a quarter not started).
    Empty,
    Shown(i64),
    /// Hidden because it is a small count.
    Primary,
    /// Hidden to protect a small count in the same group.
    Secondary,
}

impl Cell {
    pub fn is_suppressed(&self) -> bool {
        matches!(self, Cell::Primary | Cell::Secondary)
    }

    pub fn shown(&self) -> Option<i64> {
        match self {
            Cell::Shown(v) => Some(*v),
            _ => None,
        }
    }

    /// As printed: the number, the marker, or nothing.
    pub fn render(&self, marker: &str) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Shown(v) => v.to_string(),
            Cell::Primary | Cell::Secondary => marker.to_string(),
        }
    }
}

/// A group after suppression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub cells: Vec<Cell>,
    pub total: Cell,
}

/// Whether a count is small: 1..=threshold. Negative numbers are not
/// counts (they never occur) and are shown; a threshold of 0 turns
/// suppression off.
fn small(value: i64, threshold: i64) -> bool {
    value >= 1 && value <= threshold
}

/// Suppresses one group: `values` are its cells in order (None = empty),
/// `total` its published total.
pub fn suppress_group(values: &[Option<i64>], total: Option<i64>, threshold: i64) -> Group {
    let mut cells: Vec<Cell> = values
        .iter()
        .map(|v| match v {
            None => Cell::Empty,
            Some(v) if small(*v, threshold) => Cell::Primary,
            Some(v) => Cell::Shown(*v),
        })
        .collect();
    let mut total_cell = match total {
        None => Cell::Empty,
        Some(t) => Cell::Shown(t),
    };
    let present = cells.iter().filter(|c| **c != Cell::Empty).count();
    let hidden = cells.iter().filter(|c| c.is_suppressed()).count();
    if hidden == 1 {
        if present == 1 {
            // The only category is the total: hide the total with it.
            if total_cell != Cell::Empty {
                total_cell = Cell::Secondary;
            }
        } else {
            // Hide the smallest shown cell (the first of equals).
            let pick = cells
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.shown().map(|v| (v, i)))
                .min();
            if let Some((_, i)) = pick {
                cells[i] = Cell::Secondary;
            }
        }
    }
    Group {
        cells,
        total: total_cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Cell::*;

    fn s(values: &[Option<i64>], total: Option<i64>) -> Group {
        suppress_group(values, total, 4)
    }

    #[test]
    fn a_single_small_cell_takes_the_smallest_other_with_it() {
        let g = s(&[Some(5), Some(3), Some(10)], Some(18));
        assert_eq!(g.cells, [Secondary, Primary, Shown(10)]);
        assert_eq!(g.total, Shown(18));
    }

    #[test]
    fn a_zero_can_be_the_second_hidden_cell() {
        let g = s(&[Some(0), Some(2), Some(9)], Some(11));
        assert_eq!(g.cells, [Secondary, Primary, Shown(9)]);
    }

    #[test]
    fn two_small_cells_protect_each_other() {
        let g = s(&[Some(1), Some(2), Some(30)], Some(33));
        assert_eq!(g.cells, [Primary, Primary, Shown(30)]);
        assert_eq!(g.total, Shown(33));
    }

    #[test]
    fn empty_cells_stay_empty_and_ties_go_to_the_first() {
        assert_eq!(s(&[None, None], None).cells, [Empty, Empty]);
        let g = s(&[None, Some(7), Some(3), Some(7)], Some(17));
        assert_eq!(g.cells, [Empty, Secondary, Primary, Shown(7)]);
    }

    #[test]
    fn a_single_category_hides_its_total() {
        let g = s(&[Some(3)], Some(3));
        assert_eq!(g.cells, [Primary]);
        assert_eq!(g.total, Secondary);
        let g = s(&[Some(9)], Some(9));
        assert_eq!((g.cells, g.total), (vec![Shown(9)], Shown(9)));
    }

    #[test]
    fn the_threshold_is_inclusive_and_zero_turns_it_off() {
        assert_eq!(s(&[Some(4), Some(5), Some(5)], None).cells[0], Primary);
        assert_eq!(
            s(&[Some(4), Some(5), Some(6)], None).cells,
            [Primary, Secondary, Shown(6)]
        );
        assert_eq!(
            suppress_group(&[Some(1), Some(2)], Some(3), 0).cells,
            [Shown(1), Shown(2)]
        );
        assert_eq!(Primary.render("c"), "c");
        assert_eq!(Shown(0).render("c"), "0");
        assert_eq!(Empty.render("c"), "");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn groups() -> impl Strategy<Value = (Vec<Option<i64>>, i64)> {
        (
            prop::collection::vec(prop::option::weighted(0.9, 0i64..40), 1..12),
            0i64..7,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn no_hidden_cell_can_be_worked_out((values, threshold) in groups()) {
            let true_total: i64 = values.iter().flatten().sum();
            let g = suppress_group(&values, Some(true_total), threshold);
            let present = values.iter().filter(|v| v.is_some()).count();
            let hidden: Vec<usize> = (0..g.cells.len()).filter(|i| g.cells[*i].is_suppressed()).collect();
            for (i, (value, cell)) in values.iter().zip(&g.cells).enumerate() {
                match value {
                    None => prop_assert_eq!(*cell, Cell::Empty),
                    Some(v) => {
                        // Every small count is hidden, zeros never as primary,
                        // every shown cell shows its true value.
                        if small(*v, threshold) {
                            prop_assert_eq!(*cell, Cell::Primary, "cell {}", i);
                        }
                        if *v == 0 {
                            prop_assert_ne!(*cell, Cell::Primary);
                        }
                        if let Cell::Shown(s) = cell {
                            prop_assert_eq!(s, v);
                        }
                    }
                }
            }
            if present >= 2 {
                // The total published is the true total, and a hidden cell
                // always has another unknown in its row sum: total minus the
                // shown cells leaves at least two unknowns.
                prop_assert_eq!(g.total, Cell::Shown(true_total));
                prop_assert!(hidden.is_empty() || hidden.len() >= 2, "{:?} -> {:?}", values, g.cells);
                let shown_sum: i64 = g.cells.iter().filter_map(Cell::shown).sum();
                for i in &hidden {
                    let others = hidden.iter().filter(|j| *j != i).count();
                    prop_assert!(others >= 1);
                    // Underivable: the hidden cells together make up
                    // total - shown, which could be split in several ways.
                    prop_assert_eq!(
                        hidden.iter().map(|j| values[*j].unwrap()).sum::<i64>(),
                        true_total - shown_sum
                    );
                }
            } else if !hidden.is_empty() {
                // A lone category: its total is hidden with it.
                prop_assert!(g.total.is_suppressed());
            }
        }
    }
}
