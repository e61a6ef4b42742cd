//! `ThreadLocal`: Python's `threading.local()`: one object, a separate value for every
//! thread, and a thread's value is dropped when that thread exits.
//!
//! # How it is laid out
//!
//! Every thread that uses a `ThreadLocal` gets a small *thread index* from the runtime's
//! [`IndexPool`](crate::runtime::IndexPool): the lowest free one, given back when the
//! thread exits. A `ThreadLocal` is a table of slots indexed by it, split into buckets of
//! 1, 2, 4, 8, ... slots that are allocated the first time a thread with an index in them
//! shows up and never move. So [`get`](ThreadLocal::get) is lock-free and short: read the
//! index from a thread-local, load the bucket pointer, look at the slot.
//!
//! # How a value dies
//!
//! Each slot has an atomic `state` word: `PRESENT` (a value is there), `REGISTERED` (the
//! owner's exit hook knows the slot), `KEPT` and `DOOMED` (see below), and a count of
//! visitors (`for_each` calls looking at the slot right now). The first time a thread puts a
//! value in a `ThreadLocal`, it registers an exit hook with the runtime
//! ([`ExitHooks`](crate::runtime::ExitHooks)). When the thread exits, the hook settles the
//! slot with one compare-exchange on `state`:
//!
//! - nobody is looking: it takes the value (`state` becomes 0) and drops it, on the exiting
//!   thread, as Python frees a dead thread's `local` data;
//! - a `LocalRef` is still alive (leaked with `mem::forget`, or held by another
//!   thread-local's destructor that has yet to run): it leaves the value in place, marked
//!   `KEPT`, and the `ThreadLocal`'s `clear`, `into_iter` or drop takes it later;
//! - a `for_each` is reading it: it marks it `DOOMED` and walks away; the last visitor to
//!   leave the slot drops it. The exiting thread never waits.
//!
//! The `ThreadLocal` may be dropped at the same moment on another thread. Its drop settles
//! every slot with the same compare-exchange, so exactly one side takes each value. The
//! memory both sides touch (the buckets) belongs to a small reference-counted `Shared`
//! block: the `ThreadLocal` holds one reference and every registered exit hook another,
//! and the last one out frees the buckets.
//!
//! A thread's index goes back to the pool only when every slot it owned, in every
//! `ThreadLocal`, is empty again: the thread's `ThreadRecord` counts one *hold* for the
//! thread itself and one for each value it left behind (`KEPT` or `DOOMED`). Whoever drops
//! the last hold gives the index back, so a new thread with that index always finds its
//! slots empty.
//!
//! # Why there is no `iter()` handing out `&T`
//!
//! Values die with their threads, on their threads' own schedule. A `&T` to another thread's
//! value could outlive it: `&T` is `Send` when `T: Sync`, so it could be moved to a thread
//! that outlives the value's owner. So the only ways to reach a value are a [`LocalRef`],
//! which cannot leave its thread (a thread cannot be exiting while it runs code that holds
//! one, except in thread-local destructors, which `KEPT` covers), and closures
//! ([`for_each`](ThreadLocal::for_each)) out of which no reference escapes, so the visitor
//! count bounds how long anyone can look.
//!
//! # Memory
//!
//! On a 64-bit target, with `w` = 8 bytes:
//!
//! - a `ThreadLocal` itself: 65 words (a pointer per bucket, and one to `Shared`), 520
//!   bytes, and nothing allocated until a thread makes a value;
//! - per slot: 3 words plus `T` (rounded up to `T`'s alignment). Slots come in buckets: if
//!   the largest thread index that made a value here is below `n`, the table has at most
//!   `2n - 1` slots. Indices are recycled, lowest first, so `n` is the largest number of
//!   threads that used `ThreadLocal`s *at the same time*, not the number that ever ran;
//! - once a thread registers a value: a `Shared` block of 5 words for the `ThreadLocal`,
//!   and an exit hook of 5 words in that thread's list, kept until the thread exits (or,
//!   after the `ThreadLocal` is dropped, until the thread prunes its stale hooks);
//! - per thread that ever used one: a 4-word index slot and 5-word hook list in its
//!   thread-locals, a 2-word `ThreadRecord` and a 5-word exit hook, all gone when it exits.
//!
//! So a `ThreadLocal<T>` used by `k` threads at once costs about
//! `520 + (2k - 1) * (24 + size_of::<T>()) + 40 + 40 * k` bytes. A value `KEPT` past its
//! thread's exit keeps its index (and so its slot) taken until the `ThreadLocal` drops it;
//! a thread that first uses a `ThreadLocal` from a thread-local destructor after its exit
//! hooks ran gets an index that is never reused.

use crate::runtime::{
    bucket_location, AtomicInt, AtomicPointer, Cell, ExitHook, Runtime, Std, ThreadIndexSlot,
};
use core::fmt;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ops::Deref;
use core::ptr;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

// ANCHOR: state
/// The slot holds an initialised value.
const PRESENT: usize = 1 << 0;
/// The owner's exit hook knows about this slot. Meaningful to the owner only; everyone
/// else leaves the bit as they found it.
const REGISTERED: usize = 1 << 1;
/// The value outlived its thread (a `LocalRef` was alive at the exit, or the value was made
/// too late in the thread's exit to register a hook). It is no longer visited; `clear`,
/// `into_iter` or the `ThreadLocal`'s drop takes it.
const KEPT: usize = 1 << 2;
/// The owner exited while visitors were looking: the last visitor to leave drops it.
const DOOMED: usize = 1 << 3;
/// One `for_each`/`for_each_mut` looking at the slot; the count fills the upper bits.
const VISITOR: usize = 1 << 4;

/// `borrows` while the owner runs `init`: a second `get_or*` from inside `init` sees it.
const INITIALISING: usize = usize::MAX;
// ANCHOR_END: state

/// How many visitors a `state` word counts.
#[inline]
fn visitors(state: usize) -> usize {
    state / VISITOR
}

/// How many buckets a table has: bucket `b` holds `2^b` slots, so together they cover every
/// index the [`IndexPool`](crate::runtime::IndexPool) can hand out.
const BUCKETS: usize = usize::BITS as usize;

/// The message of the panic when `init` re-enters `get_or*` on the same `ThreadLocal`.
const REENTRANT_INIT: &str =
    "reentrant init: the `init` of ThreadLocal::get_or* called get_or* on the same ThreadLocal";

// ANCHOR: entry
/// One thread's slot in one `ThreadLocal`.
struct Entry<T, R: Runtime> {
    /// `PRESENT | REGISTERED | KEPT | DOOMED` and the visitor count (see the constants).
    state: R::AtomicUsize,
    /// How many `LocalRef`s the owner holds (or `INITIALISING`). Only the thread that owns
    /// the slot touches it, so it needs no atomics: this is the whole cost of a `LocalRef`.
    borrows: R::Cell<usize>,
    /// The owner's `ThreadRecord`, written when the value is left behind (`KEPT` or
    /// `DOOMED`) and published with that state; read by whoever then drops the value, to
    /// release the hold the value has on its thread's index.
    record: R::Cell<*const ThreadRecord<R>>,
    value: R::Cell<MaybeUninit<T>>,
}
// ANCHOR_END: entry

impl<T, R: Runtime> Entry<T, R> {
    fn new() -> Self {
        Entry {
            state: <R::AtomicUsize as AtomicInt>::new(0),
            borrows: <R::Cell<usize> as Cell<usize>>::new(0),
            record: <R::Cell<*const ThreadRecord<R>> as Cell<_>>::new(ptr::null()),
            value: <R::Cell<MaybeUninit<T>> as Cell<_>>::new(MaybeUninit::uninit()),
        }
    }

    /// Drops the value in place.
    ///
    /// # Safety
    /// The caller owns the value: it took `PRESENT` away with a compare-exchange (or is
    /// the last visitor of a `DOOMED` slot), and nobody else can still read it.
    unsafe fn drop_value(&self) {
        // SAFETY: the value is initialised and ours (the caller's contract).
        self.value
            .with_mut(|value| unsafe { ptr::drop_in_place((*value).as_mut_ptr()) });
    }

    /// Moves the value out. Same contract as `drop_value`.
    unsafe fn take_value(&self) -> T {
        // SAFETY: as `drop_value`; the slot no longer counts the value as present.
        self.value
            .with_mut(|value| unsafe { ptr::read((*value).as_ptr()) })
    }

    /// The owner's `LocalRef` count. Only the thread that owns the slot calls this.
    #[inline]
    fn borrows(&self) -> usize {
        // SAFETY: only the owning thread touches `borrows` (`LocalRef` is not `Send`).
        self.borrows.with(|borrows| unsafe { *borrows })
    }

    /// Sets the owner's `LocalRef` count. Only the thread that owns the slot calls this.
    #[inline]
    fn set_borrows(&self, count: usize) {
        // SAFETY: as `borrows`.
        self.borrows.with_mut(|borrows| unsafe { *borrows = count });
    }

    /// The value is being left behind by its owner (made `KEPT` or `DOOMED` by the state
    /// change that follows, a Release): note whose index it holds, and take a hold on it.
    /// A null `record` is a retired index, which needs no hold.
    fn take_hold(&self, record: *const ThreadRecord<R>) {
        // SAFETY: only the owner writes `record`, before the Release that publishes the
        // state; the one who drops the value reads it after an Acquire that saw that state.
        self.record.with_mut(|slot| unsafe { *slot = record });
        if !record.is_null() {
            // Relaxed: the thread's own hold keeps the count above zero, and the Release
            // that publishes the new state orders this before any release of the new hold.
            // SAFETY: the thread's own hold keeps its record alive.
            unsafe { &(*record).holds }.fetch_add(1, Relaxed);
        }
    }

    /// Whoever dropped a `KEPT` or `DOOMED` value gives up the hold it had (see
    /// `take_hold`).
    ///
    /// # Safety
    /// The caller took the value from a `KEPT` or `DOOMED` state with an Acquire.
    unsafe fn drop_hold(&self) {
        // SAFETY: published with the state our caller acquired.
        let record = self.record.with(|record| unsafe { *record });
        if !record.is_null() {
            // SAFETY: the hold the value had is now ours to give up.
            unsafe { release_hold(record) };
        }
    }
}

impl<T, R: Runtime> Drop for Entry<T, R> {
    fn drop(&mut self) {
        // Freeing a slot needs exclusive access to it. Under `Std` these do nothing; under
        // loom they check that every thread that touched the slot's cells (an exit hook, a
        // claimer) happened-before the free, which is what the reference count on `Shared`
        // must guarantee.
        self.borrows.with_mut(|_| ());
        self.record.with_mut(|_| ());
    }
}

/// What syncsmith knows about a thread index while it is handed out: the index, and how
/// many things still stop it from being reused.
struct ThreadRecord<R: Runtime> {
    index: usize,
    /// The pool the index came from, and goes back to.
    pool: R::IndexPoolHandle,
    /// One for the thread itself until its exit hooks are done, plus one for each value it
    /// left behind (`KEPT` or `DOOMED`) until that value is dropped.
    holds: R::AtomicUsize,
    /// Under loom, a record never freed (a hold never given up) fails the model.
    _leak_check: R::LeakCheck,
}

// ANCHOR: release_hold
/// Drops one hold on `record`; the last gives the index back to the pool.
///
/// # Safety
/// The caller has a hold on `record` (a live `ThreadRecord`) and gives it up.
unsafe fn release_hold<R: Runtime>(record: *const ThreadRecord<R>) {
    // SAFETY: our hold keeps the record alive until this decrement.
    let holds = unsafe { &(*record).holds };
    // AcqRel: Release so that everything this holder did to its slots (dropping the value,
    // clearing `state`) happens-before the decrement that frees the index; Acquire so that
    // the last holder sees every other holder's slot work before the index is reused. The
    // pool's lock then carries that to the thread that takes the index next.
    if holds.fetch_sub(1, AcqRel) == 1 {
        // SAFETY: that was the last hold: nobody else refers to the record.
        let record = unsafe { Box::from_raw(record as *mut ThreadRecord<R>) };
        R::with_index_pool(&record.pool, |pool| pool.give_back(record.index));
    }
}
// ANCHOR_END: release_hold

/// The exit hook every thread registers first (so it runs last): the thread stops using
/// its index, and gives up its own hold on it.
///
/// # Safety
/// `data[0]` is the thread's `ThreadRecord`, on which the thread has its hold.
unsafe fn release_thread<R: Runtime>(data: [*const (); 3]) {
    let record = data[0] as *const ThreadRecord<R>;
    // Anything that runs after this (a later thread-local destructor) gets no index and
    // takes the late path in `assign_index`.
    R::with_thread_index_slot(|slot| slot.set(None, ptr::null()));
    // SAFETY: the thread's own hold, given up exactly once (a hook runs once).
    unsafe { release_hold::<R>(record) };
}

/// `is_stale` for the thread's own hook: it only goes when the thread does.
unsafe fn never_stale(_: [*const (); 3]) -> bool {
    false
}

/// The calling thread's index and record (null for a thread that took its index while
/// exiting: that index is never given back).
struct CurrentThread<R: Runtime> {
    index: usize,
    record: *const ThreadRecord<R>,
}

/// Where the calling thread's slot is (bucket, offset), if it has an index: the first step
/// of the hot path.
#[inline]
fn thread_location<R: Runtime>() -> Option<(usize, usize)> {
    R::with_thread_index_slot(|slot| slot.location()).flatten()
}

/// The calling thread's index, assigning one if it has none.
fn current_thread<R: Runtime>() -> CurrentThread<R> {
    R::with_thread_index_slot(|slot| match slot.index() {
        Some(index) => CurrentThread {
            index,
            record: slot.record() as *const ThreadRecord<R>,
        },
        None => assign_index(slot),
    })
    .expect("ThreadLocal used after this thread's thread-local storage was destroyed")
}

// ANCHOR: assign_index
/// Takes the lowest free index from the pool and arranges for it to go back when the
/// thread exits.
#[cold]
fn assign_index<R: Runtime>(slot: &ThreadIndexSlot) -> CurrentThread<R> {
    let pool = R::index_pool();
    let index = R::with_index_pool(&pool, |pool| pool.take());
    let record = Box::into_raw(Box::new(ThreadRecord::<R> {
        index,
        pool,
        holds: <R::AtomicUsize as AtomicInt>::new(1),
        _leak_check: R::leak_check(),
    }));
    // SAFETY: `release_thread` gets the record it expects and gives up the thread's hold
    // once; `never_stale` touches nothing.
    let hook = unsafe {
        ExitHook::new(
            [record as *const (), ptr::null(), ptr::null()],
            release_thread::<R>,
            never_stale,
        )
    };
    if R::with_exit_hooks(|hooks| hooks.push(hook)).is_some() {
        slot.set(Some(index), record as *const ());
        CurrentThread { index, record }
    } else {
        // The thread is already exiting (we are in a thread-local destructor that ran after
        // syncsmith's): nothing will run when it is gone, so nothing can give the index
        // back. Retire it: its values are `KEPT` and dropped with their `ThreadLocal`.
        // SAFETY: the record was never shared.
        drop(unsafe { Box::from_raw(record) });
        slot.set(Some(index), ptr::null());
        CurrentThread {
            index,
            record: ptr::null(),
        }
    }
}
// ANCHOR_END: assign_index

/// A bucket handed over by a dropped `ThreadLocal`: its number, and its slots.
type HandedOverBucket<T, R> = (usize, *mut Entry<T, R>);

/// The block shared by a `ThreadLocal` and the exit hooks registered for it: it outlives
/// whichever of them goes last, and with it the buckets they all touch.
struct Shared<T, R: Runtime> {
    /// One for the `ThreadLocal` until its drop, plus one per registered exit hook.
    refs: R::AtomicUsize,
    /// Set when the `ThreadLocal` is dropped: its hooks are stale.
    dropped: R::AtomicU8,
    /// The buckets, handed over by the `ThreadLocal`'s drop (as `(bucket number,
    /// pointer)`), for the last reference to free.
    buckets: R::Cell<Vec<HandedOverBucket<T, R>>>,
    /// Under loom, a `Shared` never freed (a reference never given back) fails the model.
    _leak_check: R::LeakCheck,
}

// ANCHOR: release_shared
/// Drops one reference to `shared`; the last frees it and the buckets.
///
/// # Safety
/// The caller holds a reference and gives it up. The buckets the `ThreadLocal` handed over
/// hold no values any more.
unsafe fn release_shared<T, R: Runtime>(shared: *const Shared<T, R>) {
    // AcqRel, as for `Arc`: Release so this holder's accesses to the slots happen-before the
    // free; Acquire so that the last holder frees after everyone else's accesses.
    // SAFETY: our reference keeps the block alive until this decrement.
    if unsafe { &(*shared).refs }.fetch_sub(1, AcqRel) == 1 {
        // SAFETY: that was the last reference.
        let shared = unsafe { Box::from_raw(shared as *mut Shared<T, R>) };
        // SAFETY: we are the last user of the block.
        let buckets = shared
            .buckets
            .with_mut(|buckets| core::mem::take(unsafe { &mut *buckets }));
        for (bucket, entries) in buckets {
            // SAFETY: the `ThreadLocal` handed these over when it was dropped, emptied.
            unsafe { free_bucket(bucket, entries) };
        }
    }
}
// ANCHOR_END: release_shared

/// Frees a bucket's memory.
///
/// # Safety
/// The bucket came from `allocate_bucket(bucket)`, its slots hold no values, and nobody
/// else can reach it any more.
unsafe fn free_bucket<T, R: Runtime>(bucket: usize, entries: *mut Entry<T, R>) {
    // SAFETY: allocated by `allocate_bucket` as a boxed slice of `1 << bucket` entries.
    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(entries, 1 << bucket)) });
}

/// Allocates bucket `bucket`: `1 << bucket` empty slots.
fn allocate_bucket<T, R: Runtime>(bucket: usize) -> *mut Entry<T, R> {
    let entries: Box<[Entry<T, R>]> = (0..1usize << bucket).map(|_| Entry::new()).collect();
    Box::into_raw(entries) as *mut Entry<T, R>
}

// ANCHOR: exit_slot
/// The exit hook of one (thread, `ThreadLocal`) pair: settle the thread's slot. Runs on
/// the exiting thread (or, for a stale hook, on the live thread pruning it, when the slot
/// is already empty).
///
/// # Safety
/// `data` is `[entry, shared, record]` as `register` made it: the calling thread's slot,
/// the `Shared` block on which this hook holds a reference, and the thread's record.
unsafe fn exit_slot<T, R: Runtime>(data: [*const (); 3]) {
    // SAFETY: the hook's reference on `Shared` keeps the buckets, and so the entry, alive.
    let entry = unsafe { &*(data[0] as *const Entry<T, R>) };
    let shared = data[1] as *const Shared<T, R>;
    let record = data[2] as *const ThreadRecord<R>;
    // Only this thread touches `borrows`. Non-zero: a `LocalRef` is leaked, or held by a
    // thread-local destructor that has not run yet.
    let borrowed = entry.borrows() != 0;
    let mut holding = false;
    let mut state = entry.state.load(Relaxed);
    loop {
        let unregistered = state & !REGISTERED;
        let next = if state & PRESENT == 0 {
            unregistered // no value (cleared, or never made): just forget the hook
        } else if borrowed {
            unregistered | KEPT // the ThreadLocal will drop it
        } else if visitors(state) != 0 {
            unregistered | DOOMED // the last visitor will drop it
        } else {
            0 // ours to drop, now
        };
        let leaving_behind = next & (KEPT | DOOMED) != 0;
        if leaving_behind && !holding {
            // Before the exchange: once it lands, a visitor may drop the value and give up
            // the hold at once.
            entry.take_hold(record);
            holding = true;
        }
        // AcqRel. Acquire: when we take the value (next == 0), every visitor's reads of it
        // (their leave is a Release) happen-before our drop. Release: when we leave the value
        // behind (DOOMED, KEPT), our writes to it (through a `LocalRef`, via interior
        // mutability) and `take_hold`'s happen-before the drop by whoever takes it.
        match entry
            .state
            .compare_exchange_weak(state, next, AcqRel, Relaxed)
        {
            Ok(_) => {
                if holding && !leaving_behind {
                    // An earlier attempt took a hold, and a retry found no value to leave
                    // behind (the visitors left, or the ThreadLocal took it): give it up.
                    // SAFETY: the hold `take_hold` took, given up once; the thread's own
                    // hold keeps it from being the last.
                    unsafe { release_hold(record) };
                }
                if next == 0 && state & PRESENT != 0 {
                    // SAFETY: our exchange took PRESENT away with no visitor in the slot;
                    // new visitors see an empty slot.
                    unsafe { entry.drop_value() };
                }
                break;
            }
            Err(now) => state = now,
        }
    }
    // SAFETY: this hook's reference, given up once.
    unsafe { release_shared(shared) };
}
// ANCHOR_END: exit_slot

/// `is_stale` for a slot's exit hook: its `ThreadLocal` has been dropped, so running the
/// hook early only gives back its reference on `Shared`.
unsafe fn slot_is_stale<T, R: Runtime>(data: [*const (); 3]) -> bool {
    let shared = data[1] as *const Shared<T, R>;
    // Relaxed: the flag only says that the hook may run early. What the hook then does is
    // ordered on its own: it settles the slot with a compare-exchange (which reads the
    // latest state, whatever this load saw) and gives back its reference with AcqRel.
    // SAFETY: the hook's reference keeps `shared` alive.
    unsafe { &(*shared).dropped }.load(Relaxed) != 0
}

/// Per-object thread-local storage: each thread sees its own value; a thread's value is
/// dropped when the thread exits. Python's `threading.local()`.
///
/// ```
/// use std::cell::Cell;
/// use syncsmith::ThreadLocal;
///
/// static COUNTER: ThreadLocal<Cell<u32>> = ThreadLocal::new();
///
/// COUNTER.get_or_default().set(1);
/// std::thread::spawn(|| {
///     // A new thread starts with no value.
///     assert!(COUNTER.get().is_none());
///     COUNTER.get_or(|| Cell::new(10)).set(11);
///     assert_eq!(COUNTER.get().unwrap().get(), 11);
///     // ...and this thread's value is dropped when it exits.
/// })
/// .join()
/// .unwrap();
/// assert_eq!(COUNTER.get().unwrap().get(), 1);
/// ```
///
/// Unlike `std::thread_local!`, a `ThreadLocal` is an ordinary value: make as many as you
/// like, put them in structs, drop them. Unlike the `thread_local` crate's, a thread's value
/// does not wait for the whole object to be dropped: it goes when its thread exits.
///
/// `T` must be `'static`: a value may be dropped when its thread exits, and a thread (a
/// scoped one, say) can outlive any borrow the value could hold.
///
/// # Memory
///
/// On 64-bit targets: the `ThreadLocal` itself is 520 bytes and allocates nothing until a
/// thread makes a value. Each value lives in a slot of 24 bytes plus `T`; slots come in
/// buckets of 1, 2, 4, ... indexed by a thread index that is recycled lowest-first, so
/// with `k` threads using thread-locals at once the table has at most `2k - 1` slots,
/// however many threads have come and gone. Each thread that made a value also costs about
/// 40 bytes of bookkeeping (an exit hook) until it exits, and the `ThreadLocal` one
/// 40-byte shared block. In all: about `520 + (2k - 1) * (24 + size_of::<T>()) + 40k + 40`
/// bytes. (The book's `ThreadLocal` chapter itemises it.)
#[doc(alias = "threading.local")]
#[doc(alias = "local")]
pub struct ThreadLocal<T, R: Runtime = Std> {
    /// Bucket `b` holds the slots for indices `2^b - 1 ..= 2^(b+1) - 2`; null until a
    /// thread with such an index first makes a value.
    buckets: [R::AtomicPtr<Entry<T, R>>; BUCKETS],
    /// Allocated when the first exit hook is registered.
    shared: R::AtomicPtr<Shared<T, R>>,
    /// The values are ours to drop.
    _values: PhantomData<T>,
}

// SAFETY: a ThreadLocal hands each thread only its own value (`get`), and other threads'
// values only to `for_each` when `T: Sync` and to `&mut self` methods; values are dropped on
// whatever thread exits or drops the table, so `T: Send` is all it needs, as for a
// `Mutex<T>`.
unsafe impl<T: Send, R: Runtime> Sync for ThreadLocal<T, R> {}
// SAFETY: moving the table moves the values with it; `T: Send` allows that.
unsafe impl<T: Send, R: Runtime> Send for ThreadLocal<T, R> {}

static_assertions::assert_impl_all!(ThreadLocal<String>: Send, Sync);
static_assertions::assert_impl_all!(ThreadLocal<core::cell::Cell<u8>>: Send, Sync);
static_assertions::assert_not_impl_any!(ThreadLocal<std::rc::Rc<u8>>: Send, Sync);
static_assertions::assert_not_impl_any!(LocalRef<'static, u8>: Send);
static_assertions::assert_impl_all!(LocalRef<'static, u8>: Sync);
static_assertions::assert_not_impl_any!(LocalRef<'static, core::cell::Cell<u8>>: Send, Sync);
// The memory the docs promise: a 65-word table, 3 words per slot plus `T`, a 5-word
// `Shared` block, a 2-word `ThreadRecord`.
static_assertions::assert_eq_size!(ThreadLocal<u8>, [usize; BUCKETS + 1]);
static_assertions::assert_eq_size!(Entry<u64, Std>, [usize; 4]);
static_assertions::assert_eq_size!(Shared<u64, Std>, [usize; 5]);
static_assertions::assert_eq_size!(ThreadRecord<Std>, [usize; 2]);

impl<T> ThreadLocal<T> {
    /// A null bucket pointer, to fill the array in a `const fn`.
    // A `const` with interior mutability is copied afresh at each use, which is what the
    // array repeat wants here.
    #[allow(clippy::declare_interior_mutable_const)]
    const NO_BUCKET: core::sync::atomic::AtomicPtr<Entry<T, Std>> =
        core::sync::atomic::AtomicPtr::new(ptr::null_mut());

    /// A `ThreadLocal` with no values. `const`, so it can live in a `static`, like a
    /// module-level `threading.local()` in Python. Allocates nothing until a thread makes
    /// a value.
    pub const fn new() -> Self {
        ThreadLocal {
            buckets: [Self::NO_BUCKET; BUCKETS],
            shared: core::sync::atomic::AtomicPtr::new(ptr::null_mut()),
            _values: PhantomData,
        }
    }
}

impl<T, R: Runtime> ThreadLocal<T, R> {
    /// A `ThreadLocal` with no values on runtime `R` (loom models use
    /// `ThreadLocal::<T, Loom>::with_runtime()`).
    pub fn with_runtime() -> Self {
        ThreadLocal {
            buckets: core::array::from_fn(|_| AtomicPointer::new(ptr::null_mut())),
            shared: AtomicPointer::new(ptr::null_mut()),
            _values: PhantomData,
        }
    }

    /// The slot at `(bucket, offset)`, if its bucket exists.
    #[inline]
    fn entry(&self, (bucket, offset): (usize, usize)) -> Option<&Entry<T, R>> {
        debug_assert!(bucket < BUCKETS);
        // SAFETY: `bucket_location` returns a bucket below `usize::BITS` (= BUCKETS); this
        // saves a bounds check on the hot path.
        let pointer = unsafe { self.buckets.get_unchecked(bucket) };
        // Acquire: pairs with the Release that published the bucket, so its slots are seen
        // initialised.
        let entries = pointer.load(Acquire);
        if entries.is_null() {
            return None;
        }
        // SAFETY: a published bucket holds `1 << bucket` slots and lives as long as `self`.
        Some(unsafe { &*entries.add(offset) })
    }

    /// The slot for `index`, allocating its bucket if need be.
    fn entry_or_allocate(&self, index: usize) -> &Entry<T, R> {
        let (bucket, offset) = bucket_location(index);
        if let Some(entry) = self.entry((bucket, offset)) {
            return entry;
        }
        let entries = allocate_bucket::<T, R>(bucket);
        // AcqRel: Release publishes the initialised slots; on failure, Acquire (below) sees
        // the winner's.
        let entries = match self.buckets[bucket].compare_exchange(
            ptr::null_mut(),
            entries,
            AcqRel,
            Acquire,
        ) {
            Ok(_) => entries,
            Err(theirs) => {
                // Another thread with an index in this bucket got there first.
                // SAFETY: ours was never shared, and holds no values.
                unsafe { free_bucket(bucket, entries) };
                theirs
            }
        };
        // SAFETY: as in `entry`.
        unsafe { &*entries.add(offset) }
    }

    /// The `Shared` block, allocating it if need be.
    fn shared(&self) -> &Shared<T, R> {
        // Acquire: pairs with the Release that published it.
        let mut shared = self.shared.load(Acquire);
        if shared.is_null() {
            let fresh = Box::into_raw(Box::new(Shared::<T, R> {
                refs: <R::AtomicUsize as AtomicInt>::new(1),
                dropped: <R::AtomicU8 as AtomicInt>::new(0),
                buckets: <R::Cell<_> as Cell<_>>::new(Vec::new()),
                _leak_check: R::leak_check(),
            }));
            // AcqRel: Release publishes the block; on failure, Acquire sees the winner's.
            shared = match self
                .shared
                .compare_exchange(ptr::null_mut(), fresh, AcqRel, Acquire)
            {
                Ok(_) => fresh,
                Err(theirs) => {
                    // SAFETY: ours was never shared.
                    drop(unsafe { Box::from_raw(fresh) });
                    theirs
                }
            };
        }
        // SAFETY: the ThreadLocal's own reference keeps it alive while `self` is.
        unsafe { &*shared }
    }

    // ANCHOR: claim
    /// Claims the value of a slot for a `&mut self` method (`clear`, `into_iter`, `drop`):
    /// returns the state it took the value from, or `None` if there was none. Only exit
    /// hooks can race us (no `&self` user exists), and the compare-exchange settles that
    /// race: exactly one side takes the value.
    fn claim(entry: &Entry<T, R>) -> Option<usize> {
        let mut state = entry.state.load(Relaxed);
        loop {
            if state & PRESENT == 0 {
                return None;
            }
            debug_assert_eq!(visitors(state), 0, "a visitor while borrowed mutably");
            // Acquire: pairs with the exit hook's Release when it left the value behind
            // (KEPT), so its `take_hold` and the owner's writes to the value happen-before
            // we read the record and drop or move the value. The owner's REGISTERED bit is
            // left as it was: its hook still has to run.
            match entry
                .state
                .compare_exchange_weak(state, state & REGISTERED, Acquire, Relaxed)
            {
                Ok(_) => return Some(state),
                Err(now) => state = now,
            }
        }
    }
    // ANCHOR_END: claim

    /// Claims the value of a slot and drops it, if it has one.
    fn drop_claimed(entry: &Entry<T, R>) {
        if let Some(claimed) = Self::claim(entry) {
            // SAFETY: we claimed it.
            unsafe { entry.drop_value() };
            if claimed & KEPT != 0 {
                // SAFETY: we took it from a KEPT state with an Acquire.
                unsafe { entry.drop_hold() };
            }
        }
    }

    /// Every allocated slot, bucket by bucket.
    fn entries(&self) -> impl Iterator<Item = &Entry<T, R>> + '_ {
        self.buckets
            .iter()
            .enumerate()
            .flat_map(|(bucket, pointer)| {
                // Acquire: as in `entry`.
                let entries = pointer.load(Acquire);
                let slots: &[Entry<T, R>] = if entries.is_null() {
                    &[]
                } else {
                    // SAFETY: a published bucket of `1 << bucket` slots, alive with `self`.
                    unsafe { core::slice::from_raw_parts(entries, 1 << bucket) }
                };
                slots.iter()
            })
    }

    /// How many slots the table has allocated (one per thread index it can hold without
    /// allocating again). A test aid: with indices recycled, it stays small however many
    /// threads come and go.
    #[doc(hidden)]
    pub fn capacity(&self) -> usize {
        self.buckets
            .iter()
            .enumerate()
            // Relaxed: only the count matters.
            .filter(|(_, pointer)| !pointer.load(Relaxed).is_null())
            .map(|(bucket, _)| 1 << bucket)
            .sum()
    }

    // ANCHOR: visit
    /// Looks at one slot as a visitor: `look` gets the value's cell if the value belongs to
    /// a live thread. A thread that exits meanwhile leaves the value to the last visitor
    /// (DOOMED) instead of dropping it under our feet, and never waits for us.
    fn visit(entry: &Entry<T, R>, look: impl FnOnce(&R::Cell<MaybeUninit<T>>)) {
        // Acquire: pairs with the Release that published the value (`PRESENT`), so `look`
        // sees it initialised.
        let state = entry.state.fetch_add(VISITOR, Acquire);
        // Leave even if `look` panics: a visitor that never left would keep a DOOMED value
        // alive, and its thread's index out of the pool, forever.
        let _leave = Leave(entry);
        if state & (PRESENT | KEPT | DOOMED) == PRESENT {
            look(&entry.value);
        }
    }
    // ANCHOR_END: visit
}

/// Ends a visit (see `ThreadLocal::visit`).
struct Leave<'a, T, R: Runtime>(&'a Entry<T, R>);

// ANCHOR: leave
impl<T, R: Runtime> Drop for Leave<'_, T, R> {
    fn drop(&mut self) {
        let entry = self.0;
        let mut state = entry.state.load(Relaxed);
        let last_of_doomed = loop {
            // The last visitor out of a DOOMED slot empties it in the same exchange, so a
            // visitor arriving later finds nothing to read and nothing to drop.
            let last_of_doomed = state & DOOMED != 0 && visitors(state) == 1;
            let next = if last_of_doomed { 0 } else { state - VISITOR };
            // AcqRel. Release: our reads of the value happen-before whoever drops it.
            // Acquire: if we drop it, the owner's writes (its DOOMED exchange was a Release)
            // happen-before our drop.
            match entry
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) => break last_of_doomed,
                Err(now) => state = now,
            }
        };
        if last_of_doomed {
            // SAFETY: the owner is gone and left the value to the last visitor: us.
            unsafe { entry.drop_value() };
            // SAFETY: we took it from a DOOMED state with an Acquire.
            unsafe { entry.drop_hold() };
        }
    }
}
// ANCHOR_END: leave

impl<T: Send + 'static, R: Runtime> ThreadLocal<T, R> {
    // ANCHOR: get
    /// The calling thread's value, if it has made one (`getattr(local, name, None)`).
    #[inline]
    pub fn get(&self) -> Option<LocalRef<'_, T, R>> {
        let entry = self.own_entry_with_value()?;
        // SAFETY: the slot is the calling thread's, and holds a value.
        Some(unsafe { LocalRef::new(entry) })
    }

    /// The calling thread's slot, if it holds a value: the hot path of every `get*`.
    #[inline]
    fn own_entry_with_value(&self) -> Option<&Entry<T, R>> {
        let entry = self.entry(thread_location::<R>()?)?;
        // Relaxed: only this thread makes values in this slot, and anything another thread
        // did to it (`clear`, the previous owner of the index) happened-before, through the
        // `&mut` borrow or the index pool.
        if entry.state.load(Relaxed) & PRESENT == 0 {
            return None;
        }
        Some(entry)
    }
    // ANCHOR_END: get

    /// The calling thread's value, made with `init` if it has none yet.
    ///
    /// # Panics
    /// If `init` itself calls a `get_or*` of this same `ThreadLocal` (there is no value to
    /// return yet), or if `init` panics.
    #[inline]
    pub fn get_or(&self, init: impl FnOnce() -> T) -> LocalRef<'_, T, R> {
        match self.get_or_try(|| Ok::<T, core::convert::Infallible>(init())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// The calling thread's value, made with `init` if it has none yet; if `init` fails,
    /// its error is returned and nothing is stored.
    ///
    /// # Panics
    /// As [`get_or`](Self::get_or).
    #[inline]
    pub fn get_or_try<E>(
        &self,
        init: impl FnOnce() -> Result<T, E>,
    ) -> Result<LocalRef<'_, T, R>, E> {
        let entry = match self.own_entry_with_value() {
            Some(entry) => entry,
            None => self.insert(init)?,
        };
        // One `LocalRef` for both paths, so that the compiler can cancel its count against
        // the drop when the caller only reads the value.
        // SAFETY: the slot is the calling thread's, and holds a value.
        Ok(unsafe { LocalRef::new(entry) })
    }

    /// The calling thread's value, `T::default()` if it has none yet.
    #[inline]
    pub fn get_or_default(&self) -> LocalRef<'_, T, R>
    where
        T: Default,
    {
        self.get_or(T::default)
    }

    // ANCHOR: insert
    /// The slow path of `get_or_try`: the thread may need an index, the table a bucket, and
    /// the slot a value and an exit hook. Returns the calling thread's slot, with a value.
    #[cold]
    fn insert<E>(&self, init: impl FnOnce() -> Result<T, E>) -> Result<&Entry<T, R>, E> {
        let thread = current_thread::<R>();
        let entry = self.entry_or_allocate(thread.index);
        // Relaxed: as in `get`.
        let state = entry.state.load(Relaxed);
        if state & PRESENT != 0 {
            return Ok(entry);
        }
        if entry.borrows() == INITIALISING {
            panic!("{REENTRANT_INIT}");
        }
        // Mark the slot as being initialised; reset (with no value) if `init` fails or
        // panics. Any count left by leaked `LocalRef`s of an earlier value is gone too.
        entry.set_borrows(INITIALISING);
        let reset = ResetBorrows(entry);
        let value = init()?;
        core::mem::forget(reset);
        // SAFETY: our slot, with no value and no reader (not PRESENT: visitors skip it).
        entry.value.with_mut(|slot| unsafe { (*slot).write(value) });
        let mut publish = PRESENT;
        if state & REGISTERED == 0 {
            if self.register(entry, &thread) {
                publish |= REGISTERED;
            } else {
                // The thread is exiting and can no longer register a hook: the value stays
                // until the ThreadLocal drops it, holding the index until then (if the index
                // will ever be given back).
                publish |= KEPT;
                entry.take_hold(thread.record);
            }
        }
        // Release: the value (and `take_hold`'s writes) happen-before any Acquire that sees
        // PRESENT. An RMW, not a store: visitors may be changing the count meanwhile.
        entry.state.fetch_or(publish, Release);
        entry.set_borrows(0);
        Ok(entry)
    }
    // ANCHOR_END: insert

    /// Registers the exit hook for the calling thread's `entry`; false if the thread can no
    /// longer register one (it is exiting).
    fn register(&self, entry: &Entry<T, R>, thread: &CurrentThread<R>) -> bool {
        if thread.record.is_null() {
            return false; // a retired index: the thread is past its exit hooks
        }
        let shared = self.shared();
        // `exit_slot::<T, R>` gets the thread's own slot, the `Shared` block on which the
        // hook holds a reference (taken below, when the hook is pushed), and the thread's
        // record; it gives the reference up once. `slot_is_stale` only reads `shared`.
        // SAFETY: those are the arguments each function expects, as just listed.
        let hook = unsafe {
            ExitHook::new(
                [
                    entry as *const Entry<T, R> as *const (),
                    shared as *const Shared<T, R> as *const (),
                    thread.record as *const (),
                ],
                exit_slot::<T, R>,
                slot_is_stale::<T, R>,
            )
        };
        R::with_exit_hooks(|hooks| {
            // The hook's reference. Relaxed: we hold `&self`, so the ThreadLocal's own
            // reference keeps the count above zero; the releases order the accesses.
            shared.refs.fetch_add(1, Relaxed);
            hooks.push(hook);
        })
        .is_some()
    }

    /// Calls `f` on the value of every live thread that has one (the values of threads that
    /// have exited are gone, or about to go, and are skipped).
    ///
    /// This is the only way to look at other threads' values while they run: no reference
    /// escapes `f`. A thread that exits while `f` looks at its value does not drop it under
    /// `f`'s feet, and does not wait: the value is dropped when this visit of it ends.
    /// Values made meanwhile may or may not be seen. Calling `get_or*`, or `for_each`
    /// again, from `f` is fine.
    pub fn for_each(&self, mut f: impl FnMut(&T))
    where
        T: Sync,
    {
        for entry in self.entries() {
            Self::visit(entry, |cell| {
                // SAFETY: the visit keeps the value alive and initialised; `T: Sync` lets
                // this thread share it. A shared access: visitors may overlap.
                cell.with(|value| f(unsafe { &*(*value).as_ptr() }))
            });
        }
    }

    /// Calls `f` on the value of every live thread that has one, mutably. With `&mut self`,
    /// no thread can be using its value meanwhile; threads may still exit, and one that does
    /// leaves its value to be dropped when this visit of it ends.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut T)) {
        for entry in self.entries() {
            Self::visit(entry, |cell| {
                // SAFETY: `&mut self` excludes every other reader (`LocalRef`s and visitors
                // borrow `self`), and the visit keeps the value alive and initialised.
                cell.with_mut(|value| f(unsafe { &mut *(*value).as_mut_ptr() }))
            });
        }
    }

    /// Drops every value the table holds (live threads' values, and any kept past their
    /// thread's exit). Threads keep their slots and start again with no value.
    pub fn clear(&mut self) {
        for entry in self.entries() {
            Self::drop_claimed(entry);
        }
    }
}

/// Resets a slot's `borrows` from `INITIALISING` when `init` fails or panics.
struct ResetBorrows<'a, T, R: Runtime>(&'a Entry<T, R>);

impl<T, R: Runtime> Drop for ResetBorrows<'_, T, R> {
    fn drop(&mut self) {
        self.0.set_borrows(0);
    }
}

// ANCHOR: drop
impl<T, R: Runtime> Drop for ThreadLocal<T, R> {
    fn drop(&mut self) {
        // Take every value still here. An exiting thread may be taking its own at the same
        // moment: `claim` settles which of us does, with one compare-exchange.
        let mut buckets = Vec::new();
        for (bucket, pointer) in self.buckets.iter().enumerate() {
            // Relaxed: with `&mut self`, every bucket's publication happened-before.
            let entries = pointer.load(Relaxed);
            if entries.is_null() {
                continue;
            }
            // SAFETY: a published bucket of `1 << bucket` slots.
            let slots = unsafe { core::slice::from_raw_parts(entries, 1 << bucket) };
            for entry in slots {
                Self::drop_claimed(entry);
            }
            buckets.push((bucket, entries));
        }
        // Relaxed: as for the buckets.
        let shared = self.shared.load(Relaxed);
        if shared.is_null() {
            // No exit hook was ever registered: nobody else can touch the buckets.
            for (bucket, entries) in buckets {
                // SAFETY: emptied above, and ours alone.
                unsafe { free_bucket(bucket, entries) };
            }
            return;
        }
        // SAFETY: the ThreadLocal's reference keeps `shared` alive until released below.
        let shared_ref = unsafe { &*shared };
        // Exit hooks may still touch the slots (they find them empty): the buckets go to
        // whoever lets go of `Shared` last, which reads this cell after the Acquire in
        // `release_shared`.
        // SAFETY: nobody else touches the cell until that last release.
        shared_ref
            .buckets
            .with_mut(|handed_over| unsafe { *handed_over = buckets });
        // Relaxed: see `slot_is_stale`.
        shared_ref.dropped.store(1, Relaxed);
        // SAFETY: the ThreadLocal's own reference, given up once.
        unsafe { release_shared(shared) };
    }
}
// ANCHOR_END: drop

// For the real runtime only, so that `ThreadLocal::default()` needs no type annotation
// for the runtime.
impl<T: Send + 'static> Default for ThreadLocal<T> {
    fn default() -> Self {
        ThreadLocal::new()
    }
}

impl<T: Send + 'static + fmt::Debug, R: Runtime> fmt::Debug for ThreadLocal<T, R> {
    /// Shows the calling thread's value, the one Python's `local` shows attributes of.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadLocal")
            .field("local", &self.get().as_deref())
            .finish()
    }
}

// ANCHOR: local_ref
/// The calling thread's value in a [`ThreadLocal`]: a shared reference that cannot leave
/// the thread.
///
/// A thread's value is dropped when the thread exits, so a reference to it must not travel
/// to a thread that could outlive the owner. A `LocalRef` is therefore not `Send` (it is
/// `Sync` when `T` is, like `&T`: a scoped thread may borrow it, and a scope ends before
/// the `LocalRef` does). All it costs is a count on the owning thread, with no atomics: a
/// `LocalRef` still alive when its thread exits (leaked with `mem::forget`, or held by
/// another thread-local's destructor) makes the exit leave the value to the `ThreadLocal`
/// to drop.
///
/// It cannot be sent to another thread (error E0277: `LocalRef` is not `Send`):
///
/// ```compile_fail,E0277
/// use syncsmith::ThreadLocal;
///
/// static NAME: ThreadLocal<String> = ThreadLocal::new();
/// let mine = NAME.get_or(|| "main".to_string());
/// std::thread::spawn(move || println!("{}", *mine)); // error: `LocalRef` is not `Send`
/// ```
///
/// but the value it points to may be shared while it lives, if `T: Sync`:
///
/// ```
/// use syncsmith::ThreadLocal;
///
/// static NAME: ThreadLocal<String> = ThreadLocal::new();
/// let mine = NAME.get_or(|| "main".to_string());
/// std::thread::scope(|s| {
///     s.spawn(|| assert_eq!(*mine, "main"));
/// });
/// ```
pub struct LocalRef<'a, T, R: Runtime = Std> {
    entry: &'a Entry<T, R>,
    /// Not `Send`, not `Sync` by default: the count this guard keeps belongs to the
    /// owning thread.
    _owning_thread: PhantomData<*const ()>,
}
// ANCHOR_END: local_ref

// SAFETY: through `&LocalRef` another thread can only read the value (`Deref`); the count
// is touched only by `new` and `drop`, which need the `LocalRef` itself, and it cannot leave
// its thread. So sharing it is sharing a `&T`.
unsafe impl<T: Sync, R: Runtime> Sync for LocalRef<'_, T, R> {}

/// More `LocalRef`s than this means a count that could wrap: abort, as `Rc` does.
const MAX_BORROWS: usize = INITIALISING - 1;

impl<'a, T, R: Runtime> LocalRef<'a, T, R> {
    /// Counts one more `LocalRef` on `entry`.
    ///
    /// # Safety
    /// `entry` is the calling thread's slot and holds a value.
    #[inline]
    unsafe fn new(entry: &'a Entry<T, R>) -> Self {
        let count = entry.borrows();
        // Mutant note: `>=` → `>` differs only at `count == MAX_BORROWS`, i.e. after
        // `usize::MAX - 1` leaked `LocalRef`s on one slot, which no test or model can reach
        // (on 64-bit, centuries of `mem::forget`); it is equivalent in practice.
        if count >= MAX_BORROWS {
            too_many_borrows();
        }
        entry.set_borrows(count + 1);
        LocalRef {
            entry,
            _owning_thread: PhantomData,
        }
    }
}

#[cold]
fn too_many_borrows() -> ! {
    // Only leaking about `usize::MAX` `LocalRef`s gets here; carrying on could let a value
    // be dropped under a live reference.
    std::process::abort()
}

impl<T, R: Runtime> Deref for LocalRef<'_, T, R> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the value is initialised, and stays so while this `LocalRef` lives: the
        // owner's exit sees the count and keeps it, and `clear`/drop need `&mut` on the
        // ThreadLocal, which our borrow excludes.
        let read = |value: *const MaybeUninit<T>| unsafe { &*(*value).as_ptr() };
        self.entry.value.with(read)
    }
}

impl<T, R: Runtime> Drop for LocalRef<'_, T, R> {
    #[inline]
    fn drop(&mut self) {
        self.entry.set_borrows(self.entry.borrows() - 1);
    }
}

impl<T: fmt::Debug, R: Runtime> fmt::Debug for LocalRef<'_, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display, R: Runtime> fmt::Display for LocalRef<'_, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Every value a [`ThreadLocal`] held, by value (see its `IntoIterator` impl).
pub struct IntoIter<T> {
    values: std::vec::IntoIter<T>,
}

impl<T: Send, R: Runtime> IntoIterator for ThreadLocal<T, R> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    /// Takes every value the table holds: live threads' values, and any kept past their
    /// thread's exit. A thread exiting meanwhile either drops its value itself or leaves it
    /// to be taken here; threads still running simply find no value afterwards.
    fn into_iter(self) -> IntoIter<T> {
        let mut values = Vec::new();
        for entry in self.entries() {
            if let Some(claimed) = Self::claim(entry) {
                // SAFETY: we claimed it; the slot no longer counts it.
                values.push(unsafe { entry.take_value() });
                if claimed & KEPT != 0 {
                    // SAFETY: we took it from a KEPT state with an Acquire.
                    unsafe { entry.drop_hold() };
                }
            }
        }
        // `self` is dropped here, with no values left to drop.
        IntoIter {
            values: values.into_iter(),
        }
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.values.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.values.size_hint()
    }
}

impl<T> ExactSizeIterator for IntoIter<T> {}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.values.len())
            .finish()
    }
}
