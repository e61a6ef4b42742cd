//! `Event` beside the event most Rust code would write (`std::sync::{Mutex<bool>,
//! Condvar}`), behind one interface, and the round trip that benchmarks them.
//!
//! Shared by the measurement program (`benches/results/`); each bench crate uses only some
//! of these items, hence the `allow`.
#![allow(dead_code)]

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// The events compared.
pub trait BenchEvent: Send + Sync + 'static {
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

/// The textbook event: a flag under a `Mutex` and a `Condvar` to wait on.
pub struct TextbookEvent {
    flag: std::sync::Mutex<bool>,
    changed: std::sync::Condvar,
}

impl BenchEvent for TextbookEvent {
    const NAME: &'static str = "std Mutex<bool>+Condvar";
    fn new() -> Self {
        TextbookEvent {
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

/// `iters` round trips between two threads and two events, `ping` and `pong`: this thread
/// sets `ping` and waits for `pong`; the other waits for `ping`, clears it, and sets `pong`.
pub fn round_trip_run<E: BenchEvent>(iters: u64) -> Duration {
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
