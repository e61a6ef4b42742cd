//! `ThreadLocal::get` beside `std::thread_local!` and the `thread_local` crate.
//!
//! - `thread_local/get`: the calling thread's value, already made: read the thread's index,
//!   load the bucket pointer, check the slot (and, for syncsmith, count the `LocalRef` on
//!   the owning thread and uncount it when it is dropped). One iteration = one `get` and a
//!   read of the value.
//! - `thread_local/get_or`: the same through `get_or` (the value exists, so `init` never
//!   runs).
//!
//! `std::thread_local!` is the floor: a per-`static` slot the compiler addresses directly.
//! The `thread_local` crate is the per-object structure closest to syncsmith's (buckets
//! indexed by a recycled thread id), but it keeps a dead thread's value until the whole
//! object is dropped; the target is to stay within 1.2x of it.
//!
//! Run briefly: `cargo bench --bench thread_local -- --warm-up-time 1 --measurement-time 2`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::cell::Cell;

fn get(c: &mut Criterion) {
    let mut group = c.benchmark_group("thread_local/get");

    thread_local! {
        static STD_LOCAL: Cell<u64> = const { Cell::new(7) };
    }
    group.bench_function("std thread_local!", |b| {
        b.iter(|| STD_LOCAL.with(|value| black_box(value.get())))
    });

    let crate_local = thread_local::ThreadLocal::new();
    crate_local.get_or(|| Cell::new(7u64));
    group.bench_function("thread_local::ThreadLocal", |b| {
        b.iter(|| black_box(black_box(&crate_local).get().unwrap().get()))
    });

    let ours = syncsmith::ThreadLocal::new();
    ours.get_or(|| Cell::new(7u64));
    group.bench_function("syncsmith::ThreadLocal", |b| {
        b.iter(|| black_box(black_box(&ours).get().unwrap().get()))
    });
    group.finish();
}

fn get_or(c: &mut Criterion) {
    let mut group = c.benchmark_group("thread_local/get_or");

    let crate_local = thread_local::ThreadLocal::new();
    group.bench_function("thread_local::ThreadLocal", |b| {
        b.iter(|| black_box(black_box(&crate_local).get_or(|| Cell::new(7u64)).get()))
    });

    let ours = syncsmith::ThreadLocal::new();
    group.bench_function("syncsmith::ThreadLocal", |b| {
        b.iter(|| black_box(black_box(&ours).get_or(|| Cell::new(7u64)).get()))
    });
    group.finish();
}

criterion_group!(benches, get, get_or);
criterion_main!(benches);
