//! The lost update, from every Python threading tutorial:
//!
//! ```python
//! balance = 0
//! lock = threading.Lock()
//!
//! def change_it(n):
//!     global balance
//!     balance = balance + n
//!     balance = balance - n
//!
//! def run_thread(n):
//!     for i in range(1000000):
//!         with lock:          # remove this line and the result is wrong
//!             change_it(n)
//! ```
//!
//! Two threads each add and subtract their own `n`, so the balance should end at 0. Without
//! the lock, a thread can read the balance, be overtaken by the other thread's update, and
//! then write back a value computed from the stale read: the other update is lost.
//!
//! In Rust a plain `static mut` shared this way would be undefined behaviour, so the
//! unlocked version reads and writes the balance with separate *relaxed atomic* loads and
//! stores: every access is well defined, but a load followed by a store is not one step,
//! so updates are still lost exactly as in Python. With a `syncsmith::Lock` around each
//! `change_it`, the same loads and stores cannot interleave, and the balance ends at 0.
//!
//! Run it alone with `cargo run --example lost_update`; it is also the tour's first stop.

use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::Barrier;
use std::thread;
use syncsmith::Lock;

/// How many times each thread changes the balance.
const ROUNDS: usize = 1_000_000;

// ANCHOR: account
/// The bank account: a balance, and the lock that should guard it.
struct Account {
    balance: AtomicI64,
    lock: Lock,
}

impl Account {
    /// `balance = balance + n; balance = balance - n`, as two separate read-then-write
    /// steps each. Relaxed: atomicity of each single access is all we ask of the atomic; the
    /// lock (when used) provides the ordering.
    fn change_it(&self, n: i64) {
        let read = self.balance.load(Relaxed);
        self.balance.store(read + n, Relaxed);
        let read = self.balance.load(Relaxed);
        self.balance.store(read - n, Relaxed);
    }
}
// ANCHOR_END: account

/// Runs two threads (n = 5 and n = 8) doing `ROUNDS` changes each; returns the balance.
fn run(use_lock: bool) -> i64 {
    let account = Account {
        balance: AtomicI64::new(0),
        lock: Lock::new(),
    };
    let start = Barrier::new(2);
    thread::scope(|s| {
        for n in [5, 8] {
            let (account, start) = (&account, &start);
            s.spawn(move || {
                start.wait();
                // ANCHOR: loop
                for _ in 0..ROUNDS {
                    if use_lock {
                        let _held = account.lock.lock(); // `with lock:`
                        account.change_it(n);
                    } else {
                        account.change_it(n);
                    }
                }
                // ANCHOR_END: loop
            });
        }
    });
    account.balance.into_inner()
}

pub fn main() {
    println!("two threads, each doing `balance += n; balance -= n` {ROUNDS} times (n = 5 and 8)");
    // Lost updates can cancel out (a lost +5 and a lost -5 leave 0), so one run may end at 0
    // by luck. Try a few runs and show the first that went wrong.
    const TRIES: usize = 10;
    let unlocked = (1..=TRIES)
        .map(|try_| (try_, run(false)))
        .find(|&(_, b)| b != 0);
    match unlocked {
        Some((try_, balance)) => println!(
            "  without a lock: balance = {balance} (updates were lost; run {try_} of at most {TRIES})"
        ),
        None => println!(
            "  without a lock: balance = 0 in {TRIES} runs, by luck: the lost updates cancelled out"
        ),
    }
    let locked = run(true);
    assert_eq!(locked, 0, "with the lock no update can be lost");
    println!("  with a Lock:    balance = {locked} (always 0)");
}
