//! Bug: a per-object thread-local whose exit hook gives the thread's index back to the pool
//! *before* it clears the thread's slot.
//!
//! Slots are indexed by a small thread index, and indices are recycled (the lowest free one
//! first) so that the table stays as small as the number of live threads. The tempting
//! order at exit: "give the index back first, it is cheap; then drop the value". But the
//! moment the index is back in the pool, a new thread may take it and write its own value
//! into the very slot the exiting thread is still clearing.
//!
//! Loom explores the new thread taking the index between the two steps and reports
//! `Causality violation: Concurrent write accesses to `UnsafeCell``: the old owner's drop
//! and the new owner's write to the same slot are not ordered. (Both go through the pool's
//! lock, but the drop comes after the old owner's unlock, so the lock orders nothing.)
//!
//! The fix, in `ThreadLocal`: the index goes back only when every slot the thread owned is
//! empty: its exit hooks run newest first, and the hook that gives the index back is the
//! first one a thread registers; values left behind hold the index until they are dropped.

use crate::common::{self, expect_model_failure, model, LOOM_DATA_RACE};
use loom::sync::Arc;
use loom::thread;
use syncsmith::runtime::{Cell, ExitHook, Loom, Runtime};

/// A table with one slot per thread index (two threads, so two slots).
struct Table<R: Runtime> {
    slots: [R::Cell<Option<String>>; 2],
}

/// What the exit hook needs: the table and the index to clear and give back.
struct Exit {
    table: Arc<Table<Loom>>,
    index: usize,
    pool: <Loom as Runtime>::IndexPoolHandle,
}

impl Exit {
    /// THE BUG: the index goes back to the pool first, the slot is cleared after.
    fn run(self) {
        Loom::with_index_pool(&self.pool, |pool| pool.give_back(self.index));
        // SAFETY (not really): "the slot is still ours until we return".
        self.table.slots[self.index].with_mut(|slot| unsafe { *slot = None });
    }
}

/// A thread takes the lowest free index, writes its value into that slot, and registers
/// the (broken) exit hook.
fn use_table(table: &Arc<Table<Loom>>, name: &str) {
    let pool = Loom::index_pool();
    let index = Loom::with_index_pool(&pool, |pool| pool.take());
    // SAFETY: the slot of an index we hold is ours (if indices are recycled correctly).
    table.slots[index].with_mut(|slot| unsafe { *slot = Some(name.to_string()) });

    unsafe fn run(data: [*const (); 3]) {
        // SAFETY: `data[0]` came from `Box::into_raw` below; the hook runs once.
        unsafe { Box::from_raw(data[0] as *mut Exit) }.run();
    }
    unsafe fn never_stale(_: [*const (); 3]) -> bool {
        false
    }
    let exit = Box::new(Exit {
        table: table.clone(),
        index,
        pool,
    });
    // SAFETY: `run` gets the box it expects and runs once; `never_stale` reads nothing.
    let hook = unsafe {
        ExitHook::new(
            [
                Box::into_raw(exit) as *const (),
                std::ptr::null(),
                std::ptr::null(),
            ],
            run,
            never_stale,
        )
    };
    Loom::with_exit_hooks(|hooks| hooks.push(hook)).expect("a running thread");
}

fn run() {
    let table = Arc::new(Table::<Loom> {
        slots: [Cell::new(None), Cell::new(None)],
    });
    let threads: Vec<_> = ["Alice", "Bob"]
        .into_iter()
        .map(|name| {
            let table = table.clone();
            // Bob takes index 0 again if Alice has given it back, else index 1.
            thread::spawn(move || use_table(&table, name))
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_slot_written_while_being_cleared`"]
fn broken_model() {
    model(run);
}

#[test]
fn loom_finds_the_slot_written_while_being_cleared() {
    let output = expect_model_failure(concat!(module_path!(), "::broken_model"), &[LOOM_DATA_RACE]);
    print!("{}", common::panic_messages(&output));
}
