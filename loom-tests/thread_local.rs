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
//!
//! What loom cannot show here: a value's `Drop` that calls back into a `ThreadLocal` from
//! its owner's exit hooks (issue 13's cases 1 and 2: re-entrant `get_or` while the exit
//! drops the value; the exiting owner reaching its own value after leaving it to a
//! visitor). Under `Loom` the thread index lives in a `loom::thread_local!`, and loom takes
//! *all* of a thread's thread-locals away before it drops any of them, so inside an exit
//! hook `get` finds no index (it returns `None` whatever the slot holds) and `get_or`
//! panics ("used after this thread's thread-local storage was destroyed"). Under `Std`
//! the index stays readable (a const `thread_local!` without a destructor), which is what
//! makes those cases reachable. They are covered by the real-thread regression tests in
//! `tests/thread_local_soundness.rs` (run under valgrind by `.ci/run`); the visitor's side
//! of case 2 (the slot is empty before anyone may write it again) is modelled here by
//! `a_doomed_slot_is_emptied_before_its_index_is_reused`.

mod common;

use common::{model, Seen};
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
    /// Whether the thread's exit hooks have all run.
    fn has_exited(&self) -> bool {
        // SeqCst: as in `join`.
        self.exited.load(SeqCst)
    }

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
///
/// The racy branch is the owner exiting *during* the visit (so the visitor drops the
/// value): the model records whether the exit had finished before the visit ended, and
/// fails if loom never showed both.
#[test]
fn for_each_racing_a_thread_exit() {
    static EXITED_DURING_VISIT: Seen = Seen::new();
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
        let mut exited_during_visit = false;
        local.for_each(|value| {
            assert_eq!(value.id, 1);
            seen += 1;
            // Let the owner run its exit now, without spending a preemption.
            thread::yield_now();
            exited_during_visit = thread.has_exited();
            if exited_during_visit {
                assert_eq!(
                    drops.load(SeqCst),
                    0,
                    "the exit dropped the value under the visitor"
                );
            }
        });
        assert!(seen <= 1);
        EXITED_DURING_VISIT.record(exited_during_visit);
        if exited_during_visit {
            assert_eq!(
                drops.load(SeqCst),
                1,
                "the last visitor drops the value its owner left it"
            );
        }
        thread.join();
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the value must be dropped exactly once"
        );
    });
    assert!(
        EXITED_DURING_VISIT.both(),
        "loom should show the owner exiting during the visit, and not"
    );
}

/// `for_each_mut` racing a thread's exit: the same protocol, with `&mut` access.
#[test]
fn for_each_mut_racing_a_thread_exit() {
    static EXITED_DURING_VISIT: Seen = Seen::new();
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
        let mut exited_during_visit = false;
        local.lock().unwrap().for_each_mut(|value| {
            value.touch();
            thread::yield_now();
            exited_during_visit = thread.has_exited();
            if exited_during_visit {
                assert_eq!(
                    drops.load(SeqCst),
                    0,
                    "the exit dropped the value under the visitor"
                );
            }
        });
        EXITED_DURING_VISIT.record(exited_during_visit);
        thread.join();
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the value must be dropped exactly once"
        );
    });
    assert!(
        EXITED_DURING_VISIT.both(),
        "loom should show the owner exiting during the visit, and not"
    );
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

/// Waits until the other holders of `local` have let go of it, and takes the table.
fn sole_owner<T>(mut local: Arc<Local<T>>) -> Local<T> {
    loop {
        match Arc::try_unwrap(local) {
            Ok(table) => return table,
            Err(shared) => {
                local = shared;
                thread::yield_now();
            }
        }
    }
}

/// A thread makes a value, lets go of the table and exits, while the main thread (now the
/// table's only owner) clears it: the exit hook and `clear` race for the value (one
/// compare-exchange each). It is dropped exactly once, after the owner's write. Records
/// whether `clear` took it, and fails unless loom showed both winners.
#[test]
fn clear_racing_a_thread_exit() {
    static CLEAR_TOOK_IT: Seen = Seen::new();
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = Arc::new(Local::<Tracked>::with_runtime());
        let thread = {
            let (local, drops) = (local.clone(), drops.clone());
            spawn(move || {
                local.get_or(|| Tracked::new(1, &drops)).touch();
                drop(local);
                // ...and exits, racing the main thread's `clear`.
            })
        };
        let mut local = sole_owner(local);
        // Our own drops are visible to us; one by the exit hook may not be yet, but then
        // `clear` found nothing, and the count does not move.
        let before = drops.load(SeqCst);
        local.clear();
        let cleared = drops.load(SeqCst) > before;
        CLEAR_TOOK_IT.record(cleared);
        assert!(local.get().is_none());
        thread.join();
        assert_eq!(drops.load(SeqCst), 1, "the value dropped exactly once");
        drop(local);
        assert_eq!(drops.load(SeqCst), 1, "and not again with the table");
    });
    assert!(
        CLEAR_TOOK_IT.both(),
        "loom should show both clear and the exit taking the value"
    );
}

/// The same race with `into_iter`: the value comes out of the iterator, or the exit drops
/// it; never both, never neither.
#[test]
fn into_iter_racing_a_thread_exit() {
    static INTO_ITER_TOOK_IT: Seen = Seen::new();
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = Arc::new(Local::<Tracked>::with_runtime());
        let thread = {
            let (local, drops) = (local.clone(), drops.clone());
            spawn(move || {
                local.get_or(|| Tracked::new(1, &drops)).touch();
                drop(local);
            })
        };
        let values: Vec<Tracked> = sole_owner(local).into_iter().collect();
        assert!(values.len() <= 1);
        INTO_ITER_TOOK_IT.record(values.len() == 1);
        for value in &values {
            assert_eq!(value.id, 1);
        }
        drop(values);
        thread.join();
        assert_eq!(drops.load(SeqCst), 1, "the value dropped exactly once");
    });
    assert!(
        INTO_ITER_TOOK_IT.both(),
        "loom should show both into_iter and the exit taking the value"
    );
}

/// The visitor's side of a DOOMED value: the owner exits during a visit and leaves its
/// value to the visitor, which holds the owner's index until the value is out of the slot.
/// A new thread, started during the visit, takes that index only once the slot is empty
/// again: it starts with no value, and its write is ordered after the visitor's move out
/// (else `get_or` finds the slot still DOOMED and panics, or loom sees the two accesses
/// race). Records whether the new thread got the recycled index, and fails unless loom
/// showed it both ways.
#[test]
fn a_doomed_slot_is_emptied_before_its_index_is_reused() {
    static RECYCLED: Seen = Seen::new();
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let made = Arc::new(AtomicBool::new(false));
        let local = Arc::new(Local::<Tracked>::with_runtime());
        // A thread with index 0 makes the bucket first (see the module docs: loom would not
        // show `for_each` a bucket published meanwhile), and is gone before the race.
        {
            let (local, drops) = (local.clone(), drops.clone());
            spawn(move || drop(local.get_or(|| Tracked::new(0, &drops)))).join();
        }
        let visiting = Arc::new(AtomicBool::new(false));
        let first = {
            let (local, drops, made) = (local.clone(), drops.clone(), made.clone());
            let visiting = visiting.clone();
            spawn(move || {
                local.get_or(|| Tracked::new(1, &drops)).touch();
                made.store(true, SeqCst);
                // Exit only during the visit.
                while !visiting.load(SeqCst) {
                    thread::yield_now();
                }
            })
        };
        while !made.load(SeqCst) {
            thread::yield_now();
        }
        let mut first = Some(first);
        let mut second = None;
        local.for_each(|value| {
            let Some(first) = first.take() else {
                // The new thread's value, in the bucket it made for index 1.
                assert_eq!(value.id, 2, "a value visited twice");
                return;
            };
            assert_eq!(value.id, 1);
            visiting.store(true, SeqCst);
            // The owner exits during the visit: its value is DOOMED, and ours to drop.
            first.join();
            let (local, drops) = (local.clone(), drops.clone());
            second = Some(spawn(move || {
                assert!(local.get().is_none(), "a new thread saw a value");
                let value = local.get_or(|| Tracked::new(2, &drops));
                assert_eq!(value.id, 2);
                value.touch();
            }));
        });
        assert!(first.is_none(), "the visit found the owner's value");
        second.expect("started during the visit").join();
        // Index 0 again (one bucket of one slot), or index 1 (a second bucket).
        RECYCLED.record(local.capacity() == 1);
        assert_eq!(drops.load(SeqCst), 3, "each value dropped exactly once");
    });
    assert!(
        RECYCLED.both(),
        "loom should show the new thread taking the recycled index, and not"
    );
}
