//! `SimpleQueue`: Python's `queue.SimpleQueue`, an unbounded FIFO without task tracking.
//!
//! CPython writes it in C, apart from `Queue`, because it can be much simpler: a `put`
//! never blocks (there is no bound), there is no unfinished-task count and no shutdown, so
//! only getters ever wait. Here it is one [`Lock`], a ring buffer, and one waiter FIFO for
//! getters, plus a count of waiting getters so that a `put` with nobody waiting (the common
//! case) is a lock, a push and an unlock, and never touches the waiter FIFO.

use crate::condition::WaiterQueue;
use crate::error::GetError;
use crate::lock::{Lock, WaitLimit};
use crate::runtime::{Cell, Runtime, Std, StdCell};
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
    /// Touched only while `mutex` is held.
    state: R::Cell<SimpleState<T>>,
}

/// The part of a `SimpleQueue` the lock protects.
struct SimpleState<T> {
    items: VecDeque<T>,
    /// Getters counted in on `not_empty` and not yet counted out: a waiter counts itself
    /// in before waiting and out after a timeout; `put` counts out the one it wakes.
    waiting_getters: usize,
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
            state: StdCell::new(SimpleState {
                items: VecDeque::new(),
                waiting_getters: 0,
            }),
        }
    }
}

impl<T, R: Runtime> SimpleQueue<T, R> {
    /// A new, empty queue on runtime `R`.
    pub fn with_runtime() -> Self {
        SimpleQueue {
            mutex: Lock::with_runtime(),
            not_empty: WaiterQueue::with_runtime(),
            state: <R::Cell<_> as Cell<_>>::new(SimpleState {
                items: VecDeque::new(),
                waiting_getters: 0,
            }),
        }
    }

    // ANCHOR: simple_put
    /// Adds `item` at the back. Never blocks (`put`, and also `put_nowait`).
    #[doc(alias = "put_nowait")]
    pub fn put(&self, item: T) {
        let mut held = self.lock();
        let waiting = held.with(|s| {
            s.items.push_back(item);
            s.waiting_getters
        });
        // `> 0` → `>= 0` is an equivalent mutant: `wake_one` with nobody waiting notifies
        // nobody and counts out nobody; skipping it is only faster.
        if waiting > 0 {
            held.wake_one();
        }
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
        self.lock().with(|s| s.items.len())
    }

    /// Whether the queue holds no item. A snapshot.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    // ANCHOR: simple_get
    fn get_within(&self, limit: WaitLimit<R>) -> Result<T, GetError> {
        let mut held = self.lock();
        let mut timed_out = false;
        loop {
            if let Some(item) = held.with(|s| s.items.pop_front()) {
                return Ok(item);
            }
            if timed_out || matches!(limit, WaitLimit::TryOnce) {
                return Err(GetError::Empty);
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
    fn with<U>(&mut self, f: impl FnOnce(&mut SimpleState<T>) -> U) -> U {
        // SAFETY: a `SimpleHeld` exists only while this thread holds `mutex` (and `wait`
        // re-acquires it before returning), so no other thread touches the state; the
        // reference does not outlive `f`.
        self.queue.state.with_mut(|state| f(unsafe { &mut *state }))
    }

    /// Waits for a `put` to notify us; returns false if `limit` ran out first.
    fn wait(&mut self, limit: WaitLimit<R>) -> bool {
        self.with(|s| s.waiting_getters += 1);
        let notified = self
            .queue
            .not_empty
            .wait(&self.queue.mutex, limit)
            .expect("the queue's lock is held by this call");
        // Deleting this line is an equivalent mutant: a count too high only makes `put`
        // look into an empty waiter FIFO; it must never be too low.
        if !notified {
            self.with(|s| s.waiting_getters -= 1);
        }
        notified
    }

    #[cold]
    fn wake_one(&mut self) {
        let woken = self.queue.not_empty.notify(1);
        self.with(|s| s.waiting_getters -= woken);
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
