//! Turning comparisons into the markdown files under `docs/results/` that the book
//! includes, and the raw rounds into `rounds.csv`.
//!
//! Every generated file says how it was made (command, date, rounds) in its last line, and
//! a quick run says in its first line that its numbers are not for quoting: an included
//! table cannot lose its provenance.

use crate::method::{self, Comparison, Contestant, Mode, Settings, Spread};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::PathBuf;

/// A duration in nanoseconds, with three significant digits and a fitting unit.
pub fn time(ns: f64) -> String {
    scaled(ns, [" ns", " µs", " ms", " s"])
}

/// A rate in operations per second, with three significant digits ("12.3 M/s").
pub fn rate(per_second: f64) -> String {
    scaled(per_second, ["/s", " K/s", " M/s", " G/s"])
}

/// A count, with three significant digits ("35.2 K", "1.01 M"); below 1000, as is.
pub fn amount(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else {
        scaled(n as f64, ["", " K", " M", " G"])
    }
}

/// `value` divided by 1000 until it is below 1000 (or the units run out), with the unit
/// for that many divisions.
fn scaled(mut value: f64, units: [&str; 4]) -> String {
    let mut unit = 0;
    while value >= 999.5 && unit + 1 < units.len() {
        value /= 1e3;
        unit += 1;
    }
    format!("{}{}", significant(value), units[unit])
}

/// `value` with three significant digits (no exponent; values here are 1 to 999).
fn significant(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// `n` things, with the plural when it needs one ("1 round", "9 rounds").
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// A ratio cell: the median, and the lowest and highest round in brackets.
pub fn ratio(spread: Spread) -> String {
    format!(
        "{} ({}–{})",
        ratio_value(spread.median),
        ratio_value(spread.min),
        ratio_value(spread.max)
    )
}

/// A ratio with two decimals, or two significant digits when it is smaller than 0.1 (a
/// figure hundreds of times faster than its anchor should not read "0.00").
fn ratio_value(value: f64) -> String {
    let mut decimals = 2;
    while decimals < 6 && value < 10f64.powi(1 - decimals) {
        decimals += 1;
    }
    format!("{value:.*}", decimals as usize)
}

/// A ratio to report: `ours`' time divided by `anchor`'s.
pub struct Ratio {
    pub ours: &'static str,
    pub anchor: &'static str,
}

/// A table in long form, narrow enough for a book page: for each shape, one line per
/// contestant with its median time per operation and, on an anchor's line, the ratio of
/// syncsmith's time to this anchor's. A contestant a shape lacks is left out.
pub struct Table {
    /// The first column's heading (what a row is, and what one operation is).
    pub heading: &'static str,
    /// The contestants, syncsmith's first.
    pub columns: Vec<&'static str>,
    pub ratios: Vec<Ratio>,
    pub rows: Vec<Comparison>,
}

impl Table {
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "| {} | Contestant | Time per operation | syncsmith ÷ this (lowest–highest) |\n\
             |---|---|--:|--:|\n",
            self.heading
        );
        // With more than one syncsmith contestant (`Condition<Lock>` and `<RLock>`), each
        // ratio says whose it is.
        let name_ours = self.ratios.iter().any(|r| r.ours != self.columns[0]);
        for row in &self.rows {
            let mut shape = row.shape.as_str();
            for name in &self.columns {
                let Some(t) = row.time(name) else { continue };
                // Each ratio whose anchor is this contestant.
                let ratios: Vec<String> = self
                    .ratios
                    .iter()
                    .filter(|r| r.anchor == *name)
                    .filter_map(|r| {
                        let spread = row.ratio(r.ours, r.anchor)?;
                        Some(if name_ours {
                            format!("{} for `{}`", ratio(spread), r.ours)
                        } else {
                            ratio(spread)
                        })
                    })
                    .collect();
                writeln!(
                    out,
                    "| {shape} | `{name}` | {} | {} |",
                    time(t.median),
                    ratios.join("<br>")
                )
                .unwrap();
                shape = "";
            }
        }
        out
    }
}

/// What every generated file records about the run, and where the files go.
pub struct Run {
    pub settings: Settings,
    /// The command line that reproduces this run.
    pub command: String,
    /// When the run started, "YYYY-MM-DD HH:MM UTC".
    pub date: String,
    /// The output folder; `None` in a smoke run, which prints instead of writing.
    pub out: Option<PathBuf>,
    /// Every comparison made so far, for `rounds.csv`.
    log: RefCell<Vec<Comparison>>,
}

impl Run {
    pub fn new(settings: Settings, command: String, date: String, out: Option<PathBuf>) -> Run {
        Run {
            settings,
            command,
            date,
            out,
            log: RefCell::new(Vec::new()),
        }
    }

    /// Measures `contestants` side by side ([`method::compare`]) and keeps the result for
    /// `rounds.csv`.
    pub fn compare(&self, shape: &str, contestants: Vec<Contestant<'_>>) -> Comparison {
        let comparison = method::compare(&self.settings, shape, contestants);
        self.log.borrow_mut().push(comparison.clone());
        comparison
    }

    /// The first line of a quick run's files (empty in a full run).
    pub fn warning(&self) -> String {
        match self.settings.mode {
            Mode::Full => String::new(),
            Mode::Quick => format!(
                "**Quick run (`{}`): a tenth of the work and {}, on whatever else the \
                 machine was doing. Not for quoting: re-run without `--quick` on a quiet \
                 machine.**\n\n",
                self.command,
                count(self.settings.rounds, "round")
            ),
            Mode::Smoke => "**Smoke run: a thousandth of the work, one round.**\n\n".to_owned(),
        }
    }

    /// How to read a table's times and ratios.
    pub fn reading_note(&self) -> String {
        format!(
            "Each time is the median over {rounds} of the time one operation took. Each ratio \
             is syncsmith's time divided by the anchor's in the same round, the median over \
             the {rounds}, with the lowest and the highest round in brackets: below 1, \
             syncsmith is faster.",
            rounds = count(self.settings.rounds, "round"),
        )
    }

    /// The provenance line that ends every generated markdown file.
    pub fn provenance(&self) -> String {
        format!(
            "Generated by `{}` on {}; machine and method in \
             [How the numbers were measured](measuring.md).\n",
            self.command, self.date,
        )
    }

    /// Writes `docs/results/<file>` (or prints it, in a smoke run).
    pub fn write(&self, file: &str, contents: &str) {
        match &self.out {
            Some(dir) => {
                std::fs::create_dir_all(dir).expect("create the results folder");
                let path = dir.join(file);
                std::fs::write(&path, contents)
                    .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
                eprintln!("wrote {}", path.display());
            }
            None => println!("---- {file}\n{contents}"),
        }
    }

    /// Writes a generated markdown `<file>`: a do-not-edit comment, the quick-run warning,
    /// `body`, then the provenance line.
    pub fn write_markdown(&self, file: &str, body: &str) {
        let contents = format!(
            "<!-- Generated by `{}`: do not edit, re-run it. -->\n\n{}{body}\n{}",
            self.command,
            self.warning(),
            self.provenance()
        );
        self.write(file, &contents);
    }

    /// Writes a table file: `table`, what its shapes are (`shapes`), and how to read it.
    pub fn write_table(&self, file: &str, table: &Table, shapes: &str) {
        let body = format!("{}\n{shapes} {}\n", table.markdown(), self.reading_note());
        self.write_markdown(file, &body);
    }

    /// Every round of every comparison: shape, contestant, round, nanoseconds per op.
    pub fn rounds_csv(&self) -> String {
        let mut out = String::from("shape,contestant,round,ns_per_op\n");
        for comparison in self.log.borrow().iter() {
            for (name, rounds) in comparison.names.iter().zip(&comparison.per_op_ns) {
                for (round, ns) in rounds.iter().enumerate() {
                    let shape = comparison.shape.replace('"', "\"\"");
                    writeln!(out, "\"{shape}\",{name},{round},{ns:.3}").unwrap();
                }
            }
        }
        out
    }
}
