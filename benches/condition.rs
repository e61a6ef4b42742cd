//! `Condition` ping-pong beside `std::sync::Condvar` and `parking_lot::Condvar`.
//!
//! Two threads take turns: each waits on one condition until the shared `turn` names it,
//! hands the turn to the other and notifies. One iteration = one hand-over (so a full
//! round trip is two iterations). Every hand-over wakes a sleeping thread, so this measures
//! the whole wait/notify path: queueing a waiter, releasing the lock, parking, the notify,
//! the wake-up and re-taking the lock.
//!
//! - `condition/ping_pong`: `syncsmith::Condition<Lock>` and `Condition<RLock>` (Python's
//!   default), `std::sync::{Mutex, Condvar}`, `parking_lot::{Mutex, Condvar}`.
//! - `condition/notify_nobody`: `notify_one` with the lock held and no waiter (the cost a
//!   producer pays on every item when consumers keep up).
//!
//! Run briefly: `cargo bench --bench condition -- --warm-up-time 1 --measurement-time 2`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

mod common;

use common::ping_pong::{ping_pong_run, Ours, ParkingLotPingPong, PingPong, StdPingPong};

fn ping_pong<P: PingPong>(c: &mut Criterion) {
    let mut group = c.benchmark_group("condition/ping_pong");
    group.sample_size(20);
    group.bench_function(P::NAME, |b| b.iter_custom(ping_pong_run::<P>));
    group.finish();
}

fn notify_nobody(c: &mut Criterion) {
    let mut group = c.benchmark_group("condition/notify_nobody");
    let ours = syncsmith::Condition::with_lock(syncsmith::Lock::new());
    let ours_held = ours.lock();
    group.bench_function("syncsmith::Condition<Lock>", |b| {
        b.iter(|| black_box(&ours).notify_one().unwrap())
    });
    drop(ours_held);
    let std_mutex = std::sync::Mutex::new(());
    let std_cond = std::sync::Condvar::new();
    let std_held = std_mutex.lock().unwrap();
    group.bench_function("std::sync::Condvar", |b| {
        b.iter(|| black_box(&std_cond).notify_one())
    });
    drop(std_held);
    let pl_mutex = parking_lot::Mutex::new(());
    let pl_cond = parking_lot::Condvar::new();
    let pl_held = pl_mutex.lock();
    group.bench_function("parking_lot::Condvar", |b| {
        b.iter(|| black_box(&pl_cond).notify_one())
    });
    drop(pl_held);
    group.finish();
}

fn conditions(c: &mut Criterion) {
    ping_pong::<Ours<syncsmith::Lock>>(c);
    ping_pong::<Ours<syncsmith::RLock>>(c);
    ping_pong::<StdPingPong>(c);
    ping_pong::<ParkingLotPingPong>(c);
    notify_nobody(c);
}

criterion_group!(benches, conditions);
criterion_main!(benches);
