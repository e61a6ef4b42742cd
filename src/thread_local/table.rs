//! The table of buckets a `ThreadLocal` keeps its slots in, and the `Shared` block that
//! keeps the buckets alive for exit hooks.
//!
//! Slot `i` (for thread index `i`) lives in bucket `b` at offset `o`, where
//! `bucket_location(i) = (b, o)`: bucket `b` holds `2^b` slots. A bucket is allocated the
//! first time a thread with an index in it makes a value (the race to publish it is one
//! compare-exchange), and never moves, so a `&Entry` stays valid as long as the table.
//!
//! Exit hooks reach slots without a `&ThreadLocal`: each holds a reference on the
//! `ThreadLocal`'s `Shared` block, and the `ThreadLocal`'s drop hands its buckets to that
//! block, so whichever of them lets go last frees the memory.

use super::slot::Entry;
use super::ThreadLocal;
use crate::runtime::{bucket_location, AtomicInt, AtomicPointer, Cell, Runtime};
use core::ptr;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

/// How many buckets a table has: bucket `b` holds `2^b` slots, so together they cover every
/// index the [`IndexPool`](crate::runtime::IndexPool) can hand out.
pub(super) const BUCKETS: usize = usize::BITS as usize;

/// A bucket handed over by a dropped `ThreadLocal`: its number, and its slots.
pub(super) type HandedOverBucket<T, R> = (usize, *mut Entry<T, R>);

/// The block shared by a `ThreadLocal` and the exit hooks registered for it: it outlives
/// whichever of them goes last, and with it the buckets they all touch.
pub(super) struct Shared<T, R: Runtime> {
    /// One for the `ThreadLocal` until its drop, plus one per registered exit hook.
    pub(super) refs: R::AtomicUsize,
    /// Set when the `ThreadLocal` is dropped: its hooks are stale.
    pub(super) dropped: R::AtomicU8,
    /// The buckets, handed over by the `ThreadLocal`'s drop (as `(bucket number,
    /// pointer)`), for the last reference to free.
    pub(super) buckets: R::Cell<Vec<HandedOverBucket<T, R>>>,
    /// Under loom, a `Shared` never freed (a reference never given back) fails the model.
    _leak_check: R::LeakCheck,
}

// ANCHOR: release_shared
/// Drops one reference to `shared`; the last frees it and the buckets.
///
/// # Safety
/// The caller holds a reference and gives it up. The buckets the `ThreadLocal` handed over
/// hold no values any more.
pub(super) unsafe fn release_shared<T, R: Runtime>(shared: *const Shared<T, R>) {
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
            // SAFETY: the `ThreadLocal` handed these over when it was dropped, emptied, and
            // this was the last reference through which anyone could reach them.
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
pub(super) unsafe fn free_bucket<T, R: Runtime>(bucket: usize, entries: *mut Entry<T, R>) {
    // SAFETY: allocated by `allocate_bucket` as a boxed slice of `1 << bucket` entries.
    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(entries, 1 << bucket)) });
}

/// Allocates bucket `bucket`: `1 << bucket` empty slots.
fn allocate_bucket<T, R: Runtime>(bucket: usize) -> *mut Entry<T, R> {
    let entries: Box<[Entry<T, R>]> = (0..1usize << bucket).map(|_| Entry::new()).collect();
    Box::into_raw(entries) as *mut Entry<T, R>
}

impl<T, R: Runtime> ThreadLocal<T, R> {
    /// The slot at `(bucket, offset)`, if its bucket exists.
    #[inline]
    pub(super) fn entry(&self, (bucket, offset): (usize, usize)) -> Option<&Entry<T, R>> {
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
        // SAFETY: a published bucket holds `1 << bucket` slots (`offset` is below that, by
        // `bucket_location`) and lives as long as `self`.
        Some(unsafe { &*entries.add(offset) })
    }

    /// The slot for `index`, allocating its bucket if need be.
    pub(super) fn entry_or_allocate(&self, index: usize) -> &Entry<T, R> {
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
    pub(super) fn shared(&self) -> &Shared<T, R> {
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

    /// Every allocated slot, bucket by bucket.
    pub(super) fn entries(&self) -> impl Iterator<Item = &Entry<T, R>> + '_ {
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
}
