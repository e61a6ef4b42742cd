//! Bug: a re-entrant lock whose release frees the lock at every level, forgetting the
//! recursion count.
//!
//! The owner enters twice (say, a method that holds the lock calls another that takes it
//! again). Its inner release should only lower the count; this one frees the inner `Lock`
//! at once, so another thread can get in while the owner is still in its outer critical
//! section. Under loom the two threads' accesses to the protected data are then unordered,
//! and loom reports `Causality violation` (or the model's own assertion that the owner
//! still owns the lock after the inner release, whichever interleaving it meets first).
//!
//! The fix is `RLock::release` in `src/rlock.rs`: only the release that brings the count
//! to zero frees the inner lock.

use crate::common::{self, expect_model_failure, model, LOOM_DATA_RACE};
use core::sync::atomic::Ordering::Relaxed;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use syncsmith::runtime::{AtomicInt, Loom, Runtime};
use syncsmith::Lock;

const NO_OWNER: usize = 0;

/// `RLock` without the count check.
struct ForgetfulRLock<R: Runtime> {
    lock: Lock<R>,
    owner: R::AtomicUsize,
    count: R::AtomicUsize,
}

impl<R: Runtime> ForgetfulRLock<R> {
    fn new() -> Self {
        ForgetfulRLock {
            lock: Lock::with_runtime(),
            owner: <R::AtomicUsize as AtomicInt>::new(NO_OWNER),
            count: <R::AtomicUsize as AtomicInt>::new(0),
        }
    }

    fn acquire(&self) {
        let me = R::thread_id();
        if self.owner.load(Relaxed) == me {
            self.count.store(self.count.load(Relaxed) + 1, Relaxed);
            return;
        }
        self.lock.acquire();
        self.count.store(1, Relaxed);
        self.owner.store(me, Relaxed);
    }

    fn is_owned(&self) -> bool {
        self.owner.load(Relaxed) == R::thread_id()
    }

    // ANCHOR: bug
    fn release(&self) {
        assert!(self.is_owned(), "cannot release un-acquired lock");
        self.count.store(self.count.load(Relaxed) - 1, Relaxed);
        // BUG: frees the lock at every level; should be `if count == 0 { ... }`.
        self.owner.store(NO_OWNER, Relaxed);
        self.lock.release().unwrap();
    }
    // ANCHOR_END: bug
}

/// The lock and the data it protects.
struct Guarded {
    lock: ForgetfulRLock<Loom>,
    data: UnsafeCell<usize>,
}

impl Guarded {
    fn increment(&self) {
        // SAFETY: called while owning the lock; loom reports it if the lock fails to exclude.
        self.data.with_mut(|d| unsafe { *d += 1 });
    }
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_forgotten_count`"]
fn broken_model() {
    model(|| {
        let shared = Arc::new(Guarded {
            lock: ForgetfulRLock::new(),
            data: UnsafeCell::new(0),
        });
        let enter_twice = |shared: &Guarded| {
            shared.lock.acquire();
            shared.lock.acquire();
            shared.increment();
            shared.lock.release();
            // Still inside the outer critical section.
            assert!(shared.lock.is_owned(), "the outer level was lost");
            shared.increment();
            shared.lock.release();
        };
        let other = {
            let shared = shared.clone();
            thread::spawn(move || enter_twice(&shared))
        };
        enter_twice(&shared);
        other.join().unwrap();
    });
}

#[test]
fn loom_finds_the_forgotten_count() {
    let output = expect_model_failure(
        concat!(module_path!(), "::broken_model"),
        &[LOOM_DATA_RACE, "the outer level was lost"],
    );
    print!("{}", common::panic_messages(&output));
}
