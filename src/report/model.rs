//! The report as data (`report.json`), built from the published tables:
//! the internal variant shows every figure, the public one applies
//! small-number suppression (docs/suppression.md) before anything is laid
//! out, so the page, the JSON, the charts and the commentary of the public
//! variant can only quote what survived suppression.

use serde::Serialize;

use super::suppress::{Cell, suppress_group};
use super::tables::{QuarterlyRow, ReportTables, SummaryRow};
use crate::config::PublicConfig;

/// A figure as shown: a count, a percent, the suppression marker, or empty
/// (`null`: a quarter not started, a percent with a zero denominator).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Figure {
    Count(i64),
    Percent(f64),
    Marker(String),
}

impl Figure {
    pub fn count(&self) -> Option<i64> {
        match self {
            Figure::Count(v) => Some(*v),
            _ => None,
        }
    }

    pub fn number(&self) -> Option<f64> {
        match self {
            Figure::Count(v) => Some(*v as f64),
            Figure::Percent(v) => Some(*v),
            Figure::Marker(_) => None,
        }
    }
}

/// Which variant a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Internal,
    Public,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Version of this layout, for other front ends.
    pub schema: &'static str,
    pub variant: Variant,
    pub service: String,
    pub title: String,
    pub reporting_period: String,
    pub month_label: String,
    pub quarter_label: String,
    pub year_to_date_label: String,
    pub previous_fy_2_label: String,
    pub previous_fy_1_label: String,
    pub run_id: String,
    /// UTC date the run was made.
    pub run_date: String,
    /// The date the extract was taken: the data is as at this date.
    pub extract_date: String,
    pub suppression: Option<Suppression>,
    pub indicators: Vec<IndicatorRow>,
    pub quarterly_tables: Vec<QuarterlyTable>,
    pub charts: Vec<Chart>,
    pub commentary: Vec<Sentence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub threshold: i64,
    pub marker: String,
}

/// One line of the indicator table.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub indicator_id: String,
    /// The number shown in the No. column: on the first row of an indicator.
    pub number: Option<String>,
    pub title: String,
    pub breakdown: String,
    pub category: String,
    pub category_order: i64,
    /// `All` rows of indicators without a breakdown.
    pub is_headline: bool,
    pub polarity: String,
    pub data_note: String,
    pub month: Option<Figure>,
    pub month_percent: Option<Figure>,
    pub dot: Option<String>,
    pub dot_judgement: Option<String>,
    pub rag: Option<String>,
    pub target: Option<f64>,
    pub tolerance: Option<f64>,
    pub quarter: Option<Figure>,
    pub year_to_date: Option<Figure>,
    pub previous_fy_2: Option<Figure>,
    pub previous_fy_1: Option<Figure>,
    /// Not shown in the table; the commentary compares quarters.
    #[serde(skip)]
    pub previous_quarter: Option<Figure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuarterlyTable {
    pub table_id: String,
    pub title: String,
    /// `Q1 2018/19` ... `Q4 2018/19`, then `Total to date`.
    pub columns: Vec<String>,
    pub rows: Vec<QuarterlyLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuarterlyLine {
    pub category: String,
    pub category_order: i64,
    pub is_total: bool,
    /// One per column: number and percent.
    pub values: Vec<Option<Figure>>,
    pub percents: Vec<Option<Figure>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub labels: Vec<String>,
    pub series: Vec<ChartSeries>,
    /// The chart drawn as inline SVG (not in report.json).
    #[serde(skip)]
    pub svg: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChartSeries {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sentence {
    pub id: String,
    pub paragraph: String,
    pub text: String,
}

/// Run facts the header needs.
#[derive(Debug, Clone)]
pub struct RunFacts {
    pub service: String,
    pub run_id: String,
    pub run_date: String,
    pub extract_date: String,
}

fn shown(value: Option<i64>) -> Option<Figure> {
    value.map(Figure::Count)
}

fn percent(value: Option<f64>) -> Option<Figure> {
    value.map(Figure::Percent)
}

/// A cell after suppression: the count, the marker, or empty.
fn cell_figure(cell: &Cell, marker: &str) -> Option<Figure> {
    match cell {
        Cell::Empty => None,
        Cell::Shown(v) => Some(Figure::Count(*v)),
        _ => Some(Figure::Marker(marker.to_string())),
    }
}

/// The percent of a cell: suppressed with it.
fn cell_percent(cell: &Cell, value: Option<f64>, marker: &str) -> Option<Figure> {
    if cell.is_suppressed() {
        Some(Figure::Marker(marker.to_string()))
    } else {
        value.map(Figure::Percent)
    }
}

/// The indicator rows, internal (every figure) or public (suppressed).
pub fn indicator_rows(tables: &ReportTables, public: Option<&PublicConfig>) -> Vec<IndicatorRow> {
    let mut rows: Vec<IndicatorRow> = Vec::new();
    let mut previous_id = String::new();
    for row in &tables.summary {
        let first = row.indicator_id != previous_id;
        previous_id = row.indicator_id.clone();
        rows.push(IndicatorRow {
            indicator_id: row.indicator_id.clone(),
            number: first.then(|| display_number(&row.indicator_id)),
            title: row.indicator_title.clone(),
            breakdown: row.breakdown.clone(),
            category: row.category.clone(),
            category_order: row.category_order,
            is_headline: row.breakdown == "total",
            polarity: row.polarity.clone(),
            data_note: row.data_note.clone().unwrap_or_default(),
            month: shown(row.month_value),
            month_percent: percent(row.month_percent),
            dot: row.dot.clone(),
            dot_judgement: row.dot_judgement.clone(),
            rag: row.rag.clone(),
            target: row.target,
            tolerance: row.tolerance,
            quarter: shown(row.quarter_value),
            year_to_date: shown(row.year_to_date_value),
            previous_fy_2: shown(row.previous_fy_2_value),
            previous_fy_1: shown(row.previous_fy_1_value),
            previous_quarter: shown(row.previous_quarter_value),
        });
    }
    if let Some(public) = public {
        suppress_indicators(&tables.summary, &mut rows, public);
    }
    rows
}

/// `1a_families` is shown as `1a` on its own line in the seed; others as is.
fn display_number(id: &str) -> String {
    id.split('_').next().unwrap_or(id).to_string()
}

/// The count columns of the summary, with how to read and write each.
type Getter = fn(&SummaryRow) -> Option<i64>;
type Slot = fn(&mut IndicatorRow) -> (&mut Option<Figure>, Option<&mut Option<Figure>>);

fn summary_columns() -> Vec<(Getter, Slot)> {
    vec![
        (
            |r| r.month_value,
            |r| (&mut r.month, Some(&mut r.month_percent)),
        ),
        (|r| r.quarter_value, |r| (&mut r.quarter, None)),
        (|r| r.year_to_date_value, |r| (&mut r.year_to_date, None)),
        (|r| r.previous_fy_2_value, |r| (&mut r.previous_fy_2, None)),
        (|r| r.previous_fy_1_value, |r| (&mut r.previous_fy_1, None)),
        (
            |r| r.previous_quarter_value,
            |r| (&mut r.previous_quarter, None),
        ),
    ]
}

/// Public variant of the indicator rows. Each breakdown (the categories of
/// one indicator) is a group per column, whose total is the breakdown's
/// parent (published as a headline indicator, equal to the sum: the run's
/// check_breakdown_sums proves it). Headline rows named in `totals` are
/// totals and shown as they are; other headline counts are suppressed when
/// small, alone. The month's DOT is hidden where either month it compares
/// is suppressed.
fn suppress_indicators(summary: &[SummaryRow], rows: &mut [IndicatorRow], public: &PublicConfig) {
    let marker = public.marker.as_str();
    let mut start = 0;
    while start < summary.len() {
        let id = &summary[start].indicator_id;
        let end = start
            + summary[start..]
                .iter()
                .take_while(|r| &r.indicator_id == id)
                .count();
        let headline = summary[start].breakdown == "total";
        let is_total = headline && public.totals.iter().any(|t| t == id);
        let mut month_suppressed = vec![false; end - start];
        let mut previous_month_suppressed = vec![false; end - start];
        if !is_total {
            for (column, (get, slot)) in summary_columns().into_iter().enumerate() {
                let values: Vec<Option<i64>> = summary[start..end].iter().map(get).collect();
                let true_total = values.iter().flatten().sum::<i64>();
                let total = (!headline && values.iter().any(Option::is_some)).then_some(true_total);
                let group = suppress_group(&values, total, public.threshold);
                for (offset, cell) in group.cells.iter().enumerate() {
                    let row = &mut rows[start + offset];
                    let (figure, percent_slot) = slot(row);
                    *figure = cell_figure(cell, marker);
                    if let Some(percent_slot) = percent_slot {
                        let value = summary[start + offset].month_percent;
                        *percent_slot = cell_percent(cell, value, marker);
                    }
                    if column == 0 {
                        month_suppressed[offset] = cell.is_suppressed();
                    }
                }
            }
            let previous: Vec<Option<i64>> = summary[start..end]
                .iter()
                .map(|r| r.previous_month_value)
                .collect();
            let total = (!headline).then(|| previous.iter().flatten().sum::<i64>());
            let group = suppress_group(&previous, total, public.threshold);
            for (offset, cell) in group.cells.iter().enumerate() {
                previous_month_suppressed[offset] = cell.is_suppressed();
            }
        }
        for offset in 0..end - start {
            if month_suppressed[offset] || previous_month_suppressed[offset] {
                let row = &mut rows[start + offset];
                row.dot = None;
                row.dot_judgement = None;
            }
        }
        start = end;
    }
}

/// The quarterly tables 13-17; the public variant suppresses each column
/// of each table as a group whose total is the table's Total row.
pub fn quarterly_tables(
    tables: &ReportTables,
    public: Option<&PublicConfig>,
) -> Vec<QuarterlyTable> {
    let mut out: Vec<QuarterlyTable> = Vec::new();
    let mut ids: Vec<&str> = tables
        .quarterly
        .iter()
        .map(|r| r.table_id.as_str())
        .collect();
    ids.dedup();
    let quarter_labels = quarter_labels(tables);
    for id in ids {
        let rows: Vec<&QuarterlyRow> = tables
            .quarterly
            .iter()
            .filter(|r| r.table_id == id)
            .collect();
        let mut lines: Vec<QuarterlyLine> = rows
            .iter()
            .map(|r| QuarterlyLine {
                category: r.category.clone(),
                category_order: r.category_order,
                is_total: r.is_total(),
                values: r.values().iter().map(|v| shown(*v)).collect(),
                percents: r.percents().iter().map(|v| percent(*v)).collect(),
            })
            .collect();
        if let Some(public) = public {
            let total_row = rows.iter().find(|r| r.is_total());
            for column in 0..5 {
                let members: Vec<usize> =
                    (0..rows.len()).filter(|i| !rows[*i].is_total()).collect();
                let values: Vec<Option<i64>> =
                    members.iter().map(|i| rows[*i].values()[column]).collect();
                let total = total_row.and_then(|t| t.values()[column]);
                let group = suppress_group(&values, total, public.threshold);
                for (k, cell) in group.cells.iter().enumerate() {
                    let i = members[k];
                    lines[i].values[column] = cell_figure(cell, &public.marker);
                    lines[i].percents[column] =
                        cell_percent(cell, rows[i].percents()[column], &public.marker);
                }
                if let Some(t) = rows.iter().position(|r| r.is_total()) {
                    lines[t].values[column] = cell_figure(&group.total, &public.marker);
                    lines[t].percents[column] =
                        cell_percent(&group.total, rows[t].percents()[column], &public.marker);
                }
            }
        }
        out.push(QuarterlyTable {
            table_id: id.to_string(),
            title: rows[0].table_title.clone(),
            columns: quarter_labels.clone(),
            rows: lines,
        });
    }
    out
}

/// `Q1 2018/19` .. `Q4 2018/19`, `Total to date`, from the summary's
/// year-to-date label (`2018/19 to date`).
fn quarter_labels(tables: &ReportTables) -> Vec<String> {
    let fy = tables
        .summary
        .first()
        .map(|r| {
            r.year_to_date_label
                .trim_end_matches(" to date")
                .to_string()
        })
        .unwrap_or_default();
    let mut labels: Vec<String> = (1..=4).map(|q| format!("Q{q} {fy}")).collect();
    labels.push("Total to date".into());
    labels
}
