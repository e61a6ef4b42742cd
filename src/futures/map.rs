//! `ThreadPoolExecutor::map`: results in input order, with a bounded number of tasks in
//! flight.
//!
//! CPython before 3.14 submits every item at the call and so cannot take an endless input;
//! 3.14 added `buffersize`. This `Map` always works that way: the call submits the first
//! `2 * max_workers` items (so work starts at once), and each result taken submits one more.
//! The input is read only as far as that, so it may be endless.

use super::error::{FutureError, SubmitError};
use super::executor::ThreadPoolExecutor;
use super::future::Future;
use crate::lock::WaitLimit;
use crate::runtime::{Runtime, Std};
use core::fmt;
use core::time::Duration;
use std::collections::VecDeque;
use std::sync::Arc;

/// Submits the next item; `None` when the input is exhausted.
type SubmitNext<'a, T, R> = Box<dyn FnMut() -> Option<Future<T, R>> + 'a>;

// ANCHOR: map
/// The lazy iterator of [`ThreadPoolExecutor::map`]: each item's result, in input order.
///
/// A task that panicked yields `Err(FutureError::Panicked)` at its position and the map goes
/// on. Items not yet submitted when the executor shuts down yield `Err(Cancelled)`. Dropping
/// the `Map` cancels its tasks that have not started.
pub struct Map<'a, T, R: Runtime = Std> {
    /// Submitted, oldest (next to yield) first.
    in_flight: VecDeque<Future<T, R>>,
    submit_next: SubmitNext<'a, T, R>,
    /// `Forever`, or the deadline set by `with_timeout`.
    limit: WaitLimit<R>,
    /// The deadline passed: only `None` from now on.
    ended: bool,
}
// ANCHOR_END: map

impl<'a, T: Send + 'static, R: Runtime> Map<'a, T, R> {
    pub(crate) fn new<I, F>(executor: &'a ThreadPoolExecutor<R>, f: F, mut items: I) -> Self
    where
        I: Iterator + 'static,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let submit_next = move || {
            let item = items.next()?;
            let f = Arc::clone(&f);
            Some(match executor.submit(move || f(item)) {
                Ok(future) => future,
                // Too late: the item never runs. It still gets its place in the output.
                Err(SubmitError::ShutDown(_)) => ended_with(None),
                Err(SubmitError::Broken(_)) => ended_with(Some(FutureError::BrokenPool)),
            })
        };
        let mut map = Map {
            in_flight: VecDeque::new(),
            submit_next: Box::new(submit_next),
            limit: WaitLimit::Forever,
            ended: false,
        };
        for _ in 0..2 * executor.max_workers() {
            if !map.submit_one() {
                break;
            }
        }
        map
    }
}

/// A future that is already over: cancelled (`None`) or failed with `error`.
fn ended_with<T, R: Runtime>(error: Option<FutureError>) -> Future<T, R> {
    let (future, promise) = Future::pending_with_runtime();
    match error {
        None => {
            future.cancel();
        }
        Some(error) => promise.fail(error),
    }
    future
}

impl<T, R: Runtime> Map<'_, T, R> {
    /// Gives the whole map one deadline, `timeout` from now: results finished by then come
    /// out in order; the first one not finished yields `Err(FutureError::TimedOut)`, the
    /// iterator ends, and its tasks not yet started are cancelled.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.limit = WaitLimit::from_timeout(timeout);
        self
    }

    /// Submits one more item; false when the input is exhausted.
    fn submit_one(&mut self) -> bool {
        match (self.submit_next)() {
            Some(future) => {
                self.in_flight.push_back(future);
                true
            }
            None => false,
        }
    }

    fn cancel_in_flight(&mut self) {
        for future in self.in_flight.drain(..) {
            future.cancel();
        }
    }
}

impl<T, R: Runtime> Iterator for Map<'_, T, R> {
    type Item = Result<T, FutureError>;

    // ANCHOR: map_next
    fn next(&mut self) -> Option<Result<T, FutureError>> {
        if self.ended {
            return None;
        }
        let next = self.in_flight.pop_front()?;
        // Keep the window full while we wait for the oldest.
        self.submit_one();
        if !next.wait_within(self.limit) {
            next.cancel();
            self.cancel_in_flight();
            self.ended = true;
            return Some(Err(FutureError::TimedOut));
        }
        Some(next.result())
    }
    // ANCHOR_END: map_next
}

impl<T, R: Runtime> Drop for Map<'_, T, R> {
    fn drop(&mut self) {
        self.cancel_in_flight();
    }
}

impl<T, R: Runtime> fmt::Debug for Map<'_, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("in_flight", &self.in_flight.len())
            .field("ended", &self.ended)
            .finish()
    }
}
