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

use common::semaphores::{contended_run, BenchSemaphore, TextbookSemaphore};

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
fn contended<S: BenchSemaphore>(c: &mut Criterion) {
    common::bench_contended(c, "semaphore", S::NAME, contended_run::<S>);
}

fn semaphores(c: &mut Criterion) {
    uncontended::<syncsmith::Semaphore>(c);
    uncontended::<TextbookSemaphore>(c);
    contended::<syncsmith::Semaphore>(c);
    contended::<TextbookSemaphore>(c);
}

criterion_group!(benches, semaphores);
criterion_main!(benches);
