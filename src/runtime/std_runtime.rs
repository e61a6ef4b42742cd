//! The real runtime: `core` atomics, `parking_lot_core` for parking, `std::time::Instant`.

use super::{
    AtomicInt, AtomicPointer, Cell, Deadline, ParkResult, ParkToken, Runtime, UnparkResult,
    UnparkToken,
};
use super::{ExitHooks, IndexPool, JoinHandle, Sealed, ThreadIndexSlot};
use core::sync::atomic::{self, Ordering};
use std::time::{Duration, Instant};

/// The runtime of real threads; the default type parameter of every primitive.
#[derive(Debug, Clone, Copy, Default)]
pub struct Std;

/// `std::time::Instant`, as a runtime deadline.
pub type StdInstant = Instant;

impl Sealed for Instant {}
impl Deadline for Instant {}

macro_rules! atomic_int {
    ($atomic:ty, $value:ty) => {
        impl Sealed for $atomic {}
        impl AtomicInt for $atomic {
            type Value = $value;
            #[inline]
            fn new(value: $value) -> Self {
                <$atomic>::new(value)
            }
            #[inline]
            fn load(&self, order: Ordering) -> $value {
                <$atomic>::load(self, order)
            }
            #[inline]
            fn store(&self, value: $value, order: Ordering) {
                <$atomic>::store(self, value, order)
            }
            #[inline]
            fn swap(&self, value: $value, order: Ordering) -> $value {
                <$atomic>::swap(self, value, order)
            }
            #[inline]
            fn compare_exchange(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$value, $value> {
                <$atomic>::compare_exchange(self, current, new, success, failure)
            }
            #[inline]
            fn compare_exchange_weak(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$value, $value> {
                <$atomic>::compare_exchange_weak(self, current, new, success, failure)
            }
            #[inline]
            fn fetch_add(&self, value: $value, order: Ordering) -> $value {
                <$atomic>::fetch_add(self, value, order)
            }
            #[inline]
            fn fetch_sub(&self, value: $value, order: Ordering) -> $value {
                <$atomic>::fetch_sub(self, value, order)
            }
            #[inline]
            fn fetch_or(&self, value: $value, order: Ordering) -> $value {
                <$atomic>::fetch_or(self, value, order)
            }
            #[inline]
            fn fetch_and(&self, value: $value, order: Ordering) -> $value {
                <$atomic>::fetch_and(self, value, order)
            }
        }
    };
}
#[cfg_attr(not(feature = "loom"), allow(unused_imports))]
pub(crate) use atomic_int;

atomic_int!(atomic::AtomicU8, u8);
atomic_int!(atomic::AtomicU32, u32);
atomic_int!(atomic::AtomicUsize, usize);

impl<T> Sealed for atomic::AtomicPtr<T> {}
impl<T> AtomicPointer<T> for atomic::AtomicPtr<T> {
    #[inline]
    fn new(ptr: *mut T) -> Self {
        atomic::AtomicPtr::new(ptr)
    }
    #[inline]
    fn load(&self, order: Ordering) -> *mut T {
        atomic::AtomicPtr::load(self, order)
    }
    #[inline]
    fn store(&self, ptr: *mut T, order: Ordering) {
        atomic::AtomicPtr::store(self, ptr, order)
    }
    #[inline]
    fn swap(&self, ptr: *mut T, order: Ordering) -> *mut T {
        atomic::AtomicPtr::swap(self, ptr, order)
    }
    #[inline]
    fn compare_exchange(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        atomic::AtomicPtr::compare_exchange(self, current, new, success, failure)
    }
}

/// `core::cell::UnsafeCell` with loom's `with`/`with_mut` access style, so generic code
/// reads the same under both runtimes.
#[derive(Debug, Default)]
#[repr(transparent)]
pub struct StdCell<T>(core::cell::UnsafeCell<T>);

impl<T> StdCell<T> {
    /// A new cell; `const` so that `static` primitives can hold one.
    pub const fn new(value: T) -> Self {
        StdCell(core::cell::UnsafeCell::new(value))
    }
}

impl<T> Sealed for StdCell<T> {}
impl<T> Cell<T> for StdCell<T> {
    #[inline]
    fn new(value: T) -> Self {
        StdCell::new(value)
    }
    #[inline]
    fn with<F: FnOnce(*const T) -> U, U>(&self, f: F) -> U {
        f(self.0.get())
    }
    #[inline]
    fn with_mut<F: FnOnce(*mut T) -> U, U>(&self, f: F) -> U {
        f(self.0.get())
    }
    #[inline]
    fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

/// Thread ids are handed out from a counter and never reused (a `usize` does not run out),
/// so an `RLock` held by a thread that exited can never be mistaken for a new thread's.
#[cold]
fn next_thread_id() -> usize {
    static NEXT: atomic::AtomicUsize = atomic::AtomicUsize::new(1);
    // Relaxed: only uniqueness matters, and the read-modify-write guarantees it.
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Sealed for Std {}
impl Sealed for std::thread::JoinHandle<()> {}
impl JoinHandle for std::thread::JoinHandle<()> {}

impl Runtime for Std {
    type AtomicU8 = atomic::AtomicU8;
    type AtomicU32 = atomic::AtomicU32;
    type AtomicUsize = atomic::AtomicUsize;
    type AtomicPtr<T> = atomic::AtomicPtr<T>;
    type Cell<T> = StdCell<T>;
    type Instant = Instant;
    // As parking_lot: three rounds of growing CPU spins, then seven yields.
    const SPIN_ROUNDS: u32 = 10;

    #[inline]
    fn deadline_after(timeout: Duration) -> Option<Instant> {
        Instant::now().checked_add(timeout)
    }

    #[inline]
    unsafe fn park(
        key: usize,
        validate: impl FnOnce() -> bool,
        before_sleep: impl FnOnce(),
        timed_out: impl FnOnce(usize, bool),
        park_token: ParkToken,
        deadline: Option<Instant>,
    ) -> ParkResult {
        // SAFETY: our caller upholds `Runtime::park`'s contract (a key it controls;
        // callbacks that neither panic nor re-enter the parking lot), which is exactly
        // `parking_lot_core::park`'s.
        let result = unsafe {
            parking_lot_core::park(
                key,
                validate,
                before_sleep,
                timed_out,
                parking_lot_core::ParkToken(park_token.0),
                deadline,
            )
        };
        match result {
            parking_lot_core::ParkResult::Unparked(token) => {
                ParkResult::Unparked(UnparkToken(token.0))
            }
            parking_lot_core::ParkResult::Invalid => ParkResult::Invalid,
            parking_lot_core::ParkResult::TimedOut => ParkResult::TimedOut,
        }
    }

    #[inline]
    unsafe fn unpark_one(
        key: usize,
        callback: impl FnOnce(UnparkResult) -> UnparkToken,
    ) -> UnparkResult {
        let convert = |r: parking_lot_core::UnparkResult| UnparkResult {
            unparked_threads: r.unparked_threads,
            have_more_threads: r.have_more_threads,
            be_fair: r.be_fair,
        };
        // SAFETY: our caller upholds `Runtime::unpark_one`'s contract: a key it controls,
        // and a `callback` that neither panics nor re-enters the parking lot.
        let result = unsafe {
            parking_lot_core::unpark_one(key, |r| {
                parking_lot_core::UnparkToken(callback(convert(r)).0)
            })
        };
        convert(result)
    }

    #[inline]
    unsafe fn unpark_all(key: usize, token: UnparkToken) -> usize {
        // SAFETY: our caller upholds `Runtime::unpark_all`'s contract (a key it controls:
        // the woken threads are its own, and `token` means what it intends to them), which
        // is all `parking_lot_core::unpark_all` asks; it takes no callback.
        unsafe { parking_lot_core::unpark_all(key, parking_lot_core::UnparkToken(token.0)) }
    }

    #[inline]
    fn thread_id() -> usize {
        thread_local! {
            // 0 means "not assigned yet"; a const initialiser keeps the access cheap.
            static ID: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
        }
        ID.with(|id| match id.get() {
            0 => {
                let fresh = next_thread_id();
                id.set(fresh);
                fresh
            }
            known => known,
        })
    }

    #[inline]
    fn spin_hint() {
        core::hint::spin_loop();
    }

    #[inline]
    fn yield_now() {
        std::thread::yield_now();
    }

    #[inline]
    fn with_thread_index_slot<U>(f: impl FnOnce(&ThreadIndexSlot) -> U) -> Option<U> {
        // `with` cannot fail: a const-initialised thread-local without a destructor is never
        // torn down before the thread's memory is.
        Some(THREAD_INDEX_SLOT.with(f))
    }

    #[inline]
    fn with_exit_hooks<U>(f: impl FnOnce(&ExitHooks) -> U) -> Option<U> {
        // `try_with` fails once the list's destructor has started: the thread is exiting.
        EXIT_HOOKS.try_with(f).ok()
    }

    type IndexPoolHandle = StdIndexPool;

    #[inline]
    fn index_pool() -> StdIndexPool {
        StdIndexPool
    }

    fn with_index_pool<U>(_: &StdIndexPool, f: impl FnOnce(&mut IndexPool) -> U) -> U {
        // The pool's operations cannot leave it half-changed, so a poisoned lock (a panic
        // elsewhere while it was held) is safe to keep using.
        let mut pool = INDEX_POOL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut pool)
    }

    type LeakCheck = ();

    #[inline]
    fn leak_check() {}

    type JoinHandle = std::thread::JoinHandle<()>;

    fn spawn(
        name: String,
        f: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new().name(name).spawn(f)
    }

    fn join(handle: std::thread::JoinHandle<()>) -> std::thread::Result<()> {
        handle.join()
    }
}

/// The thread indices of real threads: one pool for the process.
static INDEX_POOL: std::sync::Mutex<IndexPool> = std::sync::Mutex::new(IndexPool::new());

/// `Std`'s handle on its index pool: the pool is a `static`, so the handle is empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdIndexPool;

thread_local! {
    /// The thread's small index for `ThreadLocal`; no destructor, so always readable.
    static THREAD_INDEX_SLOT: ThreadIndexSlot = const { ThreadIndexSlot::new() };
    /// Dropped by std's thread-local destructors when the thread exits: runs the hooks.
    static EXIT_HOOKS: ExitHooks = const { ExitHooks::new() };
}
