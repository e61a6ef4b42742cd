//! Loom models of `Event` (`src/event.rs`, with the `Condition` and `Lock` under it) on the
//! `Loom` runtime.
//!
//! - `set` releases every waiter, and what the setter wrote before `set` is visible to a
//!   thread that returns from `wait`, whether it slept (the lock orders them) or took the
//!   fast path (the flag's Release/Acquire pair does). A loom `UnsafeCell` reports a
//!   missing order as a "Causality violation"; a waiter left asleep is a "deadlock".
//! - `wait_timeout` racing `set` returns `true` exactly when it saw or was woken by the set.
//! - A quick `set(); clear();` with a waiter racing it leaves nothing behind; `clear`
//!   racing `wait` is consistent.
//!
//! Run one model: `cargo test --features loom --test loom_event -- <name>`.

mod common;

use common::{model, model3, Seen};
use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use syncsmith::runtime::Loom;
use syncsmith::Event;

/// An event, the data it announces, and a flag the waiter raises when it starts (see
/// `wait_timeout_racing_set_is_true_exactly_when_set`).
struct Announcement {
    event: Event<Loom>,
    data: UnsafeCell<u32>,
    started: AtomicBool,
}

impl Announcement {
    fn new() -> Arc<Self> {
        Arc::new(Announcement {
            event: Event::with_runtime(),
            data: UnsafeCell::new(0),
            started: AtomicBool::new(false),
        })
    }

    /// The setter: write the data, then set.
    fn publish(&self) {
        // SAFETY: nobody reads before `set`; loom reports a read that is not ordered after
        // this write.
        self.data.with_mut(|d| unsafe { *d = 42 });
        self.event.set();
    }

    /// The data, read by a thread that saw the event set.
    fn read(&self) -> u32 {
        // SAFETY: only after the event was seen set (loom checks the order).
        self.data.with(|d| unsafe { *d })
    }
}

/// A waiter and a setter: the waiter returns, and sees the data written before `set`
/// (through the fast path when the flag is already up, or woken from the slow path).
#[test]
fn set_releases_a_waiter_and_publishes_what_came_before() {
    model(|| {
        let shared = Announcement::new();
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.event.wait();
                assert_eq!(shared.read(), 42);
            })
        };
        shared.publish();
        waiter.join().unwrap();
        assert!(shared.event.is_set());
    });
}

/// Two waiters, one `set`: `notify_all` inside `set` releases both.
#[test]
fn set_releases_every_waiter() {
    model3(|| {
        let event = Arc::new(Event::<Loom>::with_runtime());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let event = event.clone();
                thread::spawn(move || event.wait())
            })
            .collect();
        event.set();
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
}

/// A timed wait racing `set`: `true` means the data is visible; `false` means the wait
/// timed out before the set (the flag was down when it looked, and no set woke it).
/// Both outcomes happen.
#[test]
fn wait_timeout_racing_set_is_true_exactly_when_set() {
    static WAS_SET: Seen = Seen::new();
    model(|| {
        let shared = Announcement::new();
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.started.store(true, Relaxed);
                let was_set = shared.event.wait_timeout(Duration::from_secs(1));
                if was_set {
                    assert_eq!(shared.read(), 42);
                }
                was_set
            })
        };
        // loom switches threads only where accesses conflict: this load of the waiter's
        // flag lets the waiter run (and time out) before `set` starts.
        let _ = shared.started.load(Relaxed);
        shared.publish();
        let was_set = waiter.join().unwrap();
        WAS_SET.record(was_set);
        // A timed-out waiter left nothing queued, and the flag stays up.
        assert!(shared.event.wait_timeout(Duration::from_secs(1)));
    });
    assert!(WAS_SET.both(), "loom should explore both outcomes");
}

/// `set(); clear();` racing a timed waiter. Whatever the waiter reports, the flag ends
/// down, nothing is left queued (the next `set` and `wait` work at once), and a `true`
/// means the set had happened.
#[test]
fn a_set_clear_pulse_racing_a_waiter_leaves_nothing_behind() {
    static WOKEN: Seen = Seen::new();
    model(|| {
        let shared = Arc::new((Event::<Loom>::with_runtime(), AtomicBool::new(false)));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (event, started) = &*shared;
                started.store(true, Relaxed);
                event.wait_timeout(Duration::from_secs(1))
            })
        };
        let (event, started) = &*shared;
        let _ = started.load(Relaxed);
        event.set();
        event.clear();
        let woken = waiter.join().unwrap();
        WOKEN.record(woken);
        assert!(!event.is_set());
        assert!(!event.wait_timeout(Duration::ZERO));
        event.set();
        event.wait();
    });
    assert!(WOKEN.both(), "loom should explore both outcomes");
}

/// `clear` racing `wait_timeout` on a set event: the waiter either saw the flag up
/// (`true`) or saw it down and timed out (`false`); the flag ends down either way.
#[test]
fn clear_racing_wait_is_consistent() {
    static SAW_IT: Seen = Seen::new();
    model(|| {
        let event = Arc::new(Event::<Loom>::with_runtime());
        event.set();
        let waiter = {
            let event = event.clone();
            thread::spawn(move || event.wait_timeout(Duration::from_secs(1)))
        };
        event.clear();
        SAW_IT.record(waiter.join().unwrap());
        assert!(!event.is_set());
    });
    assert!(SAW_IT.both(), "loom should explore both outcomes");
}
