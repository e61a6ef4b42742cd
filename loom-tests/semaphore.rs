//! Loom models of `Semaphore` and `BoundedSemaphore` (`src/semaphore.rs`, with the
//! `Condition` and `Lock` under it) on the `Loom` runtime.
//!
//! - Permits never exceed the count: holders of a one-permit semaphore touch a loom
//!   `UnsafeCell` (two holders at once, or a missing Acquire/Release between them, is a
//!   "Causality violation"); holders of a two-permit semaphore count themselves.
//! - A waiter is never left asleep while a permit is free, even when a fast-path acquirer
//!   steals the permit its wake-up was for (a deadlock otherwise).
//! - A timed acquire racing a release either takes the permit or leaves it: never both,
//!   never neither.
//! - A release racing a fast-path acquire on a third thread: whoever takes the permit (the
//!   barging fast path or the woken waiter) sees what the releaser wrote, and the waiter the
//!   release was for still gets through.
//! - A bounded semaphore's over-release is refused and changes nothing, and a release with
//!   a thread blocked in `acquire` wakes it.
//!
//! Each race model records which side of the race an execution took ([`Seen`]) and fails
//! if loom never produced the interesting one. The public API cannot say whether an
//! `acquire` slept; where a model needs "the permit was taken when this thread came for
//! it", the thread first tries `try_acquire` and records that it failed before it blocks.
//!
//! What these models cannot see: how many threads sit in the condition's FIFO (a waiter
//! left queued is visible only when it costs a later waiter its wake-up), and the retry
//! branches of the compare-exchange loops (loom's `compare_exchange_weak` never fails
//! spuriously, and a competing change is needed to fail the strong one).
//!
//! Run one model: `cargo test --features loom --test loom_semaphore -- <name>`.

mod common;

use common::{model, model3, Seen};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use syncsmith::runtime::Loom;
use syncsmith::{BoundedSemaphore, Semaphore};

/// A one-permit semaphore is a lock: two threads each take the permit (through the fast
/// path or by waiting), write the shared cell, and give it back. The permit guard is used
/// by one thread, plain acquire/release by the other. Both sides of the race happen: the
/// other thread finds the permit free, or finds it held and waits for it.
#[test]
fn one_permit_excludes_and_orders_its_holders() {
    static FOUND_IT_HELD: Seen = Seen::new();
    model(|| {
        let shared = Arc::new((Semaphore::<Loom>::with_runtime(1), UnsafeCell::new(0_u32)));
        let other = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (sem, cell) = &*shared;
                let (_permit, held) = match sem.try_permit() {
                    Some(permit) => (permit, false),
                    None => (sem.permit(), true),
                };
                // SAFETY: the permit excludes the other holder; loom reports it if not.
                cell.with_mut(|c| unsafe { *c += 1 });
                held
            })
        };
        let (sem, cell) = &*shared;
        sem.acquire();
        // SAFETY: as above.
        cell.with_mut(|c| unsafe { *c += 1 });
        sem.release();
        FOUND_IT_HELD.record(other.join().unwrap());
        // SAFETY: both holders are done.
        assert_eq!(cell.with(|c| unsafe { *c }), 2);
        assert_eq!(sem.value(), 1);
    });
    assert!(FOUND_IT_HELD.both(), "loom should explore both sides");
}

/// Three threads, two permits: at most two holders at any moment, and every thread gets
/// through (a permit released while a thread waits must reach it).
/// Some execution has a thread find both permits taken (and wait).
#[test]
fn permits_never_exceed_the_count() {
    static SOMEONE_FOUND_NONE: Seen = Seen::new();
    model3(|| {
        let shared = Arc::new((Semaphore::<Loom>::with_runtime(2), AtomicUsize::new(0)));
        let work = |shared: &(Semaphore<Loom>, AtomicUsize)| -> bool {
            let (sem, holders) = shared;
            let found_none = !sem.try_acquire();
            if found_none {
                sem.acquire();
            }
            let now = holders.fetch_add(1, Relaxed) + 1;
            assert!(now <= 2, "{now} holders of a two-permit semaphore");
            holders.fetch_sub(1, Relaxed);
            sem.release();
            found_none
        };
        let others: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || work(&shared))
            })
            .collect();
        let mut found_none = work(&shared);
        for other in others {
            found_none |= other.join().unwrap();
        }
        SOMEONE_FOUND_NONE.record(found_none);
        assert_eq!(shared.0.value(), 2, "permits were lost or made up");
    });
    assert!(SOMEONE_FOUND_NONE.both(), "loom should explore both sides");
}

/// The main thread releases a permit for a waiter and at once tries to take it back
/// itself (a fast-path acquirer "barging" past the woken waiter); if it wins, it releases
/// again. The waiter must get through in every interleaving: a woken waiter that finds
/// the permit gone waits again, and the next release wakes it. The steal happens in some
/// executions and not in others. A waiter that returns without a permit leaves one behind.
#[test]
fn a_stolen_wake_up_is_not_a_lost_one() {
    static STOLEN: Seen = Seen::new();
    model(|| {
        let sem = Arc::new(Semaphore::<Loom>::with_runtime(0));
        let waiter = {
            let sem = sem.clone();
            thread::spawn(move || sem.acquire())
        };
        sem.release();
        let stolen = sem.try_acquire();
        if stolen {
            sem.release();
        }
        waiter.join().unwrap();
        STOLEN.record(stolen);
        assert_eq!(
            sem.value(),
            0,
            "the waiter returned without taking the permit"
        );
    });
    assert!(STOLEN.both(), "loom should explore both sides");
}

/// Three threads, no permit at first. The main thread writes the cell and releases one
/// permit, which a waiter blocked in `acquire` was woken for; a third thread races for it
/// through the fast path alone (one compare-exchange, no lock). Whoever gets the permit
/// reads and writes the cell: the only order between the releaser and a fast-path taker is
/// the Release of `release`'s compare-exchange and the Acquire of the taker's, so a
/// weakened ordering on either side is a "Causality violation" here. A barger gives the
/// permit back, and the waiter must still get through. Both sides happen: the barger
/// steals the permit in some executions, finds none in others.
#[test]
fn release_racing_a_fast_path_acquire_publishes_to_the_taker() {
    static BARGER_TOOK_IT: Seen = Seen::new();
    model3(|| {
        let shared = Arc::new((Semaphore::<Loom>::with_runtime(0), UnsafeCell::new(0_u32)));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (sem, cell) = &*shared;
                sem.acquire();
                // SAFETY: the one permit excludes the other holders; loom checks the order.
                cell.with_mut(|c| unsafe { *c += 10 });
            })
        };
        let barger = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (sem, cell) = &*shared;
                if !sem.try_acquire() {
                    return false;
                }
                // SAFETY: as above.
                cell.with_mut(|c| unsafe {
                    assert!(*c >= 1, "the barger took a permit before it was released");
                    *c += 100;
                });
                sem.release();
                true
            })
        };
        let (sem, cell) = &*shared;
        // SAFETY: nobody holds a permit yet.
        cell.with_mut(|c| unsafe { *c = 1 });
        sem.release();
        waiter.join().unwrap();
        let barged = barger.join().unwrap();
        BARGER_TOOK_IT.record(barged);
        // SAFETY: every holder is done.
        let total = cell.with(|c| unsafe { *c });
        assert_eq!(total, if barged { 111 } else { 11 });
        assert_eq!(sem.value(), 0, "the waiter's permit is still free");
    });
    assert!(BARGER_TOOK_IT.both(), "loom should explore both sides");
}

/// `release_n(2)` with two threads waiting wakes both.
#[test]
fn release_n_wakes_n_waiters() {
    model3(|| {
        let sem = Arc::new(Semaphore::<Loom>::with_runtime(0));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let sem = sem.clone();
                thread::spawn(move || sem.acquire())
            })
            .collect();
        sem.release_n(2);
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(sem.value(), 0);
    });
}

/// A timed acquire racing a release: if it reports success the permit is gone, if it
/// reports a timeout the permit is still there. Both outcomes happen.
#[test]
fn timed_acquire_racing_release_takes_the_permit_or_leaves_it() {
    static TOOK_IT: Seen = Seen::new();
    model(|| {
        let shared = Arc::new((Semaphore::<Loom>::with_runtime(0), AtomicBool::new(false)));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (sem, started) = &*shared;
                started.store(true, Relaxed);
                sem.acquire_timeout(Duration::from_secs(1))
            })
        };
        let (sem, started) = &*shared;
        // loom only switches threads where their accesses conflict. This load (of a flag
        // the waiter sets) lets the waiter run before the release starts; without it, the
        // waiter could run only once the release held the lock, so its timeout would
        // always find the permit there and the "timed out" side would go unexplored.
        let _ = started.load(Relaxed);
        sem.release();
        let took_it = waiter.join().unwrap();
        TOOK_IT.record(took_it);
        assert_eq!(sem.value(), if took_it { 0 } else { 1 });
    });
    assert!(TOOK_IT.both(), "loom should explore both outcomes");
}

/// A bounded semaphore of one: a worker acquires and releases; the main thread releases
/// once without acquiring. Exactly one of the two releases must be refused (whichever
/// would take the value above one), and the value ends at one.
#[test]
fn bounded_over_release_is_refused_and_changes_nothing() {
    static MAIN_REFUSED: Seen = Seen::new();
    model(|| {
        let sem = Arc::new(BoundedSemaphore::<Loom>::with_runtime(1));
        let worker = {
            let sem = sem.clone();
            thread::spawn(move || {
                sem.acquire();
                sem.release().is_ok()
            })
        };
        let main_ok = sem.release().is_ok();
        let worker_ok = worker.join().unwrap();
        MAIN_REFUSED.record(!main_ok);
        assert!(
            main_ok != worker_ok,
            "exactly one release fits (main {main_ok}, worker {worker_ok})"
        );
        assert_eq!(sem.value(), 1);
        // All or nothing: two more would overflow the bound by two; nothing changes.
        assert!(sem.release_n(2).is_err());
        assert_eq!(sem.value(), 1);
    });
    assert!(MAIN_REFUSED.both(), "loom should explore both orders");
}

/// A bounded semaphore of one, its permit held by the main thread, and a second thread
/// blocked in `acquire`. The main thread's release must be accepted (the value is below the
/// bound) and must wake the waiter; a second release is refused exactly when the waiter has
/// not taken the permit yet (it would exceed the bound), accepted when it has. Both happen.
/// Afterwards the value is whatever those releases left, and one more release over it is
/// refused without a change.
#[test]
fn bounded_release_wakes_a_blocked_waiter_and_over_release_is_refused() {
    static SECOND_REFUSED: Seen = Seen::new();
    static WAITER_FOUND_NONE: Seen = Seen::new();
    model(|| {
        let sem = Arc::new(BoundedSemaphore::<Loom>::with_runtime(1));
        sem.acquire();
        let waiter = {
            let sem = sem.clone();
            thread::spawn(move || {
                let found_none = !sem.try_acquire();
                if found_none {
                    sem.acquire();
                }
                found_none
            })
        };
        sem.release()
            .expect("the first release is within the bound");
        let second = sem.release();
        WAITER_FOUND_NONE.record(waiter.join().unwrap());
        SECOND_REFUSED.record(second.is_err());
        // Refused: the waiter took the only permit after it, so none is left. Accepted:
        // the waiter had taken it, and the second release put it back.
        let expected = usize::from(second.is_ok());
        assert_eq!(sem.value(), expected, "second release {second:?}");
        if expected == 1 {
            assert!(
                sem.release().is_err(),
                "a release above the bound was accepted"
            );
            assert_eq!(sem.value(), 1);
        }
    });
    assert!(SECOND_REFUSED.both(), "loom should explore both orders");
    assert!(WAITER_FOUND_NONE.both(), "loom should explore both sides");
}

/// Releasing zero permits is refused (Python's "n must be one or more") before anything
/// changes, for both kinds; the semaphores still work afterwards.
#[test]
fn releasing_zero_permits_is_refused_and_changes_nothing() {
    model(|| {
        let sem = Semaphore::<Loom>::with_runtime(0);
        let bounded = BoundedSemaphore::<Loom>::with_runtime(1);
        bounded.acquire();
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sem.release_n(0)));
        assert_eq!(panic_text(refused.unwrap_err()), "n must be one or more");
        let refused =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bounded.release_n(0)));
        assert_eq!(panic_text(refused.unwrap_err()), "n must be one or more");
        assert_eq!((sem.value(), bounded.value()), (0, 0));
        sem.release();
        bounded.release().unwrap();
        assert_eq!((sem.value(), bounded.value()), (1, 1));
    });
}

/// The message of a caught panic (`assert!` with a literal message panics with a `&str`,
/// one with arguments with a `String`).
fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
    match panic.downcast::<String>() {
        Ok(text) => *text,
        Err(panic) => panic
            .downcast_ref::<&str>()
            .map_or_else(|| "<not a string>".to_owned(), |text| (*text).to_owned()),
    }
}
