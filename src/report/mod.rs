//! The performance summary report: `report.html`, `report.json` and the
//! public variant with small-number suppression, all computed from the
//! published tables of a run (docs/report.md).
//!
//! Flow: [`tables`] reads the run's tables back; [`model`] lays them out
//! as the report's data (suppressing for the public variant); [`commentary`]
//! fills the sentence templates with figures of that data; [`charts`] draws
//! SVG; the page template (`pipelines/report/report.html.j2`) renders it.
//! [`public_tables`] writes the suppressed Parquet tables.

pub mod charts;
pub mod commentary;
pub mod model;
pub mod public_tables;
pub mod suppress;
pub mod tables;

use std::path::Path;

use minijinja::{Environment, Value};
use serde::Serialize;

use crate::config::PipelineConfig;
use crate::error::{Error, Result};
use model::{Chart, ChartSeries, Figure, Report, RunFacts, Suppression, Variant};
use tables::ReportTables;

/// Builds the report's content for one variant.
pub fn build(
    config: &PipelineConfig,
    tables: &ReportTables,
    facts: &RunFacts,
    variant: Variant,
) -> Result<Report> {
    let public = (variant == Variant::Public).then_some(&config.report.public);
    let indicators = model::indicator_rows(tables, public);
    let quarterly_tables = model::quarterly_tables(tables, public);
    let first = tables.summary.first();
    let label =
        |pick: fn(&tables::SummaryRow) -> &String| first.map(pick).cloned().unwrap_or_default();
    let month_label = label(|r| &r.month_label);
    let quarter_label = label(|r| &r.quarter_label);
    let year_to_date_label = label(|r| &r.year_to_date_label);
    let figures = commentary::figures(
        &indicators,
        &quarterly_tables,
        &[
            ("month_label", &month_label),
            ("quarter_label", &quarter_label),
            ("year_to_date_label", &year_to_date_label),
        ],
    );
    let sentences = commentary::load(&config.resolve(&config.report.commentary))?;
    let commentary = commentary::render(&sentences, &figures)?;
    let charts = build_charts(
        tables,
        &quarterly_tables,
        &indicators,
        &config.report.public.marker,
    );
    Ok(Report {
        schema: "cme-report/1",
        variant,
        service: facts.service.clone(),
        title: format!("Performance Summary - Children Missing Education - {month_label}"),
        reporting_period: first
            .map(|r| r.reporting_period.clone())
            .unwrap_or_default(),
        month_label,
        quarter_label,
        year_to_date_label,
        previous_fy_2_label: label(|r| &r.previous_fy_2_label),
        previous_fy_1_label: label(|r| &r.previous_fy_1_label),
        run_id: facts.run_id.clone(),
        run_date: facts.run_date.clone(),
        extract_date: facts.extract_date.clone(),
        suppression: public.map(|p| Suppression {
            threshold: p.threshold,
            marker: p.marker.clone(),
        }),
        indicators,
        quarterly_tables,
        charts,
        commentary,
    })
}

/// The four charts of the report, from the (possibly suppressed) rows.
fn build_charts(
    tables: &ReportTables,
    quarterly: &[model::QuarterlyTable],
    indicators: &[model::IndicatorRow],
    marker: &str,
) -> Vec<Chart> {
    let mut out = Vec::new();
    // Ethnicity of current cases by quarter (table 14), 100% stacked. In the
    // public variant the suppressed cells of a quarter are drawn together as
    // one segment: their sum is the total minus the shown cells, which the
    // table already gives away.
    if let Some(table) = quarterly.iter().find(|t| t.table_id == "14") {
        let quarters = 4.min(table.columns.len());
        let labels: Vec<String> = table.columns[..quarters].to_vec();
        let members: Vec<&model::QuarterlyLine> =
            table.rows.iter().filter(|r| !r.is_total).collect();
        let mut series: Vec<ChartSeries> = members
            .iter()
            .map(|line| ChartSeries {
                name: line.category.clone(),
                values: (0..quarters)
                    .map(|q| line.values[q].as_ref().and_then(Figure::number))
                    .collect(),
            })
            .collect();
        let total = table.rows.iter().find(|r| r.is_total);
        let hidden: Vec<Option<f64>> = (0..quarters)
            .map(|q| {
                let total = total?.values[q].as_ref()?.number()?;
                let shown: f64 = series.iter().filter_map(|s| s.values[q]).sum();
                let any_hidden = members
                    .iter()
                    .any(|l| matches!(l.values[q], Some(Figure::Marker(_))));
                (any_hidden && total > shown).then_some(total - shown)
            })
            .collect();
        if hidden.iter().any(Option::is_some) {
            series.push(ChartSeries {
                name: format!("Small numbers ({marker})"),
                values: hidden,
            });
        }
        let title = "Ethnicity of current cases by quarter";
        let svg = charts::stacked_100_bars(title, &labels, &to_series(&series));
        out.push(chart(
            "ethnicity_by_quarter",
            title,
            "stacked_100_bars",
            labels,
            series,
            svg,
        ));
    }
    // New referrals and active cases over 13 months (monthly_series: the
    // totals of 1a and 6, shown in both variants).
    if !tables.months.is_empty() {
        let labels: Vec<String> = tables
            .months
            .iter()
            .map(|m| m.month_label.clone())
            .collect();
        let series = vec![
            ChartSeries {
                name: "New children referred (1a)".into(),
                values: tables
                    .months
                    .iter()
                    .map(|m| Some(m.new_children as f64))
                    .collect(),
            },
            ChartSeries {
                name: "Active cases at month end (6)".into(),
                values: tables
                    .months
                    .iter()
                    .map(|m| Some(m.active_children as f64))
                    .collect(),
            },
        ];
        let title = "New referrals and active cases, last 13 months";
        let s = to_series(&series);
        let svg = charts::bars_and_line(title, &labels, &s[0], &s[1]);
        out.push(chart(
            "monthly_trend",
            title,
            "bars_and_line",
            labels,
            series,
            svg,
        ));
    }
    // Time open of current cases (12, month).
    let time_open: Vec<&model::IndicatorRow> = indicators
        .iter()
        .filter(|r| r.indicator_id == "12")
        .collect();
    if !time_open.is_empty() {
        let labels: Vec<String> = time_open.iter().map(|r| r.category.clone()).collect();
        let values: Vec<Option<f64>> = time_open
            .iter()
            .map(|r| r.month.as_ref().and_then(Figure::number))
            .collect();
        let title = "Current cases by time open";
        let svg = charts::horizontal_bars(title, &labels, &values, "");
        let series = vec![ChartSeries {
            name: "Current cases".into(),
            values,
        }];
        out.push(chart(
            "time_open",
            title,
            "horizontal_bars",
            labels,
            series,
            svg,
        ));
    }
    // Closure outcomes of the year to date (table 17), as percentages.
    if let Some(table) = quarterly.iter().find(|t| t.table_id == "17") {
        let last = table.columns.len() - 1;
        let lines: Vec<&model::QuarterlyLine> = table.rows.iter().filter(|r| !r.is_total).collect();
        let labels: Vec<String> = lines.iter().map(|l| l.category.clone()).collect();
        let values: Vec<Option<f64>> = lines
            .iter()
            .map(|l| l.percents[last].as_ref().and_then(Figure::number))
            .collect();
        let title = "Closure outcomes, year to date (% of closed cases)";
        let svg = charts::horizontal_bars(title, &labels, &values, "%");
        let series = vec![ChartSeries {
            name: "Share of closed cases (%)".into(),
            values,
        }];
        out.push(chart(
            "closure_outcomes",
            title,
            "horizontal_bars",
            labels,
            series,
            svg,
        ));
    }
    out
}

fn to_series(series: &[ChartSeries]) -> Vec<charts::Series> {
    series
        .iter()
        .map(|s| charts::Series {
            name: s.name.clone(),
            values: s.values.clone(),
        })
        .collect()
}

fn chart(
    id: &str,
    title: &str,
    kind: &str,
    labels: Vec<String>,
    series: Vec<ChartSeries>,
    svg: String,
) -> Chart {
    Chart {
        id: id.into(),
        title: title.into(),
        kind: kind.into(),
        labels,
        series,
        svg,
    }
}

#[derive(Serialize)]
struct Paragraph<'a> {
    name: &'a str,
    sentences: Vec<&'a model::Sentence>,
}

/// Renders the page with the configured template.
pub fn render_html(report: &Report, template: &Path) -> Result<String> {
    let source = std::fs::read_to_string(template).map_err(|e| Error::Config {
        path: template.display().to_string(),
        message: format!("cannot read the report template: {e}"),
    })?;
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("fig", format_figure);
    // Targets and tolerances: 200 rather than 200.0, 2.5 as is.
    env.add_filter("plain", |number: f64| {
        let text = format!("{number:.1}");
        text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
    });
    env.add_filter("arrow", |dot: String| match dot.as_str() {
        "up" => "\u{25B2}",
        "down" => "\u{25BC}",
        _ => "\u{25B6}",
    });
    env.add_filter("judgement", |judgement: Option<String>| {
        match judgement.as_deref() {
            Some("better") => "better",
            Some("worse") => "worse",
            _ => "none",
        }
    });
    env.add_template("report", &source)
        .map_err(|e| Error::Config {
            path: template.display().to_string(),
            message: e.to_string(),
        })?;
    let mut paragraphs: Vec<Paragraph> = Vec::new();
    for sentence in &report.commentary {
        match paragraphs.iter_mut().find(|p| p.name == sentence.paragraph) {
            Some(p) => p.sentences.push(sentence),
            None => paragraphs.push(Paragraph {
                name: &sentence.paragraph,
                sentences: vec![sentence],
            }),
        }
    }
    let charts: Vec<Value> = report
        .charts
        .iter()
        .map(|c| {
            Value::from_serialize(serde_json::json!({"id": c.id, "title": c.title, "svg": c.svg}))
        })
        .collect();
    let mut context = serde_json::to_value(report).map_err(|e| Error::internal("report", e))?;
    let object = context.as_object_mut().expect("a report is an object");
    object.insert(
        "paragraphs".into(),
        serde_json::to_value(&paragraphs).map_err(|e| Error::internal("report", e))?,
    );
    object.insert(
        "tool".into(),
        format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")).into(),
    );
    let mut context = Value::from_serialize(&context);
    // Charts carry their SVG, which report.json leaves out.
    context = minijinja::context! { charts => charts, ..context };
    env.get_template("report")
        .and_then(|t| t.render(context))
        .map_err(|e| Error::Config {
            path: template.display().to_string(),
            message: format!("rendering the report: {e:#}"),
        })
}

/// A figure as the page shows it: counts as integers, percents with one
/// decimal, the marker as is, empty as nothing.
fn format_figure(value: Value) -> String {
    if value.is_none() || value.is_undefined() {
        return String::new();
    }
    if let Some(text) = value.as_str() {
        return text.to_string();
    }
    if let Ok(integer) = i64::try_from(value.clone()) {
        if value.is_integer() {
            return integer.to_string();
        }
    }
    match f64::try_from(value.clone()) {
        Ok(number) => format!("{number:.1}"),
        Err(_) => value.to_string(),
    }
}

/// report.json: the report's content as data.
pub fn to_json(report: &Report) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(report).map_err(|e| Error::internal("report.json", e))
}
