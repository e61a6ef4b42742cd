//! Loom models of `Condition`: the shipped `src/condition.rs` (and the `Lock`/`RLock`
//! under it) on the `Loom` runtime.
//!
//! What they check, each in every interleaving within the preemption bound
//! (`common::model`, overridable with `LOOM_MAX_PREEMPTIONS`):
//! - a notify that follows a waiter's check of its predicate is never lost (a lost
//!   wake-up shows up as loom's "deadlock");
//! - `notify(1)` wakes exactly one of two waiters, `notify_all` every one;
//! - `wait` over an `RLock` held twice releases it completely and restores both levels;
//! - a timed waiter that a notify picks at the moment its time runs out reports `true`,
//!   so the notifier's count of woken threads stays right (CPython loses that notify;
//!   `timed_waiter_racing_notify_loses_no_notification` would deadlock if we did);
//! - a notifier that holds the lock across a timed waiter's deadline still finds it in
//!   the FIFO, because a waiter leaves the FIFO only once it has the lock back (issue 14;
//!   `a_notifier_holding_the_lock_across_the_deadline_still_wakes_the_waiter` and
//!   `notify_all_against_a_timed_waiter_leaving_wakes_everyone_inside`);
//! - data written under the lock before a notify is visible to the woken waiter (a loom
//!   `UnsafeCell` reports a missing happens-before as a "Causality violation");
//! - `wait`/`notify` without the lock are `NotOwned`, and leave nobody queued.
//!
//! "Nobody queued" is checked with `Condition::waiter_count` (`#[doc(hidden)]`), exact
//! while the caller holds the lock. Every model of a race records which side each
//! execution took (`common::Seen`) and fails if loom never reached the interesting one.
//!
//! Threads that must wait until another is queued poll a flag that the waiter sets under
//! the lock just before it waits: since `wait` queues the waiter before it releases the
//! lock, a thread that sees the flag under the lock knows the waiter is queued.
//!
//! Run one model: `cargo test --features loom --test loom_condition -- <name>`.

mod common;

use common::{model, model3, Seen};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use syncsmith::runtime::Loom;
use syncsmith::{Condition, ConditionLock, Lock, RLock};

/// A shared lock handle, so that two conditions can share one lock.
type Shared = std::sync::Arc<Lock<Loom>>;

/// The condition under test, plus a second condition over the same lock on which the main
/// thread waits until the waiters are queued. (Blocking there instead of polling keeps the
/// number of interleavings loom must explore small.)
struct Stage {
    cond: Condition<Shared>,
    arrivals: Condition<Shared>,
    queued: AtomicUsize,
}

impl Stage {
    fn new() -> Arc<Stage> {
        let lock = Shared::new(Lock::with_runtime());
        Arc::new(Stage {
            cond: Condition::with_lock(lock.clone()),
            arrivals: Condition::with_lock(lock),
            queued: AtomicUsize::new(0),
        })
    }

    /// A waiter, holding the lock, about to wait on `cond`: tell the main thread.
    fn announce(&self) {
        self.queued.fetch_add(1, Relaxed);
        self.arrivals.notify_one().unwrap();
    }

    /// Returns with the lock held once `n` waiters are queued on `cond`.
    fn lock_when_queued(&self, n: usize) {
        self.cond.acquire();
        self.arrivals
            .wait_for(|| self.queued.load(Relaxed) == n)
            .unwrap();
    }
}

/// Returns with the condition's lock held once `ready()` is true, polling (and letting the
/// other threads run) in between. For the two-thread models, where polling is cheap.
fn lock_when<L: ConditionLock>(cond: &Condition<L>, mut ready: impl FnMut() -> bool) {
    loop {
        cond.acquire();
        if ready() {
            return;
        }
        cond.release().unwrap();
        thread::yield_now();
    }
}

/// The basic promise: a waiter checks its predicate under the lock, then waits; the
/// notifier changes the state under the lock, then notifies. Whatever the order, the
/// waiter returns: the notify either comes before the check (the waiter sees the flag)
/// or after the waiter is queued (it is woken). The data written before the notify is
/// visible after the wait.
#[test]
fn notify_is_never_lost_by_a_predicate_waiter() {
    static WAITED: Seen = Seen::new();
    model(|| {
        let shared = Arc::new((
            Condition::with_lock(Lock::<Loom>::with_runtime()),
            AtomicBool::new(false),
            UnsafeCell::new(0_u32),
        ));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (cond, flag, data) = &*shared;
                cond.acquire();
                WAITED.record(!flag.load(Relaxed));
                cond.wait_for(|| flag.load(Relaxed)).unwrap();
                // SAFETY: under the lock; loom reports an unordered access.
                assert_eq!(data.with(|d| unsafe { *d }), 42);
                cond.release().unwrap();
            })
        };
        let (cond, flag, data) = &*shared;
        cond.acquire();
        // SAFETY: under the lock.
        data.with_mut(|d| unsafe { *d = 42 });
        flag.store(true, Relaxed);
        cond.notify_one().unwrap();
        cond.release().unwrap();
        waiter.join().unwrap();
    });
    assert!(
        WAITED.both(),
        "loom should explore the notify before the waiter's check and after it queued"
    );
}

/// Two waiters queued; `notify(1)` must wake exactly one: each woken waiter checks, under
/// the lock, that no more waiters woke than were notified. A second `notify(1)` must wake
/// the other (if the first woke none, or the second found nobody, loom reports a
/// deadlock).
#[test]
fn notify_n_wakes_exactly_n() {
    // The race: the first woken waiter runs before the second notify (the check that
    // only one woke has teeth then) or after it.
    static FIRST_RAN_BEFORE_SECOND_NOTIFY: Seen = Seen::new();
    model3(|| {
        // (stage, notifies issued, waiters woken)
        let shared = Arc::new((Stage::new(), AtomicUsize::new(0), AtomicUsize::new(0)));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (stage, notified, woken) = &*shared;
                    let cond = &stage.cond;
                    cond.acquire();
                    stage.announce();
                    cond.wait().unwrap();
                    let now_woken = woken.fetch_add(1, Relaxed) + 1;
                    let notifies = notified.load(Relaxed);
                    assert!(now_woken <= notifies, "notify(1) woke more than one waiter");
                    if now_woken == 1 {
                        FIRST_RAN_BEFORE_SECOND_NOTIFY.record(notifies == 1);
                    }
                    cond.release().unwrap();
                })
            })
            .collect();
        let (stage, notified, _) = &*shared;
        let cond = &stage.cond;
        stage.lock_when_queued(2);
        for _ in 0..2 {
            notified.fetch_add(1, Relaxed);
            cond.notify(1).unwrap();
            cond.release().unwrap();
            cond.acquire();
        }
        cond.release().unwrap();
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
    assert!(
        FIRST_RAN_BEFORE_SECOND_NOTIFY.both(),
        "loom should explore the first woken waiter running before and after the second notify"
    );
}

/// `notify_all` wakes every queued waiter (one left asleep is a deadlock).
#[test]
fn notify_all_wakes_every_waiter() {
    model3(|| {
        let stage = Stage::new();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let stage = stage.clone();
                thread::spawn(move || {
                    stage.cond.acquire();
                    stage.announce();
                    stage.cond.wait().unwrap();
                    stage.cond.release().unwrap();
                })
            })
            .collect();
        let cond = &stage.cond;
        stage.lock_when_queued(2);
        assert_eq!(cond.waiter_count(), 2);
        cond.notify_all().unwrap();
        assert_eq!(cond.waiter_count(), 0, "notify_all left a waiter queued");
        cond.release().unwrap();
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
}

/// `notify_all` against a timed waiter leaving, three threads. W1 waits with a timeout, W2
/// without; the main thread takes the lock once both are queued and notifies all. W1's
/// deadline may pass at any point. Whatever happened, under the lock the FIFO holds exactly
/// the threads still inside `wait` (those that have not set `returned`), `notify_all` wakes
/// all of them (W2 left asleep is a deadlock), and W1 returns `true` exactly when it was
/// still inside at the notify. A timed-out W1 that left the FIFO before it had the lock
/// back would be inside but not queued: `notify_all` would skip it and W1 return `false`.
#[test]
fn notify_all_against_a_timed_waiter_leaving_wakes_everyone_inside() {
    static W1_INSIDE_AT_THE_NOTIFY: Seen = Seen::new();
    model3(|| {
        // (stage, W1 returned from wait, W1 was inside wait at the notify)
        let shared = Arc::new((Stage::new(), AtomicBool::new(false), AtomicBool::new(false)));
        let w1 = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (stage, returned, notified_inside) = &*shared;
                stage.cond.acquire();
                stage.announce();
                let woken = stage.cond.wait_timeout(Duration::from_secs(1)).unwrap();
                returned.store(true, Relaxed);
                assert_eq!(
                    woken,
                    notified_inside.load(Relaxed),
                    "W1 was inside wait at notify_all, yet not woken by it (or woken without it)"
                );
                stage.cond.release().unwrap();
            })
        };
        let w2 = {
            let shared = shared.clone();
            thread::spawn(move || {
                let stage = &shared.0;
                stage.cond.acquire();
                stage.announce();
                stage.cond.wait().unwrap();
                stage.cond.release().unwrap();
            })
        };
        let (stage, returned, notified_inside) = &*shared;
        let cond = &stage.cond;
        stage.lock_when_queued(2);
        let w1_inside = !returned.load(Relaxed);
        W1_INSIDE_AT_THE_NOTIFY.record(w1_inside);
        notified_inside.store(w1_inside, Relaxed);
        assert_eq!(
            cond.waiter_count(),
            1 + usize::from(w1_inside),
            "the FIFO does not hold exactly the threads inside wait"
        );
        cond.notify_all().unwrap();
        cond.release().unwrap();
        w1.join().unwrap();
        w2.join().unwrap();
    });
    assert!(
        W1_INSIDE_AT_THE_NOTIFY.both(),
        "loom should explore W1 timing out and leaving before the notify, and W1 still inside"
    );
}

/// A waiter holding an `RLock` twice: `wait` must release both levels (or the notifier
/// could never get in: deadlock), and restore both (two releases succeed, the lock is then
/// free; a depth of one would make the second release fail).
#[test]
fn wait_over_an_rlock_held_twice_restores_the_depth() {
    static WAITED: Seen = Seen::new();
    model(|| {
        let shared = Arc::new((
            Condition::with_lock(RLock::<Loom>::with_runtime()),
            AtomicBool::new(false),
            UnsafeCell::new(0_u32),
        ));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (cond, flag, data) = &*shared;
                cond.acquire();
                cond.acquire();
                WAITED.record(!flag.load(Relaxed));
                cond.wait_for(|| flag.load(Relaxed)).unwrap();
                assert!(cond.get_lock().is_owned());
                // SAFETY: owned; loom reports an unordered access.
                data.with_mut(|d| unsafe { *d += 1 });
                cond.release().unwrap();
                assert!(cond.get_lock().is_owned(), "the inner level was lost");
                cond.release().unwrap();
                assert!(!cond.get_lock().is_owned());
            })
        };
        let (cond, flag, data) = &*shared;
        cond.acquire();
        // SAFETY: owned.
        data.with_mut(|d| unsafe { *d += 1 });
        flag.store(true, Relaxed);
        cond.notify_one().unwrap();
        cond.release().unwrap();
        waiter.join().unwrap();
        assert!(!cond.get_lock().locked());
        // SAFETY: both threads are done (joined).
        assert_eq!(data.with(|d| unsafe { *d }), 2);
    });
    assert!(
        WAITED.both(),
        "loom should explore the waiter waiting at depth two and finding the flag set"
    );
}

/// The key model. W1 waits with a timeout, W2 without; once both are queued, the main
/// thread notifies one. The notify goes to whichever queued first, and W1's time may run
/// out at any moment. If W1 says it was notified, the main thread notifies once more, for
/// W2. So the model terminates exactly when no notification is lost: with CPython's
/// semantics (a waiter that times out reports `false` even if a notifier had already
/// picked it) W1 would say `false` after swallowing the notify, nobody would wake W2, and
/// loom would report a deadlock.
// ANCHOR: timeout_race
#[test]
fn timed_waiter_racing_notify_loses_no_notification() {
    static W1_NOTIFIED: Seen = Seen::new();
    model3(|| {
        let stage = Stage::new();
        let w1 = {
            let stage = stage.clone();
            thread::spawn(move || {
                stage.cond.acquire();
                stage.announce();
                let notified = stage.cond.wait_timeout(Duration::from_secs(1)).unwrap();
                stage.cond.release().unwrap();
                notified
            })
        };
        let w2 = {
            let stage = stage.clone();
            thread::spawn(move || {
                stage.cond.acquire();
                stage.announce();
                stage.cond.wait().unwrap();
                stage.cond.release().unwrap();
            })
        };
        let cond = &stage.cond;
        stage.lock_when_queued(2);
        cond.notify_one().unwrap();
        cond.release().unwrap();
        let w1_notified = w1.join().unwrap();
        W1_NOTIFIED.record(w1_notified);
        if w1_notified {
            cond.acquire();
            cond.notify_one().unwrap();
            cond.release().unwrap();
        }
        w2.join().unwrap();
    });
    assert!(
        W1_NOTIFIED.both(),
        "loom should explore W1 being notified and W1 timing out"
    );
}
// ANCHOR_END: timeout_race

/// A timed wait racing a notify, one waiter: whatever the outcome, the waiter is not left
/// in the queue (a later `notify_all` finds nobody, and a second timed wait works), and a
/// waiter that reports `true` was really picked.
#[test]
fn timed_wait_racing_notify_over_an_rlock() {
    static NOTIFIED: Seen = Seen::new();
    model(|| {
        let shared = Arc::new((
            Condition::with_lock(RLock::<Loom>::with_runtime()),
            AtomicBool::new(false),
        ));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (cond, queued) = &*shared;
                cond.acquire();
                queued.store(true, Relaxed);
                let notified = cond.wait_timeout(Duration::from_secs(1)).unwrap();
                assert!(cond.get_lock().is_owned());
                cond.release().unwrap();
                notified
            })
        };
        let (cond, queued) = &*shared;
        lock_when(cond, || queued.load(Relaxed));
        cond.notify_one().unwrap();
        cond.release().unwrap();
        NOTIFIED.record(waiter.join().unwrap());
        // Nobody may be left queued, whichever way the race went.
        cond.acquire();
        assert_eq!(cond.waiter_count(), 0, "a waiter was left queued");
        cond.release().unwrap();
    });
    assert!(NOTIFIED.both(), "loom should explore both outcomes");
}

/// Waiting or notifying without the lock is `NotOwned`: over an `RLock` that another
/// thread holds, and over a `Lock` that nobody holds. Nothing is queued by the failed wait.
#[test]
fn wait_and_notify_without_the_lock_are_not_owned() {
    static HOLDER_HAD_IT: Seen = Seen::new();
    model(|| {
        let cond = Arc::new(Condition::with_lock(RLock::<Loom>::with_runtime()));
        let holder = {
            let cond = cond.clone();
            thread::spawn(move || {
                let _held = cond.lock();
                thread::yield_now();
            })
        };
        HOLDER_HAD_IT.record(cond.get_lock().locked());
        let err = cond.wait().unwrap_err();
        assert_eq!(err.to_string(), "cannot wait on un-acquired lock");
        assert_eq!(cond.waiter_count(), 0, "a failed wait left a waiter queued");
        let err = cond.notify_one().unwrap_err();
        assert_eq!(err.to_string(), "cannot notify on un-acquired lock");
        holder.join().unwrap();

        let plain = Condition::with_lock(Lock::<Loom>::with_runtime());
        assert!(plain.wait_timeout(Duration::ZERO).is_err());
        assert!(plain.notify_all().is_err());
        assert_eq!(
            plain.waiter_count(),
            0,
            "a failed wait left a waiter queued"
        );
    });
    assert!(
        HOLDER_HAD_IT.both(),
        "loom should explore the wait both while the other thread holds the lock and not"
    );
}

/// Two conditions sharing one lock (`std::sync::Arc<Lock>` handles): a notify on one does
/// not wake a waiter of the other, and the waiter is woken by its own condition.
#[test]
fn conditions_sharing_a_lock_wake_only_their_own_waiters() {
    model(|| {
        let lock = std::sync::Arc::new(Lock::<Loom>::with_runtime());
        let shared = Arc::new((
            Condition::with_lock(lock.clone()),
            Condition::with_lock(lock),
            AtomicBool::new(false),
            AtomicBool::new(false),
        ));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (first, _, queued, released) = &*shared;
                first.acquire();
                queued.store(true, Relaxed);
                first.wait().unwrap();
                assert!(
                    released.load(Relaxed),
                    "woken by the other condition's notify"
                );
                first.release().unwrap();
            })
        };
        let (first, second, queued, released) = &*shared;
        lock_when(first, || queued.load(Relaxed));
        second.notify_all().unwrap();
        released.store(true, Relaxed);
        first.notify_one().unwrap();
        first.release().unwrap();
        waiter.join().unwrap();
    });
}

/// A `Lock` that tells the model when a waiter comes back for it without having been
/// notified, that is, after its timeout fired: it is then the lock `wait` restores at a
/// waiter's deadline, and if someone holds it, the waiter's deadline passed while the lock
/// was held.
struct DeadlineWatch {
    lock: Lock<Loom>,
    /// Set by the notifier, under the lock, just before it notifies.
    notifying: AtomicBool,
}

/// Whether some execution saw a waiter come back at its deadline while the notifier held
/// the lock and had not notified yet (the branch that lost the notify before the fix).
static TIMED_OUT_UNDER_THE_HOLDER: Seen = Seen::new();

impl ConditionLock for DeadlineWatch {
    type Runtime = Loom;
    type Saved = ();
    type GuardMarker = ();

    fn acquire(&self) {
        self.lock.acquire()
    }
    fn try_acquire(&self) -> bool {
        self.lock.try_acquire()
    }
    fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.lock.acquire_timeout(timeout)
    }
    fn release(&self) -> Result<(), syncsmith::ReleaseError> {
        self.lock.release()
    }
    fn is_owned(&self) -> bool {
        self.lock.locked()
    }
    fn release_save(&self) -> Result<(), syncsmith::ReleaseError> {
        self.lock.release()
    }
    fn acquire_restore(&self, (): ()) {
        // No spurious wake-ups: a waiter here before any notify began timed out.
        let timed_out = !self.notifying.load(Relaxed);
        let held = !self.lock.try_acquire();
        TIMED_OUT_UNDER_THE_HOLDER.record(timed_out && held);
        if held {
            self.lock.acquire();
        }
    }
}

/// Issue 14's lost notification. A timed waiter queues itself; the notifier takes the lock
/// and, while it holds it, sees that the waiter has not come back out of `wait` (it has
/// not set `returned`, which it does under the lock). The waiter is therefore still
/// waiting, whatever its deadline did meanwhile, and API.md promises that `notify_one`
/// then wakes it: the waiter must return `Ok(true)`. Loom lets the waiter's deadline pass
/// while the notifier holds the lock; a waiter that takes itself out of the FIFO before
/// it has the lock back is gone when the notify looks, and returns `Ok(false)`.
// ANCHOR: deadline_under_the_lock
#[test]
fn a_notifier_holding_the_lock_across_the_deadline_still_wakes_the_waiter() {
    static NOTIFIED_WHILE_INSIDE: Seen = Seen::new();
    model(|| {
        let shared = Arc::new((
            Condition::with_lock(DeadlineWatch {
                lock: Lock::with_runtime(),
                notifying: AtomicBool::new(false),
            }),
            AtomicBool::new(false), // queued: the waiter is inside `wait`
            AtomicBool::new(false), // returned: the waiter came back out of it
        ));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (cond, queued, returned) = &*shared;
                cond.acquire();
                queued.store(true, Relaxed);
                let woken = cond.wait_timeout(Duration::from_secs(1)).unwrap();
                returned.store(true, Relaxed);
                let notify_came_while_inside = cond.get_lock().notifying.load(Relaxed);
                assert_eq!(
                    woken, notify_came_while_inside,
                    "a notify_one issued while this thread was inside wait did not reach it"
                );
                cond.release().unwrap();
            })
        };
        let (cond, queued, returned) = &*shared;
        lock_when(cond, || queued.load(Relaxed));
        let inside = !returned.load(Relaxed);
        NOTIFIED_WHILE_INSIDE.record(inside);
        if inside {
            cond.get_lock().notifying.store(true, Relaxed);
            cond.notify_one().unwrap();
        }
        cond.release().unwrap();
        waiter.join().unwrap();
    });
    assert!(
        NOTIFIED_WHILE_INSIDE.both(),
        "loom should explore the notify both while the waiter is inside wait and after it left"
    );
    assert!(
        TIMED_OUT_UNDER_THE_HOLDER.both(),
        "loom should explore the waiter's deadline passing while the notifier holds the lock"
    );
}
// ANCHOR_END: deadline_under_the_lock
