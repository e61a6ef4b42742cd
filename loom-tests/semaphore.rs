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
//! - A bounded semaphore's over-release is refused and changes nothing.
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
/// by one thread, plain acquire/release by the other.
#[test]
fn one_permit_excludes_and_orders_its_holders() {
    model(|| {
        let shared = Arc::new((Semaphore::<Loom>::with_runtime(1), UnsafeCell::new(0_u32)));
        let other = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (sem, cell) = &*shared;
                let _permit = sem.permit();
                // SAFETY: the permit excludes the other holder; loom reports it if not.
                cell.with_mut(|c| unsafe { *c += 1 });
            })
        };
        let (sem, cell) = &*shared;
        sem.acquire();
        // SAFETY: as above.
        cell.with_mut(|c| unsafe { *c += 1 });
        sem.release();
        other.join().unwrap();
        // SAFETY: both holders are done.
        assert_eq!(cell.with(|c| unsafe { *c }), 2);
        assert_eq!(sem.value(), 1);
    });
}

/// Three threads, two permits: at most two holders at any moment, and every thread gets
/// through (a permit released while a thread waits must reach it).
#[test]
fn permits_never_exceed_the_count() {
    model3(|| {
        let shared = Arc::new((Semaphore::<Loom>::with_runtime(2), AtomicUsize::new(0)));
        let work = |shared: &(Semaphore<Loom>, AtomicUsize)| {
            let (sem, holders) = shared;
            sem.acquire();
            let now = holders.fetch_add(1, Relaxed) + 1;
            assert!(now <= 2, "{now} holders of a two-permit semaphore");
            holders.fetch_sub(1, Relaxed);
            sem.release();
        };
        let others: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || work(&shared))
            })
            .collect();
        work(&shared);
        for other in others {
            other.join().unwrap();
        }
        assert_eq!(shared.0.value(), 2);
    });
}

/// The main thread releases a permit for a waiter and at once tries to take it back
/// itself (a fast-path acquirer "barging" past the woken waiter); if it wins, it releases
/// again. The waiter must get through in every interleaving: a woken waiter that finds
/// the permit gone waits again, and the next release wakes it.
#[test]
fn a_stolen_wake_up_is_not_a_lost_one() {
    model(|| {
        let sem = Arc::new(Semaphore::<Loom>::with_runtime(0));
        let waiter = {
            let sem = sem.clone();
            thread::spawn(move || sem.acquire())
        };
        sem.release();
        if sem.try_acquire() {
            sem.release();
        }
        waiter.join().unwrap();
        assert_eq!(sem.value(), 0);
    });
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

/// Releasing zero permits is refused (Python's "n must be one or more") before anything
/// changes, for both kinds; the semaphores still work afterwards.
#[test]
fn releasing_zero_permits_is_refused_and_changes_nothing() {
    model(|| {
        let sem = Semaphore::<Loom>::with_runtime(0);
        let bounded = BoundedSemaphore::<Loom>::with_runtime(1);
        bounded.acquire();
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sem.release_n(0)));
        assert!(refused.is_err());
        let refused =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bounded.release_n(0)));
        assert!(refused.is_err());
        assert_eq!((sem.value(), bounded.value()), (0, 0));
        sem.release();
        bounded.release().unwrap();
        assert_eq!((sem.value(), bounded.value()), (1, 1));
    });
}
