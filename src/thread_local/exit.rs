//! Thread identity and thread exit for `ThreadLocal`: how a thread gets its small index,
//! what runs when it exits, and when its index may be handed to a new thread.
//!
//! - `assign_index` takes the lowest free index from the runtime's pool the first time a
//!   thread makes a value, and registers `release_thread`, the hook that gives it back.
//! - `exit_slot` is the exit hook of one (thread, `ThreadLocal`) pair: it settles the
//!   thread's slot with one compare-exchange (take the value, keep it for the
//!   `ThreadLocal`, or leave it to a visitor), and drops what it took *last*, without
//!   letting a panic out (an unwind out of a thread-local destructor aborts the process).
//! - A `ThreadRecord` counts the *holds* on an index: one for the thread, one per value it
//!   left behind. The last `release_hold` gives the index back, so a new thread with that
//!   index always finds its slots empty.

use super::slot::{drop_without_unwinding, visitors, Entry, DOOMED, KEPT, PRESENT, REGISTERED};
use super::table::{release_shared, Shared};
use crate::runtime::{AtomicInt, ExitHook, Runtime, ThreadIndexSlot};
use core::ptr;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

/// What syncsmith knows about a thread index while it is handed out: the index, and how
/// many things still stop it from being reused.
pub(super) struct ThreadRecord<R: Runtime> {
    index: usize,
    /// The pool the index came from, and goes back to.
    pool: R::IndexPoolHandle,
    /// One for the thread itself until its exit hooks are done, plus one for each value it
    /// left behind (`KEPT` or `DOOMED`) until that value is out of its slot.
    pub(super) holds: R::AtomicUsize,
    /// Under loom, a record never freed (a hold never given up) fails the model.
    _leak_check: R::LeakCheck,
}

// ANCHOR: release_hold
/// Drops one hold on `record`; the last gives the index back to the pool.
///
/// # Safety
/// The caller has a hold on `record` (a live `ThreadRecord`) and gives it up; if the hold
/// was a value's, that value is out of its slot and the slot's state says so.
pub(super) unsafe fn release_hold<R: Runtime>(record: *const ThreadRecord<R>) {
    // SAFETY: our hold keeps the record alive until this decrement.
    let holds = unsafe { &(*record).holds };
    // AcqRel: Release so that everything this holder did to its slots (moving the value
    // out, clearing `state`) happens-before the decrement that frees the index; Acquire so
    // that the last holder sees every other holder's slot work before the index is reused.
    // The pool's lock then carries that to the thread that takes the index next.
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
pub(super) struct CurrentThread<R: Runtime> {
    pub(super) index: usize,
    pub(super) record: *const ThreadRecord<R>,
}

/// Where the calling thread's slot is (bucket, offset), if it has an index: the first step
/// of the hot path.
#[inline]
pub(super) fn thread_location<R: Runtime>() -> Option<(usize, usize)> {
    R::with_thread_index_slot(|slot| slot.location()).flatten()
}

/// The calling thread's index, assigning one if it has none.
pub(super) fn current_thread<R: Runtime>() -> CurrentThread<R> {
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
    // once; it cannot panic. `never_stale` touches nothing.
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

// ANCHOR: exit_slot
/// The exit hook of one (thread, `ThreadLocal`) pair: settle the thread's slot. Runs on
/// the exiting thread (or, for a stale hook, on the live thread pruning it, when the slot
/// is already empty). Never unwinds: a value whose drop panics is reported by the panic
/// hook and the exit goes on.
///
/// # Safety
/// `data` is `[entry, shared, record]` as `register` made it: the calling thread's slot,
/// the `Shared` block on which this hook holds a reference, and the thread's record.
pub(super) unsafe fn exit_slot<T, R: Runtime>(data: [*const (); 3]) {
    // SAFETY: the hook's reference on `Shared` keeps the buckets, and so the entry, alive.
    let entry = unsafe { &*(data[0] as *const Entry<T, R>) };
    let shared = data[1] as *const Shared<T, R>;
    let record = data[2] as *const ThreadRecord<R>;
    // Only this thread touches `borrows`. Non-zero: a `LocalRef` is leaked, or held by a
    // thread-local destructor that has not run yet.
    let borrowed = entry.borrows() != 0;
    let mut holding = false;
    let mut state = entry.state.load(Relaxed);
    let taken = loop {
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
            // Before the exchange: once it lands, a visitor may take the value and give up
            // the hold at once.
            entry.take_hold(record);
            holding = true;
        }
        // AcqRel. Acquire: when we take the value (next == 0), every visitor's reads of it
        // (their leave is a Release) happen-before our move. Release: when we leave the
        // value behind (DOOMED, KEPT), our writes to it (through a `LocalRef`, via interior
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
                    // Moved out before anything else runs: our exchange took PRESENT away
                    // with no visitor in the slot, and only this thread could write the
                    // slot again (a `get_or` from the value's own drop, below).
                    // SAFETY: the value is ours, and nobody reads or writes the cell.
                    break Some(unsafe { entry.take_value() });
                }
                break None;
            }
            Err(now) => state = now,
        }
    };
    // SAFETY: this hook's reference, given up once. The value (if we took it) is out of the
    // buckets this may free.
    unsafe { release_shared(shared) };
    // Last, with the slot empty: the value's drop may call `get_or` on this `ThreadLocal`
    // (it then makes a fresh value, which this exiting thread can only leave `KEPT`) or
    // panic (reported, and absorbed: the other exit hooks still run).
    if let Some(value) = taken {
        drop_without_unwinding(value);
    }
}
// ANCHOR_END: exit_slot

/// `is_stale` for a slot's exit hook: its `ThreadLocal` has been dropped, so running the
/// hook early only gives back its reference on `Shared`.
pub(super) unsafe fn slot_is_stale<T, R: Runtime>(data: [*const (); 3]) -> bool {
    let shared = data[1] as *const Shared<T, R>;
    // Acquire: pairs with the Release store in the `ThreadLocal`'s drop, after it claimed
    // every slot. So a hook that runs early because of this flag finds its slot empty (its
    // compare-exchange is ordered after the claim): it drops nothing, and so cannot panic,
    // as `ExitHook::new` asks of a stale run.
    // SAFETY: the hook's reference keeps `shared` alive.
    unsafe { &(*shared).dropped }.load(Acquire) != 0
}
