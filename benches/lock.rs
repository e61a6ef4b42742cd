//! `Lock` and `RLock` beside `std::sync::Mutex<()>`, `parking_lot::Mutex<()>` and
//! `parking_lot::ReentrantMutex<()>`.
//!
//! - `lock/uncontended`: one thread, acquire + release through the guard.
//! - `lock/contended/<n>`: n threads each doing the same number of lock/unlock rounds
//!   around a tiny critical section (a relaxed load and store of a shared counter: it
//!   touches a shared cache line, like real protected data). One iteration = one round per
//!   thread; the time is from a start barrier until the last thread finishes.
//! - `rlock/outer`, `rlock/nested`: a first acquisition, and a re-entry while already held.
//!
//! Run briefly: `cargo bench --bench lock -- --warm-up-time 1 --measurement-time 2`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// The three mutual-exclusion locks compared, behind one interface.
trait BenchLock: Send + Sync + 'static {
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

fn uncontended<L: BenchLock>(c: &mut Criterion) {
    let lock = L::new();
    c.benchmark_group("lock/uncontended")
        .bench_function(L::NAME, |b| b.iter(|| black_box(&lock).with(|| ())));
}

/// `threads` threads, `rounds` lock/unlock rounds each; returns the wall time.
fn contended_run<L: BenchLock>(threads: usize, rounds: u64) -> Duration {
    let lock = Arc::new(L::new());
    let counter = Arc::new(AtomicU64::new(0));
    let start = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (lock, counter, start) = (lock.clone(), counter.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for _ in 0..rounds {
                    lock.with(|| {
                        // Not a fetch_add: the lock is what makes this exact.
                        counter.store(counter.load(Relaxed) + 1, Relaxed);
                    });
                }
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = began.elapsed();
    assert_eq!(counter.load(Relaxed), threads as u64 * rounds);
    elapsed
}

fn contended<L: BenchLock>(c: &mut Criterion) {
    for threads in [2, 4] {
        let mut group = c.benchmark_group(format!("lock/contended/{threads}"));
        group.sample_size(20);
        group.bench_function(BenchmarkId::from_parameter(L::NAME), |b| {
            b.iter_custom(|iters| contended_run::<L>(threads, iters))
        });
        group.finish();
    }
}

fn rlock(c: &mut Criterion) {
    let mut outer = c.benchmark_group("rlock/outer");
    let ours = syncsmith::RLock::new();
    let theirs = parking_lot::ReentrantMutex::new(());
    outer.bench_function("syncsmith::RLock", |b| {
        b.iter(|| drop(black_box(&ours).lock()))
    });
    outer.bench_function("parking_lot::ReentrantMutex", |b| {
        b.iter(|| drop(black_box(&theirs).lock()))
    });
    outer.finish();

    let mut nested = c.benchmark_group("rlock/nested");
    let _ours_held = ours.lock();
    let _theirs_held = theirs.lock();
    nested.bench_function("syncsmith::RLock", |b| {
        b.iter(|| drop(black_box(&ours).lock()))
    });
    nested.bench_function("parking_lot::ReentrantMutex", |b| {
        b.iter(|| drop(black_box(&theirs).lock()))
    });
    nested.finish();
}

fn locks(c: &mut Criterion) {
    uncontended::<syncsmith::Lock>(c);
    uncontended::<std::sync::Mutex<()>>(c);
    uncontended::<parking_lot::Mutex<()>>(c);
    contended::<syncsmith::Lock>(c);
    contended::<std::sync::Mutex<()>>(c);
    contended::<parking_lot::Mutex<()>>(c);
}

criterion_group!(benches, locks, rlock);
criterion_main!(benches);
