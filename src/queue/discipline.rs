//! The order in which a [`Queue`](crate::Queue) hands its items out.
//!
//! CPython's `Queue`, `LifoQueue` and `PriorityQueue` share every line of their locking
//! code and differ only in four small methods (`_init`, `_qsize`, `_put`, `_get`). Here the
//! same split is a type parameter: the queue core is generic over a [`Discipline`], and a
//! discipline names the container that holds the items and says how to add and remove one.
//!
//! - [`Fifo`]: a ring buffer (`VecDeque`), first in, first out.
//! - [`Lifo`]: a stack (`Vec`), last in, first out.
//! - [`Priority`]: a binary min-heap; the smallest item leaves first, and *equal items leave
//!   in the order they came*. Python's `heapq` gives no such promise; here every item is
//!   stamped with a sequence number that breaks ties.
//!
//! # Panic safety
//!
//! A discipline runs under the queue's lock, and [`Priority`] calls the user's `Ord`, which
//! may panic. The contract every discipline keeps (and the queue core relies on, updating
//! its own counters only after a discipline call returned): a `push`, `pop` or `drain` that
//! panics leaves the container exactly as it was before the call, except that the item a
//! panicking `push` was given is not stored (it is dropped as the panic unwinds, just as
//! Python's `put` raises without queueing the item). `Priority` keeps it by moving items
//! with swaps only and, if a comparison panics, undoing those swaps.

use std::collections::VecDeque;

// ANCHOR: discipline
/// How a queue orders its items: the container type and its `put`/`get` (CPython's `_init`,
/// `_qsize`, `_put` and `_get`).
///
/// The methods run under the queue's lock. If one of them panics, the container must be
/// left as it was before the call (a panicking `push` does not store its item); the queue's
/// counters are updated only after the call returns, so they then still agree with it.
pub trait Discipline<T> {
    /// The container of queued items.
    type Store;
    /// An empty container (a constant, so that `Queue::new` can be `const`).
    const EMPTY: Self::Store;
    /// How many items `store` holds.
    fn len(store: &Self::Store) -> usize;
    /// Adds `item`.
    fn push(store: &mut Self::Store, item: T);
    /// Removes the item `get` returns next, if any.
    fn pop(store: &mut Self::Store) -> Option<T>;
    /// Removes every item, in the order `pop` would have returned them. If it panics, the
    /// container must be left as it was (no item lost).
    fn drain(store: &mut Self::Store) -> Vec<T> {
        let mut items = Vec::with_capacity(Self::len(store));
        while let Some(item) = Self::pop(store) {
            items.push(item);
        }
        items
    }
}
// ANCHOR_END: discipline

/// First in, first out: `queue.Queue`. A ring buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fifo;

impl<T> Discipline<T> for Fifo {
    type Store = VecDeque<T>;
    const EMPTY: VecDeque<T> = VecDeque::new();

    #[inline]
    fn len(store: &VecDeque<T>) -> usize {
        store.len()
    }
    #[inline]
    fn push(store: &mut VecDeque<T>, item: T) {
        store.push_back(item);
    }
    #[inline]
    fn pop(store: &mut VecDeque<T>) -> Option<T> {
        store.pop_front()
    }
    fn drain(store: &mut VecDeque<T>) -> Vec<T> {
        // Cannot panic part-way: no user code runs.
        Vec::from(core::mem::take(store))
    }
}

/// Last in, first out: `queue.LifoQueue`. A stack.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lifo;

impl<T> Discipline<T> for Lifo {
    type Store = Vec<T>;
    const EMPTY: Vec<T> = Vec::new();

    #[inline]
    fn len(store: &Vec<T>) -> usize {
        store.len()
    }
    #[inline]
    fn push(store: &mut Vec<T>, item: T) {
        store.push(item);
    }
    #[inline]
    fn pop(store: &mut Vec<T>) -> Option<T> {
        store.pop()
    }
    fn drain(store: &mut Vec<T>) -> Vec<T> {
        let mut items = core::mem::take(store);
        items.reverse();
        items
    }
}

/// Smallest first, equal items in arrival order: `queue.PriorityQueue`, with stable ties.
/// A binary min-heap of items stamped with a sequence number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Priority;

/// One queued item of a [`Priority`] queue and the sequence number that breaks its ties.
#[derive(Debug)]
struct Stamped<T> {
    item: T,
    seq: u64,
}

impl<T: Ord> Stamped<T> {
    /// Whether `self` leaves the queue before `other`: the smaller item, or on a tie the
    /// one that came first. Calls the user's `Ord`, which may panic.
    #[inline]
    fn goes_before(&self, other: &Self) -> bool {
        match self.item.cmp(&other.item) {
            core::cmp::Ordering::Less => true,
            core::cmp::Ordering::Greater => false,
            core::cmp::Ordering::Equal => self.seq < other.seq,
        }
    }
}

/// The container of a [`Priority`] queue: a binary min-heap in a `Vec` (the children of
/// slot `i` are `2i + 1` and `2i + 2`), and the next sequence number.
#[derive(Debug)]
pub struct PriorityHeap<T> {
    heap: Vec<Stamped<T>>,
    /// Stamped on the next item. A `u64` counting one item per nanosecond would last five
    /// centuries; it never wraps in practice.
    next_seq: u64,
}

fn parent(slot: usize) -> usize {
    (slot - 1) / 2
}

// ANCHOR: sift_up
/// Undoes a sift-up if a comparison panics: while armed, `moved` is where the new item is
/// now, and the items on the path from there down to `start` were each moved up one step.
struct SiftUpUndo<'a, T> {
    heap: &'a mut Vec<Stamped<T>>,
    start: usize,
    moved: usize,
}

impl<T> Drop for SiftUpUndo<'_, T> {
    /// Runs only on a panic (the happy path forgets the guard): swap the new item back
    /// down the same path, which restores every other item to its old slot, then take it
    /// off the end. No comparison is made, so this cannot panic again.
    fn drop(&mut self) {
        while self.moved != self.start {
            // The next slot down the path: the ancestor of `start` whose parent is `moved`.
            let mut child = self.start;
            while parent(child) != self.moved {
                child = parent(child);
            }
            self.heap.swap(self.moved, child);
            self.moved = child;
        }
        // The item a panicking push was given is not stored; it drops here, as the panic
        // unwinds.
        self.heap.pop();
    }
}

/// Adds `stamped` to `heap`: append it, then swap it up while it goes before its parent.
fn sift_in<T: Ord>(heap: &mut Vec<Stamped<T>>, stamped: Stamped<T>) {
    heap.push(stamped);
    let start = heap.len() - 1;
    let mut undo = SiftUpUndo {
        heap,
        start,
        moved: start,
    };
    while undo.moved > 0 {
        let up = parent(undo.moved);
        if !undo.heap[undo.moved].goes_before(&undo.heap[up]) {
            break;
        }
        undo.heap.swap(undo.moved, up);
        undo.moved = up;
    }
    core::mem::forget(undo);
}
// ANCHOR_END: sift_up

// ANCHOR: sift_down
/// Undoes a sift-down if a comparison panics: while armed, the item that was moved to the
/// root is at `moved`, and each item on the path from the root to there moved up one step.
/// The item being removed still waits in the last slot.
struct SiftDownUndo<'a, T> {
    heap: &'a mut Vec<Stamped<T>>,
    moved: usize,
}

impl<T> Drop for SiftDownUndo<'_, T> {
    /// Runs only on a panic: swap back up the path, then swap the removed item back to the
    /// root, which leaves the heap exactly as before the `pop`.
    fn drop(&mut self) {
        while self.moved > 0 {
            let up = parent(self.moved);
            self.heap.swap(self.moved, up);
            self.moved = up;
        }
        let last = self.heap.len() - 1;
        self.heap.swap(0, last);
    }
}

/// Removes the first item of `heap`: swap it with the last, sift the new root down among
/// the others, and only then take it off the end.
fn take_first<T: Ord>(heap: &mut Vec<Stamped<T>>) -> Option<Stamped<T>> {
    let last = heap.len().checked_sub(1)?;
    heap.swap(0, last);
    let mut undo = SiftDownUndo {
        heap: &mut *heap,
        moved: 0,
    };
    // Only slots below `last` are the heap now; `last` holds the item leaving.
    loop {
        let left = 2 * undo.moved + 1;
        if left >= last {
            break;
        }
        let right = left + 1;
        let first_child = if right < last && undo.heap[right].goes_before(&undo.heap[left]) {
            right
        } else {
            left
        };
        if !undo.heap[first_child].goes_before(&undo.heap[undo.moved]) {
            break;
        }
        undo.heap.swap(undo.moved, first_child);
        undo.moved = first_child;
    }
    core::mem::forget(undo);
    heap.pop()
}
// ANCHOR_END: sift_down

/// Puts back the items a panicking `drain` already took: they are the smallest, so each
/// (largest first) can be swapped all the way up to the root without a comparison.
struct DrainUndo<'a, T> {
    heap: &'a mut Vec<Stamped<T>>,
    taken: Vec<Stamped<T>>,
}

impl<T> Drop for DrainUndo<'_, T> {
    fn drop(&mut self) {
        while let Some(stamped) = self.taken.pop() {
            // `stamped` goes before every item still in the heap, so sift-up would swap it
            // all the way to the root: do exactly that, without asking `Ord`.
            self.heap.push(stamped);
            let mut slot = self.heap.len() - 1;
            while slot > 0 {
                let up = parent(slot);
                self.heap.swap(slot, up);
                slot = up;
            }
        }
    }
}

impl<T: Ord> Discipline<T> for Priority {
    type Store = PriorityHeap<T>;
    const EMPTY: PriorityHeap<T> = PriorityHeap {
        heap: Vec::new(),
        next_seq: 0,
    };

    #[inline]
    fn len(store: &PriorityHeap<T>) -> usize {
        store.heap.len()
    }
    #[inline]
    fn push(store: &mut PriorityHeap<T>, item: T) {
        let seq = store.next_seq;
        sift_in(&mut store.heap, Stamped { item, seq });
        // Counted only once the item is stored (a failed push may as well use one: only
        // the order of the stored items matters).
        store.next_seq += 1;
    }
    #[inline]
    fn pop(store: &mut PriorityHeap<T>) -> Option<T> {
        take_first(&mut store.heap).map(|stamped| stamped.item)
    }
    fn drain(store: &mut PriorityHeap<T>) -> Vec<T> {
        let mut undo = DrainUndo {
            taken: Vec::with_capacity(store.heap.len()),
            heap: &mut store.heap,
        };
        // A panicking `take_first` leaves the heap as it was; the guard then puts back the
        // items taken so far.
        while let Some(stamped) = take_first(undo.heap) {
            undo.taken.push(stamped);
        }
        let taken = core::mem::take(&mut undo.taken);
        core::mem::forget(undo);
        taken.into_iter().map(|stamped| stamped.item).collect()
    }
}
