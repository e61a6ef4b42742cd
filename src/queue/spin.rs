//! The spin a blocked `get` or `put` does before it parks, shared by `Queue` and
//! `SimpleQueue`: it watches a relaxed copy of the queue's length (the queue's `len_hint`),
//! never the items, and only decides when to look again under the lock.
//!
//! Why spin this long (measured with `benches/queue_modes.rs`, capacity 64, one producer
//! and one consumer; the queue chapter has the commands and the numbers): with a short spin
//! (or none), whichever side waits first parks, the other soon fills (or empties) the queue
//! and parks too, and from then on each wakes the other and is asleep before the other is
//! up. Each batch of 64 items then costs two wake-up latencies in a row, and the queue
//! moved 1.7 M items/s where crossbeam moved 7 to 11 M. A spin that outlasts a wake-up
//! keeps both threads running side by side. Why the yields: on a loaded machine the partner
//! may be waiting for this very core, and a spin of pause hints alone then burns the time
//! slice the partner needs (measured: 0.2 M items/s, 20 times slower than crossbeam).

use crate::runtime::{AtomicInt, Runtime};
use core::sync::atomic::Ordering::Relaxed;

/// Rounds of growing busy-waits (1, 2, 4, ... 32 pause hints) first, for a partner that
/// is running on another core right now.
const RAMP_ROUNDS: u32 = 6;
/// Rounds after that, each `PATIENT_SPINS` pause hints and a yield: together long enough to
/// cover a partner's wake-up from a park (tens of microseconds on a virtual machine), and
/// yielding so that a partner waiting for this core gets it. Few rounds, because on a
/// loaded machine each yield may give away a whole time slice. Then the caller parks.
const PATIENT_ROUNDS: u32 = 10;
/// Pause hints per patient round.
const PATIENT_SPINS: u32 = 128;

/// Whether a blocked `get`/`put` spins before parking: always on real threads, never under
/// loom (`SPIN_ROUNDS` is 0), whose models then stay exactly those of CPython's design (the
/// spin changes no state; it only delays the next look under the lock).
#[inline]
pub(super) fn spins<R: Runtime>() -> bool {
    R::SPIN_ROUNDS > 0
}

/// Busy-waits until `ready(len_hint)` holds or the budget runs out. Called without the
/// queue's lock; the caller then takes the lock and decides from the real state, so a
/// stale hint costs only time.
#[cold]
pub(super) fn spin_until<R: Runtime>(len_hint: &R::AtomicUsize, ready: impl Fn(usize) -> bool) {
    // Relaxed loads: the value only says when to look again; nothing read here is trusted.
    // What the looking thread then sees of the items comes from acquiring the lock, which
    // the thread that changed them released afterwards.
    for round in 0..RAMP_ROUNDS {
        if ready(len_hint.load(Relaxed)) {
            return;
        }
        for _ in 0..(1u32 << round) {
            R::spin_hint();
        }
    }
    for _ in 0..PATIENT_ROUNDS {
        if ready(len_hint.load(Relaxed)) {
            return;
        }
        for _ in 0..PATIENT_SPINS {
            R::spin_hint();
        }
        R::yield_now();
    }
}

/// Stores the queue's new length in its `len_hint`, for spinning `get`s and `put`s. Called
/// with the queue's lock held after every change to the items, where [`spins`] says anyone
/// reads it.
#[inline]
pub(super) fn publish<R: Runtime>(len_hint: &R::AtomicUsize, len: usize) {
    // Relaxed: the hint carries no data anyone trusts (see `spin_until`). Every store
    // happens under the lock, so the stores are in lock order, and a spinning thread sees
    // them in that order (coherence): never an older length after a newer one.
    len_hint.store(len, Relaxed);
}
