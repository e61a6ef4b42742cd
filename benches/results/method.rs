//! The method every figure follows: contestants measured side by side in one process, in
//! interleaved rounds, each figure a median over the rounds with its spread.
//!
//! A round runs every contestant of a shape once, starting with a different one each round
//! (round r starts with contestant r mod n), so that none always runs first, on a cold
//! cache or right after another's threads. A ratio is taken within a round (our time and
//! the anchor's, measured seconds apart, share whatever the machine was doing) and only then
//! summarised over the rounds: the median, and the lowest and highest round. A slow mode
//! that comes and goes shows as a wide spread, not as one blended average.

use std::time::Duration;

/// How much work a run does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Every figure the book quotes: the full work, `rounds` rounds after a warm-up round.
    Full,
    /// A tenth of the work, 3 rounds: proves the program runs; numbers not for quoting.
    Quick,
    /// A thousandth of the work, 1 round, nothing written: a check that every harness runs
    /// to the end and moves every item (what `cargo test --bench results` runs).
    Smoke,
}

/// The run's mode and how many rounds each figure takes.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub mode: Mode,
    pub rounds: usize,
}

impl Settings {
    /// The work for one measurement: `full` in a full run, scaled down otherwise (at least
    /// `floor`, so that every harness still does something).
    pub fn work(&self, full: u64) -> u64 {
        let scaled = match self.mode {
            Mode::Full => full,
            Mode::Quick => full / 10,
            Mode::Smoke => full / 1000,
        };
        scaled.max(4)
    }

    /// Whether each shape runs one unrecorded round first (caches, page faults, the
    /// allocator's first thread arenas).
    fn warm_up(&self) -> bool {
        self.mode != Mode::Smoke
    }
}

/// One contender in a shape: a name, how many operations one measurement does, and the
/// closure that does them and returns the time they took.
pub struct Contestant<'a> {
    pub name: &'static str,
    ops: u64,
    run: Box<dyn FnMut(u64) -> Duration + 'a>,
}

/// A contestant doing `ops` operations per measurement with `run(ops)`. Contestants of
/// one shape may do different amounts of work (a slow anchor does fewer items); figures
/// are per operation, so they stay comparable.
pub fn contestant<'a>(
    name: &'static str,
    ops: u64,
    run: impl FnMut(u64) -> Duration + 'a,
) -> Contestant<'a> {
    Contestant {
        name,
        ops,
        run: Box::new(run),
    }
}

/// What one shape measured: per contestant, the time per operation of every round.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub shape: String,
    pub names: Vec<&'static str>,
    /// `per_op_ns[i][r]`: contestant i's nanoseconds per operation in round r.
    pub per_op_ns: Vec<Vec<f64>>,
}

/// A median with the lowest and highest value it summarises.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// The median, minimum and maximum of `values` (not empty). With an even count the
    /// median is the mean of the two middle values.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Spread {
        let mut sorted: Vec<f64> = values.into_iter().collect();
        assert!(!sorted.is_empty(), "a spread of nothing");
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        Spread {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        }
    }
}

/// Measures `contestants` side by side: one warm-up round (not in a smoke run), then
/// `settings.rounds` interleaved rounds. Prints a progress line to stderr.
pub fn compare(
    settings: &Settings,
    shape: &str,
    mut contestants: Vec<Contestant<'_>>,
) -> Comparison {
    let n = contestants.len();
    if settings.warm_up() {
        for c in &mut contestants {
            (c.run)(c.ops);
        }
    }
    let mut per_op_ns = vec![Vec::with_capacity(settings.rounds); n];
    for round in 0..settings.rounds {
        for turn in 0..n {
            let i = (round + turn) % n;
            let c = &mut contestants[i];
            let took = (c.run)(c.ops);
            per_op_ns[i].push(took.as_secs_f64() * 1e9 / c.ops as f64);
        }
    }
    let comparison = Comparison {
        shape: shape.to_owned(),
        names: contestants.iter().map(|c| c.name).collect(),
        per_op_ns,
    };
    eprintln!("  {shape}");
    for (i, name) in comparison.names.iter().enumerate() {
        let time = comparison.time(name).expect("a measured contestant");
        eprintln!(
            "    {name:<32} {:>12} per op (rounds {} to {})",
            crate::report::time(time.median),
            crate::report::time(time.min),
            crate::report::time(time.max)
        );
        if i > 0 {
            let ratio = comparison
                .ratio(comparison.names[0], name)
                .expect("both measured");
            eprintln!(
                "    {:<32} {:>12.2} ({:.2} to {:.2})",
                format!("{} / this", comparison.names[0]),
                ratio.median,
                ratio.min,
                ratio.max
            );
        }
    }
    comparison
}

impl Comparison {
    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    /// `name`'s nanoseconds per operation over the rounds, if it ran in this shape.
    pub fn time(&self, name: &str) -> Option<Spread> {
        self.index(name)
            .map(|i| Spread::of(self.per_op_ns[i].iter().copied()))
    }

    /// `name`'s operations per second over the rounds, if it ran in this shape.
    pub fn rate(&self, name: &str) -> Option<Spread> {
        self.index(name)
            .map(|i| Spread::of(self.per_op_ns[i].iter().map(|ns| 1e9 / ns)))
    }

    /// `ours`' time divided by `anchor`'s, round by round, if both ran in this shape.
    pub fn ratio(&self, ours: &str, anchor: &str) -> Option<Spread> {
        let (ours, anchor) = (self.index(ours)?, self.index(anchor)?);
        Some(Spread::of(
            self.per_op_ns[ours]
                .iter()
                .zip(&self.per_op_ns[anchor])
                .map(|(ours, anchor)| ours / anchor),
        ))
    }
}

/// Runs `op` `n` times on this thread and returns how long that took.
#[inline]
pub fn timed(n: u64, mut op: impl FnMut()) -> Duration {
    let began = std::time::Instant::now();
    for _ in 0..n {
        op();
    }
    began.elapsed()
}
