//! # syncsmith
//!
//! Python's synchronization primitives (`threading.Lock`, `RLock`, `Condition`,
//! `Semaphore`, `Event`, `Barrier`, `queue.Queue` and friends, `threading.local`) rebuilt
//! from atomics and a parking lot, each one model-checked with loom and explained in the
//! syncsmith book.
//!
//! Every primitive is generic over a [`runtime::Runtime`] with the real one,
//! [`runtime::Std`], as the default type parameter, so everyday code never names it:
//!
//! ```
//! use syncsmith::Lock;
//! static LOCK: Lock = Lock::new();
//! let _guard = LOCK.lock();
//! ```
//!
//! With the additive `loom` feature a second runtime, `runtime::Loom`, lets the loom
//! models in `loom-tests/` check the very code that ships.

#![warn(missing_docs)]

mod barrier;
mod condition;
pub mod error;
mod event;
pub mod futures;
mod lock;
mod queue;
mod rlock;
pub mod runtime;
mod semaphore;
mod thread_local;

pub use barrier::Barrier;
pub use condition::{Condition, ConditionGuard, ConditionLock};
pub use error::{
    BrokenBarrier, GetError, NotOwned, PutError, ReleaseError, ShutDown, TaskDoneError,
    TooManyReleases,
};
pub use event::Event;
pub use futures::ThreadPoolExecutor;
pub use lock::{Lock, LockGuard};
pub use queue::{
    Discipline, Fifo, Lifo, LifoQueue, Priority, PriorityHeap, PriorityQueue, Queue, SimpleQueue,
};
pub use rlock::{RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, BoundedSemaphorePermit, Semaphore, SemaphorePermit};
pub use thread_local::{IntoIter as ThreadLocalIntoIter, LocalRef, ThreadLocal};
