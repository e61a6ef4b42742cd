//! `Semaphore` beside a semaphore built the textbook way from `std::sync::{Mutex, Condvar}`,
//! behind one interface.
//!
//! Shared by the measurement program (`benches/results/`); each bench crate uses only some
//! of these items, hence the `allow`.
#![allow(dead_code)]

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// The semaphores compared.
pub trait BenchSemaphore: Send + Sync + 'static {
    const NAME: &'static str;
    fn new(permits: usize) -> Self;
    fn acquire(&self);
    fn release(&self);
}

impl BenchSemaphore for syncsmith::Semaphore {
    const NAME: &'static str = "syncsmith::Semaphore";
    fn new(permits: usize) -> Self {
        syncsmith::Semaphore::new(permits)
    }
    #[inline]
    fn acquire(&self) {
        syncsmith::Semaphore::acquire(self)
    }
    #[inline]
    fn release(&self) {
        syncsmith::Semaphore::release(self)
    }
}

/// The semaphore most Rust code would write: a counter under a `Mutex`, a `Condvar` to
/// wait on.
pub struct TextbookSemaphore {
    permits: std::sync::Mutex<usize>,
    available: std::sync::Condvar,
}

impl BenchSemaphore for TextbookSemaphore {
    const NAME: &'static str = "std Mutex+Condvar";
    fn new(permits: usize) -> Self {
        TextbookSemaphore {
            permits: std::sync::Mutex::new(permits),
            available: std::sync::Condvar::new(),
        }
    }
    #[inline]
    fn acquire(&self) {
        let mut permits = self
            .available
            .wait_while(self.permits.lock().unwrap(), |p| *p == 0)
            .unwrap();
        *permits -= 1;
    }
    #[inline]
    fn release(&self) {
        *self.permits.lock().unwrap() += 1;
        self.available.notify_one();
    }
}

/// `threads` threads sharing `threads / 2` permits, `rounds` acquire/release each around a
/// one-counter critical section; returns the wall time (see [`super::contended_run`]).
pub fn contended_run<S: BenchSemaphore>(threads: usize, rounds: u64) -> Duration {
    super::contended_run(S::new(threads / 2), threads, rounds, |sem: &S, counter| {
        sem.acquire();
        counter.fetch_add(1, Relaxed);
        sem.release();
    })
}
