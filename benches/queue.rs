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
use std::collections::VecDeque;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Items moved per criterion iteration.
const ITEMS: u64 = 1_000;

/// A queue under test, split into the handles producers and consumers hold.
trait BenchQueue {
    const NAME: &'static str;
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    /// A queue of capacity `cap` (0: unbounded), with `producers` and `consumers` handles.
    fn make(cap: usize, producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>);
    fn put(tx: &Self::Tx, item: u64);
    fn get(rx: &Self::Rx) -> u64;
}

struct Syncsmith;
impl BenchQueue for Syncsmith {
    const NAME: &'static str = "syncsmith::Queue";
    type Tx = Arc<syncsmith::Queue<u64>>;
    type Rx = Arc<syncsmith::Queue<u64>>;
    fn make(cap: usize, p: usize, c: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        let q = Arc::new(syncsmith::Queue::<u64>::new(cap));
        (vec![q.clone(); p], vec![q; c])
    }
    #[inline]
    fn put(tx: &Self::Tx, item: u64) {
        tx.put(item).unwrap();
    }
    #[inline]
    fn get(rx: &Self::Rx) -> u64 {
        rx.get().unwrap()
    }
}

struct Simple;
impl BenchQueue for Simple {
    const NAME: &'static str = "syncsmith::SimpleQueue";
    type Tx = Arc<syncsmith::SimpleQueue<u64>>;
    type Rx = Arc<syncsmith::SimpleQueue<u64>>;
    fn make(_cap: usize, p: usize, c: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        let q = Arc::new(syncsmith::SimpleQueue::new());
        (vec![q.clone(); p], vec![q; c])
    }
    #[inline]
    fn put(tx: &Self::Tx, item: u64) {
        tx.put(item);
    }
    #[inline]
    fn get(rx: &Self::Rx) -> u64 {
        rx.get()
    }
}

struct Crossbeam;
impl BenchQueue for Crossbeam {
    const NAME: &'static str = "crossbeam_channel";
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;
    fn make(cap: usize, p: usize, c: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        let (tx, rx) = if cap == 0 {
            crossbeam_channel::unbounded()
        } else {
            crossbeam_channel::bounded(cap)
        };
        (vec![tx; p], vec![rx; c])
    }
    #[inline]
    fn put(tx: &Self::Tx, item: u64) {
        tx.send(item).unwrap();
    }
    #[inline]
    fn get(rx: &Self::Rx) -> u64 {
        rx.recv().unwrap()
    }
}

struct SyncChannel;
impl BenchQueue for SyncChannel {
    const NAME: &'static str = "std::mpsc::sync_channel";
    type Tx = std::sync::mpsc::SyncSender<u64>;
    type Rx = std::sync::mpsc::Receiver<u64>;
    fn make(cap: usize, p: usize, c: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        assert_eq!(c, 1, "mpsc has one receiver");
        let (tx, rx) = std::sync::mpsc::sync_channel(cap);
        (vec![tx; p], vec![rx])
    }
    #[inline]
    fn put(tx: &Self::Tx, item: u64) {
        tx.send(item).unwrap();
    }
    #[inline]
    fn get(rx: &Self::Rx) -> u64 {
        rx.recv().unwrap()
    }
}

/// The textbook bounded queue: a `Mutex<VecDeque>` and two `Condvar`s, notifying with the
/// lock held (as CPython's queue, and syncsmith's, do).
struct StdQueue {
    items: Mutex<VecDeque<u64>>,
    not_empty: Condvar,
    not_full: Condvar,
    cap: usize,
}
impl BenchQueue for StdQueue {
    const NAME: &'static str = "std Mutex+Condvar";
    type Tx = Arc<StdQueue>;
    type Rx = Arc<StdQueue>;
    fn make(cap: usize, p: usize, c: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        let q = Arc::new(StdQueue {
            items: Mutex::new(VecDeque::with_capacity(cap)),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            cap,
        });
        (vec![q.clone(); p], vec![q; c])
    }
    #[inline]
    fn put(tx: &Self::Tx, item: u64) {
        let mut items = tx.items.lock().unwrap();
        while items.len() >= tx.cap {
            items = tx.not_full.wait(items).unwrap();
        }
        items.push_back(item);
        tx.not_empty.notify_one();
    }
    #[inline]
    fn get(rx: &Self::Rx) -> u64 {
        let mut items = rx.items.lock().unwrap();
        loop {
            if let Some(item) = items.pop_front() {
                rx.not_full.notify_one();
                return item;
            }
            items = rx.not_empty.wait(items).unwrap();
        }
    }
}

/// Moves `iters * ITEMS` items through a fresh queue with `p` producers and `c` consumers;
/// returns the time from when the first producer leaves the start barrier until the last
/// consumer has its last item (both read by the worker threads themselves).
fn run<Q: BenchQueue>(cap: usize, p: usize, c: usize, iters: u64) -> Duration {
    let total = iters * ITEMS;
    let (txs, rxs) = Q::make(cap, p, c);
    let start = Arc::new(Barrier::new(p + c + 1));
    let share = |n: usize, i: usize| total / n as u64 + u64::from((i as u64) < total % n as u64);
    let producers: Vec<_> = txs
        .into_iter()
        .enumerate()
        .map(|(i, tx)| {
            let (start, count) = (start.clone(), share(p, i));
            thread::spawn(move || {
                start.wait();
                // The clock starts in the threads that do the work, right after they
                // leave the barrier: a main thread reading it after its own `wait` could
                // wake later than a consumer that is already done (criterion then sees
                // "zero time"), and would add its wake-up latency to the window.
                let began = Instant::now();
                for item in 0..count {
                    Q::put(&tx, item);
                }
                began
            })
        })
        .collect();
    let consumers: Vec<_> = rxs
        .into_iter()
        .enumerate()
        .map(|(i, rx)| {
            let (start, count) = (start.clone(), share(c, i));
            thread::spawn(move || {
                start.wait();
                let mut sum = 0u64;
                for _ in 0..count {
                    sum = sum.wrapping_add(Q::get(&rx));
                }
                (Instant::now(), sum)
            })
        })
        .collect();
    start.wait();
    // No item can move before the first producer starts, so its clock is the start.
    let began = producers
        .into_iter()
        .map(|producer| producer.join().unwrap())
        .min()
        .unwrap();
    let ended = consumers
        .into_iter()
        .map(|consumer| consumer.join().unwrap().0)
        .max()
        .unwrap();
    ended - began
}

fn bench_one<Q: BenchQueue>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    cap: usize,
    p: usize,
    c: usize,
) {
    group.bench_function(BenchmarkId::from_parameter(Q::NAME), |b| {
        b.iter_custom(|iters| run::<Q>(cap, p, c, iters))
    });
}

fn bounded(criterion: &mut Criterion) {
    for cap in [1, 64] {
        for (p, c) in [(1, 1), (2, 2)] {
            let mut group = criterion.benchmark_group(format!("queue/cap{cap}/{p}p{c}c"));
            group.throughput(Throughput::Elements(ITEMS));
            bench_one::<Syncsmith>(&mut group, cap, p, c);
            bench_one::<StdQueue>(&mut group, cap, p, c);
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
        bench_one::<Simple>(&mut group, 0, p, c);
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
