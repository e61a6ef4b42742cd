//! `Condition` ping-pong beside `std::sync::Condvar` and `parking_lot::Condvar`, behind one
//! interface.
//!
//! Two threads take turns: each waits on one condition until the shared `turn` names it,
//! hands the turn to the other and notifies. One hand-over wakes a sleeping thread, so this
//! measures the whole wait/notify path: queueing a waiter, releasing the lock, parking, the
//! notify, the wake-up and re-taking the lock.
//!
//! Shared by the measurement program (`benches/results/`); each bench crate uses only some
//! of these items, hence the `allow`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A lock, a condition over it and a turn counter: player `p` (0 or 1) may move when
/// `turn % 2 == p`.
pub trait PingPong: Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    /// Waits for our turn, passes the turn on, notifies the other player.
    fn play(&self, player: u64);
}

/// syncsmith's `Condition` over a `Lock` or an `RLock` (Python's default).
pub struct Ours<L: syncsmith::ConditionLock> {
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

/// `std::sync::{Mutex<u64>, Condvar}`.
pub struct StdPingPong {
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

/// `parking_lot::{Mutex<u64>, Condvar}`.
pub struct ParkingLotPingPong {
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
pub fn ping_pong_run<P: PingPong>(iters: u64) -> Duration {
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
