//! Bug: a barrier without generations, whose waiters wait for "the count is back to zero".
//!
//! The natural first barrier: count the arrivals; the last one resets the count to zero and
//! notifies everybody; the others wait until the count is zero. It works for one round.
//! With two rounds, the thread released first comes straight back for round two and bumps
//! the count to one before the slower thread of round one has re-checked its predicate.
//! The slow thread wakes, finds the count at one, decides its round is not over, and waits
//! again; the fast thread waits for its partner in round two, who is still stuck in round
//! one. Nobody will ever notify: loom reports `deadlock; threads = [...]`.
//!
//! A predicate that re-checks is not enough when the state it reads has moved on to the
//! next round. The fix is in `src/barrier.rs`: a waiter remembers the generation it joined
//! and waits until the generation changes, which only the completion of its own round
//! does (`a_fast_thread_is_not_released_by_the_previous_round` in
//! `loom-tests/barrier.rs`).

use crate::common::{self, expect_model_failure, LOOM_DEADLOCK};
use core::sync::atomic::Ordering::Relaxed;
use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use syncsmith::runtime::Loom;
use syncsmith::{Condition, Lock};

/// A barrier: a condition and a count of arrivals, nothing else.
struct CountingBarrier {
    cond: Condition<Lock<Loom>>,
    parties: usize,
    count: AtomicUsize,
}

impl CountingBarrier {
    fn new(parties: usize) -> Self {
        CountingBarrier {
            cond: Condition::with_lock(Lock::with_runtime()),
            parties,
            count: AtomicUsize::new(0),
        }
    }

    // ANCHOR: bug
    fn wait(&self) {
        self.cond.acquire();
        let arrived = self.count.load(Relaxed) + 1;
        if arrived == self.parties {
            self.count.store(0, Relaxed);
            self.cond.notify_all().unwrap();
        } else {
            self.count.store(arrived, Relaxed);
            // BUG: "my round is over" is not "the count is zero": by the time this thread
            // re-checks, a fast thread may already have entered the next round.
            self.cond
                .wait_for(|| self.count.load(Relaxed) == 0)
                .unwrap();
        }
        self.cond.release().unwrap();
    }
    // ANCHOR_END: bug
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_missing_generation`"]
fn broken_model() {
    common::model(|| {
        let barrier = Arc::new(CountingBarrier::new(2));
        let other = {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                barrier.wait();
            })
        };
        barrier.wait();
        barrier.wait();
        other.join().unwrap();
    });
}

#[test]
fn loom_finds_the_missing_generation() {
    let output = expect_model_failure(concat!(module_path!(), "::broken_model"), &[LOOM_DEADLOCK]);
    print!("{}", common::panic_messages(&output));
}
