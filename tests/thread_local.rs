//! `ThreadLocal` on real threads: the behaviours of CPython's `test_threading_local` that
//! apply to Rust (each thread sees only its own value; a finished thread's values are
//! gone; many threads and many objects; a `ThreadLocal` inside a value), plus drop counting,
//! index recycling, and the corner cases of the design (a `LocalRef` alive at thread exit,
//! `for_each` racing an exit, a failed or re-entrant `init`).

mod common;

use common::panic_message;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use syncsmith::runtime::{Runtime, Std};
use syncsmith::ThreadLocal;

/// A value that counts its drops.
struct Counted {
    id: usize,
    drops: Arc<AtomicUsize>,
}

impl Counted {
    fn new(id: usize, drops: &Arc<AtomicUsize>) -> Self {
        Counted {
            id,
            drops: drops.clone(),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

#[test]
fn each_thread_sees_only_its_own_value() {
    let local = ThreadLocal::new();
    let start = Barrier::new(4);
    thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|id| {
                let (local, start) = (&local, &start);
                s.spawn(move || {
                    assert!(local.get().is_none(), "a new thread starts with no value");
                    local.get_or(|| Cell::new(id));
                    start.wait(); // everyone has set a value
                    for _ in 0..1000 {
                        let mine = local.get().expect("our value");
                        assert_eq!(mine.get(), id, "thread {id} saw another thread's value");
                        mine.set(mine.get());
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    });
    assert!(local.get().is_none(), "the main thread never made a value");
}

/// Python: a `local`'s attributes are per thread; `test_local_refs`: a finished thread's
/// data is freed.
#[test]
fn values_of_finished_threads_are_gone() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(ThreadLocal::new());
    for id in 0..8 {
        let (thread_local, thread_drops) = (local.clone(), drops.clone());
        thread::spawn(move || {
            thread_local.get_or(|| Counted::new(id, &thread_drops));
        })
        .join()
        .unwrap();
        // `join` returns after the thread's thread-local destructors ran.
        assert_eq!(
            drops.load(SeqCst),
            id + 1,
            "thread {id}'s value was not dropped at exit"
        );
    }
    let mut seen = 0;
    local.for_each(|_| seen += 1);
    assert_eq!(seen, 0, "for_each must not see values of finished threads");
    assert_eq!(Arc::try_unwrap(local).ok().unwrap().into_iter().count(), 0);
    assert_eq!(drops.load(SeqCst), 8, "nothing dropped twice");
}

#[test]
fn many_threads_times_many_objects() {
    const THREADS: usize = 6;
    const LOCALS: usize = 40;
    let drops = Arc::new(AtomicUsize::new(0));
    let locals: Vec<ThreadLocal<Counted>> = (0..LOCALS).map(|_| ThreadLocal::new()).collect();
    let all_set = Barrier::new(THREADS);
    thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (locals, drops, all_set) = (&locals, &drops, &all_set);
                s.spawn(move || {
                    for (l, local) in locals.iter().enumerate() {
                        local.get_or(|| Counted::new(t * 1000 + l, drops));
                    }
                    all_set.wait();
                    for (l, local) in locals.iter().enumerate() {
                        assert_eq!(local.get().unwrap().id, t * 1000 + l);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    });
    assert_eq!(
        drops.load(SeqCst),
        THREADS * LOCALS,
        "every value dropped at its thread's exit"
    );
    drop(locals);
    assert_eq!(
        drops.load(SeqCst),
        THREADS * LOCALS,
        "and none dropped again"
    );
}

/// Python's `test_threading_local` puts `local` objects inside other objects' attributes;
/// here a value holds a `ThreadLocal` that holds a value of the same thread. Both go when
/// the thread exits, in whichever order the exit hooks run.
#[test]
fn nested_thread_local_inside_a_value() {
    struct Outer {
        inner: ThreadLocal<Counted>,
        _counted: Counted,
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let outer = Arc::new(ThreadLocal::new());
    let handles: Vec<_> = (0..3)
        .map(|id| {
            let (outer, drops) = (outer.clone(), drops.clone());
            thread::spawn(move || {
                let mine = outer.get_or(|| Outer {
                    inner: ThreadLocal::new(),
                    _counted: Counted::new(id, &drops),
                });
                mine.inner.get_or(|| Counted::new(100 + id, &drops));
                assert_eq!(mine.inner.get().unwrap().id, 100 + id);
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(
        drops.load(SeqCst),
        6,
        "outer and inner values dropped at exit"
    );
    drop(outer);
    assert_eq!(drops.load(SeqCst), 6);
}

#[test]
fn dropping_the_thread_local_drops_the_values_of_live_threads() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(ThreadLocal::new());
    let (made_tx, made_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let exit_rx = Arc::new(Mutex::new(exit_rx));
    let handles: Vec<_> = (0..3)
        .map(|id| {
            let (local, drops, made_tx, exit_rx) = (
                local.clone(),
                drops.clone(),
                made_tx.clone(),
                exit_rx.clone(),
            );
            thread::spawn(move || {
                local.get_or(|| Counted::new(id, &drops));
                drop(local);
                made_tx.send(()).unwrap();
                // Stay alive until the ThreadLocal is gone.
                exit_rx.lock().unwrap().recv().ok();
            })
        })
        .collect();
    for _ in 0..3 {
        made_rx.recv().unwrap();
    }
    local.get_or(|| Counted::new(99, &drops));
    drop(local); // the last reference: the ThreadLocal is dropped here
    assert_eq!(
        drops.load(SeqCst),
        4,
        "every value dropped with the ThreadLocal"
    );
    drop(exit_tx);
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(
        drops.load(SeqCst),
        4,
        "an exit after the drop drops nothing again"
    );
}

/// The exit/drop race, on real threads: a thread exits while the owner drops the
/// `ThreadLocal`; each value is dropped exactly once whoever wins.
#[test]
fn thread_exit_racing_the_drop_drops_each_value_once() {
    for round in 0..200 {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = Arc::new(ThreadLocal::new());
        let ready = Arc::new(Barrier::new(2));
        let handle = {
            let (local, drops, ready) = (local.clone(), drops.clone(), ready.clone());
            thread::spawn(move || {
                local.get_or(|| Counted::new(round, &drops));
                drop(local);
                ready.wait();
                // Exits now, racing the main thread's drop.
            })
        };
        ready.wait();
        drop(local);
        handle.join().unwrap();
        assert_eq!(
            drops.load(SeqCst),
            1,
            "round {round}: dropped other than once"
        );
    }
}

/// 1,000 short-lived threads, four at a time: indices are recycled (lowest first), so the
/// slot table stays about as large as the number of threads alive at once.
#[test]
fn a_thousand_short_lived_threads_keep_the_table_small() {
    let local = ThreadLocal::new();
    let drops = Arc::new(AtomicUsize::new(0));
    for batch in 0..250 {
        thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|i| {
                    let (local, drops) = (&local, &drops);
                    s.spawn(move || {
                        local.get_or(|| Counted::new(batch * 4 + i, drops));
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap(); // joined: their exit hooks have run
            }
        });
    }
    assert_eq!(drops.load(SeqCst), 1000);
    // Other tests run threads at the same time, so allow for them; without recycling the
    // table would need 1,000 slots (1,023 with its power-of-two buckets).
    let capacity = local.capacity();
    assert!(
        capacity <= 127,
        "the table grew to {capacity} slots for 4 threads at a time"
    );
}

#[test]
fn get_or_try_error_leaves_nothing_initialised() {
    let local: ThreadLocal<String> = ThreadLocal::new();
    let err = local.get_or_try(|| Err::<String, _>("no")).unwrap_err();
    assert_eq!(err, "no");
    assert!(local.get().is_none(), "a failed init stores nothing");
    let mut seen = 0;
    local.for_each(|_| seen += 1);
    assert_eq!(seen, 0);
    // And a later init works.
    assert_eq!(
        *local.get_or_try(|| Ok::<_, ()>("yes".to_string())).unwrap(),
        "yes"
    );
    assert_eq!(*local.get_or(|| unreachable!()), "yes");
}

#[test]
fn a_panicking_init_leaves_nothing_initialised() {
    let local: ThreadLocal<u32> = ThreadLocal::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        local.get_or(|| panic!("init failed"));
    }));
    assert!(result.is_err());
    assert!(local.get().is_none());
    assert_eq!(*local.get_or(|| 7), 7);
}

#[test]
fn reentrant_init_panics_with_a_clear_message() {
    let local: ThreadLocal<u32> = ThreadLocal::new();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        local.get_or(|| *local.get_or(|| 1) + 1);
    }))
    .unwrap_err();
    assert_eq!(
        panic_message(payload),
        "reentrant init: the `init` of ThreadLocal::get_or* called get_or* on the same ThreadLocal"
    );
    // Nothing was stored, and the ThreadLocal still works.
    assert!(local.get().is_none());
    assert_eq!(*local.get_or(|| 5), 5);
    // Other ThreadLocals may be used from `init`.
    let other: ThreadLocal<u32> = ThreadLocal::new();
    assert_eq!(*other.get_or(|| *local.get_or(|| 0) * 2), 10);
}

#[test]
fn get_or_default_and_get_agree() {
    let local: ThreadLocal<RefCell<Vec<u8>>> = ThreadLocal::default();
    local.get_or_default().borrow_mut().push(1);
    local.get().unwrap().borrow_mut().push(2);
    assert_eq!(*local.get_or_default().borrow(), [1, 2]);
    assert_eq!(
        format!("{local:?}"),
        "ThreadLocal { local: Some(RefCell { value: [1, 2] }) }"
    );
    thread::scope(|s| {
        s.spawn(|| assert_eq!(format!("{local:?}"), "ThreadLocal { local: None }"));
    });
}

/// A `LocalRef` leaked at exit keeps its value alive: the value is dropped with the
/// `ThreadLocal` instead, exactly once.
#[test]
fn a_leaked_local_ref_defers_the_drop_to_the_thread_local() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(ThreadLocal::new());
    {
        let (local, drops) = (local.clone(), drops.clone());
        thread::spawn(move || {
            std::mem::forget(local.get_or(|| Counted::new(1, &drops)));
        })
        .join()
        .unwrap();
    }
    assert_eq!(
        drops.load(SeqCst),
        0,
        "a value with a leaked LocalRef must not be dropped"
    );
    let mut seen = 0;
    local.for_each(|_| seen += 1);
    assert_eq!(seen, 0, "for_each shows live threads' values only");
    drop(local);
    assert_eq!(
        drops.load(SeqCst),
        1,
        "the ThreadLocal drops the kept value, once"
    );
}

#[test]
fn clear_and_into_iter_take_kept_values_too() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut local = ThreadLocal::new();
    thread::scope(|s| {
        for id in 0..3 {
            let (local, drops) = (&local, &drops);
            s.spawn(move || std::mem::forget(local.get_or(|| Counted::new(id, drops))))
                .join()
                .unwrap();
        }
    });
    local.get_or(|| Counted::new(10, &drops));
    assert_eq!(drops.load(SeqCst), 0);
    local.clear();
    assert_eq!(
        drops.load(SeqCst),
        4,
        "clear drops kept values and the live one"
    );
    assert!(local.get().is_none());

    thread::scope(|s| {
        let local = &local;
        let drops = &drops;
        s.spawn(move || std::mem::forget(local.get_or(|| Counted::new(20, drops))))
            .join()
            .unwrap();
    });
    local.get_or(|| Counted::new(30, &drops));
    let mut ids: Vec<usize> = local.into_iter().map(|c| c.id).collect();
    ids.sort();
    assert_eq!(ids, [20, 30]);
    assert_eq!(drops.load(SeqCst), 6);
}

#[test]
fn for_each_sees_every_live_thread_and_for_each_mut_changes_them() {
    let mut local = ThreadLocal::new();
    let set = Barrier::new(4);
    let looked = Barrier::new(4);
    thread::scope(|s| {
        let handles: Vec<_> = (1..=3)
            .map(|id| {
                let (local, set, looked) = (&local, &set, &looked);
                s.spawn(move || {
                    local.get_or(|| AtomicUsize::new(id));
                    set.wait();
                    looked.wait();
                })
            })
            .collect();
        set.wait();
        let mut seen = Vec::new();
        local.for_each(|v| seen.push(v.load(SeqCst)));
        seen.sort();
        assert_eq!(seen, [1, 2, 3]);
        looked.wait();
        // An explicit join: the end of a scope does not wait for its threads' thread-local
        // destructors (syncsmith's exit hooks among them), a join does.
        for handle in handles {
            handle.join().unwrap();
        }
    });
    // The threads have exited, and their values are dropped.
    local.get_or(|| AtomicUsize::new(7));
    local.for_each_mut(|v| *v.get_mut() *= 2);
    assert_eq!(local.get().unwrap().load(SeqCst), 14);
    let mut count = 0;
    local.for_each(|_| count += 1);
    assert_eq!(count, 1);
}

/// A thread that exits while `for_each` looks at its value neither waits for `for_each`
/// nor has its value dropped under it; the value goes when the visit ends.
#[test]
fn a_thread_exiting_during_for_each_does_not_wait_and_its_value_outlives_the_visit() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(ThreadLocal::new());
    let (made_tx, made_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let handle = {
        let (local, drops) = (local.clone(), drops.clone());
        thread::spawn(move || {
            local.get_or(|| Counted::new(5, &drops));
            made_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            // Exits while the main thread is inside `for_each`.
        })
    };
    made_rx.recv().unwrap();
    let mut handle = Some(handle);
    local.for_each(|value| {
        go_tx.send(()).unwrap();
        // If the exit waited for us, this join would never return.
        handle.take().unwrap().join().unwrap();
        assert_eq!(
            value.id, 5,
            "the value is still readable after its thread exited"
        );
        assert_eq!(drops.load(SeqCst), 0, "and not dropped while we look");
    });
    assert_eq!(drops.load(SeqCst), 1, "dropped when the visit ended");
    drop(local);
    assert_eq!(drops.load(SeqCst), 1);
}

/// A `LocalRef` held by another thread-local's destructor: whichever destructor runs first,
/// the value is readable there and dropped exactly once in the end.
#[test]
fn a_local_ref_held_by_another_thread_locals_destructor_stays_valid() {
    static NAMES: ThreadLocal<String> = ThreadLocal::new();
    static READ_IN_DESTRUCTOR: Mutex<Vec<String>> = Mutex::new(Vec::new());

    struct Holder(RefCell<Option<syncsmith::LocalRef<'static, String>>>);
    impl Drop for Holder {
        fn drop(&mut self) {
            if let Some(name) = self.0.borrow_mut().take() {
                READ_IN_DESTRUCTOR.lock().unwrap().push(name.clone());
            }
        }
    }
    thread_local! {
        static HOLDER: Holder = const { Holder(RefCell::new(None)) };
    }

    thread::spawn(|| {
        // Touch HOLDER first, then NAMES: on most platforms destructors run newest first,
        // so syncsmith's exit hooks run before HOLDER's destructor, with the LocalRef alive.
        HOLDER.with(|_| {});
        let name = NAMES.get_or(|| "worker".to_string());
        HOLDER.with(|holder| *holder.0.borrow_mut() = Some(name));
    })
    .join()
    .unwrap();
    assert_eq!(*READ_IN_DESTRUCTOR.lock().unwrap(), ["worker"]);
}

/// A thread-local destructor that first uses a `ThreadLocal` after syncsmith's exit hooks
/// ran still gets a value; it is dropped with the `ThreadLocal`, exactly once.
#[test]
fn a_value_made_during_thread_exit_is_dropped_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local: Arc<ThreadLocal<Counted>> = Arc::new(ThreadLocal::new());

    /// The `ThreadLocal` to use at thread exit, and the drop counter for its value.
    type LateUse = (Arc<ThreadLocal<Counted>>, Arc<AtomicUsize>);
    struct LateUser(RefCell<Option<LateUse>>);
    impl Drop for LateUser {
        fn drop(&mut self) {
            if let Some((local, drops)) = self.0.borrow_mut().take() {
                let value = local.get_or(|| Counted::new(42, &drops));
                assert_eq!(value.id, 42);
            }
        }
    }
    thread_local! {
        static LATE: LateUser = const { LateUser(RefCell::new(None)) };
    }
    {
        let (local, drops) = (local.clone(), drops.clone());
        thread::spawn(move || {
            // Registered before syncsmith's hooks (which the next line registers), so on
            // most platforms its destructor runs after them.
            LATE.with(|late| *late.0.borrow_mut() = Some((local.clone(), drops.clone())));
            local.get_or(|| Counted::new(1, &drops));
        })
        .join()
        .unwrap();
    }
    let after_exit = drops.load(SeqCst);
    assert!(after_exit >= 1, "the regular value was dropped at exit");
    drop(local);
    assert_eq!(drops.load(SeqCst), 2, "both values dropped, each once");
}

#[test]
fn many_thread_locals_on_one_long_lived_thread_do_not_pile_up() {
    // Each ThreadLocal registers an exit hook on this thread; dropped ones are pruned.
    let drops = Arc::new(AtomicUsize::new(0));
    for round in 0..2000 {
        let local = ThreadLocal::new();
        local.get_or(|| Counted::new(round, &drops));
    }
    assert_eq!(drops.load(SeqCst), 2000);
    let hooks = Std::with_exit_hooks(|hooks| hooks.len()).unwrap();
    assert!(
        hooks <= 64,
        "{hooks} exit hooks left on this thread: stale ones were not pruned"
    );
}

#[test]
fn a_thread_local_in_a_static_works_like_a_module_level_local() {
    static LOCAL: ThreadLocal<Cell<u64>> = ThreadLocal::new();
    let sums: Vec<u64> = (1..=4)
        .map(|n| {
            thread::spawn(move || {
                for i in 1..=n {
                    let mine = LOCAL.get_or_default();
                    mine.set(mine.get() + i);
                }
                LOCAL.get().unwrap().get()
            })
        })
        .map(|handle| handle.join().unwrap())
        .collect();
    assert_eq!(sums, [1, 3, 6, 10]);
}
