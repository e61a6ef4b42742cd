//! `syncsmith::futures` beside its anchors: 100,000 trivial tasks on a pool of two workers.
//!
//! - `futures/submit_result/*`: submit every task, then collect every result. syncsmith's
//!   `submit` + `Future::result`; the `threadpool` crate and `rayon::ThreadPool::spawn`, each
//!   with one shared channel for the results, and each with a one-shot channel per task (a
//!   result slot per task, as a future has).
//! - `futures/map/syncsmith`: `ThreadPoolExecutor::map` over 100,000 items.
//!
//! The workloads live in `examples/futures_throughput.rs`, which also prints tasks a second
//! (with CPython's `ThreadPoolExecutor` beside them) for the results file.
//!
//! Run briefly: `cargo bench --bench futures -- --warm-up-time 1 --measurement-time 5`.

#[path = "../examples/futures_throughput.rs"]
mod workloads;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use workloads::{Pools, TASKS};

fn futures(c: &mut Criterion) {
    let pools = Pools::default();
    let mut group = c.benchmark_group("futures/submit_result");
    group.throughput(Throughput::Elements(TASKS));
    group.sample_size(10);
    group.bench_function("syncsmith", |b| {
        b.iter(|| workloads::syncsmith_submit(&pools.syncsmith, TASKS))
    });
    group.bench_function("threadpool_shared_channel", |b| {
        b.iter(|| workloads::threadpool_shared(&pools.threadpool, TASKS))
    });
    group.bench_function("rayon_shared_channel", |b| {
        b.iter(|| workloads::rayon_shared(&pools.rayon, TASKS))
    });
    group.bench_function("threadpool_oneshot_per_task", |b| {
        b.iter(|| workloads::threadpool_oneshot(&pools.threadpool, TASKS))
    });
    group.bench_function("rayon_oneshot_per_task", |b| {
        b.iter(|| workloads::rayon_oneshot(&pools.rayon, TASKS))
    });
    group.finish();

    let mut group = c.benchmark_group("futures/map");
    group.throughput(Throughput::Elements(TASKS));
    group.sample_size(10);
    group.bench_function("syncsmith", |b| {
        b.iter(|| workloads::syncsmith_map(&pools.syncsmith, TASKS))
    });
    group.finish();
}

criterion_group!(benches, futures);
criterion_main!(benches);
