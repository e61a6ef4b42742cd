//! `Lock` and `RLock` beside `std::sync::Mutex<()>`, `parking_lot::Mutex<()>` and
//! `parking_lot::ReentrantMutex<()>`.
//!
//! - `lock/uncontended`: one thread, acquire + release through the guard.
//! - `lock/contended/<n>`: n threads each doing the same number of lock/unlock rounds
//!   around a tiny critical section (a relaxed load and store of a shared counter: it
//!   touches a shared cache line, like real protected data). One iteration = one round per
//!   thread; the time is from the first thread leaving a start barrier until the last finishes.
//! - `rlock/outer`, `rlock/nested`: a first acquisition, and a re-entry while already held.
//!
//! Run briefly: `cargo bench --bench lock -- --warm-up-time 1 --measurement-time 2`.

mod common;

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use common::locks::{contended_run, BenchLock};

fn uncontended<L: BenchLock>(c: &mut Criterion) {
    let lock = L::new();
    c.benchmark_group("lock/uncontended")
        .bench_function(L::NAME, |b| b.iter(|| black_box(&lock).with(|| ())));
}

/// `threads` threads, `rounds` lock/unlock rounds each; returns the wall time.
fn contended<L: BenchLock>(c: &mut Criterion) {
    common::bench_contended(c, "lock", L::NAME, contended_run::<L>);
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
