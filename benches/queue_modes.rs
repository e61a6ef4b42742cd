//! A measurement program (not a criterion bench) for the bounded `Queue`'s steady state,
//! written the plainest way a user would, and run side by side with its anchors in one
//! process so that a shared, noisy machine slows all of them alike.
//!
//! For each shape (capacity, producers, consumers) and each way of starting the threads,
//! it runs several *rounds*; a round moves the same items through `syncsmith::Queue`,
//! `crossbeam_channel` and the textbook `Mutex<VecDeque>` + two `Condvar`s, in an order
//! that rotates from round to round. It prints, per shape, the median and the range of the
//! per-round ratios (syncsmith's time / crossbeam's; the textbook's time / syncsmith's), so
//! a queue with two modes shows as a wide range rather than hiding in one figure.
//!
//! - `plain`: the clock starts before the first spawn and stops after the last join.
//! - `barrier`: the threads wait at a start barrier; each reads the clock itself.
//!
//! ```text
//! cargo bench --bench queue_modes                      # every shape
//! cargo bench --bench queue_modes -- cap64/1p1c plain  # shapes and modes whose name matches
//! QUEUE_MODES_ROUNDS=9 QUEUE_MODES_ITEMS=400000 cargo bench --bench queue_modes
//! cargo bench --bench queue_modes -- --only syncsmith cap64/1p1c   # one contender (for perf)
//! QUEUE_MODES_VERBOSE=1 cargo bench --bench queue_modes       # and every round's rate
//! ```
//!
//! Run it ten times to see whether a slow mode comes and goes between processes:
//! `for i in $(seq 10); do cargo bench --bench queue_modes -- cap64; done`.

use std::collections::VecDeque;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A queue under test: a handle that every producer and consumer thread clones.
trait Contender: Clone + Send + 'static {
    const NAME: &'static str;
    /// A queue of capacity `cap` (0: unbounded).
    fn make(cap: usize) -> Self;
    fn put(&self, item: u64);
    fn get(&self) -> u64;
}

#[derive(Clone)]
struct Syncsmith(Arc<syncsmith::Queue<u64>>);
impl Contender for Syncsmith {
    const NAME: &'static str = "syncsmith";
    fn make(cap: usize) -> Self {
        Syncsmith(Arc::new(syncsmith::Queue::new(cap)))
    }
    #[inline]
    fn put(&self, item: u64) {
        self.0.put(item).unwrap();
    }
    #[inline]
    fn get(&self) -> u64 {
        self.0.get().unwrap()
    }
}

#[derive(Clone)]
struct Simple(Arc<syncsmith::SimpleQueue<u64>>);
impl Contender for Simple {
    const NAME: &'static str = "syncsmith";
    fn make(_cap: usize) -> Self {
        Simple(Arc::new(syncsmith::SimpleQueue::new()))
    }
    #[inline]
    fn put(&self, item: u64) {
        self.0.put(item);
    }
    #[inline]
    fn get(&self) -> u64 {
        self.0.get()
    }
}

#[derive(Clone)]
struct Crossbeam(
    crossbeam_channel::Sender<u64>,
    crossbeam_channel::Receiver<u64>,
);
impl Contender for Crossbeam {
    const NAME: &'static str = "crossbeam";
    fn make(cap: usize) -> Self {
        let (tx, rx) = if cap == 0 {
            crossbeam_channel::unbounded()
        } else {
            crossbeam_channel::bounded(cap)
        };
        Crossbeam(tx, rx)
    }
    #[inline]
    fn put(&self, item: u64) {
        self.0.send(item).unwrap();
    }
    #[inline]
    fn get(&self) -> u64 {
        self.1.recv().unwrap()
    }
}

/// CPython's design in `std`: a `Mutex<VecDeque>`, `not_empty` and `not_full`, each put
/// and get notifying one waiter with the lock held.
struct TextbookInner {
    items: Mutex<VecDeque<u64>>,
    not_empty: Condvar,
    not_full: Condvar,
    cap: usize,
}
#[derive(Clone)]
struct Textbook(Arc<TextbookInner>);
impl Contender for Textbook {
    const NAME: &'static str = "textbook";
    fn make(cap: usize) -> Self {
        Textbook(Arc::new(TextbookInner {
            items: Mutex::new(VecDeque::new()),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            cap,
        }))
    }
    fn put(&self, item: u64) {
        let q = &self.0;
        let mut items = q.items.lock().unwrap();
        while q.cap != 0 && items.len() >= q.cap {
            items = q.not_full.wait(items).unwrap();
        }
        items.push_back(item);
        q.not_empty.notify_one();
    }
    fn get(&self) -> u64 {
        let q = &self.0;
        let mut items = q.items.lock().unwrap();
        loop {
            if let Some(item) = items.pop_front() {
                q.not_full.notify_one();
                return item;
            }
            items = q.not_empty.wait(items).unwrap();
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Start {
    /// Time from before the first spawn to after the last join.
    Plain,
    /// A start barrier; the workers read the clock.
    Barrier,
}

/// Moves `items` items through a fresh `Q` with `p` producers and `c` consumers.
fn run<Q: Contender>(cap: usize, p: usize, c: usize, items: u64, start: Start) -> Duration {
    let q = Q::make(cap);
    let share = |n: usize, i: usize| items / n as u64 + u64::from((i as u64) < items % n as u64);
    let barrier = Arc::new(Barrier::new(p + c));
    let began = Instant::now();
    let producers: Vec<_> = (0..p)
        .map(|i| {
            let (q, barrier, count) = (q.clone(), barrier.clone(), share(p, i));
            thread::spawn(move || {
                if start == Start::Barrier {
                    barrier.wait();
                }
                let began = Instant::now();
                for item in 0..count {
                    q.put(item);
                }
                began
            })
        })
        .collect();
    let consumers: Vec<_> = (0..c)
        .map(|i| {
            let (q, barrier, count) = (q.clone(), barrier.clone(), share(c, i));
            thread::spawn(move || {
                if start == Start::Barrier {
                    barrier.wait();
                }
                let mut sum = 0u64;
                for _ in 0..count {
                    sum = sum.wrapping_add(q.get());
                }
                (Instant::now(), sum)
            })
        })
        .collect();
    let first_put = producers.into_iter().map(|h| h.join().unwrap()).min();
    let last_get = consumers.into_iter().map(|h| h.join().unwrap().0).max();
    match start {
        Start::Plain => began.elapsed(),
        Start::Barrier => last_get.unwrap() - first_put.unwrap(),
    }
}

struct Shape {
    name: &'static str,
    cap: usize,
    producers: usize,
    consumers: usize,
    /// Items per run, relative to `QUEUE_MODES_ITEMS` (the textbook queue at capacity 1
    /// needs a futex round trip per item, so those shapes move fewer).
    divisor: u64,
}

const SHAPES: &[Shape] = &[
    Shape {
        name: "cap64/1p1c",
        cap: 64,
        producers: 1,
        consumers: 1,
        divisor: 1,
    },
    Shape {
        name: "cap64/2p2c",
        cap: 64,
        producers: 2,
        consumers: 2,
        divisor: 1,
    },
    Shape {
        name: "cap1/1p1c",
        cap: 1,
        producers: 1,
        consumers: 1,
        divisor: 4,
    },
    Shape {
        name: "cap1/2p2c",
        cap: 1,
        producers: 2,
        consumers: 2,
        divisor: 4,
    },
    Shape {
        name: "simple/1p1c",
        cap: 0,
        producers: 1,
        consumers: 1,
        divisor: 1,
    },
    Shape {
        name: "simple/2p2c",
        cap: 0,
        producers: 2,
        consumers: 2,
        divisor: 1,
    },
];

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn range(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `run` for one contender: capacity, producers, consumers, items, start.
type Runner = fn(usize, usize, usize, u64, Start) -> Duration;

/// Runs one shape: `rounds` rounds, each timing every contender once in a rotating order.
/// Returns per-round times, in the order syncsmith, crossbeam, textbook.
fn measure<S: Contender>(
    shape: &Shape,
    start: Start,
    items: u64,
    rounds: usize,
    only: Option<&str>,
) -> [Vec<Duration>; 3] {
    let mut times: [Vec<Duration>; 3] = Default::default();
    let runners: [(&str, Runner); 3] = [
        (S::NAME, run::<S>),
        (Crossbeam::NAME, run::<Crossbeam>),
        (Textbook::NAME, run::<Textbook>),
    ];
    for round in 0..rounds {
        for k in 0..3 {
            let which = (round + k) % 3;
            let (name, runner) = runners[which];
            if only.is_some_and(|only| only != name) {
                continue;
            }
            let time = runner(shape.cap, shape.producers, shape.consumers, items, start);
            times[which].push(time);
        }
    }
    times
}

fn main() {
    let mut only = None;
    let mut filters = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {}
            "--only" => only = args.next(),
            _ => filters.push(arg),
        }
    }
    let rounds = env_u64("QUEUE_MODES_ROUNDS", 7) as usize;
    let base_items = env_u64("QUEUE_MODES_ITEMS", 400_000);
    run_shapes(&filters, only.as_deref(), rounds, base_items);
}

/// Runs every shape and start whose label (`cap64/1p1c plain`) contains all of `filters`,
/// `rounds` rounds each, and prints one line per shape. Also called at the end of the
/// criterion bench (`benches/queue.rs`), so that its report shows the spread too.
pub fn run_shapes(filters: &[String], only: Option<&str>, rounds: usize, base_items: u64) {
    println!(
        "# queue_modes: {rounds} rounds per shape, {base_items} items (capacity 1: a quarter); \
         ratios are per-round time ratios: median [min..max]"
    );
    for shape in SHAPES {
        for (start, start_name) in [(Start::Plain, "plain"), (Start::Barrier, "barrier")] {
            let label = format!("{} {start_name}", shape.name);
            if !filters.is_empty() && !filters.iter().all(|f| label.contains(f.as_str())) {
                continue;
            }
            let items = base_items / shape.divisor;
            let [ours, cb, tb] = if shape.cap == 0 {
                measure::<Simple>(shape, start, items, rounds, only)
            } else {
                measure::<Syncsmith>(shape, start, items, rounds, only)
            };
            report(&label, items, &ours, &cb, &tb);
        }
    }
}

fn report(label: &str, items: u64, ours: &[Duration], cb: &[Duration], tb: &[Duration]) {
    let rate = |times: &[Duration]| {
        median(
            times
                .iter()
                .map(|t| items as f64 / t.as_secs_f64() / 1e6)
                .collect(),
        )
    };
    let mut line = format!("{label:<20}");
    if !ours.is_empty() {
        line += &format!(" syncsmith {:6.2} M/s", rate(ours));
    }
    if ours.len() == cb.len() && !cb.is_empty() {
        let ratios: Vec<f64> = ours
            .iter()
            .zip(cb)
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        let (min, max) = range(&ratios);
        line += &format!(
            " | syncsmith/crossbeam {:5.2} [{min:5.2}..{max:5.2}]",
            median(ratios.clone())
        );
    }
    if ours.len() == tb.len() && !tb.is_empty() {
        let ratios: Vec<f64> = tb
            .iter()
            .zip(ours)
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        let (min, max) = range(&ratios);
        line += &format!(
            " | textbook/syncsmith {:6.2} [{min:6.2}..{max:6.2}]",
            median(ratios.clone())
        );
    }
    if ours.is_empty() {
        for (name, times) in [("crossbeam", cb), ("textbook", tb)] {
            if !times.is_empty() {
                line += &format!(" {name} {:6.2} M/s", rate(times));
            }
        }
    }
    println!("{line}");
    if std::env::var_os("QUEUE_MODES_VERBOSE").is_some() {
        for (name, times) in [("syncsmith", ours), ("crossbeam", cb), ("textbook", tb)] {
            let rates: Vec<String> = times
                .iter()
                .map(|t| format!("{:.2}", items as f64 / t.as_secs_f64() / 1e6))
                .collect();
            println!("    {name:<10} M items/s per round: {}", rates.join(" "));
        }
    }
}
