//! Loom models of `Queue` (with each discipline) and `SimpleQueue`: the shipped code, run on
//! the `Loom` runtime.
//!
//! The items live in the runtime's `UnsafeCell`, so if the queue's lock ever failed to
//! order two accesses, loom would report a causality violation. The models below check the
//! rest: no item lost or duplicated, every blocked thread woken (a lost notify shows as a
//! loom deadlock), timeouts that race a wake-up, `task_done`/`join`, and `shutdown` racing
//! blocked putters and getters. Each model is small (two or three threads, a few
//! operations) so that the whole file stays well under a minute in debug mode.

mod common;

use common::{model, model3, Seen};
use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;
use syncsmith::runtime::Loom;
use syncsmith::{Fifo, GetError, Lifo, Priority, PutError, Queue, ShutDown, SimpleQueue};

type FifoQ = Queue<u32, Fifo, Loom>;

/// A timeout that forms a deadline: under loom, the wait yields once and then times out
/// unless it was woken first.
const SOON: Duration = Duration::from_secs(1);

fn sorted(mut items: Vec<u32>) -> Vec<u32> {
    items.sort_unstable();
    items
}

// ---------------------------------------------------------------- put and get

/// Capacity 1, two producers: the second `put` blocks until the consumer's `get` makes
/// room, and the consumer's second `get` may block until it is put.
#[test]
fn capacity_one_two_producers_nothing_lost_or_duplicated() {
    model3(|| {
        let q = Arc::new(FifoQ::with_runtime(1));
        let producers: Vec<_> = [1, 2]
            .into_iter()
            .map(|item| {
                let q = q.clone();
                thread::spawn(move || q.put(item).unwrap())
            })
            .collect();
        let got = vec![q.get().unwrap(), q.get().unwrap()];
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(sorted(got), [1, 2]);
        assert!(q.empty());
        assert_eq!(q.unfinished_tasks(), 2);
    });
}

/// Capacity 1, two consumers: each `get` may block until the producer's `put`, and the
/// producer's second `put` may block until a consumer made room.
#[test]
fn capacity_one_two_consumers_each_item_got_once() {
    model3(|| two_getters_then_two_puts(1));
}

/// Two getters on a fresh queue of `capacity`, then two `put`s from this thread: each item
/// is got exactly once, and the queue ends empty.
fn two_getters_then_two_puts(capacity: usize) {
    let q = Arc::new(FifoQ::with_runtime(capacity));
    let getters: Vec<_> = (0..2)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || q.get().unwrap())
        })
        .collect();
    q.put(1).unwrap();
    q.put(2).unwrap();
    let got: Vec<u32> = getters.into_iter().map(|g| g.join().unwrap()).collect();
    assert_eq!(sorted(got), [1, 2]);
    assert!(q.empty());
}

/// Two threads that each put and then get on a queue of capacity 1: a `put` that blocks is
/// woken by the other thread's `get`, a `get` that blocks by the other's `put`.
#[test]
fn two_producer_consumers_capacity_one() {
    model(|| {
        let q = Arc::new(FifoQ::with_runtime(1));
        let other = {
            let q = q.clone();
            thread::spawn(move || {
                q.put(2).unwrap();
                q.get().unwrap()
            })
        };
        q.put(1).unwrap();
        let mine = q.get().unwrap();
        let theirs = other.join().unwrap();
        assert_eq!(sorted(vec![mine, theirs]), [1, 2]);
        assert!(q.empty());
    });
}

/// Two getters blocked on an empty unbounded queue, then two `put`s in a row: each `put`
/// must wake a getter of its own. A `put` that skips its notify (forgets it, or notifies
/// only when the queue was empty before, the tempting "only the first item needs a wake-up"
/// shortcut) leaves the second getter asleep next to an item: a loom deadlock.
#[test]
fn two_blocked_getters_each_woken_by_its_own_put() {
    model3(|| two_getters_then_two_puts(0));
}

/// LIFO order under a race: with 1 and 2 queued, a `put(3)` races a `get`. The getter takes
/// the newest item at its moment (3 if the put came first, else 2), and what is left comes
/// out newest first. A FIFO (or any other order) fails here.
#[test]
fn lifo_order_holds_when_a_put_races_a_get() {
    static GOT_THE_RACING_ITEM: Seen = Seen::new();
    model3(|| {
        let q = Arc::new(Queue::<u32, Lifo, Loom>::with_runtime(0));
        q.put(1).unwrap();
        q.put(2).unwrap();
        let putter = {
            let q = q.clone();
            thread::spawn(move || q.put(3).unwrap())
        };
        let getter = {
            let q = q.clone();
            thread::spawn(move || q.get().unwrap())
        };
        putter.join().unwrap();
        let got = getter.join().unwrap();
        let rest: Vec<u32> = std::iter::from_fn(|| q.try_get().ok()).collect();
        match got {
            3 => assert_eq!(rest, [2, 1], "LIFO: the rest leaves newest first"),
            2 => assert_eq!(rest, [3, 1], "LIFO: the racing item is now the newest"),
            other => panic!("a LIFO get took {other}, not the newest item"),
        }
        GOT_THE_RACING_ITEM.record(got == 3);
    });
    assert!(
        GOT_THE_RACING_ITEM.both(),
        "loom never showed both the put and the get going first"
    );
}

/// The LIFO and priority disciplines run through the same core; one blocking exchange
/// each, with the order checked when both items are in.
#[test]
fn lifo_and_priority_blocking_exchange() {
    model(|| {
        let lifo = Arc::new(Queue::<u32, Lifo, Loom>::with_runtime(2));
        let prio = Arc::new(Queue::<u32, Priority, Loom>::with_runtime(2));
        let consumer = {
            let (lifo, prio) = (lifo.clone(), prio.clone());
            thread::spawn(move || (lifo.get().unwrap(), prio.get().unwrap()))
        };
        lifo.put(7).unwrap();
        prio.put(7).unwrap();
        assert_eq!(consumer.join().unwrap(), (7, 7));
        prio.put(3).unwrap();
        prio.put(1).unwrap();
        assert_eq!((prio.get(), prio.get()), (Ok(1), Ok(3)));
    });
}

// ---------------------------------------------------------------- timeouts

/// A `put_timeout` on a full queue races the `get` that makes room: either it stores its
/// item, or it reports `Full` and hands the item back. Never both, never neither.
#[test]
fn put_timeout_racing_get_keeps_every_item() {
    static STORED: Seen = Seen::new();
    model(|| {
        let q = Arc::new(FifoQ::with_runtime(1));
        q.put(1).unwrap();
        let putter = {
            let q = q.clone();
            thread::spawn(move || q.put_timeout(2, SOON))
        };
        let first = q.get().unwrap();
        assert_eq!(first, 1);
        let outcome = putter.join().unwrap();
        STORED.record(outcome.is_ok());
        match outcome {
            Ok(()) => assert_eq!(q.try_get(), Ok(2)),
            Err(PutError::Full(item)) => {
                assert_eq!(item, 2);
                assert!(q.empty());
            }
            Err(PutError::ShutDown(_)) => panic!("nobody shut the queue down"),
        }
        assert_eq!(q.try_get(), Err(GetError::Empty));
    });
    assert!(
        STORED.both(),
        "loom never showed both a put_timeout that got in and one that timed out"
    );
}

/// Two timed getters race one `put`: exactly one party ends up with the item, a getter or
/// the queue (both getters timed out): never two getters, never nobody. If a notify picks
/// a getter and its time runs out at the same moment, it must still report (and take) the
/// item rather than swallow the notify. Across the executions a getter must win at least
/// once and both must time out at least once, or the race was not explored.
#[test]
fn get_timeouts_racing_one_put_exactly_one_wins() {
    static A_GETTER_WON: Seen = Seen::new();
    model3(|| {
        let q = Arc::new(FifoQ::with_runtime(0));
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || q.get_timeout(SOON))
            })
            .collect();
        q.put(5).unwrap();
        let results: Vec<_> = getters.into_iter().map(|g| g.join().unwrap()).collect();
        for r in &results {
            assert!(matches!(r, Ok(5) | Err(GetError::Empty)), "{r:?}");
        }
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert!(winners <= 1, "two getters got the one item");
        let leftover = q.try_get().ok();
        let owners = winners + usize::from(leftover.is_some());
        assert_eq!(owners, 1, "the item must end with exactly one winner");
        A_GETTER_WON.record(winners == 1);
    });
    assert!(
        A_GETTER_WON.both(),
        "loom never showed both a getter winning and both getters timing out"
    );
}

/// A timed getter and a blocking getter share one `put` and one later `put`: the blocking
/// getter must not be stranded by a timed getter that was notified as it timed out.
#[test]
fn timed_getter_never_strands_a_blocking_getter() {
    static TIMED_GOT_ONE: Seen = Seen::new();
    model3(|| {
        let q = Arc::new(FifoQ::with_runtime(0));
        let timed = {
            let q = q.clone();
            thread::spawn(move || q.get_timeout(SOON).ok())
        };
        let blocking = {
            let q = q.clone();
            thread::spawn(move || q.get().unwrap())
        };
        q.put(1).unwrap();
        let timed_got = timed.join().unwrap();
        if timed_got.is_some() {
            q.put(2).unwrap();
        }
        let blocking_got = blocking.join().unwrap();
        TIMED_GOT_ONE.record(timed_got.is_some());
        match timed_got {
            Some(a) => assert_eq!(sorted(vec![a, blocking_got]), [1, 2]),
            None => assert_eq!(blocking_got, 1),
        }
    });
    assert!(
        TIMED_GOT_ONE.both(),
        "loom never showed both a timed getter that got an item and one that timed out"
    );
}

// ---------------------------------------------------------------- task_done / join

/// `join` returns only after the consumer's `task_done`, and sees what the consumer did
/// before it.
#[test]
fn join_waits_for_task_done() {
    model(|| {
        let q = Arc::new(FifoQ::with_runtime(0));
        let processed = Arc::new(AtomicBool::new(false));
        let worker = {
            let (q, processed) = (q.clone(), processed.clone());
            thread::spawn(move || {
                let item = q.get().unwrap();
                assert_eq!(item, 9);
                processed.store(true, SeqCst);
                q.task_done().unwrap();
            })
        };
        q.put(9).unwrap();
        q.join();
        assert!(processed.load(SeqCst), "join returned before task_done");
        worker.join().unwrap();
        assert!(q.task_done().is_err());
    });
}

/// Two `task_done` calls from two threads race a `join`: the joiner wakes, and only once
/// both tasks are done.
#[test]
fn join_wakes_only_when_the_last_task_is_done() {
    model3(|| {
        let q = Arc::new(FifoQ::with_runtime(0));
        q.put(1).unwrap();
        q.put(2).unwrap();
        q.get().unwrap();
        q.get().unwrap();
        let joiner = {
            let q = q.clone();
            thread::spawn(move || {
                q.join();
                q.unfinished_tasks()
            })
        };
        let worker = {
            let q = q.clone();
            thread::spawn(move || q.task_done().unwrap())
        };
        q.task_done().unwrap();
        worker.join().unwrap();
        assert_eq!(
            joiner.join().unwrap(),
            0,
            "join returned with tasks unfinished"
        );
    });
}

/// `join` racing a `put` that raises the unfinished count again: the worker's `task_done`
/// brings the count to zero (and wakes the joiner), then its `put` raises it to one before
/// or after the joiner looks again. The joiner must return either way (after the first
/// wake-up, or after the main thread's final `task_done`), never sleep for good, and the
/// count ends at zero. Both sides of the race (the joiner returning before the count went
/// up again, and after) must be seen.
#[test]
fn join_racing_a_put_that_raises_the_count_again_returns() {
    static RAISED_WHILE_RETURNING: Seen = Seen::new();
    model3(|| {
        let q = Arc::new(FifoQ::with_runtime(0));
        q.put(1).unwrap();
        assert_eq!(q.get(), Ok(1));
        let joiner = {
            let q = q.clone();
            thread::spawn(move || {
                q.join();
                q.unfinished_tasks()
            })
        };
        let worker = {
            let q = q.clone();
            thread::spawn(move || {
                q.task_done().unwrap();
                q.put(2).unwrap();
            })
        };
        worker.join().unwrap();
        assert_eq!(q.get(), Ok(2));
        q.task_done().unwrap();
        let seen_after_join = joiner.join().unwrap();
        assert!(seen_after_join <= 1);
        RAISED_WHILE_RETURNING.record(seen_after_join == 1);
        assert_eq!(q.unfinished_tasks(), 0);
    });
    assert!(
        RAISED_WHILE_RETURNING.both(),
        "loom never showed the put raising the count both before and after join returned"
    );
}

// ---------------------------------------------------------------- shutdown

/// A putter blocked on a full queue wakes on `shutdown` and gets its item back; with
/// `immediate`, the queued item comes back to the caller. Nothing is lost either way.
#[test]
fn shutdown_wakes_a_blocked_putter_with_its_item() {
    for immediate in [false, true] {
        model(move || {
            let q = Arc::new(FifoQ::with_runtime(1));
            q.put(1).unwrap();
            let putter = {
                let q = q.clone();
                thread::spawn(move || q.put(2))
            };
            let drained = q.shutdown(immediate);
            assert_eq!(putter.join().unwrap(), Err(ShutDown(2)));
            if immediate {
                assert_eq!(drained, [1]);
                assert_eq!(q.get(), Err(ShutDown(())));
            } else {
                assert!(drained.is_empty());
                assert_eq!(q.get(), Ok(1));
            }
        });
    }
}

/// A getter blocked on an empty queue wakes on `shutdown` with `ShutDown`; racing a `put`
/// before an immediate shutdown, the item goes either to the getter or back to the caller.
#[test]
fn shutdown_wakes_a_blocked_getter() {
    model(|| {
        let q = Arc::new(FifoQ::with_runtime(0));
        let getter = {
            let q = q.clone();
            thread::spawn(move || q.get().ok())
        };
        q.put(4).unwrap();
        let drained = q.shutdown(true);
        let got = getter.join().unwrap();
        let mut seen: Vec<u32> = drained;
        seen.extend(got);
        assert_eq!(
            seen,
            [4],
            "the item is either got or handed back, exactly once"
        );
        assert!(q.is_shutdown());
    });
}

/// Two getters blocked on an empty queue: a non-immediate shutdown wakes both.
#[test]
fn shutdown_wakes_every_blocked_getter() {
    model3(|| {
        let q = Arc::new(FifoQ::with_runtime(0));
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || q.get())
            })
            .collect();
        assert!(q.shutdown(false).is_empty());
        for g in getters {
            assert_eq!(g.join().unwrap(), Err(ShutDown(())));
        }
    });
}

/// `shutdown(true)` racing a `put` on another thread: the item either got in first and is
/// handed back by the shutdown (and counted as a finished task), or the `put` came after
/// and hands it back itself. Never both, never neither; the count ends at zero and the
/// queue is shut and empty. Both orders must be seen.
#[test]
fn immediate_shutdown_racing_a_put_keeps_the_item_exactly_once() {
    static PUT_FIRST: Seen = Seen::new();
    model(|| {
        let q = Arc::new(FifoQ::with_runtime(0));
        let putter = {
            let q = q.clone();
            thread::spawn(move || q.put(7))
        };
        let drained = q.shutdown(true);
        let refused = putter.join().unwrap().err().map(ShutDown::into_inner);
        PUT_FIRST.record(refused.is_none());
        let mut seen = drained;
        seen.extend(refused);
        assert_eq!(seen, [7], "the item is drained or refused, exactly once");
        assert_eq!(q.unfinished_tasks(), 0);
        assert_eq!(q.get(), Err(ShutDown(())));
    });
    assert!(
        PUT_FIRST.both(),
        "loom never showed both the put and the shutdown going first"
    );
}

/// `join` blocked on an unfinished task returns when `shutdown(true)` drains the item.
#[test]
fn immediate_shutdown_releases_join() {
    model(|| {
        let q = Arc::new(FifoQ::with_runtime(0));
        q.put(3).unwrap();
        let joiner = {
            let q = q.clone();
            thread::spawn(move || q.join())
        };
        assert_eq!(q.shutdown(true), [3]);
        joiner.join().unwrap();
        assert_eq!(q.unfinished_tasks(), 0);
    });
}

// ---------------------------------------------------------------- SimpleQueue

/// Two producers, one consumer that blocks: nothing lost or duplicated, no lost wake-up.
#[test]
fn simple_queue_two_producers_one_blocking_consumer() {
    model3(|| {
        let q = Arc::new(SimpleQueue::<u32, Loom>::with_runtime());
        let producers: Vec<_> = [1, 2]
            .into_iter()
            .map(|item| {
                let q = q.clone();
                thread::spawn(move || q.put(item))
            })
            .collect();
        let got = vec![q.get(), q.get()];
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(sorted(got), [1, 2]);
        assert!(q.empty());
    });
}

/// A blocking and a timed getter share two `put`s; the timed one may time out, but then
/// the item stays queued, and the blocking one is never stranded.
#[test]
fn simple_queue_timed_and_blocking_getters() {
    static TIMED_GOT_ONE: Seen = Seen::new();
    model3(|| {
        let q = Arc::new(SimpleQueue::<u32, Loom>::with_runtime());
        let timed = {
            let q = q.clone();
            thread::spawn(move || q.get_timeout(SOON).ok())
        };
        let blocking = {
            let q = q.clone();
            thread::spawn(move || q.get())
        };
        q.put(1);
        q.put(2);
        let timed_got = timed.join().unwrap();
        TIMED_GOT_ONE.record(timed_got.is_some());
        let mut seen: Vec<u32> = timed_got.into_iter().collect();
        seen.push(blocking.join().unwrap());
        seen.extend(q.try_get().ok());
        assert_eq!(sorted(seen), [1, 2]);
    });
    assert!(
        TIMED_GOT_ONE.both(),
        "loom never showed both a timed getter that got an item and one that timed out"
    );
}

// ---------------------------------------------------------------- PriorityQueue: order and panics

/// A queue item whose `Ord` panics on demand: always when either side is a `bomb`, and
/// otherwise once the shared `fuse` has no comparisons left (`usize::MAX`: never). Items
/// compare by `key` only, so equal keys are ties; `tag` tells them apart.
#[derive(Debug)]
struct Fragile {
    key: u32,
    tag: u32,
    bomb: bool,
    fuse: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Ord for Fragile {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::sync::atomic::Ordering::Relaxed;
        assert!(!self.bomb && !other.bomb, "a bomb was compared");
        let left = self.fuse.load(Relaxed);
        assert!(left != 0, "the fuse burnt down");
        if left != usize::MAX {
            self.fuse.store(left - 1, Relaxed);
        }
        self.key.cmp(&other.key)
    }
}
impl PartialOrd for Fragile {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Fragile {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Fragile {}

type FragileQ = Queue<Fragile, Priority, Loom>;

/// Runs `f`, which must panic (the user's `Ord` did).
fn must_panic<T>(f: impl FnOnce() -> T) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    assert!(outcome.is_err(), "expected the user's Ord to panic");
}

/// Takes everything out with `try_get`, as `(key, tag)` pairs.
fn drain_keys(q: &FragileQ) -> Vec<(u32, u32)> {
    std::iter::from_fn(|| q.try_get().ok())
        .map(|item| (item.key, item.tag))
        .collect()
}

/// Smallest first and equal keys in arrival order; and an `Ord` that panics in the middle
/// of a `put` (sift-up), a `get` (sift-down) or a `shutdown(true)` (drain) leaves every
/// item in place and in order, and the counters right. One thread: what is checked here is
/// the heap's undo logic inside the shipped queue, which loom runs like any other code.
#[test]
fn priority_order_is_stable_and_survives_a_panicking_ord() {
    model(|| {
        use std::sync::atomic::Ordering::Relaxed;
        let fuse = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(usize::MAX));
        let item = |key: u32, tag: u32| Fragile {
            key,
            tag,
            bomb: false,
            fuse: fuse.clone(),
        };
        let q = FragileQ::with_runtime(0);

        // Ties leave in arrival order.
        let keys = [3, 1, 2, 1, 3, 0, 1, 2, 1];
        for (tag, &key) in keys.iter().enumerate() {
            q.put(item(key, tag as u32)).unwrap();
        }
        let mut expected: Vec<(u32, u32)> = (0..).zip(keys).map(|(t, k)| (k, t)).collect();
        expected.sort();
        assert_eq!(drain_keys(&q), expected);

        // Seven items, then panics part-way through each operation.
        let keys = [5, 3, 8, 1, 9, 2, 7];
        for (tag, &key) in keys.iter().enumerate() {
            q.put(item(key, tag as u32)).unwrap();
        }
        let unfinished = q.unfinished_tasks();
        // put(0) climbs three levels; the third comparison panics after two swaps.
        fuse.store(2, Relaxed);
        must_panic(|| q.put(item(0, 99)));
        // get: the sift-down's second comparison panics after the root was replaced.
        fuse.store(1, Relaxed);
        must_panic(|| q.try_get());
        // shutdown(true): the drain panics after taking some items.
        fuse.store(7, Relaxed);
        must_panic(|| q.shutdown(true));
        fuse.store(usize::MAX, Relaxed);

        assert_eq!(q.qsize(), 7);
        assert_eq!(q.unfinished_tasks(), unfinished);
        assert!(!q.is_shutdown());
        let drained: Vec<(u32, u32)> = q
            .shutdown(true)
            .into_iter()
            .map(|item| (item.key, item.tag))
            .collect();
        let mut expected: Vec<(u32, u32)> = (0..).zip(keys).map(|(t, k)| (k, t)).collect();
        expected.sort();
        assert_eq!(drained, expected);
        assert_eq!(q.unfinished_tasks(), unfinished - 7);
    });
}

/// A putter whose item's `Ord` panics may have been the one a `get` notified; its panic
/// must hand that notify on, or the other putter, waiting for the same room, sleeps
/// forever (a loom deadlock).
#[test]
fn a_putter_that_panics_passes_its_wake_up_on() {
    static PANICKED: Seen = Seen::new();
    model3(|| {
        let fuse = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(usize::MAX));
        let item = |key: u32, bomb: bool| Fragile {
            key,
            tag: 0,
            bomb,
            fuse: fuse.clone(),
        };
        let q = Arc::new(FragileQ::with_runtime(2));
        q.put(item(1, false)).unwrap();
        q.put(item(2, false)).unwrap();
        let bad = {
            let (q, bomb) = (q.clone(), item(0, true));
            thread::spawn(move || {
                // Either it times out (Full), or it gets room and its `Ord` panics.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    q.put_timeout(bomb, SOON)
                }));
                assert!(matches!(outcome, Err(_) | Ok(Err(PutError::Full(_)))));
                outcome.is_err()
            })
        };
        let good = {
            let (q, three) = (q.clone(), item(3, false));
            thread::spawn(move || q.put(three).unwrap())
        };
        assert_eq!(q.get().unwrap().key, 1);
        PANICKED.record(bad.join().unwrap());
        good.join().unwrap();
        let keys: Vec<u32> = std::iter::from_fn(|| q.try_get().ok())
            .map(|i| i.key)
            .collect();
        assert_eq!(keys, [2, 3]);
    });
    assert!(
        PANICKED.both(),
        "loom never showed both a putter whose Ord panicked and one that timed out"
    );
}
