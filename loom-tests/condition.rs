//! Loom models of `Condition` (first cut by the lead; to be extended).
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::Duration;
use syncsmith::runtime::Loom;
use syncsmith::{Condition, Lock, RLock};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = b.preemption_bound.or(Some(3));
    b.check(f);
}

#[test]
fn notify_is_never_lost_by_a_predicate_waiter() {
    model(|| {
        let shared = Arc::new((
            Condition::with_lock(Lock::<Loom>::with_runtime()),
            AtomicBool::new(false),
        ));
        let s2 = shared.clone();
        let t = loom::thread::spawn(move || {
            let (cond, flag) = &*s2;
            cond.acquire();
            cond.wait_for(|| flag.load(Relaxed)).unwrap();
            cond.release().unwrap();
        });
        let (cond, flag) = &*shared;
        cond.acquire();
        flag.store(true, Relaxed);
        cond.notify_one().unwrap();
        cond.release().unwrap();
        t.join().unwrap();
    });
}

#[test]
fn timed_out_waiter_never_swallows_a_notify() {
    model(|| {
        let shared = Arc::new((
            Condition::with_lock(RLock::<Loom>::with_runtime()),
            AtomicUsize::new(0),
        ));
        let s2 = shared.clone();
        let t = loom::thread::spawn(move || {
            let (cond, woken) = &*s2;
            cond.acquire();
            let notified = cond.wait_timeout(Duration::from_secs(1)).unwrap();
            if notified {
                woken.fetch_add(1, SeqCst);
            }
            cond.release().unwrap();
            notified
        });
        let (cond, _) = &*shared;
        cond.acquire();
        cond.notify_one().unwrap();
        cond.release().unwrap();
        let notified = t.join().unwrap();
        // Whether the waiter was queued when the notify came is up to the schedule; but a
        // waiter that reports a timeout must not have been picked (it would be lost).
        let _ = notified;
    });
}
