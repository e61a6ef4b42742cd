//! Bug: a semaphore with a lock-free fast path whose slow path waits with `if` instead of
//! `while` (it trusts a wake-up instead of re-checking the predicate).
//!
//! This is `src/semaphore.rs` with one word changed. Its `acquire` first tries to take a
//! permit with a compare-exchange, without the lock; only if none is free does it take the
//! lock, check, and wait. A release adds a permit under the lock and notifies one waiter.
//! But a notify does not hand the permit to the waiter: it only lets it run again. Before
//! it does, a fast-path acquirer (here the releasing thread itself, coming back for more)
//! can take the permit. The woken waiter, trusting its `if`, then takes a permit that is
//! not there, and the counter would go below zero: the model's assertion `took a permit
//! that was not there` fires.
//!
//! The fast path makes this barging common, and it is why `Semaphore::acquire_slow`
//! re-checks in a loop (`Condition::wait_for_within`): a woken waiter that finds the permit
//! gone waits again, and the next release wakes it again (the model
//! `a_stolen_wake_up_is_not_a_lost_one` in `loom-tests/semaphore.rs`).

use crate::common::{self, expect_model_failure};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use syncsmith::runtime::Loom;
use syncsmith::{Condition, Lock};

/// A counter and a condition, as `Semaphore`.
struct IfSemaphore {
    cond: Condition<Lock<Loom>>,
    value: AtomicUsize,
}

impl IfSemaphore {
    fn new(value: usize) -> Self {
        IfSemaphore {
            cond: Condition::with_lock(Lock::with_runtime()),
            value: AtomicUsize::new(value),
        }
    }

    /// The fast path, as in `src/semaphore.rs`.
    fn try_acquire(&self) -> bool {
        let mut value = self.value.load(Relaxed);
        while value > 0 {
            match self
                .value
                .compare_exchange(value, value - 1, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => value = now,
            }
        }
        false
    }

    // ANCHOR: bug
    fn acquire(&self) {
        if self.try_acquire() {
            return;
        }
        self.cond.acquire();
        // BUG: `if`, not `while`: a fast-path acquirer may take the permit between the
        // notify and the moment this thread runs again.
        if self.value.load(Relaxed) == 0 {
            self.cond.wait().unwrap();
        }
        let value = self.value.fetch_sub(1, Acquire);
        assert!(value > 0, "took a permit that was not there");
        self.cond.release().unwrap();
    }
    // ANCHOR_END: bug

    fn release(&self) {
        self.cond.acquire();
        self.value.fetch_add(1, Release);
        self.cond.notify_one().unwrap();
        self.cond.release().unwrap();
    }
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_stolen_wake_up`"]
fn broken_model() {
    common::model(|| {
        let sem = Arc::new(IfSemaphore::new(0));
        let waiter = {
            let sem = sem.clone();
            thread::spawn(move || sem.acquire())
        };
        sem.release();
        // The releaser comes back for a permit at once (the fast path); if it got one, it
        // gives it back, so the waiter always has one to take eventually.
        if sem.try_acquire() {
            sem.release();
        }
        waiter.join().unwrap();
    });
}

#[test]
fn loom_finds_the_stolen_wake_up() {
    let output = expect_model_failure(
        concat!(module_path!(), "::broken_model"),
        &["took a permit that was not there"],
    );
    print!("{}", common::panic_messages(&output));
}
