//! `Lock`: Python's `threading.Lock`, built from one byte of atomic state and the parking
//! layer.
//!
//! The byte holds two bits. `LOCKED_BIT` says someone holds the lock; `PARKED_BIT` says at
//! least one thread may be asleep in the parking lot waiting for it. Acquiring is one
//! compare-exchange when the lock is free; otherwise a thread spins briefly (the holder may
//! be about to release), then sets `PARKED_BIT` and parks on the lock's address. Releasing
//! is one compare-exchange when nobody is parked; otherwise the releaser wakes the oldest
//! parked thread. Now and then (when the parking layer says `be_fair`) the releaser hands
//! the lock straight to that thread instead of freeing it, so no waiter starves.
//!
//! Python's lock has no owner: any thread may release it. So `release` does not trust its
//! caller; it checks, atomically, that the lock is held and reports `ReleaseError` if not.

use crate::error::ReleaseError;
use crate::runtime::{AtomicInt, ParkResult, ParkToken, Runtime, Std, UnparkResult, UnparkToken};
use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::time::Duration;

// ANCHOR: state
/// Someone holds the lock.
const LOCKED_BIT: u8 = 0b01;
/// Some thread may be parked waiting for the lock; a release must look in the parking lot.
const PARKED_BIT: u8 = 0b10;

/// Handed to a woken thread: the lock is free, try again.
const TOKEN_NORMAL: UnparkToken = UnparkToken(0);
/// Handed to a woken thread: the lock was never freed, it is yours now.
const TOKEN_HANDED_OFF: UnparkToken = UnparkToken(1);
// ANCHOR_END: state

/// A mutual-exclusion lock that any thread may release: Python's `threading.Lock`.
///
/// It protects no data of its own (Python's lock does not either); pair it with the data
/// it guards by convention, or use it to build other primitives, as
/// [`Condition`](crate::Condition) does.
///
/// ```
/// use syncsmith::Lock;
///
/// static LOCK: Lock = Lock::new();
/// {
///     let _held = LOCK.lock(); // `with lock:`
///     assert!(LOCK.locked());
/// }
/// assert!(!LOCK.locked());
///
/// // Python's Lock is not owned: any thread may release it.
/// LOCK.acquire();
/// std::thread::spawn(|| LOCK.release().unwrap()).join().unwrap();
/// assert_eq!(LOCK.release().unwrap_err().to_string(), "release unlocked lock");
///
/// // `Default` is `Lock::new()`, no annotation needed.
/// assert!(!Lock::default().locked());
/// ```
#[doc(alias = "threading.Lock")]
pub struct Lock<R: Runtime = Std> {
    state: R::AtomicU8,
    _runtime: PhantomData<R>,
}

static_assertions::assert_eq_size!(Lock, u8);
static_assertions::assert_impl_all!(Lock: Send, Sync);
static_assertions::assert_impl_all!(LockGuard<'static>: Send, Sync);

impl Lock {
    /// A new, unlocked lock. `const`, so it can live in a `static`.
    pub const fn new() -> Lock {
        Lock {
            state: core::sync::atomic::AtomicU8::new(0),
            _runtime: PhantomData,
        }
    }
}

impl<R: Runtime> Lock<R> {
    /// A new, unlocked lock on runtime `R` (loom models use `Lock::<Loom>::with_runtime()`).
    pub fn with_runtime() -> Self {
        Lock {
            state: <R::AtomicU8 as AtomicInt>::new(0),
            _runtime: PhantomData,
        }
    }

    // ANCHOR: acquire
    /// Blocks until the lock is acquired (`lock.acquire()`).
    #[inline]
    pub fn acquire(&self) {
        // Acquire: everything the previous holder wrote before releasing is visible to us.
        if self
            .state
            .compare_exchange_weak(0, LOCKED_BIT, Acquire, Relaxed)
            .is_err()
        {
            self.acquire_slow(None);
        }
    }
    // ANCHOR_END: acquire

    // ANCHOR: try_acquire
    /// Acquires the lock if it is free, without blocking (`lock.acquire(blocking=False)`).
    #[inline]
    pub fn try_acquire(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            if state & LOCKED_BIT != 0 {
                return false;
            }
            match self
                .state
                .compare_exchange_weak(state, state | LOCKED_BIT, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
    }
    // ANCHOR_END: try_acquire

    /// Waits at most `timeout` for the lock (`lock.acquire(timeout=...)`); returns whether it
    /// was acquired. `Duration::ZERO` tries once; a timeout too large to form a deadline
    /// waits forever.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.acquire_within(WaitLimit::from_timeout(timeout))
    }

    /// Acquires within `limit`; returns whether it did. The building block of the timed
    /// waits of `Condition` and the primitives above it, which share one deadline across
    /// several waits.
    pub(crate) fn acquire_within(&self, limit: WaitLimit<R>) -> bool {
        if self.try_acquire() {
            return true;
        }
        match limit {
            WaitLimit::TryOnce => false,
            WaitLimit::Forever => self.acquire_slow(None),
            WaitLimit::Until(deadline) => self.acquire_slow(Some(deadline)),
        }
    }

    // ANCHOR: release
    /// Releases the lock (`lock.release()`). Any thread may release it; releasing a lock that
    /// is not locked is an error (Python's "release unlocked lock") and changes nothing.
    #[inline]
    pub fn release(&self) -> Result<(), ReleaseError> {
        // Release: our writes under the lock happen-before the next holder's acquire.
        match self.state.compare_exchange(LOCKED_BIT, 0, Release, Relaxed) {
            Ok(_) => Ok(()),
            Err(state) if state & LOCKED_BIT == 0 => Err(ReleaseError::unlocked()),
            Err(_) => self.release_slow(),
        }
    }
    // ANCHOR_END: release

    /// Whether anyone holds the lock (`lock.locked()`). A snapshot: it may change at once.
    pub fn locked(&self) -> bool {
        self.state.load(Relaxed) & LOCKED_BIT != 0
    }

    /// Acquires the lock and returns a guard that releases it when dropped (`with lock:`).
    /// The guard releases even when the thread panics while holding it.
    pub fn lock(&self) -> LockGuard<'_, R> {
        self.acquire();
        LockGuard { lock: self }
    }

    /// The address threads park on.
    fn key(&self) -> usize {
        &self.state as *const R::AtomicU8 as usize
    }

    // ANCHOR: acquire_slow
    /// The contended path: spin a little, then park until a release wakes us or `deadline`
    /// passes. Returns whether the lock was acquired.
    #[cold]
    fn acquire_slow(&self, deadline: Option<R::Instant>) -> bool {
        let mut spins = 0;
        let mut state = self.state.load(Relaxed);
        loop {
            // Free: take it, even if others are parked. Barging keeps the lock busy while a
            // woken thread is still getting scheduled; fairness comes from hand-offs.
            if state & LOCKED_BIT == 0 {
                match self
                    .state
                    .compare_exchange_weak(state, state | LOCKED_BIT, Acquire, Relaxed)
                {
                    Ok(_) => return true,
                    Err(now) => state = now,
                }
                continue;
            }

            // Held, and nobody parked yet: the holder may be about to release, so spin a
            // few rounds before paying for a park. (The mutant `<` → `<=` makes loom spin
            // once, that is yield, before every park: the models then either report that
            // no execution timed out, or run past the mutants tool's time limit.)
            if state & PARKED_BIT == 0 && spins < R::SPIN_ROUNDS {
                spin_round::<R>(spins);
                // Loom cannot see this line (`Loom::SPIN_ROUNDS` is 0, so the spin branch
                // never runs in a model). Without it a waiter spins forever and never parks;
                // the real-thread test `acquire_timeout_on_a_held_lock_waits_at_least_the_timeout`
                // then never returns.
                spins += 1;
                state = self.state.load(Relaxed);
                continue;
            }

            // Tell releasers to look in the parking lot. Relaxed: the parking lot's own lock
            // orders this against the releaser's check (see `validate` below).
            if state & PARKED_BIT == 0 {
                if let Err(now) =
                    self.state
                        .compare_exchange_weak(state, state | PARKED_BIT, Relaxed, Relaxed)
                {
                    state = now;
                    continue;
                }
            }

            match self.park_until_released(deadline) {
                // The releaser kept LOCKED_BIT set and passed the lock to us.
                ParkResult::Unparked(TOKEN_HANDED_OFF) => return true,
                ParkResult::TimedOut => return false,
                // Woken to compete again, or the state changed before we slept.
                ParkResult::Unparked(_) | ParkResult::Invalid => {}
            }
            spins = 0;
            state = self.state.load(Relaxed);
        }
    }

    // ANCHOR: park_until_released
    /// Parks on the lock's address while it is locked with `PARKED_BIT` set.
    fn park_until_released(&self, deadline: Option<R::Instant>) -> ParkResult {
        // Runs under the parking lot's lock, which every releaser's callback also takes: if
        // the state is still "locked, someone parked", no release has looked in the
        // parking lot since we set PARKED_BIT, so the next release will find us.
        let validate = || self.state.load(Relaxed) == LOCKED_BIT | PARKED_BIT;
        // Our deadline passed. If we were the last parked thread, clear PARKED_BIT so that
        // releases go back to the fast path. Under the parking lot's lock, like `validate`.
        let timed_out = |_key, was_last_thread| {
            if was_last_thread {
                self.state.fetch_and(!PARKED_BIT, Relaxed);
            }
        };
        // SAFETY: the callbacks only touch our atomic state: they cannot panic and do not
        // call into the parking lot.
        unsafe {
            R::park(
                self.key(),
                validate,
                || {},
                timed_out,
                ParkToken(0),
                deadline,
            )
        }
    }
    // ANCHOR_END: park_until_released
    // ANCHOR_END: acquire_slow

    // ANCHOR: release_slow
    /// A release while threads may be parked: wake the oldest, and either free the lock or
    /// hand it straight to that thread.
    #[cold]
    fn release_slow(&self) -> Result<(), ReleaseError> {
        let mut outcome = Ok(());
        let choose_token = |unparked: UnparkResult| {
            // This runs under the parking lot's lock, so no thread can park or time out on
            // this lock meanwhile; only fast-path acquirers and other releasers can race us,
            // and the compare-exchange below settles those.
            let hand_off = unparked.unparked_threads != 0 && unparked.be_fair;
            let new_state = match (hand_off, unparked.have_more_threads) {
                (true, true) => LOCKED_BIT | PARKED_BIT,
                (true, false) => LOCKED_BIT,
                (false, true) => PARKED_BIT,
                (false, false) => 0,
            };
            let mut state = self.state.load(Relaxed);
            loop {
                if state & LOCKED_BIT == 0 {
                    // Another thread released first (any thread may release). The thread we
                    // woke just competes again.
                    outcome = Err(ReleaseError::unlocked());
                    return TOKEN_NORMAL;
                }
                // Release: pairs with the Acquire of whoever takes the lock next, whether a
                // fast-path acquirer after a plain release or the thread we hand it to.
                match self
                    .state
                    .compare_exchange_weak(state, new_state, Release, Relaxed)
                {
                    Ok(_) if hand_off => return TOKEN_HANDED_OFF,
                    Ok(_) => return TOKEN_NORMAL,
                    Err(now) => state = now,
                }
            }
        };
        // SAFETY: `choose_token` only touches our atomic state and a local; it cannot panic
        // and does not call into the parking lot.
        unsafe { R::unpark_one(self.key(), choose_token) };
        outcome
    }
    // ANCHOR_END: release_slow
}

// ANCHOR: wait_limit
/// How long a blocking operation may wait, decided once from the caller's timeout and then
/// shared by every wait the operation makes (a `Condition::wait_for_timeout` may wait
/// several times, always against the same deadline).
pub(crate) enum WaitLimit<R: Runtime> {
    /// `Duration::ZERO`: never block.
    TryOnce,
    /// No timeout, or one too large to form a deadline (`Duration::MAX`).
    Forever,
    /// Give up at this deadline. Only the parking layer decides that it has passed.
    Until(R::Instant),
}
// ANCHOR_END: wait_limit

impl<R: Runtime> WaitLimit<R> {
    /// The limit for a caller's timeout.
    pub(crate) fn from_timeout(timeout: Duration) -> Self {
        if timeout.is_zero() {
            return WaitLimit::TryOnce;
        }
        match R::deadline_after(timeout) {
            Some(deadline) => WaitLimit::Until(deadline),
            None => WaitLimit::Forever,
        }
    }
}

// Manual impls: a derive would demand `R: Clone`, but only `R::Instant` is stored.
impl<R: Runtime> Clone for WaitLimit<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R: Runtime> Copy for WaitLimit<R> {}

/// One round of busy-waiting: a few CPU spin hints at first, growing each round, then yields.
fn spin_round<R: Runtime>(round: u32) {
    // Tuning only: which rounds spin and which yield changes no state, so flipping this
    // comparison is an equivalent mutant (and under loom both are yields anyway).
    if round < 3 {
        for _ in 0..(2u32 << round) {
            R::spin_hint();
        }
    } else {
        R::yield_now();
    }
}

// For the real runtime only, so that `Lock::default()` needs no type annotation (a generic
// impl would leave the runtime parameter to inference, which never falls back to `Std`).
impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

impl<R: Runtime> fmt::Debug for Lock<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .finish()
    }
}

/// Holds a [`Lock`] and releases it when dropped: the `with lock:` block of Python.
///
/// Because a Python lock may be released by any thread, the guard is `Send`: it may be
/// dropped on another thread.
#[must_use = "dropping the guard releases the lock at once"]
pub struct LockGuard<'a, R: Runtime = Std> {
    lock: &'a Lock<R>,
}

impl<R: Runtime> LockGuard<'_, R> {
    /// The lock this guard holds.
    pub fn lock(&self) -> &Lock<R> {
        self.lock
    }
}

impl<R: Runtime> Drop for Lock<R> {
    fn drop(&mut self) {
        // Nothing to do on real threads; under loom, a lock made later at this address
        // must not inherit this one's parking queue (see `Runtime::retire_key`).
        R::retire_key(self.key());
    }
}

// ANCHOR: guard_drop
impl<R: Runtime> Drop for LockGuard<'_, R> {
    fn drop(&mut self) {
        // Someone called `release()` by hand while the guard held the lock. Python raises
        // on leaving the `with` block; we panic, unless already unwinding.
        if self.lock.release().is_err() && !std::thread::panicking() {
            panic!("LockGuard dropped, but the lock was already released: release unlocked lock");
        }
    }
}
// ANCHOR_END: guard_drop

impl<R: Runtime> fmt::Debug for LockGuard<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("lock", self.lock)
            .finish()
    }
}
