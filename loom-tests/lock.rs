//! Loom models of `Lock`: the shipped `src/lock.rs`, run on the `Loom` runtime.
//!
//! Each model makes one situation happen and checks what must hold in every interleaving
//! loom can build within the preemption bound (`common::model`, overridable with
//! `LOOM_MAX_PREEMPTIONS`). A loom `UnsafeCell` stands for the data a lock protects: loom
//! reports any two accesses to it that the lock's Acquire/Release orderings do not order,
//! so a weakened ordering shows up as a "Causality violation", and a lost wake-up as a
//! "deadlock".
//!
//! Run one model: `cargo test --features loom --test loom_lock -- <name>`.

mod common;

use common::{model, model3, Seen};
use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use syncsmith::runtime::Loom;
use syncsmith::Lock;

/// A lock and the data it protects.
struct Guarded {
    lock: Lock<Loom>,
    counter: UnsafeCell<usize>,
}

impl Guarded {
    fn new() -> Arc<Self> {
        Arc::new(Guarded {
            lock: Lock::with_runtime(),
            counter: UnsafeCell::new(0),
        })
    }

    /// Adds one to the counter. The caller must hold `lock` (or otherwise be ordered
    /// after every other access); loom checks that it is.
    fn increment(&self) {
        // SAFETY: the caller holds the lock, so no other thread touches the counter; if the
        // lock failed to exclude, loom reports the concurrent access instead of UB.
        self.counter.with_mut(|c| unsafe { *c += 1 });
    }

    /// Reads the counter. Same rule as `increment`.
    fn read(&self) -> usize {
        // SAFETY: as in `increment`.
        self.counter.with(|c| unsafe { *c })
    }
}

#[test]
fn two_threads_increment_under_the_lock_without_losing_updates() {
    model(|| {
        let shared = Guarded::new();
        let other = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.lock.acquire();
                shared.increment();
                shared.lock.release().unwrap();
            })
        };
        shared.lock.acquire();
        shared.increment();
        shared.lock.release().unwrap();
        other.join().unwrap();

        assert_eq!(shared.read(), 2);
        assert!(!shared.lock.locked());
    });
}

#[test]
fn three_threads_increment_under_guards_without_losing_updates() {
    model(|| {
        let shared = Guarded::new();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let _held = shared.lock.lock();
                    shared.increment();
                })
            })
            .collect();
        {
            let _held = shared.lock.lock();
            shared.increment();
        }
        for t in threads {
            t.join().unwrap();
        }

        assert_eq!(shared.read(), 3);
        assert!(!shared.lock.locked());
    });
}

/// No lost wake-up: a thread that parks because the lock is held always gets it once the
/// holder releases. If a release forgot to unpark, loom would report a deadlock.
// ANCHOR: parked_acquirer
#[test]
fn a_parked_acquirer_is_woken_by_the_release() {
    model(|| {
        let shared = Guarded::new();
        shared.lock.acquire();
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.lock.acquire();
                // Ordered after the holder's write by the release/acquire pair.
                shared.increment();
                shared.lock.release().unwrap();
            })
        };
        shared.increment();
        shared.lock.release().unwrap();
        waiter.join().unwrap();

        assert_eq!(shared.read(), 2);
        assert!(!shared.lock.locked());
    });
}
// ANCHOR_END: parked_acquirer

/// Python's lock has no owner: a thread that never acquired it may release it, and that
/// release wakes a thread parked on it and publishes the holder's writes to it.
#[test]
fn another_thread_may_release_and_wake_a_parked_acquirer() {
    model(|| {
        let shared = Guarded::new();
        shared.lock.acquire();
        shared.increment();
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.lock.acquire();
                shared.increment();
                shared.lock.release().unwrap();
            })
        };
        let releaser = {
            let shared = shared.clone();
            thread::spawn(move || shared.lock.release())
        };
        assert_eq!(releaser.join().unwrap(), Ok(()));
        waiter.join().unwrap();

        assert_eq!(shared.read(), 2);
        assert!(!shared.lock.locked());
    });
}

/// `try_acquire` racing a release from another thread: it either gets the lock, and then
/// sees everything written before the release, or reports false and changes nothing.
#[test]
fn try_acquire_racing_a_release_either_takes_the_lock_or_changes_nothing() {
    static ACQUIRED: Seen = Seen::new();
    model(|| {
        let shared = Guarded::new();
        shared.lock.acquire();
        let holder = {
            let shared = shared.clone();
            // This thread finishes the critical section the main thread began.
            thread::spawn(move || {
                shared.increment();
                shared.lock.release().unwrap();
            })
        };
        let acquired = shared.lock.try_acquire();
        ACQUIRED.record(acquired);
        if acquired {
            assert!(shared.lock.locked());
            assert_eq!(shared.read(), 1, "the holder's write must be visible");
            shared.lock.release().unwrap();
        }
        holder.join().unwrap();

        assert!(!shared.lock.locked());
        assert_eq!(shared.read(), 1);
    });
    assert!(
        ACQUIRED.both(),
        "loom should explore both acquiring and giving up"
    );
}

/// A timed acquire racing a release: loom's timed park yields once and then times out
/// unless a release picked it first (decided under the parking lot's lock). Both outcomes
/// happen, and they are consistent: `true` means the caller holds the lock and sees the
/// holder's writes; `false` means it does not hold it.
// ANCHOR: timed_acquire
#[test]
fn timed_acquire_racing_a_release_is_consistent_either_way() {
    static ACQUIRED: Seen = Seen::new();
    model(|| {
        let shared = Guarded::new();
        shared.lock.acquire();
        let holder = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.increment();
                shared.lock.release().unwrap();
            })
        };
        let acquired = shared.lock.acquire_timeout(Duration::from_secs(1));
        ACQUIRED.record(acquired);
        if acquired {
            assert!(shared.lock.locked());
            assert_eq!(shared.read(), 1, "the holder's write must be visible");
            shared.lock.release().unwrap();
        }
        holder.join().unwrap();

        // Whoever timed out left no trace: the lock is free and takes the fast path.
        assert!(!shared.lock.locked());
        assert!(shared.lock.try_acquire());
        assert_eq!(shared.read(), 1);
        shared.lock.release().unwrap();
    });
    assert!(
        ACQUIRED.both(),
        "loom should explore both acquiring and giving up"
    );
}
// ANCHOR_END: timed_acquire

/// A timed-out waiter clears `PARKED_BIT` only if it was the last one parked. If it cleared
/// it while a blocking acquirer was still parked, the release would take the fast path,
/// never look in the parking lot, and the blocking acquirer would sleep forever (deadlock).
#[test]
fn a_timed_out_waiter_does_not_strand_a_blocking_one() {
    model(|| {
        let shared = Guarded::new();
        shared.lock.acquire();
        let blocking = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.lock.acquire();
                shared.increment();
                shared.lock.release().unwrap();
            })
        };
        let timed = {
            let shared = shared.clone();
            thread::spawn(move || {
                let acquired = shared.lock.acquire_timeout(Duration::from_millis(10));
                if acquired {
                    shared.increment();
                    shared.lock.release().unwrap();
                }
                acquired
            })
        };
        shared.lock.release().unwrap();
        let timed_acquired = timed.join().unwrap();
        blocking.join().unwrap();

        assert_eq!(shared.read(), 1 + usize::from(timed_acquired));
        assert!(!shared.lock.locked());
    });
}

/// Two threads release one acquisition at the same time: exactly one succeeds, the other
/// gets "release unlocked lock", and the lock ends unlocked.
#[test]
fn two_releases_of_one_acquisition_exactly_one_succeeds() {
    model(|| {
        let lock = Arc::new(Lock::<Loom>::with_runtime());
        lock.acquire();
        let releasers: Vec<_> = (0..2)
            .map(|_| {
                let lock = lock.clone();
                thread::spawn(move || lock.release().is_ok())
            })
            .collect();
        let successes = releasers
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|&ok| ok)
            .count();

        assert_eq!(successes, 1);
        assert!(!lock.locked());
    });
}

/// Racing releases while a thread is parked go through the slow path, where a releaser may
/// find, under the parking lot's lock, that the other one already released. Whatever the
/// order, the state must agree with the count: the waiter always gets the lock, and the
/// lock ends locked exactly when only one of the two releases succeeded.
#[test]
fn racing_releases_with_a_parked_waiter_keep_the_state_consistent() {
    model(|| {
        let lock = Arc::new(Lock::<Loom>::with_runtime());
        let acquisitions = Arc::new(AtomicUsize::new(1));
        lock.acquire();
        let waiter = {
            let (lock, acquisitions) = (lock.clone(), acquisitions.clone());
            thread::spawn(move || {
                lock.acquire();
                acquisitions.fetch_add(1, Relaxed);
            })
        };
        let releaser = {
            let lock = lock.clone();
            thread::spawn(move || lock.release().is_ok())
        };
        let mine = lock.release().is_ok();
        let theirs = releaser.join().unwrap();
        waiter.join().unwrap();

        let successes = usize::from(mine) + usize::from(theirs);
        assert!(successes >= 1, "the first release of a held lock succeeds");
        assert_eq!(acquisitions.load(Relaxed), 2, "the waiter got the lock");
        assert_eq!(lock.locked(), successes == 1);
    });
}

/// The release slow path with a third thread arriving on the fast path.
///
/// Main holds the lock; T1 and T2 park. Under `Fairness::Always` main's release hands the
/// lock to one of them; under `Fairness::Never` it frees the lock and wakes one to compete.
/// The interesting case: a woken thread later releases on the slow path (the other is
/// still parked) without a hand-off, and main takes the lock on the fast path before the
/// woken one runs. Main never touched the parking lot after that release, so only the
/// slow path's `Release` orders the releaser's write before main's read: a missing one is
/// a "Causality violation" here. (With two threads every acquirer after a slow release is
/// a thread it woke, ordered by the unpark itself, so the bug stays hidden.)
// ANCHOR: hand_off
#[test]
fn third_thread_sees_data_written_under_a_handed_off_lock() {
    static MAIN_SAW_BOTH_WRITES: Seen = Seen::new();
    model3(|| {
        let shared = Guarded::new();
        shared.lock.acquire();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    shared.lock.acquire();
                    shared.increment();
                    shared.lock.release().unwrap();
                })
            })
            .collect();
        shared.increment();
        shared.lock.release().unwrap();
        shared.lock.acquire();
        let seen = shared.read();
        assert!((1..=3).contains(&seen));
        MAIN_SAW_BOTH_WRITES.record(seen == 3);
        shared.lock.release().unwrap();
        for t in threads {
            t.join().unwrap();
        }

        assert_eq!(shared.read(), 3);
        assert!(!shared.lock.locked());
    });
    assert!(
        MAIN_SAW_BOTH_WRITES.both(),
        "loom should explore main re-taking the lock after both others and before them"
    );
}
// ANCHOR_END: hand_off
