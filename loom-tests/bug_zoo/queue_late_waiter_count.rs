//! Bug: the "skip the notify when nobody waits" fast path, with the waiter counted in too
//! late.
//!
//! syncsmith's waiter FIFO counts the threads queued on it so that a notify with nobody
//! waiting returns at once (the `queued` count of `WaiterQueue` in `src/condition.rs`,
//! which the queues rely on). That is sound only because a waiter is counted in *while it
//! still holds the lock*, before `wait` releases it: a notifier, which takes the same lock,
//! then either sees the count or runs before the waiter decided to wait.
//!
//! Here the getter counts itself in after the wait has begun, from outside the lock (the
//! natural-looking "I am now waiting" bookkeeping done one step too late). A `put` that
//! runs in the gap, after the getter released the lock and before it counted itself in,
//! reads zero, skips the notify, and the getter sleeps forever next to a queue that holds an
//! item: loom reports `deadlock`.

use crate::common::{self, expect_model_failure, LOOM_DEADLOCK};
use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::thread;
use std::collections::VecDeque;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use syncsmith::runtime::Loom;
use syncsmith::{Condition, Lock};

/// A minimal unbounded queue with the notify fast path.
struct LateCountQueue {
    lock: Arc<Lock<Loom>>,
    not_empty: Condition<Arc<Lock<Loom>>>,
    items: UnsafeCell<VecDeque<u32>>,
    waiting_getters: AtomicUsize,
}

// SAFETY: `items` is only touched while `lock` is held.
unsafe impl Sync for LateCountQueue {}

impl LateCountQueue {
    fn new() -> Self {
        let lock = Arc::new(Lock::with_runtime());
        LateCountQueue {
            not_empty: Condition::with_lock(lock.clone()),
            lock,
            items: UnsafeCell::new(VecDeque::new()),
            waiting_getters: AtomicUsize::new(0),
        }
    }

    fn put(&self, item: u32) {
        self.lock.acquire();
        // SAFETY: the lock is held.
        self.items
            .with_mut(|items| unsafe { (*items).push_back(item) });
        // The fast path: nobody waiting, no notify.
        if self.waiting_getters.load(SeqCst) > 0 {
            self.not_empty.notify_one().unwrap();
        }
        self.lock.release().unwrap();
    }

    // ANCHOR: bug
    fn get(&self) -> u32 {
        self.lock.acquire();
        loop {
            // SAFETY: the lock is held (and held again whenever `wait_counted` returns).
            if let Some(item) = self.items.with_mut(|items| unsafe { (*items).pop_front() }) {
                self.lock.release().unwrap();
                return item;
            }
            self.wait_counted();
        }
    }

    fn wait_counted(&self) {
        // BUG: the lock is released first and the count raised afterwards; a `put` in the
        // gap sees no waiter and skips its notify. Counting in before the lock is
        // released closes the gap.
        self.lock.release().unwrap();
        self.waiting_getters.fetch_add(1, SeqCst);
        self.lock.acquire();
        self.not_empty.wait().unwrap();
        self.waiting_getters.fetch_sub(1, SeqCst);
    }
    // ANCHOR_END: bug
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_skipped_notify`"]
fn broken_model() {
    common::model(|| {
        let q = loom::sync::Arc::new(LateCountQueue::new());
        let getter = {
            let q = q.clone();
            thread::spawn(move || q.get())
        };
        q.put(7);
        assert_eq!(getter.join().unwrap(), 7);
    });
}

#[test]
fn loom_finds_the_skipped_notify() {
    let output = expect_model_failure(concat!(module_path!(), "::broken_model"), &[LOOM_DEADLOCK]);
    print!("{}", common::panic_messages(&output));
}
