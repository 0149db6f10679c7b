//! The commentary: sentences written as templates in a file
//! (`pipelines/report/commentary.toml`), filled with figures looked up in
//! the report's own rows. A sentence that uses a figure the report does not
//! have (a quarter not started, a suppressed count in the public variant)
//! fails to render in strict mode and is left out, never printed with a
//! blank.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Deserialize;

use super::model::{Figure, IndicatorRow, QuarterlyTable, Sentence};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentaryFile {
    pub sentences: Vec<SentenceTemplate>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentenceTemplate {
    pub id: String,
    /// Sentences with the same paragraph name are printed together, in
    /// file order.
    pub paragraph: String,
    pub text: String,
}

pub fn load(path: &Path) -> Result<CommentaryFile> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
        path: path.display().to_string(),
        message: format!("cannot read the commentary templates: {e}"),
    })?;
    toml::from_str(&text).map_err(|e| Error::Config {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Named figures the templates may use (docs/report.md lists them). Only
/// figures the rows really hold are present.
pub fn figures(
    indicators: &[IndicatorRow],
    quarterly: &[QuarterlyTable],
    labels: &[(&str, &str)],
) -> BTreeMap<String, Value> {
    let mut f: BTreeMap<String, Value> = BTreeMap::new();
    for (name, label) in labels {
        if !label.is_empty() {
            f.insert((*name).into(), Value::from(*label));
        }
    }
    let count = |id: &str, category: &str, pick: fn(&IndicatorRow) -> &Option<Figure>| {
        indicators
            .iter()
            .find(|r| r.indicator_id == id && r.category == category)
            .and_then(|r| pick(r).as_ref())
            .and_then(Figure::count)
    };
    let put = |f: &mut BTreeMap<String, Value>, name: &str, value: Option<i64>| {
        if let Some(v) = value {
            f.insert(name.into(), Value::from(v));
        }
    };
    fn month(r: &IndicatorRow) -> &Option<Figure> {
        &r.month
    }
    fn quarter(r: &IndicatorRow) -> &Option<Figure> {
        &r.quarter
    }
    fn previous_quarter(r: &IndicatorRow) -> &Option<Figure> {
        &r.previous_quarter
    }

    let new_q = count("1a", "All", quarter);
    let new_pq = count("1a", "All", previous_quarter);
    put(&mut f, "new_children_month", count("1a", "All", month));
    put(&mut f, "new_children_quarter", new_q);
    put(
        &mut f,
        "new_families_quarter",
        count("1a_families", "All", quarter),
    );
    put(&mut f, "new_children_previous_quarter", new_pq);
    if let (Some(q), Some(p)) = (new_q, new_pq) {
        f.insert(
            "new_children_quarter_change".into(),
            Value::from((q - p).abs()),
        );
        let direction = match q.cmp(&p) {
            std::cmp::Ordering::Greater => "an increase",
            std::cmp::Ordering::Less => "a decrease",
            std::cmp::Ordering::Equal => "no change",
        };
        f.insert(
            "new_children_quarter_direction".into(),
            Value::from(direction),
        );
    }
    let previous_episode = count("1b", "All", quarter);
    put(
        &mut f,
        "previous_episode_children_quarter",
        previous_episode,
    );
    if let (Some(part), Some(whole)) = (previous_episode, new_q) {
        insert_share(&mut f, "previous_episode_share_quarter", part, whole);
    }

    // The locality with most new children this quarter (3), shown counts only.
    let largest = indicators
        .iter()
        .filter(|r| r.indicator_id == "3")
        .filter_map(|r| r.quarter.as_ref().and_then(Figure::count).map(|v| (v, r)))
        .max_by_key(|(v, r)| (*v, std::cmp::Reverse(r.category.clone())));
    if let (Some((value, row)), Some(whole)) = (largest, new_q) {
        if value > 0 {
            f.insert("largest_locality".into(), Value::from(row.category.clone()));
            put(&mut f, "largest_locality_children_quarter", Some(value));
            insert_share(&mut f, "largest_locality_share_quarter", value, whole);
        }
    }

    put(&mut f, "active_children", count("6", "All", month));
    put(&mut f, "resolved_month", count("7", "All", month));
    put(&mut f, "resolved_quarter", count("7", "All", quarter));
    put(&mut f, "removal_authorised", count("8", "All", month));

    // Cases open 13 months or more (12): both long bands must be shown.
    let long = ["13-18 months", "over 18 months"]
        .iter()
        .map(|c| count("12", c, month))
        .collect::<Option<Vec<i64>>>();
    put(&mut f, "open_13_months_plus", long.map(|v| v.iter().sum()));

    // The two main closure outcomes of the year to date (table 17).
    if let Some(table) = quarterly.iter().find(|t| t.table_id == "17") {
        let total_column = table.columns.len() - 1;
        let mut outcomes: Vec<(i64, &str, Option<f64>)> = table
            .rows
            .iter()
            .filter(|r| !r.is_total)
            .filter_map(|r| {
                let value = r.values[total_column].as_ref()?.count()?;
                let percent = r.percents[total_column].as_ref().and_then(Figure::number);
                Some((value, r.category.as_str(), percent))
            })
            .filter(|(v, _, _)| *v > 0)
            .collect();
        outcomes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        for (rank, (value, name, percent)) in outcomes.iter().take(2).enumerate() {
            let n = rank + 1;
            f.insert(format!("closure_outcome_{n}"), Value::from(*name));
            f.insert(format!("closure_outcome_{n}_count"), Value::from(*value));
            if let Some(p) = percent {
                f.insert(
                    format!("closure_outcome_{n}_share"),
                    Value::from(format!("{p:.1}")),
                );
            }
        }
        if let Some(total) = table
            .rows
            .iter()
            .find(|r| r.is_total)
            .and_then(|r| r.values[total_column].as_ref()?.count())
        {
            f.insert("closed_year_to_date".into(), Value::from(total));
        }
    }
    f
}

/// `part` as a percent of `whole`, one decimal, as text ("58.5").
fn insert_share(f: &mut BTreeMap<String, Value>, name: &str, part: i64, whole: i64) {
    if whole > 0 {
        let share = (1000.0 * part as f64 / whole as f64).round() / 10.0;
        f.insert(name.into(), Value::from(format!("{share:.1}")));
    }
}

/// Renders every sentence whose figures exist.
pub fn render(file: &CommentaryFile, figures: &BTreeMap<String, Value>) -> Result<Vec<Sentence>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let context = Value::from_serialize(figures);
    let mut out = Vec::new();
    for sentence in &file.sentences {
        let template = env
            .template_from_str(&sentence.text)
            .map_err(|e| Error::Config {
                path: "commentary".into(),
                message: format!("sentence `{}`: {e}", sentence.id),
            })?;
        match template.render(&context) {
            Ok(text) => {
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if !text.is_empty() {
                    out.push(Sentence {
                        id: sentence.id.clone(),
                        paragraph: sentence.paragraph.clone(),
                        text,
                    });
                }
            }
            Err(e) if e.kind() == minijinja::ErrorKind::UndefinedError => {
                tracing::debug!(sentence = %sentence.id, "left out: a figure it quotes is missing");
            }
            Err(e) => {
                return Err(Error::Config {
                    path: "commentary".into(),
                    message: format!("sentence `{}`: {e}", sentence.id),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(sentences: &[(&str, &str)]) -> CommentaryFile {
        CommentaryFile {
            sentences: sentences
                .iter()
                .map(|(id, text)| SentenceTemplate {
                    id: id.to_string(),
                    paragraph: "p".into(),
                    text: text.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_sentence_quoting_a_missing_figure_is_left_out() {
        let figures: BTreeMap<String, Value> =
            [("active_children".to_string(), Value::from(210))].into();
        let sentences = render(
            &file(&[
                ("a", "There were {{ active_children }} active cases."),
                ("b", "And {{ resolved_quarter }} resolved."),
                (
                    "c",
                    "Both: {{ active_children }} and {{ resolved_quarter }}.",
                ),
            ]),
            &figures,
        )
        .unwrap();
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["There were 210 active cases."]);
    }

    #[test]
    fn a_broken_template_is_a_configuration_error() {
        let err = render(&file(&[("x", "{% if %}")]), &BTreeMap::new()).unwrap_err();
        assert!(err.to_string().contains("sentence `x`"), "{err}");
    }

    #[test]
    fn shares_have_one_decimal() {
        let mut f = BTreeMap::new();
        insert_share(&mut f, "s", 110, 188);
        insert_share(&mut f, "t", 1, 3);
        insert_share(&mut f, "z", 1, 0);
        assert_eq!(f["s"].as_str(), Some("58.5"));
        assert_eq!(f["t"].as_str(), Some("33.3"));
        assert!(!f.contains_key("z"));
    }
}
