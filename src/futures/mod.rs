//! `syncsmith::futures`: Python's `concurrent.futures` thread pool, built from syncsmith's
//! own primitives and generic over the runtime, so that loom checks the executor too.
//!
//! - `future.rs`: [`Future`] and [`Promise`], a small state machine under a `Condition`.
//! - `executor.rs`: [`ThreadPoolExecutor`], a `Queue` of work items drained by workers
//!   spawned through the runtime.
//! - `map.rs`: [`Map`], the lazy, bounded `executor.map`.
//! - `wait.rs`: [`wait`] and [`as_completed`], waiting on many futures at once.
//! - `error.rs`: [`FutureError`], [`SubmitError`], [`TimedOut`].

mod error;
mod executor;
mod future;
mod map;
mod wait;

pub use error::{FutureError, SubmitError, TimedOut};
pub use executor::{ExecutorBuilder, ThreadPoolExecutor};
pub use future::{Future, FutureId, Promise};
pub use map::Map;
pub use wait::{
    as_completed, as_completed_timeout, wait, wait_timeout, AsCompleted, AsCompletedTimeout, Done,
    ReturnWhen,
};
