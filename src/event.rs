//! `Event`: Python's `threading.Event`, a flag that threads can wait for.
//!
//! CPython builds it from a boolean and a [`Condition`] over a plain [`Lock`]: `set` raises
//! the flag and notifies every waiter, `clear` lowers it, `wait` returns at once if the flag
//! is up and otherwise waits for a notify. `wait` does not re-check the flag after it is
//! woken: a waiter that `set` woke returns `true` even if another thread cleared the flag
//! before the waiter ran again, so a quick `set(); clear();` still releases every thread
//! that was waiting. That is Python's promise and this file keeps it.
//!
//! One fast path, which the benchmark paid for: `wait` on an event that is already set
//! (a start gate that has opened) reads the flag with one atomic load and returns, without
//! the lock. `set` stores the flag with `Release` and the fast path loads it with
//! `Acquire`, so what the setter wrote before `set` is visible to a thread that returns
//! from `wait` either way.

use crate::condition::Condition;
use crate::lock::{Lock, WaitLimit};
use crate::runtime::{AtomicInt, Runtime, Std};
use core::fmt;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::time::Duration;

/// The flag is down.
const UNSET: u8 = 0;
/// The flag is up.
const SET: u8 = 1;

/// A flag that threads can wait for: Python's `threading.Event`.
///
/// ```
/// use syncsmith::Event;
/// use std::time::Duration;
///
/// static START: Event = Event::new();
/// let worker = std::thread::spawn(|| {
///     START.wait();
///     "started"
/// });
/// START.set();
/// assert_eq!(worker.join().unwrap(), "started");
/// START.clear();
/// assert!(!START.wait_timeout(Duration::from_millis(1)));
/// ```
#[doc(alias = "threading.Event")]
pub struct Event<R: Runtime = Std> {
    /// Queues the waiting threads; its lock serialises `set`, `clear` and a waiter's
    /// check-then-wait.
    cond: Condition<Lock<R>>,
    /// `SET` or `UNSET`. Written only under `cond`'s lock; read without it by `is_set` and
    /// the fast path of `wait`.
    flag: R::AtomicU8,
}

static_assertions::assert_impl_all!(Event: Send, Sync);

impl Event {
    /// A new event, not set (`threading.Event()`). `const`, so it can live in a `static`.
    pub const fn new() -> Event {
        Event {
            cond: Condition::const_with_lock(Lock::new()),
            flag: core::sync::atomic::AtomicU8::new(UNSET),
        }
    }
}

impl<R: Runtime> Event<R> {
    /// A new event, not set, on runtime `R`.
    pub fn with_runtime() -> Self {
        Event {
            cond: Condition::with_lock(Lock::with_runtime()),
            flag: <R::AtomicU8 as AtomicInt>::new(UNSET),
        }
    }

    /// Whether the flag is up (`event.is_set()`). A snapshot.
    #[doc(alias = "isSet")]
    pub fn is_set(&self) -> bool {
        // Acquire: as in `wait`'s fast path, a thread that sees the flag up also sees what
        // the setter wrote before `set`.
        self.flag.load(Acquire) == SET
    }

    // ANCHOR: set
    /// Raises the flag and wakes every waiting thread (`event.set()`). Threads that wait
    /// later return at once, until [`clear`](Self::clear).
    pub fn set(&self) {
        let _held = self.cond.lock();
        // Release: pairs with the Acquire loads of `is_set` and `wait`'s fast path, which do
        // not take the lock.
        self.flag.store(SET, Release);
        self.cond
            .notify_all()
            .expect("the event's own lock is held");
    }
    // ANCHOR_END: set

    /// Lowers the flag (`event.clear()`): later waits block until the next `set`.
    pub fn clear(&self) {
        let _held = self.cond.lock();
        self.flag.store(UNSET, Relaxed);
    }

    /// Waits until the flag is up (`event.wait()`).
    pub fn wait(&self) {
        self.wait_within(WaitLimit::Forever);
    }

    /// Waits at most `timeout` for the flag (`event.wait(timeout)`); returns `true` if the
    /// flag was up when called or a `set` woke this thread, `false` on timeout.
    /// `Duration::ZERO` only looks; a timeout too large to form a deadline waits forever.
    #[doc(alias = "wait")]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_within(WaitLimit::from_timeout(timeout))
    }

    // ANCHOR: wait
    /// The fast path: the flag is up, return at once.
    #[inline]
    fn wait_within(&self, limit: WaitLimit<R>) -> bool {
        if self.is_set() {
            return true;
        }
        match limit {
            // Only looking: the flag was down just now.
            WaitLimit::TryOnce => false,
            WaitLimit::Forever | WaitLimit::Until(_) => self.wait_slow(limit),
        }
    }

    /// CPython's `wait`: under the lock, return if the flag is up, else wait once. Only
    /// `set` notifies, so being notified means the flag was raised, even if it has been
    /// cleared again since.
    #[cold]
    fn wait_slow(&self, limit: WaitLimit<R>) -> bool {
        let _held = self.cond.lock();
        if self.flag.load(Relaxed) == SET {
            return true;
        }
        self.cond
            .wait_within(limit)
            .expect("the event's own lock is held")
    }
    // ANCHOR_END: wait
}

impl Default for Event {
    /// Not set, as `threading.Event()`. (On the `Std` runtime only, so that
    /// `Event::default()` needs no type annotation.)
    fn default() -> Self {
        Event::new()
    }
}

impl<R: Runtime> fmt::Debug for Event<R> {
    /// Like Python's repr (`<threading.Event at ...: set>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish()
    }
}
