//! The model-checking runtime: loom's atomics and cells, and a small parking lot built on
//! loom's `Mutex` and `thread::park`, so that loom explores every interleaving of the
//! shipped primitives, including the parking and unparking inside them.
//!
//! Time: loom has no clock. A timed park yields to the scheduler once and then times out
//! unless an unparker picked it first. The decision is made under the parking lot's lock,
//! the same lock an unparker takes, so "unparked" and "timed out" can never both happen:
//! loom explores both orders of a release racing a timeout, and nothing else.

use super::{
    AtomicInt, AtomicPointer, Cell, Deadline, ParkResult, ParkToken, Runtime, UnparkResult,
    UnparkToken,
};
use super::{ExitHooks, IndexPool, ThreadIndexSlot};
use core::sync::atomic::Ordering;
use core::time::Duration;
use loom::sync::atomic;

/// The loom runtime: use it as the runtime parameter in loom models
/// (`Lock::<Loom>::with_runtime()`), inside `loom::model`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Loom;

/// A deadline under loom: a marker that a park is timed (loom has no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoomInstant;

impl Deadline for LoomInstant {}

super::std_runtime::atomic_int!(atomic::AtomicU8, u8);
super::std_runtime::atomic_int!(atomic::AtomicU32, u32);
super::std_runtime::atomic_int!(atomic::AtomicUsize, usize);

impl<T> AtomicPointer<T> for atomic::AtomicPtr<T> {
    fn new(ptr: *mut T) -> Self {
        atomic::AtomicPtr::new(ptr)
    }
    fn load(&self, order: Ordering) -> *mut T {
        atomic::AtomicPtr::load(self, order)
    }
    fn store(&self, ptr: *mut T, order: Ordering) {
        atomic::AtomicPtr::store(self, ptr, order)
    }
    fn swap(&self, ptr: *mut T, order: Ordering) -> *mut T {
        atomic::AtomicPtr::swap(self, ptr, order)
    }
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

impl<T> Cell<T> for loom::cell::UnsafeCell<T> {
    fn new(value: T) -> Self {
        loom::cell::UnsafeCell::new(value)
    }
    fn with<F: FnOnce(*const T) -> U, U>(&self, f: F) -> U {
        loom::cell::UnsafeCell::with(self, f)
    }
    fn with_mut<F: FnOnce(*mut T) -> U, U>(&self, f: F) -> U {
        loom::cell::UnsafeCell::with_mut(self, f)
    }
    fn into_inner(self) -> T {
        loom::cell::UnsafeCell::into_inner(self)
    }
}

/// One parked thread.
struct Parked {
    key: usize,
    ticket: usize,
    thread: loom::thread::Thread,
}

/// The parking lot of one model execution: who is parked on which key, in arrival order,
/// and the tokens handed to threads that were unparked but have not looked yet.
#[derive(Default)]
struct Lot {
    queue: Vec<Parked>,
    woken: Vec<(usize, UnparkToken)>,
    next_ticket: usize,
    /// Counts unparks that found a thread; every other one is "fair" (see `unpark_one`).
    unparks: usize,
}

impl Lot {
    fn take_woken(&mut self, ticket: usize) -> Option<UnparkToken> {
        let i = self.woken.iter().position(|&(t, _)| t == ticket)?;
        Some(self.woken.swap_remove(i).1)
    }

    fn has_key(&self, key: usize) -> bool {
        self.queue.iter().any(|p| p.key == key)
    }
}

loom::lazy_static! {
    // loom's lazy statics live for one model execution, so every execution starts with an
    // empty parking lot.
    static ref LOT: loom::sync::Mutex<Lot> = loom::sync::Mutex::new(Lot::default());
}

loom::thread_local! {
    static THREAD_ID: usize = {
        // A plain (non-loom) counter: identity needs uniqueness, not synchronization, and
        // loom need not explore it.
        static NEXT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

impl Runtime for Loom {
    type AtomicU8 = atomic::AtomicU8;
    type AtomicU32 = atomic::AtomicU32;
    type AtomicUsize = atomic::AtomicUsize;
    type AtomicPtr<T> = atomic::AtomicPtr<T>;
    type Cell<T> = loom::cell::UnsafeCell<T>;
    type Instant = LoomInstant;
    const SPIN_ROUNDS: u32 = 0;

    fn deadline_after(timeout: Duration) -> Option<LoomInstant> {
        // Mirror `Std`: a timeout too large for a deadline means "no timeout".
        std::time::Instant::now()
            .checked_add(timeout)
            .map(|_| LoomInstant)
    }

    // ANCHOR: loom_park
    unsafe fn park(
        key: usize,
        validate: impl FnOnce() -> bool,
        before_sleep: impl FnOnce(),
        timed_out: impl FnOnce(usize, bool),
        _park_token: ParkToken,
        deadline: Option<LoomInstant>,
    ) -> ParkResult {
        let ticket = {
            let mut lot = LOT.lock().unwrap();
            if !validate() {
                return ParkResult::Invalid;
            }
            let ticket = lot.next_ticket;
            lot.next_ticket += 1;
            let thread = loom::thread::current();
            lot.queue.push(Parked {
                key,
                ticket,
                thread,
            });
            ticket
        };
        before_sleep();
        if deadline.is_some() {
            // Give every other thread one chance to unpark us, then decide under the lock.
            loom::thread::yield_now();
            let mut lot = LOT.lock().unwrap();
            if let Some(token) = lot.take_woken(ticket) {
                return ParkResult::Unparked(token);
            }
            lot.queue.retain(|p| p.ticket != ticket);
            let was_last_thread = !lot.has_key(key);
            timed_out(key, was_last_thread);
            return ParkResult::TimedOut;
        }
        loop {
            // loom's park may return because of an unpark meant for an earlier park of this
            // thread; only the token in `woken` says this park was answered.
            loom::thread::park();
            if let Some(token) = LOT.lock().unwrap().take_woken(ticket) {
                return ParkResult::Unparked(token);
            }
        }
    }

    // ANCHOR_END: loom_park

    // ANCHOR: loom_unpark_one
    unsafe fn unpark_one(
        key: usize,
        callback: impl FnOnce(UnparkResult) -> UnparkToken,
    ) -> UnparkResult {
        let mut lot = LOT.lock().unwrap();
        let Some(i) = lot.queue.iter().position(|p| p.key == key) else {
            let result = UnparkResult::default();
            callback(result);
            return result;
        };
        let parked = lot.queue.remove(i);
        // Eventual fairness, made deterministic so loom explores both hand-off styles: the
        // first unpark of an execution is fair, the next is not, and so on.
        let be_fair = lot.unparks % 2 == 0;
        lot.unparks += 1;
        let result = UnparkResult {
            unparked_threads: 1,
            have_more_threads: lot.has_key(key),
            be_fair,
        };
        let token = callback(result);
        lot.woken.push((parked.ticket, token));
        parked.thread.unpark();
        result
    }

    // ANCHOR_END: loom_unpark_one

    unsafe fn unpark_all(key: usize, token: UnparkToken) -> usize {
        let mut lot = LOT.lock().unwrap();
        let (wake, keep): (Vec<Parked>, Vec<Parked>) =
            lot.queue.drain(..).partition(|p| p.key == key);
        lot.queue = keep;
        for parked in &wake {
            lot.woken.push((parked.ticket, token));
            parked.thread.unpark();
        }
        wake.len()
    }

    fn thread_id() -> usize {
        THREAD_ID.with(|id| *id)
    }

    fn spin_hint() {
        // A spinning thread must let the others run, or loom never finishes the model.
        loom::thread::yield_now();
    }

    fn yield_now() {
        loom::thread::yield_now();
    }

    fn with_thread_index_slot<U>(f: impl FnOnce(&ThreadIndexSlot) -> U) -> Option<U> {
        // Fails once loom has started dropping this thread's thread-locals (it takes them
        // all out first, then drops them).
        THREAD_INDEX_SLOT.try_with(f).ok()
    }

    fn with_exit_hooks<U>(f: impl FnOnce(&ExitHooks) -> U) -> Option<U> {
        EXIT_HOOKS.try_with(f).ok()
    }

    type IndexPoolHandle = LoomIndexPool;

    fn index_pool() -> LoomIndexPool {
        LoomIndexPool(INDEX_POOL.clone())
    }

    fn with_index_pool<U>(pool: &LoomIndexPool, f: impl FnOnce(&mut IndexPool) -> U) -> U {
        f(&mut pool.0.lock().unwrap())
    }

    type LeakCheck = loom::alloc::Track<()>;

    fn leak_check() -> loom::alloc::Track<()> {
        loom::alloc::Track::new(())
    }
}

/// `Loom`'s handle on the execution's index pool. Holders of an index keep one, so that
/// the index can be given back from exit hooks that run after loom has dropped its
/// per-execution statics (the main model thread's run after them).
#[derive(Debug, Clone)]
pub struct LoomIndexPool(loom::sync::Arc<loom::sync::Mutex<IndexPool>>);

// Per-thread state for `ThreadLocal`. loom drops a model thread's thread-locals when the
// thread's closure returns (`rt::thread_done`), so `ExitHooks::drop` runs inside the model,
// and its atomics, cells and the pool's mutex are explored like any other operation.
// One caveat, not met by syncsmith's models: a loom thread-local first touched while the
// thread's thread-locals are being dropped is created afresh and only dropped with the
// execution, outside any thread.
loom::thread_local! {
    static THREAD_INDEX_SLOT: ThreadIndexSlot = ThreadIndexSlot::new();
    static EXIT_HOOKS: ExitHooks = ExitHooks::new();
}

loom::lazy_static! {
    // Per execution, like `LOT`: every execution starts with all thread indices free.
    static ref INDEX_POOL: loom::sync::Arc<loom::sync::Mutex<IndexPool>> =
        loom::sync::Arc::new(loom::sync::Mutex::new(IndexPool::new()));
}
