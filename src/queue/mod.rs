//! `Queue`, `LifoQueue` and `PriorityQueue`: Python's `queue` module, built the way CPython
//! builds it.
//!
//! CPython's `queue.Queue` is one lock, three conditions sharing it, and a counter:
//!
//! - `not_empty`: getters wait here while the queue is empty; every `put` notifies one.
//! - `not_full`: putters wait here while a bounded queue is full; every `get` notifies one.
//! - `all_tasks_done`: `join` waits here while the count of unfinished tasks is above
//!   zero; the `task_done` that brings it to zero notifies them all.
//!
//! In syncsmith a `Condition` is a lock plus a FIFO of waiters (a `WaiterQueue`), so the
//! core here is exactly that structure without self-references: one [`Lock`] and three
//! `WaiterQueue`s. The items live in a runtime [`Cell`] touched only under the lock, so
//! under loom a locking mistake shows up as a data race. The order in which items leave is
//! a type parameter, the [`Discipline`] (see `discipline.rs`).
//!
//! CPython notifies on every `put` and `get`, waiter or not, and so does this module: a
//! notify that finds nobody waiting is cheap because `WaiterQueue::notify` returns at once
//! when its `queued` count is zero, without taking the FIFO's own guard. That skip is sound
//! here for the reason given in `condition.rs`: every notify below runs with the queue's
//! lock held, and a waiter is queued before `wait` releases that lock.
//!
//! One addition CPython has no use for: before a `get` on an empty queue (or a `put` on a
//! full one) parks, it lets go of the lock and spins for a while (pause hints, then pause
//! hints between yields), watching a relaxed copy of the length (`len_hint`). Parking and
//! unparking cost a futex round-trip and a wake-up latency each, and a producer and a
//! consumer that both park fall into a convoy: each waits, asleep, for the other to wake
//! up, and they take turns instead of running side by side (`spin.rs` has the numbers). The spin only decides *when* to look again: whether to take an item or wait
//! is still decided under the lock. Under loom (`SPIN_ROUNDS` is 0) neither the spin nor
//! the hint's stores exist.
//!
//! Python 3.13's `shutdown` is here too, with one change: `shutdown(immediate = true)` hands
//! the queued items back to the caller instead of throwing them away.

mod discipline;
mod simple;
mod spin;

pub use discipline::{Discipline, Fifo, Lifo, Priority, PriorityHeap};
pub use simple::SimpleQueue;

use crate::condition::WaiterQueue;
use crate::error::{GetError, PutError, ShutDown, TaskDoneError};
use crate::lock::{Lock, WaitLimit};
use crate::runtime::{AtomicInt, Cell, Runtime, Std, StdCell};
use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;

/// `notify(ALL)` wakes every waiter (`notify_all`).
const ALL: usize = usize::MAX;

// ANCHOR: queue
/// A multi-producer, multi-consumer queue: Python's `queue.Queue`, and with another
/// [`Discipline`], `LifoQueue` and `PriorityQueue`.
///
/// `maxsize` 0 means unbounded; otherwise `put` blocks while the queue holds `maxsize`
/// items. Every `put` adds an unfinished task and [`task_done`](Queue::task_done) finishes
/// one; [`join`](Queue::join) waits until all are finished. [`shutdown`](Queue::shutdown)
/// stops the queue (Python 3.13). Nothing is lost: a `put` that fails hands its item back.
///
/// `new` works for every discipline, so a bare `Queue::new(n)` leaves the discipline to
/// inference, which (as with `HashMap::default()`) does not fall back to the default type
/// parameter: name the type (`let q: Queue<u32> = Queue::new(n)`, or
/// `Queue::<u32>::new(n)`); [`LifoQueue::new`] and [`PriorityQueue::new`] need nothing.
///
/// ```
/// use syncsmith::{PutError, Queue};
///
/// let q: Queue<&str> = Queue::new(2);
/// q.put("a").unwrap();
/// q.try_put("b").unwrap();
/// assert!(matches!(q.try_put("c"), Err(PutError::Full("c")))); // the item comes back
/// assert_eq!(q.get(), Ok("a"));
/// assert_eq!(q.qsize(), 1);
/// ```
#[doc(alias = "queue.Queue")]
pub struct Queue<T, D: Discipline<T> = Fifo, R: Runtime = Std> {
    /// CPython's `mutex`: guards `state`, and is the lock all three conditions share.
    mutex: Lock<R>,
    /// Getters waiting for an item.
    not_empty: WaiterQueue<R>,
    /// Putters waiting for room.
    not_full: WaiterQueue<R>,
    /// `join`ers waiting for the unfinished-task count to reach zero.
    all_tasks_done: WaiterQueue<R>,
    /// 0: unbounded. Never changes, so it lives outside the lock.
    maxsize: usize,
    /// The number of items, copied here under the lock each time it changes, so that a
    /// blocked `get`/`put` can spin without the lock (see `spin.rs`). Only a hint: it
    /// may be stale, and every decision is made again from `state` under the lock. Never
    /// written or read under loom.
    len_hint: R::AtomicUsize,
    /// Everything else; touched only while `mutex` is held (see `Held::with`).
    state: R::Cell<State<D::Store>>,
    _items: PhantomData<T>,
}

/// The part of a queue the lock protects.
struct State<S> {
    items: S,
    /// Items put and not yet marked done (`unfinished_tasks`).
    unfinished_tasks: usize,
    /// Set once by `shutdown`, never cleared.
    is_shutdown: bool,
}
// ANCHOR_END: queue

/// A last-in, first-out queue: Python's `queue.LifoQueue`.
#[doc(alias = "queue.LifoQueue")]
pub type LifoQueue<T, R = Std> = Queue<T, Lifo, R>;

/// A queue that hands out its smallest item first: Python's `queue.PriorityQueue`. Equal
/// items leave in the order they came (Python makes no such promise).
///
/// ```
/// use syncsmith::PriorityQueue;
///
/// let q = PriorityQueue::new(0);
/// for job in [(2, "write"), (1, "read"), (2, "sync"), (1, "open")] {
///     q.put(job).unwrap();
/// }
/// let order: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
/// assert_eq!(order, [(1, "open"), (1, "read"), (2, "sync"), (2, "write")]);
/// ```
#[doc(alias = "queue.PriorityQueue")]
pub type PriorityQueue<T, R = Std> = Queue<T, Priority, R>;

// SAFETY: the items are only touched while `mutex` is held (`Held::with`), so a shared
// queue never lets two threads reach one item at once: it only moves items from the thread
// that puts them to the thread that gets them, which `T: Send` (and so `D::Store: Send`)
// allows. Everything else in the queue is `Sync` already.
unsafe impl<T: Send, D: Discipline<T>, R: Runtime> Sync for Queue<T, D, R> where D::Store: Send {}

static_assertions::assert_impl_all!(Queue<u32>: Send, Sync, Default);
static_assertions::assert_impl_all!(PriorityQueue<u32>: Send, Sync, Default);
static_assertions::assert_impl_all!(LifoQueue<core::cell::Cell<u32>>: Send, Sync);
static_assertions::assert_not_impl_any!(Queue<std::rc::Rc<u32>>: Send, Sync);

impl<T> State<T> {
    const fn new(items: T) -> Self {
        State {
            items,
            unfinished_tasks: 0,
            is_shutdown: false,
        }
    }
}

impl<T, D: Discipline<T>> Queue<T, D> {
    /// A new queue holding at most `maxsize` items; 0 means unbounded, as in Python.
    /// `const`, so a queue can live in a `static`.
    pub const fn new(maxsize: usize) -> Self {
        Queue {
            mutex: Lock::new(),
            not_empty: WaiterQueue::new(),
            not_full: WaiterQueue::new(),
            all_tasks_done: WaiterQueue::new(),
            maxsize,
            len_hint: core::sync::atomic::AtomicUsize::new(0),
            state: StdCell::new(State::new(D::EMPTY)),
            _items: PhantomData,
        }
    }
}

impl<T, D: Discipline<T>, R: Runtime> Queue<T, D, R> {
    /// A new queue on runtime `R` (loom models use `Queue::<T, Fifo, Loom>::with_runtime`).
    pub fn with_runtime(maxsize: usize) -> Self {
        Queue {
            mutex: Lock::with_runtime(),
            not_empty: WaiterQueue::with_runtime(),
            not_full: WaiterQueue::with_runtime(),
            all_tasks_done: WaiterQueue::with_runtime(),
            maxsize,
            len_hint: <R::AtomicUsize as AtomicInt>::new(0),
            state: <R::Cell<_> as Cell<_>>::new(State::new(D::EMPTY)),
            _items: PhantomData,
        }
    }

    /// Puts `item`, waiting while the queue is full. Fails only if the queue is (or while
    /// waiting becomes) shut down, and then hands the item back.
    pub fn put(&self, item: T) -> Result<(), ShutDown<T>> {
        self.put_within(item, WaitLimit::Forever)
            .map_err(|err| ShutDown(err.into_inner()))
    }

    /// Puts `item` if there is room now (`put_nowait`, `put(block=False)`); otherwise hands
    /// it back in `PutError::Full`.
    #[doc(alias = "put_nowait")]
    pub fn try_put(&self, item: T) -> Result<(), PutError<T>> {
        self.put_within(item, WaitLimit::TryOnce)
    }

    /// Puts `item`, waiting at most `timeout` for room (`put(timeout=...)`).
    /// `Duration::ZERO` tries once; a timeout too large to form a deadline waits forever.
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        self.put_within(item, WaitLimit::from_timeout(timeout))
    }

    /// Takes the next item, waiting while the queue is empty. Fails once the queue is shut
    /// down and empty.
    pub fn get(&self) -> Result<T, ShutDown> {
        self.get_within(WaitLimit::Forever)
            .map_err(|_| ShutDown(()))
    }

    /// Takes the next item if there is one now (`get_nowait`, `get(block=False)`).
    #[doc(alias = "get_nowait")]
    pub fn try_get(&self) -> Result<T, GetError> {
        self.get_within(WaitLimit::TryOnce)
    }

    /// Takes the next item, waiting at most `timeout` for one (`get(timeout=...)`).
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.get_within(WaitLimit::from_timeout(timeout))
    }

    // ANCHOR: put
    /// CPython's `put`: wait on `not_full` while full, store the item, count a task,
    /// notify one getter.
    fn put_within(&self, item: T, limit: WaitLimit<R>) -> Result<(), PutError<T>> {
        let mut held = self.lock();
        let mut timed_out = false;
        let mut spun = false;
        loop {
            let (is_shutdown, len) = held.with(|s| (s.is_shutdown, D::len(&s.items)));
            if is_shutdown {
                return Err(PutError::ShutDown(item));
            }
            if !self.is_full_at(len) {
                break;
            }
            // `while`, not `if`: the item a notify announced may have been taken by a
            // thread that got the lock first. After a timeout, look once more (room may
            // have appeared meanwhile), then give up.
            if timed_out || matches!(limit, WaitLimit::TryOnce) {
                return Err(PutError::Full(item));
            }
            // Once per call, before the first park: spin without the lock until a getter
            // makes room (or the spin budget runs out), then look again under the lock.
            if !spun && spin::spins::<R>() {
                spun = true;
                drop(held);
                spin::spin_until::<R>(&self.len_hint, |len| !self.is_full_at(len));
                held = self.lock();
                continue;
            }
            timed_out = !held.wait(Waiters::Putters, limit);
        }
        // A panicking `push` (the user's `Ord`) stores nothing: pass on the notify this
        // putter may have taken, since the room it was for is still there.
        held.pass_on = Some(Waiters::Putters);
        held.with(|s| D::push(&mut s.items, item));
        held.pass_on = None;
        // Counted only once the item is stored, so the count and the items always agree.
        held.with(|s| s.unfinished_tasks += 1);
        held.publish_len();
        held.wake(Waiters::Getters, 1);
        Ok(())
    }
    // ANCHOR_END: put

    // ANCHOR: get
    /// CPython's `get`: wait on `not_empty` while empty, take an item, notify one putter.
    fn get_within(&self, limit: WaitLimit<R>) -> Result<T, GetError> {
        let mut held = self.lock();
        let mut timed_out = false;
        let mut spun = false;
        loop {
            let (is_shutdown, len) = held.with(|s| (s.is_shutdown, D::len(&s.items)));
            if len > 0 {
                break;
            }
            // After a shutdown, getters drain what is left and only then fail.
            if is_shutdown {
                return Err(GetError::ShutDown);
            }
            if timed_out || matches!(limit, WaitLimit::TryOnce) {
                return Err(GetError::Empty);
            }
            // Once per call, before the first park: spin without the lock until a putter
            // stores an item (or the spin budget runs out), then look again under the lock.
            if !spun && spin::spins::<R>() {
                spun = true;
                drop(held);
                spin::spin_until::<R>(&self.len_hint, |len| len > 0);
                held = self.lock();
                continue;
            }
            timed_out = !held.wait(Waiters::Getters, limit);
        }
        // A panicking `pop` (the user's `Ord`) removes nothing: pass on the notify this
        // getter may have taken, since the item it announced is still there.
        held.pass_on = Some(Waiters::Getters);
        let item = held.with(|s| D::pop(&mut s.items));
        held.pass_on = None;
        let item = item.expect("a discipline with items returns one");
        held.publish_len();
        held.wake(Waiters::Putters, 1);
        Ok(item)
    }
    // ANCHOR_END: get

    // ANCHOR: task_done
    /// Marks one task done (`task_done()`): a consumer calls it once for each item it got,
    /// when it has finished with it. When none is left unfinished, every `join` returns.
    /// More calls than items put are an error, and change nothing.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut held = self.lock();
        let left = held.with(|s| {
            let left = s.unfinished_tasks.checked_sub(1)?;
            s.unfinished_tasks = left;
            Some(left)
        });
        match left {
            None => Err(TaskDoneError),
            Some(0) => {
                held.wake(Waiters::Joiners, ALL);
                Ok(())
            }
            Some(_) => Ok(()),
        }
    }

    /// Blocks until every item put has been marked done with [`task_done`](Self::task_done)
    /// (or dropped by `shutdown(true)`).
    pub fn join(&self) {
        let mut held = self.lock();
        // The lock is held while the counter is read: a `task_done` cannot bring it to
        // zero (and notify) between the check and the wait.
        //
        // `while`, as CPython. No model can tell it from `if` (the mutants tool's
        // `while-to-if` survives, and is equivalent today): joiners are only ever woken
        // at a moment when the count is zero (by the `task_done` or `shutdown` that made
        // it so), and nothing happens between the wake-up and the return, so a joiner
        // that returns with a count that a `put` raised again meanwhile is
        // indistinguishable from one that returned a moment before that `put`. The loop
        // keeps `join` right if a wake-up for any other reason is ever added.
        while held.with(|s| s.unfinished_tasks) > 0 {
            held.wait(Waiters::Joiners, WaitLimit::Forever);
        }
    }
    // ANCHOR_END: task_done

    // ANCHOR: shutdown
    /// Shuts the queue down (Python 3.13's `shutdown`). From now on `put` fails, handing
    /// its item back; `get` drains what is left and then fails. Every blocked putter and
    /// getter wakes to look again.
    ///
    /// With `immediate`, the queue is emptied at once: the items come back to the caller in
    /// the order `get` would have returned them (Python throws them away), each counts as a
    /// finished task, so `join` returns unless consumers still hold unfinished items, and
    /// blocked getters fail at once. Without it, the returned `Vec` is empty.
    pub fn shutdown(&self, immediate: bool) -> Vec<T> {
        let mut held = self.lock();
        // First, so that a panicking `drain` (the user's `Ord`) leaves the queue untouched.
        let drained = if immediate {
            let drained = held.with(|s| D::drain(&mut s.items));
            held.publish_len();
            drained
        } else {
            Vec::new()
        };
        let tasks_left = held.with(|s| {
            s.is_shutdown = true;
            // As CPython: a drained item is a finished task, but the count never goes
            // below zero (consumers may have called `task_done` early).
            s.unfinished_tasks = s.unfinished_tasks.saturating_sub(drained.len());
            s.unfinished_tasks
        });
        if tasks_left == 0 {
            held.wake(Waiters::Joiners, ALL);
        }
        held.wake(Waiters::Getters, ALL);
        held.wake(Waiters::Putters, ALL);
        drained
    }
    // ANCHOR_END: shutdown

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutdown(&self) -> bool {
        self.lock().with(|s| s.is_shutdown)
    }

    /// How many items the queue holds (`qsize()`). A snapshot: it may change at once.
    pub fn qsize(&self) -> usize {
        self.lock().with(|s| D::len(&s.items))
    }

    /// Whether the queue holds no item. A snapshot.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether a bounded queue holds `maxsize` items (an unbounded one is never full).
    /// A snapshot.
    pub fn full(&self) -> bool {
        self.is_full_at(self.qsize())
    }

    /// The bound given to `new`; 0 means unbounded.
    pub fn maxsize(&self) -> usize {
        self.maxsize
    }

    /// How many items were put and not yet marked done (`unfinished_tasks`).
    pub fn unfinished_tasks(&self) -> usize {
        self.lock().with(|s| s.unfinished_tasks)
    }

    /// Whether `len` items fill the queue.
    #[inline]
    fn is_full_at(&self, len: usize) -> bool {
        self.maxsize > 0 && len >= self.maxsize
    }

    /// Acquires the queue's lock.
    #[inline]
    fn lock(&self) -> Held<'_, T, D, R> {
        self.mutex.acquire();
        Held {
            queue: self,
            pass_on: None,
        }
    }
}

/// The three kinds of waiters, one per condition.
#[derive(Clone, Copy)]
enum Waiters {
    Getters,
    Putters,
    Joiners,
}

// ANCHOR: held
/// Proof that this thread holds the queue's lock: the only way to reach the state. It
/// releases the lock when dropped, also when a panic (in the user's `Ord`) unwinds.
struct Held<'a, T, D: Discipline<T>, R: Runtime> {
    queue: &'a Queue<T, D, R>,
    /// Set while a discipline call that may panic runs: if it does, the drop hands one
    /// notify on to these waiters before releasing.
    pass_on: Option<Waiters>,
}

impl<T, D: Discipline<T>, R: Runtime> Held<'_, T, D, R> {
    /// Runs `f` on the state.
    #[inline]
    fn with<U>(&mut self, f: impl FnOnce(&mut State<D::Store>) -> U) -> U {
        // A `Held` exists only while this thread holds `mutex` (`Queue::lock` acquired it,
        // and `wait` re-acquires it before returning), so no other thread touches the state.
        // SAFETY: that exclusive access; `&mut self` keeps our own accesses apart, and the
        // reference does not outlive `f`.
        self.queue.state.with_mut(|state| f(unsafe { &mut *state }))
    }

    fn waiter_queue(&self, who: Waiters) -> &WaiterQueue<R> {
        match who {
            Waiters::Getters => &self.queue.not_empty,
            Waiters::Putters => &self.queue.not_full,
            Waiters::Joiners => &self.queue.all_tasks_done,
        }
    }

    /// Waits on `who`'s condition once: releases the lock while waiting and holds it again
    /// on return. Returns whether a notify picked this thread (false: `limit` ran out).
    fn wait(&mut self, who: Waiters, limit: WaitLimit<R>) -> bool {
        self.waiter_queue(who)
            .wait(&self.queue.mutex, limit)
            .expect("the queue's lock is held by this call")
    }

    /// Copies the current length into `len_hint`, for spinning `get`s and `put`s. Called
    /// after every change to the items; skipped where nobody spins (loom).
    #[inline]
    fn publish_len(&mut self) {
        if spin::spins::<R>() {
            let len = self.with(|s| D::len(&s.items));
            spin::publish::<R>(&self.queue.len_hint, len);
        }
    }

    /// Wakes up to `n` of `who`, oldest first. With nobody waiting this is one load:
    /// `WaiterQueue::notify` skips its guard when its count is zero, which is exact because
    /// this `Held` proves the caller holds the queue's lock.
    #[inline]
    fn wake(&mut self, who: Waiters, n: usize) {
        self.waiter_queue(who).notify(n);
    }
}

impl<T, D: Discipline<T>, R: Runtime> Drop for Held<'_, T, D, R> {
    fn drop(&mut self) {
        if let Some(who) = self.pass_on.take() {
            self.wake(who, 1);
        }
        self.queue
            .mutex
            .release()
            .expect("the queue's lock is held until its `Held` drops");
    }
}
// ANCHOR_END: held

impl<T, D: Discipline<T>, R: Runtime> Default for Queue<T, D, R> {
    /// An unbounded queue (`queue.Queue()`).
    fn default() -> Self {
        Self::with_runtime(0)
    }
}

impl<T, D: Discipline<T>, R: Runtime> fmt::Debug for Queue<T, D, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (qsize, unfinished_tasks, is_shutdown) = self
            .lock()
            .with(|s| (D::len(&s.items), s.unfinished_tasks, s.is_shutdown));
        f.debug_struct("Queue")
            .field("qsize", &qsize)
            .field("maxsize", &self.maxsize)
            .field("unfinished_tasks", &unfinished_tasks)
            .field("is_shutdown", &is_shutdown)
            .finish()
    }
}
