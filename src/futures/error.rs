//! The errors of `syncsmith::futures`: why a future has no value ([`FutureError`]), why a
//! task was not accepted ([`SubmitError`], which hands the task back), and the deadline of
//! `as_completed_timeout` running out ([`TimedOut`], which hands the pending futures back).

use super::future::Future;
use crate::runtime::{Runtime, Std};
use core::fmt;
use std::any::Any;

/// CPython's `BrokenThreadPool` message, shared by [`SubmitError::Broken`] and
/// [`FutureError::BrokenPool`].
const BROKEN_POOL: &str = "A thread initializer failed, the thread pool is not usable anymore";

/// Why a future holds no value.
pub enum FutureError {
    /// The future was cancelled before its task started (Python's `CancelledError`).
    Cancelled,
    /// The task panicked; this is the panic's payload (Python: the task's exception).
    Panicked(Box<dyn Any + Send>),
    /// A worker's initializer panicked, so the pool never ran this task
    /// (Python's `BrokenThreadPool`).
    BrokenPool,
    /// The [`Promise`](super::Promise) was dropped without a result: nobody will ever
    /// complete the future, so it fails instead of hanging its waiters.
    Abandoned,
    /// A deadline passed first (`Map::with_timeout`; Python's `TimeoutError`).
    TimedOut,
}

impl FutureError {
    /// The panic message, for a `Panicked` whose payload is a `&str` or a `String` (what
    /// `panic!` with a message produces).
    pub fn message(&self) -> Option<&str> {
        match self {
            FutureError::Panicked(payload) => payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            _ => None,
        }
    }

    /// Whether this counts as a failure for `ReturnWhen::FirstException`: a panic, a broken
    /// pool or an abandoned promise; not a cancellation (nor a timeout, which no future
    /// holds).
    pub(crate) fn is_failure(&self) -> bool {
        matches!(
            self,
            FutureError::Panicked(_) | FutureError::BrokenPool | FutureError::Abandoned
        )
    }
}

impl fmt::Debug for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Cancelled => f.write_str("Cancelled"),
            FutureError::Panicked(_) => match self.message() {
                Some(message) => f.debug_tuple("Panicked").field(&message).finish(),
                None => f.write_str("Panicked(..)"),
            },
            FutureError::BrokenPool => f.write_str("BrokenPool"),
            FutureError::Abandoned => f.write_str("Abandoned"),
            FutureError::TimedOut => f.write_str("TimedOut"),
        }
    }
}

impl fmt::Display for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Cancelled => f.write_str("cancelled"),
            FutureError::Panicked(_) => match self.message() {
                Some(message) => write!(f, "the task panicked: {message}"),
                None => f.write_str("the task panicked"),
            },
            FutureError::BrokenPool => f.write_str(BROKEN_POOL),
            FutureError::Abandoned => f.write_str("the promise was dropped without a result"),
            FutureError::TimedOut => f.write_str("timed out"),
        }
    }
}

impl std::error::Error for FutureError {}

/// `submit` refused a task; the task comes back ([`into_inner`](SubmitError::into_inner)).
pub enum SubmitError<F> {
    /// The executor was shut down: "cannot schedule new futures after shutdown".
    ShutDown(F),
    /// An initializer failed and the pool is broken.
    Broken(F),
}

impl<F> SubmitError<F> {
    /// The task that was not accepted.
    pub fn into_inner(self) -> F {
        match self {
            SubmitError::ShutDown(task) | SubmitError::Broken(task) => task,
        }
    }
}

// For every `F`, as `std::sync::mpsc::SendError`: a closure has no `Debug`.
impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SubmitError::ShutDown(_) => "ShutDown(..)",
            SubmitError::Broken(_) => "Broken(..)",
        })
    }
}

impl<F> fmt::Display for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SubmitError::ShutDown(_) => "cannot schedule new futures after shutdown",
            SubmitError::Broken(_) => BROKEN_POOL,
        })
    }
}

impl<F> std::error::Error for SubmitError<F> {}

/// `as_completed_timeout` reached its deadline: every future not yet yielded comes back, in
/// input order ([`into_pending`](TimedOut::into_pending)).
pub struct TimedOut<T, R: Runtime = Std> {
    pub(crate) pending: Vec<Future<T, R>>,
    pub(crate) total: usize,
}

impl<T, R: Runtime> TimedOut<T, R> {
    /// The futures that had not finished (or not been yielded) by the deadline.
    pub fn into_pending(self) -> Vec<Future<T, R>> {
        self.pending
    }
}

impl<T, R: Runtime> fmt::Debug for TimedOut<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimedOut")
            .field("pending", &self.pending)
            .field("total", &self.total)
            .finish()
    }
}

impl<T, R: Runtime> fmt::Display for TimedOut<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // CPython's wording in `as_completed`.
        write!(
            f,
            "{} (of {}) futures unfinished",
            self.pending.len(),
            self.total
        )
    }
}

impl<T, R: Runtime> std::error::Error for TimedOut<T, R> {}
