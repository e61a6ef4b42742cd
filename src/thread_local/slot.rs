//! One thread's slot in one `ThreadLocal`, and the states its value goes through.
//!
//! A slot (`Entry`) holds a value cell and an atomic `state` word: the named bits below and
//! a count of visitors. Every change of hands of a value (the owner's exit, a visitor's
//! leave, `clear`/`into_iter`/drop) is one compare-exchange on `state`; whoever wins *moves
//! the value out* before anything else can write into the slot, settles the bookkeeping,
//! and only then drops the value. So a `T::drop` that re-enters the `ThreadLocal`, or
//! panics, finds the slot already free and consistent.
//!
//! Also here: the owner's `LocalRef` count (`borrows`), the hold a value left behind keeps
//! on its thread's index (`take_hold`/`held_record`), and `DropEach`, which drops a run of
//! values and goes on when one of their drops panics.

use super::exit::{release_hold, ThreadRecord};
use crate::runtime::{AtomicInt, Cell, Runtime};
use core::mem::MaybeUninit;
use core::ptr;
use core::sync::atomic::Ordering::{Acquire, Relaxed};
use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

// ANCHOR: state
/// The slot holds an initialised value.
pub(super) const PRESENT: usize = 1 << 0;
/// The owner's exit hook knows about this slot. Meaningful to the owner only; everyone
/// else leaves the bit as they found it.
pub(super) const REGISTERED: usize = 1 << 1;
/// The value outlived its thread (a `LocalRef` was alive at the exit, or the value was made
/// too late in the thread's exit to register a hook). It is no longer visited; `clear`,
/// `into_iter` or the `ThreadLocal`'s drop takes it.
pub(super) const KEPT: usize = 1 << 2;
/// The owner exited while visitors were looking: the last visitor to leave drops it. From
/// then on the value is gone for its owner (`get` returns `None`, and `get_or` refuses to
/// write into the slot), until the last visitor has moved it out and clears the bit; with
/// `PRESENT` cleared, the bit marks that short move.
pub(super) const DOOMED: usize = 1 << 3;
/// One `for_each`/`for_each_mut` looking at the slot; the count fills the upper bits.
pub(super) const VISITOR: usize = 1 << 4;

/// `borrows` while the owner runs `init`: a second `get_or*` from inside `init` sees it.
pub(super) const INITIALISING: usize = usize::MAX;
// ANCHOR_END: state

/// How many visitors a `state` word counts.
#[inline]
pub(super) fn visitors(state: usize) -> usize {
    state / VISITOR
}

// ANCHOR: entry
/// One thread's slot in one `ThreadLocal`.
pub(super) struct Entry<T, R: Runtime> {
    /// `PRESENT | REGISTERED | KEPT | DOOMED` and the visitor count (see the constants).
    pub(super) state: R::AtomicUsize,
    /// How many `LocalRef`s the owner holds (or `INITIALISING`). Only the thread that owns
    /// the slot touches it, so it needs no atomics: this is the whole cost of a `LocalRef`.
    borrows: R::Cell<usize>,
    /// The owner's `ThreadRecord`, written when the value is left behind (`KEPT` or
    /// `DOOMED`) and published with that state; read by whoever then takes the value, to
    /// release the hold the value has on its thread's index.
    record: R::Cell<*const ThreadRecord<R>>,
    pub(super) value: R::Cell<MaybeUninit<T>>,
}
// ANCHOR_END: entry

impl<T, R: Runtime> Entry<T, R> {
    pub(super) fn new() -> Self {
        Entry {
            state: <R::AtomicUsize as AtomicInt>::new(0),
            borrows: <R::Cell<usize> as Cell<usize>>::new(0),
            record: <R::Cell<*const ThreadRecord<R>> as Cell<_>>::new(ptr::null()),
            value: <R::Cell<MaybeUninit<T>> as Cell<_>>::new(MaybeUninit::uninit()),
        }
    }

    /// Moves the value out of the slot. The caller drops it only after the slot's state and
    /// holds are settled, so that the value's `Drop` finds the slot free.
    ///
    /// # Safety
    /// The value is initialised and the caller owns it: it took `PRESENT` away with a
    /// compare-exchange (or is the last visitor of a `DOOMED` slot), and nobody can read or
    /// write the cell until the caller's next change of `state` (so the owner cannot write
    /// a new value here before the read is done).
    pub(super) unsafe fn take_value(&self) -> T {
        // SAFETY: initialised and ours alone (the caller's contract); once read, the slot no
        // longer counts the value as present, so it is never read or dropped again.
        self.value
            .with_mut(|value| unsafe { ptr::read((*value).as_ptr()) })
    }

    /// The owner's `LocalRef` count. Only the thread that owns the slot calls this.
    #[inline]
    pub(super) fn borrows(&self) -> usize {
        // SAFETY: only the owning thread touches `borrows` (`LocalRef` is not `Send`; the
        // exit hook runs on the owner; `&mut self` methods never touch it).
        self.borrows.with(|borrows| unsafe { *borrows })
    }

    /// Sets the owner's `LocalRef` count. Only the thread that owns the slot calls this.
    #[inline]
    pub(super) fn set_borrows(&self, count: usize) {
        // SAFETY: as `borrows`.
        self.borrows.with_mut(|borrows| unsafe { *borrows = count });
    }

    /// The value is being left behind by its owner (made `KEPT` or `DOOMED` by the state
    /// change that follows, a Release): note whose index it holds, and take a hold on it.
    /// A null `record` is a retired index, which needs no hold.
    pub(super) fn take_hold(&self, record: *const ThreadRecord<R>) {
        // Only the owner writes `record`, before the Release that publishes the state, and
        // never while a value it left behind is still in the slot (that state stops it:
        // `KEPT` is a present value, `DOOMED` refuses `get_or`); the one who takes the value
        // reads it after an Acquire that saw that state, before it lets go of the slot.
        self.record.with_mut(|slot| {
            // SAFETY: no other access to `record` can overlap this one, as said above.
            unsafe { *slot = record }
        });
        if !record.is_null() {
            // Relaxed: the thread's own hold keeps the count above zero, and the Release
            // that publishes the new state orders this before any release of the new hold.
            // SAFETY: the thread's own hold keeps its record alive.
            unsafe { &(*record).holds }.fetch_add(1, Relaxed);
        }
    }

    /// The record whose hold a `KEPT` or `DOOMED` value has (see `take_hold`), to give up
    /// with `release_held` once the slot is empty.
    ///
    /// # Safety
    /// The caller took the value from a `KEPT` or `DOOMED` state with an Acquire, and has
    /// not yet let go of the slot (after that the owner may write the cell again).
    pub(super) unsafe fn held_record(&self) -> *const ThreadRecord<R> {
        // SAFETY: published with the state our caller acquired; no writer until it lets go.
        self.record.with(|record| unsafe { *record })
    }

    // ANCHOR: claim
    /// Claims the value of the slot for a `&mut self` method (`clear`, `into_iter`, drop):
    /// returns the state it took the value from, or `None` if there was none. Only exit
    /// hooks can race us (no `&self` user exists), and the compare-exchange settles that
    /// race: exactly one side takes the value.
    fn claim(&self) -> Option<usize> {
        let mut state = self.state.load(Relaxed);
        loop {
            if state & PRESENT == 0 {
                return None;
            }
            debug_assert_eq!(visitors(state), 0, "a visitor while borrowed mutably");
            // Acquire: pairs with the exit hook's Release when it left the value behind
            // (KEPT), so its `take_hold` and the owner's writes to the value happen-before
            // we read the record and move the value. The owner's REGISTERED bit is left as
            // it was: its hook still has to run.
            match self
                .state
                .compare_exchange_weak(state, state & REGISTERED, Acquire, Relaxed)
            {
                Ok(_) => return Some(state),
                Err(now) => state = now,
            }
        }
    }
    // ANCHOR_END: claim

    /// Claims the slot's value (see `claim`) and moves it out; a `KEPT` value gives up the
    /// hold it had on its thread's index. The caller drops the value, with the slot settled.
    pub(super) fn take_claimed(&self) -> Option<T> {
        let claimed = self.claim()?;
        // SAFETY: we claimed it; with `&mut` on the table, nobody else reads or writes the
        // cell (the owner's exit hook found no PRESENT, and `get_or` needs `&self`).
        let value = unsafe { self.take_value() };
        if claimed & KEPT != 0 {
            // SAFETY: we took it from a KEPT state with an Acquire; the value is out, and
            // nobody writes the record while we hold `&mut` on the table.
            unsafe { release_held(self.held_record()) };
        }
        Some(value)
    }
}

/// Gives up the hold of a value left behind (`held_record`), if it had one.
///
/// # Safety
/// `record` came from `held_record` for a value the caller took, and is given up once.
pub(super) unsafe fn release_held<R: Runtime>(record: *const ThreadRecord<R>) {
    if !record.is_null() {
        // SAFETY: the hold the value had is now ours to give up (the caller's contract).
        unsafe { release_hold(record) };
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

/// Drops values one after another: a drop that panics does not stop the others. `finish`
/// then re-raises the first panic (the others' payloads are dropped: one unwind at a time).
pub(super) struct DropEach {
    first_panic: Option<Box<dyn Any + Send>>,
}

impl DropEach {
    pub(super) fn new() -> Self {
        DropEach { first_panic: None }
    }

    /// Drops `value`, catching a panic of its `Drop`.
    pub(super) fn drop<T>(&mut self, value: T) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
            match self.first_panic {
                None => self.first_panic = Some(payload),
                Some(_) => discard_panic(payload),
            }
        }
    }

    /// Re-raises the first panic caught, if any. If this thread is unwinding already (a
    /// value dropped while the `ThreadLocal` goes out of scope in a panic), a second panic
    /// would abort the process: the payload is dropped instead (the panic hook has already
    /// reported it).
    pub(super) fn finish(self) {
        if let Some(payload) = self.first_panic {
            if std::thread::panicking() {
                discard_panic(payload);
            } else {
                resume_unwind(payload);
            }
        }
    }
}

/// Drops a value where a panic must not escape: in a thread's exit hooks (an unwind out of
/// a thread-local destructor aborts the process) and while unwinding already. The panic
/// hook has reported the panic when it was raised; the value's fields are dropped by the
/// unwind.
pub(super) fn drop_without_unwinding<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        discard_panic(payload);
    }
}

/// Drops a caught panic's payload; a payload whose own `Drop` panics is leaked rather than
/// let it unwind.
fn discard_panic(payload: Box<dyn Any + Send>) {
    if let Err(worse) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        core::mem::forget(worse);
    }
}
