//! `Condition`: Python's `threading.Condition`, built the way CPython builds it.
//!
//! A condition is a lock (by default an [`RLock`]) plus a FIFO of waiters, and each waiter
//! is a [`Lock`] of its own. `wait` creates a waiter lock, acquires it, queues it, releases
//! the condition's lock, and then blocks trying to acquire the waiter lock a second time.
//! `notify` releases the oldest queued waiter locks; each release lets one blocked waiter
//! through. Nothing else is needed: the lock layer already knows how to park a thread and
//! how to wake it, and a notify that comes before the waiter blocks is not lost, because
//! it releases a lock the waiter has not yet tried to take a second time.
//!
//! Two refinements over CPython:
//! - The FIFO has a small lock of its own. CPython relies on the GIL and on the caller
//!   holding the condition's lock; over a plain `Lock`, which any thread may release,
//!   "holding" cannot be checked, and a data race on the queue would be undefined
//!   behaviour in Rust.
//! - A waiter whose timeout fires at the moment a notify picks it reports that it was
//!   notified. CPython's waiter returns `False` and the notification is lost; here, a
//!   waiter that times out takes the lock back, then removes itself from the FIFO (the
//!   order CPython uses), and if it is no longer there, a notifier took it, so `wait`
//!   returns `true`. Leaving the FIFO only with the lock held is what lets a notifier
//!   that holds the lock trust the FIFO: every thread inside `wait` is in it.

use crate::error::{NotOwned, ReleaseError};
use crate::lock::{Lock, WaitLimit};
use crate::rlock::RLock;
use crate::runtime::{AtomicInt, Cell, Runtime, Std};
use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::Ordering::Relaxed;
use core::time::Duration;
use std::collections::VecDeque;
use std::sync::Arc;

// ANCHOR: condition_lock
/// A lock a [`Condition`] can be built on: [`Lock`], [`RLock`], or a shared handle to one
/// (`&Lock`, `Arc<RLock>`, ...) so that several conditions share one lock.
///
/// `release_save` and `acquire_restore` are CPython's `_release_save` and
/// `_acquire_restore`: `wait` must release the lock completely (an `RLock` held three times
/// is released three times) and later restore exactly what it released.
pub trait ConditionLock {
    /// The runtime of the lock (and so of the condition's waiter locks).
    type Runtime: Runtime;
    /// What `release_save` hands to `acquire_restore` (an `RLock`'s recursion depth).
    type Saved;
    /// A marker that makes [`ConditionGuard`] `!Send` when the lock belongs to a thread.
    type GuardMarker: Default;

    /// Blocks until acquired.
    fn acquire(&self);
    /// Acquires without blocking; returns whether it did.
    fn try_acquire(&self) -> bool;
    /// Waits at most `timeout`; returns whether it acquired.
    fn acquire_timeout(&self, timeout: Duration) -> bool;
    /// Releases (one level, for an `RLock`).
    fn release(&self) -> Result<(), ReleaseError>;
    /// Whether the calling thread may wait or notify: for an `RLock`, it owns it; for a
    /// `Lock`, which has no owner, someone holds it (CPython's rule).
    fn is_owned(&self) -> bool;
    /// Releases completely, returning what `acquire_restore` needs.
    fn release_save(&self) -> Result<Self::Saved, ReleaseError>;
    /// Re-acquires what `release_save` released.
    fn acquire_restore(&self, saved: Self::Saved);
}
// ANCHOR_END: condition_lock

impl<R: Runtime> ConditionLock for Lock<R> {
    type Runtime = R;
    type Saved = ();
    type GuardMarker = ();

    fn acquire(&self) {
        Lock::acquire(self)
    }
    fn try_acquire(&self) -> bool {
        Lock::try_acquire(self)
    }
    fn acquire_timeout(&self, timeout: Duration) -> bool {
        Lock::acquire_timeout(self, timeout)
    }
    fn release(&self) -> Result<(), ReleaseError> {
        Lock::release(self)
    }
    fn is_owned(&self) -> bool {
        self.locked()
    }
    fn release_save(&self) -> Result<(), ReleaseError> {
        Lock::release(self)
    }
    fn acquire_restore(&self, (): ()) {
        Lock::acquire(self)
    }
}

impl<R: Runtime> ConditionLock for RLock<R> {
    type Runtime = R;
    type Saved = usize;
    type GuardMarker = PhantomData<std::sync::MutexGuard<'static, ()>>;

    fn acquire(&self) {
        RLock::acquire(self)
    }
    fn try_acquire(&self) -> bool {
        RLock::try_acquire(self)
    }
    fn acquire_timeout(&self, timeout: Duration) -> bool {
        RLock::acquire_timeout(self, timeout)
    }
    fn release(&self) -> Result<(), ReleaseError> {
        RLock::release(self)
    }
    fn is_owned(&self) -> bool {
        RLock::is_owned(self)
    }
    fn release_save(&self) -> Result<usize, ReleaseError> {
        RLock::release_save(self)
    }
    fn acquire_restore(&self, depth: usize) {
        RLock::acquire_restore(self, depth)
    }
}

/// Forwards every method through a handle, so `&L`, `Arc<L>` and `Box<L>` work as well.
macro_rules! forward_condition_lock {
    ($($handle:ty),*) => {$(
        impl<L: ConditionLock + ?Sized> ConditionLock for $handle {
            type Runtime = L::Runtime;
            type Saved = L::Saved;
            type GuardMarker = L::GuardMarker;

            fn acquire(&self) {
                (**self).acquire()
            }
            fn try_acquire(&self) -> bool {
                (**self).try_acquire()
            }
            fn acquire_timeout(&self, timeout: Duration) -> bool {
                (**self).acquire_timeout(timeout)
            }
            fn release(&self) -> Result<(), ReleaseError> {
                (**self).release()
            }
            fn is_owned(&self) -> bool {
                (**self).is_owned()
            }
            fn release_save(&self) -> Result<L::Saved, ReleaseError> {
                (**self).release_save()
            }
            fn acquire_restore(&self, saved: L::Saved) {
                (**self).acquire_restore(saved)
            }
        }
    )*};
}
forward_condition_lock!(&L, Arc<L>, Box<L>);

// ANCHOR: waiter_queue
/// The waiter FIFO of a condition: per-waiter locks, oldest first, behind a small lock of
/// its own. [`Condition`] is a lock plus one of these; the queue module shares one lock
/// among three of them, as CPython's `queue.Queue` shares one lock among three conditions.
pub(crate) struct WaiterQueue<R: Runtime> {
    /// Guards `waiters`. Held only for a push, a pop or a search, never while blocking.
    guard: Lock<R>,
    waiters: R::Cell<VecDeque<Arc<Lock<R>>>>,
    /// `waiters.len()`, kept beside it so that `notify` can see "nobody waits" without
    /// taking `guard` (see `notify` for why that read is enough). Written only with `guard`
    /// held.
    queued: R::AtomicUsize,
}
// ANCHOR_END: waiter_queue

// SAFETY: `waiters` is only touched while `guard` is held (see `with_waiters`), which makes
// every access exclusive; the `Arc<Lock<R>>` it holds are `Send + Sync`.
unsafe impl<R: Runtime> Sync for WaiterQueue<R> {}

impl WaiterQueue<Std> {
    /// An empty queue; `const` for `static` conditions.
    pub(crate) const fn new() -> Self {
        WaiterQueue {
            guard: Lock::new(),
            waiters: crate::runtime::StdCell::new(VecDeque::new()),
            queued: core::sync::atomic::AtomicUsize::new(0),
        }
    }
}

impl<R: Runtime> WaiterQueue<R> {
    /// An empty queue on runtime `R`.
    pub(crate) fn with_runtime() -> Self {
        WaiterQueue {
            guard: Lock::with_runtime(),
            waiters: <R::Cell<_> as Cell<_>>::new(VecDeque::new()),
            queued: <R::AtomicUsize as AtomicInt>::new(0),
        }
    }

    /// Runs `f` on the FIFO with its guard held, and keeps `queued` equal to its length.
    fn with_waiters<T>(&self, f: impl FnOnce(&mut VecDeque<Arc<Lock<R>>>) -> T) -> T {
        self.guard.acquire();
        let result = self.waiters.with_mut(|waiters| {
            // SAFETY: `guard` is held, so no other thread is inside `with_waiters`; the
            // reference does not outlive the closure.
            let waiters = unsafe { &mut *waiters };
            let result = f(waiters);
            // Relaxed: `guard` orders this store with every other one; for the read in
            // `notify`, the caller's own lock provides the order (see there).
            self.queued.store(waiters.len(), Relaxed);
            result
        });
        self.guard
            .release()
            .expect("the waiter queue's guard is held by this call");
        result
    }

    // ANCHOR: wait
    /// CPython's `Condition.wait`: queue a fresh waiter lock, release `lock` completely,
    /// block on the waiter lock, restore `lock`. Returns whether a notify picked us.
    /// The caller has checked that it owns `lock`.
    pub(crate) fn wait<L>(&self, lock: &L, limit: WaitLimit<R>) -> Result<bool, NotOwned>
    where
        L: ConditionLock<Runtime = R> + ?Sized,
    {
        let waiter = Arc::new(Lock::<R>::with_runtime());
        // A fresh lock: this cannot block. The second acquire below will, until a notify
        // releases it.
        waiter.acquire();
        self.with_waiters(|waiters| waiters.push_back(Arc::clone(&waiter)));
        // Queued before the lock is released, so that a notify after the release finds us.
        // If a user lock's `release_save` or `acquire_restore` panics, the unwind drops
        // this and takes us out: a dead waiter left queued would swallow a notify.
        let queued = Queued {
            queue: self,
            waiter: &waiter,
        };
        let saved = match lock.release_save() {
            Ok(saved) => saved,
            Err(_) => {
                // Only a racing misuse gets here (a plain `Lock` released by another thread
                // between the caller's ownership check and now). Leave no waiter behind.
                queued.leave();
                return Err(NotOwned::wait());
            }
        };
        let picked = waiter.acquire_within(limit);
        lock.acquire_restore(saved);
        if picked {
            // The notifier that released our waiter lock took us out of the FIFO.
            queued.already_left();
            return Ok(true);
        }
        // Timed out: leave the FIFO only now that we hold the lock again (CPython's order).
        // Until then we are still waiting, and a notifier holding the lock across our
        // deadline must find us; had we left first, its notify would wake nobody. If we
        // are no longer queued, a notifier picked us after the deadline fired (or at the
        // same moment): report the notification rather than lose it.
        Ok(!queued.leave())
    }
    // ANCHOR_END: wait

    /// Takes `waiter` out of the FIFO; returns whether it was still there.
    /// (Only `Queued` calls it, so that no path out of `wait` can forget it.)
    fn remove(&self, waiter: &Arc<Lock<R>>) -> bool {
        self.with_waiters(|waiters| {
            match waiters
                .iter()
                .position(|queued| Arc::ptr_eq(queued, waiter))
            {
                Some(at) => {
                    waiters.remove(at);
                    true
                }
                None => false,
            }
        })
    }

    // ANCHOR: notify
    /// Wakes up to `n` waiters, oldest first; returns how many it woke. The caller holds
    /// the lock the waiters released in `wait`.
    pub(crate) fn notify(&self, n: usize) -> usize {
        // Fast path: nobody waits, so there is nothing to do and no need for `guard`.
        // Relaxed is enough because the caller holds the outer lock: a waiter counts itself
        // in `queued` before it releases that lock (`wait`), and the caller acquired the
        // lock after that release, so the count happens-before this load and the load sees
        // it. A waiter leaves the FIFO only with the lock held (or when its wait fails and
        // it never waited), so while the caller holds the lock, nobody leaves.
        if self.queued.load(Relaxed) == 0 {
            return 0;
        }
        self.notify_slow(n)
    }

    /// `notify` when someone may be queued: pop and release waiter locks one by one.
    #[cold]
    fn notify_slow(&self, n: usize) -> usize {
        let mut woken = 0;
        while woken < n {
            // One at a time, so the FIFO's guard is never held across a wake-up.
            let Some(waiter) = self.with_waiters(VecDeque::pop_front) else {
                break;
            };
            // The waiter acquired this lock before queueing itself, and only the notifier
            // that dequeues it releases it: the release cannot fail.
            waiter
                .release()
                .expect("a queued waiter's lock is held until it is notified");
            woken += 1;
        }
        woken
    }
    // ANCHOR_END: notify

    /// How many threads are queued. A snapshot; exact when the caller holds the lock the
    /// waiters released (the same argument as in `notify`).
    pub(crate) fn len(&self) -> usize {
        self.queued.load(Relaxed)
    }
}

/// A waiter that `wait` has put in the FIFO, until it is known to be out again: either
/// `wait` takes it out (`leave`), or a notifier did (`already_left`), or an unwind drops it,
/// which takes it out.
struct Queued<'a, R: Runtime> {
    queue: &'a WaiterQueue<R>,
    waiter: &'a Arc<Lock<R>>,
}

impl<R: Runtime> Queued<'_, R> {
    /// Takes the waiter out of the FIFO; returns whether it was still there (if not, a
    /// notifier picked it).
    fn leave(self) -> bool {
        let still_queued = self.queue.remove(self.waiter);
        core::mem::forget(self);
        still_queued
    }

    /// A notifier dequeued the waiter: nothing to undo. (It holds only references, so
    /// forgetting it leaks nothing.)
    fn already_left(self) {
        core::mem::forget(self);
    }
}

impl<R: Runtime> Drop for Queued<'_, R> {
    /// Only on an unwind out of the user's lock: the normal paths end in `leave` or
    /// `already_left`.
    fn drop(&mut self) {
        self.queue.remove(self.waiter);
    }
}

/// A condition variable: Python's `threading.Condition`.
///
/// `Condition` (no parameters) is `Condition<RLock>`, Python's default. Build one over a
/// [`Lock`] with [`Condition::with_lock`], or over a shared handle (`&Lock`, `Arc<Lock>`)
/// so that several conditions share one lock.
///
/// ```
/// use std::sync::Arc;
/// use syncsmith::Condition;
///
/// let ready = Arc::new((Condition::new(), std::sync::atomic::AtomicBool::new(false)));
/// let waiter = {
///     let ready = Arc::clone(&ready);
///     std::thread::spawn(move || {
///         let (cond, flag) = &*ready;
///         let _held = cond.lock();
///         cond.wait_for(|| flag.load(std::sync::atomic::Ordering::Relaxed)).unwrap();
///     })
/// };
/// {
///     let (cond, flag) = &*ready;
///     let _held = cond.lock();
///     flag.store(true, std::sync::atomic::Ordering::Relaxed);
///     cond.notify_all().unwrap();
/// }
/// waiter.join().unwrap();
///
/// // Waiting without the lock is an error, with Python's message.
/// let cond = Condition::new();
/// assert_eq!(cond.wait().unwrap_err().to_string(), "cannot wait on un-acquired lock");
/// ```
#[doc(alias = "threading.Condition")]
pub struct Condition<L: ConditionLock = RLock> {
    lock: L,
    waiters: WaiterQueue<L::Runtime>,
}

static_assertions::assert_impl_all!(Condition: Send, Sync);
static_assertions::assert_impl_all!(Condition<Lock>: Send, Sync);
static_assertions::assert_impl_all!(ConditionGuard<'static, Lock>: Send, Sync);
static_assertions::assert_not_impl_any!(ConditionGuard<'static, RLock>: Send);

impl Condition {
    /// A condition over a new `RLock`, as `threading.Condition()`.
    pub const fn new() -> Condition {
        Condition {
            lock: RLock::new(),
            waiters: WaiterQueue::new(),
        }
    }
}

impl<L: ConditionLock<Runtime = Std>> Condition<L> {
    /// [`with_lock`](Condition::with_lock), but `const`, for a condition over a lock of the
    /// real runtime that lives in a `static` (or inside a primitive with a `const fn new`,
    /// as [`Semaphore`](crate::Semaphore) and [`Event`](crate::Event) are):
    ///
    /// ```
    /// use syncsmith::{Condition, Lock};
    /// static COND: Condition<Lock> = Condition::const_with_lock(Lock::new());
    /// let _held = COND.lock();
    /// ```
    pub const fn const_with_lock(lock: L) -> Condition<L> {
        Condition {
            lock,
            waiters: WaiterQueue::new(),
        }
    }
}

impl<L: ConditionLock> Condition<L> {
    /// A condition over `lock` (`threading.Condition(lock)`).
    pub fn with_lock(lock: L) -> Condition<L> {
        Condition {
            lock,
            waiters: WaiterQueue::with_runtime(),
        }
    }

    /// The lock this condition is built on.
    pub fn get_lock(&self) -> &L {
        &self.lock
    }

    /// Acquires the underlying lock.
    pub fn acquire(&self) {
        self.lock.acquire()
    }

    /// Acquires the underlying lock if that needs no waiting.
    pub fn try_acquire(&self) -> bool {
        self.lock.try_acquire()
    }

    /// Waits at most `timeout` for the underlying lock.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.lock.acquire_timeout(timeout)
    }

    /// Releases the underlying lock.
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.lock.release()
    }

    /// Acquires the underlying lock and returns a guard that releases it (`with cond:`).
    pub fn lock(&self) -> ConditionGuard<'_, L> {
        self.lock.acquire();
        ConditionGuard {
            condition: self,
            _marker: L::GuardMarker::default(),
        }
    }

    /// Waits until notified. The lock must be held; it is released while waiting and held
    /// again (at the same recursion depth) when `wait` returns. No spurious wake-ups: `wait`
    /// returns only after a notify picked this waiter.
    pub fn wait(&self) -> Result<(), NotOwned> {
        self.wait_within(WaitLimit::Forever).map(|_| ())
    }

    /// Waits until notified or until `timeout` passes; `Ok(false)` on timeout. A waiter that
    /// a notify picks returns `Ok(true)` even if its timeout fired at the same moment.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool, NotOwned> {
        self.wait_within(WaitLimit::from_timeout(timeout))
    }

    /// Waits until `predicate` returns true: checks it once first, then after each wake-up.
    /// Unlike CPython, calling it without the lock is an error even if the predicate is
    /// already true: the predicate reads state the lock protects.
    pub fn wait_for(&self, mut predicate: impl FnMut() -> bool) -> Result<(), NotOwned> {
        self.wait_for_within(&mut predicate, WaitLimit::Forever)
            .map(|_| ())
    }

    /// As [`wait_for`](Self::wait_for), giving up after `timeout` (one deadline for all the
    /// waits); returns the predicate's last value.
    pub fn wait_for_timeout(
        &self,
        mut predicate: impl FnMut() -> bool,
        timeout: Duration,
    ) -> Result<bool, NotOwned> {
        self.wait_for_within(&mut predicate, WaitLimit::from_timeout(timeout))
    }

    /// Wakes up to `n` waiters, oldest first. The lock must be held.
    pub fn notify(&self, n: usize) -> Result<(), NotOwned> {
        if !self.lock.is_owned() {
            return Err(NotOwned::notify());
        }
        self.waiters.notify(n);
        Ok(())
    }

    /// Wakes the oldest waiter, if any.
    pub fn notify_one(&self) -> Result<(), NotOwned> {
        self.notify(1)
    }

    /// Wakes every thread waiting now.
    pub fn notify_all(&self) -> Result<(), NotOwned> {
        // The waiters of this moment: as CPython, a thread that starts waiting during
        // `notify_all` (possible only if the lock is misused) is not woken by it.
        self.notify(self.waiters.len())
    }

    /// How many threads are queued in `wait` on this condition: exact while the caller
    /// holds the lock (a waiter joins the FIFO before it releases the lock and leaves it
    /// only once it holds the lock again, or when a notifier dequeues it). For tests and
    /// models, which check with it that nobody is left queued; not part of the API
    /// contract.
    #[doc(hidden)]
    pub fn waiter_count(&self) -> usize {
        self.waiters.len()
    }

    /// `wait` with a limit shared by the callers' loops.
    pub(crate) fn wait_within(&self, limit: WaitLimit<L::Runtime>) -> Result<bool, NotOwned> {
        if !self.lock.is_owned() {
            return Err(NotOwned::wait());
        }
        self.waiters.wait(&self.lock, limit)
    }

    // ANCHOR: wait_for
    /// `wait_for` with a limit: every wait uses the same deadline.
    pub(crate) fn wait_for_within(
        &self,
        predicate: &mut dyn FnMut() -> bool,
        limit: WaitLimit<L::Runtime>,
    ) -> Result<bool, NotOwned> {
        if !self.lock.is_owned() {
            return Err(NotOwned::wait());
        }
        loop {
            if predicate() {
                return Ok(true);
            }
            if !self.waiters.wait(&self.lock, limit)? {
                // Timed out: the predicate may still have become true meanwhile.
                return Ok(predicate());
            }
        }
    }
    // ANCHOR_END: wait_for
}

impl Default for Condition {
    /// Over a new `RLock`, as `threading.Condition()`. (On the `Std` runtime only, so that
    /// `Condition::default()` needs no type annotation; other runtimes use `with_lock`.)
    fn default() -> Self {
        Condition::new()
    }
}

impl<L: ConditionLock + fmt::Debug> fmt::Debug for Condition<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("lock", &self.lock)
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

/// Holds a [`Condition`]'s lock and releases it when dropped: `with cond:`.
/// `Send` over a `Lock`, not over an `RLock` (which belongs to its owner).
#[must_use = "dropping the guard releases the lock at once"]
pub struct ConditionGuard<'a, L: ConditionLock = RLock> {
    condition: &'a Condition<L>,
    _marker: L::GuardMarker,
}

impl<L: ConditionLock> ConditionGuard<'_, L> {
    /// The condition whose lock this guard holds.
    pub fn condition(&self) -> &Condition<L> {
        self.condition
    }
}

impl<L: ConditionLock> Drop for ConditionGuard<'_, L> {
    fn drop(&mut self) {
        if self.condition.release().is_err() && !std::thread::panicking() {
            panic!("ConditionGuard dropped, but the condition's lock was already released");
        }
    }
}

impl<L: ConditionLock + fmt::Debug> fmt::Debug for ConditionGuard<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionGuard")
            .field("condition", self.condition)
            .finish()
    }
}
