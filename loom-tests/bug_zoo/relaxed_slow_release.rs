//! Bug: a lock whose *slow* release publishes the free state with `Relaxed` ordering.
//!
//! The tempting argument: "the slow path runs under the parking lot's lock, and the woken
//! thread takes that lock too, so the parking lot already orders us." True for the thread
//! that is woken. False for a *third* thread that never goes near the parking lot: it sees
//! the lock free, takes it on the fast path with `Acquire`, but there is no `Release` to
//! pair with, so nothing the releaser wrote under the lock is guaranteed to be visible.
//!
//! Loom shows exactly this. With two threads the model passes (the woken thread is ordered
//! by the parking lot's mutex: `two_threads_do_not_see_it` below passes with the bug in).
//! With a third thread acquiring on the fast path, loom reports `Causality violation:
//! Concurrent write accesses to `UnsafeCell``: the third thread's increment is not ordered
//! after the releaser's.
//!
//! The fix is the `Release` on the compare-exchange in `Lock::release_slow`.

use crate::broken_lock::{self, LOCKED_BIT, PARKED_BIT};
use crate::common::{self, expect_model_failure, model, LOOM_DATA_RACE};
use core::marker::PhantomData;
use core::sync::atomic::Ordering::{Relaxed, Release};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use syncsmith::runtime::{AtomicInt, Loom, Runtime, UnparkToken};

/// A lock like `Lock` (without hand-offs), whose slow release forgets `Release`.
struct RelaxedSlowReleaseLock<R: Runtime> {
    state: R::AtomicU8,
    _runtime: PhantomData<R>,
}

impl<R: Runtime> RelaxedSlowReleaseLock<R> {
    fn new() -> Self {
        RelaxedSlowReleaseLock {
            state: <R::AtomicU8 as AtomicInt>::new(0),
            _runtime: PhantomData,
        }
    }

    fn key(&self) -> usize {
        broken_lock::key::<R>(&self.state)
    }

    /// Correct: `Lock`'s acquire (see `broken_lock`). It parks when the lock is held.
    fn acquire(&self) {
        broken_lock::acquire::<R>(&self.state);
    }

    fn release(&self) {
        // The fast path is right: Release pairs with the next acquirer's Acquire.
        if self
            .state
            .compare_exchange(LOCKED_BIT, 0, Release, Relaxed)
            .is_ok()
        {
            return;
        }
        // ANCHOR: bug
        // SAFETY: the callback only stores to our atomic state; it neither panics nor calls
        // into the parking lot.
        unsafe {
            R::unpark_one(self.key(), |unparked| {
                let free = if unparked.have_more_threads {
                    PARKED_BIT
                } else {
                    0
                };
                // BUG: Relaxed. The parking lot's lock orders the thread we wake, but not a
                // thread that takes the lock on the fast path without parking.
                self.state.store(free, Relaxed);
                UnparkToken(0)
            })
        };
        // ANCHOR_END: bug
    }
}

/// The lock and the data it protects.
struct Guarded {
    lock: RelaxedSlowReleaseLock<Loom>,
    data: UnsafeCell<usize>,
}

impl Guarded {
    fn new() -> Arc<Self> {
        Arc::new(Guarded {
            lock: RelaxedSlowReleaseLock::new(),
            data: UnsafeCell::new(0),
        })
    }

    fn increment(&self) {
        // SAFETY: called with the lock held; loom reports it if the lock fails to order us.
        self.data.with_mut(|d| unsafe { *d += 1 });
    }
}

/// Main holds the lock while `threads` others try to take it, then writes and releases.
fn run(threads: usize) {
    let shared = Guarded::new();
    shared.lock.acquire();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.lock.acquire();
                shared.increment();
                shared.lock.release();
            })
        })
        .collect();
    shared.increment();
    shared.lock.release();
    for h in handles {
        h.join().unwrap();
    }
}

/// One waiter parks, another arrives on the fast path just after the slow release.
#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_missing_release`"]
fn broken_model() {
    model(|| run(2));
}

#[test]
fn loom_finds_the_missing_release() {
    let output = expect_model_failure(concat!(module_path!(), "::broken_model"), &[LOOM_DATA_RACE]);
    print!("{}", common::panic_messages(&output));
}

/// The blind spot: with only one other thread, every thread that reads the lock's freed
/// state has been through the parking lot's mutex, which orders it after the releaser.
/// This model passes *with the bug in*; it is why the models of `Lock` use a third thread.
#[test]
fn two_threads_do_not_see_it() {
    model(|| run(1));
}
