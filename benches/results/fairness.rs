//! Lock fairness: four threads hammer one lock for a second, and each records how long
//! every acquisition waited. The figure is the longest single wait (issue 15's goal for
//! `Lock`: at most 10 ms), with `parking_lot::Mutex` and `std::sync::Mutex` measured in the
//! same run, so that a long wait the operating system caused (a thread descheduled between
//! reading the clock and asking for the lock, or while holding it) can be told from one the
//! lock's policy caused.
//!
//! `docs/results/lock-fairness.md`.

use crate::common::locks::BenchLock;
use crate::method::Mode;
use crate::report::{amount, count, time, Run};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

const THREADS: usize = 4;

/// What one thread saw.
#[derive(Clone, Copy, Default)]
struct Waits {
    acquisitions: u64,
    longest: Duration,
    over_1ms: u64,
    over_10ms: u64,
}

/// `THREADS` threads take and release one `L` as fast as they can for `span`; each
/// acquisition's wait runs from just before asking for the lock to just after getting it.
fn hammer<L: BenchLock>(span: Duration) -> Vec<Waits> {
    let lock = Arc::new(L::new());
    let counter = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (lock, counter) = (lock.clone(), counter.clone());
            let (stop, start) = (stop.clone(), start.clone());
            thread::spawn(move || {
                let mut waits = Waits::default();
                start.wait();
                // Relaxed: the flag only ends the loop; nothing is read through it.
                while !stop.load(Relaxed) {
                    let asked = Instant::now();
                    let got = lock.with(|| {
                        let got = Instant::now();
                        counter.store(counter.load(Relaxed) + 1, Relaxed);
                        got
                    });
                    let waited = got - asked;
                    waits.acquisitions += 1;
                    waits.longest = waits.longest.max(waited);
                    waits.over_1ms += u64::from(waited > Duration::from_millis(1));
                    waits.over_10ms += u64::from(waited > Duration::from_millis(10));
                }
                waits
            })
        })
        .collect();
    start.wait();
    thread::sleep(span);
    stop.store(true, Relaxed);
    let waits: Vec<Waits> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let total: u64 = waits.iter().map(|w| w.acquisitions).sum();
    assert_eq!(
        counter.load(Relaxed),
        total,
        "{}: the lock let two in",
        L::NAME
    );
    waits
}

/// One row of the table: the contestant, the run, and what its threads saw.
fn row(out: &mut String, name: &str, run: usize, waits: &[Waits]) -> Duration {
    let total: u64 = waits.iter().map(|w| w.acquisitions).sum();
    let fewest = waits.iter().map(|w| w.acquisitions).min().unwrap();
    let most = waits.iter().map(|w| w.acquisitions).max().unwrap();
    let longest = waits.iter().map(|w| w.longest).max().unwrap();
    writeln!(
        out,
        "| `{name}` | {run} | {} | {}–{} | {} | {} / {} |",
        amount(total),
        amount(fewest),
        amount(most),
        time(longest.as_secs_f64() * 1e9),
        waits.iter().map(|w| w.over_1ms).sum::<u64>(),
        waits.iter().map(|w| w.over_10ms).sum::<u64>(),
    )
    .unwrap();
    longest
}

/// The fairness table: `docs/results/lock-fairness.md`.
pub fn fairness_table(run: &Run) {
    type Contender = fn(Duration) -> Vec<Waits>;
    let contenders: [(&str, Contender); 3] = [
        (syncsmith::Lock::NAME, hammer::<syncsmith::Lock>),
        (
            parking_lot::Mutex::<()>::NAME,
            hammer::<parking_lot::Mutex<()>>,
        ),
        (std::sync::Mutex::<()>::NAME, hammer::<std::sync::Mutex<()>>),
    ];
    let (runs, span) = match run.settings.mode {
        Mode::Full => (3, Duration::from_secs(1)),
        Mode::Quick => (1, Duration::from_secs(1)),
        Mode::Smoke => (1, Duration::from_millis(20)),
    };
    let mut table = String::from(
        "| Lock | Run | Acquisitions | Per thread, fewest–most | Longest wait | Waits over 1 ms / 10 ms |\n\
         |---|--:|--:|--:|--:|--:|\n",
    );
    let mut rows = vec![Vec::new(); contenders.len()];
    for r in 0..runs {
        for turn in 0..contenders.len() {
            let i = (r + turn) % contenders.len();
            eprintln!("  fairness: {} run {}", contenders[i].0, r + 1);
            rows[i].push(contenders[i].1(span));
        }
    }
    let mut ours_longest = Duration::ZERO;
    for (i, (name, _)) in contenders.iter().enumerate() {
        for (r, waits) in rows[i].iter().enumerate() {
            let longest = row(&mut table, name, r + 1, waits);
            if i == 0 {
                ours_longest = ours_longest.max(longest);
            }
        }
    }
    let body = format!(
        "{table}\n{THREADS} threads take and release one lock as fast as they can for {} \
         ms, {} with each lock, interleaved. A wait runs from just before asking \
         for the lock to just after getting it, read by the waiting thread itself; it \
         includes any time the operating system kept that thread, or the holder, off a \
         core. Longest single wait for `syncsmith::Lock` over all its runs: **{}** (the \
         goal: at most 10 ms).\n",
        span.as_millis(),
        count(runs, "run"),
        time(ours_longest.as_secs_f64() * 1e9),
    );
    run.write_markdown("lock-fairness.md", &body);
}
