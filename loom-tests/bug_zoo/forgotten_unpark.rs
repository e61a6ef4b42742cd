//! Bug: a lock whose release clears the state but forgets to unpark a parked waiter.
//!
//! This is the classic lost wake-up. The waiter set `PARKED_BIT` and went to sleep, trusting
//! that the next release would look in the parking lot. This release simply stores 0: the
//! lock is free, but nobody tells the sleeper, who sleeps forever. On real threads the
//! program hangs, some of the time. Under loom, the interleaving where the waiter parks
//! before the release leaves every thread blocked, and loom reports
//! `deadlock; threads = [...]`.
//!
//! The fix is `Lock::release_slow` in `src/lock.rs`: when `PARKED_BIT` is set, wake the
//! oldest parked thread.

use crate::broken_lock;
use crate::common::{self, expect_model_failure, model, LOOM_DEADLOCK};
use core::marker::PhantomData;
use core::sync::atomic::Ordering::Release;
use loom::sync::Arc;
use loom::thread;
use syncsmith::runtime::{AtomicInt, Loom, Runtime};

/// `Lock` with the unpark forgotten.
struct ForgetfulLock<R: Runtime> {
    state: R::AtomicU8,
    _runtime: PhantomData<R>,
}

impl<R: Runtime> ForgetfulLock<R> {
    fn new() -> Self {
        ForgetfulLock {
            state: <R::AtomicU8 as AtomicInt>::new(0),
            _runtime: PhantomData,
        }
    }

    /// Correct: `Lock`'s acquire (see `broken_lock`). It parks when the lock is held.
    fn acquire(&self) {
        broken_lock::acquire::<R>(&self.state);
    }

    // ANCHOR: bug
    fn release(&self) {
        // BUG: clears LOCKED_BIT and PARKED_BIT, but never calls `R::unpark_one`, so a
        // thread parked on the lock is never woken.
        self.state.store(0, Release);
    }
    // ANCHOR_END: bug
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_lost_wake_up`"]
fn broken_model() {
    model(|| {
        let lock = Arc::new(ForgetfulLock::<Loom>::new());
        lock.acquire();
        let waiter = {
            let lock = lock.clone();
            thread::spawn(move || {
                lock.acquire();
                lock.release();
            })
        };
        lock.release();
        waiter.join().unwrap();
    });
}

#[test]
fn loom_finds_the_lost_wake_up() {
    let output = expect_model_failure(concat!(module_path!(), "::broken_model"), &[LOOM_DEADLOCK]);
    print!("{}", common::panic_messages(&output));
}
