//! `RLock`: Python's `threading.RLock`, a lock its owner may acquire again.
//!
//! It is a [`Lock`] plus two words: the id of the owning thread and how many times it has
//! acquired. Only the owner ever changes them, and only while it holds the inner lock, so
//! they need no ordering of their own (the inner lock's acquire and release provide it);
//! they are atomics only so that other threads may read them (`is_owned`, `Debug`) without
//! a data race.

use crate::error::ReleaseError;
use crate::lock::Lock;
use crate::runtime::{AtomicInt, Runtime, Std};
use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::Ordering::Relaxed;
use core::time::Duration;

/// No thread owns the lock. Thread ids from the runtime are never 0.
const NO_OWNER: usize = 0;

/// A re-entrant lock: the thread that holds it may acquire it again, and must release it as
/// many times. Python's `threading.RLock`.
///
/// ```
/// use syncsmith::RLock;
///
/// let lock = RLock::new();
/// let _outer = lock.lock();
/// let _inner = lock.lock(); // the owner may re-enter
/// assert!(lock.is_owned());
///
/// // Another thread does not own it, so it may not release it.
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         let err = lock.release().unwrap_err();
///         assert_eq!(err.to_string(), "cannot release un-acquired lock");
///     });
/// });
/// assert!(!RLock::default().locked());
/// ```
// ANCHOR: struct
#[doc(alias = "threading.RLock")]
pub struct RLock<R: Runtime = Std> {
    lock: Lock<R>,
    owner: R::AtomicUsize,
    count: R::AtomicUsize,
}
// ANCHOR_END: struct

static_assertions::assert_impl_all!(RLock: Send, Sync);
static_assertions::assert_not_impl_any!(RLockGuard<'static>: Send);

impl RLock {
    /// A new, unlocked re-entrant lock. `const`, so it can live in a `static`.
    pub const fn new() -> RLock {
        RLock {
            lock: Lock::new(),
            owner: core::sync::atomic::AtomicUsize::new(NO_OWNER),
            count: core::sync::atomic::AtomicUsize::new(0),
        }
    }
}

impl<R: Runtime> RLock<R> {
    /// A new, unlocked re-entrant lock on runtime `R`.
    pub fn with_runtime() -> Self {
        RLock {
            lock: Lock::with_runtime(),
            owner: <R::AtomicUsize as AtomicInt>::new(NO_OWNER),
            count: <R::AtomicUsize as AtomicInt>::new(0),
        }
    }

    // ANCHOR: acquire
    /// Blocks until the calling thread holds the lock; re-entrant for the owner.
    pub fn acquire(&self) {
        self.acquire_with(|lock| {
            lock.acquire();
            true
        });
    }

    /// Acquires if that needs no waiting: the caller owns it already, or it is free.
    pub fn try_acquire(&self) -> bool {
        self.acquire_with(Lock::try_acquire)
    }

    /// Waits at most `timeout`; returns whether the calling thread now holds the lock.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.acquire_with(|lock| lock.acquire_timeout(timeout))
    }

    /// The owner re-enters at once; anyone else takes the inner lock with `take` and, if that
    /// succeeds, becomes the owner with a count of one.
    fn acquire_with(&self, take: impl FnOnce(&Lock<R>) -> bool) -> bool {
        self.acquire_as(R::thread_id(), take)
    }

    /// `acquire_with` for the calling thread, whose id `me` the caller has already read
    /// (`lock` keeps it in the guard).
    #[inline]
    fn acquire_as(&self, me: usize, take: impl FnOnce(&Lock<R>) -> bool) -> bool {
        // Relaxed: only this thread ever stores `me` here, so reading `me` means we stored it
        // and still own the lock; any other value means we do not.
        if self.owner.load(Relaxed) == me {
            let count = self.count.load(Relaxed);
            let deeper = count
                .checked_add(1)
                .expect("RLock recursion count overflowed");
            self.count.store(deeper, Relaxed);
            return true;
        }
        if !take(&self.lock) {
            return false;
        }
        self.count.store(1, Relaxed);
        self.owner.store(me, Relaxed);
        true
    }
    // ANCHOR_END: acquire

    // ANCHOR: release
    /// Releases one level; the lock is freed when the owner has released as many times as it
    /// acquired. A thread that does not own the lock gets `Err` ("cannot release un-acquired
    /// lock") and nothing changes.
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.release_as(R::thread_id())
    }

    /// `release` for the calling thread, whose id is `me`: a guard passes the id it read
    /// when it acquired, so that a nested release costs no second thread-id lookup.
    /// Relaxed, as in `acquire_as`: only `me` ever stores `me`.
    #[inline]
    fn release_as(&self, me: usize) -> Result<(), ReleaseError> {
        if self.owner.load(Relaxed) != me {
            return Err(ReleaseError::not_owner());
        }
        let remaining = self.count.load(Relaxed) - 1;
        self.count.store(remaining, Relaxed);
        if remaining == 0 {
            self.free_inner_lock();
        }
        Ok(())
    }

    /// The owner gives up the lock entirely.
    fn free_inner_lock(&self) {
        // Clear the owner before freeing the inner lock: once it is free, another thread may
        // take it and store its own id.
        self.owner.store(NO_OWNER, Relaxed);
        self.lock
            .release()
            .expect("an RLock's owner holds its inner lock");
    }
    // ANCHOR_END: release

    // ANCHOR: save_restore
    /// Releases every level at once and returns the depth, for `Condition::wait`
    /// (CPython's `_release_save`).
    pub(crate) fn release_save(&self) -> Result<usize, ReleaseError> {
        if !self.is_owned() {
            return Err(ReleaseError::not_owner());
        }
        let depth = self.count.swap(0, Relaxed);
        self.free_inner_lock();
        Ok(depth)
    }

    /// Re-acquires the lock at the depth `release_save` returned (CPython's
    /// `_acquire_restore`).
    pub(crate) fn acquire_restore(&self, depth: usize) {
        self.lock.acquire();
        self.count.store(depth, Relaxed);
        self.owner.store(R::thread_id(), Relaxed);
    }
    // ANCHOR_END: save_restore

    /// Whether the calling thread holds the lock (`rlock._is_owned()`).
    pub fn is_owned(&self) -> bool {
        self.owner.load(Relaxed) == R::thread_id()
    }

    /// Whether any thread holds the lock (`rlock.locked()`). A snapshot.
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Acquires (re-entrantly) and returns a guard that releases one level when dropped.
    pub fn lock(&self) -> RLockGuard<'_, R> {
        let me = R::thread_id();
        self.acquire_as(me, |lock| {
            lock.acquire();
            true
        });
        RLockGuard {
            lock: self,
            owner: me,
            _not_send: PhantomData,
        }
    }
}

// For the real runtime only, so that `RLock::default()` needs no type annotation.
impl Default for RLock {
    fn default() -> Self {
        RLock::new()
    }
}

impl<R: Runtime> fmt::Debug for RLock<R> {
    /// Like Python's repr: locked or not, the owner's id and the recursion count. A
    /// snapshot read without the lock, so owner and count may be from different moments.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let owner = self.owner.load(Relaxed);
        f.debug_struct("RLock")
            .field("locked", &self.locked())
            .field("owner", &(owner != NO_OWNER).then_some(owner))
            .field("count", &self.count.load(Relaxed))
            .finish()
    }
}

/// Holds one level of an [`RLock`] and releases it when dropped. Not `Send`: an `RLock`
/// belongs to the thread that acquired it.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RLockGuard<'a, R: Runtime = Std> {
    lock: &'a RLock<R>,
    /// The id of the thread that acquired, which is the thread that drops the guard (it is
    /// not `Send`): the guard's release checks ownership against it without looking the
    /// thread id up again. The check stays, because the owner may have released this
    /// level by hand meanwhile.
    owner: usize,
    // `MutexGuard` is `!Send` and `Sync`: the same rules as ours, without `unsafe`.
    _not_send: PhantomData<std::sync::MutexGuard<'static, ()>>,
}

impl<R: Runtime> Drop for RLockGuard<'_, R> {
    fn drop(&mut self) {
        if self.lock.release_as(self.owner).is_err() && !std::thread::panicking() {
            panic!("RLockGuard dropped, but this thread no longer owns the lock: cannot release un-acquired lock");
        }
    }
}

impl<R: Runtime> fmt::Debug for RLockGuard<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard")
            .field("lock", self.lock)
            .finish()
    }
}
