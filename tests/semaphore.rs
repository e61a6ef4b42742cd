//! `Semaphore` and `BoundedSemaphore` on real threads: the behaviours of CPython's
//! `test_threading` semaphore tests (many threads never exceed the value, `release(n)`
//! wakes n, timeouts), every error case with its message, the permit guards, and bounded
//! stress tests. Timing assertions are lower bounds only.

mod common;

use common::panic_message;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use syncsmith::{
    BoundedSemaphore, BoundedSemaphorePermit, Semaphore, SemaphorePermit, TooManyReleases,
};

const SHORT: Duration = Duration::from_millis(50);

static_assertions::assert_impl_all!(Semaphore: Send, Sync, Default);
static_assertions::assert_impl_all!(BoundedSemaphore: Send, Sync, Default);
static_assertions::assert_impl_all!(SemaphorePermit<'static>: Send, Sync);
static_assertions::assert_impl_all!(BoundedSemaphorePermit<'static>: Send, Sync);

#[test]
fn acquire_and_release_count_down_and_up() {
    let sem = Semaphore::new(2);
    assert_eq!(sem.value(), 2);
    sem.acquire();
    assert!(sem.try_acquire());
    assert_eq!(sem.value(), 0);
    assert!(!sem.try_acquire());
    sem.release();
    assert_eq!(sem.value(), 1);
    sem.release_n(3);
    assert_eq!(
        sem.value(),
        4,
        "an unbounded semaphore may go above its start"
    );
}

#[test]
fn defaults_debug_and_statics_follow_python() {
    static SEM: Semaphore = Semaphore::new(3);
    static BOUNDED: BoundedSemaphore = BoundedSemaphore::new(2);
    assert_eq!(Semaphore::default().value(), 1);
    assert_eq!(BoundedSemaphore::default().initial_value(), 1);
    assert_eq!(format!("{SEM:?}"), "Semaphore { value: 3 }");
    BOUNDED.acquire();
    assert_eq!(
        format!("{BOUNDED:?}"),
        "BoundedSemaphore { value: 1, initial_value: 2 }"
    );
    BOUNDED.release().unwrap();
    let permit = SEM.permit();
    assert_eq!(
        format!("{permit:?}"),
        "SemaphorePermit { semaphore: Semaphore { value: 2 } }"
    );
    assert_eq!(permit.semaphore().value(), 2);
}

#[test]
fn acquire_timeout_on_an_empty_semaphore_waits_at_least_the_timeout() {
    let sem = Semaphore::new(0);
    let began = Instant::now();
    assert!(!sem.acquire_timeout(SHORT));
    assert!(began.elapsed() >= SHORT);
    assert!(!sem.acquire_timeout(Duration::ZERO));
    assert_eq!(sem.value(), 0);
}

#[test]
fn acquire_timeout_succeeds_when_a_permit_comes_in_time() {
    let sem = Semaphore::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            sem.release();
        });
        assert!(sem.acquire_timeout(Duration::from_secs(60)));
    });
    assert_eq!(sem.value(), 0);
}

#[test]
fn a_huge_timeout_means_no_timeout() {
    let sem = Semaphore::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            sem.release();
        });
        assert!(sem.acquire_timeout(Duration::MAX));
    });
}

#[test]
fn a_permit_may_be_released_by_another_thread() {
    // Python's semaphores are not owned: the crawler acquires in the producer and releases
    // in the worker.
    let sem = Semaphore::new(1);
    let permit = sem.permit();
    assert_eq!(sem.value(), 0);
    thread::scope(|s| {
        s.spawn(move || drop(permit));
    });
    assert_eq!(sem.value(), 1);
    sem.acquire();
    thread::scope(|s| {
        s.spawn(|| sem.release());
    });
    assert_eq!(sem.value(), 1);
}

#[test]
fn try_permit_returns_none_when_no_permit_is_free() {
    let sem = Semaphore::new(1);
    let first = sem.try_permit().expect("one permit is free");
    assert!(sem.try_permit().is_none());
    drop(first);
    assert!(sem.try_permit().is_some());
    let bounded = BoundedSemaphore::new(1);
    let held = bounded.try_permit().unwrap();
    assert!(bounded.try_permit().is_none());
    drop(held);
    assert_eq!(bounded.value(), 1);
}

#[test]
fn release_n_wakes_n_waiters() {
    let sem = Semaphore::new(0);
    let through = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..5 {
            s.spawn(|| {
                sem.acquire();
                through.fetch_add(1, Relaxed);
            });
        }
        sem.release_n(3);
        while through.load(Relaxed) < 3 {
            thread::yield_now();
        }
        thread::sleep(SHORT);
        assert_eq!(
            through.load(Relaxed),
            3,
            "release_n(3) let more than three in"
        );
        sem.release_n(2);
    });
    assert_eq!(through.load(Relaxed), 5);
    assert_eq!(sem.value(), 0);
}

#[test]
fn release_of_zero_permits_panics_with_pythons_message() {
    let sem = Semaphore::new(0);
    let err = panic::catch_unwind(AssertUnwindSafe(|| sem.release_n(0))).unwrap_err();
    assert_eq!(panic_message(err), "n must be one or more");
    let bounded = BoundedSemaphore::new(1);
    let err = panic::catch_unwind(AssertUnwindSafe(|| bounded.release_n(0))).unwrap_err();
    assert_eq!(panic_message(err), "n must be one or more");
    assert_eq!(sem.value(), 0);
}

#[test]
fn a_release_that_would_overflow_panics_and_changes_nothing() {
    let sem = Semaphore::new(usize::MAX);
    let err = panic::catch_unwind(AssertUnwindSafe(|| sem.release())).unwrap_err();
    assert!(panic_message(err).contains("overflow"));
    assert_eq!(sem.value(), usize::MAX);
    let bounded = BoundedSemaphore::new(usize::MAX);
    assert_eq!(bounded.release(), Err(TooManyReleases));
}

#[test]
fn bounded_over_release_is_an_error_with_pythons_message() {
    let sem = BoundedSemaphore::new(2);
    let err = sem.release().unwrap_err();
    assert_eq!(err, TooManyReleases);
    assert_eq!(err.to_string(), "Semaphore released too many times");
    assert_eq!(sem.value(), 2);

    sem.acquire();
    sem.acquire();
    sem.release().unwrap();
    sem.release().unwrap();
    assert!(sem.release().is_err());
}

#[test]
fn bounded_release_n_is_all_or_nothing() {
    let sem = BoundedSemaphore::new(3);
    sem.acquire();
    sem.acquire();
    assert_eq!(sem.value(), 1);
    assert_eq!(sem.release_n(3), Err(TooManyReleases));
    assert_eq!(sem.value(), 1, "a refused release_n changes nothing");
    sem.release_n(2).unwrap();
    assert_eq!(sem.value(), 3);
}

#[test]
fn bounded_semaphore_waits_and_times_out_like_a_semaphore() {
    let sem = BoundedSemaphore::new(1);
    sem.acquire();
    assert!(!sem.try_acquire());
    let began = Instant::now();
    assert!(!sem.acquire_timeout(SHORT));
    assert!(began.elapsed() >= SHORT);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            sem.release().unwrap();
        });
        let _permit = sem.permit();
        assert_eq!(sem.value(), 0);
    });
    assert_eq!(sem.value(), 1);
}

#[test]
fn a_bounded_release_wakes_a_blocked_waiter_and_then_refuses_one_too_many() {
    let sem = BoundedSemaphore::new(2);
    sem.acquire();
    sem.acquire();
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            sem.acquire();
            "woken"
        });
        // Give the waiter time to block (not needed for correctness: a release before it
        // blocks is found by its check under the lock).
        thread::sleep(Duration::from_millis(20));
        sem.release().expect("below the bound");
        assert_eq!(waiter.join().unwrap(), "woken");
    });
    assert_eq!(sem.value(), 0, "the waiter took the released permit");
    sem.release_n(2).unwrap();
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.value(), 2);
}

#[test]
fn a_bounded_permit_dropped_after_a_manual_release_panics() {
    let sem = BoundedSemaphore::new(1);
    let permit = sem.permit();
    sem.release().unwrap(); // by hand, behind the permit's back
    let err = panic::catch_unwind(AssertUnwindSafe(|| drop(permit))).unwrap_err();
    assert!(
        panic_message(err).contains("Semaphore released too many times"),
        "the permit's panic names the problem"
    );
    assert_eq!(sem.value(), 1);
}

#[test]
fn many_threads_never_exceed_the_value() {
    // CPython's test: more threads than permits, each holding a permit briefly; the number
    // of holders never exceeds the value, and every thread gets through.
    const PERMITS: usize = 3;
    let sem = Arc::new(Semaphore::new(PERMITS));
    let holders = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (sem, holders, most) = (sem.clone(), holders.clone(), most.clone());
            thread::spawn(move || {
                for _ in 0..2_000 {
                    let _permit = sem.permit();
                    let now = holders.fetch_add(1, Relaxed) + 1;
                    most.fetch_max(now, Relaxed);
                    assert!(now <= PERMITS, "{now} holders");
                    holders.fetch_sub(1, Relaxed);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(most.load(Relaxed) <= PERMITS);
    assert_eq!(sem.value(), PERMITS);
}

#[test]
fn stress_timed_acquirers_lose_no_permit() {
    // Timed acquirers racing releases: whatever times out, no permit is lost or made up.
    let sem = Semaphore::new(0);
    let taken = AtomicUsize::new(0);
    const RELEASES: usize = 5_000;
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for i in 0..RELEASES as u64 {
                    if sem.acquire_timeout(Duration::from_micros(i % 20)) {
                        taken.fetch_add(1, Relaxed);
                    }
                }
            });
        }
        s.spawn(|| {
            for _ in 0..RELEASES {
                sem.release();
            }
        });
    });
    assert_eq!(taken.load(Relaxed) + sem.value(), RELEASES);
}
