//! `Queue` and `SimpleQueue` beside `crossbeam_channel`, `std::sync::mpsc::sync_channel`
//! and the textbook `std` queue (a `Mutex<VecDeque>` and two `Condvar`s).
//!
//! - `queue/cap<c>/<p>p<c>c`: a bounded queue of capacity 1 or 64, with 1 producer and 1
//!   consumer or 2 and 2. Each producer puts its share of the items and each consumer gets
//!   its share; the time runs from the first producer leaving a start barrier until the last
//!   consumer has its last item (each worker reads the clock itself). Throughput is in items (elements/s). `sync_channel` has a single consumer, so
//!   it runs only in the 1P/1C shapes.
//! - `simple_queue/<p>p<c>c`: the unbounded queues, `SimpleQueue` and
//!   `crossbeam_channel::unbounded`.
//!
//! Threads are spawned once per sample (criterion's `iter_custom`), not once per item.
//!
//! Run briefly: `cargo bench --bench queue -- --warm-up-time 1 --measurement-time 2`.
//!
//! Criterion reports one figure per queue, which hides a queue with two modes (fast in
//! some runs, several times slower in others, as `Queue` was at capacity 64 before it
//! learned to spin long enough). So after the criterion groups, this bench also runs the
//! plain harness of `benches/queue_modes.rs` for the bounded shapes (5 interleaved rounds
//! each, beside crossbeam) and prints the median and the range of the per-round ratios: a
//! mode that comes back shows as a wide range. `QUEUE_SPREAD_ROUNDS=0` skips it.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

mod common;

use common::queues::{barrier_run, BenchQueue, Crossbeam, SyncChannel, TextbookQueue};

/// Items moved per criterion iteration.
const ITEMS: u64 = 1_000;

fn bench_one<Q: BenchQueue>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    cap: usize,
    p: usize,
    c: usize,
) {
    group.bench_function(BenchmarkId::from_parameter(Q::NAME), |b| {
        b.iter_custom(|iters| barrier_run::<Q>(cap, p, c, iters * ITEMS))
    });
}

fn bounded(criterion: &mut Criterion) {
    for cap in [1, 64] {
        for (p, c) in [(1, 1), (2, 2)] {
            let mut group = criterion.benchmark_group(format!("queue/cap{cap}/{p}p{c}c"));
            group.throughput(Throughput::Elements(ITEMS));
            bench_one::<syncsmith::Queue<u64>>(&mut group, cap, p, c);
            bench_one::<TextbookQueue>(&mut group, cap, p, c);
            bench_one::<Crossbeam>(&mut group, cap, p, c);
            if c == 1 {
                bench_one::<SyncChannel>(&mut group, cap, p, c);
            }
            group.finish();
        }
    }
}

fn unbounded(criterion: &mut Criterion) {
    for (p, c) in [(1, 1), (2, 2)] {
        let mut group = criterion.benchmark_group(format!("simple_queue/{p}p{c}c"));
        group.throughput(Throughput::Elements(ITEMS));
        bench_one::<syncsmith::SimpleQueue<u64>>(&mut group, 0, p, c);
        bench_one::<Crossbeam>(&mut group, 0, p, c);
        group.finish();
    }
}

#[allow(dead_code)] // its own `main` is the `queue_modes` bench's
#[path = "queue_modes.rs"]
mod queue_modes;

criterion_group!(benches, bounded, unbounded);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    let rounds = std::env::var("QUEUE_SPREAD_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    // Only when benchmarks run (`cargo bench`), not under `cargo test --benches`.
    if rounds > 0 && std::env::args().any(|arg| arg == "--bench") {
        let filters = vec!["plain".to_string()];
        queue_modes::run_shapes(&filters, None, rounds, 400_000);
    }
}
