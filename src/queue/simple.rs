//! `SimpleQueue`: Python's `queue.SimpleQueue`, an unbounded FIFO without task tracking.
//!
//! CPython writes it in C, apart from `Queue`, because it can be much simpler: a `put`
//! never blocks (there is no bound), there is no unfinished-task count and no shutdown, so
//! only getters ever wait. Here it is one [`Lock`], a ring buffer, and one waiter FIFO for
//! getters. A `put` with nobody waiting (the common case) is a lock, a push, one load and
//! an unlock: `WaiterQueue::notify` sees its `queued` count at zero and returns without
//! taking the FIFO's guard (exact, because `put` holds the queue's lock; see
//! `condition.rs`). A `get` on an empty queue spins before it parks, as `Queue`'s does
//! (`spin.rs`), watching a relaxed copy of the length.

use super::spin;
use crate::condition::WaiterQueue;
use crate::error::GetError;
use crate::lock::{Lock, WaitLimit};
use crate::runtime::{AtomicInt, Cell, Runtime, Std, StdCell};
use core::fmt;
use core::time::Duration;
use std::collections::VecDeque;

/// An unbounded first-in, first-out queue: Python's `queue.SimpleQueue`. `put` never
/// blocks and never fails; there is no `task_done`/`join` and no shutdown.
///
/// ```
/// use syncsmith::SimpleQueue;
/// use std::time::Duration;
///
/// let q = SimpleQueue::new();
/// std::thread::scope(|s| {
///     s.spawn(|| (0..3).for_each(|i| q.put(i)));
///     let got: Vec<i32> = (0..3).map(|_| q.get()).collect();
///     assert_eq!(got, [0, 1, 2]);
/// });
/// assert!(q.get_timeout(Duration::from_millis(1)).is_err());
/// ```
#[doc(alias = "queue.SimpleQueue")]
pub struct SimpleQueue<T, R: Runtime = Std> {
    /// Guards `state`.
    mutex: Lock<R>,
    /// Getters waiting for an item.
    not_empty: WaiterQueue<R>,
    /// The items; touched only while `mutex` is held.
    items: R::Cell<VecDeque<T>>,
    /// The number of items, copied here under the lock, for a spinning `get` (a hint
    /// only; see `spin.rs`). Never written or read under loom.
    len_hint: R::AtomicUsize,
}

// SAFETY: the items are only touched while `mutex` is held, so sharing the queue only
// moves items from thread to thread, which `T: Send` allows.
unsafe impl<T: Send, R: Runtime> Sync for SimpleQueue<T, R> {}

static_assertions::assert_impl_all!(SimpleQueue<u32>: Send, Sync, Default);
static_assertions::assert_impl_all!(SimpleQueue<core::cell::Cell<u32>>: Send, Sync);
static_assertions::assert_not_impl_any!(SimpleQueue<std::rc::Rc<u32>>: Send, Sync);

impl<T> SimpleQueue<T> {
    /// A new, empty queue. `const`, so it can live in a `static`.
    pub const fn new() -> Self {
        SimpleQueue {
            mutex: Lock::new(),
            not_empty: WaiterQueue::new(),
            items: StdCell::new(VecDeque::new()),
            len_hint: core::sync::atomic::AtomicUsize::new(0),
        }
    }
}

impl<T, R: Runtime> SimpleQueue<T, R> {
    /// A new, empty queue on runtime `R`.
    pub fn with_runtime() -> Self {
        SimpleQueue {
            mutex: Lock::with_runtime(),
            not_empty: WaiterQueue::with_runtime(),
            items: <R::Cell<_> as Cell<_>>::new(VecDeque::new()),
            len_hint: <R::AtomicUsize as AtomicInt>::new(0),
        }
    }

    // ANCHOR: simple_put
    /// Adds `item` at the back. Never blocks (`put`, and also `put_nowait`).
    #[doc(alias = "put_nowait")]
    pub fn put(&self, item: T) {
        let mut held = self.lock();
        held.with(|items| items.push_back(item));
        held.publish_len();
        // Still under the lock, so the notify's "nobody queued" fast path is exact: a getter
        // that saw the queue empty was queued before it let the lock go.
        self.not_empty.notify(1);
    }
    // ANCHOR_END: simple_put

    /// Takes the item at the front, waiting while the queue is empty.
    pub fn get(&self) -> T {
        match self.get_within(WaitLimit::Forever) {
            Ok(item) => item,
            // Without a limit the loop below only ends with an item.
            Err(_) => unreachable!("a get without a timeout waits until it has an item"),
        }
    }

    /// Takes the item at the front if there is one now (`get_nowait`).
    #[doc(alias = "get_nowait")]
    pub fn try_get(&self) -> Result<T, GetError> {
        self.get_within(WaitLimit::TryOnce)
    }

    /// Takes the item at the front, waiting at most `timeout` for one.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.get_within(WaitLimit::from_timeout(timeout))
    }

    /// How many items the queue holds. A snapshot.
    pub fn qsize(&self) -> usize {
        self.lock().with(|items| items.len())
    }

    /// Whether the queue holds no item. A snapshot.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    // ANCHOR: simple_get
    fn get_within(&self, limit: WaitLimit<R>) -> Result<T, GetError> {
        let mut held = self.lock();
        let mut timed_out = false;
        let mut spun = false;
        loop {
            if let Some(item) = held.with(VecDeque::pop_front) {
                held.publish_len();
                return Ok(item);
            }
            if timed_out || matches!(limit, WaitLimit::TryOnce) {
                return Err(GetError::Empty);
            }
            // Once per call, before the first park: spin without the lock until a `put`
            // stores an item (or the budget runs out), then look again under the lock.
            if !spun && spin::spins::<R>() {
                spun = true;
                drop(held);
                spin::spin_until::<R>(&self.len_hint, |len| len > 0);
                held = self.lock();
                continue;
            }
            timed_out = !held.wait(limit);
        }
    }
    // ANCHOR_END: simple_get

    fn lock(&self) -> SimpleHeld<'_, T, R> {
        self.mutex.acquire();
        SimpleHeld { queue: self }
    }
}

/// Proof that this thread holds the queue's lock; releases it when dropped.
struct SimpleHeld<'a, T, R: Runtime> {
    queue: &'a SimpleQueue<T, R>,
}

impl<T, R: Runtime> SimpleHeld<'_, T, R> {
    #[inline]
    fn with<U>(&mut self, f: impl FnOnce(&mut VecDeque<T>) -> U) -> U {
        // SAFETY: a `SimpleHeld` exists only while this thread holds `mutex` (and `wait`
        // re-acquires it before returning), so no other thread touches the items; the
        // reference does not outlive `f`.
        self.queue.items.with_mut(|items| f(unsafe { &mut *items }))
    }

    /// Copies the current length into `len_hint` (skipped where nobody spins).
    #[inline]
    fn publish_len(&mut self) {
        if spin::spins::<R>() {
            let len = self.with(|items| items.len());
            spin::publish::<R>(&self.queue.len_hint, len);
        }
    }

    /// Waits for a `put` to notify us; returns false if `limit` ran out first.
    fn wait(&mut self, limit: WaitLimit<R>) -> bool {
        self.queue
            .not_empty
            .wait(&self.queue.mutex, limit)
            .expect("the queue's lock is held by this call")
    }
}

impl<T, R: Runtime> Drop for SimpleHeld<'_, T, R> {
    fn drop(&mut self) {
        self.queue
            .mutex
            .release()
            .expect("the queue's lock is held until its guard drops");
    }
}

impl<T, R: Runtime> Default for SimpleQueue<T, R> {
    fn default() -> Self {
        Self::with_runtime()
    }
}

impl<T, R: Runtime> fmt::Debug for SimpleQueue<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleQueue")
            .field("qsize", &self.qsize())
            .finish()
    }
}
