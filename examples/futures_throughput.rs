//! Tasks a second through `syncsmith::futures` and its anchors, for the results file:
//! `cargo run --release --example futures_throughput [rounds]`.
//!
//! Two workloads, each on a pool of two worker threads:
//! - submit + result: submit 100,000 trivial tasks, then collect every result;
//! - map: `map` over 100,000 items, consuming every result.
//!
//! Anchors, run in the same process, one after another, round after round (so a busy
//! machine slows them all alike): the `threadpool` crate and `rayon`'s `ThreadPool::spawn`,
//! each sending results to one shared channel, and each with a one-shot channel per task (a
//! result slot per task, as a future has). CPython's `ThreadPoolExecutor` is run too, when
//! `python3` is on the PATH. The workloads are shared with `benches/futures.rs`.

use std::sync::mpsc;
use std::time::{Duration, Instant};
use syncsmith::ThreadPoolExecutor;

/// Tasks per run.
pub const TASKS: u64 = 100_000;
/// Worker threads in every pool.
pub const WORKERS: usize = 2;

// ANCHOR: workloads
/// submit + result through syncsmith.
pub fn syncsmith_submit(pool: &ThreadPoolExecutor, tasks: u64) -> u64 {
    let futures: Vec<_> = (0..tasks)
        .map(|i| pool.submit(move || i + 1).unwrap())
        .collect();
    futures.into_iter().map(|f| f.result().unwrap()).sum()
}

/// `map` through syncsmith.
pub fn syncsmith_map(pool: &ThreadPoolExecutor, tasks: u64) -> u64 {
    pool.map(|i: u64| i + 1, 0..tasks).map(Result::unwrap).sum()
}
// ANCHOR_END: workloads

/// The `threadpool` crate, every result sent to one shared channel.
pub fn threadpool_shared(pool: &threadpool::ThreadPool, tasks: u64) -> u64 {
    let (tx, rx) = mpsc::channel();
    for i in 0..tasks {
        let tx = tx.clone();
        pool.execute(move || tx.send(i + 1).unwrap());
    }
    drop(tx);
    rx.iter().sum()
}

/// The `threadpool` crate, one one-shot channel per task.
pub fn threadpool_oneshot(pool: &threadpool::ThreadPool, tasks: u64) -> u64 {
    let slots: Vec<_> = (0..tasks)
        .map(|i| {
            let (tx, rx) = mpsc::sync_channel(1);
            pool.execute(move || tx.send(i + 1).unwrap());
            rx
        })
        .collect();
    slots.into_iter().map(|rx| rx.recv().unwrap()).sum()
}

/// `rayon::ThreadPool::spawn`, every result sent to one shared channel.
pub fn rayon_shared(pool: &rayon::ThreadPool, tasks: u64) -> u64 {
    let (tx, rx) = mpsc::channel();
    for i in 0..tasks {
        let tx = tx.clone();
        pool.spawn(move || tx.send(i + 1).unwrap());
    }
    drop(tx);
    rx.iter().sum()
}

/// `rayon::ThreadPool::spawn`, one one-shot channel per task.
pub fn rayon_oneshot(pool: &rayon::ThreadPool, tasks: u64) -> u64 {
    let slots: Vec<_> = (0..tasks)
        .map(|i| {
            let (tx, rx) = mpsc::sync_channel(1);
            pool.spawn(move || tx.send(i + 1).unwrap());
            rx
        })
        .collect();
    slots.into_iter().map(|rx| rx.recv().unwrap()).sum()
}

/// The pools, built once (`Pools::default()`).
pub struct Pools {
    pub syncsmith: ThreadPoolExecutor,
    pub threadpool: threadpool::ThreadPool,
    pub rayon: rayon::ThreadPool,
}

impl Default for Pools {
    fn default() -> Self {
        Pools {
            syncsmith: ThreadPoolExecutor::new(WORKERS),
            threadpool: threadpool::ThreadPool::new(WORKERS),
            rayon: rayon::ThreadPoolBuilder::new()
                .num_threads(WORKERS)
                .build()
                .expect("a rayon pool"),
        }
    }
}

/// CPython's `ThreadPoolExecutor`, both workloads; prints `submit <tasks/s>` and
/// `map <tasks/s>`.
const CPYTHON: &str = r#"
import time
from concurrent.futures import ThreadPoolExecutor
N = 100_000
with ThreadPoolExecutor(max_workers=2) as pool:
    start = time.perf_counter()
    futures = [pool.submit(int.__add__, i, 1) for i in range(N)]
    total = sum(f.result() for f in futures)
    print("submit", N / (time.perf_counter() - start))
    start = time.perf_counter()
    total = sum(pool.map(int.__add__, range(N), [1] * N))
    print("map", N / (time.perf_counter() - start))
"#;

/// One CPython run: (submit + result, map) in tasks a second, if `python3` runs.
fn cpython_round() -> Option<(f64, f64)> {
    let output = std::process::Command::new("python3")
        .args(["-c", CPYTHON])
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let mut rates = text.lines().filter_map(|line| {
        let (_, rate) = line.split_once(' ')?;
        rate.parse::<f64>().ok()
    });
    Some((rates.next()?, rates.next()?))
}

fn rate(run: impl FnOnce() -> u64) -> f64 {
    let start = Instant::now();
    let sum = run();
    let elapsed = start.elapsed().max(Duration::from_nanos(1));
    assert_eq!(sum, TASKS * (TASKS + 1) / 2, "every result collected");
    TASKS as f64 / elapsed.as_secs_f64()
}

#[allow(dead_code)] // `benches/futures.rs` includes this file for the workloads only
pub fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let pools = Pools::default();
    let names = [
        "syncsmith submit+result",
        "syncsmith map",
        "threadpool shared channel",
        "rayon shared channel",
        "threadpool one-shot per task",
        "rayon one-shot per task",
        "CPython 3 submit+result",
        "CPython 3 map",
    ];
    let mut best = [0.0f64; 8];
    let mut worst = [f64::INFINITY; 8];
    for round in 0..rounds {
        let mut rates = [
            rate(|| syncsmith_submit(&pools.syncsmith, TASKS)),
            rate(|| syncsmith_map(&pools.syncsmith, TASKS)),
            rate(|| threadpool_shared(&pools.threadpool, TASKS)),
            rate(|| rayon_shared(&pools.rayon, TASKS)),
            rate(|| threadpool_oneshot(&pools.threadpool, TASKS)),
            rate(|| rayon_oneshot(&pools.rayon, TASKS)),
            f64::NAN,
            f64::NAN,
        ];
        if let Some((submit, map)) = cpython_round() {
            rates[6] = submit;
            rates[7] = map;
        }
        println!("round {}:", round + 1);
        for (i, name) in names.iter().enumerate() {
            println!("  {name:<30} {:>12.0} tasks/s", rates[i]);
            best[i] = best[i].max(rates[i]);
            worst[i] = worst[i].min(rates[i]);
        }
        let ratio = |a: usize, b: usize| rates[a] / rates[b];
        println!(
            "  ratios: submit/CPython {:.1}x, map/CPython {:.1}x, submit/threadpool one-shot {:.2}, \
             submit/rayon one-shot {:.2}, submit/rayon shared {:.2}",
            ratio(0, 6),
            ratio(1, 7),
            ratio(0, 4),
            ratio(0, 5),
            ratio(0, 3)
        );
    }
    println!("range over {rounds} rounds (tasks/s, {TASKS} tasks, {WORKERS} workers):");
    for (i, name) in names.iter().enumerate() {
        println!("  {name:<30} {:>12.0} .. {:>12.0}", worst[i], best[i]);
    }
}
