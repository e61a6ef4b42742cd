//! `Lock` and `RLock` against `parking_lot` and `std`: the tables of the Lock and RLock
//! chapters, and the lock's throughput against the number of threads (for the chart).

use crate::chart::Panel;
use crate::common::locks::{contended_run, BenchLock};
use crate::method::{contestant, timed, Contestant};
use crate::report::{count, Ratio, Run, Table};
use std::hint::black_box;

type Ours = syncsmith::Lock;
type ParkingLot = parking_lot::Mutex<()>;
type Std = std::sync::Mutex<()>;

/// One thread taking and releasing a fresh lock `ops` times through its guard.
fn uncontended<'a, L: BenchLock>(ops: u64) -> Contestant<'a> {
    contestant(L::NAME, ops, |n| {
        let lock = L::new();
        timed(n, || black_box(&lock).with(|| ()))
    })
}

/// `threads` threads sharing `ops` acquisitions of one lock, started at a barrier.
fn contended<'a, L: BenchLock>(threads: usize, ops: u64) -> Contestant<'a> {
    let per_thread = (ops / threads as u64).max(1);
    contestant(L::NAME, per_thread * threads as u64, move |_| {
        contended_run::<L>(threads, per_thread)
    })
}

/// The `Lock` table: `docs/results/lock.md`.
pub fn lock_table(run: &Run) {
    let s = &run.settings;
    let mut rows = vec![run.compare(
        "uncontended: acquire + release",
        vec![
            uncontended::<Ours>(s.work(2_000_000)),
            uncontended::<ParkingLot>(s.work(2_000_000)),
            uncontended::<Std>(s.work(2_000_000)),
        ],
    )];
    for threads in [2, 4] {
        // Enough work (tens of milliseconds) that the threads really overlap rather than
        // each finishing within one scheduler time slice.
        let ops = s.work(2_000_000);
        rows.push(run.compare(
            &format!("contended, {threads} threads: one acquisition"),
            vec![
                contended::<Ours>(threads, ops),
                contended::<ParkingLot>(threads, ops),
                contended::<Std>(threads, ops),
            ],
        ));
    }
    let table = Table {
        heading: "Shape: one operation",
        columns: vec![Ours::NAME, ParkingLot::NAME, Std::NAME],
        ratios: vec![
            Ratio {
                ours: Ours::NAME,
                anchor: ParkingLot::NAME,
            },
            Ratio {
                ours: Ours::NAME,
                anchor: Std::NAME,
            },
        ],
        rows,
    };
    run.write_table(
        "lock.md",
        &table,
        "Uncontended: one thread takes and releases the lock through its guard. Contended: \
         2 or 4 threads, started together at a barrier, each take and release the lock the \
         same number of times around a critical section that increments a shared counter; \
         the time is from the first thread leaving the barrier to the last one finishing, \
         divided by the number of acquisitions.",
    );
}

/// The `RLock` table: `docs/results/rlock.md`.
pub fn rlock_table(run: &Run) {
    const OURS: &str = "syncsmith::RLock";
    const ANCHOR: &str = "parking_lot::ReentrantMutex";
    let s = &run.settings;
    let ops = s.work(2_000_000);
    let outer = run.compare(
        "outer: acquire + release, not yet held",
        vec![
            contestant(OURS, ops, |n| {
                let lock = syncsmith::RLock::new();
                timed(n, || drop(black_box(&lock).lock()))
            }),
            contestant(ANCHOR, ops, |n| {
                let lock = parking_lot::ReentrantMutex::new(());
                timed(n, || drop(black_box(&lock).lock()))
            }),
        ],
    );
    let nested = run.compare(
        "nested: acquire + release, already held",
        vec![
            contestant(OURS, ops, |n| {
                let lock = syncsmith::RLock::new();
                let _outer = lock.lock();
                timed(n, || drop(black_box(&lock).lock()))
            }),
            contestant(ANCHOR, ops, |n| {
                let lock = parking_lot::ReentrantMutex::new(());
                let _outer = lock.lock();
                timed(n, || drop(black_box(&lock).lock()))
            }),
        ],
    );
    let table = Table {
        heading: "Shape: one operation",
        columns: vec![OURS, ANCHOR],
        ratios: vec![Ratio {
            ours: OURS,
            anchor: ANCHOR,
        }],
        rows: vec![outer, nested],
    };
    run.write_table(
        "rlock.md",
        &table,
        "One thread, through the guard. Nested: the thread already holds the lock once, so \
         each operation is a re-entry and its release.",
    );
}

/// Lock acquisitions per second with 1, 2, 4 and 8 threads hammering one lock.
pub fn lock_sweep(run: &Run) -> Panel {
    let s = &run.settings;
    let xs = vec![1, 2, 4, 8];
    let points = xs
        .iter()
        .map(|&threads| {
            let ops = s.work(2_000_000);
            run.compare(
                &format!("lock throughput, {}", count(threads, "thread")),
                vec![
                    contended::<Ours>(threads, ops),
                    contended::<ParkingLot>(threads, ops),
                    contended::<Std>(threads, ops),
                ],
            )
        })
        .collect();
    Panel {
        title: "Lock: acquisitions per second",
        x_label: "threads hammering one lock",
        y_label: "acquisitions / s",
        xs,
        series: vec![
            (Ours::NAME, false),
            (ParkingLot::NAME, true),
            (Std::NAME, true),
        ],
        points,
    }
}
