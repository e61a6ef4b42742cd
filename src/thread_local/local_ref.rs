//! `LocalRef`: the calling thread's value, as `get`/`get_or` hand it out.
//!
//! A shared reference that cannot leave its thread, counted in the slot's `borrows` cell
//! (owner-only, so no atomics). The owner's exit hook reads the count: a `LocalRef` still
//! alive then (leaked, or held by another thread-local's destructor) makes the exit keep
//! the value for the `ThreadLocal` to drop instead of dropping it under the reference.

use super::slot::{Entry, INITIALISING};
use crate::runtime::{Cell, Runtime, Std};
use core::fmt;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ops::Deref;

// ANCHOR: local_ref
/// The calling thread's value in a [`ThreadLocal`](super::ThreadLocal): a shared reference
/// that cannot leave the thread.
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
    pub(super) unsafe fn new(entry: &'a Entry<T, R>) -> Self {
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
        // The value is initialised, and stays so while this `LocalRef` lives: the owner's
        // exit sees the count and keeps it (KEPT, checked before visitors, so such a value
        // is never DOOMED and no visitor drops it), and `clear`/`into_iter`/drop need `&mut`
        // on the ThreadLocal, which our borrow excludes.
        let read = |value: *const MaybeUninit<T>| {
            // SAFETY: an initialised value that outlives this borrow, as said above.
            unsafe { &*(*value).as_ptr() }
        };
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
