//! `Condition` on real threads: the behaviours of CPython's `test_threading` condition
//! tests (FIFO notify order, `notify(n)` counts, `wait_for`, timeouts), every error case
//! with its message, the lock flavours (`Lock`, `RLock`, `&Lock`, `Arc<Lock>`, several
//! conditions on one lock), and bounded stress tests.
//!
//! A waiter announces itself by bumping a counter under the lock just before it waits.
//! `wait` queues the waiter before it releases the lock, so a thread that reads the
//! counter under the lock knows exactly how many waiters are queued: no sleeps needed.
//! Timing assertions are lower bounds only.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use syncsmith::{Condition, ConditionGuard, ConditionLock, Lock, RLock};

mod common;

const SHORT: Duration = Duration::from_millis(50);

static_assertions::assert_impl_all!(ConditionGuard<'static, Lock>: Send, Sync);
static_assertions::assert_impl_all!(ConditionGuard<'static, Arc<Lock>>: Send, Sync);
static_assertions::assert_not_impl_any!(ConditionGuard<'static, RLock>: Send);
static_assertions::assert_not_impl_any!(ConditionGuard<'static, Arc<RLock>>: Send);
static_assertions::assert_impl_all!(Condition<RLock>: Send, Sync);
static_assertions::assert_impl_all!(Condition<&'static Lock>: Send, Sync);

/// A condition plus a count of queued waiters (see the module docs).
struct Waiters<L: ConditionLock> {
    cond: Condition<L>,
    queued: AtomicUsize,
}

impl<L: ConditionLock> Waiters<L> {
    fn new(cond: Condition<L>) -> Self {
        Waiters {
            cond,
            queued: AtomicUsize::new(0),
        }
    }

    /// Waits on the condition once; the caller need not hold the lock.
    fn wait_once(&self) {
        self.cond.acquire();
        self.queued.fetch_add(1, Relaxed);
        self.cond.wait().unwrap();
        self.cond.release().unwrap();
    }

    /// Returns with the lock held once at least `n` waiters have queued (in total).
    fn lock_when_queued(&self, n: usize) {
        loop {
            self.cond.acquire();
            if self.queued.load(Relaxed) >= n {
                return;
            }
            self.cond.release().unwrap();
            thread::yield_now();
        }
    }
}

#[test]
fn notify_wakes_waiters_in_the_order_they_started_waiting() {
    let w = Waiters::new(Condition::with_lock(Lock::new()));
    let order = Mutex::new(Vec::new());
    thread::scope(|s| {
        for id in 0..5 {
            let (w, order) = (&w, &order);
            s.spawn(move || {
                w.wait_once();
                order.lock().unwrap().push(id);
            });
            // Start the next waiter only once this one is queued.
            w.lock_when_queued(id + 1);
            w.cond.release().unwrap();
        }
        for woken in 1..=5 {
            w.cond.acquire();
            w.cond.notify_one().unwrap();
            w.cond.release().unwrap();
            while order.lock().unwrap().len() < woken {
                thread::yield_now();
            }
        }
    });
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
}

#[test]
fn notify_n_wakes_exactly_n_waiters() {
    let w = Waiters::new(Condition::with_lock(Lock::new()));
    let woken = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..5 {
            s.spawn(|| {
                w.wait_once();
                woken.fetch_add(1, Relaxed);
            });
        }
        w.lock_when_queued(5);
        w.cond.notify(2).unwrap();
        w.cond.release().unwrap();
        while woken.load(Relaxed) < 2 {
            thread::yield_now();
        }
        thread::sleep(SHORT);
        assert_eq!(woken.load(Relaxed), 2, "notify(2) woke more than two");

        w.cond.acquire();
        w.cond.notify(10).unwrap(); // more than are waiting: wakes the three left
        w.cond.release().unwrap();
    });
    assert_eq!(woken.load(Relaxed), 5);
}

#[test]
fn notify_all_wakes_every_waiter_and_notify_with_nobody_waiting_is_a_no_op() {
    let w = Waiters::new(Condition::new());
    {
        let _held = w.cond.lock();
        w.cond.notify_all().unwrap();
        w.cond.notify(3).unwrap();
        // Nothing was stored for later waiters.
        assert_eq!(w.cond.waiter_count(), 0);
    }
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| w.wait_once());
        }
        w.lock_when_queued(4);
        // All four are really waiting: the earlier notifies woke nobody ahead of time.
        assert_eq!(w.cond.waiter_count(), 4);
        w.cond.notify_all().unwrap();
        assert_eq!(w.cond.waiter_count(), 0, "notify_all woke every waiter");
        w.cond.release().unwrap();
    });
}

#[test]
fn wait_for_returns_once_the_predicate_becomes_true() {
    let cond = Condition::with_lock(Lock::new());
    let counter = AtomicUsize::new(0);
    let checks = AtomicUsize::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            let _held = cond.lock();
            cond.wait_for(|| {
                checks.fetch_add(1, Relaxed);
                counter.load(Relaxed) >= 5
            })
            .unwrap();
            assert!(counter.load(Relaxed) >= 5);
        });
        for _ in 0..5 {
            thread::sleep(Duration::from_millis(2));
            let _held = cond.lock();
            counter.fetch_add(1, Relaxed);
            cond.notify_all().unwrap();
        }
    });
    // Once first, then once per wake-up: never more than six checks for five notifies.
    assert!(checks.load(Relaxed) <= 6, "{} checks", checks.load(Relaxed));
}

#[test]
fn wait_for_with_a_true_predicate_returns_without_waiting() {
    let cond = Condition::new();
    let _held = cond.lock();
    cond.wait_for(|| true).unwrap();
    assert!(cond.wait_for_timeout(|| true, Duration::ZERO).unwrap());
}

#[test]
fn wait_timeout_returns_false_after_at_least_the_timeout() {
    let over_lock = Condition::with_lock(Lock::new());
    let over_rlock = Condition::new();
    for timeout in [SHORT, Duration::from_millis(5)] {
        let _held = over_lock.lock();
        let began = Instant::now();
        assert!(!over_lock.wait_timeout(timeout).unwrap());
        assert!(began.elapsed() >= timeout);
    }
    let _held = over_rlock.lock();
    let began = Instant::now();
    assert!(!over_rlock.wait_timeout(SHORT).unwrap());
    assert!(began.elapsed() >= SHORT);
    assert!(over_rlock.get_lock().is_owned());
}

#[test]
fn wait_for_timeout_returns_the_predicate_after_at_least_the_timeout() {
    let cond = Condition::with_lock(Lock::new());
    let _held = cond.lock();
    let began = Instant::now();
    assert!(!cond.wait_for_timeout(|| false, SHORT).unwrap());
    assert!(began.elapsed() >= SHORT);
}

#[test]
fn wait_for_timeout_is_true_when_the_predicate_becomes_true_in_time() {
    let cond = Condition::with_lock(Lock::new());
    let ready = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            let _held = cond.lock();
            ready.store(true, Relaxed);
            cond.notify_one().unwrap();
        });
        let _held = cond.lock();
        assert!(cond
            .wait_for_timeout(|| ready.load(Relaxed), Duration::from_secs(60))
            .unwrap());
    });
}

#[test]
fn a_zero_timeout_does_not_block_and_a_huge_one_waits_for_the_notify() {
    let w = Waiters::new(Condition::with_lock(Lock::new()));
    {
        let _held = w.cond.lock();
        assert!(!w.cond.wait_timeout(Duration::ZERO).unwrap());
        assert!(!w.cond.wait_for_timeout(|| false, Duration::ZERO).unwrap());
    }
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            w.cond.acquire();
            w.queued.fetch_add(1, Relaxed);
            let notified = w.cond.wait_timeout(Duration::MAX).unwrap();
            w.cond.release().unwrap();
            notified
        });
        w.lock_when_queued(1);
        w.cond.notify_one().unwrap();
        w.cond.release().unwrap();
        assert!(waiter.join().unwrap(), "Duration::MAX means no timeout");
    });
}

#[test]
fn wait_over_an_rlock_restores_the_recursion_depth() {
    let w = Waiters::new(Condition::new());
    thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..3 {
                w.cond.acquire();
            }
            w.queued.fetch_add(1, Relaxed);
            w.cond.wait().unwrap();
            for level in (0..3).rev() {
                assert!(w.cond.get_lock().is_owned());
                w.cond.release().unwrap();
                assert_eq!(w.cond.get_lock().is_owned(), level > 0);
            }
            assert!(w.cond.release().is_err());
        });
        // We can take the lock only if `wait` released all three levels.
        w.lock_when_queued(1);
        w.cond.notify_one().unwrap();
        w.cond.release().unwrap();
    });
    assert!(!w.cond.get_lock().locked());
}

#[test]
fn wait_and_notify_without_the_lock_are_errors_with_pythons_messages() {
    const WAIT: &str = "cannot wait on un-acquired lock";
    const NOTIFY: &str = "cannot notify on un-acquired lock";

    let plain = Condition::with_lock(Lock::new());
    assert_eq!(plain.wait().unwrap_err().to_string(), WAIT);
    assert_eq!(plain.wait_timeout(SHORT).unwrap_err().to_string(), WAIT);
    assert_eq!(plain.wait_for(|| true).unwrap_err().to_string(), WAIT);
    assert_eq!(
        plain
            .wait_for_timeout(|| true, SHORT)
            .unwrap_err()
            .to_string(),
        WAIT
    );
    assert_eq!(plain.notify(1).unwrap_err().to_string(), NOTIFY);
    assert_eq!(plain.notify_one().unwrap_err().to_string(), NOTIFY);
    assert_eq!(plain.notify_all().unwrap_err().to_string(), NOTIFY);

    // Over an RLock, "owned" means owned by the calling thread.
    let reentrant = Condition::new();
    let _held = reentrant.lock();
    thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(reentrant.wait().unwrap_err().to_string(), WAIT);
            assert_eq!(reentrant.notify_all().unwrap_err().to_string(), NOTIFY);
        });
    });
    // The failed calls changed nothing: the owner can still use it.
    assert!(!reentrant.wait_timeout(Duration::ZERO).unwrap());
    reentrant.notify_all().unwrap();
}

#[test]
fn several_conditions_share_one_lock_through_handles() {
    // A bounded buffer of two slots: `not_empty` and `not_full` share one `Arc<Lock>`,
    // as CPython's `queue.Queue` shares one lock among its conditions.
    let lock = Arc::new(Lock::new());
    let not_empty = Condition::with_lock(Arc::clone(&lock));
    let not_full = Condition::with_lock(Arc::clone(&lock));
    let items = Mutex::new(std::collections::VecDeque::new());
    const ITEMS: u32 = 2_000;
    thread::scope(|s| {
        s.spawn(|| {
            for item in 0..ITEMS {
                let _held = not_full.lock();
                not_full
                    .wait_for(|| items.lock().unwrap().len() < 2)
                    .unwrap();
                items.lock().unwrap().push_back(item);
                not_empty.notify_one().unwrap();
            }
        });
        let mut received = Vec::new();
        for _ in 0..ITEMS {
            let _held = not_empty.lock();
            not_empty
                .wait_for(|| !items.lock().unwrap().is_empty())
                .unwrap();
            received.push(items.lock().unwrap().pop_front().unwrap());
            not_full.notify_one().unwrap();
        }
        assert_eq!(received, (0..ITEMS).collect::<Vec<_>>());
    });
    assert!(!lock.locked());

    // And through plain references.
    let shared = Lock::new();
    let first = Condition::with_lock(&shared);
    let second = Condition::with_lock(&shared);
    let held = first.lock();
    assert!(shared.locked());
    second.notify_all().unwrap(); // the same lock, so this counts as held
    drop(held);
    assert!(!shared.locked());
}

#[test]
fn a_condition_guard_over_a_lock_may_be_released_on_another_thread() {
    let cond = Condition::with_lock(Lock::new());
    let guard = cond.lock();
    thread::scope(|s| {
        s.spawn(move || drop(guard));
    });
    assert!(!cond.get_lock().locked());
}

#[test]
fn constructors_default_debug_and_statics() {
    static COND: Condition<Lock> = Condition::const_with_lock(Lock::new());
    static PYTHON_DEFAULT: Condition = Condition::new();
    {
        let guard = COND.lock();
        assert_eq!(
            format!("{guard:?}"),
            "ConditionGuard { condition: Condition { lock: Lock { locked: true }, waiters: 0 } }"
        );
    }
    assert_eq!(
        format!("{:?}", Condition::default()),
        "Condition { lock: RLock { locked: false, owner: None, count: 0 }, waiters: 0 }"
    );
    let _held = PYTHON_DEFAULT.lock();
    assert!(PYTHON_DEFAULT.get_lock().is_owned());
    assert!(
        PYTHON_DEFAULT.try_acquire(),
        "Python's default lock is re-entrant"
    );
    PYTHON_DEFAULT.release().unwrap();
    assert!(PYTHON_DEFAULT.acquire_timeout(Duration::ZERO));
    PYTHON_DEFAULT.release().unwrap();
}

#[test]
fn a_waiter_whose_timeout_races_a_notify_never_swallows_it() {
    // The real-thread version of the loom model: W1 waits with a tiny timeout, W2 without;
    // once both are queued, notify one; if W1 reports that it was notified, the notify was
    // its, and W2 needs another. If W1 ever swallowed a notify (CPython's behaviour), W2
    // would wait for ever; here it waits at most a minute and the test fails.
    let w = Waiters::new(Condition::with_lock(Lock::new()));
    for round in 0..200_u64 {
        w.queued.store(0, Relaxed);
        thread::scope(|s| {
            let w1 = s.spawn(|| {
                w.cond.acquire();
                w.queued.fetch_add(1, Relaxed);
                let notified = w
                    .cond
                    .wait_timeout(Duration::from_micros(round % 50))
                    .unwrap();
                w.cond.release().unwrap();
                notified
            });
            let w2 = s.spawn(|| {
                w.cond.acquire();
                w.queued.fetch_add(1, Relaxed);
                let notified = w.cond.wait_timeout(Duration::from_secs(60)).unwrap();
                w.cond.release().unwrap();
                notified
            });
            w.lock_when_queued(2);
            w.cond.notify_one().unwrap();
            w.cond.release().unwrap();
            if w1.join().unwrap() {
                let _held = w.cond.lock();
                w.cond.notify_one().unwrap();
            }
            assert!(w2.join().unwrap(), "round {round}: a notification was lost");
        });
    }
}

/// Issue 14's lost notification, on real threads. Three waiters wait with a short
/// timeout; the notifier takes the lock once all are queued and holds it until every
/// deadline has passed. A waiter that has not come back out of `wait` by then (it counts
/// itself in `returned` under the lock) cannot do so while the lock is held, so it is
/// still waiting, and `notify(3)` must wake it: it returns `Ok(true)`. (A waiter that took
/// itself out of the FIFO at its deadline, before it had the lock back, made the notify
/// find nobody, and returned `Ok(false)`.) The sleep only makes the deadlines pass; the
/// assertion holds however long the threads are delayed. Returns how many waiters were
/// still inside `wait` when the notifier looked.
fn notify_after_the_deadlines_under_the_lock<L: ConditionLock + Sync>(lock: L) -> usize {
    const WAITERS: usize = 3;
    let w = Waiters::new(Condition::with_lock(lock));
    let returned = AtomicUsize::new(0);
    let (inside, woken) = thread::scope(|s| {
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                s.spawn(|| {
                    w.cond.acquire();
                    w.queued.fetch_add(1, Relaxed);
                    let woken = w.cond.wait_timeout(SHORT).unwrap();
                    returned.fetch_add(1, Relaxed);
                    w.cond.release().unwrap();
                    woken
                })
            })
            .collect();
        w.lock_when_queued(WAITERS);
        // On a loaded machine a waiter may have timed out and left before we got the lock.
        let inside = WAITERS - returned.load(Relaxed);
        thread::sleep(2 * SHORT);
        w.cond.notify(WAITERS).unwrap();
        w.cond.release().unwrap();
        let woken: Vec<bool> = waiters.into_iter().map(|t| t.join().unwrap()).collect();
        (inside, woken)
    });
    assert_eq!(
        woken.iter().filter(|&&woken| woken).count(),
        inside,
        "a notify issued while {inside} waiters were inside wait woke {woken:?}"
    );
    inside
}

#[test]
fn a_notifier_holding_a_lock_across_the_deadlines_still_wakes_every_waiter() {
    let inside: usize = (0..10)
        .map(|_| notify_after_the_deadlines_under_the_lock(Lock::new()))
        .sum();
    assert!(inside > 0, "no round found a waiter still inside wait");
}

#[test]
fn a_notifier_holding_an_rlock_across_the_deadlines_still_wakes_every_waiter() {
    let inside: usize = (0..10)
        .map(|_| notify_after_the_deadlines_under_the_lock(RLock::new()))
        .sum();
    assert!(inside > 0, "no round found a waiter still inside wait");
}

/// A user `ConditionLock` (a plain `Lock` inside) whose `release_save` or
/// `acquire_restore` panics once when told to.
#[derive(Default)]
struct PanickyLock {
    lock: Lock,
    panic_in_release_save: AtomicBool,
    panic_in_acquire_restore: AtomicBool,
}

impl ConditionLock for PanickyLock {
    type Runtime = syncsmith::runtime::Std;
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
        assert!(
            !self.panic_in_release_save.swap(false, Relaxed),
            "release_save panics"
        );
        self.lock.release()
    }
    fn acquire_restore(&self, (): ()) {
        assert!(
            !self.panic_in_acquire_restore.swap(false, Relaxed),
            "acquire_restore panics"
        );
        self.lock.acquire()
    }
}

/// One waiter waits; once it is queued, `notify_one`; it must be woken. If an earlier,
/// panicked `wait` had left its waiter in the FIFO, that dead waiter would take the
/// notify and this one would time out.
fn a_live_waiter_gets_the_next_notify(w: &Waiters<PanickyLock>) {
    w.queued.store(0, Relaxed);
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            w.cond.acquire();
            w.queued.fetch_add(1, Relaxed);
            let woken = w.cond.wait_timeout(Duration::from_secs(5)).unwrap();
            w.cond.release().unwrap();
            woken
        });
        w.lock_when_queued(1);
        w.cond.notify_one().unwrap();
        w.cond.release().unwrap();
        assert!(
            waiter.join().unwrap(),
            "the notify went to a waiter whose wait had panicked"
        );
    });
}

/// Issue 13: a user lock whose `release_save` (or `acquire_restore`) panics unwinds out of
/// `wait`, and leaves no dead waiter in the FIFO for a later notify to waste itself on.
#[test]
fn a_wait_that_panics_in_the_users_lock_leaves_no_waiter_queued() {
    let w = Waiters::new(Condition::with_lock(PanickyLock::default()));

    w.cond.acquire();
    w.cond.get_lock().panic_in_release_save.store(true, Relaxed);
    let unwound =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.cond.wait())).unwrap_err();
    assert_eq!(common::panic_message(unwound), "release_save panics");
    // `release_save` panicked before releasing: we still hold the lock.
    assert_eq!(
        w.cond.waiter_count(),
        0,
        "the panicked waiter is still queued"
    );
    w.cond.release().unwrap();
    a_live_waiter_gets_the_next_notify(&w);

    w.cond.acquire();
    w.cond
        .get_lock()
        .panic_in_acquire_restore
        .store(true, Relaxed);
    // A zero timeout times out at once; `acquire_restore` then panics, lock not taken.
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        w.cond.wait_timeout(Duration::ZERO)
    }))
    .unwrap_err();
    assert_eq!(common::panic_message(unwound), "acquire_restore panics");
    assert!(!w.cond.get_lock().lock.locked());
    assert_eq!(
        w.cond.waiter_count(),
        0,
        "the panicked waiter is still queued"
    );
    a_live_waiter_gets_the_next_notify(&w);
}

#[test]
fn stress_ping_pong_over_an_rlock() {
    // Two threads take 10 000 turns on one condition (the examples' conversation).
    let cond = Arc::new(Condition::new());
    let turn = Arc::new(AtomicUsize::new(0));
    const TURNS: usize = 10_000;
    let players: Vec<_> = (0..2)
        .map(|me| {
            let (cond, turn) = (Arc::clone(&cond), Arc::clone(&turn));
            thread::spawn(move || {
                for _ in 0..TURNS / 2 {
                    let _held = cond.lock();
                    cond.wait_for(|| turn.load(Relaxed) % 2 == me).unwrap();
                    turn.fetch_add(1, Relaxed);
                    cond.notify_one().unwrap();
                }
            })
        })
        .collect();
    for player in players {
        player.join().unwrap();
    }
    assert_eq!(turn.load(Relaxed), TURNS);
}

#[test]
fn stress_timed_waiters_and_notifiers() {
    // Four waiters with short timeouts and two notifiers; every `true` must be matched by
    // a notify that found a waiter, so the `true`s never outnumber the notifies.
    let cond = Condition::with_lock(Lock::new());
    let notifies = AtomicUsize::new(0);
    let notified = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for i in 0..500_u64 {
                    let _held = cond.lock();
                    if cond.wait_timeout(Duration::from_micros(i % 100)).unwrap() {
                        notified.fetch_add(1, Relaxed);
                    }
                }
            });
        }
        for _ in 0..2 {
            s.spawn(|| {
                while !stop.load(Relaxed) {
                    let _held = cond.lock();
                    notifies.fetch_add(1, Relaxed);
                    cond.notify_one().unwrap();
                }
            });
        }
        thread::sleep(Duration::from_millis(1));
        // The waiters finish on their own (timeouts); then stop the notifiers.
        while notified.load(Relaxed) == 0 && notifies.load(Relaxed) < 100 {
            thread::yield_now();
        }
        s.spawn(|| {
            thread::sleep(Duration::from_millis(200));
            stop.store(true, Relaxed);
        });
    });
    assert!(notified.load(Relaxed) <= notifies.load(Relaxed));
}
