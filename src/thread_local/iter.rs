//! Reaching other threads' values: `for_each` and `for_each_mut` (visits), and
//! `into_iter` (taking every value).
//!
//! A visit counts itself in the slot's `state` (`VISITOR`) while it looks, so that an owner
//! exiting meanwhile does not drop the value under it: the owner marks it `DOOMED` and
//! walks away, and the last visitor to leave (`Leave`) moves the value out, frees the slot
//! and the owner's index, and only then drops the value. No reference escapes a visit.

use super::slot::{
    drop_without_unwinding, release_held, visitors, DropEach, Entry, DOOMED, KEPT, PRESENT, VISITOR,
};
use super::ThreadLocal;
use crate::runtime::{AtomicInt, Cell, Runtime};
use core::fmt;
use core::mem::MaybeUninit;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

impl<T: Send + 'static, R: Runtime> ThreadLocal<T, R> {
    /// Calls `f` on the value of every live thread that has one (the values of threads that
    /// have exited are gone, or about to go, and are skipped).
    ///
    /// This is the only way to look at other threads' values while they run: no reference
    /// escapes `f`. A thread that exits while `f` looks at its value does not drop it under
    /// `f`'s feet, and does not wait: the value is dropped when this visit of it ends (and
    /// if that drop panics, the panic comes out of `for_each`, with the slot already free).
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
}

impl<T, R: Runtime> ThreadLocal<T, R> {
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
            // The last visitor out of a DOOMED slot takes the value in the same exchange
            // (PRESENT goes, DOOMED stays until the value is out), so a visitor arriving
            // later finds nothing to read, and the owner nothing to write into.
            let last_of_doomed =
                state & (PRESENT | DOOMED) == (PRESENT | DOOMED) && visitors(state) == 1;
            let next = if last_of_doomed {
                state - VISITOR - PRESENT
            } else {
                state - VISITOR
            };
            // AcqRel. Release: our reads of the value happen-before whoever drops it.
            // Acquire: if we take it, the owner's writes (its DOOMED exchange was a Release)
            // happen-before our move.
            match entry
                .state
                .compare_exchange_weak(state, next, AcqRel, Relaxed)
            {
                Ok(_) => break last_of_doomed,
                Err(now) => state = now,
            }
        };
        if !last_of_doomed {
            return;
        }
        // SAFETY: the owner is gone and left the value to the last visitor: us. DOOMED
        // keeps the owner (still running its exit hooks) from writing the slot meanwhile.
        let value = unsafe { entry.take_value() };
        // SAFETY: we took it from a DOOMED state with an Acquire, and still hold the slot.
        let record = unsafe { entry.held_record() };
        // Release: our move out (and read of the record) happen-before the owner's next
        // write to the slot, which loads the state with Acquire (`insert`). An RMW: late
        // visitors may be counting themselves in meanwhile.
        entry.state.fetch_and(!DOOMED, Release);
        // SAFETY: the hold of the value we took, given up once, with its slot empty.
        unsafe { release_held(record) };
        // Last, with the slot and the index settled. If we are here because `look`
        // panicked, a second panic would abort: absorb it (the panic hook reported it).
        if std::thread::panicking() {
            drop_without_unwinding(value);
        } else {
            drop(value);
        }
    }
}
// ANCHOR_END: leave

/// Every value a [`ThreadLocal`](super::ThreadLocal) held, by value (see its `IntoIterator` impl).
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
        let values: Vec<T> = self.entries().filter_map(Entry::take_claimed).collect();
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

impl<T> Drop for IntoIter<T> {
    /// Drops the values not taken, each even if another's drop panics (a `Vec` would abort
    /// on a second panic); the first panic is re-raised.
    fn drop(&mut self) {
        let mut drops = DropEach::new();
        for value in self.values.by_ref() {
            drops.drop(value);
        }
        drops.finish();
    }
}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.values.len())
            .finish()
    }
}
