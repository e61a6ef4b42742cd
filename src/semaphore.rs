//! `Semaphore` and `BoundedSemaphore`: Python's `threading.Semaphore` and
//! `threading.BoundedSemaphore`.
//!
//! CPython builds a semaphore from a counter and a [`Condition`] over a plain [`Lock`]:
//! `acquire` waits on the condition until the counter is positive and takes one;
//! `release(n)` adds `n` and notifies `n` waiters. That is the design here, with one
//! change the benchmark paid for: the counter is an atomic, and `acquire` first tries to
//! take a permit with one compare-exchange, without the lock. Only when no permit is free
//! does it take the lock and run CPython's loop. Releases still add under the lock and
//! notify, so a waiter (which checks the counter under the lock before it sleeps) never
//! misses a release; a fast-path acquirer may take a permit a woken waiter hoped for, and
//! that waiter simply checks again and waits again.
//!
//! A bounded semaphore also remembers its initial value and refuses a release that would
//! go above it (all or nothing: a refused `release_n` changes nothing).
//!
//! A permit is not owned by a thread: any thread may release, as in Python (the crawler in
//! the examples acquires in one thread and releases in another).

use crate::condition::Condition;
use crate::error::TooManyReleases;
use crate::lock::{Lock, WaitLimit};
use crate::runtime::{AtomicInt, Runtime, Std};
use core::fmt;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::time::Duration;

/// A counter of permits: `acquire` takes one (waiting while there are none), `release`
/// gives one back. Python's `threading.Semaphore`.
///
/// ```
/// use syncsmith::Semaphore;
///
/// static SLOTS: Semaphore = Semaphore::new(2);
/// let first = SLOTS.permit(); // `with sem:`
/// let second = SLOTS.permit();
/// assert_eq!(SLOTS.value(), 0);
/// assert!(!SLOTS.try_acquire());
/// drop(first);
/// assert_eq!(SLOTS.value(), 1);
/// # drop(second);
/// ```
#[doc(alias = "threading.Semaphore")]
pub struct Semaphore<R: Runtime = Std> {
    /// Queues the threads waiting for a permit. Its lock serialises every change of
    /// `value` that a waiter must not miss.
    cond: Condition<Lock<R>>,
    /// How many permits are free. Taken by compare-exchange (with or without the lock),
    /// given back only under the lock.
    value: R::AtomicUsize,
}

static_assertions::assert_impl_all!(Semaphore: Send, Sync);
static_assertions::assert_impl_all!(BoundedSemaphore: Send, Sync);
static_assertions::assert_impl_all!(SemaphorePermit<'static>: Send, Sync);
static_assertions::assert_impl_all!(BoundedSemaphorePermit<'static>: Send, Sync);

impl Semaphore {
    /// A semaphore with `value` free permits (`threading.Semaphore(value)`). `const`, so it
    /// can live in a `static`.
    pub const fn new(value: usize) -> Semaphore {
        Semaphore {
            cond: Condition::const_with_lock(Lock::new()),
            value: core::sync::atomic::AtomicUsize::new(value),
        }
    }
}

impl<R: Runtime> Semaphore<R> {
    /// A semaphore with `value` free permits on runtime `R` (loom models use
    /// `Semaphore::<Loom>::with_runtime(n)`).
    pub fn with_runtime(value: usize) -> Self {
        Semaphore {
            cond: Condition::with_lock(Lock::with_runtime()),
            value: <R::AtomicUsize as AtomicInt>::new(value),
        }
    }

    /// Takes a permit, waiting as long as it takes for one (`sem.acquire()`).
    pub fn acquire(&self) {
        self.acquire_within(WaitLimit::Forever);
    }

    /// Takes a permit if one is free now (`sem.acquire(blocking=False)`).
    #[doc(alias = "acquire")]
    pub fn try_acquire(&self) -> bool {
        self.acquire_within(WaitLimit::TryOnce)
    }

    /// Waits at most `timeout` for a permit (`sem.acquire(timeout=...)`); returns whether it
    /// took one. `Duration::ZERO` tries once; a timeout too large to form a deadline waits
    /// forever.
    #[doc(alias = "acquire")]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.acquire_within(WaitLimit::from_timeout(timeout))
    }

    // ANCHOR: acquire
    /// Takes a permit within `limit`: the fast path, then CPython's loop.
    #[inline]
    fn acquire_within(&self, limit: WaitLimit<R>) -> bool {
        if self.take_permit() {
            return true;
        }
        match limit {
            // The fast path was the one try. Taking the lock would show nothing more: a
            // release adds its permits in one atomic step, which the fast path just read.
            WaitLimit::TryOnce => false,
            WaitLimit::Forever | WaitLimit::Until(_) => self.acquire_slow(limit),
        }
    }

    /// Takes a permit if one is free, without the lock.
    #[inline]
    fn take_permit(&self) -> bool {
        let mut value = self.value.load(Relaxed);
        while value > 0 {
            // Acquire: pairs with the Release of the `release` that made this permit free,
            // so what the releaser did before releasing is visible to us (a semaphore of
            // one is a lock).
            match self
                .value
                .compare_exchange_weak(value, value - 1, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => value = now,
            }
        }
        false
    }

    /// CPython's `acquire`: under the condition's lock, wait until a permit can be taken.
    /// Checking under the lock is what makes the wait safe: a release adds its permits
    /// under the same lock before it notifies, so either we see them here or we are queued
    /// before the release looks for waiters.
    #[cold]
    fn acquire_slow(&self, limit: WaitLimit<R>) -> bool {
        let _held = self.cond.lock();
        let mut took_one = || self.take_permit();
        self.cond
            .wait_for_within(&mut took_one, limit)
            .expect("the semaphore's own lock is held")
    }
    // ANCHOR_END: acquire

    /// Gives back one permit, waking one waiter (`sem.release()`).
    ///
    /// # Panics
    /// If the count would overflow `usize`.
    pub fn release(&self) {
        self.release_n(1);
    }

    // ANCHOR: release
    /// Gives back `n` permits at once, waking up to `n` waiters (`sem.release(n)`).
    ///
    /// # Panics
    /// If `n` is 0 (Python's "n must be one or more"), or if the count would overflow.
    #[doc(alias = "release")]
    pub fn release_n(&self, n: usize) {
        assert_release_count(n);
        let _held = self.cond.lock();
        self.add_permits(n, usize::MAX)
            .expect("Semaphore value overflowed usize");
        self.cond
            .notify(n)
            .expect("the semaphore's own lock is held");
    }

    /// Adds `n` permits unless that would take the value above `bound`; the caller holds
    /// the lock. A compare-exchange loop, not a plain add, because fast-path acquirers
    /// take permits without the lock meanwhile (they only lower the value, so a check that
    /// passes stays true).
    fn add_permits(&self, n: usize, bound: usize) -> Result<(), TooManyReleases> {
        let mut value = self.value.load(Relaxed);
        loop {
            let raised = match value.checked_add(n) {
                Some(raised) if raised <= bound => raised,
                _ => return Err(TooManyReleases),
            };
            // Release: pairs with the Acquire of whoever takes these permits.
            match self
                .value
                .compare_exchange_weak(value, raised, Release, Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(now) => value = now,
            }
        }
    }
    // ANCHOR_END: release

    /// How many permits are free now (`sem._value`). A snapshot: it may change at once.
    #[doc(alias = "_value")]
    pub fn value(&self) -> usize {
        self.value.load(Relaxed)
    }

    /// Takes a permit and returns a guard that gives it back when dropped (`with sem:`).
    /// The guard may be sent to, and dropped on, another thread.
    pub fn permit(&self) -> SemaphorePermit<'_, R> {
        self.acquire();
        SemaphorePermit { semaphore: self }
    }

    /// [`permit`](Self::permit) without waiting: `None` if no permit is free now.
    pub fn try_permit(&self) -> Option<SemaphorePermit<'_, R>> {
        // Not `then_some`: that would build (and drop, so release) a permit on failure.
        if self.try_acquire() {
            Some(SemaphorePermit { semaphore: self })
        } else {
            None
        }
    }
}

/// Python raises `ValueError("n must be one or more")` for `release(0)`.
fn assert_release_count(n: usize) {
    assert!(n >= 1, "n must be one or more");
}

impl Default for Semaphore {
    /// One permit, as `threading.Semaphore()`.
    fn default() -> Self {
        Semaphore::new(1)
    }
}

impl<R: Runtime> fmt::Debug for Semaphore<R> {
    /// Like Python's repr (`<threading.Semaphore at ...: value=2>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("value", &self.value())
            .finish()
    }
}

/// A permit of a [`Semaphore`], given back when dropped: the `with sem:` block.
/// `Send`: a semaphore's permits belong to no thread.
#[must_use = "dropping the permit releases it at once"]
pub struct SemaphorePermit<'a, R: Runtime = Std> {
    semaphore: &'a Semaphore<R>,
}

impl<R: Runtime> SemaphorePermit<'_, R> {
    /// The semaphore this permit came from.
    pub fn semaphore(&self) -> &Semaphore<R> {
        self.semaphore
    }
}

impl<R: Runtime> Drop for SemaphorePermit<'_, R> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

impl<R: Runtime> fmt::Debug for SemaphorePermit<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("semaphore", self.semaphore)
            .finish()
    }
}

/// A [`Semaphore`] that refuses to be released above its initial value: Python's
/// `threading.BoundedSemaphore`, which catches a release without a matching acquire.
///
/// ```
/// use syncsmith::BoundedSemaphore;
///
/// let sem = BoundedSemaphore::new(2);
/// sem.acquire();
/// assert_eq!(sem.release_n(2).unwrap_err().to_string(), "Semaphore released too many times");
/// assert_eq!(sem.value(), 1); // all or nothing: the refused release changed nothing
/// sem.release().unwrap();
/// assert!(sem.release().is_err());
/// ```
#[doc(alias = "threading.BoundedSemaphore")]
pub struct BoundedSemaphore<R: Runtime = Std> {
    semaphore: Semaphore<R>,
    initial: usize,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `value` free permits, never more
    /// (`threading.BoundedSemaphore(value)`). `const`, so it can live in a `static`.
    pub const fn new(value: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            semaphore: Semaphore::new(value),
            initial: value,
        }
    }
}

impl<R: Runtime> BoundedSemaphore<R> {
    /// A bounded semaphore on runtime `R`.
    pub fn with_runtime(value: usize) -> Self {
        BoundedSemaphore {
            semaphore: Semaphore::with_runtime(value),
            initial: value,
        }
    }

    /// Takes a permit, waiting as long as it takes.
    pub fn acquire(&self) {
        self.semaphore.acquire()
    }

    /// Takes a permit if one is free now.
    #[doc(alias = "acquire")]
    pub fn try_acquire(&self) -> bool {
        self.semaphore.try_acquire()
    }

    /// Waits at most `timeout` for a permit; returns whether it took one.
    #[doc(alias = "acquire")]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.semaphore.acquire_timeout(timeout)
    }

    /// Gives back one permit; `Err` (and no change) if that would exceed the initial value.
    pub fn release(&self) -> Result<(), TooManyReleases> {
        self.release_n(1)
    }

    // ANCHOR: bounded_release
    /// Gives back `n` permits, all or nothing: if the value would exceed the initial value,
    /// nothing changes and the result is `Err(TooManyReleases)` ("Semaphore released too
    /// many times").
    ///
    /// # Panics
    /// If `n` is 0 (Python's "n must be one or more").
    #[doc(alias = "release")]
    pub fn release_n(&self, n: usize) -> Result<(), TooManyReleases> {
        assert_release_count(n);
        let semaphore = &self.semaphore;
        let _held = semaphore.cond.lock();
        semaphore.add_permits(n, self.initial)?;
        semaphore
            .cond
            .notify(n)
            .expect("the semaphore's own lock is held");
        Ok(())
    }
    // ANCHOR_END: bounded_release

    /// How many permits are free now. A snapshot.
    #[doc(alias = "_value")]
    pub fn value(&self) -> usize {
        self.semaphore.value()
    }

    /// The value it started with, which it may never exceed (`sem._initial_value`).
    #[doc(alias = "_initial_value")]
    pub fn initial_value(&self) -> usize {
        self.initial
    }

    /// Takes a permit and returns a guard that gives it back when dropped (`with sem:`).
    pub fn permit(&self) -> BoundedSemaphorePermit<'_, R> {
        self.acquire();
        BoundedSemaphorePermit { semaphore: self }
    }

    /// [`permit`](Self::permit) without waiting: `None` if no permit is free now.
    pub fn try_permit(&self) -> Option<BoundedSemaphorePermit<'_, R>> {
        if self.try_acquire() {
            Some(BoundedSemaphorePermit { semaphore: self })
        } else {
            None
        }
    }
}

impl Default for BoundedSemaphore {
    /// One permit, as `threading.BoundedSemaphore()`.
    fn default() -> Self {
        BoundedSemaphore::new(1)
    }
}

impl<R: Runtime> fmt::Debug for BoundedSemaphore<R> {
    /// Like Python's repr (`<threading.BoundedSemaphore at ...: value=1/2>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("value", &self.value())
            .field("initial_value", &self.initial)
            .finish()
    }
}

/// A permit of a [`BoundedSemaphore`], given back when dropped.
#[must_use = "dropping the permit releases it at once"]
pub struct BoundedSemaphorePermit<'a, R: Runtime = Std> {
    semaphore: &'a BoundedSemaphore<R>,
}

impl<R: Runtime> BoundedSemaphorePermit<'_, R> {
    /// The semaphore this permit came from.
    pub fn semaphore(&self) -> &BoundedSemaphore<R> {
        self.semaphore
    }
}

impl<R: Runtime> Drop for BoundedSemaphorePermit<'_, R> {
    fn drop(&mut self) {
        // Someone released by hand while this permit was out, so giving it back now would
        // exceed the bound. Python raises on leaving the `with` block; we panic, unless
        // already unwinding.
        if self.semaphore.release().is_err() && !std::thread::panicking() {
            panic!("BoundedSemaphorePermit dropped, but the semaphore is already at its initial value: Semaphore released too many times");
        }
    }
}

impl<R: Runtime> fmt::Debug for BoundedSemaphorePermit<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphorePermit")
            .field("semaphore", self.semaphore)
            .finish()
    }
}
