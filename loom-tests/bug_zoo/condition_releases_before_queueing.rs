//! Bug: a condition whose `wait` releases the outer lock *before* it queues its waiter.
//!
//! CPython's `wait` does three things in this order: append a fresh, already-held waiter
//! lock to the FIFO; release the outer lock; block acquiring the waiter lock. The order is
//! the whole trick. While the waiter is queued before the outer lock is let go, a notifier
//! (which must hold the outer lock) cannot run between "I checked the predicate" and "I am
//! findable": it either ran before the check (and the waiter sees its change) or finds
//! the waiter in the FIFO.
//!
//! Swap the first two steps and there is a window: the waiter has checked the predicate
//! and released the lock, but is not queued yet. A notifier that runs then changes the
//! state, finds an empty FIFO and wakes nobody; the waiter queues itself afterwards and
//! sleeps forever. Loom finds the window and reports `deadlock; threads = [...]`.
//!
//! This condition is written from public pieces (`syncsmith::Lock` for the outer and
//! waiter locks, a loom `Mutex` for the FIFO). The fix is the order in
//! `WaiterQueue::wait` in `src/condition.rs`.

use crate::common::{self, expect_model_failure, LOOM_DEADLOCK};
use core::sync::atomic::Ordering::Relaxed;
use loom::sync::atomic::AtomicBool;
use loom::sync::{Arc, Mutex};
use loom::thread;
use std::collections::VecDeque;
use syncsmith::runtime::Loom;
use syncsmith::Lock;

/// A condition over a plain `Lock`, with per-waiter locks in a FIFO.
struct EagerCondition {
    lock: Lock<Loom>,
    waiters: Mutex<VecDeque<Arc<Lock<Loom>>>>,
}

impl EagerCondition {
    fn new() -> Self {
        EagerCondition {
            lock: Lock::with_runtime(),
            waiters: Mutex::new(VecDeque::new()),
        }
    }

    // ANCHOR: bug
    fn wait(&self) {
        let waiter = Arc::new(Lock::with_runtime());
        waiter.acquire();
        // BUG: the outer lock goes first. Until the push below, a notifier can run and
        // find nobody to wake.
        self.lock.release().unwrap();
        self.waiters.lock().unwrap().push_back(waiter.clone());
        waiter.acquire();
        self.lock.acquire();
    }
    // ANCHOR_END: bug

    /// Wakes the oldest waiter. The caller holds `lock`.
    fn notify_one(&self) {
        let oldest = self.waiters.lock().unwrap().pop_front();
        if let Some(waiter) = oldest {
            waiter.release().unwrap();
        }
    }
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_window_before_queueing`"]
fn broken_model() {
    common::model(|| {
        let shared = Arc::new((EagerCondition::new(), AtomicBool::new(false)));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (cond, ready) = &*shared;
                cond.lock.acquire();
                while !ready.load(Relaxed) {
                    cond.wait();
                }
                cond.lock.release().unwrap();
            })
        };
        let (cond, ready) = &*shared;
        cond.lock.acquire();
        ready.store(true, Relaxed);
        cond.notify_one();
        cond.lock.release().unwrap();
        waiter.join().unwrap();
    });
}

#[test]
fn loom_finds_the_window_before_queueing() {
    let output = expect_model_failure(concat!(module_path!(), "::broken_model"), &[LOOM_DEADLOCK]);
    print!("{}", common::panic_messages(&output));
}
