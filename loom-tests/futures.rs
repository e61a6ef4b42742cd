//! Loom models of `syncsmith::futures`: the shipped `Future`, `Promise`, `wait`,
//! `as_completed` and `ThreadPoolExecutor`, run on the `Loom` runtime (the pool's workers are
//! loom threads, spawned and joined through the runtime seam).
//!
//! Each model is tiny (one worker, one or two tasks, at most three threads) because every
//! future, queue and condition adds locks, and each lock adds interleavings. Each race model
//! records which side of its race an execution took (`common::Seen`) and fails if loom
//! never produced the interesting side.

mod common;

use common::{model, model3, Seen};
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;
use syncsmith::futures::{as_completed, wait, Future, FutureError, ReturnWhen, SubmitError};
use syncsmith::runtime::Loom;
use syncsmith::ThreadPoolExecutor;

type Pool = ThreadPoolExecutor<Loom>;

// ANCHOR: cancel_race
/// `cancel` races the worker that picks the task up: exactly one of "cancelled" and "ran"
/// holds, and the caller of `cancel`, the future's own view, `result` and a done callback
/// all agree on which.
#[test]
fn cancel_racing_the_worker_exactly_one_of_cancelled_or_ran() {
    static CANCELLED: Seen = Seen::new();
    model(|| {
        let pool = Pool::with_runtime(1);
        let ran = Arc::new(AtomicBool::new(false));
        let future = {
            let ran = Arc::clone(&ran);
            pool.submit(move || ran.store(true, SeqCst)).unwrap()
        };
        let callback_saw_cancel = Arc::new(AtomicUsize::new(0));
        {
            let seen = Arc::clone(&callback_saw_cancel);
            future.add_done_callback(move |outcome| {
                let code = if matches!(outcome, Err(FutureError::Cancelled)) {
                    1
                } else {
                    2
                };
                seen.store(code, SeqCst);
            });
        }
        let cancelled = future.cancel();
        pool.shutdown(true, false);
        let ran = ran.load(SeqCst);
        assert_ne!(cancelled, ran, "exactly one of cancelled and ran");
        assert_eq!(future.cancelled(), cancelled);
        assert!(future.done());
        let expected_code = if cancelled { 1 } else { 2 };
        assert_eq!(callback_saw_cancel.load(SeqCst), expected_code);
        match future.result() {
            Ok(()) => assert!(!cancelled),
            Err(FutureError::Cancelled) => assert!(cancelled),
            Err(other) => panic!("unexpected outcome {other:?}"),
        }
        CANCELLED.record(cancelled);
    });
    assert!(
        CANCELLED.both(),
        "loom never let both cancel and the worker win"
    );
}
// ANCHOR_END: cancel_race

/// `result` called while another thread completes the future: it returns the value, whether
/// it found the future done or had to wait for it.
#[test]
fn result_waits_while_the_task_completes() {
    static WAITED: Seen = Seen::new();
    model(|| {
        let (future, promise) = Future::<u32, Loom>::pending_with_runtime();
        let completer = thread::spawn(move || {
            assert!(promise.set_running());
            promise.set_result(7);
        });
        let done_before = future.done();
        assert_eq!(future.result().unwrap(), 7);
        completer.join().unwrap();
        WAITED.record(!done_before);
    });
    assert!(
        WAITED.both(),
        "result never had to wait, or never found it done"
    );
}

// ANCHOR: callback_race
/// A callback added while the future completes runs exactly once, with the value: either
/// in the completing thread (added in time) or at once in the adding thread (too late).
/// A `result` called meanwhile returns the value once the callback is over.
#[test]
fn callback_added_while_the_future_completes_runs_exactly_once() {
    static RAN_IN_COMPLETER: Seen = Seen::new();
    model(|| {
        let (future, promise) = Future::<u32, Loom>::pending_with_runtime();
        let completer = thread::spawn(move || promise.set_result(7));
        let runs = Arc::new(AtomicUsize::new(0));
        let adder = thread::current().id();
        let ran_in_adder = Arc::new(AtomicBool::new(false));
        {
            let runs = Arc::clone(&runs);
            let ran_in_adder = Arc::clone(&ran_in_adder);
            future.add_done_callback(move |outcome| {
                assert_eq!(outcome.ok(), Some(&7));
                runs.fetch_add(1, SeqCst);
                ran_in_adder.store(thread::current().id() == adder, SeqCst);
            });
        }
        // Before the join: `result` must wait while the completer's callbacks read the
        // value (or loom reports the race on it), and be woken when they are over.
        assert_eq!(future.result().unwrap(), 7);
        completer.join().unwrap();
        assert_eq!(
            runs.load(SeqCst),
            1,
            "the callback ran {} times",
            runs.load(SeqCst)
        );
        RAN_IN_COMPLETER.record(!ran_in_adder.load(SeqCst));
    });
    assert!(
        RAN_IN_COMPLETER.both(),
        "the callback always ran in the same thread"
    );
}
// ANCHOR_END: callback_race

/// `as_completed` over two futures that two threads complete at the same time yields each
/// exactly once, in either order.
#[test]
fn as_completed_over_two_futures_completing_at_once_yields_each_once() {
    static FIRST_WAS_ONE: Seen = Seen::new();
    model3(|| {
        let (f1, p1) = Future::<u32, Loom>::pending_with_runtime();
        let (f2, p2) = Future::<u32, Loom>::pending_with_runtime();
        let t1 = thread::spawn(move || p1.set_result(1));
        let t2 = thread::spawn(move || p2.set_result(2));
        let got: Vec<u32> = as_completed([f1, f2])
            .map(|f| f.result().unwrap())
            .collect();
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(got.len(), 2, "yielded {got:?}");
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 2], "yielded {got:?}");
        FIRST_WAS_ONE.record(got[0] == 1);
    });
    assert!(
        FIRST_WAS_ONE.both(),
        "the two futures always came out in the same order"
    );
}

/// `wait(FirstCompleted)` returns once one future is done, while the other stays pending
/// (its promise is completed only after `wait` returned).
#[test]
fn wait_first_completed_returns_as_soon_as_one_is_done() {
    static WAITED: Seen = Seen::new();
    model(|| {
        let (f1, p1) = Future::<u32, Loom>::pending_with_runtime();
        let (f2, p2) = Future::<u32, Loom>::pending_with_runtime();
        let completer = thread::spawn(move || p1.set_result(1));
        let done_before = f1.done();
        let result = wait([f1, f2], ReturnWhen::FirstCompleted);
        assert_eq!(result.done.len(), 1, "{result:?}");
        assert_eq!(result.not_done.len(), 1, "{result:?}");
        p2.set_result(2);
        let mut done = result.done;
        assert_eq!(done.pop().unwrap().result().unwrap(), 1);
        completer.join().unwrap();
        WAITED.record(!done_before);
    });
    assert!(
        WAITED.both(),
        "wait never had to wait, or never found it done"
    );
}

// ANCHOR: shutdown_race
/// `shutdown(wait, cancel_futures)` races a `submit` from another thread and the worker
/// picking up the first task: every accepted future ends done (ran) or cancelled, none
/// hangs, and a refused task comes back.
#[test]
fn shutdown_racing_a_submit_and_a_worker_leaves_no_future_hanging() {
    static SECOND_ACCEPTED: Seen = Seen::new();
    static FIRST_CANCELLED: Seen = Seen::new();
    model3(|| {
        let pool = std::sync::Arc::new(Pool::with_runtime(1));
        let first = pool.submit(|| 1u32).unwrap();
        let submitter = {
            let pool = std::sync::Arc::clone(&pool);
            thread::spawn(move || match pool.submit(|| 2u32) {
                Ok(future) => Some(future.result()),
                Err(SubmitError::ShutDown(task)) => {
                    assert_eq!(task(), 2, "the refused task comes back");
                    None
                }
                Err(SubmitError::Broken(_)) => panic!("no initializer, so never broken"),
            })
        };
        pool.shutdown(true, true);
        let first = first.result();
        let second = submitter.join().unwrap();
        match &first {
            Ok(1) | Err(FutureError::Cancelled) => {}
            other => panic!("first task ended {other:?}"),
        }
        match &second {
            None | Some(Ok(2)) | Some(Err(FutureError::Cancelled)) => {}
            other => panic!("second task ended {other:?}"),
        }
        SECOND_ACCEPTED.record(second.is_some());
        FIRST_CANCELLED.record(first.is_err());
        drop(pool);
    });
    assert!(
        SECOND_ACCEPTED.both(),
        "the submit always won, or always lost"
    );
    assert!(
        FIRST_CANCELLED.both(),
        "cancel_futures always won, or always lost"
    );
}
// ANCHOR_END: shutdown_race

/// A `Promise` dropped unset wakes the thread waiting on its future, which fails with
/// `Abandoned` instead of hanging.
#[test]
fn dropped_promise_wakes_its_waiter() {
    static WAITED: Seen = Seen::new();
    model(|| {
        let (future, promise) = Future::<u32, Loom>::pending_with_runtime();
        let dropper = thread::spawn(move || drop(promise));
        let done_before = future.done();
        assert!(matches!(future.result(), Err(FutureError::Abandoned)));
        dropper.join().unwrap();
        WAITED.record(!done_before);
    });
    assert!(
        WAITED.both(),
        "result never had to wait, or never found it done"
    );
}

/// A worker that finished its task counts as idle before the task's future completes, so a
/// second task submitted after the first one's `result` runs on that worker: the pool
/// starts no second thread (CPython's idle semaphore; `test_idle_thread_reuse`).
#[test]
fn a_worker_that_finished_its_task_is_reused_not_a_second_thread() {
    // Bound 2 (`model3`): two threads only, but two full submit/result round trips through
    // the queue and two futures take about a minute at bound 3. The decision it checks is
    // made once per submit, with no preemption needed to reach it.
    model3(|| {
        let pool = Pool::with_runtime(2);
        assert_eq!(pool.submit(|| 1u32).unwrap().result().unwrap(), 1);
        assert_eq!(pool.submit(|| 2u32).unwrap().result().unwrap(), 2);
        let state = format!("{pool:?}");
        assert!(
            state.contains("threads: 1,"),
            "expected exactly one worker thread: {state}"
        );
        pool.shutdown(true, false);
    });
}
