//! Regression tests for the soundness bugs of issue 13 in `ThreadLocal`, on real threads.
//! Each failed on the code before the fix (a use-after-free or double free that valgrind
//! reports, a wrong value, or an abort of the whole test process):
//!
//! - a value whose `Drop` re-enters the same `ThreadLocal` (`get_or`) during thread exit;
//! - a value left to a visitor (`DOOMED`) still reachable by its exiting owner;
//! - a panicking `T::drop` in `clear`, `into_iter`, the `ThreadLocal`'s drop, the end of a
//!   `for_each` visit, and a thread's exit: the index goes back to the pool, the other
//!   values are still dropped, and nothing aborts.
//!
//! The timing-dependent ones are made deterministic with channels: the visitor blocks
//! inside `for_each`'s closure until the owner has done what the test needs.
//!
//! Run them under valgrind too (`.ci/run` does): the first two cases corrupted the heap
//! without always crashing.

mod common;

use common::panic_message;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, Weak};
use std::thread;
use syncsmith::runtime::{Runtime, Std};
use syncsmith::ThreadLocal;

/// The tests here run one at a time: some count the thread indices in use, which another
/// test's threads would change.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How many thread indices are handed out now.
fn indices_in_use() -> usize {
    Std::with_index_pool(&Std::index_pool(), |pool| pool.in_use())
}

/// Asserts that no thread index leaked since `before` was read. (`<=`: every test here runs
/// alone, so the only other threads holding an index are finished tests' threads, whose
/// exits can only lower the count.)
fn assert_no_index_leaked(before: usize, what: &str) {
    let after = indices_in_use();
    assert!(
        after <= before,
        "{what}: {after} thread indices in use, {before} before: an index was not given back"
    );
}

// ------------------------------------------------------------------ case 1: re-entry

/// A value whose `Drop` makes a new value in the same `ThreadLocal`, once.
struct Reentrant {
    generation: u32,
    /// On the heap, so that a double drop or a use-after-free is a double free valgrind
    /// (or the allocator) sees.
    name: String,
    local: Weak<ThreadLocal<Reentrant>>,
    drops: Arc<[AtomicUsize; 2]>,
}

impl Drop for Reentrant {
    fn drop(&mut self) {
        assert_eq!(self.name, format!("generation {}", self.generation));
        self.drops[self.generation as usize].fetch_add(1, SeqCst);
        if self.generation == 0 {
            if let Some(local) = self.local.upgrade() {
                let (weak, drops) = (self.local.clone(), self.drops.clone());
                let fresh = local.get_or(move || Reentrant {
                    generation: 1,
                    name: "generation 1".to_string(),
                    local: weak,
                    drops,
                });
                assert_eq!(
                    fresh.generation, 1,
                    "get_or returned the value being dropped"
                );
            }
        }
    }
}

/// Case 1: while the exiting thread drops its value, the value's `Drop` calls `get_or` on
/// the same `ThreadLocal`. Before the fix the new value was written into the memory being
/// dropped: the old value's fields were never dropped, the new value's were dropped there,
/// and again when the `ThreadLocal` dropped the slot (a double free). Now the old value is
/// moved out first, and the new one is kept for the `ThreadLocal` to drop: each exactly once.
#[test]
fn a_drop_that_reenters_get_or_during_thread_exit_makes_a_fresh_value_dropped_once() {
    let _serial = one_at_a_time();
    let drops = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let local = Arc::new(ThreadLocal::<Reentrant>::new());
    {
        let (weak, drops) = (Arc::downgrade(&local), drops.clone());
        let thread_local = local.clone();
        thread::spawn(move || {
            thread_local.get_or(move || Reentrant {
                generation: 0,
                name: "generation 0".to_string(),
                local: weak,
                drops,
            });
        })
        .join()
        .unwrap();
    }
    assert_eq!(drops[0].load(SeqCst), 1, "the exiting thread's value, once");
    assert_eq!(drops[1].load(SeqCst), 0, "the fresh value lives on, kept");
    let local = Arc::try_unwrap(local).ok().expect("the only reference");
    let values: Vec<Reentrant> = local.into_iter().collect();
    assert_eq!(values.len(), 1, "into_iter finds the fresh value");
    assert_eq!(values[0].generation, 1);
    assert_eq!(values[0].name, "generation 1");
    drop(values);
    assert_eq!(drops[0].load(SeqCst), 1, "the first value, exactly once");
    assert_eq!(drops[1].load(SeqCst), 1, "the fresh value, exactly once");
}

// ------------------------------------------------------------------ case 2: DOOMED

/// What the exit-time probe of `probe_a_doomed_value` does with the visited value.
#[derive(Clone, Copy, Debug)]
enum Probe {
    /// `get`, and read the value after the visitor has left.
    Get,
    /// `get_or`.
    GetOr,
    /// `get_or` once the visitor has left (and emptied the slot).
    GetOrAfterTheVisit,
}

/// What the probe saw, sent to the test (and read through `Debug`, in failure messages).
#[derive(Debug)]
#[allow(dead_code)]
enum Seen {
    /// `get` returned nothing.
    Nothing,
    /// `get`/`get_or` returned a value, with this content.
    Value(String),
    /// `get_or` panicked, with this message.
    Panicked(String),
}

/// The value of a second `ThreadLocal` whose `Drop` (in the owner's exit hooks, after the
/// visited value was left to the visitor) probes the visited `ThreadLocal`.
struct ExitProbe {
    probe: Probe,
    visited: Arc<ThreadLocal<String>>,
    seen: mpsc::Sender<Seen>,
    /// The visitor has left (and dropped the doomed value, if it was still there).
    visitor_left: Mutex<mpsc::Receiver<()>>,
}

impl Drop for ExitProbe {
    fn drop(&mut self) {
        match self.probe {
            Probe::Get => match self.visited.get() {
                None => self.seen.send(Seen::Nothing).unwrap(),
                Some(value) => {
                    self.seen.send(Seen::Value(String::new())).unwrap();
                    // Read the value once the visitor has dropped it: a use-after-free.
                    self.visitor_left.lock().unwrap().recv().unwrap();
                    let content = value.clone();
                    self.seen.send(Seen::Value(content)).unwrap();
                }
            },
            Probe::GetOr | Probe::GetOrAfterTheVisit => {
                if let Probe::GetOrAfterTheVisit = self.probe {
                    self.seen.send(Seen::Nothing).unwrap();
                    self.visitor_left.lock().unwrap().recv().unwrap();
                }
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    let value = self.visited.get_or(|| "fresh".to_string());
                    value.clone()
                }));
                let seen = match outcome {
                    Ok(content) => Seen::Value(content),
                    Err(payload) => Seen::Panicked(panic_message(payload)),
                };
                self.seen.send(seen).unwrap();
            }
        }
    }
}

/// Case 2: the owner exits while another thread's `for_each` visits its value; the value
/// is left to the visitor (`DOOMED`). A later exit hook of the owner (another
/// `ThreadLocal`'s value being dropped) then probes the visited `ThreadLocal`. The visitor
/// blocks in its closure until the probe has reported. Returns what the probe saw.
fn probe_a_doomed_value(probe: Probe) -> Vec<Seen> {
    let _serial = one_at_a_time();
    let visited = Arc::new(ThreadLocal::<String>::new());
    let probes = Arc::new(ThreadLocal::<ExitProbe>::new());
    let (seen_tx, seen) = mpsc::channel();
    let (left_tx, left_rx) = mpsc::channel();
    let (made_tx, made) = mpsc::channel();
    let (visiting_tx, visiting_rx) = mpsc::channel::<()>();
    let owner = {
        let (visited, probes) = (visited.clone(), probes.clone());
        thread::spawn(move || {
            // The probe first: exit hooks run newest first, so the visited value's hook
            // runs before the probe's.
            probes.get_or(|| ExitProbe {
                probe,
                visited: visited.clone(),
                seen: seen_tx,
                visitor_left: Mutex::new(left_rx),
            });
            visited.get_or(|| format!("the owner's value, {probe:?}"));
            made_tx.send(()).unwrap();
            // Exit only while the main thread is inside `for_each`'s closure.
            visiting_rx.recv().unwrap();
        })
    };
    made.recv().unwrap();
    let mut reports = Vec::new();
    let mut visits = 0;
    visited.for_each(|value| {
        visits += 1;
        assert_eq!(*value, format!("the owner's value, {probe:?}"));
        visiting_tx.send(()).unwrap();
        // The owner exits now; wait for the probe's first report, made in its exit hooks.
        reports.push(seen.recv().unwrap());
    });
    assert_eq!(visits, 1, "the owner's value was visited");
    // The visit has ended: the doomed value is gone.
    let _ = left_tx.send(());
    owner.join().unwrap();
    reports.extend(seen.try_iter());
    reports
}

/// Case 2 with `get`: before the fix the exiting owner got the doomed value back, and read
/// it after the visitor had dropped it (a use-after-free). Now it is gone for its owner.
#[test]
fn an_exiting_owner_cannot_get_a_value_left_to_a_visitor() {
    let reports = probe_a_doomed_value(Probe::Get);
    assert!(
        matches!(reports[..], [Seen::Nothing]),
        "the owner reached its doomed value: {reports:?}"
    );
}

/// Case 2 with `get_or`: before the fix the exiting owner got the doomed value back (and,
/// had the visitor already left, wrote a new value into the slot the visitor was dropping).
/// Now `get_or` refuses with a clear message: the slot is still the visitor's.
#[test]
fn an_exiting_owner_cannot_get_or_a_value_left_to_a_visitor() {
    let reports = probe_a_doomed_value(Probe::GetOr);
    match &reports[..] {
        [Seen::Panicked(message)] => assert!(
            message.contains("for_each"),
            "an unclear message: {message}"
        ),
        _ => panic!("get_or returned the doomed value: {reports:?}"),
    }
}

// ------------------------------------------------------------------ case 3: panics

/// A value that counts its drops, and panics when dropped if told to.
struct Bomb {
    explodes: bool,
    drops: Arc<AtomicUsize>,
}

impl Bomb {
    fn new(explodes: bool, drops: &Arc<AtomicUsize>) -> Self {
        Bomb {
            explodes,
            drops: drops.clone(),
        }
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        if self.explodes {
            panic!("a Bomb went off");
        }
    }
}

/// Three threads exit, each leaving a value behind in `local` (a leaked `LocalRef`, so the
/// value is `KEPT` and holds the thread's index); the first `explosive` of them panic when
/// dropped.
fn kept_bombs(local: &Arc<ThreadLocal<Bomb>>, explosive: usize, drops: &Arc<AtomicUsize>) {
    for n in 0..3 {
        let (local, drops) = (local.clone(), drops.clone());
        thread::spawn(move || {
            std::mem::forget(local.get_or(|| Bomb::new(n < explosive, &drops)));
        })
        .join()
        .unwrap();
    }
}

#[test]
fn a_panicking_drop_in_clear_still_drops_the_rest_and_frees_the_indices() {
    let _serial = one_at_a_time();
    let before = indices_in_use();
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(ThreadLocal::new());
    kept_bombs(&local, 1, &drops);
    let mut local = Arc::try_unwrap(local).ok().expect("the only reference");
    let outcome = catch_unwind(AssertUnwindSafe(|| local.clear()));
    let message = panic_message(outcome.expect_err("the panic reaches clear's caller"));
    assert_eq!(message, "a Bomb went off");
    assert_eq!(drops.load(SeqCst), 3, "every value dropped, the bomb too");
    assert_no_index_leaked(before, "after clear");
    local.get_or(|| Bomb::new(false, &drops));
    drop(local);
    assert_eq!(drops.load(SeqCst), 4);
}

#[test]
fn two_panicking_drops_in_a_thread_locals_drop_neither_abort_nor_leak() {
    let _serial = one_at_a_time();
    let before = indices_in_use();
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(ThreadLocal::new());
    kept_bombs(&local, 2, &drops);
    let local = Arc::try_unwrap(local).ok().expect("the only reference");
    let outcome = catch_unwind(AssertUnwindSafe(|| drop(local)));
    let message = panic_message(outcome.expect_err("the first panic reaches the dropper"));
    assert_eq!(message, "a Bomb went off");
    assert_eq!(drops.load(SeqCst), 3, "every value dropped");
    assert_no_index_leaked(before, "after the drop");
}

#[test]
fn panicking_drops_of_values_left_in_into_iter_neither_abort_nor_leak() {
    let _serial = one_at_a_time();
    let before = indices_in_use();
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(ThreadLocal::new());
    kept_bombs(&local, 3, &drops);
    let local = Arc::try_unwrap(local).ok().expect("the only reference");
    let mut values = local.into_iter();
    assert_eq!(values.len(), 3);
    assert_no_index_leaked(before, "after into_iter");
    let first = values.next().unwrap();
    // Drop the first out of the iterator, then the two left in it (both panic).
    let outcome = catch_unwind(AssertUnwindSafe(|| drop(first)));
    assert!(outcome.is_err());
    let outcome = catch_unwind(AssertUnwindSafe(|| drop(values)));
    let message = panic_message(outcome.expect_err("a bomb was left in the iterator"));
    assert_eq!(message, "a Bomb went off");
    assert_eq!(drops.load(SeqCst), 3, "every value dropped");
}

/// A thread exits with a value whose drop panics, and one in another `ThreadLocal` (whose
/// exit hook runs after). Before the fix the panic unwound out of a thread-local destructor,
/// which aborts the process. Now the exit goes on: the other value is dropped and the
/// thread's index given back.
#[test]
fn a_panicking_drop_at_thread_exit_neither_aborts_nor_skips_the_rest() {
    let _serial = one_at_a_time();
    let before = indices_in_use();
    let drops = Arc::new(AtomicUsize::new(0));
    let calm = Arc::new(ThreadLocal::new());
    let explosive = Arc::new(ThreadLocal::new());
    {
        let (calm, explosive, drops) = (calm.clone(), explosive.clone(), drops.clone());
        thread::spawn(move || {
            calm.get_or(|| Bomb::new(false, &drops));
            explosive.get_or(|| Bomb::new(true, &drops));
        })
        .join()
        .expect("a panic in a value's drop at exit does not fail the thread");
    }
    assert_eq!(drops.load(SeqCst), 2, "both values dropped at exit");
    assert_no_index_leaked(before, "after the exit");
    assert_eq!(Arc::strong_count(&calm), 1);
    drop((calm, explosive));
    assert_eq!(drops.load(SeqCst), 2, "nothing dropped twice");
}

/// A thread makes an explosive value, then exits while `for_each` visits it, so the visitor
/// drops it when the visit ends. `visitor_panics` makes the visit's closure panic too.
/// Returns the panic that came out of `for_each`, and the count of drops.
fn visit_while_the_owner_exits(visitor_panics: bool) -> (String, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(ThreadLocal::new());
    let (made_tx, made) = mpsc::channel();
    let (exit_tx, exit) = mpsc::channel::<()>();
    let owner = {
        let (local, drops) = (local.clone(), drops.clone());
        thread::spawn(move || {
            local.get_or(|| Bomb::new(true, &drops));
            made_tx.send(()).unwrap();
            exit.recv().unwrap();
        })
    };
    made.recv().unwrap();
    let mut owner = Some(owner);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        local.for_each(|_| {
            exit_tx.send(()).unwrap();
            // `join` returns once the owner's exit hooks have run: the value is DOOMED.
            owner.take().unwrap().join().unwrap();
            if visitor_panics {
                panic!("the visitor gave up");
            }
        })
    }));
    let message = panic_message(outcome.expect_err("a panic reaches the caller"));
    let mut seen = 0;
    local.for_each(|_| seen += 1);
    assert_eq!(seen, 0, "nothing left to visit");
    (message, drops)
}

/// The visit's closure panics and then the value's drop panics too: before the fix, a
/// panic during unwinding, an abort. Now the closure's panic reaches the caller, the value
/// is dropped and the owner's index given back.
#[test]
fn a_panicking_drop_at_the_end_of_a_panicking_visit_does_not_abort() {
    let _serial = one_at_a_time();
    let before = indices_in_use();
    let (message, drops) = visit_while_the_owner_exits(true);
    assert_eq!(message, "the visitor gave up");
    assert_eq!(
        drops.load(SeqCst),
        1,
        "the doomed value dropped by the visitor"
    );
    assert_no_index_leaked(before, "after the visit");
}

/// The same without the closure's panic: the drop's panic comes out of `for_each`, after
/// the value is gone and the index given back.
#[test]
fn a_panicking_drop_at_the_end_of_a_visit_frees_the_index() {
    let _serial = one_at_a_time();
    let before = indices_in_use();
    let (message, drops) = visit_while_the_owner_exits(false);
    assert_eq!(message, "a Bomb went off");
    assert_eq!(
        drops.load(SeqCst),
        1,
        "the doomed value dropped by the visitor"
    );
    assert_no_index_leaked(before, "after the visit");
}

/// Case 2, once the visit has ended: the visitor moved the doomed value out and emptied the
/// slot, so the exiting owner's `get_or` makes a fresh value there (kept for the
/// `ThreadLocal`, like any value made during thread exit), written after the visitor's move.
#[test]
fn an_exiting_owner_gets_a_fresh_value_once_the_visitor_has_left() {
    let reports = probe_a_doomed_value(Probe::GetOrAfterTheVisit);
    match &reports[..] {
        [Seen::Nothing, Seen::Value(content)] => assert_eq!(content, "fresh"),
        _ => panic!("not a fresh value after the visit: {reports:?}"),
    }
}
