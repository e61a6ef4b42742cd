//! Loom models of `Event` (`src/event.rs`, with the `Condition` and `Lock` under it) on the
//! `Loom` runtime.
//!
//! - `set` releases every waiter, and what the setter wrote before `set` is visible to a
//!   thread that returns from `wait`, whether it slept (the lock orders them) or took the
//!   fast path (the flag's Release/Acquire pair does). A loom `UnsafeCell` reports a
//!   missing order as a "Causality violation"; a waiter left asleep is a "deadlock".
//! - A third thread that only asks `is_set` (the fast path, no lock) while another thread
//!   sleeps on the slow path: seeing the flag up must show it the setter's data.
//! - `wait_timeout` racing `set` returns `true` exactly when it saw or was woken by the set.
//! - A quick `set(); clear();` with a waiter racing it leaves nothing behind; `clear`
//!   racing `wait` is consistent.
//!
//! Each race model records which side of the race an execution took ([`Seen`]) and fails
//! if loom never produced the interesting one. The public API cannot say whether a `wait`
//! slept; where a model needs "the waiter looked before the set", it records what the
//! waiter saw in `is_set` just before calling `wait` (down means it raced the set).
//!
//! What these models cannot see: a dead waiter left in the condition's FIFO is invisible
//! through `Event` (`set` wakes every queued lock with `notify_all`, so a stale entry costs
//! nothing observable); the closing checks instead make one more `wait` go through the slow
//! path (flag down, queue, time out, leave), which fails if the race left the lock held or
//! the flag in a wrong state.
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

/// After a race, the flag is down: one more timed `wait` must take the slow path (the
/// flag is down, so the fast path cannot answer), find the lock free, queue, time out with
/// no `set` to wake it, and leave. A lock left held deadlocks here; a flag left up returns
/// `true`.
fn a_slow_wait_now_times_out(event: &Event<Loom>) {
    assert!(!event.is_set(), "the flag should be down before the probe");
    assert!(
        !event.wait_timeout(Duration::from_secs(1)),
        "a wait on a cleared event returned true with nobody setting it"
    );
}

/// A waiter and a setter: the waiter returns, and sees the data written before `set`
/// (through the fast path when the flag is already up, or woken from the slow path).
/// Both sides happen: the waiter finds the flag down when it looks (it races the set) in
/// some executions, up in others.
#[test]
fn set_releases_a_waiter_and_publishes_what_came_before() {
    static LOOKED_BEFORE_SET: Seen = Seen::new();
    model(|| {
        let shared = Announcement::new();
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let early = !shared.event.is_set();
                shared.event.wait();
                assert_eq!(shared.read(), 42, "the waiter missed the setter's data");
                early
            })
        };
        shared.publish();
        LOOKED_BEFORE_SET.record(waiter.join().unwrap());
        assert!(shared.event.is_set());
        shared.event.clear();
        a_slow_wait_now_times_out(&shared.event);
    });
    assert!(
        LOOKED_BEFORE_SET.both(),
        "loom should run the waiter both before and after the set"
    );
}

/// Two waiters, one `set`: `notify_all` inside `set` releases both, and both see the data.
#[test]
fn set_releases_every_waiter() {
    static A_WAITER_LOOKED_FIRST: Seen = Seen::new();
    model3(|| {
        let shared = Announcement::new();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let early = !shared.event.is_set();
                    shared.event.wait();
                    assert_eq!(shared.read(), 42, "a waiter missed the setter's data");
                    early
                })
            })
            .collect();
        shared.publish();
        let mut both_early = true;
        for waiter in waiters {
            both_early &= waiter.join().unwrap();
        }
        A_WAITER_LOOKED_FIRST.record(both_early);
    });
    assert!(
        A_WAITER_LOOKED_FIRST.both(),
        "loom should run both waiters before the set in some execution"
    );
}

/// Three threads: the setter publishes, a waiter blocks in `wait` (the slow path, through
/// the lock), and a third thread only asks `is_set` (the fast path: one Acquire load, no
/// lock). When the third thread sees the flag up, the setter's data must be visible to it
/// with no lock in between: only the flag's Release store and the Acquire load order them.
/// Both answers happen.
#[test]
fn is_set_fast_path_seen_by_a_third_thread() {
    static THIRD_SAW_IT_SET: Seen = Seen::new();
    model3(|| {
        let shared = Announcement::new();
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.event.wait();
                assert_eq!(shared.read(), 42, "the waiter missed the setter's data");
            })
        };
        let onlooker = {
            let shared = shared.clone();
            thread::spawn(move || {
                let seen = shared.event.is_set();
                if seen {
                    assert_eq!(shared.read(), 42, "is_set was true, but the data is stale");
                }
                seen
            })
        };
        shared.publish();
        waiter.join().unwrap();
        THIRD_SAW_IT_SET.record(onlooker.join().unwrap());
    });
    assert!(
        THIRD_SAW_IT_SET.both(),
        "loom should run the onlooker both before and after the set"
    );
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
        // The flag stays up after the waiter left, whichever way it left.
        assert!(shared.event.is_set());
        shared.event.clear();
        a_slow_wait_now_times_out(&shared.event);
    });
    assert!(WAS_SET.both(), "loom should explore both outcomes");
}

/// `set(); clear();` racing a timed waiter. Whatever the waiter reports, the flag ends
/// down and the slow path still works afterwards; both reports happen (a waiter that
/// looked between the set and the clear, or was queued when `set` notified, says `true`;
/// one that looked after the clear and timed out says `false`).
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
        a_slow_wait_now_times_out(event);
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
        a_slow_wait_now_times_out(&event);
    });
    assert!(SAW_IT.both(), "loom should explore both outcomes");
}
