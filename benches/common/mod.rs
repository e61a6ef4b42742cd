//! Helpers shared by the benchmarks (`mod common;` at the top of a `benches/*.rs`). Not a
//! bench target itself: Cargo discovers only `benches/*.rs` and `benches/*/main.rs`.
//!
//! Each bench is its own crate and uses only some of these items, hence the
//! `#[allow(dead_code)]`s.

pub mod events;
pub mod locks;
pub mod ping_pong;
pub mod queues;
pub mod semaphores;

use criterion::{BenchmarkId, Criterion};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// Starts `threads` threads that each run `round(&shared, &counter)` `rounds` times, and
/// returns the wall time from when the first thread leaves a start barrier until the last
/// thread finishes (each thread reads the clock itself).
///
/// Each round must add exactly one to `counter`, inside the critical section it measures
/// (the counter touches a shared cache line, like real protected data); the total is
/// checked at the end. `shared` and the counter get separate allocations, so that what
/// is measured does not depend on whether they happen to share a cache line.
#[allow(dead_code)]
pub fn contended_run<T, F>(shared: T, threads: usize, rounds: u64, round: F) -> Duration
where
    T: Send + Sync + 'static,
    F: Fn(&T, &AtomicU64) + Clone + Send + 'static,
{
    let shared = Arc::new(shared);
    let counter = Arc::new(AtomicU64::new(0));
    let start = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (shared, counter, start) = (shared.clone(), counter.clone(), start.clone());
            let round = round.clone();
            thread::spawn(move || {
                start.wait();
                // Each worker reads the clock itself: a main thread reading it after its
                // own `wait` may wake after the workers are done (criterion then sees
                // "zero time"), and would add its wake-up latency to the window.
                let began = Instant::now();
                for _ in 0..rounds {
                    round(&shared, &counter);
                }
                (began, Instant::now())
            })
        })
        .collect();
    start.wait();
    let spans: Vec<(Instant, Instant)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let began = spans.iter().map(|span| span.0).min().unwrap();
    let ended = spans.iter().map(|span| span.1).max().unwrap();
    let elapsed = ended - began;
    assert_eq!(counter.load(Relaxed), threads as u64 * rounds);
    elapsed
}

/// Benchmarks `run(threads, iterations)` (which returns the measured time, as
/// [`contended_run`] does) as `<group>/contended/<n>` with the parameter `name`, for n = 2
/// and 4.
#[allow(dead_code)]
pub fn bench_contended(
    c: &mut Criterion,
    group: &str,
    name: &str,
    run: impl Fn(usize, u64) -> Duration,
) {
    for threads in [2, 4] {
        let mut contended = c.benchmark_group(format!("{group}/contended/{threads}"));
        contended.sample_size(20);
        contended.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_custom(|iters| run(threads, iters))
        });
        contended.finish();
    }
}
