//! The mutual-exclusion locks that benchmarks compare, behind one interface:
//! `syncsmith::Lock`, `parking_lot::Mutex<()>` and `std::sync::Mutex<()>`.
//!
//! Shared by the measurement program (`benches/results/`); each bench crate uses only some
//! of these items, hence the `allow`.
#![allow(dead_code)]

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// A lock with no data: take it, run a closure, release it.
pub trait BenchLock: Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    /// Takes the lock, runs `f`, releases.
    fn with<R>(&self, f: impl FnOnce() -> R) -> R;
}

impl BenchLock for syncsmith::Lock {
    const NAME: &'static str = "syncsmith::Lock";
    fn new() -> Self {
        syncsmith::Lock::new()
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _held = self.lock();
        f()
    }
}

impl BenchLock for std::sync::Mutex<()> {
    const NAME: &'static str = "std::sync::Mutex";
    fn new() -> Self {
        std::sync::Mutex::new(())
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _held = self.lock().unwrap();
        f()
    }
}

impl BenchLock for parking_lot::Mutex<()> {
    const NAME: &'static str = "parking_lot::Mutex";
    fn new() -> Self {
        parking_lot::Mutex::new(())
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _held = self.lock();
        f()
    }
}

/// `threads` threads, `rounds` lock/unlock rounds each around a one-counter critical
/// section; returns the wall time (see [`super::contended_run`]).
pub fn contended_run<L: BenchLock>(threads: usize, rounds: u64) -> Duration {
    super::contended_run(L::new(), threads, rounds, |lock: &L, counter| {
        lock.with(|| {
            // Not a fetch_add: the lock is what makes this exact.
            counter.store(counter.load(Relaxed) + 1, Relaxed);
        });
    })
}
