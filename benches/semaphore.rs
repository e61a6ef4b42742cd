//! `Semaphore` beside a semaphore built the textbook way from `std::sync::{Mutex, Condvar}`.
//!
//! - `semaphore/uncontended`: one thread, acquire + release (a permit is always free).
//! - `semaphore/contended/<n>`: n threads share n/2 permits; each takes a permit, does a
//!   tiny critical section (touching a shared counter), and gives it back. One iteration =
//!   one acquire/release per thread; the time runs from a start barrier until the last
//!   thread finishes.
//!
//! Run briefly: `cargo bench --bench semaphore -- --warm-up-time 1 --measurement-time 2`.

mod common;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// The semaphores compared, behind one interface.
trait BenchSemaphore: Send + Sync + 'static {
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
struct StdSemaphore {
    permits: std::sync::Mutex<usize>,
    available: std::sync::Condvar,
}

impl BenchSemaphore for StdSemaphore {
    const NAME: &'static str = "std Mutex+Condvar";
    fn new(permits: usize) -> Self {
        StdSemaphore {
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

fn uncontended<S: BenchSemaphore>(c: &mut Criterion) {
    let sem = S::new(1);
    c.benchmark_group("semaphore/uncontended")
        .bench_function(S::NAME, |b| {
            b.iter(|| {
                let sem = black_box(&sem);
                sem.acquire();
                sem.release();
            })
        });
}

/// `threads` threads sharing `threads / 2` permits, `rounds` acquire/release each.
fn contended_run<S: BenchSemaphore>(threads: usize, rounds: u64) -> Duration {
    common::contended_run(S::new(threads / 2), threads, rounds, |sem: &S, counter| {
        sem.acquire();
        counter.fetch_add(1, Relaxed);
        sem.release();
    })
}

fn contended<S: BenchSemaphore>(c: &mut Criterion) {
    common::bench_contended(c, "semaphore", S::NAME, contended_run::<S>);
}

fn semaphores(c: &mut Criterion) {
    uncontended::<syncsmith::Semaphore>(c);
    uncontended::<StdSemaphore>(c);
    contended::<syncsmith::Semaphore>(c);
    contended::<StdSemaphore>(c);
}

criterion_group!(benches, semaphores);
criterion_main!(benches);
