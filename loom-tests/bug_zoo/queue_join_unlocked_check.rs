//! Bug: a `join` that checks the unfinished-task count without holding the lock.
//!
//! `join` reads the count (an atomic, so the read itself is well defined), sees one task
//! unfinished, and only then takes the lock to wait on `all_tasks_done`. In between, the
//! worker's `task_done` brings the count to zero and notifies every waiter: nobody is
//! waiting yet. The joiner then waits for a notify that has already come and gone: every
//! thread is blocked, and loom reports `deadlock`.
//!
//! The check and the wait must be one step with respect to `task_done`: CPython's `join`
//! reads `unfinished_tasks` inside `with self.all_tasks_done:`, and so does `Queue::join`
//! in `src/queue/mod.rs` (the `while` reads the count through the lock's `Held` guard).

use crate::common::{self, expect_model_failure, LOOM_DEADLOCK};
use loom::sync::atomic::AtomicUsize;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use syncsmith::runtime::Loom;
use syncsmith::{Condition, Lock};

/// The task-tracking half of a queue: a counter, a lock, and `all_tasks_done` on it.
struct Tasks {
    lock: Arc<Lock<Loom>>,
    all_tasks_done: Condition<Arc<Lock<Loom>>>,
    unfinished: AtomicUsize,
}

impl Tasks {
    fn new(unfinished: usize) -> Self {
        let lock = Arc::new(Lock::with_runtime());
        Tasks {
            all_tasks_done: Condition::with_lock(lock.clone()),
            lock,
            unfinished: AtomicUsize::new(unfinished),
        }
    }

    fn task_done(&self) {
        self.lock.acquire();
        if self.unfinished.fetch_sub(1, SeqCst) == 1 {
            self.all_tasks_done.notify_all().unwrap();
        }
        self.lock.release().unwrap();
    }

    // ANCHOR: bug
    fn join(&self) {
        // BUG: the count is read before the lock is taken, so a `task_done` can bring it
        // to zero, and notify nobody, between this check and the wait.
        while self.unfinished.load(SeqCst) > 0 {
            self.lock.acquire();
            self.all_tasks_done.wait().unwrap();
            self.lock.release().unwrap();
        }
    }
    // ANCHOR_END: bug
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_unlocked_check`"]
fn broken_model() {
    common::model(|| {
        let tasks = loom::sync::Arc::new(Tasks::new(1));
        let worker = {
            let tasks = tasks.clone();
            thread::spawn(move || tasks.task_done())
        };
        tasks.join();
        worker.join().unwrap();
    });
}

#[test]
fn loom_finds_the_unlocked_check() {
    let output = expect_model_failure(concat!(module_path!(), "::broken_model"), &[LOOM_DEADLOCK]);
    print!("{}", common::panic_messages(&output));
}
