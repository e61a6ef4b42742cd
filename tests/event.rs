//! `Event` on real threads: the behaviours of CPython's `test_threading` event tests
//! (`is_set`/`set`/`clear`, `wait` with and without a timeout, every waiter released by
//! one `set`, a `set(); clear();` pulse still releasing the waiters), and a bounded stress
//! test. Timing assertions are lower bounds only.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use syncsmith::Event;

const SHORT: Duration = Duration::from_millis(50);

static_assertions::assert_impl_all!(Event: Send, Sync, Default);

#[test]
fn set_and_clear_move_the_flag() {
    let event = Event::new();
    assert!(!event.is_set());
    event.set();
    assert!(event.is_set());
    event.set(); // setting a set event changes nothing
    assert!(event.is_set());
    event.clear();
    assert!(!event.is_set());
    event.clear();
    assert!(!event.is_set());
}

#[test]
fn default_debug_and_statics() {
    static GATE: Event = Event::new();
    assert!(!Event::default().is_set());
    assert_eq!(format!("{GATE:?}"), "Event { set: false }");
    GATE.set();
    assert_eq!(format!("{GATE:?}"), "Event { set: true }");
    GATE.wait();
}

#[test]
fn wait_on_a_set_event_returns_at_once() {
    let event = Event::new();
    event.set();
    event.wait();
    assert!(event.wait_timeout(Duration::ZERO));
    assert!(event.wait_timeout(SHORT));
}

#[test]
fn wait_timeout_returns_false_after_at_least_the_timeout() {
    let event = Event::new();
    let began = Instant::now();
    assert!(!event.wait_timeout(SHORT));
    assert!(began.elapsed() >= SHORT);
    assert!(!event.wait_timeout(Duration::ZERO));
}

#[test]
fn wait_timeout_returns_true_when_set_in_time() {
    let event = Event::new();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            event.set();
        });
        assert!(event.wait_timeout(Duration::from_secs(60)));
        assert!(event.wait_timeout(Duration::MAX));
    });
}

#[test]
fn one_set_releases_every_waiter() {
    let event = Event::new();
    let released = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..5 {
            s.spawn(|| {
                event.wait();
                released.fetch_add(1, Relaxed);
            });
        }
        thread::sleep(Duration::from_millis(5));
        assert_eq!(released.load(Relaxed), 0, "nobody passes before the set");
        event.set();
    });
    assert_eq!(released.load(Relaxed), 5);
}

#[test]
fn a_set_clear_pulse_releases_the_threads_already_waiting() {
    // CPython's `test_set_and_clear`: threads that wait before the `set` return `true`
    // even though the flag was cleared again before they ran. (The sleep gives them time
    // to queue; a thread that had not queued by then would wait the full ten seconds and
    // fail the test, not hang it.)
    let event = Event::new();
    thread::scope(|s| {
        let waiters: Vec<_> = (0..3)
            .map(|_| s.spawn(|| event.wait_timeout(Duration::from_secs(10))))
            .collect();
        thread::sleep(Duration::from_millis(200));
        event.set();
        event.clear();
        for waiter in waiters {
            assert!(waiter.join().unwrap());
        }
    });
    assert!(!event.is_set());
}

#[test]
fn stress_two_threads_hand_events_back_and_forth() {
    // The bench's round trip, checked: 10 000 round trips, each observed by both sides.
    let events = Arc::new((Event::new(), Event::new()));
    const ROUNDS: usize = 10_000;
    let other = {
        let events = Arc::clone(&events);
        thread::spawn(move || {
            let (ping, pong) = &*events;
            for _ in 0..ROUNDS {
                ping.wait();
                ping.clear();
                pong.set();
            }
        })
    };
    let (ping, pong) = &*events;
    for _ in 0..ROUNDS {
        ping.set();
        pong.wait();
        pong.clear();
    }
    other.join().unwrap();
    assert!(!ping.is_set());
    assert!(!pong.is_set());
}

#[test]
fn stress_timed_waiters_racing_set_and_clear() {
    // Waiters with tiny timeouts against a thread that sets and clears: no waiter is left
    // queued (the final set returns everyone), and a `true` needs a set to have happened.
    let event = Event::new();
    let sets = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for i in 0..2_000_u64 {
                    if event.wait_timeout(Duration::from_micros(i % 30)) {
                        assert!(sets.load(Relaxed) > 0);
                    }
                }
            });
        }
        s.spawn(|| {
            for _ in 0..2_000 {
                sets.fetch_add(1, Relaxed);
                event.set();
                event.clear();
            }
        });
    });
    event.set();
    event.wait();
}
