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

mod common;

use common::events::{round_trip_run, BenchEvent, TextbookEvent};

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
    round_trip::<TextbookEvent>(c);
    when_set::<syncsmith::Event>(c);
    when_set::<TextbookEvent>(c);
}

criterion_group!(benches, events);
criterion_main!(benches);
