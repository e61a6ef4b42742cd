//! `ThreadPoolExecutor`: Python's `concurrent.futures.ThreadPoolExecutor`, built from a
//! syncsmith [`Queue`] of work items and a [`Lock`].
//!
//! The design is CPython's `thread.py`:
//! - `submit` creates a future and its promise, boxes the task with the promise (a work
//!   item), puts it on an unbounded queue, and starts a worker if none is idle and the pool
//!   is not full yet. The submit lock (CPython's `_shutdown_lock`) makes "check shut down,
//!   put, maybe start a worker" one step with respect to `shutdown`, so a task accepted
//!   before `shutdown` always has a worker to run it.
//! - A worker runs the initializer once, then loops: get a work item, mark its future
//!   running (unless it was cancelled), run the task, store the value (or the panic).
//! - CPython wakes its workers for shutdown by putting one `None` per worker on the queue.
//!   syncsmith's `Queue` has Python 3.13's `shutdown`, which does that job: `get` drains
//!   what is left and then fails, and a worker whose `get` fails exits. With
//!   `cancel_futures`, `shutdown(immediate = true)` hands the queued items back, and each
//!   one's future is cancelled.
//! - A worker whose initializer panics breaks the pool: under the submit lock it marks the
//!   pool broken and empties the queue, failing each queued future with `BrokenPool`.

use super::error::{FutureError, SubmitError};
use super::future::{Future, Promise};
use super::map::Map;
use crate::lock::Lock;
use crate::queue::{Fifo, Queue};
use crate::runtime::{AtomicInt, Cell, Runtime, Std};
use core::fmt;
use core::sync::atomic::Ordering::Relaxed;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Numbers the default-named pools, as CPython's `ThreadPoolExecutor-{n}`. A plain std
/// atomic even under loom: it only names threads, and orders nothing.
static POOL_COUNTER: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

// ANCHOR: work_item
/// A task and the promise of its future, as they wait on the queue (CPython's `_WorkItem`).
trait WorkItem: Send {
    /// Runs the task unless its future was cancelled, and completes the future. Calls
    /// `idle_again` once, when the task is over and before the future is completed.
    fn run(self: Box<Self>, idle_again: &dyn Fn());
    /// `shutdown(cancel_futures)` took it off the queue: cancel its future.
    fn cancel(self: Box<Self>);
    /// The pool broke before it ran: fail its future with `BrokenPool`.
    fn break_pool(self: Box<Self>);
}

struct Task<F, T, R: Runtime> {
    task: F,
    promise: Promise<T, R>,
}

impl<F, T, R> WorkItem for Task<F, T, R>
where
    F: FnOnce() -> T + Send,
    T: Send,
    R: Runtime,
{
    fn run(self: Box<Self>, idle_again: &dyn Fn()) {
        let Task { task, promise } = *self;
        // `cancel` may have won: then the task must not run.
        if !promise.set_running() {
            idle_again();
            return;
        }
        // A panicking task fails its future; the worker lives on.
        let outcome = catch_unwind(AssertUnwindSafe(task));
        // Counted idle before the future completes: a thread that waited for this result
        // and submits the next task finds this worker idle, instead of starting another.
        idle_again();
        match outcome {
            Ok(value) => promise.set_result(value),
            Err(payload) => promise.set_panic(payload),
        }
    }

    fn cancel(self: Box<Self>) {
        self.promise.cancel();
    }

    fn break_pool(self: Box<Self>) {
        self.promise.fail(FutureError::BrokenPool);
    }
}
// ANCHOR_END: work_item

/// The queue's item type.
type Work = Box<dyn WorkItem>;

/// A worker thread, as the pool keeps it.
struct Worker<R: Runtime> {
    handle: R::JoinHandle,
    /// The worker's `R::thread_id()`, stored by the worker as it starts (0 before), so that
    /// `shutdown` called from a task does not join its own thread.
    thread_id: Arc<R::AtomicUsize>,
}

// ANCHOR: inner
/// What the executor shares with its workers.
struct Inner<R: Runtime> {
    /// The work items, oldest first.
    queue: Queue<Work, Fifo, R>,
    /// CPython's `_shutdown_lock`: held by `submit` from its check to its last step, and by
    /// `shutdown` and a breaking worker while they change `control`.
    submit_lock: Lock<R>,
    /// Touched only with `submit_lock` held.
    control: R::Cell<Control<R>>,
    /// CPython's `_idle_semaphore`, as a count: a worker adds one each time it finishes a
    /// task (it is about to look for the next), and a `submit` that finds it above zero
    /// takes one and starts no worker.
    idle: R::AtomicUsize,
    max_workers: usize,
    thread_name_prefix: String,
    initializer: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// The part of the executor `submit_lock` guards.
struct Control<R: Runtime> {
    shutdown: bool,
    broken: bool,
    /// Workers started so far (also the next thread's index).
    started: usize,
    /// The workers not yet joined.
    workers: Vec<Worker<R>>,
}
// ANCHOR_END: inner

// SAFETY: `control` is only touched with `submit_lock` held (`Inner::with_control`); the
// join handles it holds are `Send`. The queue is `Sync` for `Send` items, the initializer is
// `Send + Sync`, and the rest is atomics and immutable data.
unsafe impl<R: Runtime> Sync for Inner<R> {}
// SAFETY: as above.
unsafe impl<R: Runtime> Send for Inner<R> {}

impl<R: Runtime> Inner<R> {
    /// Runs `f` on `control`. The caller holds `submit_lock`.
    fn with_control<U>(&self, f: impl FnOnce(&mut Control<R>) -> U) -> U {
        // SAFETY: the caller holds `submit_lock`, so nobody else touches `control`; the
        // reference does not outlive `f`.
        self.control.with_mut(|control| f(unsafe { &mut *control }))
    }
}

/// A pool of threads that run submitted tasks: Python's
/// `concurrent.futures.ThreadPoolExecutor`.
///
/// Workers start lazily, one per `submit` while none is idle, up to `max_workers`. Dropping
/// the executor is `shutdown(wait = true, cancel_futures = false)`: every task submitted
/// still runs, and the workers are joined.
///
/// ```
/// use syncsmith::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(2);
/// let future = pool.submit(|| "hello".len()).unwrap();
/// assert_eq!(future.result().unwrap(), 5);
/// let lengths: Vec<usize> = pool.map(|s: &str| s.len(), ["a", "bb"]).map(Result::unwrap).collect();
/// assert_eq!(lengths, [1, 2]);
/// pool.shutdown(true, false);
/// assert_eq!(
///     pool.submit(|| 0).unwrap_err().to_string(),
///     "cannot schedule new futures after shutdown"
/// );
/// ```
#[doc(alias = "concurrent.futures.ThreadPoolExecutor")]
pub struct ThreadPoolExecutor<R: Runtime = Std> {
    inner: Arc<Inner<R>>,
}

static_assertions::assert_impl_all!(ThreadPoolExecutor: Send, Sync);

/// Builds a [`ThreadPoolExecutor`]: `ThreadPoolExecutor::builder().max_workers(4).build()`.
pub struct ExecutorBuilder<R: Runtime = Std> {
    max_workers: Option<usize>,
    thread_name_prefix: Option<String>,
    initializer: Option<Arc<dyn Fn() + Send + Sync>>,
    _runtime: core::marker::PhantomData<R>,
}

impl ExecutorBuilder {
    /// A builder with CPython's defaults.
    pub fn new() -> Self {
        Self::with_runtime()
    }
}

impl Default for ExecutorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Runtime> ExecutorBuilder<R> {
    /// A builder for a pool on runtime `R` (loom models use `Loom`).
    pub fn with_runtime() -> Self {
        ExecutorBuilder {
            max_workers: None,
            thread_name_prefix: None,
            initializer: None,
            _runtime: core::marker::PhantomData,
        }
    }

    /// The most threads the pool starts. Default: CPython's
    /// `min(32, available_parallelism + 4)`.
    pub fn max_workers(mut self, max_workers: usize) -> Self {
        self.max_workers = Some(max_workers);
        self
    }

    /// Worker threads are named `{prefix}_{i}`, `i` from 0. Default:
    /// `ThreadPoolExecutor-{n}`, a new `n` for each pool.
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name_prefix = Some(prefix.into());
        self
    }

    /// Runs in each worker before its first task. If it panics, the pool is broken: queued
    /// futures fail with [`FutureError::BrokenPool`] and later submits return
    /// [`SubmitError::Broken`].
    pub fn initializer(mut self, initializer: impl Fn() + Send + Sync + 'static) -> Self {
        self.initializer = Some(Arc::new(initializer));
        self
    }

    /// The executor. Panics if `max_workers` is 0: "max_workers must be greater than 0".
    pub fn build(self) -> ThreadPoolExecutor<R> {
        let max_workers = self.max_workers.unwrap_or_else(|| {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            (cpus + 4).min(32)
        });
        assert!(max_workers > 0, "max_workers must be greater than 0");
        let thread_name_prefix = self.thread_name_prefix.unwrap_or_else(|| {
            format!(
                "ThreadPoolExecutor-{}",
                POOL_COUNTER.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
            )
        });
        ThreadPoolExecutor {
            inner: Arc::new(Inner {
                queue: Queue::with_runtime(0),
                submit_lock: Lock::with_runtime(),
                control: <R::Cell<_> as Cell<_>>::new(Control {
                    shutdown: false,
                    broken: false,
                    started: 0,
                    workers: Vec::new(),
                }),
                idle: <R::AtomicUsize as AtomicInt>::new(0),
                max_workers,
                thread_name_prefix,
                initializer: self.initializer,
            }),
        }
    }
}

impl<R: Runtime> fmt::Debug for ExecutorBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutorBuilder")
            .field("max_workers", &self.max_workers)
            .field("thread_name_prefix", &self.thread_name_prefix)
            .field("initializer", &self.initializer.is_some())
            .finish()
    }
}

impl ThreadPoolExecutor {
    /// A pool of at most `max_workers` threads. Panics on 0: "max_workers must be greater
    /// than 0".
    pub fn new(max_workers: usize) -> Self {
        Self::builder().max_workers(max_workers).build()
    }

    /// A builder (max workers, thread name prefix, initializer).
    pub fn builder() -> ExecutorBuilder {
        ExecutorBuilder::new()
    }
}

impl Default for ThreadPoolExecutor {
    /// CPython's defaults: `ThreadPoolExecutor::builder().build()`.
    fn default() -> Self {
        Self::builder().build()
    }
}

impl<R: Runtime> ThreadPoolExecutor<R> {
    /// A pool of at most `max_workers` threads on runtime `R`.
    pub fn with_runtime(max_workers: usize) -> Self {
        ExecutorBuilder::with_runtime()
            .max_workers(max_workers)
            .build()
    }

    /// The most threads this pool starts.
    pub fn max_workers(&self) -> usize {
        self.inner.max_workers
    }

    // ANCHOR: submit
    /// Schedules `task` to run on a worker and returns its future. After `shutdown`, or
    /// once the pool is broken, the task comes back in the error.
    pub fn submit<T, F>(&self, task: F) -> Result<Future<T, R>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let inner = &*self.inner;
        let _held = inner.submit_lock.lock();
        let (broken, shutdown) = inner.with_control(|c| (c.broken, c.shutdown));
        if broken {
            return Err(SubmitError::Broken(task));
        }
        if shutdown {
            return Err(SubmitError::ShutDown(task));
        }
        let (future, promise) = Future::pending_with_runtime();
        // The queue is unbounded, and it is shut down only with `submit_lock` held and
        // `shutdown` or `broken` set, which we just saw clear: this cannot fail.
        if inner.queue.put(Box::new(Task { task, promise })).is_err() {
            unreachable!("the work queue is shut down only under the submit lock");
        }
        self.start_worker_if_needed();
        Ok(future)
    }
    // ANCHOR_END: submit

    /// CPython's `_adjust_thread_count`: start a worker unless one is idle or the pool is
    /// full. The caller holds `submit_lock`.
    fn start_worker_if_needed(&self) {
        let inner = &*self.inner;
        let started = inner.with_control(|c| c.started);
        if started == inner.max_workers {
            return; // full: nothing to decide, and no need to touch `idle`
        }
        // CPython's `_idle_semaphore.acquire(timeout=0)`: a worker that finished a task
        // will take this item. Relaxed: `idle` orders nothing, it only says whether to
        // start a thread; the item itself is handed over by the queue's lock. A worker
        // just starting does not count (it may be about to take an older item), so a burst
        // of submits starts threads up to `max_workers`, as in CPython.
        let mut idle = inner.idle.load(Relaxed);
        while idle > 0 {
            match inner
                .idle
                .compare_exchange_weak(idle, idle - 1, Relaxed, Relaxed)
            {
                Ok(_) => return,
                Err(now) => idle = now,
            }
        }
        let index = inner.with_control(|c| {
            c.started += 1;
            c.started - 1
        });
        let thread_id = Arc::new(<R::AtomicUsize as AtomicInt>::new(0));
        let worker = {
            let inner = Arc::clone(&self.inner);
            let thread_id = Arc::clone(&thread_id);
            move || worker_loop(&inner, &thread_id)
        };
        let name = format!("{}_{}", inner.thread_name_prefix, index);
        let handle = R::spawn(name, worker).expect("spawning a worker thread");
        inner.with_control(|c| c.workers.push(Worker { handle, thread_id }));
    }

    // ANCHOR: shutdown
    /// Stops the pool. Later submits fail. With `cancel_futures`, every task not yet started
    /// is cancelled before this returns; without it, the queued tasks still run. With
    /// `wait`, this returns once every worker has exited (from a task on one of the pool's
    /// own workers, every worker but that one). A second call is harmless.
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let inner = &*self.inner;
        let (cancelled, workers) = {
            let _held = inner.submit_lock.lock();
            inner.with_control(|c| c.shutdown = true);
            // The queue's own shutdown wakes every idle worker; each then drains what is
            // left and exits (CPython puts a `None` per worker for this). `immediate` hands
            // the queued items back instead, to be cancelled.
            let cancelled = inner.queue.shutdown(cancel_futures);
            let workers = if wait {
                inner.with_control(|c| core::mem::take(&mut c.workers))
            } else {
                Vec::new()
            };
            (cancelled, workers)
        };
        // Outside the lock: cancelling runs the futures' callbacks.
        for item in cancelled {
            item.cancel();
        }
        let me = R::thread_id();
        for worker in workers {
            // Relaxed: a worker stores its id before it runs any task, so if this call comes
            // from a task on that worker, this thread stored it and sees it.
            if worker.thread_id.load(Relaxed) == me {
                continue; // our own thread: it exits when this task returns
            }
            // A worker thread never panics: tasks, callbacks and the initializer are caught.
            let _ = R::join(worker.handle);
        }
    }
    // ANCHOR_END: shutdown

    /// Calls `f` on each item in a worker, yielding the results in input order: Python's
    /// `Executor.map`, but lazy (see [`Map`]).
    pub fn map<I, T, F>(&self, f: F, items: I) -> Map<'_, T, R>
    where
        I: IntoIterator,
        I::IntoIter: 'static,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        Map::new(self, f, items.into_iter())
    }
}

// ANCHOR: worker_loop
/// A worker thread's life: the initializer, then one work item after another until the
/// queue is shut down and empty.
fn worker_loop<R: Runtime>(inner: &Inner<R>, thread_id: &R::AtomicUsize) {
    thread_id.store(R::thread_id(), Relaxed);
    if let Some(initializer) = &inner.initializer {
        if catch_unwind(AssertUnwindSafe(|| initializer())).is_err() {
            break_pool(inner);
            return;
        }
    }
    // Relaxed: `idle` is a hint for `submit` (see `start_worker_if_needed`).
    let idle_again = || {
        inner.idle.fetch_add(1, Relaxed);
    };
    loop {
        match inner.queue.get() {
            Ok(item) => item.run(&idle_again),
            // Shut down and drained (CPython's `None` sentinel).
            Err(_) => return,
        }
    }
}
// ANCHOR_END: worker_loop

/// CPython's `_initializer_failed`: mark the pool broken and fail every queued future.
#[cold]
fn break_pool<R: Runtime>(inner: &Inner<R>) {
    let orphans = {
        let _held = inner.submit_lock.lock();
        inner.with_control(|c| c.broken = true);
        inner.queue.shutdown(true)
    };
    for item in orphans {
        item.break_pool();
    }
}

impl<R: Runtime> Drop for ThreadPoolExecutor<R> {
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl<R: Runtime> fmt::Debug for ThreadPoolExecutor<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let (started, shutdown, broken) = {
            let _held = inner.submit_lock.lock();
            inner.with_control(|c| (c.started, c.shutdown, c.broken))
        };
        f.debug_struct("ThreadPoolExecutor")
            .field("max_workers", &inner.max_workers)
            .field("threads", &started)
            .field("queued", &inner.queue.qsize())
            .field("shutdown", &shutdown)
            .field("broken", &broken)
            .finish()
    }
}
