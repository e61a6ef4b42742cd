//! The primitives built on `Condition`, against what `std` and `parking_lot` offer:
//! `Condition` ping-pong, `Event` round trips and `Semaphore` permits (the tables of the
//! Condition, Event and Semaphore chapters).

use crate::common::events::{round_trip_run, BenchEvent, TextbookEvent};
use crate::common::ping_pong::{ping_pong_run, Ours, ParkingLotPingPong, PingPong, StdPingPong};
use crate::common::semaphores::{contended_run, BenchSemaphore, TextbookSemaphore};
use crate::method::{contestant, timed, Contestant};
use crate::report::{Ratio, Run, Table};
use std::hint::black_box;

type OnLock = Ours<syncsmith::Lock>;
type OnRLock = Ours<syncsmith::RLock>;

fn ping_pong<'a, P: PingPong>(hand_overs: u64) -> Contestant<'a> {
    contestant(P::NAME, hand_overs, ping_pong_run::<P>)
}

/// The `Condition` table: `docs/results/condition.md`.
pub fn condition_table(run: &Run) {
    let s = &run.settings;
    let hand_overs = s.work(20_000);
    let ping_pong = run.compare(
        "ping-pong: one hand-over",
        vec![
            ping_pong::<OnLock>(hand_overs),
            ping_pong::<OnRLock>(hand_overs),
            ping_pong::<StdPingPong>(hand_overs),
            ping_pong::<ParkingLotPingPong>(hand_overs),
        ],
    );
    let calls = s.work(5_000_000);
    let notify_nobody = run.compare(
        "`notify_one` with no waiter, lock held",
        vec![
            contestant(OnLock::NAME, calls, |n| {
                let cond = syncsmith::Condition::with_lock(syncsmith::Lock::new());
                let _held = cond.lock();
                timed(n, || black_box(&cond).notify_one().unwrap())
            }),
            // std's `notify_one` makes a system call even with no waiter: fewer calls.
            contestant(StdPingPong::NAME, calls / 20, |n| {
                let (mutex, cond) = (std::sync::Mutex::new(()), std::sync::Condvar::new());
                let _held = mutex.lock().unwrap();
                timed(n, || black_box(&cond).notify_one())
            }),
            contestant(ParkingLotPingPong::NAME, calls, |n| {
                let (mutex, cond) = (parking_lot::Mutex::new(()), parking_lot::Condvar::new());
                let _held = mutex.lock();
                timed(n, || {
                    black_box(&cond).notify_one();
                })
            }),
        ],
    );
    let table = Table {
        heading: "Shape: one operation",
        columns: vec![
            OnLock::NAME,
            OnRLock::NAME,
            StdPingPong::NAME,
            ParkingLotPingPong::NAME,
        ],
        ratios: vec![
            Ratio {
                ours: OnLock::NAME,
                anchor: StdPingPong::NAME,
            },
            Ratio {
                ours: OnRLock::NAME,
                anchor: StdPingPong::NAME,
            },
            Ratio {
                ours: OnLock::NAME,
                anchor: ParkingLotPingPong::NAME,
            },
        ],
        rows: vec![ping_pong, notify_nobody],
    };
    run.write_table(
        "condition.md",
        &table,
        "Ping-pong: two threads take turns; each waits until a shared turn counter names \
         it, passes the turn and notifies, so every hand-over wakes a sleeping thread \
         (queueing a waiter, releasing the lock, parking, the notify, the wake-up, re-taking \
         the lock). `notify_one` with no waiter: the cost a producer pays on every item \
         when its consumers keep up.",
    );
}

fn round_trip<'a, E: BenchEvent>(trips: u64) -> Contestant<'a> {
    contestant(E::NAME, trips, round_trip_run::<E>)
}

/// A fresh event, set, and `op` run on it `n` times.
fn when_set<E: BenchEvent>(n: u64, op: impl Fn(&E)) -> std::time::Duration {
    let event = E::new();
    event.set();
    timed(n, || op(black_box(&event)))
}

/// The `Event` table: `docs/results/event.md`.
pub fn event_table(run: &Run) {
    type Ours = syncsmith::Event;
    let s = &run.settings;
    let trips = s.work(10_000);
    let calls = s.work(5_000_000);
    let rows = vec![
        run.compare(
            "round trip: set, and wait for the answer",
            vec![
                round_trip::<Ours>(trips),
                round_trip::<TextbookEvent>(trips),
            ],
        ),
        run.compare(
            "`wait` on a set event",
            vec![
                contestant(Ours::NAME, calls, |n| when_set::<Ours>(n, |e| e.wait())),
                // The textbook event takes a `Mutex` for every call: fewer calls.
                contestant(TextbookEvent::NAME, calls / 10, |n| {
                    when_set::<TextbookEvent>(n, |e| e.wait())
                }),
            ],
        ),
        run.compare(
            "`is_set`",
            vec![
                contestant(Ours::NAME, calls, |n| {
                    when_set::<Ours>(n, |e| {
                        black_box(e.is_set());
                    })
                }),
                contestant(TextbookEvent::NAME, calls / 10, |n| {
                    when_set::<TextbookEvent>(n, |e| {
                        black_box(e.is_set());
                    })
                }),
            ],
        ),
    ];
    let table = Table {
        heading: "Shape: one operation",
        columns: vec![Ours::NAME, TextbookEvent::NAME],
        ratios: vec![Ratio {
            ours: Ours::NAME,
            anchor: TextbookEvent::NAME,
        }],
        rows,
    };
    run.write_table(
        "event.md",
        &table,
        "Round trip: two threads, two events; one sets `ping` and waits for `pong`, the \
         other waits for `ping`, clears it and sets `pong` (two wake-ups). The anchor is \
         the event most Rust code would write, a `Mutex<bool>` and a `Condvar`.",
    );
}

fn contended_semaphore<'a, S: BenchSemaphore>(threads: usize, ops: u64) -> Contestant<'a> {
    let per_thread = (ops / threads as u64).max(1);
    contestant(S::NAME, per_thread * threads as u64, move |_| {
        contended_run::<S>(threads, per_thread)
    })
}

/// The `Semaphore` table: `docs/results/semaphore.md`.
pub fn semaphore_table(run: &Run) {
    type Ours = syncsmith::Semaphore;
    type Anchor = TextbookSemaphore;
    let s = &run.settings;
    let calls = s.work(1_000_000);
    let mut rows = vec![run.compare(
        "uncontended: acquire + release",
        vec![
            contestant(Ours::NAME, calls, |n| {
                let sem = <Ours as BenchSemaphore>::new(1);
                timed(n, || {
                    let sem = black_box(&sem);
                    BenchSemaphore::acquire(sem);
                    BenchSemaphore::release(sem);
                })
            }),
            contestant(Anchor::NAME, calls, |n| {
                let sem = Anchor::new(1);
                timed(n, || {
                    let sem = black_box(&sem);
                    sem.acquire();
                    sem.release();
                })
            }),
        ],
    )];
    for threads in [2, 4] {
        // The textbook semaphore sleeps and wakes for most permits when contended.
        rows.push(run.compare(
            &format!(
                "contended, {threads} threads, {} permit{}: one acquire + release",
                threads / 2,
                if threads == 2 { "" } else { "s" }
            ),
            vec![
                contended_semaphore::<Ours>(threads, s.work(200_000)),
                contended_semaphore::<Anchor>(threads, s.work(40_000)),
            ],
        ));
    }
    let table = Table {
        heading: "Shape: one operation",
        columns: vec![Ours::NAME, Anchor::NAME],
        ratios: vec![Ratio {
            ours: Ours::NAME,
            anchor: Anchor::NAME,
        }],
        rows,
    };
    run.write_table(
        "semaphore.md",
        &table,
        "Contended: the threads, started together at a barrier, share half as many \
         permits; each takes a permit, increments a shared counter and gives it back. The \
         anchor is the semaphore most Rust code would write, a counter under a `Mutex` and \
         a `Condvar`.",
    );
}
