//! Loom models of `Lock` (placeholder while the seam is being built).
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use syncsmith::runtime::Loom;
use syncsmith::Lock;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = b.preemption_bound.or(Some(3));
    b.check(f);
}

#[test]
fn two_threads_exclude_each_other() {
    model(|| {
        let lock = Arc::new(Lock::<Loom>::with_runtime());
        let counter = Arc::new(UnsafeCell::new(0));
        let ths: Vec<_> = (0..2).map(|_| {
            let (lock, counter) = (lock.clone(), counter.clone());
            loom::thread::spawn(move || {
                lock.acquire();
                counter.with_mut(|c| unsafe { *c += 1 });
                lock.release().unwrap();
            })
        }).collect();
        for t in ths { t.join().unwrap(); }
        assert_eq!(counter.with(|c| unsafe { *c }), 2);
    });
}
