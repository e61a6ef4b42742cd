//! Not an entry: what the zoo's two broken locks (`forgotten_unpark` and
//! `relaxed_slow_release`) get *right*.
//!
//! Both are `Lock` (`src/lock.rs`) without hand-offs, with one mistake each, in the release.
//! Their state is `Lock`'s two bits and their acquire is `Lock`'s, correct; they live here so
//! that each entry shows only what it gets wrong.

use core::sync::atomic::Ordering::{Acquire, Relaxed};
use syncsmith::runtime::{AtomicInt, ParkToken, Runtime};

/// Set while some thread holds the lock.
pub const LOCKED_BIT: u8 = 0b01;
/// Set while some thread may be parked on the lock: a release that sees it must unpark.
pub const PARKED_BIT: u8 = 0b10;

/// The parking-lot key of the lock whose state is `state`: its address.
pub fn key<R: Runtime>(state: &R::AtomicU8) -> usize {
    state as *const R::AtomicU8 as usize
}

/// `Lock::acquire` without hand-offs: take `LOCKED_BIT` while it is clear (`Acquire`, to pair
/// with the releaser's `Release`); otherwise set `PARKED_BIT`, park until a release wakes
/// us, and look again.
pub fn acquire<R: Runtime>(state: &R::AtomicU8) {
    let mut now = state.load(Relaxed);
    loop {
        if now & LOCKED_BIT == 0 {
            match state.compare_exchange(now, now | LOCKED_BIT, Acquire, Relaxed) {
                Ok(_) => return,
                Err(changed) => now = changed,
            }
            continue;
        }
        if now & PARKED_BIT == 0 {
            if let Err(changed) = state.compare_exchange(now, now | PARKED_BIT, Relaxed, Relaxed) {
                now = changed;
                continue;
            }
        }
        // SAFETY: the callbacks only read our atomic state; they neither panic nor call
        // into the parking lot.
        unsafe {
            R::park(
                key::<R>(state),
                || state.load(Relaxed) == LOCKED_BIT | PARKED_BIT,
                || {},
                |_, _| {},
                ParkToken(0),
                None,
            )
        };
        now = state.load(Relaxed);
    }
}
