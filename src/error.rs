//! Every error syncsmith returns. Each one prints Python's message where Python has one,
//! and an error that carries an item hands it back (`into_inner`): nothing is lost.

use core::fmt;

/// Which primitive a [`ReleaseError`] came from; they word the problem differently, as
/// Python does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReleaseErrorKind {
    /// `Lock::release` on a lock nobody holds.
    Unlocked,
    /// `RLock::release` by a thread that does not hold it.
    NotOwner,
}

/// Releasing a lock that the caller may not release: a `Lock` that is not locked ("release
/// unlocked lock") or an `RLock` the calling thread does not own ("cannot release
/// un-acquired lock"). Nothing changes when this is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseError {
    kind: ReleaseErrorKind,
}

impl ReleaseError {
    /// `Lock::release` of an unlocked lock.
    pub(crate) const fn unlocked() -> Self {
        ReleaseError {
            kind: ReleaseErrorKind::Unlocked,
        }
    }

    /// `RLock::release` by a thread that is not the owner.
    pub(crate) const fn not_owner() -> Self {
        ReleaseError {
            kind: ReleaseErrorKind::NotOwner,
        }
    }
}

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            ReleaseErrorKind::Unlocked => "release unlocked lock",
            ReleaseErrorKind::NotOwner => "cannot release un-acquired lock",
        })
    }
}

impl std::error::Error for ReleaseError {}

/// Which `Condition` operation a [`NotOwned`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ConditionOp {
    Wait,
    Notify,
}

/// `Condition::wait` or `Condition::notify*` called without holding the condition's lock.
/// Python's messages: "cannot wait on un-acquired lock", "cannot notify on un-acquired lock".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotOwned {
    op: ConditionOp,
}

impl NotOwned {
    /// A `wait` without the lock.
    pub(crate) const fn wait() -> Self {
        NotOwned {
            op: ConditionOp::Wait,
        }
    }

    /// A `notify` without the lock.
    pub(crate) const fn notify() -> Self {
        NotOwned {
            op: ConditionOp::Notify,
        }
    }
}

impl fmt::Display for NotOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.op {
            ConditionOp::Wait => "cannot wait on un-acquired lock",
            ConditionOp::Notify => "cannot notify on un-acquired lock",
        })
    }
}

impl std::error::Error for NotOwned {}

/// Releasing a `BoundedSemaphore` above its initial value. Nothing changes when this is
/// returned (a `release_n` is all-or-nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TooManyReleases;

impl fmt::Display for TooManyReleases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Semaphore released too many times")
    }
}

impl std::error::Error for TooManyReleases {}

/// The barrier is broken (a wait timed out, `abort` was called, the barrier was reset
/// while threads waited, or the action panicked); Python's `threading.BrokenBarrierError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BrokenBarrier;

impl fmt::Display for BrokenBarrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("barrier is broken")
    }
}

impl std::error::Error for BrokenBarrier {}

/// `queue.ShutDown`: the queue was shut down. A failed `put` carries its item back
/// (`ShutDown<T>`); a failed `get` carries nothing (`ShutDown<()>`, the default).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct ShutDown<T = ()>(pub T);

impl<T> ShutDown<T> {
    /// The item that could not be put.
    pub fn into_inner(self) -> T {
        self.0
    }
}

// Not derived: `Debug` must not require `T: Debug`, so any item can travel in an error
// (as `std::sync::mpsc::SendError` does).
impl<T> fmt::Debug for ShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShutDown(..)")
    }
}

impl<T> fmt::Display for ShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down")
    }
}

impl<T> std::error::Error for ShutDown<T> {}

/// Why a non-blocking or timed `put` failed; the item always comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PutError<T> {
    /// `queue.Full`: the queue stayed full (at once for `try_put`, or until the timeout).
    Full(T),
    /// `queue.ShutDown`: the queue was shut down.
    ShutDown(T),
}

impl<T> PutError<T> {
    /// The item that could not be put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(item) | PutError::ShutDown(item) => item,
        }
    }

    /// Whether the queue was full.
    pub fn is_full(&self) -> bool {
        matches!(self, PutError::Full(_))
    }

    /// Whether the queue was shut down.
    pub fn is_shutdown(&self) -> bool {
        matches!(self, PutError::ShutDown(_))
    }
}

impl<T> From<ShutDown<T>> for PutError<T> {
    fn from(err: ShutDown<T>) -> Self {
        PutError::ShutDown(err.0)
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("Full(..)"),
            PutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("queue is full"),
            PutError::ShutDown(_) => f.write_str("queue is shut down"),
        }
    }
}

impl<T> std::error::Error for PutError<T> {}

/// Why a non-blocking or timed `get` failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetError {
    /// `queue.Empty`: nothing arrived (at once for `try_get`, or until the timeout).
    Empty,
    /// `queue.ShutDown`: the queue was shut down and is empty.
    ShutDown,
}

impl From<ShutDown> for GetError {
    fn from(_: ShutDown) -> Self {
        GetError::ShutDown
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Empty => f.write_str("queue is empty"),
            GetError::ShutDown => f.write_str("queue is shut down"),
        }
    }
}

impl std::error::Error for GetError {}

/// `task_done` called more times than items were put. The counter is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl std::error::Error for TaskDoneError {}
