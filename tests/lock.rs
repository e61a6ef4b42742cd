//! `Lock` on real threads: every behaviour API.md promises, in the spirit of CPython's
//! `test_threading` lock tests, plus a bounded stress test and a fairness smoke test.
//!
//! Timing assertions are lower bounds only (a timeout never returns early); a slow machine
//! must never make a test fail.

mod common;

use common::Counter;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};
use syncsmith::{Lock, LockGuard, ReleaseError};

const SHORT: Duration = Duration::from_millis(50);

/// Waits until `lock` is held by someone (a thread we started is about to hold it).
fn wait_until_locked(lock: &Lock) {
    while !lock.locked() {
        thread::yield_now();
    }
}

#[test]
fn a_new_lock_is_unlocked() {
    let lock = Lock::new();
    assert!(!lock.locked());
}

#[test]
fn acquire_locks_and_release_unlocks() {
    let lock = Lock::new();
    lock.acquire();
    assert!(lock.locked());
    assert_eq!(lock.release(), Ok(()));
    assert!(!lock.locked());
    // Again: nothing is left behind by the first round.
    lock.acquire();
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
fn try_acquire_takes_a_free_lock_and_refuses_a_held_one() {
    let lock = Lock::new();
    assert!(lock.try_acquire());
    assert!(!lock.try_acquire(), "the lock is not re-entrant");
    thread::scope(|s| {
        s.spawn(|| assert!(!lock.try_acquire()));
    });
    lock.release().unwrap();
    assert!(lock.try_acquire());
    lock.release().unwrap();
}

#[test]
fn acquire_timeout_on_a_held_lock_waits_at_least_the_timeout() {
    let lock = Lock::new();
    lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            assert!(!lock.acquire_timeout(SHORT));
            assert!(
                start.elapsed() >= SHORT,
                "returned after {:?}",
                start.elapsed()
            );
        });
    });
    // The timed-out waiter left nothing behind: the lock is still ours to release.
    assert!(lock.locked());
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
fn acquire_timeout_zero_tries_once_without_blocking() {
    let lock = Lock::new();
    assert!(lock.acquire_timeout(Duration::ZERO));
    assert!(!lock.acquire_timeout(Duration::ZERO));
    lock.release().unwrap();
}

#[test]
fn acquire_timeout_on_a_free_lock_takes_it() {
    let lock = Lock::new();
    assert!(lock.acquire_timeout(SHORT));
    assert!(lock.locked());
    lock.release().unwrap();
}

#[test]
fn acquire_timeout_succeeds_when_the_lock_is_released_in_time() {
    let lock = Lock::new();
    lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(SHORT);
            lock.release().unwrap();
        });
        // A generous timeout; its length is not asserted, only the outcome.
        assert!(lock.acquire_timeout(Duration::from_secs(60)));
    });
    assert!(lock.locked());
    lock.release().unwrap();
}

#[test]
fn a_timeout_too_large_for_a_deadline_means_no_timeout() {
    for timeout in [Duration::MAX, Duration::from_secs(u64::MAX)] {
        let lock = Lock::new();
        lock.acquire();
        thread::scope(|s| {
            s.spawn(|| {
                thread::sleep(SHORT);
                lock.release().unwrap();
            });
            // Treated as "try once" or as an instant timeout, this would return false.
            assert!(lock.acquire_timeout(timeout));
        });
        lock.release().unwrap();
    }
}

#[test]
fn a_blocked_acquirer_gets_the_lock_when_it_is_released() {
    let lock = Lock::new();
    let entered = AtomicBool::new(false);
    lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            lock.acquire();
            entered.store(true, Ordering::SeqCst);
            lock.release().unwrap();
        });
        thread::sleep(SHORT);
        assert!(
            !entered.load(Ordering::SeqCst),
            "the acquirer must wait while the lock is held"
        );
        lock.release().unwrap();
    });
    assert!(entered.load(Ordering::SeqCst));
    assert!(!lock.locked());
}

/// CPython's `test_different_thread`: a Lock has no owner, any thread may release it.
#[test]
fn any_thread_may_release_the_lock() {
    let lock = Lock::new();
    lock.acquire();
    thread::scope(|s| {
        s.spawn(|| lock.release().unwrap());
    });
    assert!(!lock.locked());
    // And the other way round: acquired by another thread, released here.
    thread::scope(|s| {
        s.spawn(|| lock.acquire());
    });
    assert!(lock.locked());
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
fn releasing_an_unlocked_lock_is_an_error_with_pythons_message() {
    let lock = Lock::new();
    let err: ReleaseError = lock.release().unwrap_err();
    assert_eq!(err.to_string(), "release unlocked lock");
    // It is a std error, usable with `?` and `Box<dyn Error>`.
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
    assert_eq!(boxed.to_string(), "release unlocked lock");
    // And nothing changed.
    assert!(!lock.locked());
    assert!(lock.try_acquire());
    lock.release().unwrap();
}

#[test]
fn releasing_twice_fails_the_second_time() {
    let lock = Lock::new();
    lock.acquire();
    assert_eq!(lock.release(), Ok(()));
    assert_eq!(
        lock.release().map_err(|e| e.to_string()),
        Err("release unlocked lock".to_string())
    );
    assert!(!lock.locked());
}

#[test]
fn debug_shows_whether_the_lock_is_held() {
    let lock = Lock::new();
    assert_eq!(format!("{lock:?}"), "Lock { locked: false }");
    let guard = lock.lock();
    assert_eq!(format!("{lock:?}"), "Lock { locked: true }");
    assert_eq!(
        format!("{guard:?}"),
        "LockGuard { lock: Lock { locked: true } }"
    );
}

#[test]
fn default_is_an_unlocked_lock() {
    let lock: Lock = Lock::default();
    assert!(!lock.locked());
    assert!(lock.try_acquire());
    lock.release().unwrap();
}

#[test]
fn a_static_lock_works_across_threads() {
    static LOCK: Lock = Lock::new();
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(|| {
                for _ in 0..1000 {
                    let _held = LOCK.lock();
                    // A load and a store, not a fetch_add: only the lock makes this exact.
                    let n = COUNT.load(Ordering::Relaxed);
                    COUNT.store(n + 1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(COUNT.load(Ordering::Relaxed), 4000);
    assert!(!LOCK.locked());
}

#[test]
fn the_guard_releases_when_dropped_and_knows_its_lock() {
    let lock = Lock::new();
    {
        let guard = lock.lock();
        assert!(lock.locked());
        assert!(std::ptr::eq(guard.lock(), &lock));
    }
    assert!(!lock.locked());
}

#[test]
fn the_guard_releases_when_the_holder_panics() {
    let lock = Lock::new();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let _held = lock.lock();
        panic!("boom while holding the lock");
    }));
    assert!(result.is_err());
    assert!(!lock.locked(), "the guard released during unwinding");
}

#[test]
fn a_thread_that_panics_while_holding_the_lock_releases_it() {
    let lock = Arc::new(Lock::new());
    let panicker = {
        let lock = lock.clone();
        thread::spawn(move || {
            let _held = lock.lock();
            panic!("this thread dies holding the lock");
        })
    };
    assert!(panicker.join().is_err());
    assert!(!lock.locked());
    // Python's lock is not poisoned: it is simply free again.
    assert!(lock.try_acquire());
    lock.release().unwrap();
}

#[test]
fn a_guard_may_be_dropped_on_another_thread() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Lock>();
    assert_send_sync::<LockGuard<'static>>();

    static LOCK: Lock = Lock::new();
    let guard = LOCK.lock();
    thread::spawn(move || drop(guard)).join().unwrap();
    assert!(!LOCK.locked());
}

#[test]
#[should_panic(expected = "LockGuard dropped, but the lock was already released")]
fn dropping_a_guard_after_a_manual_release_panics() {
    let lock = Lock::new();
    let guard = lock.lock();
    lock.release().unwrap();
    drop(guard);
}

#[test]
fn a_guard_whose_lock_was_released_by_hand_does_not_panic_while_unwinding() {
    let lock = Lock::new();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let _guard = lock.lock();
        lock.release().unwrap();
        panic!("the first panic");
    }));
    // The first panic came through; the guard did not turn it into an abort.
    let message = result.unwrap_err();
    assert_eq!(message.downcast_ref::<&str>(), Some(&"the first panic"));
    assert!(!lock.locked());
}

impl Counter<Lock> {
    fn increment(&self) {
        let _held = self.lock.lock();
        // SAFETY: we hold the lock, so no other thread accesses `value`.
        unsafe { *self.value.get() += 1 };
    }
}

#[test]
fn eight_threads_times_one_hundred_thousand_increments_lose_nothing() {
    const THREADS: usize = 8;
    const INCREMENTS: usize = 100_000;
    let counter = Counter::new(Lock::new());
    let start = Barrier::new(THREADS);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                start.wait();
                for _ in 0..INCREMENTS {
                    counter.increment();
                }
            });
        }
    });
    assert_eq!(counter.value.into_inner(), (THREADS * INCREMENTS) as u64);
    assert!(!counter.lock.locked());
}

/// Eventual fairness: a thread that re-takes the lock in a tight loop cannot keep a parked
/// waiter out forever, because now and then a release hands the lock straight to the
/// oldest waiter. Without hand-offs this test could spin forever (it has no time bound on
/// purpose: it fails by not finishing).
#[test]
fn a_waiter_is_not_starved_by_a_thread_that_reacquires_in_a_loop() {
    let lock = Lock::new();
    let waiter_done = AtomicBool::new(false);
    lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            // The hog: holds the lock almost all the time.
            while !waiter_done.load(Ordering::Relaxed) {
                lock.release().unwrap();
                lock.acquire();
            }
            lock.release().unwrap();
        });
        s.spawn(|| {
            wait_until_locked(&lock);
            lock.acquire();
            lock.release().unwrap();
            waiter_done.store(true, Ordering::Relaxed);
        });
    });
    assert!(!lock.locked());
}

/// Each of several contending threads makes progress: every thread reaches its quota while
/// all the others keep hammering the lock.
#[test]
fn every_contending_thread_makes_progress() {
    const THREADS: usize = 4;
    const QUOTA: usize = 200;
    let lock = Lock::new();
    let counts: Vec<AtomicUsize> = (0..THREADS).map(|_| AtomicUsize::new(0)).collect();
    let all_reached_quota = || counts.iter().all(|c| c.load(Ordering::Relaxed) >= QUOTA);
    thread::scope(|s| {
        for mine in &counts {
            s.spawn(|| {
                // Keep contending until everyone (not just this thread) has its quota.
                while !all_reached_quota() {
                    let _held = lock.lock();
                    mine.fetch_add(1, Ordering::Relaxed);
                    // A small critical section, so that others pile up and park.
                    for _ in 0..50 {
                        std::hint::spin_loop();
                    }
                }
            });
        }
    });
    for count in &counts {
        assert!(count.load(Ordering::Relaxed) >= QUOTA);
    }
}
