//! Loom models of `RLock`: the shipped `src/rlock.rs` (and the `Lock` inside it) on the
//! `Loom` runtime.
//!
//! The owner and count of an `RLock` are Relaxed atomics that only the owner writes, while
//! it holds the inner lock; these models check that this is enough: re-entry never lets a
//! second thread in, a non-owner can never release, and a timed acquire racing the owner's
//! last release is consistent either way.
//!
//! Run one model: `cargo test --features loom --test loom_rlock -- <name>`.

mod common;

use common::{model, model3, Seen};
use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicBool as LoomBool;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use syncsmith::runtime::Loom;
use syncsmith::{Condition, RLock};

/// A re-entrant lock and the data it protects.
struct Guarded {
    lock: RLock<Loom>,
    counter: UnsafeCell<usize>,
}

impl Guarded {
    fn new() -> Arc<Self> {
        Arc::new(Guarded {
            lock: RLock::with_runtime(),
            counter: UnsafeCell::new(0),
        })
    }

    /// Adds one; the caller must own the lock (loom checks it).
    fn increment(&self) {
        // SAFETY: the caller owns the lock; a failure to exclude is reported by loom.
        self.counter.with_mut(|c| unsafe { *c += 1 });
    }

    /// Reads the counter; the caller must own the lock or be ordered after every writer.
    fn read(&self) -> usize {
        // SAFETY: as in `increment`.
        self.counter.with(|c| unsafe { *c })
    }
}

/// Two threads each enter twice (acquire, then a nested acquire), increment, and leave
/// twice. Only the outermost release frees the lock, so the other thread never gets in
/// between: loom would see the two increments race.
#[test]
fn reentry_by_the_owner_still_excludes_other_threads() {
    model(|| {
        let shared = Guarded::new();
        let body = |shared: &Guarded| {
            shared.lock.acquire();
            shared.lock.acquire();
            assert!(shared.lock.is_owned());
            shared.increment();
            shared.lock.release().unwrap();
            // Still held once: the inner release must not have freed it.
            assert!(shared.lock.is_owned());
            assert!(shared.lock.locked());
            shared.increment();
            shared.lock.release().unwrap();
            assert!(
                !shared.lock.is_owned(),
                "the outermost release did not give the lock up"
            );
        };
        let other = {
            let shared = shared.clone();
            thread::spawn(move || body(&shared))
        };
        body(&shared);
        other.join().unwrap();

        assert_eq!(shared.read(), 4);
        assert!(!shared.lock.locked());
    });
}

/// A thread that does not own the lock cannot release it ("cannot release un-acquired
/// lock"), cannot re-enter it with `try_acquire`, and changes nothing by trying; the owner
/// still holds it at the same depth afterwards.
#[test]
fn a_non_owner_cannot_release_or_reenter() {
    model(|| {
        let lock = Arc::new(RLock::<Loom>::with_runtime());
        lock.acquire();
        lock.acquire();
        let intruder = {
            let lock = lock.clone();
            thread::spawn(move || {
                assert!(!lock.is_owned());
                let err = lock.release().unwrap_err();
                assert_eq!(err.to_string(), "cannot release un-acquired lock");
                // The owner may release at any moment, so this may or may not succeed; if it
                // does, the intruder is now the owner at depth one.
                if lock.try_acquire() {
                    assert!(lock.is_owned());
                    lock.release().unwrap();
                    assert!(!lock.is_owned());
                }
            })
        };
        assert!(lock.is_owned());
        lock.release().unwrap();
        assert!(lock.is_owned(), "depth 2 needs two releases");
        lock.release().unwrap();
        assert!(!lock.is_owned());
        intruder.join().unwrap();

        assert!(!lock.locked());
    });
}

/// A timed acquire racing the owner's final release: if it succeeds the caller owns the
/// lock at depth one and sees the old owner's writes; if it times out, it owns nothing.
/// Both outcomes must occur (the owner is the main thread, so that the timeout needs only
/// two preemptions and the check holds down to `LOOM_MAX_PREEMPTIONS=2`).
#[test]
fn timed_acquire_racing_the_owners_last_release_is_consistent() {
    static ACQUIRED: Seen = Seen::new();
    model(|| {
        let shared = Guarded::new();
        shared.lock.acquire();
        shared.lock.acquire();
        let contender = {
            let shared = shared.clone();
            thread::spawn(move || {
                let acquired = shared.lock.acquire_timeout(Duration::from_secs(1));
                if acquired {
                    assert!(shared.lock.is_owned());
                    assert_eq!(shared.read(), 1, "the old owner's write must be visible");
                    // Depth one: one release frees it.
                    shared.lock.release().unwrap();
                    assert!(!shared.lock.is_owned());
                } else {
                    assert!(!shared.lock.is_owned());
                }
                assert!(shared.lock.release().is_err());
                acquired
            })
        };
        shared.increment();
        shared.lock.release().unwrap();
        assert!(shared.lock.is_owned(), "depth 2 needs two releases");
        shared.lock.release().unwrap();
        ACQUIRED.record(contender.join().unwrap());

        assert!(!shared.lock.locked());
        let _held = shared.lock.lock();
        assert_eq!(shared.read(), 1);
    });
    assert!(
        ACQUIRED.both(),
        "loom should explore the contender acquiring and timing out"
    );
}

/// Ownership passes from thread to thread: after the first owner leaves, the next thread
/// that takes the lock (here by parking for it) owns it, and the first one does not.
#[test]
fn ownership_moves_to_the_next_thread_that_takes_the_lock() {
    model(|| {
        let shared = Guarded::new();
        shared.lock.acquire();
        let next = {
            let shared = shared.clone();
            thread::spawn(move || {
                let _outer = shared.lock.lock();
                let _inner = shared.lock.lock();
                assert!(shared.lock.is_owned());
                shared.increment();
            })
        };
        shared.increment();
        shared.lock.release().unwrap();
        assert!(!shared.lock.is_owned());
        next.join().unwrap();

        assert!(!shared.lock.locked());
        assert!(shared.lock.release().is_err());
        assert_eq!(shared.read(), 2);
    });
}

/// RLock ownership handed through a `Condition`, three threads. W holds the `RLock` twice
/// and waits; a third thread T takes the lock (possibly while W waits, when `wait` has
/// released both levels), and the main thread notifies. Every thread that holds the lock
/// owns it and nobody else does (T never sees W's ownership, W gets both levels back),
/// and the data written under the lock by each holder is visible to the next (a loom
/// `UnsafeCell`: "Causality violation" otherwise).
#[test]
fn ownership_passes_through_a_condition_wait_to_a_third_thread() {
    static THIRD_HELD_IT_WHILE_W_WAITED: Seen = Seen::new();
    model3(|| {
        let shared = Arc::new((
            Condition::with_lock(RLock::<Loom>::with_runtime()),
            LoomBool::new(false),
            UnsafeCell::new(0_u32),
        ));
        let w = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (cond, flag, data) = &*shared;
                cond.acquire();
                cond.acquire();
                cond.wait_for(|| flag.load(Relaxed)).unwrap();
                assert!(
                    cond.get_lock().is_owned(),
                    "W got the lock back without owning it"
                );
                // SAFETY: W owns the lock; loom reports an unordered access.
                data.with_mut(|d| unsafe { *d += 1 });
                cond.release().unwrap();
                assert!(cond.get_lock().is_owned(), "wait lost the inner level");
                cond.release().unwrap();
                assert!(!cond.get_lock().is_owned());
            })
        };
        let third = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (cond, _, data) = &*shared;
                let _held = cond.lock();
                assert!(cond.get_lock().is_owned());
                THIRD_HELD_IT_WHILE_W_WAITED.record(cond.waiter_count() == 1);
                // SAFETY: owned; loom reports an unordered access.
                data.with_mut(|d| unsafe { *d += 1 });
            })
        };
        let (cond, flag, data) = &*shared;
        cond.acquire();
        // SAFETY: owned.
        data.with_mut(|d| unsafe { *d += 1 });
        flag.store(true, Relaxed);
        cond.notify_one().unwrap();
        cond.release().unwrap();
        w.join().unwrap();
        third.join().unwrap();
        assert!(!cond.get_lock().locked());
        // SAFETY: every thread is joined.
        assert_eq!(data.with(|d| unsafe { *d }), 3);
    });
    assert!(
        THIRD_HELD_IT_WHILE_W_WAITED.both(),
        "loom should explore the third thread taking the lock while W waits, and not"
    );
}
