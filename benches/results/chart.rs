//! The throughput-against-threads chart (`docs/results/throughput.svg`) and its numbers
//! (`docs/results/throughput.md`), drawn from the same comparisons.
//!
//! Plain SVG 1.1 written by hand: text, axes, grid, one line per contestant through the
//! medians, and a bar from the lowest to the highest round at each point. mdBook embeds it
//! as an image (`![...](results/throughput.svg)`), so it carries its own white background
//! and uses only generic fonts.

use crate::method::Comparison;
use crate::report::{rate, Run};
use std::fmt::Write as _;

/// One plot: operations per second against a thread count, one series per contestant.
pub struct Panel {
    pub title: &'static str,
    pub x_label: &'static str,
    pub y_label: &'static str,
    /// The thread counts (or producer/consumer pairs), one per point.
    pub xs: Vec<usize>,
    /// The contestants drawn, and whether each is an anchor (drawn dashed).
    pub series: Vec<(&'static str, bool)>,
    /// `points[i]`: the comparison measured at `xs[i]`.
    pub points: Vec<Comparison>,
}

/// Okabe and Ito's palette: distinguishable with the common colour-vision deficiencies.
const COLOURS: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];

const WIDTH: f64 = 760.0;
const PANEL_HEIGHT: f64 = 330.0;
/// The plot area inside a panel: left, right, top and bottom edges.
const PLOT_LEFT: f64 = 80.0;
const PLOT_RIGHT: f64 = 500.0;
const PLOT_TOP: f64 = 40.0;
const PLOT_BOTTOM: f64 = 280.0;
const LEGEND_LEFT: f64 = 520.0;

/// A round number at or above `value` (1, 2 or 5 times a power of ten), for the y axis.
fn nice_ceiling(value: f64) -> f64 {
    let power = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * power)
        .find(|&top| top >= value)
        .unwrap_or(10.0 * power)
}

/// Escapes the characters XML gives meaning to.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Panel {
    /// Draws this panel with its top edge at `top`.
    fn svg(&self, top: f64, out: &mut String) {
        let rates: Vec<Vec<_>> = self
            .series
            .iter()
            .map(|(name, _)| self.points.iter().map(|p| p.rate(name)).collect())
            .collect();
        let highest = rates
            .iter()
            .flatten()
            .flatten()
            .map(|spread| spread.max)
            .fold(1.0, f64::max);
        let y_top = nice_ceiling(highest);
        let y = |value: f64| top + PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * value / y_top;
        let step = (PLOT_RIGHT - PLOT_LEFT) / self.xs.len() as f64;
        let x = |i: usize| PLOT_LEFT + step * (i as f64 + 0.5);

        writeln!(
            out,
            r#"<text x="{}" y="{}" font-size="15" font-weight="bold">{}</text>"#,
            PLOT_LEFT,
            top + 22.0,
            xml(self.title)
        )
        .unwrap();
        // Grid lines and y labels: five steps from 0 to the top.
        for tick in 0..=5 {
            let value = y_top * f64::from(tick) / 5.0;
            let at = y(value);
            writeln!(
                out,
                r##"<line x1="{PLOT_LEFT}" y1="{at:.1}" x2="{PLOT_RIGHT}" y2="{at:.1}" stroke="#dddddd"/>"##
            )
            .unwrap();
            writeln!(
                out,
                r#"<text x="{}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
                PLOT_LEFT - 6.0,
                at + 4.0,
                if tick == 0 {
                    "0".to_owned()
                } else {
                    rate(value)
                }
            )
            .unwrap();
        }
        // Axes, x labels and axis titles.
        writeln!(
            out,
            r##"<path d="M{PLOT_LEFT} {:.1} V{:.1} H{PLOT_RIGHT}" fill="none" stroke="#333333"/>"##,
            top + PLOT_TOP,
            top + PLOT_BOTTOM
        )
        .unwrap();
        for (i, threads) in self.xs.iter().enumerate() {
            writeln!(
                out,
                r#"<text x="{:.1}" y="{}" font-size="12" text-anchor="middle">{threads}</text>"#,
                x(i),
                top + PLOT_BOTTOM + 16.0
            )
            .unwrap();
        }
        writeln!(
            out,
            r#"<text x="{:.1}" y="{}" font-size="12" text-anchor="middle">{}</text>"#,
            (PLOT_LEFT + PLOT_RIGHT) / 2.0,
            top + PLOT_BOTTOM + 34.0,
            xml(self.x_label)
        )
        .unwrap();
        let mid = top + (PLOT_TOP + PLOT_BOTTOM) / 2.0;
        writeln!(
            out,
            r#"<text x="16" y="{mid:.1}" font-size="12" text-anchor="middle" transform="rotate(-90 16 {mid:.1})">{}</text>"#,
            xml(self.y_label)
        )
        .unwrap();
        // One line per series through the medians, nudged sideways so that the bars of
        // neighbouring series do not hide each other; a bar from the lowest to the highest
        // round at each point.
        let count = self.series.len() as f64;
        for (s, ((name, anchor), series)) in self.series.iter().zip(&rates).enumerate() {
            let colour = COLOURS[s % COLOURS.len()];
            let nudge = (s as f64 - (count - 1.0) / 2.0) * 5.0;
            let dash = if *anchor {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let path: Vec<String> = series
                .iter()
                .enumerate()
                .filter_map(|(i, spread)| {
                    spread.map(|sp| format!("{:.1},{:.1}", x(i) + nudge, y(sp.median)))
                })
                .collect();
            writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#,
                path.join(" ")
            )
            .unwrap();
            for (i, spread) in series.iter().enumerate() {
                let Some(sp) = spread else { continue };
                let cx = x(i) + nudge;
                writeln!(
                    out,
                    r#"<path d="M{cx:.1} {:.1} V{:.1} M{:.1} {:.1} h6 M{:.1} {:.1} h6" stroke="{colour}" stroke-width="1.2"/>"#,
                    y(sp.min),
                    y(sp.max),
                    cx - 3.0,
                    y(sp.min),
                    cx - 3.0,
                    y(sp.max)
                )
                .unwrap();
                writeln!(
                    out,
                    r#"<circle cx="{cx:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{} at {}: {} (lowest {}, highest {})</title></circle>"#,
                    y(sp.median),
                    xml(name),
                    self.xs[i],
                    rate(sp.median),
                    rate(sp.min),
                    rate(sp.max)
                )
                .unwrap();
            }
            let ly = top + PLOT_TOP + 8.0 + 22.0 * s as f64;
            writeln!(
                out,
                r#"<line x1="{LEGEND_LEFT}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"{dash}/>"#,
                LEGEND_LEFT + 26.0
            )
            .unwrap();
            writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
                LEGEND_LEFT + 32.0,
                ly + 4.0,
                xml(name)
            )
            .unwrap();
        }
    }

    /// This panel's numbers as a markdown table: a row per contestant, a column per x, in
    /// millions per second (one unit for the whole table keeps its cells narrow).
    fn markdown(&self) -> String {
        let mut out = String::from("| Millions per second |");
        for threads in &self.xs {
            write!(out, " {threads} |").unwrap();
        }
        out.push_str("\n|---|");
        out.push_str(&"--:|".repeat(self.xs.len()));
        out.push('\n');
        for (name, _) in &self.series {
            write!(out, "| `{name}` |").unwrap();
            for point in &self.points {
                let cell = point.rate(name).map_or("—".to_owned(), |sp| {
                    let m = |per_second: f64| per_second / 1e6;
                    format!("{:.2}<br>({:.2}–{:.2})", m(sp.median), m(sp.min), m(sp.max))
                });
                write!(out, " {cell} |").unwrap();
            }
            out.push('\n');
        }
        out
    }
}

/// Writes `throughput.svg` (the panels stacked) and `throughput.md` (their numbers).
pub fn write(run: &Run, panels: &[Panel]) {
    let height = PANEL_HEIGHT * panels.len() as f64 + 40.0;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" fill="#222222">
<title>Throughput against threads: syncsmith beside its anchors</title>
<rect width="100%" height="100%" fill="#ffffff"/>
"##
    );
    for (i, panel) in panels.iter().enumerate() {
        panel.svg(PANEL_HEIGHT * i as f64, &mut svg);
    }
    let quick = if run.settings.mode == crate::method::Mode::Full {
        ""
    } else {
        "QUICK RUN, not for quoting. "
    };
    writeln!(
        svg,
        r##"<text x="{PLOT_LEFT}" y="{:.1}" font-size="11" fill="#555555">{quick}Dots: the median of {}; bars: the lowest and highest round; dashed: anchors.</text>"##,
        height - 30.0,
        crate::report::count(run.settings.rounds, "round"),
    )
    .unwrap();
    writeln!(
        svg,
        r##"<text x="{PLOT_LEFT}" y="{:.1}" font-size="11" fill="#555555">Generated by {} on {}.</text>"##,
        height - 14.0,
        xml(&run.command),
        run.date
    )
    .unwrap();
    svg.push_str("</svg>\n");
    run.write("throughput.svg", &svg);

    let mut md = String::new();
    for panel in panels {
        writeln!(
            md,
            "{}, by {}:\n\n{}",
            panel.title,
            panel.x_label,
            panel.markdown()
        )
        .unwrap();
    }
    run.write_markdown(
        "throughput.md",
        &format!(
            "{md}Operations per second (items moved, or lock acquisitions): the median over \
             the rounds, with the lowest and highest round in brackets.\n\n"
        ),
    );
}
