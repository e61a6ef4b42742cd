//! Bug: a queue whose `get` checks "is it empty?" with `if` instead of `while`.
//!
//! A getter finds the queue empty and waits on `not_empty`. A `put` stores an item and
//! notifies it. But the notify does not hand the item to the waiter: it only lets the
//! waiter compete for the lock again, and another thread may take the lock first and the
//! item with it (barging, which syncsmith's `Lock`, like CPython's,
//! allows). The woken getter, trusting its `if`, goes on to take an item from an empty
//! queue. Here that is a `pop_front` that returns `None`, and the model's own assertion
//! fails: `get found the queue empty after a notify`.
//!
//! No spurious wake-ups (syncsmith's `Condition` has none) do not make `if` safe: the
//! condition was true when the notify came, and false again by the time the waiter ran.
//! The fix is `Queue::get_within` in `src/queue/mod.rs`: re-check in a loop.

use crate::common::{self, expect_model_failure};
use loom::cell::UnsafeCell;
use loom::thread;
use std::collections::VecDeque;
use std::sync::Arc;
use syncsmith::runtime::Loom;
use syncsmith::{Condition, Lock};

/// A minimal unbounded queue: one lock, one condition on it, the items in a loom cell.
struct IfQueue {
    lock: Arc<Lock<Loom>>,
    not_empty: Condition<Arc<Lock<Loom>>>,
    items: UnsafeCell<VecDeque<u32>>,
}

// SAFETY: `items` is only touched while `lock` is held.
unsafe impl Sync for IfQueue {}

impl IfQueue {
    fn new() -> Self {
        let lock = Arc::new(Lock::with_runtime());
        IfQueue {
            not_empty: Condition::with_lock(lock.clone()),
            lock,
            items: UnsafeCell::new(VecDeque::new()),
        }
    }

    fn put(&self, item: u32) {
        self.lock.acquire();
        // SAFETY: the lock is held.
        self.items
            .with_mut(|items| unsafe { (*items).push_back(item) });
        self.not_empty.notify_one().unwrap();
        self.lock.release().unwrap();
    }

    /// Takes an item if there is one, without waiting.
    fn try_get(&self) -> Option<u32> {
        self.lock.acquire();
        // SAFETY: the lock is held.
        let item = self.items.with_mut(|items| unsafe { (*items).pop_front() });
        self.lock.release().unwrap();
        item
    }

    // ANCHOR: bug
    fn get(&self) -> u32 {
        self.lock.acquire();
        // SAFETY (both accesses): the lock is held; `wait` holds it again on return.
        // BUG: `if`, not `while`. A thread that took the lock between the notify and our
        // wake-up may have taken the item already.
        if self.items.with(|items| unsafe { (*items).is_empty() }) {
            self.not_empty.wait().unwrap();
        }
        let item = self.items.with_mut(|items| unsafe { (*items).pop_front() });
        self.lock.release().unwrap();
        item.expect("get found the queue empty after a notify")
    }
    // ANCHOR_END: bug
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_unchecked_predicate`"]
fn broken_model() {
    common::model(|| {
        let q = loom::sync::Arc::new(IfQueue::new());
        let getter = {
            let q = q.clone();
            thread::spawn(move || q.get())
        };
        q.put(1);
        // The main thread barges: right after its own `put`, it may take the item back
        // before the woken getter runs. Then it puts another, so the getter always has one.
        if q.try_get().is_some() {
            q.put(2);
        }
        getter.join().unwrap();
    });
}

#[test]
fn loom_finds_the_unchecked_predicate() {
    let output = expect_model_failure(
        concat!(module_path!(), "::broken_model"),
        &["get found the queue empty after a notify"],
    );
    print!("{}", common::panic_messages(&output));
}
