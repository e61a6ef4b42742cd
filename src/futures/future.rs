//! `Future` and `Promise`: the two ends of one result, CPython's `concurrent.futures.Future`
//! split in two so that the type system says who may complete it.
//!
//! A future is a small state machine under a [`Condition`] over a plain [`Lock`] (CPython's
//! `_condition`):
//!
//! ```text
//!   Pending ──set_running──▶ Running ──set_result──▶ Finished
//!      │                        ├────set_panic───▶ Failed
//!      │                        └─(promise dropped)▶ Failed (Abandoned)
//!      └──cancel──▶ Cancelled
//! ```
//!
//! `Finished`, `Failed` and `Cancelled` are final ("done"). Every transition happens with the
//! lock held and wakes every thread waiting on the condition, so a waiter that looked at the
//! stage under the lock and then waited cannot miss the change. The completing thread then
//! tells the watchers of `wait`/`as_completed` (see `wait.rs`) and runs the done callbacks,
//! both outside the lock.
//!
//! The outcome (the value or the error) lives in a cell of its own, apart from the rest of
//! the state: callbacks read it *outside* the lock, and the stage, callbacks and watchers may
//! change meanwhile. While the completing thread runs callbacks (`callbacks_running`), the
//! owner's `result` waits before it moves the value out, so the value is never read and
//! moved at once.

use super::error::FutureError;
use super::wait::Watcher;
use crate::condition::Condition;
use crate::lock::{Lock, WaitLimit};
use crate::runtime::{AtomicInt, Cell, Runtime, Std};
use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::Ordering::Relaxed;
use core::time::Duration;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Rounds of busy-waiting (1, 2, 4, ... spin hints) before a waiter starts yielding.
const SPIN_LIMIT: u32 = 6;
/// Rounds after which it stops watching and takes the lock to wait.
const SPIN_AND_YIELD_LIMIT: u32 = 10;

/// A callback added with `add_done_callback`.
type Callback<T> = Box<dyn FnOnce(Result<&T, &FutureError>) + Send>;

// ANCHOR: stage
/// Where a future is in its life. The last three are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Submitted (or created by `Future::pending`), not started.
    Pending,
    /// A worker called `set_running`: it can no longer be cancelled.
    Running,
    /// `cancel` won the race with `set_running`.
    Cancelled,
    /// The task returned a value.
    Finished,
    /// The task panicked, the pool broke, or the promise was dropped unset.
    Failed,
}

impl Stage {
    fn is_done(self) -> bool {
        matches!(self, Stage::Cancelled | Stage::Finished | Stage::Failed)
    }

    /// Python's word for it (`repr` of a future).
    fn word(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::Running => "running",
            Stage::Cancelled => "cancelled",
            Stage::Finished | Stage::Failed => "finished",
        }
    }
}

/// What the future's lock protects, besides the outcome.
struct State<T, R: Runtime> {
    stage: Stage,
    /// Callbacks added before the future was done, in the order added.
    callbacks: Vec<Callback<T>>,
    /// True while the completing thread runs callbacks outside the lock: the outcome is
    /// being read, so `result` must not move it out yet.
    callbacks_running: bool,
    /// The `wait`/`as_completed` calls watching this future, each with this future's index
    /// among its inputs.
    watchers: Vec<(Arc<Watcher<R>>, usize)>,
}

/// The part of a future that its `Future` and its `Promise` share.
pub(crate) struct Shared<T, R: Runtime> {
    /// CPython's `_condition`: its lock guards `state` and the writing and taking of
    /// `outcome`; waiters for "done" wait on it.
    cond: Condition<Lock<R>>,
    state: R::Cell<State<T, R>>,
    /// Set once, under the lock, in the transition to a final stage; taken by `result`.
    outcome: R::Cell<Option<Result<T, FutureError>>>,
    /// 1 once the stage is final: a copy, written under the lock, that a waiter about to
    /// park watches while it spins (see `spin_until_done`). Only a hint: every decision is
    /// made again under the lock. Written only where someone spins (never under loom).
    done_hint: R::AtomicU8,
}
// ANCHOR_END: stage

// SAFETY: `state` is only touched with `cond`'s lock held (`Shared::with_state`). `outcome`
// is written once with the lock held, before the stage becomes final; after that it is read
// (without the lock) by the thread running callbacks while `callbacks_running` is set, and by
// `add_done_callback` callers once it is clear; it is moved out by `result`, which needs the
// `Future` by value (so no `&Future` is left for a reader) and waits until
// `callbacks_running` is clear. So a value of `T` is reached by one thread at a time, or by
// several through `&T` only when they share a `&Future`, which `Future: Sync` allows only
// for `T: Sync` (see the `unsafe impl`s on `Future`). The value moves between threads, hence
// `T: Send`. The callbacks are `Send`; the watchers are `Send + Sync`.
unsafe impl<T: Send, R: Runtime> Sync for Shared<T, R> {}
// SAFETY: as above; nothing in `Shared` is tied to a thread.
unsafe impl<T: Send, R: Runtime> Send for Shared<T, R> {}

impl<T, R: Runtime> Shared<T, R> {
    fn new() -> Self {
        Shared {
            cond: Condition::with_lock(Lock::with_runtime()),
            state: <R::Cell<_> as Cell<_>>::new(State {
                stage: Stage::Pending,
                callbacks: Vec::new(),
                callbacks_running: false,
                watchers: Vec::new(),
            }),
            outcome: <R::Cell<_> as Cell<_>>::new(None),
            done_hint: <R::AtomicU8 as AtomicInt>::new(0),
        }
    }

    /// Runs `f` on the state. The caller holds `cond`'s lock.
    fn with_state<U>(&self, f: impl FnOnce(&mut State<T, R>) -> U) -> U {
        // SAFETY: the caller holds the lock (every call below sits between `cond.lock()`
        // and the guard's drop), so no other thread touches `state`; the reference does
        // not outlive `f`.
        self.state.with_mut(|state| f(unsafe { &mut *state }))
    }

    /// The stage, read under the lock.
    pub(crate) fn stage(&self) -> Stage {
        let _held = self.cond.lock();
        self.with_state(|s| s.stage)
    }

    // ANCHOR: complete
    /// Moves the future to the final stage `to` with `outcome`, if it is in one of the
    /// stages `from`. Wakes the waiters, then (outside the lock) tells the watchers and runs
    /// the callbacks, in this thread. Returns whether the transition happened.
    fn complete(&self, from: &[Stage], to: Stage, outcome: Result<T, FutureError>) -> bool {
        let held = self.cond.lock();
        let Some((callbacks, watchers)) = self.with_state(|s| {
            if !from.contains(&s.stage) {
                return None;
            }
            s.stage = to;
            s.callbacks_running = !s.callbacks.is_empty();
            Some((
                core::mem::take(&mut s.callbacks),
                core::mem::take(&mut s.watchers),
            ))
        }) else {
            // Already done (a cancelled future's promise completing, say): `outcome` is
            // dropped, after the lock is released.
            drop(held);
            return false;
        };
        // Whether this counts as a failure for `wait(FirstException)`: decided here, from
        // our own value, because once the lock is released `result` may move it out.
        let failed = outcome.as_ref().is_err_and(FutureError::is_failure);
        // SAFETY: the lock is held and the stage only now became final, so nobody reads
        // `outcome` yet (readers look at it only once they have seen a final stage).
        self.outcome
            .with_mut(|slot| unsafe { *slot = Some(outcome) });
        // Skipped under loom, where nobody spins. (The mutant `>` → `>=` stores the hint
        // under loom too, where nobody reads it: equivalent.)
        if R::SPIN_ROUNDS > 0 {
            // Relaxed: a hint for spinning waiters; they take the lock before they trust
            // anything, and this thread releases it after the outcome is stored.
            self.done_hint.store(1, Relaxed);
        }
        self.cond
            .notify_all()
            .expect("the future's lock is held by this call");
        drop(held);
        // Each watcher is a `wait` or `as_completed` call; it learns which of its inputs
        // ended.
        for (watcher, index) in watchers {
            watcher.finished(index, failed);
        }
        if !callbacks.is_empty() {
            self.run_callbacks(callbacks);
        }
        true
    }
    // ANCHOR_END: complete

    /// Reads the outcome. The caller saw a final stage, and either it completed the future
    /// itself and `callbacks_running` keeps `result` away, or it holds a `&Future` (so
    /// `result` cannot run).
    fn read_outcome<U>(&self, f: impl FnOnce(Result<&T, &FutureError>) -> U) -> U {
        self.outcome.with(|slot| {
            // SAFETY: see above; the slot was filled before the stage became final, which
            // the caller saw under the lock (so the write happens-before this read).
            let outcome = unsafe { &*slot };
            f(outcome
                .as_ref()
                .expect("a done future's outcome is set until `result` takes it")
                .as_ref())
        })
    }

    /// Runs `callbacks`, then any added meanwhile (`add_done_callback` queues them while
    /// `callbacks_running` is set, to keep the order and to keep one reader at a time),
    /// until none is left; then lets `result` proceed.
    #[cold]
    fn run_callbacks(&self, mut callbacks: Vec<Callback<T>>) {
        loop {
            for callback in callbacks {
                self.read_outcome(|outcome| invoke(callback, outcome));
            }
            let held = self.cond.lock();
            callbacks = self.with_state(|s| {
                let more = core::mem::take(&mut s.callbacks);
                s.callbacks_running = !more.is_empty();
                more
            });
            if callbacks.is_empty() {
                // A `result` may be waiting for the callbacks to end.
                self.cond
                    .notify_all()
                    .expect("the future's lock is held by this call");
                drop(held);
                return;
            }
        }
    }

    /// Blocks until the future is done (and, with `for_value`, its callbacks have run), or
    /// `limit` runs out. Returns whether it is done. The caller keeps the lock through `f`.
    fn wait_until_done<U>(
        &self,
        for_value: bool,
        limit: WaitLimit<R>,
        f: impl FnOnce(bool) -> U,
    ) -> U {
        // Never under loom. (The mutant `>` → `>=` makes loom's waiters yield ten times
        // before they take the lock: that only delays the look, decided under the lock as
        // before, so it is equivalent; the models pass with it.)
        if R::SPIN_ROUNDS > 0 && !matches!(limit, WaitLimit::TryOnce) {
            self.spin_until_done();
        }
        let _held = self.cond.lock();
        let mut ready =
            || self.with_state(|s| s.stage.is_done() && !(for_value && s.callbacks_running));
        let done = self
            .cond
            .wait_for_within(&mut ready, limit)
            .expect("the future's lock is held by this call");
        f(done)
    }

    /// Before a waiter takes the lock to look (and maybe park): spin briefly, without the
    /// lock, until the future looks done or the budget runs out. A task on another core
    /// often ends within a microsecond or two, and a park and unpark cost a futex round trip
    /// each (measured with `examples/futures_throughput.rs`, see the futures chapter). Only
    /// *when* to look is decided here; whether to wait is decided under the lock.
    #[cold]
    fn spin_until_done(&self) {
        for round in 0..SPIN_AND_YIELD_LIMIT {
            // Relaxed: see `done_hint`.
            if self.done_hint.load(Relaxed) != 0 {
                return;
            }
            // Tuning only (never under loom): which rounds spin and which yield changes no
            // state, so the mutant `<` → `<=` is equivalent.
            if round < SPIN_LIMIT {
                for _ in 0..(1u32 << round) {
                    R::spin_hint();
                }
            } else {
                R::yield_now();
            }
        }
    }

    /// Registers `watcher` (as input `index`) unless the future is done; returns the stage
    /// and, if done, whether it failed.
    pub(crate) fn watch(&self, watcher: &Arc<Watcher<R>>, index: usize) -> Option<bool> {
        let _held = self.cond.lock();
        let stage = self.with_state(|s| {
            if !s.stage.is_done() {
                s.watchers.push((Arc::clone(watcher), index));
            }
            s.stage
        });
        // Under the lock: the outcome was written before the stage became final.
        stage
            .is_done()
            .then(|| self.read_outcome(|o| o.is_err_and(|e| e.is_failure())))
    }

    /// Undoes `watch` (a no-op if the future completed and dropped its watchers already).
    pub(crate) fn unwatch(&self, watcher: &Arc<Watcher<R>>) {
        let _held = self.cond.lock();
        self.with_state(|s| s.watchers.retain(|(w, _)| !Arc::ptr_eq(w, watcher)));
    }
}

/// Runs one callback, catching its panic: the other callbacks still run.
fn invoke<T>(callback: Callback<T>, outcome: Result<&T, &FutureError>) {
    if catch_unwind(AssertUnwindSafe(|| callback(outcome))).is_err() {
        // The panic message itself was printed by the panic hook.
        eprintln!("syncsmith: a future's done callback panicked; the other callbacks still run");
    }
}

// ANCHOR: future
/// The result of a task that may not have finished yet: Python's
/// `concurrent.futures.Future`.
///
/// Returned by [`ThreadPoolExecutor::submit`](super::ThreadPoolExecutor::submit), or made
/// with its [`Promise`] by [`Future::pending`]. It is not `Clone`: [`result`](Future::result)
/// moves the value out, so there is one owner; several threads may share a `&Future` to
/// wait on it.
///
/// ```
/// use syncsmith::futures::{Future, FutureError};
///
/// let (future, promise) = Future::pending();
/// assert!(!future.done());
/// std::thread::spawn(move || {
///     if promise.set_running() {
///         promise.set_result(6 * 7);
///     }
/// });
/// assert_eq!(future.result().unwrap(), 42);
///
/// let (future, promise) = Future::<u32>::pending();
/// assert!(future.cancel());
/// assert!(!promise.set_running()); // the task must not run
/// assert!(matches!(future.result(), Err(FutureError::Cancelled)));
/// ```
pub struct Future<T, R: Runtime = Std> {
    shared: Arc<Shared<T, R>>,
    /// `Sync` only for `T: Sync`: threads sharing a `&Future` may each run a callback that
    /// reads `&T` at the same time.
    _value: PhantomData<T>,
}
// ANCHOR_END: future

/// The completing end of a [`Future`]: whoever holds it decides how the future ends.
/// Dropped unset, it fails the future with [`FutureError::Abandoned`], so no waiter hangs.
pub struct Promise<T, R: Runtime = Std> {
    shared: Arc<Shared<T, R>>,
    /// Set by `set_result`/`set_panic` (and the executor's own endings), so that `Drop`
    /// need not take the lock again to find the future done.
    settled: bool,
}

static_assertions::assert_impl_all!(Future<u32>: Send, Sync);
static_assertions::assert_impl_all!(Future<core::cell::Cell<u32>>: Send);
static_assertions::assert_not_impl_any!(Future<core::cell::Cell<u32>>: Sync);
static_assertions::assert_not_impl_any!(Future<std::rc::Rc<u32>>: Send, Sync);
static_assertions::assert_impl_all!(Promise<u32>: Send);
static_assertions::assert_not_impl_any!(Promise<std::rc::Rc<u32>>: Send);

/// A number naming a live future: its shared block's address. `Copy + Eq + Hash + Ord`, so
/// a map can be keyed by it, as Python keys a dict by the future itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FutureId(usize);

impl<T> Future<T> {
    /// A future that no executor runs, and the [`Promise`] that completes it.
    pub fn pending() -> (Future<T>, Promise<T>) {
        Self::pending_with_runtime()
    }
}

impl<T, R: Runtime> Future<T, R> {
    /// [`pending`](Future::pending) on runtime `R` (loom models use `Loom`).
    pub fn pending_with_runtime() -> (Future<T, R>, Promise<T, R>) {
        let shared = Arc::new(Shared::new());
        (
            Future {
                shared: Arc::clone(&shared),
                _value: PhantomData,
            },
            Promise {
                shared,
                settled: false,
            },
        )
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<T, R>> {
        &self.shared
    }

    // ANCHOR: cancel
    /// Cancels the future if its task has not started. Returns true if it is now cancelled
    /// (it had not started, or was cancelled already); false once it is running or done.
    /// The callbacks run in this thread.
    pub fn cancel(&self) -> bool {
        let cancelled = self.shared.complete(
            &[Stage::Pending],
            Stage::Cancelled,
            Err(FutureError::Cancelled),
        );
        cancelled || self.cancelled()
    }
    // ANCHOR_END: cancel

    /// Whether the future was cancelled.
    pub fn cancelled(&self) -> bool {
        self.shared.stage() == Stage::Cancelled
    }

    /// Whether the task is running now.
    pub fn running(&self) -> bool {
        self.shared.stage() == Stage::Running
    }

    /// Whether the future is done: finished, failed or cancelled.
    pub fn done(&self) -> bool {
        self.shared.stage().is_done()
    }

    /// Blocks until the future is done.
    pub fn wait(&self) {
        self.wait_within(WaitLimit::Forever);
    }

    /// Blocks until the future is done or `timeout` passes; returns whether it is done.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_within(WaitLimit::from_timeout(timeout))
    }

    pub(crate) fn wait_within(&self, limit: WaitLimit<R>) -> bool {
        self.shared.wait_until_done(false, limit, |done| done)
    }

    // ANCHOR: result
    /// Waits until the future is done and returns its value, or why there is none.
    pub fn result(self) -> Result<T, FutureError> {
        self.shared
            .wait_until_done(true, WaitLimit::Forever, |_| {
                // The lock is held (we are inside `wait_until_done`'s closure), the stage is
                // final and no callback is running, so no other thread reads the outcome;
                // `self` is ours, so no `&Future` exists for a later reader either.
                self.shared.outcome.with_mut(|slot| {
                    // SAFETY: exclusive access to the outcome, for the reasons above.
                    unsafe { &mut *slot }.take()
                })
            })
            .expect("a done future's outcome is taken only by `result`, which consumes it")
    }
    // ANCHOR_END: result

    /// Adds a callback that runs once, when the future is done, with its value or its
    /// error: in the thread that completes (or cancels) it, after waking its waiters; or at
    /// once in this thread if it is done already. Callbacks run in the order added. A
    /// panicking callback is reported on stderr; the others still run.
    pub fn add_done_callback(&self, f: impl FnOnce(Result<&T, &FutureError>) + Send + 'static) {
        let mut callback = Some(f);
        let held = self.shared.cond.lock();
        self.shared.with_state(|s| {
            if !s.stage.is_done() || s.callbacks_running {
                // Not done yet, or its callbacks are running in the completing thread: that
                // thread runs this one too, after the others.
                s.callbacks
                    .push(Box::new(callback.take().expect("taken once")));
            }
        });
        drop(held);
        if let Some(callback) = callback {
            // Done, and we saw the final stage under the lock: run it here, now.
            self.shared
                .read_outcome(|outcome| invoke(Box::new(callback), outcome));
        }
    }

    /// A number naming this future, unique among live futures.
    pub fn id(&self) -> FutureId {
        FutureId(Arc::as_ptr(&self.shared) as *const () as usize)
    }
}

impl<T, R: Runtime> fmt::Debug for Future<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Python's repr: `<Future at 0x... state=pending>`.
        write!(
            f,
            "Future {{ id: {:#x}, state: {} }}",
            self.id().0,
            self.shared.stage().word()
        )
    }
}

impl<T, R: Runtime> Promise<T, R> {
    // ANCHOR: set_running
    /// CPython's `set_running_or_notify_cancel`: marks the future running, so it can no
    /// longer be cancelled, and returns true; or returns false if it was cancelled first
    /// (then the task must not run). On a future already running it returns true.
    #[doc(alias = "set_running_or_notify_cancel")]
    pub fn set_running(&self) -> bool {
        let _held = self.shared.cond.lock();
        self.shared.with_state(|s| match s.stage {
            Stage::Pending => {
                s.stage = Stage::Running;
                true
            }
            Stage::Running => true,
            // Only `cancel` makes a future done while its promise is alive.
            _ => false,
        })
    }
    // ANCHOR_END: set_running

    /// Completes the future with `value`. If the future was cancelled, `value` is dropped
    /// and it stays cancelled.
    pub fn set_result(self, value: T) {
        self.settle(Ok(value));
    }

    /// Fails the future with [`FutureError::Panicked`]`(payload)`, as a task that panicked.
    pub fn set_panic(self, payload: Box<dyn Any + Send>) {
        self.settle(Err(FutureError::Panicked(payload)));
    }

    /// Fails the future with `error` (the executor's `BrokenPool`).
    pub(crate) fn fail(self, error: FutureError) {
        self.settle(Err(error));
    }

    /// Cancels the future unless it started (the executor's `shutdown(cancel_futures)`).
    pub(crate) fn cancel(mut self) {
        self.settled = true;
        self.shared.complete(
            &[Stage::Pending],
            Stage::Cancelled,
            Err(FutureError::Cancelled),
        );
    }

    fn settle(mut self, outcome: Result<T, FutureError>) {
        self.settled = true;
        let to = if outcome.is_ok() {
            Stage::Finished
        } else {
            Stage::Failed
        };
        self.shared
            .complete(&[Stage::Pending, Stage::Running], to, outcome);
    }
}

impl<T, R: Runtime> Drop for Promise<T, R> {
    // ANCHOR: abandon
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        // A promise
        // dropped unset (a task's worker died, a user's executor forgot it) fails its future,
        // so that every waiter wakes instead of hanging.
        self.shared.complete(
            &[Stage::Pending, Stage::Running],
            Stage::Failed,
            Err(FutureError::Abandoned),
        );
    }
    // ANCHOR_END: abandon
}

impl<T, R: Runtime> fmt::Debug for Promise<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Promise {{ state: {} }}", self.shared.stage().word())
    }
}
