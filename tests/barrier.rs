//! `Barrier` on real threads: the behaviours of CPython's `test_threading` barrier tests
//! (arrival indices, many rounds, the action, `abort`, `reset`, timeouts breaking the
//! barrier, a failing action), the zero-parties panic, and bounded stress tests. Timing
//! assertions are lower bounds only.

mod common;

use common::panic_message;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use syncsmith::{Barrier, BrokenBarrier};

const SHORT: Duration = Duration::from_millis(50);

static_assertions::assert_impl_all!(Barrier: Send, Sync);

/// Waits until `n` threads wait at `barrier`.
fn until_waiting(barrier: &Barrier, n: usize) {
    while barrier.n_waiting() < n {
        thread::yield_now();
    }
}

#[test]
fn zero_parties_panics_with_pythons_message() {
    let err = panic::catch_unwind(|| Barrier::new(0)).unwrap_err();
    assert_eq!(panic_message(err), "parties must be > 0");
    let err = panic::catch_unwind(|| Barrier::with_action(0, || {})).unwrap_err();
    assert_eq!(panic_message(err), "parties must be > 0");
}

#[test]
fn a_barrier_of_one_never_waits() {
    let barrier = Barrier::new(1);
    for _ in 0..3 {
        assert_eq!(barrier.wait(), Ok(0));
    }
    assert_eq!(barrier.parties(), 1);
}

#[test]
fn properties_and_debug() {
    let barrier = Barrier::new(3);
    assert_eq!(barrier.parties(), 3);
    assert_eq!(barrier.n_waiting(), 0);
    assert!(!barrier.broken());
    thread::scope(|s| {
        let waiter = s.spawn(|| barrier.wait());
        until_waiting(&barrier, 1);
        assert_eq!(
            format!("{barrier:?}"),
            "Barrier { parties: 3, n_waiting: 1, broken: false }"
        );
        barrier.abort();
        assert_eq!(waiter.join().unwrap(), Err(BrokenBarrier));
    });
    assert_eq!(
        format!("{barrier:?}"),
        "Barrier { parties: 3, n_waiting: 0, broken: true }"
    );
    assert_eq!(BrokenBarrier.to_string(), "barrier is broken");
}

#[test]
fn each_round_hands_out_every_arrival_index_once() {
    // CPython's `test_barrier`: several threads, several rounds; in each round the indices
    // are 0..parties, and nobody starts round k+1 before everyone finished round k.
    const PARTIES: usize = 4;
    const ROUNDS: usize = 50;
    let barrier = Barrier::new(PARTIES);
    let indices = Mutex::new(vec![Vec::new(); ROUNDS]);
    let finished = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..PARTIES {
            s.spawn(|| {
                for round in 0..ROUNDS {
                    // Everyone finished the previous round before anyone passes this one.
                    let index = barrier.wait().unwrap();
                    assert!(finished.load(Relaxed) >= round * PARTIES);
                    indices.lock().unwrap()[round].push(index);
                    finished.fetch_add(1, Relaxed);
                    barrier.wait().unwrap();
                }
            });
        }
    });
    for (round, mut seen) in indices.into_inner().unwrap().into_iter().enumerate() {
        seen.sort_unstable();
        assert_eq!(seen, (0..PARTIES).collect::<Vec<_>>(), "round {round}");
    }
}

#[test]
fn the_action_runs_once_per_round_before_anyone_is_released() {
    const PARTIES: usize = 3;
    let rounds = Arc::new(AtomicUsize::new(0));
    let barrier = {
        let rounds = Arc::clone(&rounds);
        Barrier::with_action(PARTIES, move || {
            rounds.fetch_add(1, Relaxed);
        })
    };
    thread::scope(|s| {
        for _ in 0..PARTIES {
            s.spawn(|| {
                // Two rounds per iteration: the second keeps the first's check apart from
                // the next iteration's action.
                for iteration in 1..=20 {
                    barrier.wait().unwrap();
                    assert_eq!(rounds.load(Relaxed), 2 * iteration - 1);
                    barrier.wait().unwrap();
                }
            });
        }
    });
    assert_eq!(rounds.load(Relaxed), 40);
}

#[test]
fn a_panicking_action_breaks_the_barrier_and_the_panic_goes_on() {
    let barrier = Barrier::with_action(2, || panic!("the action failed"));
    thread::scope(|s| {
        let first = s.spawn(|| barrier.wait());
        until_waiting(&barrier, 1);
        // This thread arrives last and runs the action.
        let err = panic::catch_unwind(AssertUnwindSafe(|| barrier.wait())).unwrap_err();
        assert_eq!(panic_message(err), "the action failed");
        assert_eq!(first.join().unwrap(), Err(BrokenBarrier));
    });
    assert!(barrier.broken());
    assert_eq!(barrier.wait(), Err(BrokenBarrier));
}

#[test]
fn abort_breaks_the_barrier_for_waiters_and_later_arrivals_until_reset() {
    let barrier = Barrier::new(3);
    thread::scope(|s| {
        let waiters: Vec<_> = (0..2).map(|_| s.spawn(|| barrier.wait())).collect();
        until_waiting(&barrier, 2);
        barrier.abort();
        for waiter in waiters {
            assert_eq!(waiter.join().unwrap(), Err(BrokenBarrier));
        }
    });
    assert!(barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    assert_eq!(barrier.wait(), Err(BrokenBarrier));
    assert_eq!(barrier.wait_timeout(SHORT), Err(BrokenBarrier));

    barrier.reset();
    assert!(!barrier.broken());
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| barrier.wait().unwrap());
        }
        barrier.wait().unwrap();
    });
}

#[test]
fn reset_sends_the_current_waiters_away_and_the_barrier_works_again() {
    let barrier = Barrier::new(3);
    thread::scope(|s| {
        let waiters: Vec<_> = (0..2).map(|_| s.spawn(|| barrier.wait())).collect();
        until_waiting(&barrier, 2);
        barrier.reset();
        for waiter in waiters {
            assert_eq!(waiter.join().unwrap(), Err(BrokenBarrier));
        }
    });
    assert!(!barrier.broken(), "a reset barrier is not broken");
    let indices = Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let index = barrier.wait().unwrap();
                indices.lock().unwrap().push(index);
            });
        }
    });
    let mut indices = indices.into_inner().unwrap();
    indices.sort_unstable();
    assert_eq!(indices, [0, 1, 2]);
}

#[test]
fn a_timed_out_wait_breaks_the_barrier_for_everyone() {
    let barrier = Barrier::new(3);
    thread::scope(|s| {
        let patient = s.spawn(|| barrier.wait());
        until_waiting(&barrier, 1);
        let began = Instant::now();
        assert_eq!(barrier.wait_timeout(SHORT), Err(BrokenBarrier));
        assert!(began.elapsed() >= SHORT);
        assert_eq!(patient.join().unwrap(), Err(BrokenBarrier));
    });
    assert!(barrier.broken());
    assert_eq!(barrier.wait_timeout(Duration::ZERO), Err(BrokenBarrier));
}

#[test]
fn a_zero_timeout_breaks_at_once_and_a_huge_one_waits_for_the_round() {
    let barrier = Barrier::new(2);
    assert_eq!(barrier.wait_timeout(Duration::ZERO), Err(BrokenBarrier));
    barrier.reset();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            barrier.wait().unwrap();
        });
        assert!(barrier.wait_timeout(Duration::MAX).is_ok());
    });
}

#[test]
fn a_round_that_completes_before_the_timeout_succeeds() {
    let barrier = Barrier::new(2);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            barrier.wait().unwrap();
        });
        assert!(barrier.wait_timeout(Duration::from_secs(60)).is_ok());
    });
    assert!(!barrier.broken());
}

#[test]
fn stress_fast_threads_reenter_without_being_released_early() {
    // No pause between rounds: a thread released first is back at the barrier at once.
    // Each thread counts its passes; a thread released by the wrong round would run ahead
    // and see its partners lag by more than one round.
    const PARTIES: usize = 3;
    const ROUNDS: usize = 2_000;
    let barrier = Barrier::new(PARTIES);
    let passes: Vec<AtomicUsize> = (0..PARTIES).map(|_| AtomicUsize::new(0)).collect();
    thread::scope(|s| {
        for me in 0..PARTIES {
            let (barrier, passes) = (&barrier, &passes);
            s.spawn(move || {
                for round in 1..=ROUNDS {
                    barrier.wait().unwrap();
                    passes[me].store(round, Relaxed);
                    for other in passes {
                        // Everyone has at least arrived at this round.
                        assert!(other.load(Relaxed) + 1 >= round);
                    }
                }
            });
        }
    });
}

#[test]
fn stress_timeouts_and_resets_leave_a_working_barrier() {
    // Threads with short timeouts that reset after a break; whatever happened, the
    // barrier works afterwards.
    let barrier = Barrier::new(3);
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for i in 0..300_u64 {
                    if barrier
                        .wait_timeout(Duration::from_micros(50 + i % 200))
                        .is_err()
                    {
                        barrier.reset();
                    }
                }
            });
        }
    });
    barrier.reset();
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0, "reset left nobody waiting");
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| barrier.wait().unwrap());
        }
        barrier.wait().unwrap();
    });
    assert!(!barrier.broken(), "a full round leaves the barrier whole");
}
