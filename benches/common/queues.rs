//! The queues that benchmarks compare, behind one interface, and the two harnesses that
//! move items through them.
//!
//! Contestants: syncsmith's `Queue`, `LifoQueue`, `PriorityQueue` and `SimpleQueue`,
//! `crossbeam_channel` (bounded, or unbounded when the capacity is 0),
//! `std::sync::mpsc::sync_channel` (one consumer only), and the textbook bounded queue
//! built from `std` (a `Mutex<VecDeque>` and two `Condvar`s, CPython's design).
//!
//! Harnesses (both check that every item arrived exactly once, by its sum):
//! - [`plain_run`]: the plainest harness a user would write. Spawn the producers, spawn
//!   the consumers, each moves its share in a loop; the main thread's clock runs from
//!   before the first spawn to after the last join, so it includes spawning and joining.
//! - [`barrier_run`]: every worker waits at a start barrier; the clock runs from the first
//!   producer leaving it to the last consumer holding its last item, read by the workers.
//!
//! Shared by the measurement program (`benches/results/`); each bench crate uses only some
//! of these items, hence the `allow`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A queue under test, split into the handles producers and consumers hold.
pub trait BenchQueue {
    const NAME: &'static str;
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    /// A queue of capacity `cap` (0: unbounded), with `producers` and `consumers` handles.
    fn make(cap: usize, producers: usize, consumers: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>);
    fn put(tx: &Self::Tx, item: u64);
    fn get(rx: &Self::Rx) -> u64;
}

/// `Queue`, `LifoQueue` and `PriorityQueue` differ only in their discipline.
macro_rules! syncsmith_queue {
    ($queue:ty, $name:literal) => {
        impl BenchQueue for $queue {
            const NAME: &'static str = $name;
            type Tx = Arc<$queue>;
            type Rx = Arc<$queue>;
            fn make(cap: usize, p: usize, c: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
                let q = Arc::new(<$queue>::new(cap));
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
    };
}
syncsmith_queue!(syncsmith::Queue<u64>, "syncsmith::Queue");
syncsmith_queue!(syncsmith::LifoQueue<u64>, "syncsmith::LifoQueue");
syncsmith_queue!(syncsmith::PriorityQueue<u64>, "syncsmith::PriorityQueue");

impl BenchQueue for syncsmith::SimpleQueue<u64> {
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

/// `crossbeam_channel::bounded(cap)`, or `unbounded()` when `cap` is 0.
pub struct Crossbeam;
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

/// `std::sync::mpsc::sync_channel(cap)`: one receiver, so 1-consumer shapes only.
pub struct SyncChannel;
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
pub struct TextbookQueue {
    items: Mutex<VecDeque<u64>>,
    not_empty: Condvar,
    not_full: Condvar,
    cap: usize,
}
impl BenchQueue for TextbookQueue {
    const NAME: &'static str = "std Mutex+2 Condvars";
    type Tx = Arc<TextbookQueue>;
    type Rx = Arc<TextbookQueue>;
    fn make(cap: usize, p: usize, c: usize) -> (Vec<Self::Tx>, Vec<Self::Rx>) {
        assert!(cap > 0, "the textbook queue here is bounded");
        let q = Arc::new(TextbookQueue {
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

/// Worker `i`'s share when `total` items are split between `n` workers.
fn share(total: u64, n: usize, i: usize) -> u64 {
    total / n as u64 + u64::from((i as u64) < total % n as u64)
}

/// The sum of every item the producers put: producer `i` puts `0..share(total, p, i)`.
fn expected_sum(total: u64, p: usize) -> u64 {
    (0..p)
        .map(|i| {
            let n = share(total, p, i);
            n * n.saturating_sub(1) / 2
        })
        .sum()
}

/// Moves `total` items through a fresh queue with `p` producers and `c` consumers, the
/// plain way: the time runs from before the first spawn to after the last join.
pub fn plain_run<Q: BenchQueue>(cap: usize, p: usize, c: usize, total: u64) -> Duration {
    let (txs, rxs) = Q::make(cap, p, c);
    let began = Instant::now();
    let producers: Vec<_> = txs
        .into_iter()
        .enumerate()
        .map(|(i, tx)| {
            let count = share(total, p, i);
            thread::spawn(move || {
                for item in 0..count {
                    Q::put(&tx, item);
                }
            })
        })
        .collect();
    let consumers: Vec<_> = rxs
        .into_iter()
        .enumerate()
        .map(|(i, rx)| {
            let count = share(total, c, i);
            thread::spawn(move || (0..count).fold(0u64, |sum, _| sum.wrapping_add(Q::get(&rx))))
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    let sum = consumers
        .into_iter()
        .map(|consumer| consumer.join().unwrap())
        .fold(0u64, u64::wrapping_add);
    let elapsed = began.elapsed();
    assert_eq!(sum, expected_sum(total, p), "{}: items lost", Q::NAME);
    elapsed
}

/// Moves `total` items through a fresh queue with `p` producers and `c` consumers, started
/// together: the time runs from the first producer leaving a start barrier until the last
/// consumer has its last item (both read by the worker threads themselves).
pub fn barrier_run<Q: BenchQueue>(cap: usize, p: usize, c: usize, total: u64) -> Duration {
    let (txs, rxs) = Q::make(cap, p, c);
    let start = Arc::new(Barrier::new(p + c + 1));
    let producers: Vec<_> = txs
        .into_iter()
        .enumerate()
        .map(|(i, tx)| {
            let (start, count) = (start.clone(), share(total, p, i));
            thread::spawn(move || {
                start.wait();
                // The clock starts in the threads that do the work, right after they leave
                // the barrier: a main thread reading it after its own `wait` could wake
                // later than a consumer that is already done, and would add its wake-up
                // latency to the window.
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
            let (start, count) = (start.clone(), share(total, c, i));
            thread::spawn(move || {
                start.wait();
                let sum = (0..count).fold(0u64, |sum, _| sum.wrapping_add(Q::get(&rx)));
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
    let (ended, sum) = consumers
        .into_iter()
        .map(|consumer| consumer.join().unwrap())
        .fold((began, 0u64), |(ended, sum), (end, part)| {
            (ended.max(end), sum.wrapping_add(part))
        });
    assert_eq!(sum, expected_sum(total, p), "{}: items lost", Q::NAME);
    ended - began
}
