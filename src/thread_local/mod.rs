//! `ThreadLocal`: Python's `threading.local()`: one object, a separate value for every
//! thread, and a thread's value is dropped when that thread exits.
//!
//! This file holds the type and its own-value API (`get`, `get_or*`, `clear`, drop). The
//! parts, one per file:
//!
//! - `table.rs`: the buckets of slots, and the `Shared` block that keeps them alive for
//!   exit hooks;
//! - `slot.rs`: one slot (`Entry`), the states of its value, and how a value is taken out;
//! - `exit.rs`: thread indices, and what runs when a thread exits;
//! - `iter.rs`: `for_each`/`for_each_mut` (visits) and `into_iter`;
//! - `local_ref.rs`: `LocalRef`, the reference `get` hands out.
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
//! - nobody is looking: it takes the value (`state` becomes 0), moves it out of the slot,
//!   and drops it, on the exiting thread, as Python frees a dead thread's `local` data;
//! - a `LocalRef` is still alive (leaked with `mem::forget`, or held by another
//!   thread-local's destructor that has yet to run): it leaves the value in place, marked
//!   `KEPT`, and the `ThreadLocal`'s `clear`, `into_iter` or drop takes it later;
//! - a `for_each` is reading it: it marks it `DOOMED` and walks away; the last visitor to
//!   leave the slot drops it. The exiting thread never waits. From then on the value is
//!   gone for its owner: `get` returns `None`, and `get_or*` panics rather than write into
//!   the slot the visitor is emptying.
//!
//! Whoever takes a value (an exit hook, the last visitor, `clear`, `into_iter`, the drop)
//! first moves it out of the slot and settles the slot's state and the holds on the index,
//! and drops it last. So a `T::drop` that calls back into the same `ThreadLocal` finds a
//! free slot, not the value being dropped; and a `T::drop` that panics leaves nothing half
//! done: `clear` and the drop go on with the other values and re-raise the first panic,
//! and an exit hook absorbs it (an unwind out of a thread-local destructor would abort the
//! process; the panic hook has already printed the message).
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

mod exit;
mod iter;
mod local_ref;
mod slot;
mod table;

pub use iter::IntoIter;
pub use local_ref::LocalRef;

use crate::runtime::{AtomicInt, AtomicPointer, Cell, ExitHook, Runtime, Std};
use core::fmt;
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use exit::{
    current_thread, exit_slot, slot_is_stale, thread_location, CurrentThread, ThreadRecord,
};
use slot::{DropEach, Entry, DOOMED, INITIALISING, KEPT, PRESENT, REGISTERED};
use table::{free_bucket, release_shared, Shared, BUCKETS};

/// The message of the panic when `init` re-enters `get_or*` on the same `ThreadLocal`.
const REENTRANT_INIT: &str =
    "reentrant init: the `init` of ThreadLocal::get_or* called get_or* on the same ThreadLocal";

/// The message of the panic when an exiting thread calls `get_or*` while its value, left
/// to a `for_each` still visiting it, is not yet out of the slot.
const DOOMED_SLOT: &str = "ThreadLocal::get_or* during thread exit, while this thread's value \
    is still held by a for_each on another thread: the slot is not free yet";

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
/// # At thread exit
///
/// A thread's value is dropped by the exiting thread, from its thread-local destructors.
/// Calling back into a `ThreadLocal` from there (from a value's `Drop`) is allowed:
///
/// - the thread's own value in *this* `ThreadLocal` is already out of its slot when its
///   `Drop` runs, so `get` returns `None` and `get_or` makes a *fresh* value. An exiting
///   thread can no longer register an exit hook for it, so the fresh value is kept for the
///   `ThreadLocal`: it is dropped exactly once, by [`clear`](Self::clear), `into_iter` or
///   the `ThreadLocal`'s drop (never, for one in a `static`), and holds the thread's index
///   until then;
/// - if the value was being read by a [`for_each`](Self::for_each) on another thread when
///   its owner exited, it belongs to that visit: `get` returns `None`, and `get_or` panics
///   until the visit has moved it out (the slot is still the visitor's);
/// - a panic in a value's `Drop` at thread exit is reported by the panic hook and absorbed:
///   the thread's other values are still dropped, and its index given back.
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
// whatever thread exits, ends the last visit of a DOOMED value, or drops the table, so
// `T: Send` is all it needs, as for a `Mutex<T>`.
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
}

impl<T: Send + 'static, R: Runtime> ThreadLocal<T, R> {
    // ANCHOR: get
    /// The calling thread's value, if it has made one (`getattr(local, name, None)`).
    #[inline]
    pub fn get(&self) -> Option<LocalRef<'_, T, R>> {
        let entry = self.own_entry_with_value()?;
        // SAFETY: the slot is the calling thread's, and holds a value that is not DOOMED
        // (which only a visitor may drop).
        Some(unsafe { LocalRef::new(entry) })
    }

    /// The calling thread's slot, if it holds a value: the hot path of every `get*`.
    #[inline]
    fn own_entry_with_value(&self) -> Option<&Entry<T, R>> {
        let entry = self.entry(thread_location::<R>()?)?;
        // Relaxed: only this thread makes values in this slot, and anything another thread
        // did to it (`clear`, the previous owner of the index) happened-before, through the
        // `&mut` borrow or the index pool. The one exception is a visitor emptying a DOOMED
        // slot while this (exiting) thread runs: until it is done we see DOOMED (we set it,
        // and read our own write or a later one), and whatever we see, `get` reads nothing
        // unless PRESENT without DOOMED; `insert` loads with Acquire before it writes.
        if entry.state.load(Relaxed) & (PRESENT | DOOMED) != PRESENT {
            return None;
        }
        Some(entry)
    }
    // ANCHOR_END: get

    /// The calling thread's value, made with `init` if it has none yet.
    ///
    /// # Panics
    /// If `init` itself calls a `get_or*` of this same `ThreadLocal` (there is no value to
    /// return yet), or if `init` panics; and if called by an exiting thread whose value a
    /// `for_each` on another thread still holds (see [At thread exit](Self#at-thread-exit)).
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
        // SAFETY: the slot is the calling thread's, and holds a value that is not DOOMED
        // (`own_entry_with_value` checks; `insert` panics on DOOMED).
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
        // Acquire: pairs with the Release of a visitor that emptied our DOOMED slot while
        // we exit (`Leave`), so its move out of the cell happens-before our write to it.
        // Otherwise as in `get`.
        let state = entry.state.load(Acquire);
        if state & DOOMED != 0 {
            // Our value is gone for us, but a visitor still has it in the slot: writing a
            // new one there would race its drop; handing out the old one would let us read
            // it while it is dropped.
            panic!("{DOOMED_SLOT}");
        }
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
        // SAFETY: our slot, with no value and no reader (not PRESENT: visitors skip it; not
        // DOOMED: no visitor is moving an old value out, and the Acquire above ordered the
        // last such move before this write).
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
        // `exit_slot` never unwinds (a value's panicking drop is absorbed), so a stale run
        // cannot panic either.
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

    /// Drops every value the table holds (live threads' values, and any kept past their
    /// thread's exit). Threads keep their slots and start again with no value.
    ///
    /// # Panics
    /// If a value's drop panics: the other values are still dropped (and the slots of all
    /// of them emptied), then the first panic is resumed.
    pub fn clear(&mut self) {
        let mut drops = DropEach::new();
        for entry in self.entries() {
            if let Some(value) = entry.take_claimed() {
                drops.drop(value);
            }
        }
        drops.finish();
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
        // moment: `claim` settles which of us does, with one compare-exchange. A value's
        // drop that panics does not stop the others, nor the freeing below; the first panic
        // is resumed at the end.
        let mut drops = DropEach::new();
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
                if let Some(value) = entry.take_claimed() {
                    drops.drop(value);
                }
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
            drops.finish();
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
        // Release: our claims of every slot happen-before a stale hook's run (its check,
        // `slot_is_stale`, loads with Acquire), so it finds its slot empty.
        shared_ref.dropped.store(1, Release);
        // SAFETY: the ThreadLocal's own reference, given up once.
        unsafe { release_shared(shared) };
        drops.finish();
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
