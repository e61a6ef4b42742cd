//! `Barrier`: Python's `threading.Barrier`, a meeting point for a fixed number of threads.
//!
//! Each thread that calls `wait` is held until `parties` threads have called it; then all of
//! them go on, the round is over, and the barrier is ready for the next round. Like
//! CPython's, it is a [`Condition`] over a plain [`Lock`] plus a little state, all changed
//! only under the condition's lock:
//!
//! - `count`: the threads waiting in the current round. Its value when a thread arrives is
//!   that thread's *arrival index*, the number `wait` returns.
//! - `generation`: how many rounds have completed. A waiter remembers the generation it
//!   joined and is released when that number moves on. This is what lets a fast thread
//!   that leaves one round and at once enters the next be held there: it waits for the new
//!   generation to end, not for the old one it already left. (CPython gets the same effect
//!   by making new arrivals wait until the old round has drained; a generation number lets
//!   them join the next round at once.)
//! - `phase`: `FILLING` normally; `BROKEN` after an `abort`, a timed-out `wait` or a
//!   panicking action, until `reset`; `RESETTING` while a `reset` sends the threads of the
//!   round it cancelled away (new arrivals wait for them to leave, as in CPython, so that
//!   the counts of the old and the new round never mix).
//!
//! Only completion advances the generation, so a waiter whose generation moved on knows
//! its round completed, whatever happened to later rounds before it got the lock back.
//! A round that does not complete leaves the generation alone; its waiters see the phase
//! instead and leave with [`BrokenBarrier`].

use crate::condition::Condition;
use crate::error::BrokenBarrier;
use crate::lock::{Lock, WaitLimit};
use crate::runtime::{AtomicInt, Runtime, Std};
use core::fmt;
use core::sync::atomic::Ordering::Relaxed;
use core::time::Duration;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

// ANCHOR: phases
/// Threads may arrive; the current round is filling up.
const FILLING: u8 = 0;
/// `reset` cancelled a round; its waiters are leaving with an error, and new arrivals wait
/// until the last of them has left.
const RESETTING: u8 = 1;
/// Broken by `abort`, a timeout or a panicking action: every `wait` fails until `reset`.
const BROKEN: u8 = 2;
// ANCHOR_END: phases

/// What the action of a barrier is stored as.
type Action = Box<dyn Fn() + Send + Sync>;

/// A meeting point for a fixed number of threads: Python's `threading.Barrier`.
///
/// ```
/// use std::sync::Arc;
/// use syncsmith::Barrier;
///
/// let barrier = Arc::new(Barrier::new(3));
/// let runners: Vec<_> = (0..3)
///     .map(|_| {
///         let barrier = Arc::clone(&barrier);
///         std::thread::spawn(move || barrier.wait().unwrap())
///     })
///     .collect();
/// let mut indices: Vec<usize> = runners.into_iter().map(|r| r.join().unwrap()).collect();
/// indices.sort();
/// assert_eq!(indices, [0, 1, 2]); // each thread's arrival index
/// ```
#[doc(alias = "threading.Barrier")]
pub struct Barrier<R: Runtime = Std> {
    /// Holds the waiting threads; its lock guards `count`, `generation` and `phase`.
    cond: Condition<Lock<R>>,
    parties: usize,
    /// Run by the last thread to arrive, before the others are released.
    action: Option<Action>,
    /// Threads waiting in the current round (or, while `RESETTING`, threads of the
    /// cancelled round that have not left yet). Written only under the lock; atomic so that
    /// `n_waiting` can read it without the lock, as Python's does.
    count: R::AtomicUsize,
    /// Rounds completed so far (wrapping). Written only under the lock.
    generation: R::AtomicUsize,
    /// `FILLING`, `RESETTING` or `BROKEN`. Written only under the lock.
    phase: R::AtomicU8,
}

static_assertions::assert_impl_all!(Barrier: Send, Sync);

impl Barrier {
    /// A barrier for `parties` threads (`threading.Barrier(parties)`).
    ///
    /// # Panics
    /// If `parties` is 0, with Python's message "parties must be > 0".
    pub fn new(parties: usize) -> Barrier {
        Barrier::build(parties, None)
    }

    /// A barrier for `parties` threads whose last arrival in each round runs `action`
    /// before the others are released (`threading.Barrier(parties, action)`). If `action`
    /// panics, the barrier breaks (every waiter gets [`BrokenBarrier`]) and the panic goes
    /// on in the thread that ran it. The action runs with the barrier's lock held, as in
    /// Python, so it must not call `wait`, `reset` or `abort` on the same barrier.
    ///
    /// # Panics
    /// If `parties` is 0.
    pub fn with_action(parties: usize, action: impl Fn() + Send + Sync + 'static) -> Barrier {
        Barrier::build(parties, Some(Box::new(action)))
    }
}

impl<R: Runtime> Barrier<R> {
    /// [`Barrier::new`] on runtime `R`.
    pub fn with_runtime(parties: usize) -> Self {
        Self::build(parties, None)
    }

    /// [`Barrier::with_action`] on runtime `R`.
    pub fn with_runtime_and_action(
        parties: usize,
        action: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        Self::build(parties, Some(Box::new(action)))
    }

    fn build(parties: usize, action: Option<Action>) -> Self {
        assert!(parties > 0, "parties must be > 0");
        Barrier {
            cond: Condition::with_lock(Lock::with_runtime()),
            parties,
            action,
            count: <R::AtomicUsize as AtomicInt>::new(0),
            generation: <R::AtomicUsize as AtomicInt>::new(0),
            phase: <R::AtomicU8 as AtomicInt>::new(FILLING),
        }
    }

    /// Waits until `parties` threads have called `wait` (`barrier.wait()`); returns this
    /// thread's arrival index, from 0 to `parties - 1`, or `Err(BrokenBarrier)` if the
    /// barrier is broken or breaks (or is reset) while this thread waits.
    pub fn wait(&self) -> Result<usize, BrokenBarrier> {
        self.wait_within(WaitLimit::Forever)
    }

    /// [`wait`](Self::wait), giving up after `timeout`. Giving up breaks the barrier, for
    /// every thread (Python's rule: the others must not wait for a party that left).
    #[doc(alias = "wait")]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, BrokenBarrier> {
        self.wait_within(WaitLimit::from_timeout(timeout))
    }

    // ANCHOR: wait
    /// `wait` within `limit`: arrive, then either complete the round (the last arrival)
    /// or wait for it to complete.
    fn wait_within(&self, limit: WaitLimit<R>) -> Result<usize, BrokenBarrier> {
        let held = self.cond.lock();
        // A reset is still sending the cancelled round's threads away. They have been
        // notified and need only the lock, so this wait is short, and it ignores `limit`,
        // as CPython's `_enter` does.
        let mut reset_done = || self.phase.load(Relaxed) != RESETTING;
        self.cond
            .wait_for_within(&mut reset_done, WaitLimit::Forever)
            .expect(LOCK_HELD);
        if self.phase.load(Relaxed) == BROKEN {
            return Err(BrokenBarrier);
        }
        // Relaxed, here and below: these fields only change under the lock we hold.
        let index = self.count.load(Relaxed);
        self.count.store(index + 1, Relaxed);
        if index + 1 == self.parties {
            self.complete_round(held);
            Ok(index)
        } else {
            self.wait_for_round(index, limit)
        }
    }

    /// The last thread has arrived: run the action, then start the next generation and
    /// release this one.
    fn complete_round(&self, held: crate::ConditionGuard<'_, Lock<R>>) {
        if let Some(action) = &self.action {
            // AssertUnwindSafe: if the action panics, nothing of ours is left half-changed;
            // we break the barrier and pass the panic on.
            if let Err(panic) = catch_unwind(AssertUnwindSafe(action)) {
                self.leave_cancelled_round();
                self.break_barrier();
                drop(held);
                resume_unwind(panic);
            }
        }
        self.count.store(0, Relaxed);
        self.generation
            .store(self.generation.load(Relaxed).wrapping_add(1), Relaxed);
        self.cond.notify_all().expect(LOCK_HELD);
    }

    /// Not the last: wait until our generation completes, the barrier breaks or is reset,
    /// or `limit` passes (which breaks it).
    fn wait_for_round(&self, index: usize, limit: WaitLimit<R>) -> Result<usize, BrokenBarrier> {
        let joined = self.generation.load(Relaxed);
        let mut round_settled =
            || self.generation.load(Relaxed) != joined || self.phase.load(Relaxed) != FILLING;
        let settled = self
            .cond
            .wait_for_within(&mut round_settled, limit)
            .expect(LOCK_HELD);
        if self.generation.load(Relaxed) != joined {
            // Only completion moves the generation on: our round completed, whatever
            // happened to later rounds before we got the lock back.
            return Ok(index);
        }
        self.leave_cancelled_round();
        if !settled {
            // Timed out while the round was still filling.
            self.break_barrier();
        }
        Err(BrokenBarrier)
    }
    // ANCHOR_END: wait

    /// A waiter of a round that will not complete leaves it. The last to leave a round
    /// cancelled by `reset` makes the barrier usable again.
    fn leave_cancelled_round(&self) {
        let remaining = self.count.load(Relaxed) - 1;
        self.count.store(remaining, Relaxed);
        if remaining == 0 && self.phase.load(Relaxed) == RESETTING {
            self.phase.store(FILLING, Relaxed);
            // Wake the arrivals that waited for the cancelled round to leave.
            self.cond.notify_all().expect(LOCK_HELD);
        }
    }

    /// Breaks the barrier: every waiter, now and until `reset`, gets `BrokenBarrier`.
    /// The caller holds the lock.
    fn break_barrier(&self) {
        self.phase.store(BROKEN, Relaxed);
        self.cond.notify_all().expect(LOCK_HELD);
    }

    // ANCHOR: reset
    /// Returns the barrier to its initial state (`barrier.reset()`). Threads waiting in the
    /// current round get `BrokenBarrier`; a broken barrier is mended. Threads that arrive
    /// while the cancelled round's threads are still leaving wait for them, then start a
    /// fresh round.
    pub fn reset(&self) {
        let _held = self.cond.lock();
        if self.count.load(Relaxed) > 0 {
            // The waiters of the cancelled round see RESETTING and leave; the last one
            // sets FILLING.
            self.phase.store(RESETTING, Relaxed);
        } else {
            self.phase.store(FILLING, Relaxed);
        }
        self.cond.notify_all().expect(LOCK_HELD);
    }
    // ANCHOR_END: reset

    /// Breaks the barrier (`barrier.abort()`): every thread waiting now, and every `wait`
    /// until [`reset`](Self::reset), gets `BrokenBarrier`.
    pub fn abort(&self) {
        let _held = self.cond.lock();
        self.break_barrier();
    }

    /// How many threads must call `wait` to complete a round (`barrier.parties`).
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many threads are waiting in the current round (`barrier.n_waiting`); 0 while the
    /// barrier is broken or resetting. A snapshot.
    pub fn n_waiting(&self) -> usize {
        if self.phase.load(Relaxed) == FILLING {
            self.count.load(Relaxed)
        } else {
            0
        }
    }

    /// Whether the barrier is broken (`barrier.broken`). A snapshot.
    pub fn broken(&self) -> bool {
        self.phase.load(Relaxed) == BROKEN
    }
}

/// The message of the `expect`s on our own condition: the barrier holds its lock whenever
/// it waits or notifies.
const LOCK_HELD: &str = "the barrier's own lock is held";

impl<R: Runtime> fmt::Debug for Barrier<R> {
    /// Like Python's repr (`<threading.Barrier at ...: waiters=1/3>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &self.n_waiting())
            .field("broken", &self.broken())
            .finish()
    }
}
