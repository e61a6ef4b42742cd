//! `RLock` on real threads: re-entrancy, ownership and its errors, timeouts, guards, and a
//! bounded stress test. Ported from CPython's `test_threading` RLock tests.

mod common;

use common::Counter;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};
use syncsmith::{RLock, RLockGuard};

const SHORT: Duration = Duration::from_millis(50);
const NOT_OWNER: &str = "cannot release un-acquired lock";

static_assertions::assert_impl_all!(RLock: Send, Sync);
static_assertions::assert_not_impl_any!(RLockGuard<'static>: Send);
static_assertions::assert_impl_all!(RLockGuard<'static>: Sync);

#[test]
fn a_new_rlock_is_unlocked_and_unowned() {
    let lock = RLock::new();
    assert!(!lock.locked());
    assert!(!lock.is_owned());
}

#[test]
fn the_owner_reenters_and_must_release_as_many_times() {
    let lock = RLock::new();
    for _ in 0..3 {
        lock.acquire();
    }
    assert!(lock.is_owned());
    for remaining in (0..3).rev() {
        lock.release().unwrap();
        assert_eq!(lock.locked(), remaining > 0);
        assert_eq!(lock.is_owned(), remaining > 0);
    }
    let err = lock.release().unwrap_err();
    assert_eq!(err.to_string(), NOT_OWNER);
}

#[test]
fn try_acquire_reenters_for_the_owner_and_refuses_others() {
    let lock = RLock::new();
    assert!(lock.try_acquire());
    assert!(lock.try_acquire(), "the owner re-enters without waiting");
    thread::scope(|s| {
        s.spawn(|| {
            assert!(!lock.try_acquire());
            assert!(!lock.is_owned());
        });
    });
    lock.release().unwrap();
    lock.release().unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            assert!(lock.try_acquire());
            lock.release().unwrap();
        });
    });
}

#[test]
fn is_owned_is_per_thread_and_locked_is_for_anyone() {
    let lock = RLock::new();
    let _held = lock.lock();
    assert!(lock.is_owned());
    assert!(lock.locked());
    thread::scope(|s| {
        s.spawn(|| {
            assert!(!lock.is_owned());
            assert!(lock.locked());
        });
    });
}

#[test]
fn a_non_owner_cannot_release_and_nothing_changes() {
    let lock = RLock::new();
    lock.acquire();
    lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            let err = lock.release().unwrap_err();
            assert_eq!(err.to_string(), NOT_OWNER);
        });
    });
    // Still ours, still at depth two.
    assert!(lock.is_owned());
    lock.release().unwrap();
    assert!(lock.is_owned());
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
fn releasing_an_unlocked_rlock_is_an_error_with_pythons_message() {
    let lock = RLock::new();
    let err = lock.release().unwrap_err();
    assert_eq!(err.to_string(), NOT_OWNER);
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert_eq!(boxed.to_string(), NOT_OWNER);
    assert!(!lock.locked());
}

#[test]
fn acquire_timeout_by_another_thread_waits_at_least_the_timeout() {
    let lock = RLock::new();
    let _held = lock.lock();
    thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            assert!(!lock.acquire_timeout(SHORT));
            assert!(
                start.elapsed() >= SHORT,
                "returned after {:?}",
                start.elapsed()
            );
            assert!(!lock.is_owned());
        });
    });
    assert!(lock.is_owned());
}

#[test]
fn acquire_timeout_zero_reenters_for_the_owner() {
    let lock = RLock::new();
    assert!(lock.acquire_timeout(Duration::ZERO));
    assert!(lock.acquire_timeout(Duration::ZERO));
    lock.release().unwrap();
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
fn acquire_timeout_succeeds_when_the_owner_leaves_in_time() {
    let lock = RLock::new();
    let owner_holds = Barrier::new(2);
    thread::scope(|s| {
        s.spawn(|| {
            lock.acquire();
            lock.acquire();
            owner_holds.wait();
            thread::sleep(SHORT);
            lock.release().unwrap();
            lock.release().unwrap();
        });
        owner_holds.wait();
        assert!(lock.acquire_timeout(Duration::from_secs(60)));
        assert!(lock.is_owned());
        // Depth one: the old owner's depth does not carry over.
        lock.release().unwrap();
        assert!(!lock.locked());
    });
}

#[test]
fn a_blocked_acquirer_gets_the_lock_when_the_owner_leaves() {
    let lock = RLock::new();
    let entered = AtomicBool::new(false);
    lock.acquire();
    lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            let _held = lock.lock();
            entered.store(true, Ordering::SeqCst);
        });
        thread::sleep(SHORT);
        lock.release().unwrap();
        thread::sleep(SHORT);
        assert!(!entered.load(Ordering::SeqCst), "one level is still held");
        lock.release().unwrap();
    });
    assert!(entered.load(Ordering::SeqCst));
    assert!(!lock.locked());
}

/// A thread that exits holding an RLock leaves it locked, and no later thread becomes its
/// owner by accident (thread ids are never reused).
#[test]
fn an_rlock_held_by_an_exited_thread_stays_locked_and_unowned() {
    let lock = Arc::new(RLock::new());
    {
        let lock = lock.clone();
        thread::spawn(move || lock.acquire()).join().unwrap();
    }
    assert!(lock.locked());
    assert!(!lock.is_owned());
    assert!(!lock.try_acquire());
    assert_eq!(lock.release().unwrap_err().to_string(), NOT_OWNER);
    for _ in 0..4 {
        let lock = lock.clone();
        thread::spawn(move || {
            assert!(!lock.is_owned());
            assert!(!lock.try_acquire());
        })
        .join()
        .unwrap();
    }
}

#[test]
fn debug_shows_locked_owner_and_count() {
    let lock = RLock::new();
    assert_eq!(
        format!("{lock:?}"),
        "RLock { locked: false, owner: None, count: 0 }"
    );
    let _outer = lock.lock();
    let inner = lock.lock();
    let shown = format!("{lock:?}");
    assert!(
        shown.starts_with("RLock { locked: true, owner: Some("),
        "{shown}"
    );
    assert!(shown.ends_with("), count: 2 }"), "{shown}");
    assert_eq!(
        format!("{inner:?}"),
        format!("RLockGuard {{ lock: {shown} }}")
    );
}

#[test]
fn default_and_static_rlocks_work() {
    static LOCK: RLock = RLock::new();
    let lock: RLock = RLock::default();
    assert!(!lock.locked());
    let _a = LOCK.lock();
    let _b = LOCK.lock();
    assert!(LOCK.is_owned());
    thread::spawn(|| assert!(!LOCK.is_owned())).join().unwrap();
}

#[test]
fn nested_guards_release_one_level_each() {
    let lock = RLock::new();
    let outer = lock.lock();
    {
        let _inner = lock.lock();
    }
    assert!(lock.is_owned(), "the inner guard released only its level");
    drop(outer);
    assert!(!lock.locked());
}

#[test]
fn the_guard_releases_when_the_owner_panics() {
    let lock = RLock::new();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let _outer = lock.lock();
        let _inner = lock.lock();
        panic!("boom at depth two");
    }));
    assert!(result.is_err());
    assert!(!lock.locked());
    thread::scope(|s| {
        s.spawn(|| assert!(lock.try_acquire()));
    });
}

#[test]
fn a_thread_that_panics_while_owning_the_rlock_releases_it() {
    let lock = Arc::new(RLock::new());
    let panicker = {
        let lock = lock.clone();
        thread::spawn(move || {
            let _held = lock.lock();
            panic!("dies holding the lock");
        })
    };
    assert!(panicker.join().is_err());
    assert!(!lock.locked());
    assert!(lock.try_acquire());
    lock.release().unwrap();
}

#[test]
#[should_panic(expected = "RLockGuard dropped, but this thread no longer owns the lock")]
fn dropping_a_guard_after_a_manual_release_panics() {
    let lock = RLock::new();
    let guard = lock.lock();
    lock.release().unwrap();
    drop(guard);
}

impl Counter<RLock> {
    /// Enters twice, as recursive code would, and adds one.
    fn increment_nested(&self) {
        let _outer = self.lock.lock();
        let _inner = self.lock.lock();
        // SAFETY: we own the lock, so no other thread accesses `value`.
        unsafe { *self.value.get() += 1 };
    }
}

#[test]
fn four_threads_times_twenty_thousand_nested_increments_lose_nothing() {
    const THREADS: usize = 4;
    const INCREMENTS: usize = 20_000;
    let counter = Counter::new(RLock::new());
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..INCREMENTS {
                    counter.increment_nested();
                }
            });
        }
    });
    assert_eq!(counter.value.into_inner(), (THREADS * INCREMENTS) as u64);
    assert!(!counter.lock.locked());
}
