//! `Queue`, `LifoQueue`, `PriorityQueue` and `SimpleQueue` on real threads: CPython's
//! `test_queue` behaviours (order, blocking, timeouts, `task_done`/`join`, `Full`/`Empty`,
//! Python 3.13's `shutdown`), the error messages, and a panicking `Ord` or `Drop` that must
//! leave the queue whole. Timing assertions are lower bounds only.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use syncsmith::{
    GetError, LifoQueue, PriorityQueue, PutError, Queue, ShutDown, SimpleQueue, TaskDoneError,
};

/// Long enough that a thread that should block has surely blocked, short enough to keep
/// the suite fast.
const SETTLE: Duration = Duration::from_millis(50);

/// Runs `f` on a new thread and returns its handle and a flag set when `f` returned.
fn spawn_flagged<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> (thread::JoinHandle<T>, Arc<AtomicBool>) {
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let handle = thread::spawn(move || {
        let out = f();
        flag.store(true, SeqCst);
        out
    });
    (handle, done)
}

fn drain<T, D: syncsmith::Discipline<T>>(q: &Queue<T, D>) -> Vec<T> {
    std::iter::from_fn(|| q.try_get().ok()).collect()
}

// ---------------------------------------------------------------- order

#[test]
fn fifo_queue_returns_items_in_the_order_they_were_put() {
    let q = Queue::<_>::new(0);
    for i in [111, 333, 222] {
        q.put(i).unwrap();
    }
    assert_eq!(drain(&q), [111, 333, 222]);
}

#[test]
fn lifo_queue_returns_the_last_item_first() {
    let q = LifoQueue::new(0);
    for i in [111, 333, 222] {
        q.put(i).unwrap();
    }
    assert_eq!(drain(&q), [222, 333, 111]);
}

#[test]
fn priority_queue_returns_the_smallest_item_first() {
    let q = PriorityQueue::new(0);
    for i in [111, 333, 222, 0, 999, 5] {
        q.put(i).unwrap();
    }
    assert_eq!(drain(&q), [0, 5, 111, 222, 333, 999]);
}

/// An item that orders by `priority` only: equal priorities are ties.
#[derive(Debug)]
struct Job {
    priority: u8,
    name: &'static str,
}
impl Ord for Job {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.priority.cmp(&other.priority)
    }
}
impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.priority == other.priority
    }
}
impl Eq for Job {}

#[test]
fn priority_queue_ties_leave_in_arrival_order() {
    let q = PriorityQueue::new(0);
    let jobs = [
        (2, "a"),
        (1, "b"),
        (2, "c"),
        (1, "d"),
        (1, "e"),
        (0, "f"),
        (2, "g"),
        (1, "h"),
    ];
    for (priority, name) in jobs {
        q.put(Job { priority, name }).unwrap();
    }
    let names: Vec<_> = drain(&q).into_iter().map(|j| j.name).collect();
    assert_eq!(names, ["f", "b", "d", "e", "h", "a", "c", "g"]);
}

#[test]
fn maxsize_zero_means_unbounded() {
    let q = Queue::<_>::new(0);
    for i in 0..10_000 {
        q.try_put(i).unwrap();
    }
    assert!(!q.full());
    assert_eq!(q.qsize(), 10_000);
    assert_eq!(q.maxsize(), 0);
}

#[test]
fn qsize_empty_full_and_maxsize_report_the_state() {
    let q = Queue::<_>::new(2);
    assert!(q.empty() && !q.full());
    q.put('a').unwrap();
    assert!(!q.empty() && !q.full());
    q.put('b').unwrap();
    assert!(q.full());
    assert_eq!((q.qsize(), q.maxsize()), (2, 2));
}

// ---------------------------------------------------------------- Full / Empty

#[test]
fn try_put_on_a_full_queue_hands_the_item_back_as_full() {
    let q = Queue::<_>::new(1);
    q.put(String::from("first")).unwrap();
    let err = q.try_put(String::from("second")).unwrap_err();
    assert!(err.is_full() && !err.is_shutdown());
    assert_eq!(err.to_string(), "queue is full");
    assert_eq!(err.into_inner(), "second");
    assert_eq!(q.qsize(), 1);
    assert_eq!(q.unfinished_tasks(), 1, "a failed put adds no task");
}

#[test]
fn try_get_on_an_empty_queue_is_empty() {
    let q = Queue::<u8>::new(1);
    assert_eq!(q.try_get(), Err(GetError::Empty));
    assert_eq!(GetError::Empty.to_string(), "queue is empty");
}

#[test]
fn put_timeout_on_a_full_queue_waits_at_least_the_timeout_then_hands_the_item_back() {
    let q = Queue::<_>::new(1);
    q.put(1).unwrap();
    let start = Instant::now();
    assert!(matches!(q.put_timeout(2, SETTLE), Err(PutError::Full(2))));
    assert!(start.elapsed() >= SETTLE);
}

#[test]
fn get_timeout_on_an_empty_queue_waits_at_least_the_timeout() {
    let q = Queue::<u8>::new(0);
    let start = Instant::now();
    assert_eq!(q.get_timeout(SETTLE), Err(GetError::Empty));
    assert!(start.elapsed() >= SETTLE);
}

#[test]
fn zero_timeouts_try_once() {
    let q = Queue::<_>::new(1);
    assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::Empty));
    q.put_timeout(1, Duration::ZERO).unwrap();
    assert!(matches!(
        q.put_timeout(2, Duration::ZERO),
        Err(PutError::Full(2))
    ));
    assert_eq!(q.get_timeout(Duration::ZERO), Ok(1));
}

#[test]
fn a_timeout_too_large_for_a_deadline_waits_forever() {
    let q = Arc::new(Queue::<_>::new(1));
    let (getter, _) = spawn_flagged({
        let q = q.clone();
        move || q.get_timeout(Duration::MAX)
    });
    thread::sleep(SETTLE);
    q.put_timeout(7, Duration::MAX).unwrap();
    assert_eq!(getter.join().unwrap(), Ok(7));
}

// ---------------------------------------------------------------- blocking

#[test]
fn a_blocked_put_is_woken_by_a_get() {
    let q = Arc::new(Queue::<_>::new(1));
    q.put(1).unwrap();
    let (putter, done) = spawn_flagged({
        let q = q.clone();
        move || q.put(2)
    });
    thread::sleep(SETTLE);
    assert!(!done.load(SeqCst), "put returned while the queue was full");
    assert_eq!(q.get(), Ok(1));
    putter.join().unwrap().unwrap();
    assert_eq!(q.get(), Ok(2));
}

#[test]
fn a_blocked_get_is_woken_by_a_put() {
    let q = Arc::new(Queue::<_>::new(0));
    let (getter, done) = spawn_flagged({
        let q = q.clone();
        move || q.get()
    });
    thread::sleep(SETTLE);
    assert!(!done.load(SeqCst), "get returned from an empty queue");
    q.put("x").unwrap();
    assert_eq!(getter.join().unwrap(), Ok("x"));
}

#[test]
fn put_timeout_succeeds_when_room_appears_in_time() {
    let q = Arc::new(Queue::<_>::new(1));
    q.put(1).unwrap();
    let putter = thread::spawn({
        let q = q.clone();
        move || q.put_timeout(2, Duration::from_secs(60))
    });
    thread::sleep(SETTLE);
    assert_eq!(q.get(), Ok(1));
    assert!(putter.join().unwrap().is_ok());
    assert_eq!(q.get(), Ok(2));
}

#[test]
fn get_timeout_succeeds_when_an_item_arrives_in_time() {
    let q = Arc::new(Queue::<_>::new(0));
    let getter = thread::spawn({
        let q = q.clone();
        move || q.get_timeout(Duration::from_secs(60))
    });
    thread::sleep(SETTLE);
    q.put(5).unwrap();
    assert_eq!(getter.join().unwrap(), Ok(5));
}

// ---------------------------------------------------------------- task_done / join

#[test]
fn task_done_called_too_many_times_is_an_error_that_changes_nothing() {
    let q = Queue::<_>::new(0);
    let err = q.task_done().unwrap_err();
    assert_eq!(err, TaskDoneError);
    assert_eq!(err.to_string(), "task_done() called too many times");
    q.put(1).unwrap();
    q.get().unwrap();
    assert_eq!(q.unfinished_tasks(), 1);
    q.task_done().unwrap();
    assert!(q.task_done().is_err());
    assert_eq!(q.unfinished_tasks(), 0);
    // The counter did not wrap: the next put/task_done pair still balances.
    q.put(2).unwrap();
    assert_eq!(q.unfinished_tasks(), 1);
}

#[test]
fn join_returns_at_once_when_no_task_is_unfinished() {
    // Run `join` on another thread so that a `join` that blocks shows as a failure here
    // instead of a hung test run. The generous limit is a hang detector, not a timing claim.
    let q = Arc::new(Queue::<u8>::new(0));
    let joins_at = |q: &Arc<Queue<u8>>| {
        let q = Arc::clone(q);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            q.join();
            done_tx.send(()).unwrap();
        });
        done_rx.recv_timeout(Duration::from_secs(30)).is_ok()
    };
    assert_eq!(q.unfinished_tasks(), 0);
    assert!(joins_at(&q), "join on a fresh queue must not block");
    // After a full put / get / task_done cycle the count is back to zero, and join returns.
    q.put(1).unwrap();
    assert_eq!(q.get(), Ok(1));
    q.task_done().unwrap();
    assert_eq!(q.unfinished_tasks(), 0);
    assert!(joins_at(&q), "join after every task is done must not block");
}

/// CPython's `test_queue_join`: workers add up the items and mark each done; `join`
/// returns only when every item has been processed, and the queue can be reused.
#[test]
fn join_waits_until_worker_threads_mark_every_item_done() {
    let q = Arc::new(Queue::<_>::new(0));
    let sum = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (q, sum) = (q.clone(), sum.clone());
            thread::spawn(move || loop {
                let item: usize = q.get().unwrap();
                if item == usize::MAX {
                    q.task_done().unwrap();
                    return;
                }
                thread::yield_now();
                sum.fetch_add(item, SeqCst);
                q.task_done().unwrap();
            })
        })
        .collect();
    for round in 0..2 {
        for i in 0..100 {
            q.put(i).unwrap();
        }
        q.join();
        assert_eq!(
            sum.load(SeqCst),
            (round + 1) * 4950,
            "join returned too early"
        );
    }
    for _ in &workers {
        q.put(usize::MAX).unwrap();
    }
    q.join();
    for w in workers {
        w.join().unwrap();
    }
}

// ---------------------------------------------------------------- shutdown (Python 3.13)

#[test]
fn put_after_shutdown_hands_the_item_back() {
    let q = Queue::<_>::new(0);
    q.shutdown(false);
    assert!(q.is_shutdown());
    let err = q.put(vec![1, 2]).unwrap_err();
    assert_eq!(err.to_string(), "queue is shut down");
    assert_eq!(err, ShutDown(vec![1, 2]));
    assert!(matches!(q.try_put(vec![3]), Err(PutError::ShutDown(v)) if v == [3]));
    assert!(q.put_timeout(vec![4], SETTLE).unwrap_err().is_shutdown());
}

#[test]
fn get_after_shutdown_drains_then_fails() {
    let q = Queue::<_>::new(0);
    q.put(1).unwrap();
    q.put(2).unwrap();
    assert!(q.shutdown(false).is_empty());
    assert_eq!(q.get(), Ok(1));
    assert_eq!(q.try_get(), Ok(2));
    assert_eq!(q.get(), Err(ShutDown(())));
    assert_eq!(q.try_get(), Err(GetError::ShutDown));
    assert_eq!(q.get_timeout(SETTLE), Err(GetError::ShutDown));
    assert_eq!(GetError::ShutDown.to_string(), "queue is shut down");
}

#[test]
fn immediate_shutdown_returns_the_items_in_get_order() {
    let fifo = Queue::<_>::new(0);
    let lifo = LifoQueue::new(0);
    let prio = PriorityQueue::new(0);
    for i in [3, 1, 2] {
        fifo.put(i).unwrap();
        lifo.put(i).unwrap();
        prio.put(i).unwrap();
    }
    assert_eq!(fifo.shutdown(true), [3, 1, 2]);
    assert_eq!(lifo.shutdown(true), [2, 1, 3]);
    assert_eq!(prio.shutdown(true), [1, 2, 3]);
    assert!(fifo.empty() && lifo.empty() && prio.empty());
    assert_eq!(fifo.get(), Err(ShutDown(())));
}

#[test]
fn immediate_shutdown_counts_drained_items_as_done_but_never_below_zero() {
    let q = Queue::<_>::new(0);
    for i in 0..3 {
        q.put(i).unwrap();
    }
    q.get().unwrap(); // a consumer still holds this one
    assert_eq!(q.shutdown(true), [1, 2]);
    assert_eq!(q.unfinished_tasks(), 1);
    q.task_done().unwrap();
    q.join();

    // task_done called early (for items not yet got): the count stops at zero.
    let q = Queue::<_>::new(0);
    q.put(1).unwrap();
    q.put(2).unwrap();
    q.task_done().unwrap();
    assert_eq!(q.shutdown(true), [1, 2]);
    assert_eq!(q.unfinished_tasks(), 0);
}

#[test]
fn shutdown_wakes_blocked_putters_with_their_items() {
    for immediate in [false, true] {
        let q = Arc::new(Queue::<_>::new(1));
        q.put(0).unwrap();
        let putters: Vec<_> = (1..=3)
            .map(|i| {
                let q = q.clone();
                thread::spawn(move || q.put(i))
            })
            .collect();
        thread::sleep(SETTLE);
        let drained = q.shutdown(immediate);
        let mut back: Vec<i32> = putters
            .into_iter()
            .map(|p| p.join().unwrap().unwrap_err().into_inner())
            .collect();
        back.sort();
        assert_eq!(back, [1, 2, 3]);
        if immediate {
            assert_eq!(drained, [0]);
        } else {
            assert_eq!(q.get(), Ok(0));
        }
    }
}

#[test]
fn shutdown_wakes_blocked_getters() {
    for immediate in [false, true] {
        let q = Arc::new(Queue::<u8>::new(0));
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || (q.get(), q.get_timeout(Duration::from_secs(60))))
            })
            .collect();
        thread::sleep(SETTLE);
        q.shutdown(immediate);
        for g in getters {
            assert_eq!(
                g.join().unwrap(),
                (Err(ShutDown(())), Err(GetError::ShutDown))
            );
        }
    }
}

#[test]
fn immediate_shutdown_releases_a_blocked_join() {
    let q = Arc::new(Queue::<_>::new(0));
    q.put(1).unwrap();
    let (joiner, done) = spawn_flagged({
        let q = q.clone();
        move || q.join()
    });
    thread::sleep(SETTLE);
    assert!(!done.load(SeqCst), "join returned with a task unfinished");
    assert_eq!(q.shutdown(true), [1]);
    joiner.join().unwrap();
}

#[test]
fn shutdown_twice_is_harmless() {
    let q = Queue::<_>::new(0);
    q.put(1).unwrap();
    assert!(q.shutdown(false).is_empty());
    assert_eq!(q.shutdown(true), [1]);
    assert!(q.shutdown(true).is_empty());
}

// ---------------------------------------------------------------- a panicking Ord or Drop

/// Orders by `key`, but panics when either side is `poison` and this thread has not
/// disarmed it (so a test controls exactly which comparison panics; a thread-local, so the
/// tests running in parallel do not disturb each other).
#[derive(Debug)]
struct Touchy {
    key: u32,
    poison: bool,
}
thread_local! {
    static ARMED: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}
fn arm(armed: bool) {
    ARMED.with(|a| a.set(armed));
}
impl Ord for Touchy {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if (self.poison || other.poison) && ARMED.with(|a| a.get()) {
            panic!("Touchy::cmp");
        }
        self.key.cmp(&other.key)
    }
}
impl PartialOrd for Touchy {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Touchy {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Touchy {}

fn touchy(key: u32) -> Touchy {
    Touchy { key, poison: false }
}

#[test]
fn a_put_whose_ord_panics_stores_nothing_and_leaves_the_queue_whole() {
    let q = PriorityQueue::new(10);
    for k in [5, 3, 8, 1, 9] {
        q.put(touchy(k)).unwrap();
    }
    let put = catch_unwind(AssertUnwindSafe(|| {
        q.put(Touchy {
            key: 0,
            poison: true,
        })
    }));
    assert!(put.is_err(), "the panic reaches the caller");
    assert_eq!(q.qsize(), 5);
    assert_eq!(q.unfinished_tasks(), 5);
    // The lock was released, and every other item is there, in order.
    let keys: Vec<u32> = drain(&q).into_iter().map(|t| t.key).collect();
    assert_eq!(keys, [1, 3, 5, 8, 9]);
}

#[test]
fn a_get_whose_ord_panics_removes_nothing() {
    let q = PriorityQueue::new(0);
    arm(false);
    for k in [4, 6, 5, 9] {
        q.put(Touchy {
            key: k,
            poison: k == 9,
        })
        .unwrap();
    }
    arm(true);
    // Removing 4 moves 9 (the last) to the root and compares it: the panic comes mid-way.
    assert!(catch_unwind(AssertUnwindSafe(|| q.get())).is_err());
    assert_eq!(q.qsize(), 4);
    assert_eq!(q.unfinished_tasks(), 4);
    arm(false);
    let keys: Vec<u32> = drain(&q).into_iter().map(|t| t.key).collect();
    assert_eq!(keys, [4, 5, 6, 9]);
}

#[test]
fn an_immediate_shutdown_whose_ord_panics_changes_nothing() {
    let q = PriorityQueue::new(0);
    arm(false);
    for k in [5, 3, 8, 1, 9, 2, 4] {
        q.put(Touchy {
            key: k,
            poison: k == 8,
        })
        .unwrap();
    }
    arm(true);
    assert!(catch_unwind(AssertUnwindSafe(|| q.shutdown(true))).is_err());
    assert!(!q.is_shutdown());
    assert_eq!(q.qsize(), 7);
    arm(false);
    let keys: Vec<u32> = q.shutdown(true).into_iter().map(|t| t.key).collect();
    arm(true);
    assert_eq!(keys, [1, 2, 3, 4, 5, 8, 9]);
}

#[test]
fn a_blocked_putter_still_gets_in_after_another_putters_ord_panicked() {
    let q = Arc::new(PriorityQueue::new(2));
    q.put(touchy(1)).unwrap();
    q.put(touchy(2)).unwrap();
    let bad = thread::spawn({
        let q = q.clone();
        move || {
            catch_unwind(AssertUnwindSafe(|| {
                q.put(Touchy {
                    key: 0,
                    poison: true,
                })
            }))
            .is_err()
        }
    });
    thread::sleep(SETTLE);
    let good = thread::spawn({
        let q = q.clone();
        move || q.put(touchy(3))
    });
    thread::sleep(SETTLE);
    // Wakes the oldest putter, the poisoned one, whose panic must pass the wake-up on.
    assert_eq!(q.get().unwrap().key, 1);
    // On a loaded machine the poisoned putter may still have been spinning (not yet
    // queued) when the good one queued, and then the good one took the room: make room
    // once more so that the poisoned put gets its turn rather than waiting forever. The
    // test then checks less, but never hangs.
    while !bad.is_finished() && !good.is_finished() {
        thread::sleep(Duration::from_millis(1));
    }
    let mut keys: Vec<u32> = Vec::new();
    if !bad.is_finished() {
        keys.push(q.get().unwrap().key);
    }
    assert!(bad.join().unwrap(), "the poisoned put panicked");
    good.join().unwrap().unwrap();
    keys.extend(drain(&q).into_iter().map(|t| t.key));
    assert_eq!(keys, [2, 3]);
}

/// Counts its drops; panics in `drop` if `explode`.
struct Dropper {
    explode: bool,
    drops: Arc<AtomicUsize>,
}
impl Drop for Dropper {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        if self.explode {
            panic!("Dropper::drop");
        }
    }
}

#[test]
fn the_queue_never_drops_an_item_it_hands_back_or_out() {
    let drops = Arc::new(AtomicUsize::new(0));
    let item = |explode| Dropper {
        explode,
        drops: drops.clone(),
    };
    let q = Queue::<_>::new(1);
    q.put(item(true)).unwrap();
    let back = q.try_put(item(true)).unwrap_err().into_inner();
    let got = q.get().unwrap();
    q.put(item(true)).unwrap();
    let drained = q.shutdown(true);
    let refused = q.put(item(true)).unwrap_err().into_inner();
    assert_eq!(drops.load(SeqCst), 0);
    for d in [back, got, refused].into_iter().chain(drained) {
        std::mem::forget(d);
    }
}

#[test]
fn dropping_a_queue_drops_every_item_even_when_one_drop_panics() {
    let drops = Arc::new(AtomicUsize::new(0));
    let q = Queue::<_>::new(0);
    for i in 0..5 {
        q.put(Dropper {
            explode: i == 1,
            drops: drops.clone(),
        })
        .unwrap();
    }
    assert!(catch_unwind(AssertUnwindSafe(|| drop(q))).is_err());
    assert_eq!(drops.load(SeqCst), 5);
}

// ---------------------------------------------------------------- a panicking `Drop`
//
// The queue never drops an item while it holds its lock: items leave through `get`, a
// refused `put`, or `shutdown(true)`'s `Vec`, and are dropped by the caller, after the lock
// is released. (The one exception is a `PriorityQueue` put whose `Ord` panics: the item is
// dropped as that panic unwinds, after the heap is restored; a `Drop` that panics during
// an unwind aborts the process, as anywhere in Rust.) So a panicking `Drop` can never leave
// the lock held or the counts wrong; these tests check it.

/// A `Dropper` with a key, for the priority queue; comparing a `poison`ed one panics.
struct KeyedDropper {
    key: u32,
    poison: bool,
    #[allow(dead_code)] // held for its `Drop`
    dropper: Dropper,
}
impl Ord for KeyedDropper {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        assert!(
            !self.poison && !other.poison,
            "a poisoned item was compared"
        );
        self.key.cmp(&other.key)
    }
}
impl PartialOrd for KeyedDropper {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for KeyedDropper {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for KeyedDropper {}

/// Checks that a queue whose lock is free, with `qsize` items and `unfinished` tasks, still
/// takes and hands out an item (with a deadline, so a lock left held fails the test rather
/// than hanging it).
fn assert_usable<T: Send + 'static, D: syncsmith::Discipline<T> + 'static>(
    q: Arc<Queue<T, D>>,
    qsize: usize,
    unfinished: usize,
    item: T,
) where
    D::Store: Send,
{
    let (check, done) = spawn_flagged(move || {
        assert_eq!(q.qsize(), qsize, "the items after a panicking drop");
        assert_eq!(q.unfinished_tasks(), unfinished);
        q.put_timeout(item, Duration::from_secs(5))
            .map_err(|_| "put failed")
            .unwrap();
        assert_eq!(q.qsize(), qsize + 1);
        q
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done.load(SeqCst) {
        assert!(Instant::now() < deadline, "the queue's lock was left held");
        thread::sleep(Duration::from_millis(1));
    }
    let q = check.join().unwrap();
    std::mem::forget(drain(&q));
}

#[test]
fn a_got_item_whose_drop_panics_leaves_the_queue_whole() {
    let drops = Arc::new(AtomicUsize::new(0));
    let item = |explode| Dropper {
        explode,
        drops: drops.clone(),
    };
    let q = Arc::new(Queue::<_>::new(3));
    for explode in [true, false, false] {
        q.put(item(explode)).unwrap();
    }
    let got = catch_unwind(AssertUnwindSafe(|| drop(q.get().unwrap())));
    assert!(got.is_err(), "the item's drop panicked in the caller");
    assert_eq!(drops.load(SeqCst), 1);
    q.task_done().unwrap();
    assert_usable(q, 2, 2, item(false));
}

#[test]
fn a_refused_item_whose_drop_panics_leaves_the_queue_whole() {
    let drops = Arc::new(AtomicUsize::new(0));
    let item = |explode| Dropper {
        explode,
        drops: drops.clone(),
    };
    let q = Arc::new(Queue::<_>::new(1));
    q.put(item(false)).unwrap();
    let refused = catch_unwind(AssertUnwindSafe(|| drop(q.try_put(item(true)))));
    assert!(refused.is_err());
    let refused = catch_unwind(AssertUnwindSafe(|| {
        drop(q.put_timeout(item(true), Duration::from_millis(1)))
    }));
    assert!(refused.is_err());
    assert_eq!(drops.load(SeqCst), 2);
    assert_eq!(q.get().map(|d| d.explode), Ok(false));
    assert_usable(q, 0, 1, item(false));
}

#[test]
fn drained_items_whose_drop_panics_are_all_dropped_and_the_queue_stays_shut() {
    let drops = Arc::new(AtomicUsize::new(0));
    let q = Arc::new(Queue::<_>::new(0));
    for i in 0..4 {
        q.put(Dropper {
            explode: i == 1,
            drops: drops.clone(),
        })
        .unwrap();
    }
    let drained = catch_unwind(AssertUnwindSafe(|| drop(q.shutdown(true))));
    assert!(drained.is_err());
    // The `Vec` went on dropping the rest after the panicking one.
    assert_eq!(drops.load(SeqCst), 4);
    assert!(q.is_shutdown());
    assert_eq!(q.unfinished_tasks(), 0);
    assert_eq!(q.qsize(), 0);
    q.join(); // returns: every drained item counts as done
    assert_eq!(q.get().map(|_| ()), Err(ShutDown(())));
}

#[test]
fn a_priority_put_whose_ord_panics_drops_its_item_once_and_releases_the_lock() {
    let drops = Arc::new(AtomicUsize::new(0));
    let item = |key, poison| KeyedDropper {
        key,
        poison,
        dropper: Dropper {
            explode: false,
            drops: drops.clone(),
        },
    };
    let q = Arc::new(PriorityQueue::new(0));
    q.put(item(1, false)).unwrap();
    let put = catch_unwind(AssertUnwindSafe(|| q.put(item(0, true))));
    assert!(put.is_err(), "the poisoned item's Ord panicked");
    assert_eq!(drops.load(SeqCst), 1, "the refused item is dropped, once");
    assert_usable(q, 1, 1, item(2, false));
}

/// Dropping a queue of each discipline (and a `SimpleQueue`) drops every item exactly once,
/// even when one item's `Drop` panics.
#[test]
fn dropping_any_queue_drops_every_item_once_even_when_one_drop_panics() {
    let drops = Arc::new(AtomicUsize::new(0));
    let item = |i: u32| KeyedDropper {
        key: 5 - i,
        poison: false,
        dropper: Dropper {
            explode: i == 2,
            drops: drops.clone(),
        },
    };
    let lifo = LifoQueue::new(0);
    let prio = PriorityQueue::new(0);
    let simple = SimpleQueue::new();
    for i in 0..5 {
        lifo.put(item(i)).unwrap();
        prio.put(item(i)).unwrap();
        simple.put(item(i));
    }
    assert!(catch_unwind(AssertUnwindSafe(|| drop(lifo))).is_err());
    assert_eq!(drops.load(SeqCst), 5);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(prio))).is_err());
    assert_eq!(drops.load(SeqCst), 10);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(simple))).is_err());
    assert_eq!(drops.load(SeqCst), 15);
}

// ---------------------------------------------------------------- stress: exactly once

/// Three producers and three consumers through a queue of capacity 4: every item put is
/// got exactly once, and the counters end at zero.
#[test]
fn every_item_put_is_got_exactly_once() {
    const PER_PRODUCER: usize = 5_000;
    let q = Arc::new(Queue::<_>::new(4));
    let producers: Vec<_> = (0..3)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                for i in 0..PER_PRODUCER {
                    q.put(p * PER_PRODUCER + i).unwrap();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Ok(item) = q.get() {
                    got.push(item);
                    q.task_done().unwrap();
                }
                got
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    q.join();
    q.shutdown(false);
    let mut all: Vec<usize> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    all.sort_unstable();
    assert!(all.iter().copied().eq(0..3 * PER_PRODUCER));
    assert_eq!(q.unfinished_tasks(), 0);
}

/// Timed puts and gets racing on capacity 1: each item ends up exactly once either got
/// or handed back.
#[test]
fn timed_operations_lose_and_duplicate_nothing() {
    let q = Arc::new(Queue::<_>::new(1));
    let tiny = Duration::from_micros(50);
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                let mut refused = Vec::new();
                for i in 0..2_000 {
                    if let Err(err) = q.put_timeout(p * 10_000 + i, tiny) {
                        refused.push(err.into_inner());
                    }
                }
                refused
            })
        })
        .collect();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    match q.get_timeout(tiny) {
                        Ok(item) => got.push(item),
                        Err(GetError::ShutDown) => return got,
                        Err(GetError::Empty) => {}
                    }
                }
            })
        })
        .collect();
    let mut all: Vec<usize> = producers
        .into_iter()
        .flat_map(|p| p.join().unwrap())
        .collect();
    q.shutdown(false);
    all.extend(consumers.into_iter().flat_map(|c| c.join().unwrap()));
    all.sort_unstable();
    let expected: Vec<usize> = (0..2)
        .flat_map(|p| (0..2_000).map(move |i| p * 10_000 + i))
        .collect();
    assert_eq!(all, expected);
}

// ---------------------------------------------------------------- Debug, Default, static

#[test]
fn debug_shows_size_and_maxsize() {
    let q = Queue::<_>::new(3);
    q.put(1).unwrap();
    assert_eq!(
        format!("{q:?}"),
        "Queue { qsize: 1, maxsize: 3, unfinished_tasks: 1, is_shutdown: false }"
    );
    let s = SimpleQueue::new();
    s.put(1);
    s.put(2);
    assert_eq!(format!("{s:?}"), "SimpleQueue { qsize: 2 }");
    // Errors print without needing `T: Debug`.
    struct Opaque;
    q.put(2).unwrap();
    q.put(3).unwrap();
    assert_eq!(format!("{:?}", q.try_put(4).unwrap_err()), "Full(..)");
    assert_eq!(format!("{:?}", PutError::ShutDown(Opaque)), "ShutDown(..)");
}

#[test]
fn default_queues_are_unbounded_and_empty() {
    let q: Queue<u8> = Queue::default();
    assert_eq!((q.maxsize(), q.qsize()), (0, 0));
    let p: PriorityQueue<u8> = Default::default();
    assert!(p.empty());
    let s: SimpleQueue<u8> = SimpleQueue::default();
    assert!(s.empty());
}

#[test]
fn queues_can_live_in_statics() {
    static JOBS: Queue<u32> = Queue::<_>::new(8);
    static RESULTS: SimpleQueue<u32> = SimpleQueue::new();
    thread::spawn(|| RESULTS.put(JOBS.get().unwrap() * 2));
    JOBS.put(21).unwrap();
    assert_eq!(RESULTS.get(), 42);
}

// ---------------------------------------------------------------- SimpleQueue

#[test]
fn simple_queue_is_fifo_and_unbounded() {
    let q = SimpleQueue::new();
    for i in 0..10_000 {
        q.put(i);
    }
    assert_eq!(q.qsize(), 10_000);
    assert!((0..10_000).all(|i| q.get() == i));
    assert!(q.empty());
    assert_eq!(q.try_get(), Err(GetError::Empty));
}

#[test]
fn simple_queue_get_timeout_waits_at_least_the_timeout() {
    let q = SimpleQueue::<u8>::new();
    let start = Instant::now();
    assert_eq!(q.get_timeout(SETTLE), Err(GetError::Empty));
    assert!(start.elapsed() >= SETTLE);
}

#[test]
fn simple_queue_blocked_get_is_woken_by_a_put() {
    let q = Arc::new(SimpleQueue::new());
    let (getter, done) = spawn_flagged({
        let q = q.clone();
        move || q.get()
    });
    thread::sleep(SETTLE);
    assert!(!done.load(SeqCst));
    q.put(3);
    assert_eq!(getter.join().unwrap(), 3);
}

#[test]
fn simple_queue_every_item_put_is_got_exactly_once() {
    const PER_PRODUCER: usize = 10_000;
    let q = Arc::new(SimpleQueue::new());
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || (0..PER_PRODUCER).for_each(|i| q.put(p * PER_PRODUCER + i)))
        })
        .collect();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || (0..PER_PRODUCER).map(|_| q.get()).collect::<Vec<_>>())
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    let mut all: Vec<usize> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    all.sort_unstable();
    assert!(all.iter().copied().eq(0..2 * PER_PRODUCER));
}
