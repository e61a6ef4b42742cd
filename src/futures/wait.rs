//! `wait` and `as_completed`: waiting on many futures at once.
//!
//! A thread can only block on one thing. So, as CPython does, a call that waits on many
//! futures makes one [`Watcher`] (a condition with a list of finished inputs) and registers
//! it with each future that is not done yet. The thread that completes a future, after
//! releasing that future's lock, reports the future's index to each of its watchers; the
//! waiting call sleeps on its watcher's condition until the list says enough. When the call
//! returns, it takes its watcher off the futures that never finished.
//!
//! Registration takes each future's lock in turn, never two at once (CPython takes them all,
//! sorted by id): a future found done at registration is "done at the call", and every other
//! one will report to the watcher when it ends. Nothing can fall between the two, because
//! the check and the registration happen under the same lock the completing thread takes.

use super::error::TimedOut;
use super::future::Future;
use crate::condition::Condition;
use crate::lock::{Lock, WaitLimit};
use crate::runtime::{Cell, Runtime, Std};
use core::fmt;
use core::time::Duration;
use std::collections::VecDeque;
use std::sync::Arc;

// ANCHOR: watcher
/// One waiting call's view of its futures: which of them finished, in the order they did.
pub(crate) struct Watcher<R: Runtime> {
    cond: Condition<Lock<R>>,
    /// Touched only with `cond`'s lock held.
    finished: R::Cell<Finished>,
}

/// What the completing threads reported to a watcher.
#[derive(Default)]
struct Finished {
    /// Input indices, in the order the futures finished.
    order: VecDeque<usize>,
    /// How many of them failed (`FutureError::is_failure`).
    failures: usize,
}
// ANCHOR_END: watcher

// SAFETY: `finished` is only touched with `cond`'s lock held (`Watcher::with_finished`); it
// holds plain integers.
unsafe impl<R: Runtime> Sync for Watcher<R> {}
// SAFETY: as above.
unsafe impl<R: Runtime> Send for Watcher<R> {}

impl<R: Runtime> Watcher<R> {
    fn new() -> Self {
        Watcher {
            cond: Condition::with_lock(Lock::with_runtime()),
            finished: <R::Cell<_> as Cell<_>>::new(Finished::default()),
        }
    }

    /// Runs `f` on the list. The caller holds `cond`'s lock.
    fn with_finished<U>(&self, f: impl FnOnce(&mut Finished) -> U) -> U {
        // SAFETY: the caller holds the lock, so nobody else touches the list; the reference
        // does not outlive `f`.
        self.finished
            .with_mut(|finished| f(unsafe { &mut *finished }))
    }

    // ANCHOR: finished
    /// Called by the thread that completed input `index` (outside that future's lock).
    pub(crate) fn finished(&self, index: usize, failed: bool) {
        let _held = self.cond.lock();
        self.with_finished(|f| {
            f.order.push_back(index);
            f.failures += usize::from(failed);
        });
        // One thread waits on a watcher (the call that made it), if any.
        self.cond
            .notify_all()
            .expect("the watcher's lock is held by this call");
    }
    // ANCHOR_END: finished

    /// Waits until `ready` holds of the list (checked under the lock), or `limit` runs out;
    /// then runs `then` on the list, still under the lock.
    fn wait_for<U>(
        &self,
        mut ready: impl FnMut(&Finished) -> bool,
        limit: WaitLimit<R>,
        then: impl FnOnce(bool, &mut Finished) -> U,
    ) -> U {
        let _held = self.cond.lock();
        let mut check = || self.with_finished(|f| ready(f));
        let satisfied = self
            .cond
            .wait_for_within(&mut check, limit)
            .expect("the watcher's lock is held by this call");
        self.with_finished(|f| then(satisfied, f))
    }
}

/// When [`wait`] returns (`concurrent.futures.FIRST_COMPLETED` and friends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any future is done (finished, failed or cancelled).
    FirstCompleted,
    /// As soon as any future fails (its task panicked, the pool broke, or its promise was
    /// dropped); a cancelled one does not count. With no failure, when all are done.
    FirstException,
    /// When every future is done.
    AllCompleted,
}

/// What [`wait`] returns: the futures split by whether they were done, each part in input
/// order (Python's `DoneAndNotDoneFutures`).
pub struct Done<T, R: Runtime = Std> {
    /// The futures that were done when `wait` returned.
    pub done: Vec<Future<T, R>>,
    /// The others.
    pub not_done: Vec<Future<T, R>>,
}

impl<T, R: Runtime> fmt::Debug for Done<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("done", &self.done)
            .field("not_done", &self.not_done)
            .finish()
    }
}

/// Registers `watcher` with every future; returns the indices of those done already (in
/// input order) and how many of them failed.
fn watch_all<T, R: Runtime>(
    futures: &[Future<T, R>],
    watcher: &Arc<Watcher<R>>,
) -> (VecDeque<usize>, usize) {
    let mut done = VecDeque::new();
    let mut failures = 0;
    for (index, future) in futures.iter().enumerate() {
        if let Some(failed) = future.shared().watch(watcher, index) {
            done.push_back(index);
            failures += usize::from(failed);
        }
    }
    (done, failures)
}

/// Waits until `return_when` says so: Python's `concurrent.futures.wait`.
///
/// ```
/// use syncsmith::futures::{wait, ReturnWhen};
/// use syncsmith::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(2);
/// let futures: Vec<_> = (0..4).map(|i| pool.submit(move || i * i).unwrap()).collect();
/// let all = wait(futures, ReturnWhen::AllCompleted);
/// assert!(all.not_done.is_empty());
/// let squares: Vec<i32> = all.done.into_iter().map(|f| f.result().unwrap()).collect();
/// assert_eq!(squares, [0, 1, 4, 9]);
/// ```
pub fn wait<T, R: Runtime>(
    fs: impl IntoIterator<Item = Future<T, R>>,
    return_when: ReturnWhen,
) -> Done<T, R> {
    wait_within(fs.into_iter().collect(), return_when, WaitLimit::Forever)
}

/// [`wait`], giving up after `timeout`; then `not_done` holds what did not finish.
pub fn wait_timeout<T, R: Runtime>(
    fs: impl IntoIterator<Item = Future<T, R>>,
    return_when: ReturnWhen,
    timeout: Duration,
) -> Done<T, R> {
    wait_within(
        fs.into_iter().collect(),
        return_when,
        WaitLimit::from_timeout(timeout),
    )
}

// ANCHOR: wait
fn wait_within<T, R: Runtime>(
    futures: Vec<Future<T, R>>,
    return_when: ReturnWhen,
    limit: WaitLimit<R>,
) -> Done<T, R> {
    let total = futures.len();
    let enough = |done: usize, failures: usize| {
        done == total
            || match return_when {
                ReturnWhen::FirstCompleted => done > 0,
                ReturnWhen::FirstException => failures > 0,
                ReturnWhen::AllCompleted => false,
            }
    };
    let watcher = Arc::new(Watcher::new());
    let (done_at_call, failed_at_call) = watch_all(&futures, &watcher);
    if !enough(done_at_call.len(), failed_at_call) {
        watcher.wait_for(
            |f| {
                enough(
                    done_at_call.len() + f.order.len(),
                    failed_at_call + f.failures,
                )
            },
            limit,
            |_, _| (),
        );
    }
    for future in &futures {
        future.shared().unwatch(&watcher);
    }
    let (done, not_done) = futures.into_iter().partition(Future::done);
    Done { done, not_done }
}
// ANCHOR_END: wait

/// Yields the futures as they finish: Python's `concurrent.futures.as_completed`.
///
/// Those already done at the call come first, in input order; then each as it finishes.
/// Stopping early loses nothing: [`into_remaining`](AsCompleted::into_remaining) gives back
/// the futures not yet yielded.
///
/// ```
/// use syncsmith::futures::as_completed;
/// use syncsmith::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(3);
/// let futures: Vec<_> = [30, 10, 20]
///     .into_iter()
///     .map(|ms| pool.submit(move || { std::thread::sleep(std::time::Duration::from_millis(ms)); ms }).unwrap())
///     .collect();
/// let mut seen: Vec<u64> = as_completed(futures).map(|f| f.result().unwrap()).collect();
/// seen.sort();
/// assert_eq!(seen, [10, 20, 30]);
/// ```
pub fn as_completed<T, R: Runtime>(
    fs: impl IntoIterator<Item = Future<T, R>>,
) -> AsCompleted<T, R> {
    let futures: Vec<Future<T, R>> = fs.into_iter().collect();
    let watcher = Arc::new(Watcher::new());
    let (done_at_call, _) = watch_all(&futures, &watcher);
    AsCompleted {
        left: futures.len(),
        futures: futures.into_iter().map(Some).collect(),
        done_at_call,
        watcher,
    }
}

/// [`as_completed`] with a deadline `timeout` from now: at the deadline, one `Err` carrying
/// every future not yet yielded, then `None`.
pub fn as_completed_timeout<T, R: Runtime>(
    fs: impl IntoIterator<Item = Future<T, R>>,
    timeout: Duration,
) -> AsCompletedTimeout<T, R> {
    let inner = as_completed(fs);
    AsCompletedTimeout {
        total: inner.futures.len(),
        inner,
        limit: WaitLimit::from_timeout(timeout),
        ended: false,
    }
}

// ANCHOR: as_completed
/// The iterator of [`as_completed`].
pub struct AsCompleted<T, R: Runtime = Std> {
    /// By input index; `None` once yielded.
    futures: Vec<Option<Future<T, R>>>,
    /// Those found done at the call, in input order: yielded first.
    done_at_call: VecDeque<usize>,
    /// Reports the others as they finish.
    watcher: Arc<Watcher<R>>,
    /// How many have not been yielded.
    left: usize,
}

impl<T, R: Runtime> AsCompleted<T, R> {
    /// The next future to finish, waiting at most until `limit`; `Err` if it ran out.
    fn next_within(&mut self, limit: WaitLimit<R>) -> Option<Result<Future<T, R>, ()>> {
        if self.left == 0 {
            return None;
        }
        let index = match self.done_at_call.pop_front() {
            Some(index) => Some(index),
            None => {
                self.watcher
                    .wait_for(|f| !f.order.is_empty(), limit, |_, f| f.order.pop_front())
            }
        };
        let Some(index) = index else {
            return Some(Err(()));
        };
        self.left -= 1;
        Some(Ok(self.futures[index]
            .take()
            .expect("each input index is reported once")))
    }
    // ANCHOR_END: as_completed

    /// The futures not yet yielded, in input order.
    pub fn into_remaining(mut self) -> Vec<Future<T, R>> {
        self.take_remaining()
    }

    fn take_remaining(&mut self) -> Vec<Future<T, R>> {
        self.left = 0;
        let remaining: Vec<Future<T, R>> = core::mem::take(&mut self.futures)
            .into_iter()
            .flatten()
            .collect();
        for future in &remaining {
            future.shared().unwatch(&self.watcher);
        }
        remaining
    }
}

impl<T, R: Runtime> Iterator for AsCompleted<T, R> {
    type Item = Future<T, R>;

    fn next(&mut self) -> Option<Future<T, R>> {
        self.next_within(WaitLimit::Forever)
            .map(|next| next.expect("a wait without a limit does not time out"))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T, R: Runtime> Drop for AsCompleted<T, R> {
    fn drop(&mut self) {
        // Take the watcher off the futures never yielded, so they do not keep reporting to
        // a call that is gone.
        self.take_remaining();
    }
}

impl<T, R: Runtime> fmt::Debug for AsCompleted<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("left", &self.left)
            .finish()
    }
}

/// The iterator of [`as_completed_timeout`].
pub struct AsCompletedTimeout<T, R: Runtime = Std> {
    inner: AsCompleted<T, R>,
    limit: WaitLimit<R>,
    total: usize,
    /// The deadline passed and the `Err` was yielded: only `None` from now on.
    ended: bool,
}

impl<T, R: Runtime> AsCompletedTimeout<T, R> {
    /// The futures not yet yielded, in input order.
    pub fn into_remaining(self) -> Vec<Future<T, R>> {
        let mut this = self;
        this.inner.take_remaining()
    }
}

impl<T, R: Runtime> Iterator for AsCompletedTimeout<T, R> {
    type Item = Result<Future<T, R>, TimedOut<T, R>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        match self.inner.next_within(self.limit)? {
            Ok(future) => Some(Ok(future)),
            Err(()) => {
                self.ended = true;
                Some(Err(TimedOut {
                    pending: self.inner.take_remaining(),
                    total: self.total,
                }))
            }
        }
    }
}

impl<T, R: Runtime> fmt::Debug for AsCompletedTimeout<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedTimeout")
            .field("left", &self.inner.left)
            .field("ended", &self.ended)
            .finish()
    }
}
