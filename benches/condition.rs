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
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A lock, a condition over it and a turn counter: player `p` (0 or 1) may move when
/// `turn % 2 == p`.
trait PingPong: Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    /// Waits for our turn, passes the turn on, notifies the other player.
    fn play(&self, player: u64);
}

struct Ours<L: syncsmith::ConditionLock> {
    cond: syncsmith::Condition<L>,
    // Only touched under the condition's lock; an atomic because `Condition` guards no data.
    turn: AtomicU64,
}

impl<L: syncsmith::ConditionLock> Ours<L> {
    /// [`PingPong::play`], the same over either lock.
    #[inline]
    fn take_turn(&self, player: u64) {
        let _held = self.cond.lock();
        self.cond
            .wait_for(|| self.turn.load(Relaxed) % 2 == player)
            .unwrap();
        self.turn.store(self.turn.load(Relaxed) + 1, Relaxed);
        self.cond.notify_one().unwrap();
    }
}

impl PingPong for Ours<syncsmith::Lock> {
    const NAME: &'static str = "syncsmith::Condition<Lock>";
    fn new() -> Self {
        Ours {
            cond: syncsmith::Condition::with_lock(syncsmith::Lock::new()),
            turn: AtomicU64::new(0),
        }
    }
    #[inline]
    fn play(&self, player: u64) {
        self.take_turn(player);
    }
}

impl PingPong for Ours<syncsmith::RLock> {
    const NAME: &'static str = "syncsmith::Condition<RLock>";
    fn new() -> Self {
        Ours {
            cond: syncsmith::Condition::new(),
            turn: AtomicU64::new(0),
        }
    }
    #[inline]
    fn play(&self, player: u64) {
        self.take_turn(player);
    }
}

struct StdPingPong {
    turn: std::sync::Mutex<u64>,
    cond: std::sync::Condvar,
}

impl PingPong for StdPingPong {
    const NAME: &'static str = "std::sync::Condvar";
    fn new() -> Self {
        StdPingPong {
            turn: std::sync::Mutex::new(0),
            cond: std::sync::Condvar::new(),
        }
    }
    #[inline]
    fn play(&self, player: u64) {
        let mut turn = self
            .cond
            .wait_while(self.turn.lock().unwrap(), |turn| *turn % 2 != player)
            .unwrap();
        *turn += 1;
        self.cond.notify_one();
    }
}

struct ParkingLotPingPong {
    turn: parking_lot::Mutex<u64>,
    cond: parking_lot::Condvar,
}

impl PingPong for ParkingLotPingPong {
    const NAME: &'static str = "parking_lot::Condvar";
    fn new() -> Self {
        ParkingLotPingPong {
            turn: parking_lot::Mutex::new(0),
            cond: parking_lot::Condvar::new(),
        }
    }
    #[inline]
    fn play(&self, player: u64) {
        let mut turn = self.turn.lock();
        self.cond.wait_while(&mut turn, |turn| *turn % 2 != player);
        *turn += 1;
        self.cond.notify_one();
    }
}

/// `iters` hand-overs: player 0 makes the even ones on this thread, player 1 the odd ones
/// on a helper thread.
fn ping_pong_run<P: PingPong>(iters: u64) -> Duration {
    let game = Arc::new(P::new());
    let mine = iters.div_ceil(2);
    let theirs = iters / 2;
    let other = {
        let game = Arc::clone(&game);
        thread::spawn(move || {
            for _ in 0..theirs {
                game.play(1);
            }
        })
    };
    let began = Instant::now();
    for _ in 0..mine {
        game.play(0);
    }
    other.join().unwrap();
    began.elapsed()
}

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
