//! `Event` beside an event built from `std::sync::{Mutex<bool>, Condvar}`.
//!
//! - `event/round_trip`: two threads and two events, `ping` and `pong`. The main thread sets
//!   `ping` and waits for `pong`; the other waits for `ping`, clears it, and sets `pong`.
//!   One iteration = one round trip (two wake-ups).
//! - `event/wait_when_set`: `wait` on an event that is already set (a start gate that has
//!   opened: every later `wait` should cost next to nothing).
//! - `event/is_set`: reading the flag.
//!
//! Run briefly: `cargo bench --bench event -- --warm-up-time 1 --measurement-time 2`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// The events compared, behind one interface.
trait BenchEvent: Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    fn set(&self);
    fn clear(&self);
    fn wait(&self);
    fn is_set(&self) -> bool;
}

impl BenchEvent for syncsmith::Event {
    const NAME: &'static str = "syncsmith::Event";
    fn new() -> Self {
        syncsmith::Event::new()
    }
    #[inline]
    fn set(&self) {
        syncsmith::Event::set(self)
    }
    #[inline]
    fn clear(&self) {
        syncsmith::Event::clear(self)
    }
    #[inline]
    fn wait(&self) {
        syncsmith::Event::wait(self)
    }
    #[inline]
    fn is_set(&self) -> bool {
        syncsmith::Event::is_set(self)
    }
}

/// The event most Rust code would write.
struct StdEvent {
    flag: std::sync::Mutex<bool>,
    changed: std::sync::Condvar,
}

impl BenchEvent for StdEvent {
    const NAME: &'static str = "std Mutex<bool>+Condvar";
    fn new() -> Self {
        StdEvent {
            flag: std::sync::Mutex::new(false),
            changed: std::sync::Condvar::new(),
        }
    }
    #[inline]
    fn set(&self) {
        *self.flag.lock().unwrap() = true;
        self.changed.notify_all();
    }
    #[inline]
    fn clear(&self) {
        *self.flag.lock().unwrap() = false;
    }
    #[inline]
    fn wait(&self) {
        let _set = self
            .changed
            .wait_while(self.flag.lock().unwrap(), |set| !*set)
            .unwrap();
    }
    #[inline]
    fn is_set(&self) -> bool {
        *self.flag.lock().unwrap()
    }
}

fn round_trip_run<E: BenchEvent>(iters: u64) -> Duration {
    let events = Arc::new((E::new(), E::new()));
    let other = {
        let events = Arc::clone(&events);
        thread::spawn(move || {
            let (ping, pong) = &*events;
            for _ in 0..iters {
                ping.wait();
                ping.clear();
                pong.set();
            }
        })
    };
    let (ping, pong) = &*events;
    let began = Instant::now();
    for _ in 0..iters {
        ping.set();
        pong.wait();
        pong.clear();
    }
    let elapsed = began.elapsed();
    other.join().unwrap();
    elapsed
}

fn round_trip<E: BenchEvent>(c: &mut Criterion) {
    let mut group = c.benchmark_group("event/round_trip");
    group.sample_size(20);
    group.bench_function(E::NAME, |b| b.iter_custom(round_trip_run::<E>));
    group.finish();
}

fn when_set<E: BenchEvent>(c: &mut Criterion) {
    let event = E::new();
    event.set();
    c.benchmark_group("event/wait_when_set")
        .bench_function(E::NAME, |b| b.iter(|| black_box(&event).wait()));
    c.benchmark_group("event/is_set")
        .bench_function(E::NAME, |b| b.iter(|| black_box(&event).is_set()));
}

fn events(c: &mut Criterion) {
    round_trip::<syncsmith::Event>(c);
    round_trip::<StdEvent>(c);
    when_set::<syncsmith::Event>(c);
    when_set::<StdEvent>(c);
}

criterion_group!(benches, events);
criterion_main!(benches);
