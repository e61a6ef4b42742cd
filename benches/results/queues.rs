//! The queue family against `crossbeam_channel`, `std::mpsc::sync_channel` and the
//! textbook `Mutex<VecDeque>` + two `Condvar`s: the queue chapter's tables, and items per
//! second against producer/consumer pairs (for the chart).

use crate::chart::Panel;
use crate::common::queues::{
    barrier_run, plain_run, BenchQueue, Crossbeam, SyncChannel, TextbookQueue,
};
use crate::method::{contestant, Contestant};
use crate::report::{count, Ratio, Run, Table};

type Ours = syncsmith::Queue<u64>;
type Simple = syncsmith::SimpleQueue<u64>;

const BOUNDED: &str = "crossbeam_channel::bounded";
const UNBOUNDED: &str = "crossbeam_channel::unbounded";

/// Items per measurement for syncsmith and crossbeam (the 400,000).
const ITEMS: u64 = 400_000;

/// How a run starts its threads and reads the clock (see `benches/common/queues.rs`).
#[derive(Clone, Copy)]
enum Harness {
    /// Spawn, loop, join; the main thread's clock spans all of it.
    Plain,
    /// Workers start together at a barrier and read the clock themselves.
    Barrier,
}

impl Harness {
    fn name(self) -> &'static str {
        match self {
            Harness::Plain => "plain",
            Harness::Barrier => "barrier",
        }
    }

    /// A contestant named `name` that moves `items` items through `Q` per measurement.
    fn contestant<'a, Q: BenchQueue>(
        self,
        name: &'static str,
        cap: usize,
        (p, c): (usize, usize),
        items: u64,
    ) -> Contestant<'a> {
        contestant(name, items, move |n| match self {
            Harness::Plain => plain_run::<Q>(cap, p, c, n),
            Harness::Barrier => barrier_run::<Q>(cap, p, c, n),
        })
    }
}

/// The bounded-queue table: `docs/results/queue.md`.
pub fn queue_table(run: &Run) {
    let s = &run.settings;
    let mut rows = Vec::new();
    for (cap, (p, c)) in [(64, (1, 1)), (64, (2, 2)), (1, (1, 1)), (1, (2, 2))] {
        // At capacity 1 every item is a hand-over from one thread to another (a wake-up
        // whenever the other thread sleeps), and the textbook queue and sync_channel wake a
        // thread for nearly every item even at capacity 64: they move fewer items, so that
        // a busy machine still finishes in minutes. The figures are per item.
        let items = s.work(if cap == 1 { ITEMS / 4 } else { ITEMS });
        let slow_items = s.work(if cap == 1 { ITEMS / 40 } else { ITEMS / 10 });
        for harness in [Harness::Plain, Harness::Barrier] {
            let mut contestants = vec![
                harness.contestant::<Ours>(Ours::NAME, cap, (p, c), items),
                harness.contestant::<Crossbeam>(BOUNDED, cap, (p, c), items),
                harness.contestant::<TextbookQueue>(TextbookQueue::NAME, cap, (p, c), slow_items),
            ];
            if c == 1 {
                contestants.push(harness.contestant::<SyncChannel>(
                    SyncChannel::NAME,
                    cap,
                    (p, c),
                    slow_items,
                ));
            }
            let shape = format!("capacity {cap}, {p}P/{c}C, {} harness", harness.name());
            rows.push(run.compare(&shape, contestants));
        }
    }
    let table = Table {
        heading: "Shape: one item",
        columns: vec![Ours::NAME, BOUNDED, TextbookQueue::NAME, SyncChannel::NAME],
        ratios: vec![
            Ratio {
                ours: Ours::NAME,
                anchor: BOUNDED,
            },
            Ratio {
                ours: Ours::NAME,
                anchor: TextbookQueue::NAME,
            },
            Ratio {
                ours: Ours::NAME,
                anchor: SyncChannel::NAME,
            },
        ],
        rows,
    };
    run.write_table(
        "queue.md",
        &table,
        &format!(
            "P producers put and C consumers get items through one queue of the given \
             capacity: `Queue` and crossbeam move {} items at capacity 64 and {} at capacity \
             1; the textbook queue and `sync_channel`, which wake a thread for nearly every \
             item, move {} and {}. Plain harness: spawn the producers, spawn the consumers, time from \
             before the first spawn to after the last join. Barrier harness: the threads \
             start together at a barrier, and the time runs from the first producer leaving \
             it to the last consumer holding its last item. `sync_channel` has one receiver, \
             so it runs only with one consumer. Every run checks that each item arrived once.",
            s.work(ITEMS),
            s.work(ITEMS / 4),
            s.work(ITEMS / 10),
            s.work(ITEMS / 40),
        ),
    );
}

/// The unbounded-queue table: `docs/results/simple-queue.md`.
pub fn simple_queue_table(run: &Run) {
    let s = &run.settings;
    let mut rows = Vec::new();
    for (p, c) in [(1, 1), (2, 2)] {
        for harness in [Harness::Plain, Harness::Barrier] {
            let shape = format!("{p}P/{c}C, {} harness", harness.name());
            rows.push(run.compare(
                &shape,
                vec![
                    harness.contestant::<Simple>(Simple::NAME, 0, (p, c), s.work(ITEMS)),
                    harness.contestant::<Crossbeam>(UNBOUNDED, 0, (p, c), s.work(ITEMS)),
                ],
            ));
        }
    }
    let table = Table {
        heading: "Shape: one item",
        columns: vec![Simple::NAME, UNBOUNDED],
        ratios: vec![Ratio {
            ours: Simple::NAME,
            anchor: UNBOUNDED,
        }],
        rows,
    };
    run.write_table(
        "simple-queue.md",
        &table,
        &format!(
            "P producers put and C consumers get {} items in all through one unbounded \
             queue, with the same two harnesses as the bounded queues.",
            s.work(ITEMS)
        ),
    );
}

/// Items per second through the queue family with 1, 2, 4 and 8 producer/consumer pairs
/// (barrier harness; bounded queues at capacity 64).
pub fn queue_sweep(run: &Run) -> Panel {
    const LIFO: &str = "syncsmith::LifoQueue";
    const PRIORITY: &str = "syncsmith::PriorityQueue";
    const BOUNDED_64: &str = "crossbeam_channel::bounded(64)";
    let s = &run.settings;
    let xs = vec![1, 2, 4, 8];
    let h = Harness::Barrier;
    let points = xs
        .iter()
        .map(|&pairs| {
            let shape = (pairs, pairs);
            let items = s.work(ITEMS);
            run.compare(
                &format!(
                    "queue throughput, {}",
                    count(pairs, "producer/consumer pair")
                ),
                vec![
                    h.contestant::<Ours>(Ours::NAME, 64, shape, items),
                    h.contestant::<syncsmith::LifoQueue<u64>>(LIFO, 64, shape, items),
                    h.contestant::<syncsmith::PriorityQueue<u64>>(PRIORITY, 64, shape, items),
                    h.contestant::<Crossbeam>(BOUNDED_64, 64, shape, items),
                    h.contestant::<Simple>(Simple::NAME, 0, shape, items),
                    h.contestant::<Crossbeam>(UNBOUNDED, 0, shape, items),
                ],
            )
        })
        .collect();
    Panel {
        title: "Queues: items per second",
        x_label: "producer/consumer pairs (bounded queues: capacity 64)",
        y_label: "items / s",
        xs,
        series: vec![
            (Ours::NAME, false),
            (LIFO, false),
            (PRIORITY, false),
            (Simple::NAME, false),
            (BOUNDED_64, true),
            (UNBOUNDED, true),
        ],
        points,
    }
}
