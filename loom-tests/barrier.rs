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
//!
//! Run one model: `cargo test --features loom --test loom_barrier -- <name>`.

mod common;

use common::{model, Seen};
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
#[test]
fn abort_breaks_the_barrier_until_reset() {
    model(|| {
        let barrier = Arc::new(Barrier::<Loom>::with_runtime(2));
        let waiter = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.wait())
        };
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
