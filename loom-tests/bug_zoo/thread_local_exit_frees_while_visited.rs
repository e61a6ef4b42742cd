//! Bug: a per-object thread-local whose exit hook drops the thread's value without looking
//! for visitors, while `for_each` on another thread may be reading it.
//!
//! The tempting argument: "the value belongs to the exiting thread; once that thread is
//! gone nobody can use it, so the exit hook may free it". But `for_each` reaches *other*
//! threads' values: it found this one while the owner was alive, and is still reading it
//! when the owner exits. The hook frees memory `f` is reading.
//!
//! Loom runs the owner's exit hook (it drops a model thread's thread-locals when the
//! thread ends, and the runtime's `ExitHooks` live there) in the middle of the visit and
//! reports `Causality violation: Concurrent read and write accesses to `UnsafeCell``: the
//! visitor's read and the hook's drop are not ordered.
//!
//! The fix, in `ThreadLocal`: visitors count themselves in the slot's state word; an exit
//! that finds a visitor marks the value DOOMED instead of dropping it, and the last visitor
//! to leave drops it. The exiting thread never waits.

use crate::common::{self, expect_model_failure, model, LOOM_DATA_RACE};
use core::sync::atomic::Ordering::{AcqRel, Acquire, Release, SeqCst};
use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use syncsmith::runtime::{AtomicInt, Cell, ExitHook, Loom, Runtime};

/// A value is in the slot.
const PRESENT: usize = 1;
/// One visitor; the count fills the upper bits.
const VISITOR: usize = 2;

/// One thread's slot of a per-object thread-local.
struct Slot<R: Runtime> {
    state: R::AtomicUsize,
    value: R::Cell<Option<String>>,
}

impl<R: Runtime> Slot<R> {
    fn new() -> Self {
        Slot {
            state: <R::AtomicUsize as AtomicInt>::new(0),
            value: <R::Cell<Option<String>> as Cell<_>>::new(None),
        }
    }

    /// The owner makes its value and publishes it.
    fn make(&self, value: &str) {
        // SAFETY: the owner writes before publishing PRESENT; nobody reads before that.
        self.value
            .with_mut(|slot| unsafe { *slot = Some(value.to_string()) });
        self.state.fetch_or(PRESENT, Release);
    }

    /// `for_each` on one slot: count ourselves in, read the value if present, leave.
    fn visit(&self) -> Option<usize> {
        let state = self.state.fetch_add(VISITOR, Acquire);
        let seen = if state & PRESENT != 0 {
            // SAFETY: PRESENT was published with a Release; we counted ourselves in.
            self.value
                .with(|slot| unsafe { (*slot).as_ref().map(String::len) })
        } else {
            None
        };
        self.state.fetch_sub(VISITOR, AcqRel);
        seen
    }

    /// THE BUG: the exit hook takes the value away and drops it, ignoring the visitor
    /// count that `visit` so carefully keeps.
    fn exit(&self) {
        if self.state.fetch_and(!PRESENT, AcqRel) & PRESENT != 0 {
            // SAFETY (not really): "the owner is exiting, nobody else can be using it".
            self.value.with_mut(|slot| unsafe { *slot = None });
        }
    }
}

/// Registers `slot.exit()` as an exit hook of the calling thread.
fn exit_hook(slot: Arc<Slot<Loom>>) {
    unsafe fn run(data: [*const (); 3]) {
        // SAFETY: `data[0]` came from `Arc::into_raw` below; the hook runs once.
        let slot = unsafe { Arc::from_raw(data[0] as *const Slot<Loom>) };
        slot.exit();
    }
    unsafe fn never_stale(_: [*const (); 3]) -> bool {
        false
    }
    // SAFETY: `run` gets the `Arc` it expects and runs once; `never_stale` reads nothing.
    let hook = unsafe {
        ExitHook::new(
            [
                Arc::into_raw(slot) as *const (),
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
    let slot = Arc::new(Slot::<Loom>::new());
    let made = Arc::new(AtomicBool::new(false));
    let owner = {
        let (slot, made) = (slot.clone(), made.clone());
        thread::spawn(move || {
            exit_hook(slot.clone());
            slot.make("Alice");
            made.store(true, SeqCst);
            // Exits: the hook runs, racing the visit below.
        })
    };
    while !made.load(SeqCst) {
        thread::yield_now();
    }
    let seen = slot.visit();
    assert!(seen.is_none() || seen == Some(5));
    owner.join().unwrap();
}

#[test]
#[ignore = "broken on purpose: run by `loom_finds_the_value_freed_under_the_visitor`"]
fn broken_model() {
    model(run);
}

#[test]
fn loom_finds_the_value_freed_under_the_visitor() {
    let output = expect_model_failure(concat!(module_path!(), "::broken_model"), &[LOOM_DATA_RACE]);
    print!("{}", common::panic_messages(&output));
}
