//! Bug: a `Condition` over an `RLock` that, after `wait`, re-acquires the lock once instead
//! of restoring the recursion depth it released.
//!
//! `wait` must release an `RLock` completely (the notifier could never get in otherwise)
//! and give it back at the same depth: CPython's `_release_save` / `_acquire_restore`, our
//! `ConditionLock::release_save` / `acquire_restore`. This entry is a lock handle that a
//! user might write to put a condition on their own re-entrant lock: it implements the
//! public `ConditionLock` trait and gets `release_save` right (it releases every level and
//! counts them) but its `acquire_restore` takes the lock once.
//!
//! The waiter held the lock twice: an outer function, and a helper it called that waits.
//! After the wait the helper releases its level, which now frees the lock, although the
//! outer function still believes it holds it and goes on writing the data the lock
//! protects. The notifier, meanwhile, takes the lock and writes the same data. Loom
//! reports the two unordered writes: `Causality violation`. (The outer function's own
//! release would fail too, with `cannot release un-acquired lock`, but only after the
//! damage is done.)
//!
//! The fix is `RLock::acquire_restore` in `src/rlock.rs` (and the `Condition` that calls it
//! with the depth `release_save` returned): restore exactly what was released.

use crate::common::{self, expect_model_failure, LOOM_DATA_RACE};
use core::sync::atomic::Ordering::Relaxed;
use core::time::Duration;
use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use syncsmith::runtime::Loom;
use syncsmith::{Condition, ConditionLock, RLock, ReleaseError};

/// A user's handle to an `RLock`, for a `Condition`.
struct ForgetfulRLock(RLock<Loom>);

// ANCHOR: bug
impl ConditionLock for ForgetfulRLock {
    type Runtime = Loom;
    type Saved = usize;
    type GuardMarker = ();

    fn acquire(&self) {
        self.0.acquire()
    }
    fn try_acquire(&self) -> bool {
        self.0.try_acquire()
    }
    fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.0.acquire_timeout(timeout)
    }
    fn release(&self) -> Result<(), ReleaseError> {
        self.0.release()
    }
    fn is_owned(&self) -> bool {
        self.0.is_owned()
    }
    fn release_save(&self) -> Result<usize, ReleaseError> {
        // Release every level, counting them: right.
        let mut depth = 0;
        while self.0.is_owned() {
            self.0.release()?;
            depth += 1;
        }
        Ok(depth)
    }
    fn acquire_restore(&self, _depth: usize) {
        // BUG: one level back, whatever the depth was.
        self.0.acquire();
    }
}
// ANCHOR_END: bug

/// The condition, the flag it waits for, and the data its lock protects.
struct Shared {
    cond: Condition<ForgetfulRLock>,
    ready: AtomicBool,
    data: UnsafeCell<u32>,
}

impl Shared {
    /// Writes the protected data; the caller must hold the lock (loom checks).
    fn write(&self) {
        // SAFETY: the caller holds the lock; if it does not, loom reports the race.
        self.data.with_mut(|d| unsafe { *d += 1 });
    }

    /// The helper: takes the lock again (it is re-entrant), waits for `ready`, releases.
    fn wait_until_ready(&self) {
        self.cond.acquire();
        self.cond.wait_for(|| self.ready.load(Relaxed)).unwrap();
        self.cond.release().unwrap();
    }
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_lost_recursion_depth`"]
fn broken_model() {
    common::model(|| {
        let shared = Arc::new(Shared {
            cond: Condition::with_lock(ForgetfulRLock(RLock::with_runtime())),
            ready: AtomicBool::new(false),
            data: UnsafeCell::new(0),
        });
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.cond.acquire();
                shared.wait_until_ready();
                // Still inside our own critical section (we think).
                shared.write();
                // This release would report `cannot release un-acquired lock`, but only
                // after the damage is done; the model ignores it so that loom goes on to
                // show the damage itself.
                let _ = shared.cond.release();
            })
        };
        shared.cond.acquire();
        shared.ready.store(true, Relaxed);
        shared.cond.notify_one().unwrap();
        shared.cond.release().unwrap();
        shared.cond.acquire();
        shared.write();
        shared.cond.release().unwrap();
        waiter.join().unwrap();
    });
}

#[test]
fn loom_finds_the_lost_recursion_depth() {
    let output = expect_model_failure(concat!(module_path!(), "::broken_model"), &[LOOM_DATA_RACE]);
    print!("{}", common::panic_messages(&output));
}
