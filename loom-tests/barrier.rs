//! Loom models of `Barrier` (`src/barrier.rs`, with the `Condition` and `Lock` under it) on
//! the `Loom` runtime.
//!
//! - Generations: two threads pass a barrier of two twice. The thread released first
//!   re-enters at once; the previous round must not release it (it waits for its partner),
//!   and the slower thread must still be released by the round it belongs to (a barrier
//!   that waits for "the count is back to zero" deadlocks here: see the bug zoo).
//! - The action runs once per round, before anyone is released.
//! - `abort`, `reset` and a timed-out `wait` break or cancel the round for every waiter,
//!   and `reset` makes the barrier usable again.
//! - Three parties: the last arrival's action publishes to both threads it releases (one
//!   `notify_all`, two waiters); two timed waiters of three parties leave together, and
//!   their leaving sets the count back so that `reset` mends the barrier; `abort` racing
//!   the end of a round never splits the round (both complete or both break).
//! - A panicking action breaks the barrier: the other waiter gets `BrokenBarrier`, the panic
//!   goes on in the thread that ran the action, and `reset` mends the barrier.
//!
//! Each race model records which side of the race an execution took ([`Seen`]) and fails
//! if loom never produced the interesting one. `n_waiting` tells exactly whether another
//! thread is inside the current round, so the models use it to record "the waiter was
//! already waiting".
//!
//! What these models cannot see: more than two rounds, or more than three parties (each
//! costs a factor loom cannot afford); a waiter that was preempted between being counted
//! and queueing itself looks the same to `n_waiting` as one that sleeps.
//!
//! Run one model: `cargo test --features loom --test loom_barrier -- <name>`.

mod common;

use common::{model, model3, Seen};
use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use syncsmith::runtime::Loom;
use syncsmith::{Barrier, BrokenBarrier};

/// Two parties, two rounds each, with an action that counts rounds. In each round the
/// two arrival indices are 0 and 1, the action has run for that round before either
/// thread returns, and neither thread is released by a round it did not complete.
#[test]
fn a_fast_thread_is_not_released_by_the_previous_round() {
    model(|| {
        let rounds = Arc::new(AtomicUsize::new(0));
        let barrier = {
            let rounds = rounds.clone();
            Arc::new(Barrier::<Loom>::with_runtime_and_action(2, move || {
                rounds.fetch_add(1, Relaxed);
            }))
        };
        let run = {
            let rounds = rounds.clone();
            move |barrier: &Barrier<Loom>| -> [usize; 2] {
                let mut indices = [0; 2];
                for (round, index) in indices.iter_mut().enumerate() {
                    *index = barrier.wait().unwrap();
                    // The action for this round ran before we were released; the next
                    // round's cannot have run yet, as we have not arrived there.
                    assert_eq!(rounds.load(Relaxed), round + 1);
                }
                indices
            }
        };
        let other = {
            let (barrier, run) = (barrier.clone(), run.clone());
            thread::spawn(move || run(&barrier))
        };
        let mine = run(&barrier);
        let theirs = other.join().unwrap();
        for round in 0..2 {
            let mut pair = [mine[round], theirs[round]];
            pair.sort_unstable();
            assert_eq!(pair, [0, 1], "round {round}");
        }
        assert_eq!(rounds.load(Relaxed), 2);
        assert_eq!(barrier.n_waiting(), 0);
    });
}

/// `abort` while a thread waits or is about to: that thread gets `BrokenBarrier`, the
/// barrier reports broken until `reset`, and then works again.
/// Both sides happen: the waiter is already in the round when `abort` comes, or arrives
/// at a broken barrier.
#[test]
fn abort_breaks_the_barrier_until_reset() {
    static WAITER_WAS_IN: Seen = Seen::new();
    model(|| {
        let barrier = Arc::new(Barrier::<Loom>::with_runtime(2));
        let started = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let waiter = {
            let (barrier, started) = (barrier.clone(), started.clone());
            thread::spawn(move || {
                started.store(true, Relaxed);
                barrier.wait()
            })
        };
        // loom switches threads only where accesses conflict, and (as seen here) a load in
        // `n_waiting` alone did not give the waiter a turn before it; this load of a flag
        // the waiter sets does.
        let _ = started.load(Relaxed);
        WAITER_WAS_IN.record(barrier.n_waiting() == 1);
        barrier.abort();
        assert_eq!(waiter.join().unwrap(), Err(BrokenBarrier));
        assert!(barrier.broken());
        assert_eq!(barrier.wait(), Err(BrokenBarrier));
        barrier.reset();
        assert!(!barrier.broken());
        assert_eq!(barrier.n_waiting(), 0);
        // Mended: a full round works again.
        let partner = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.wait())
        };
        let mine = barrier.wait().unwrap();
        assert_eq!(mine + partner.join().unwrap().unwrap(), 1);
    });
    assert!(WAITER_WAS_IN.both(), "loom should explore both sides");
}

/// `reset` racing a thread's arrival. If the thread was waiting, its round is cancelled
/// (it gets `BrokenBarrier`) and it tries again; the main thread's `wait` after the reset
/// must then meet it in a fresh round, never mixing with the cancelled one (if the main
/// thread arrives while the cancelled round is still being left, it waits for that).
#[test]
fn reset_cancels_the_round_and_the_next_one_works() {
    static CANCELLED: Seen = Seen::new();
    model(|| {
        let barrier = Arc::new(Barrier::<Loom>::with_runtime(2));
        let other = {
            let barrier = barrier.clone();
            thread::spawn(move || {
                let mut cancelled = false;
                loop {
                    match barrier.wait() {
                        Ok(index) => return (index, cancelled),
                        Err(BrokenBarrier) => cancelled = true,
                    }
                }
            })
        };
        barrier.reset();
        let mine = barrier.wait().unwrap();
        let (theirs, cancelled) = other.join().unwrap();
        CANCELLED.record(cancelled);
        assert_eq!(mine + theirs, 1, "indices {mine} and {theirs}");
        assert!(!barrier.broken());
        assert_eq!(barrier.n_waiting(), 0);
    });
    assert!(CANCELLED.both(), "loom should explore both orders");
}

/// A timed `wait` racing its partner's arrival: either the round completes (both get an
/// index) or the timeout breaks the barrier (both get `BrokenBarrier`, whether the partner
/// was already waiting or arrives later). Never one of each.
#[test]
fn a_timeout_breaks_the_barrier_for_everyone() {
    static COMPLETED: Seen = Seen::new();
    model(|| {
        let barrier = Arc::new(Barrier::<Loom>::with_runtime(2));
        let other = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.wait())
        };
        let mine = barrier.wait_timeout(Duration::from_secs(1));
        let theirs = other.join().unwrap();
        assert_eq!(
            mine.is_ok(),
            theirs.is_ok(),
            "mine {mine:?}, theirs {theirs:?}"
        );
        if let (Ok(mine), Ok(theirs)) = (mine, theirs) {
            assert_eq!(mine + theirs, 1);
        } else {
            assert!(barrier.broken());
        }
        COMPLETED.record(mine.is_ok());
    });
    assert!(COMPLETED.both(), "loom should explore both outcomes");
}

/// A cell the barrier action writes and the released parties read. The action must be
/// `Sync`, and a loom `UnsafeCell` is not.
struct ActionCell(UnsafeCell<u32>);

// SAFETY: every access goes through loom's `UnsafeCell`, which checks that the accesses are
// ordered by happens-before and fails the model (a "Causality violation") if two are not;
// the model exists to show that the barrier orders them.
unsafe impl Sync for ActionCell {}

/// Three parties, one round, with an action that writes a cell. The two threads released by
/// the last arrival (one `notify_all`, two queued waiters) both return, with indices
/// 0, 1 and 2 among the three, and both see what the action wrote: it ran under the lock
/// before the release, so the lock orders it before their return. A barrier that wakes
/// only one waiter leaves the other asleep ("deadlock").
#[test]
fn three_parties_all_leave_and_see_the_action() {
    static TWO_WERE_WAITING: Seen = Seen::new();
    model3(|| {
        let written = Arc::new(ActionCell(UnsafeCell::new(0)));
        let barrier = {
            let written = written.clone();
            Arc::new(Barrier::<Loom>::with_runtime_and_action(3, move || {
                // SAFETY: the action runs once, under the barrier's lock, before anyone
                // reads; loom reports a read not ordered after it.
                written.0.with_mut(|w| unsafe { *w += 1 });
            }))
        };
        // Raised by each party before it waits; loaded below so that loom gives the others a
        // turn before the main thread looks at `n_waiting` (see `abort_breaks_...`).
        let started = Arc::new(AtomicUsize::new(0));
        let party = {
            let (barrier, written, started) = (barrier.clone(), written.clone(), started.clone());
            move || {
                started.fetch_add(1, Relaxed);
                let index = barrier.wait().unwrap();
                // SAFETY: read after the round completed.
                assert_eq!(
                    written.0.with(|w| unsafe { *w }),
                    1,
                    "the action's write is unseen"
                );
                index
            }
        };
        let others: Vec<_> = (0..2).map(|_| thread::spawn(party.clone())).collect();
        let _ = started.load(Relaxed);
        TWO_WERE_WAITING.record(barrier.n_waiting() == 2);
        let mut indices = vec![party()];
        for other in others {
            indices.push(other.join().unwrap());
        }
        indices.sort_unstable();
        assert_eq!(indices, [0, 1, 2]);
        assert_eq!(barrier.n_waiting(), 0);
    });
    assert!(TWO_WERE_WAITING.both(), "loom should explore both sides");
}

/// Three parties: two threads call `wait_timeout`, the main thread `wait`. Under `Loom` a
/// timed wait that nobody wakes times out, so some executions break the round (both timed
/// waiters cancelled, one of them breaking it) and others complete it. Never a mix: every
/// party completes or every party gets `BrokenBarrier`. Each cancelled waiter takes itself
/// out of the count; a count left above zero would make the `reset` below wait forever for
/// a waiter that is gone ("deadlock" in the probe after it).
#[test]
fn several_timed_out_waiters_of_three_parties_break_it_together() {
    static COMPLETED: Seen = Seen::new();
    model3(|| {
        let barrier = Arc::new(Barrier::<Loom>::with_runtime(3));
        let timed: Vec<_> = (0..2)
            .map(|_| {
                let barrier = barrier.clone();
                thread::spawn(move || barrier.wait_timeout(Duration::from_secs(1)))
            })
            .collect();
        let mine = barrier.wait();
        let theirs: Vec<_> = timed.into_iter().map(|t| t.join().unwrap()).collect();
        let completed = mine.is_ok();
        COMPLETED.record(completed);
        for result in &theirs {
            assert_eq!(
                result.is_ok(),
                completed,
                "a split round: mine {mine:?}, theirs {theirs:?}"
            );
        }
        assert_eq!(barrier.broken(), !completed);
        barrier.reset();
        assert!(!barrier.broken());
        // The count is back to zero: a lone arrival joins a fresh round (not a cancelled
        // one still draining), and its timeout breaks it.
        assert_eq!(
            barrier.wait_timeout(Duration::from_secs(1)),
            Err(BrokenBarrier)
        );
        assert!(barrier.broken());
    });
    assert!(COMPLETED.both(), "loom should explore both outcomes");
}

/// `abort` on a third thread racing the end of a round of two. The round either completes
/// (both parties get an index, even when `abort` lands after the completion but before the
/// waiter got the lock back: it must trust its generation, not the phase) or is broken
/// (both get `BrokenBarrier`). Never one of each; the barrier ends broken either way.
#[test]
fn abort_racing_the_end_of_a_round_never_splits_it() {
    static COMPLETED: Seen = Seen::new();
    model3(|| {
        let barrier = Arc::new(Barrier::<Loom>::with_runtime(2));
        let parties: Vec<_> = (0..2)
            .map(|_| {
                let barrier = barrier.clone();
                thread::spawn(move || barrier.wait())
            })
            .collect();
        barrier.abort();
        let results: Vec<_> = parties.into_iter().map(|p| p.join().unwrap()).collect();
        assert_eq!(
            results[0].is_ok(),
            results[1].is_ok(),
            "a split round: {results:?}"
        );
        if let (Ok(a), Ok(b)) = (results[0], results[1]) {
            assert_eq!(a + b, 1);
        }
        COMPLETED.record(results[0].is_ok());
        assert!(barrier.broken());
    });
    assert!(COMPLETED.both(), "loom should explore both outcomes");
}

/// The panic message of the action in `a_panicking_action_breaks_the_barrier`.
const ACTION_PANIC: &str = "the barrier action panicked";

/// Keeps the expected panic of the action out of the test output (loom runs the model
/// hundreds of times); every other panic is printed as usual.
fn silence_the_action_panic() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&ACTION_PANIC) {
                previous(info);
            }
        }));
    });
}

/// Two parties, an action that panics in the first round. Whichever thread arrives last
/// runs it: that thread's `wait` panics with the action's panic (it goes on unwinding),
/// the other gets `BrokenBarrier`, and the barrier reports broken. Each thread ran the
/// action in some execution. After `reset` a full round works again (the action no longer
/// panics), which needs the count of the broken round back at zero.
#[test]
fn a_panicking_action_breaks_the_barrier() {
    static MAIN_RAN_IT: Seen = Seen::new();
    silence_the_action_panic();
    model(|| {
        let panicked_once = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let barrier = {
            let panicked_once = panicked_once.clone();
            Arc::new(Barrier::<Loom>::with_runtime_and_action(2, move || {
                if !panicked_once.swap(true, Relaxed) {
                    std::panic::panic_any(ACTION_PANIC);
                }
            }))
        };
        let wait_catching = |barrier: &Barrier<Loom>| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| barrier.wait()))
        };
        let other = {
            let barrier = barrier.clone();
            thread::spawn(move || match wait_catching(&barrier) {
                Ok(result) => Ok(result),
                Err(panic) => Err(panic.downcast_ref::<&str>().copied()),
            })
        };
        let mine = wait_catching(&barrier);
        let theirs = other.join().unwrap();
        let main_ran_it = mine.is_err();
        MAIN_RAN_IT.record(main_ran_it);
        match (mine, theirs) {
            (Err(panic), Ok(result)) => {
                assert_eq!(panic.downcast_ref::<&str>(), Some(&ACTION_PANIC));
                assert_eq!(result, Err(BrokenBarrier));
            }
            (Ok(result), Err(panic)) => {
                assert_eq!(panic, Some(ACTION_PANIC));
                assert_eq!(result, Err(BrokenBarrier));
            }
            (mine, theirs) => panic!(
                "exactly one thread should unwind with the action's panic: mine {:?}, theirs {:?}",
                mine.map_err(|_| "a panic"),
                theirs
            ),
        }
        assert!(barrier.broken());
        barrier.reset();
        let partner = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.wait())
        };
        let mine = barrier.wait().expect("a mended barrier completes a round");
        assert_eq!(mine + partner.join().unwrap().unwrap(), 1);
    });
    assert!(
        MAIN_RAN_IT.both(),
        "loom should let each thread run the action"
    );
}
