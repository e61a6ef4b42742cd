//! Loom models of `ThreadLocal`: the shipped code, on the `Loom` runtime, whose thread
//! exit hooks run when a model thread ends (loom drops its thread-locals then). So loom
//! explores a thread's exit racing the owner's drop of the `ThreadLocal`, a `for_each`, and
//! a new thread taking the recycled index.
//!
//! Values are `Tracked`: a loom-visible drop counter, and a note the owner writes *after*
//! making the value (through its `LocalRef`) that the value's `Drop` reads back. Whichever
//! thread drops a value must therefore be ordered after everything its owner did with it,
//! or loom reports a causality violation; and a value dropped twice, or never, fails the
//! count.

//!
//! Two loom limitations shape these models:
//!
//! - loom's `join` returns as soon as the thread's closure has returned, before loom drops
//!   the thread's thread-locals (std's scoped threads behave the same; std's
//!   `JoinHandle::join` waits for the thread to be gone). The models use [`spawn`], whose
//!   `join` also waits for the thread's exit hooks, as a real `join` would.
//! - loom 0.7 does not explore a thread's *load-then-write* of an atomic before another
//!   thread's plain *load* of it (tokio-rs/loom#166, #392): in `T: x.load(); x.store(1)`
//!   against `main: x.load()`, main only ever sees 0. `get_or` loads a bucket pointer before
//!   it publishes the bucket with a compare-exchange, and `for_each` only loads it, so a
//!   `for_each` that starts before the bucket exists would never be shown the bucket. The
//!   models therefore create the bucket first (an earlier thread with the same, recycled,
//!   index) or let the owner make its value first, and race what matters: the slot's
//!   `state`, where both sides write (`fetch_add`, `fetch_or`, compare-exchange), which loom
//!   explores fully.

mod common;

use common::model;
use loom::cell::UnsafeCell;
use loom::sync::atomic::{
    AtomicBool, AtomicUsize,
    Ordering::{Relaxed, SeqCst},
};
use loom::sync::Arc;
use loom::thread;
use syncsmith::runtime::{ExitHook, Loom, Runtime};
use syncsmith::ThreadLocal;

type Local<T> = ThreadLocal<T, Loom>;

/// A model thread whose `join` waits until its exit hooks have run.
struct Exiting<T> {
    handle: thread::JoinHandle<T>,
    exited: Arc<AtomicBool>,
}

/// Spawns a model thread that registers, before anything else, an exit hook that raises a
/// flag. Exit hooks run newest first, so that hook runs last: when the flag is up, every
/// `ThreadLocal` hook of the thread has finished.
fn spawn<T: 'static>(f: impl FnOnce() -> T + 'static) -> Exiting<T> {
    let exited = Arc::new(AtomicBool::new(false));
    let flag = exited.clone();
    let handle = thread::spawn(move || {
        /// Raises the flag (and drops the hook's `Arc` on it).
        unsafe fn raise(data: [*const (); 3]) {
            // SAFETY: `data[0]` came from `Arc::into_raw` below; the hook runs once.
            let flag = unsafe { Arc::from_raw(data[0] as *const AtomicBool) };
            flag.store(true, SeqCst);
        }
        unsafe fn never_stale(_: [*const (); 3]) -> bool {
            false
        }
        // SAFETY: `raise` gets the `Arc` it expects and runs once; `never_stale` reads
        // nothing.
        let hook = unsafe {
            ExitHook::new(
                [
                    Arc::into_raw(flag) as *const (),
                    std::ptr::null(),
                    std::ptr::null(),
                ],
                raise,
                never_stale,
            )
        };
        Loom::with_exit_hooks(|hooks| hooks.push(hook)).expect("a running thread");
        f()
    });
    Exiting { handle, exited }
}

impl<T> Exiting<T> {
    /// Joins the thread, then waits until its exit hooks have run.
    fn join(self) -> T {
        let result = self.handle.join().unwrap();
        // SeqCst: the hook's store happens-before our load that sees it, so everything the
        // exit hooks did is visible after the loop.
        while !self.exited.load(SeqCst) {
            thread::yield_now();
        }
        result
    }
}

/// A value that counts its drops and checks, when dropped, that its owner's last write is
/// visible.
struct Tracked {
    id: usize,
    /// Written by the owner through `&self` (`touch`), read only by `Drop`.
    note: UnsafeCell<usize>,
    drops: Arc<AtomicUsize>,
}

// SAFETY: `note` is written only by the owning thread (through its `LocalRef`) and read
// only in `Drop`, which `ThreadLocal` orders after the owner's accesses; `for_each` reads
// only `id`.
unsafe impl Sync for Tracked {}

impl Tracked {
    fn new(id: usize, drops: &Arc<AtomicUsize>) -> Self {
        Tracked {
            id,
            note: UnsafeCell::new(0),
            drops: drops.clone(),
        }
    }

    /// The owner records that it used the value.
    fn touch(&self) {
        // SAFETY: only the owner writes, before it exits (see `unsafe impl Sync`).
        self.note.with_mut(|note| unsafe { *note = self.id });
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        // SAFETY: the value is being dropped, so nobody else reads or writes it.
        let note = self.note.with(|note| unsafe { *note });
        assert!(
            note == 0 || note == self.id,
            "a foreign note {note} in value {}",
            self.id
        );
        // Relaxed: a stronger ordering would synchronise the threads that drop values with
        // each other, and hide an ordering missing in `ThreadLocal`. The models read the
        // count after joining.
        self.drops.fetch_add(1, Relaxed);
    }
}

/// Two threads each make their own value and never see another's. The main thread takes
/// index 0 first (in another `ThreadLocal`), so the two get indices 1 and 2, which share a
/// bucket: they race to allocate it, and to allocate the `Shared` block.
#[test]
fn each_thread_sees_only_its_own_value() {
    model(|| {
        let elsewhere = Local::<usize>::with_runtime();
        elsewhere.get_or(|| 0);
        let local = Arc::new(Local::<usize>::with_runtime());
        let threads: Vec<_> = (1..=2)
            .map(|id| {
                let local = local.clone();
                spawn(move || {
                    assert!(local.get().is_none(), "a new thread starts with no value");
                    assert_eq!(*local.get_or(|| id), id);
                    assert_eq!(*local.get().unwrap(), id);
                })
            })
            .collect();
        for thread in threads {
            thread.join();
        }
        assert!(local.get().is_none(), "the main thread made no value here");
        assert_eq!(
            local.capacity(),
            2,
            "indices 1 and 2 share the second bucket"
        );
    });
}

/// The heart of the design: a thread exits while the owner drops the `ThreadLocal`. The
/// thread's exit hook and the drop race for the value; it is dropped exactly once, after
/// the owner's write to it, and the buckets are freed by whoever goes last.
#[test]
fn exit_racing_the_drop_drops_the_value_once() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = Arc::new(Local::<Tracked>::with_runtime());
        let thread = {
            let (local, drops) = (local.clone(), drops.clone());
            spawn(move || {
                local.get_or(|| Tracked::new(1, &drops)).touch();
                // Whichever `Arc` goes last drops the ThreadLocal: here (before this
                // thread's exit hook runs) or on the main thread (racing it).
                drop(local);
            })
        };
        drop(local);
        thread.join();
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the value must be dropped exactly once"
        );
    });
}

/// A thread that exits with a `LocalRef` leaked leaves its value to the `ThreadLocal`
/// (`KEPT`), racing the owner's drop of it: still dropped exactly once.
#[test]
fn a_leaked_local_ref_leaves_the_value_to_the_drop() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = Arc::new(Local::<Tracked>::with_runtime());
        let thread = {
            let (local, drops) = (local.clone(), drops.clone());
            spawn(move || {
                let value = local.get_or(|| Tracked::new(1, &drops));
                value.touch();
                std::mem::forget(value);
                drop(local);
            })
        };
        drop(local);
        thread.join();
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the value must be dropped exactly once"
        );
    });
}

/// The same, but the `ThreadLocal` outlives the thread: the kept value is not dropped at
/// the exit (a `LocalRef` may still read it), only with the `ThreadLocal`.
#[test]
fn a_kept_value_outlives_its_thread() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = Arc::new(Local::<Tracked>::with_runtime());
        {
            let (local, drops) = (local.clone(), drops.clone());
            spawn(move || {
                let value = local.get_or(|| Tracked::new(1, &drops));
                value.touch();
                std::mem::forget(value);
            })
            .join();
        }
        assert_eq!(
            drops.load(SeqCst),
            0,
            "a value with a live LocalRef outlives its thread"
        );
        let local = Arc::try_unwrap(local).ok().expect("the only reference");
        let values: Vec<Tracked> = local.into_iter().collect();
        assert_eq!(values.len(), 1, "into_iter takes the kept value");
        drop(values);
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// Index recycling: a thread that exits gives its index back only after its slot is empty,
/// so a thread that takes the index while the first is exiting starts with no value and
/// writes its own without racing the old one's drop.
#[test]
fn an_index_is_recycled_only_after_its_slot_is_empty() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = Arc::new(Local::<Tracked>::with_runtime());
        let start = |id: usize| {
            let (local, drops) = (local.clone(), drops.clone());
            spawn(move || {
                assert!(
                    local.get().is_none(),
                    "thread {id} saw a value it did not make"
                );
                let value = local.get_or(|| Tracked::new(id, &drops));
                assert_eq!(value.id, id);
                value.touch();
            })
        };
        let (first, second) = (start(1), start(2));
        first.join();
        second.join();
        assert_eq!(drops.load(SeqCst), 2);
    });
}

/// The lowest free index is reused: a thread that starts after another has exited takes
/// its index, and the table does not grow.
#[test]
fn a_later_thread_reuses_the_index_of_one_that_exited() {
    model(|| {
        let local = Arc::new(Local::<usize>::with_runtime());
        for id in 1..=2 {
            let thread_local = local.clone();
            spawn(move || {
                assert!(
                    thread_local.get().is_none(),
                    "thread {id} saw a value it did not make"
                );
                thread_local.get_or(|| id);
            })
            .join();
            assert_eq!(local.capacity(), 1, "thread {id} did not get index 0");
        }
    });
}

/// `for_each` running while another thread makes its value sees either nothing or the
/// finished value, never a half-made one. (A first thread creates the bucket and exits; the
/// second takes the same, recycled, index: see the module docs for why.)
#[test]
fn for_each_sees_only_initialised_values() {
    model(|| {
        let local = Arc::new(Local::<usize>::with_runtime());
        let start = |value: usize| {
            let local = local.clone();
            spawn(move || {
                local.get_or(|| value);
            })
        };
        start(7).join();
        let thread = start(8);
        let mut seen = Vec::new();
        local.for_each(|value| seen.push(*value));
        assert!(seen.is_empty() || seen == [8], "for_each saw {seen:?}");
        thread.join();
    });
}

/// A thread exits while `for_each` reads its value: the exit does not drop the value under
/// the reader, and does not wait; the last visitor drops it (after the owner's write).
#[test]
fn for_each_racing_a_thread_exit() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let made = Arc::new(AtomicBool::new(false));
        let local = Arc::new(Local::<Tracked>::with_runtime());
        let thread = {
            let (local, drops, made) = (local.clone(), drops.clone(), made.clone());
            spawn(move || {
                local.get_or(|| Tracked::new(1, &drops)).touch();
                made.store(true, SeqCst);
                // ...and exits, racing the main thread's `for_each`.
            })
        };
        while !made.load(SeqCst) {
            thread::yield_now();
        }
        let mut seen = 0;
        local.for_each(|value| {
            assert_eq!(value.id, 1);
            seen += 1;
        });
        assert!(seen <= 1);
        thread.join();
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the value must be dropped exactly once"
        );
    });
}

/// `for_each_mut` racing a thread's exit: the same protocol, with `&mut` access.
#[test]
fn for_each_mut_racing_a_thread_exit() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let made = Arc::new(AtomicBool::new(false));
        let local = Arc::new(loom::sync::Mutex::new(Local::<Tracked>::with_runtime()));
        let thread = {
            let (local, drops, made) = (local.clone(), drops.clone(), made.clone());
            spawn(move || {
                // Make the value while holding the mutex (a `LocalRef` borrows the table),
                // then exit without it.
                local
                    .lock()
                    .unwrap()
                    .get_or(|| Tracked::new(1, &drops))
                    .touch();
                made.store(true, SeqCst);
            })
        };
        while !made.load(SeqCst) {
            thread::yield_now();
        }
        local.lock().unwrap().for_each_mut(|value| value.touch());
        thread.join();
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the value must be dropped exactly once"
        );
    });
}

/// A value made while `for_each` runs, in a bucket made meanwhile: `for_each` finds the
/// bucket initialised, or not at all. (The main thread yields first, so that loom runs the
/// owner's bucket allocation before `for_each` looks: see the module docs.)
#[test]
fn for_each_finds_a_new_bucket_initialised() {
    model(|| {
        let local = Arc::new(Local::<usize>::with_runtime());
        let thread = {
            let local = local.clone();
            spawn(move || {
                local.get_or(|| 7);
            })
        };
        thread::yield_now();
        let mut seen = Vec::new();
        local.for_each(|value| seen.push(*value));
        assert!(seen.is_empty() || seen == [7], "for_each saw {seen:?}");
        thread.join();
    });
}

/// An index is reused only after everything its thread owned is gone. The first thread
/// owns a value in `visited` and one in `other`. It exits while the main thread visits its
/// `visited` value: it leaves that value to the visitor (DOOMED), drops its `other` value,
/// and lets go of its own hold on the index. The visitor then drops the DOOMED value and,
/// if it holds the last hold, gives the index back; a second thread, started after the
/// visit, takes that index and makes its own value in the first thread's `other` slot. Only
/// the holds on the index (and the pool's lock) order the first thread's drop there before
/// the second thread's write. (The visitor yields inside `f`, so loom needs no preemption
/// to run the whole exit meanwhile.)
#[test]
fn an_index_is_reused_only_after_all_its_values_are_gone() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let made = Arc::new(AtomicBool::new(false));
        let visited = Arc::new(Local::<Tracked>::with_runtime());
        let other = Arc::new(Local::<Tracked>::with_runtime());
        let first = {
            let (visited, other) = (visited.clone(), other.clone());
            let (drops, made) = (drops.clone(), made.clone());
            spawn(move || {
                // In this order, so that the exit hooks (newest first) leave the visited
                // value to the visitor *before* dropping the other one: the Release of the
                // DOOMED exchange does not cover that drop.
                other.get_or(|| Tracked::new(11, &drops)).touch();
                visited.get_or(|| Tracked::new(1, &drops)).touch();
                made.store(true, SeqCst);
            })
        };
        while !made.load(SeqCst) {
            thread::yield_now();
        }
        visited.for_each(|value| {
            assert_eq!(value.id, 1);
            thread::yield_now();
        });
        let second = {
            let (other, drops) = (other.clone(), drops.clone());
            spawn(move || {
                // Index 0 if the first thread's holds are all gone, else index 1.
                other.get_or(|| Tracked::new(12, &drops)).touch();
            })
        };
        first.join();
        second.join();
        assert_eq!(drops.load(SeqCst), 3, "each value dropped exactly once");
    });
}
