//! The runtime seam: the one place in syncsmith that knows whether it runs on real threads
//! or under the loom model checker.
//!
//! Every primitive is generic over a [`Runtime`] with [`Std`] as the default type parameter
//! (the pattern of `HashMap<K, V, S = RandomState>`). The primitive's code touches atomics,
//! cells, parking, thread identity and the clock only through this trait, so the code loom
//! checks (with `Loom`, behind the additive `loom` feature) is the code that ships.
//!
//! The parking interface has the shape of `parking_lot_core`: a thread parks on a *key* (the
//! address of the primitive it waits for) after a `validate` callback, run under the parking
//! lot's internal lock, confirms it still should; an unparker removes a thread from a key's
//! queue and decides, under that same lock, what token to hand it.
//!
//! The seam is public, so that loom models (syncsmith's own, and users' models of code
//! built on syncsmith) can name [`Loom`](self) and be generic over `R: Runtime`, but it is
//! not a way around the crate's invariants:
//! - [`Runtime`] and the traits of its associated types are *sealed*: only `Std` and `Loom`
//!   implement them, so the `unsafe impl Sync` blocks of the primitives can rely on the
//!   atomics being atomic and the cells being checked exactly as documented. A user type
//!   cannot implement them:
//!
//!   ```compile_fail
//!   use syncsmith::runtime::Runtime;
//!   #[derive(Debug)]
//!   struct MyRuntime;
//!   impl Runtime for MyRuntime {} // error: the trait `Sealed` is private
//!   ```
//! - Nothing safe changes per-thread state: a thread's index is set by syncsmith alone
//!   ([`ThreadIndexSlot`] has no public setter), and the [`IndexPool`] hands out and takes
//!   back indices only inside the crate:
//!
//!   ```compile_fail
//!   use syncsmith::runtime::{Runtime, Std};
//!   // Give this thread the index of another thread, to reach its `!Sync` value: refused.
//!   Std::with_thread_index_slot(|slot| slot.set(Some(0), core::ptr::null()));
//!   ```
//!
//!   ```compile_fail
//!   use syncsmith::runtime::{Runtime, Std};
//!   let pool = Std::index_pool();
//!   Std::with_index_pool(&pool, |pool| pool.give_back(0)); // refused: crate-private
//!   ```
//! - Parking and unparking are `unsafe fn`s: parking on, or unparking, a key that belongs
//!   to a primitive (its address) could forge the tokens that primitive's waiters trust
//!   ("the lock is yours now").

mod std_runtime;
pub use std_runtime::{Std, StdCell, StdInstant};

#[cfg(feature = "loom")]
mod loom_runtime;
#[cfg(feature = "loom")]
pub use loom_runtime::{Fairness, Loom, LoomIndexPool, LoomInstant};

/// The seal: a public trait in a private module, so that no type outside syncsmith can
/// implement [`Runtime`], [`AtomicInt`], [`AtomicPointer`], [`Cell`], [`Deadline`] or
/// [`JoinHandle`].
mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

// Per-thread bookkeeping for `ThreadLocal`: a small recycled thread index and exit hooks.
mod per_thread;
pub use per_thread::{bucket_location, ExitHook, ExitHooks, IndexPool, ThreadIndexSlot};
pub use std_runtime::StdIndexPool;

use core::fmt::Debug;
use core::sync::atomic::Ordering;
use core::time::Duration;

/// A token a parked thread carries, visible to unparkers. syncsmith's primitives do not
/// use it yet; it is here so the seam keeps `parking_lot_core`'s shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ParkToken(pub usize);

/// A token an unparker hands to the thread it wakes (for example "the lock is yours now").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct UnparkToken(pub usize);

/// How a park ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParkResult {
    /// Another thread unparked this one and handed it this token.
    Unparked(UnparkToken),
    /// `validate` returned false: the thread never slept.
    Invalid,
    /// The deadline passed before any unparker picked this thread.
    TimedOut,
}

impl ParkResult {
    /// Whether the thread was woken by an unparker (rather than timing out or not parking).
    pub fn is_unparked(self) -> bool {
        matches!(self, ParkResult::Unparked(_))
    }
}

/// What an `unpark_one` found, passed to its callback while the queue is still locked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnparkResult {
    /// How many threads were unparked (0 or 1 for `unpark_one`).
    pub unparked_threads: usize,
    /// Whether other threads are still parked on the same key.
    pub have_more_threads: bool,
    /// A hint that the unparker should hand its resource straight to the woken thread, so
    /// that waiters are served fairly now and then (eventual fairness).
    pub be_fair: bool,
}

/// An atomic integer with the methods of `core::sync::atomic`'s (and loom's) types.
pub trait AtomicInt: Sealed + Send + Sync + Debug {
    /// The integer type held.
    type Value: Copy + Eq + Debug;
    /// A new atomic holding `value`.
    fn new(value: Self::Value) -> Self;
    /// See `AtomicUsize::load`.
    fn load(&self, order: Ordering) -> Self::Value;
    /// See `AtomicUsize::store`.
    fn store(&self, value: Self::Value, order: Ordering);
    /// See `AtomicUsize::swap`.
    fn swap(&self, value: Self::Value, order: Ordering) -> Self::Value;
    /// See `AtomicUsize::compare_exchange`.
    fn compare_exchange(
        &self,
        current: Self::Value,
        new: Self::Value,
        success: Ordering,
        failure: Ordering,
    ) -> Result<Self::Value, Self::Value>;
    /// See `AtomicUsize::compare_exchange_weak`.
    fn compare_exchange_weak(
        &self,
        current: Self::Value,
        new: Self::Value,
        success: Ordering,
        failure: Ordering,
    ) -> Result<Self::Value, Self::Value>;
    /// See `AtomicUsize::fetch_add`.
    fn fetch_add(&self, value: Self::Value, order: Ordering) -> Self::Value;
    /// See `AtomicUsize::fetch_sub`.
    fn fetch_sub(&self, value: Self::Value, order: Ordering) -> Self::Value;
    /// See `AtomicUsize::fetch_or`.
    fn fetch_or(&self, value: Self::Value, order: Ordering) -> Self::Value;
    /// See `AtomicUsize::fetch_and`.
    fn fetch_and(&self, value: Self::Value, order: Ordering) -> Self::Value;
}

/// An atomic pointer with the methods of `core::sync::atomic::AtomicPtr` (and loom's).
pub trait AtomicPointer<T>: Sealed + Send + Sync + Debug {
    /// A new atomic holding `ptr`.
    fn new(ptr: *mut T) -> Self;
    /// See `AtomicPtr::load`.
    fn load(&self, order: Ordering) -> *mut T;
    /// See `AtomicPtr::store`.
    fn store(&self, ptr: *mut T, order: Ordering);
    /// See `AtomicPtr::swap`.
    fn swap(&self, ptr: *mut T, order: Ordering) -> *mut T;
    /// See `AtomicPtr::compare_exchange`.
    fn compare_exchange(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T>;
}

/// An `UnsafeCell` with loom's access style: the pointer is only lent to a closure, so
/// that loom can check every access for a data race.
pub trait Cell<T>: Sealed {
    /// A new cell holding `value`.
    fn new(value: T) -> Self;
    /// Lends a shared pointer to the contents.
    fn with<F: FnOnce(*const T) -> U, U>(&self, f: F) -> U;
    /// Lends a unique pointer to the contents.
    fn with_mut<F: FnOnce(*mut T) -> U, U>(&self, f: F) -> U;
    /// Unwraps the value.
    fn into_inner(self) -> T;
}

/// A point in time by which a timed park gives up. Under `Std` it is
/// `std::time::Instant`; under loom there is no clock, and only the parking lot decides
/// when a deadline has passed. Primitives therefore never read the clock themselves: they
/// pass the deadline down to `park` and act on its result.
pub trait Deadline: Sealed + Copy + Send + Sync + Debug {}

/// A thread spawned through [`Runtime::spawn`], to be joined with [`Runtime::join`].
pub trait JoinHandle: Sealed + Send + Debug {}

/// Everything a primitive touches that the model checker must see.
///
/// The methods are associated functions (no `self`): a runtime is a type-level choice, and
/// primitives carry it as `PhantomData`.
pub trait Runtime: Sealed + 'static + Send + Sync + Sized + Debug {
    /// An atomic `u8`.
    type AtomicU8: AtomicInt<Value = u8>;
    /// An atomic `u32`.
    type AtomicU32: AtomicInt<Value = u32>;
    /// An atomic `usize`.
    type AtomicUsize: AtomicInt<Value = usize>;
    /// An atomic pointer.
    type AtomicPtr<T>: AtomicPointer<T>;
    /// An `UnsafeCell` whose accesses the runtime can check.
    type Cell<T>: Cell<T>;
    /// A deadline for a timed park.
    type Instant: Deadline;

    /// How many rounds a contended acquirer busy-waits before it parks. Zero under loom:
    /// loom runs the other threads whenever one yields, so a spinning acquirer would always
    /// let the holder release first and the parking path would never be explored. Spinning
    /// only delays the park; the state machine is the same without it.
    const SPIN_ROUNDS: u32;

    /// The deadline `timeout` from now, or `None` when it is too far away to represent
    /// (which callers treat as "no timeout", as the API promises for `Duration::MAX`).
    fn deadline_after(timeout: Duration) -> Option<Self::Instant>;

    /// Parks the calling thread on `key`, as `parking_lot_core::park` does.
    ///
    /// `validate` runs under the parking lot's lock; if it returns false the thread does not
    /// park. `before_sleep` runs after the thread is queued and the lock is dropped.
    /// `timed_out(key, was_last_thread)` runs under the lock when the deadline passes
    /// before an unparker picked this thread; a thread that an unparker already removed is
    /// reported as unparked, never as timed out.
    ///
    /// # Safety
    /// - `key` is an address the caller controls (the address of a primitive's own state):
    ///   parking on another primitive's key lets that primitive's unparkers hand this
    ///   thread tokens meant for its own waiters, and the other way round.
    /// - The callbacks do not call back into the parking lot (park or unpark), and do not
    ///   panic (they run under the parking lot's lock).
    unsafe fn park(
        key: usize,
        validate: impl FnOnce() -> bool,
        before_sleep: impl FnOnce(),
        timed_out: impl FnOnce(usize, bool),
        park_token: ParkToken,
        deadline: Option<Self::Instant>,
    ) -> ParkResult;

    /// Unparks the oldest thread parked on `key`. `callback` runs under the parking lot's
    /// lock, sees what was found, and chooses the token the woken thread receives.
    ///
    /// # Safety
    /// - `key` is an address the caller controls: waking a thread parked on another
    ///   primitive's key, with a token of the caller's choice, can tell it that it owns
    ///   something it does not (for `Lock`, "the lock was handed to you").
    /// - `callback` does not call back into the parking lot, and does not panic.
    unsafe fn unpark_one(
        key: usize,
        callback: impl FnOnce(UnparkResult) -> UnparkToken,
    ) -> UnparkResult;

    /// Unparks every thread parked on `key`, handing each `token`; returns how many.
    ///
    /// # Safety
    /// `key` is an address the caller controls, and `token` means to the threads parked
    /// there what the caller intends (see [`unpark_one`](Runtime::unpark_one)).
    unsafe fn unpark_all(key: usize, token: UnparkToken) -> usize;

    /// A non-zero number naming the calling thread, unique among live threads.
    fn thread_id() -> usize;

    /// One step of a busy-wait (a CPU spin hint; under loom, a yield to the scheduler so that
    /// spinning models terminate).
    fn spin_hint();

    /// Gives up the rest of the time slice.
    fn yield_now();

    /// Tells the parking lot that the primitive owning `key` is gone: nobody is parked on
    /// it, and nobody will park or unpark on it again. A primitive that parks calls it from
    /// its `Drop`. The real lot keeps nothing per key, so under `Std` it does nothing; the
    /// `Loom` lot forgets the key's queue, so that a primitive later made at the same
    /// address gets a fresh one whether or not the allocator reuses the address (see
    /// `loom_runtime.rs`).
    #[inline]
    fn retire_key(key: usize) {
        let _ = key;
    }

    // ---- per-thread state for `ThreadLocal` (see `per_thread.rs`) ----

    /// Runs `f` on the calling thread's [`ThreadIndexSlot`] (its small, recycled index).
    ///
    /// The hot path of `ThreadLocal::get`. Under `Std` the slot is a const-initialised
    /// `thread_local!` without a destructor: one TLS load, and readable for the thread's
    /// whole life, even from other thread-locals' destructors. Returns `None` only when the
    /// runtime can no longer reach it (under loom, once the thread's thread-locals are being
    /// destroyed; never under `Std`).
    fn with_thread_index_slot<U>(f: impl FnOnce(&ThreadIndexSlot) -> U) -> Option<U>;

    /// Runs `f` on the calling thread's [`ExitHooks`], whose hooks run when the thread
    /// exits. Returns `None` once the list has started running (the thread is exiting), so
    /// a hook can never be added too late to run.
    fn with_exit_hooks<U>(f: impl FnOnce(&ExitHooks) -> U) -> Option<U>;

    /// A handle on the runtime-wide [`IndexPool`] (`Std`: a zero-sized marker for a
    /// `static`; `Loom`: an `Arc` on a loom mutex, fresh in every execution).
    ///
    /// A handle rather than a global: the code that gives an index back may run in a
    /// thread's exit hooks, and loom drops its per-execution statics before the main model
    /// thread's thread-locals (and does not wait in `join` for a spawned thread's), so a
    /// holder of an index keeps the handle it took the index from.
    type IndexPoolHandle: Clone + Send + Sync + Debug;

    /// A handle on the runtime-wide [`IndexPool`]. Call it while the thread runs (not from
    /// an exit hook).
    fn index_pool() -> Self::IndexPoolHandle;

    /// Runs `f` on the pool behind `pool`, under its lock. Under loom the lock is a loom
    /// mutex, so an index given back by an exiting thread and taken by a new one is ordered
    /// (or not) as the model checker sees.
    fn with_index_pool<U>(pool: &Self::IndexPoolHandle, f: impl FnOnce(&mut IndexPool) -> U) -> U;

    /// A marker to put in a heap block that must be freed exactly once (`Std`: zero-sized,
    /// nothing; `Loom`: `loom::alloc::Track<()>`, so an execution that never frees the block
    /// fails with "Allocation leaked"). loom does not see plain `Box`es; this lets a model
    /// catch a forgotten reference-count decrement.
    type LeakCheck: Send + Sync + Debug;

    /// A new [`LeakCheck`](Runtime::LeakCheck) marker.
    fn leak_check() -> Self::LeakCheck;

    // ---- threads, for `futures::ThreadPoolExecutor` ----

    /// A handle on a thread started by [`spawn`](Runtime::spawn).
    type JoinHandle: JoinHandle;

    /// Starts a thread running `f`, named `name` (`Std`: `std::thread::Builder`; `Loom`: a
    /// loom model thread, so a pool's workers are explored like any other thread).
    fn spawn(name: String, f: impl FnOnce() + Send + 'static) -> std::io::Result<Self::JoinHandle>;

    /// Waits for the thread to finish; `Err` carries the payload if it panicked.
    fn join(handle: Self::JoinHandle) -> std::thread::Result<()>;
}
