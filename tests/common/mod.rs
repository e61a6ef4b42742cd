//! Helpers shared by the real-thread tests (`mod common;` at the top of a `tests/*.rs`).
//!
//! Each test file is its own crate and uses only some of these items, hence the
//! `#[allow(dead_code)]`s.

use std::cell::UnsafeCell;

/// The message of a panic caught by `catch_unwind` or `join`: the `String` or `&str` it
/// was raised with (empty for any other payload).
#[allow(dead_code)]
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

/// A counter that only `lock` protects, for the stress tests of the locks. Its
/// `UnsafeCell` makes a lost update (or a data race a sanitizer could see) possible if the
/// lock failed to exclude.
///
/// Each test file increments it through its own `impl Counter<ItsLock>`, which takes the
/// lock first, and reads `value` only once every thread is done.
#[allow(dead_code)]
pub struct Counter<L> {
    pub lock: L,
    pub value: UnsafeCell<u64>,
}

// SAFETY: `value` is only touched while `lock` is held, or after the threads sharing the
// counter have finished (see above).
unsafe impl<L: Sync> Sync for Counter<L> {}

#[allow(dead_code)]
impl<L> Counter<L> {
    /// A counter at zero, protected by `lock`.
    pub fn new(lock: L) -> Self {
        Counter {
            lock,
            value: UnsafeCell::new(0),
        }
    }
}
