//! Inline SVG charts for the report: small, deterministic, no scripts.
//!
//! Each chart is a string of SVG with a fixed viewBox (it scales with the
//! page), `role="img"`, a `<title>` and `<desc>`, and a `<title>` on every
//! mark so a browser shows the label and value on hover. Colours are the
//! Okabe-Ito palette, readable in print and by colour-blind readers;
//! categories beyond it cycle through greys. Empty values (None) are gaps,
//! never zeros.

use std::fmt::Write;

/// One named series of values (None: no figure).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];
const GREYS: [&str; 4] = ["#999999", "#BBBBBB", "#777777", "#DDDDDD"];
const FONT: &str = "font-family=\"system-ui, sans-serif\" font-size=\"11\"";

fn colour(i: usize) -> &'static str {
    if i < PALETTE.len() {
        PALETTE[i]
    } else {
        GREYS[(i - PALETTE.len()) % GREYS.len()]
    }
}

/// XML text and attribute escaping.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// A number with at most one decimal, without a trailing `.0`.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10^k at or above `v` (1 for v <= 0), so
/// an axis ends on a round number: 7 -> 10, 188 -> 200, 0.3 -> 0.5.
pub fn nice_max(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        let candidate = step * magnitude;
        if candidate >= v - 1e-9 {
            return candidate;
        }
    }
    10.0 * magnitude
}

/// Gridline intervals for an axis ending at a nice maximum, so every
/// label is round: 200 -> 4 (50s), 250 -> 5 (50s), 100 -> 5 (20s), 500 -> 5.
fn axis_intervals(top: f64) -> u32 {
    let magnitude = 10f64.powf(top.log10().floor());
    let leading = (top / magnitude * 10.0).round() / 10.0;
    if leading == 2.0 { 4 } else { 5 }
}

fn open(out: &mut String, width: u32, height: u32, title: &str, desc: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" {FONT}><title>{}</title><desc>{}</desc>",
        escape(title),
        escape(desc)
    );
    let _ = write!(
        out,
        "<text x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"600\">{}</text>",
        escape(title)
    );
}

fn legend(out: &mut String, x: f64, y: f64, items: &[(String, &str, bool)]) {
    for (i, (name, fill, line)) in items.iter().enumerate() {
        let yy = y + i as f64 * 15.0;
        if *line {
            let _ = write!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{fill}\" stroke-width=\"2\"/>",
                num(x),
                num(yy + 5.0),
                num(x + 10.0),
                num(yy + 5.0)
            );
        } else {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{fill}\"/>",
                num(x),
                num(yy)
            );
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            num(x + 14.0),
            num(yy + 9.0),
            escape(name)
        );
    }
}

/// 100% stacked vertical bars: one bar per label, each series a segment
/// scaled to the bar's own total. A bar with no figures (or a total of 0)
/// is an empty slot marked "no data".
pub fn stacked_100_bars(title: &str, bar_labels: &[String], series: &[Series]) -> String {
    let (width, height) = (560u32, 320u32);
    let (left, top, plot_w, plot_h) = (40.0, 30.0, 300.0, 250.0);
    let mut out = String::new();
    open(
        &mut out,
        width,
        height,
        title,
        "Share of each category in each bar, as a percentage of the bar's total",
    );
    for k in 0..=4 {
        let y = top + plot_h - plot_h * k as f64 / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}%</text>",
            num(left),
            num(y),
            num(left + plot_w),
            num(y),
            num(left - 4.0),
            num(y + 4.0),
            k * 25
        );
    }
    let slot = plot_w / bar_labels.len().max(1) as f64;
    let bar_w = slot * 0.6;
    for (b, label) in bar_labels.iter().enumerate() {
        let x = left + slot * b as f64 + (slot - bar_w) / 2.0;
        let total: f64 = series
            .iter()
            .filter_map(|s| s.values.get(b).copied().flatten())
            .filter(|v| *v > 0.0)
            .sum();
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            num(x + bar_w / 2.0),
            num(top + plot_h + 14.0),
            escape(label)
        );
        if total <= 0.0 {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777\">no data</text>",
                num(x + bar_w / 2.0),
                num(top + plot_h - 6.0)
            );
            continue;
        }
        let mut y = top + plot_h;
        for (s, one) in series.iter().enumerate() {
            let Some(value) = one.values.get(b).copied().flatten().filter(|v| *v > 0.0) else {
                continue;
            };
            let h = plot_h * value / total;
            y -= h;
            let _ = write!(
                out,
                "<rect data-bar=\"{b}\" data-series=\"{s}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {} ({}%)</title></rect>",
                num(x),
                num(y),
                num(bar_w),
                num(h),
                colour(s),
                escape(&format!("{label}, {}", one.name)),
                num(value),
                num(100.0 * value / total)
            );
        }
    }
    let items: Vec<(String, &str, bool)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), colour(i), false))
        .collect();
    legend(&mut out, left + plot_w + 20.0, top, &items);
    out.push_str("</svg>");
    out
}

/// Vertical bars for one series and a line with points for another, on
/// one axis from 0 to a round maximum. None is a gap in either.
pub fn bars_and_line(title: &str, x_labels: &[String], bars: &Series, line: &Series) -> String {
    let (width, height) = (560u32, 320u32);
    let (left, top, plot_w, plot_h) = (40.0, 30.0, 500.0, 215.0);
    let mut out = String::new();
    open(
        &mut out,
        width,
        height,
        title,
        &format!(
            "{} as bars and {} as a line, by month",
            bars.name, line.name
        ),
    );
    let max = bars
        .values
        .iter()
        .chain(&line.values)
        .flatten()
        .fold(0.0f64, |a, b| a.max(*b));
    let top_value = nice_max(max);
    let y_of = |v: f64| top + plot_h - plot_h * v / top_value;
    let intervals = axis_intervals(top_value);
    for k in 0..=intervals {
        let v = top_value * k as f64 / intervals as f64;
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            num(left),
            num(y_of(v)),
            num(left + plot_w),
            num(y_of(v)),
            num(left - 4.0),
            num(y_of(v) + 4.0),
            num(v)
        );
    }
    let n = x_labels.len().max(1);
    let slot = plot_w / n as f64;
    let bar_w = slot * 0.6;
    for (i, label) in x_labels.iter().enumerate() {
        let cx = left + slot * i as f64 + slot / 2.0;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" transform=\"rotate(-45 {} {})\">{}</text>",
            num(cx),
            num(top + plot_h + 12.0),
            num(cx),
            num(top + plot_h + 12.0),
            escape(label)
        );
        if let Some(v) = bars.values.get(i).copied().flatten() {
            let h = (plot_h * v / top_value).max(0.0);
            let _ = write!(
                out,
                "<rect data-bar=\"{i}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
                num(cx - bar_w / 2.0),
                num(top + plot_h - h),
                num(bar_w),
                num(h),
                PALETTE[0],
                escape(&format!("{label}, {}", bars.name)),
                num(v)
            );
        }
    }
    // The line: one path per run of consecutive figures.
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, value) in line.values.iter().enumerate() {
        let cx = left + slot * i as f64 + slot / 2.0;
        match value {
            Some(v) => runs.last_mut().expect("one run").push((cx, y_of(*v))),
            None => runs.push(Vec::new()),
        }
    }
    for run in runs.iter().filter(|r| !r.is_empty()) {
        let d: Vec<String> = run
            .iter()
            .enumerate()
            .map(|(k, (x, y))| format!("{}{} {}", if k == 0 { "M" } else { "L" }, num(*x), num(*y)))
            .collect();
        let _ = write!(
            out,
            "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
            d.join(" "),
            PALETTE[3]
        );
    }
    for (i, value) in line.values.iter().enumerate() {
        if let Some(v) = value {
            let cx = left + slot * i as f64 + slot / 2.0;
            let label = x_labels.get(i).map(String::as_str).unwrap_or("");
            let _ = write!(
                out,
                "<circle data-point=\"{i}\" cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"><title>{}: {}</title></circle>",
                num(cx),
                num(y_of(*v)),
                PALETTE[3],
                escape(&format!("{label}, {}", line.name)),
                num(*v)
            );
        }
    }
    legend(
        &mut out,
        left + 10.0,
        height as f64 - 18.0,
        &[(bars.name.clone(), PALETTE[0], false)],
    );
    legend(
        &mut out,
        left + 260.0,
        height as f64 - 18.0,
        &[(line.name.clone(), PALETTE[3], true)],
    );
    out.push_str("</svg>");
    out
}

/// Horizontal bars with the value printed at the end of each bar; a bar
/// with no figure shows "-".
pub fn horizontal_bars(
    title: &str,
    labels: &[String],
    values: &[Option<f64>],
    value_suffix: &str,
) -> String {
    let row_h = 20.0;
    let (left, top, plot_w) = (270.0, 30.0, 240.0);
    let width = 560u32;
    let height = (top + row_h * labels.len() as f64 + 10.0).ceil() as u32;
    let mut out = String::new();
    open(
        &mut out,
        width,
        height,
        title,
        "One bar per category; the value is printed after each bar",
    );
    let max = values.iter().flatten().fold(0.0f64, |a, b| a.max(*b));
    let scale = if max > 0.0 { plot_w / max } else { 0.0 };
    for (i, label) in labels.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            num(left - 6.0),
            num(y + 13.0),
            escape(label)
        );
        match values.get(i).copied().flatten() {
            Some(v) => {
                let w = (v * scale).max(0.0);
                let _ = write!(
                    out,
                    "<rect data-row=\"{i}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}{}</title></rect><text x=\"{}\" y=\"{}\">{}{}</text>",
                    num(left),
                    num(y + 3.0),
                    num(w),
                    num(row_h - 6.0),
                    PALETTE[0],
                    escape(label),
                    num(v),
                    escape(value_suffix),
                    num(left + w + 4.0),
                    num(y + 13.0),
                    num(v),
                    escape(value_suffix)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" fill=\"#777\">-</text>",
                    num(left + 4.0),
                    num(y + 13.0)
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn series(name: &str, values: &[Option<f64>]) -> Series {
        Series {
            name: name.into(),
            values: values.to_vec(),
        }
    }

    fn labels(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// Balanced tags: good enough for the SVG this module writes.
    fn well_formed(svg: &str) -> bool {
        let tag = Regex::new(r"<(/?)([a-z]+)[^>]*?(/?)>").unwrap();
        let mut stack: Vec<String> = Vec::new();
        for c in tag.captures_iter(svg) {
            let name = c[2].to_string();
            if &c[1] == "/" {
                if stack.pop().as_deref() != Some(name.as_str()) {
                    return false;
                }
            } else if &c[3] != "/" {
                stack.push(name);
            }
        }
        stack.is_empty()
    }

    fn attr(svg: &str, selector: &str, name: &str) -> Vec<f64> {
        let re = Regex::new(&format!(r#"<rect {selector}[^>]*? {name}="([0-9.]+)""#)).unwrap();
        re.captures_iter(svg)
            .map(|c| c[1].parse().unwrap())
            .collect()
    }

    #[test]
    fn axis_labels_are_round() {
        assert_eq!(axis_intervals(200.0), 4);
        assert_eq!(axis_intervals(250.0), 5);
        assert_eq!(axis_intervals(100.0), 5);
        assert_eq!(axis_intervals(0.5), 5);
        let svg = bars_and_line(
            "t",
            &labels(&["a"]),
            &series("b", &[Some(210.0)]),
            &series("l", &[None]),
        );
        for label in ["0", "50", "100", "150", "200", "250"] {
            assert!(svg.contains(&format!(">{label}</text>")), "{label}");
        }
    }

    #[test]
    fn nice_max_rounds_up_to_1_2_2_5_5() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(188.0), 200.0);
        assert_eq!(nice_max(210.0), 250.0);
        assert_eq!(nice_max(0.3), 0.5);
        assert_eq!(nice_max(100.0), 100.0);
        assert_eq!(nice_max(f64::NAN), 1.0);
    }

    #[test]
    fn stacked_bars_are_shares_of_each_bar() {
        let svg = stacked_100_bars(
            "Ethnicity",
            &labels(&["Q1", "Q2"]),
            &[
                series("A", &[Some(1.0), None]),
                series("B", &[Some(3.0), None]),
            ],
        );
        let heights = attr(&svg, r#"data-bar="0""#, "height");
        assert_eq!(heights, [62.5, 187.5]); // 25% and 75% of 250
        assert!(attr(&svg, r#"data-bar="1""#, "height").is_empty());
        assert!(svg.contains("no data"));
        assert!(well_formed(&svg));
    }

    #[test]
    fn bars_and_line_share_a_round_axis_and_gap_on_none() {
        let svg = bars_and_line(
            "Trend",
            &labels(&["Jan", "Feb", "Mar", "Apr"]),
            &series("New", &[Some(50.0), Some(100.0), None, Some(25.0)]),
            &series("Active", &[Some(150.0), None, Some(180.0), Some(190.0)]),
        );
        // Axis to 200: 50 -> 215 * 0.25.
        assert_eq!(attr(&svg, r#"data-bar="0""#, "height"), [53.8]);
        assert_eq!(attr(&svg, r#"data-bar="1""#, "height"), [107.5]);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("<path").count(), 2, "the gap splits the line");
        assert!(svg.contains(">200</text>"));
        assert!(well_formed(&svg));
    }

    #[test]
    fn horizontal_bars_are_proportional_with_values_printed() {
        let svg = horizontal_bars(
            "Outcomes",
            &labels(&["a", "b", "c"]),
            &[Some(40.0), Some(10.0), None],
            "%",
        );
        assert_eq!(attr(&svg, r#"data-row="0""#, "width"), [240.0]);
        assert_eq!(attr(&svg, r#"data-row="1""#, "width"), [60.0]);
        assert!(svg.contains(">40%</text>") && svg.contains(">10%</text>"));
        assert!(svg.contains(">-</text>"));
        assert!(well_formed(&svg));
    }

    #[test]
    fn text_is_escaped_and_empty_input_draws_no_nan() {
        let svg = stacked_100_bars(
            "A <b> & \"c\" 'd'",
            &labels(&["<q>"]),
            &[series("x&y", &[Some(0.0)])],
        );
        assert!(svg.contains("A &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;"));
        assert!(svg.contains("&lt;q&gt;"));
        for svg in [
            svg,
            bars_and_line(
                "t",
                &labels(&["a"]),
                &series("b", &[None]),
                &series("l", &[None]),
            ),
            horizontal_bars("t", &labels(&["a", "b"]), &[Some(0.0), None], ""),
        ] {
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            assert!(svg.contains("role=\"img\"") && svg.contains("<title>"));
            assert!(well_formed(&svg));
        }
    }
}
