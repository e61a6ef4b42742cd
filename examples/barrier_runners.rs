//! A race of four runners with two `Barrier`s: one at the start line (whose action fires
//! the starting gun once everybody is there) and one at the finish, whose arrival index is
//! each runner's place.
//!
//! ```python
//! start = threading.Barrier(4, action=lambda: print("Ready, set, go!"))
//! finish = threading.Barrier(4)
//!
//! def runner(n):
//!     print(f"runner {n} at the start line")
//!     start.wait()
//!     time.sleep(...)                 # run
//!     place = finish.wait()           # 0 for the first to arrive
//!     print(f"runner {n} finished, place {place + 1}")
//! ```
//!
//! `wait` returns the thread's arrival index: 0 for the first to arrive, `parties - 1`
//! for the last. At the finish line that is the order the runners came in.
//!
//! Run it alone with `cargo run --example barrier_runners`.

use std::sync::Arc;
use std::thread;
use std::time::Duration;
use syncsmith::Barrier;

const RUNNERS: usize = 4;

// ANCHOR: runners
pub fn main() {
    let start = Arc::new(Barrier::with_action(RUNNERS, || {
        println!("everyone is at the start line: ready, set, go!")
    }));
    let finish = Arc::new(Barrier::new(RUNNERS));
    let runners: Vec<_> = (1..=RUNNERS)
        .map(|n| {
            let (start, finish) = (Arc::clone(&start), Arc::clone(&finish));
            thread::spawn(move || {
                println!("runner {n} at the start line");
                start.wait().expect("nobody breaks the start barrier");
                // Runner 1 is the slowest, runner 4 the fastest.
                thread::sleep(Duration::from_millis(20 * (RUNNERS + 1 - n) as u64));
                let place = finish.wait().expect("nobody breaks the finish barrier");
                (n, place + 1)
            })
        })
        .collect();
    let mut results: Vec<(usize, usize)> = runners.into_iter().map(|r| r.join().unwrap()).collect();
    results.sort_by_key(|&(_, place)| place);
    for (n, place) in results {
        println!("place {place}: runner {n}");
    }
}
// ANCHOR_END: runners
