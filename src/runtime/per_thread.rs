//! Per-thread bookkeeping that the runtime keeps for per-object thread-locals
//! ([`ThreadLocal`](crate::ThreadLocal)): a small *thread index*, and hooks that run when a
//! thread exits.
//!
//! These are plain data types; each runtime stores them where its threads can reach them:
//!
//! | item               | `Std`                                   | `Loom`                                  |
//! |--------------------|-----------------------------------------|-----------------------------------------|
//! | [`ThreadIndexSlot`] | `std::thread_local!`, const, no `Drop` | `loom::thread_local!`                   |
//! | [`ExitHooks`]      | `std::thread_local!` (its `Drop` runs at thread exit) | `loom::thread_local!` (loom drops it when the model thread ends) |
//! | [`IndexPool`]      | a `static` behind `std::sync::Mutex`    | a per-execution `loom::lazy_static!` behind loom's `Mutex` |
//!
//! Because loom 0.7 drops a model thread's `loom::thread_local!` values when that thread
//! finishes, the exit hooks run inside the model, and loom explores a thread's exit racing
//! with everything else (the `ThreadLocal` being dropped, `for_each` reading the value, a
//! new thread taking the recycled index).
//!
//! Why the `Std` thread index slot has no destructor: a `thread_local!` that needs no drop
//! and has a `const` initialiser compiles to a bare TLS access (the hot path of
//! `ThreadLocal::get`), and it stays readable for the whole life of the thread, even while
//! other thread-locals' destructors run, so a late access can never read freed memory.

use core::cell::{Cell, RefCell};
use std::collections::BTreeSet;

/// The calling thread's small index, as handed out by the runtime's [`IndexPool`], where
/// that index falls in a table of buckets (see [`bucket_location`]), and a pointer to
/// whatever record the primitive keeps for that index.
///
/// Thread indices are small and reused (the lowest free one is handed out first), unlike
/// [`Runtime::thread_id`](super::Runtime::thread_id), which never repeats: a table indexed
/// by them stays as small as the number of threads alive at once. The location is worked
/// out once, when the index is set, so that a lookup does no arithmetic.
#[derive(Debug)]
pub struct ThreadIndexSlot {
    /// The index plus one; 0 while the thread has none (so a const zero initialiser works).
    index_plus_one: Cell<usize>,
    /// `bucket_location(index)`, valid while `index_plus_one` is not 0.
    bucket: Cell<usize>,
    offset: Cell<usize>,
    /// Opaque to the runtime: the owner of the index keeps its bookkeeping here.
    record: Cell<*const ()>,
}

/// Where `index` falls in a table split into buckets of 1, 2, 4, 8, ... slots: bucket `b`
/// holds the `2^b` indices `2^b - 1 ..= 2^(b+1) - 2`. Returns `(bucket, offset in it)`.
/// `index` must be below `usize::MAX`; [`IndexPool`] never hands out more.
#[inline]
pub fn bucket_location(index: usize) -> (usize, usize) {
    let position = index + 1;
    let bucket = (usize::BITS - 1 - position.leading_zeros()) as usize;
    (bucket, position - (1 << bucket))
}

impl ThreadIndexSlot {
    /// An empty slot: no index yet.
    pub const fn new() -> Self {
        ThreadIndexSlot {
            index_plus_one: Cell::new(0),
            bucket: Cell::new(0),
            offset: Cell::new(0),
            record: Cell::new(core::ptr::null()),
        }
    }

    /// The thread's index, if it has one.
    #[inline]
    pub fn index(&self) -> Option<usize> {
        self.index_plus_one.get().checked_sub(1)
    }

    /// Where the thread's index falls in a table of buckets (`bucket_location(index)`), if
    /// it has one: the hot path of `ThreadLocal::get`.
    #[inline]
    pub fn location(&self) -> Option<(usize, usize)> {
        if self.index_plus_one.get() == 0 {
            return None;
        }
        Some((self.bucket.get(), self.offset.get()))
    }

    /// The record stored with the index (null if none).
    #[inline]
    pub fn record(&self) -> *const () {
        self.record.get()
    }

    /// Gives the thread `index` (or takes it away with `None`) and the record that goes
    /// with it. `index` must be below `usize::MAX`; [`IndexPool`] never hands out more.
    ///
    /// Crate-private: `ThreadLocal`'s `unsafe` code trusts that a slot's index was taken
    /// from the pool by this thread and is held by no other live thread. A public setter
    /// would let safe code borrow another thread's index, and with it that thread's
    /// `!Sync` value.
    pub(crate) fn set(&self, index: Option<usize>, record: *const ()) {
        let (bucket, offset) = index.map_or((0, 0), bucket_location);
        self.bucket.set(bucket);
        self.offset.set(offset);
        self.index_plus_one.set(index.map_or(0, |i| i + 1));
        self.record.set(record);
    }
}

impl Default for ThreadIndexSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// One thing to do when the calling thread exits: a hand-made closure (a function pointer
/// and the three words it needs).
///
/// Not a `Box<dyn FnOnce()>`: that would demand `'static` captures and an allocation per
/// hook, and a hook is registered for every (thread, `ThreadLocal`) pair.
#[derive(Debug)]
pub struct ExitHook {
    data: [*const (); 3],
    on_exit: unsafe fn([*const (); 3]),
    is_stale: unsafe fn([*const (); 3]) -> bool,
}

impl ExitHook {
    /// A hook that calls `on_exit(data)` once, when the thread exits. Before that,
    /// [`ExitHooks::push`] may ask `is_stale(data)` whether the hook has become pointless
    /// (its object was dropped); a stale hook is run at once (`on_exit(data)`) and removed,
    /// so a long-lived thread's list does not grow with every object it ever touched.
    ///
    /// # Safety
    /// `on_exit(data)` and `is_stale(data)` must be safe to call on the registering thread
    /// at any time until `on_exit` has run (so `data` must stay valid that long), and
    /// `on_exit` must not panic when called from a stale check.
    pub unsafe fn new(
        data: [*const (); 3],
        on_exit: unsafe fn([*const (); 3]),
        is_stale: unsafe fn([*const (); 3]) -> bool,
    ) -> Self {
        ExitHook {
            data,
            on_exit,
            is_stale,
        }
    }

    fn run(self) {
        // SAFETY: `ExitHook::new`'s contract; each hook is run at most once, since `run`
        // consumes it.
        unsafe { (self.on_exit)(self.data) }
    }

    fn is_stale(&self) -> bool {
        // SAFETY: `ExitHook::new`'s contract.
        unsafe { (self.is_stale)(self.data) }
    }
}

// Five words: three of data, two function pointers (the `ThreadLocal` docs count on it).
static_assertions::assert_eq_size!(ExitHook, [usize; 5]);
static_assertions::assert_eq_size!(ThreadIndexSlot, [usize; 4]);

/// The smallest list length at which [`ExitHooks::push`] looks for stale hooks.
const MIN_PRUNE_LEN: usize = 16;

/// The calling thread's exit hooks. They run when the list is dropped, which the runtime
/// arranges to happen when the thread exits, newest first (like `atexit`): the first hook
/// a thread registers (for `ThreadLocal`, the one that gives the thread index back) runs
/// last, after every hook that still uses the index.
#[derive(Debug)]
pub struct ExitHooks {
    hooks: RefCell<Vec<ExitHook>>,
    /// `push` prunes stale hooks when the list reaches this length, then sets it to twice
    /// the surviving length: amortised O(1) per push, and at most half the list is stale.
    prune_at: Cell<usize>,
}

impl ExitHooks {
    /// An empty list.
    pub const fn new() -> Self {
        ExitHooks {
            hooks: RefCell::new(Vec::new()),
            prune_at: Cell::new(MIN_PRUNE_LEN),
        }
    }

    /// Adds `hook`, first running and removing the stale hooks if the list has grown.
    pub fn push(&self, hook: ExitHook) {
        let stale = {
            let mut hooks = self.hooks.borrow_mut();
            let mut stale = Vec::new();
            if hooks.len() >= self.prune_at.get() {
                let (dead, live): (Vec<ExitHook>, Vec<ExitHook>) =
                    hooks.drain(..).partition(ExitHook::is_stale);
                *hooks = live;
                self.prune_at.set((hooks.len() * 2).max(MIN_PRUNE_LEN));
                stale = dead;
            }
            hooks.push(hook);
            stale
        };
        // Outside the borrow: a hook may do anything but call back into this list.
        for hook in stale {
            hook.run();
        }
    }

    /// How many hooks are registered (a test and debugging aid).
    pub fn len(&self) -> usize {
        self.hooks.borrow().len()
    }

    /// Whether no hook is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for ExitHooks {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ExitHooks {
    fn drop(&mut self) {
        // The runtime no longer lends this list out once its destruction has begun, so no
        // hook can be added while these run.
        let hooks = core::mem::take(self.hooks.get_mut());
        for hook in hooks.into_iter().rev() {
            hook.run();
        }
    }
}

/// The runtime-wide pool of thread indices: the lowest free index is handed out first, so
/// the indices in use stay below the largest number of threads that held one at once.
///
/// Only syncsmith takes and gives back indices (and only it can make a pool, so the one
/// behind [`Runtime::with_index_pool`](super::Runtime::with_index_pool) cannot be swapped
/// for another): an index handed out twice would give two live threads the same
/// `ThreadLocal` slot.
#[derive(Debug)]
pub struct IndexPool {
    /// Every index below this has been handed out at some point.
    next: usize,
    /// Indices below `next` that were given back and not yet handed out again.
    free: BTreeSet<usize>,
}

impl IndexPool {
    /// An empty pool; the first index handed out is 0.
    pub(crate) const fn new() -> Self {
        IndexPool {
            next: 0,
            free: BTreeSet::new(),
        }
    }

    /// Hands out the lowest free index.
    pub(crate) fn take(&mut self) -> usize {
        if let Some(index) = self.free.pop_first() {
            return index;
        }
        let index = self.next;
        // `ThreadIndexSlot` stores index + 1.
        assert!(index < usize::MAX - 1, "thread index space exhausted");
        self.next += 1;
        index
    }

    /// Returns `index` to the pool. Only the holder of an index may give it back, once.
    pub(crate) fn give_back(&mut self, index: usize) {
        debug_assert!(index < self.next && !self.free.contains(&index));
        self.free.insert(index);
        // Keep `free` small: a free run at the top just lowers `next`.
        while self.next > 0 && self.free.remove(&(self.next - 1)) {
            self.next -= 1;
        }
    }

    /// How many indices are handed out now.
    pub fn in_use(&self) -> usize {
        self.next - self.free.len()
    }
}
