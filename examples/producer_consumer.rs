//! Producer and consumers with `task_done` / `join`, the `queue` module's own example:
//!
//! ```python
//! q = queue.Queue(maxsize=3)
//!
//! def worker():
//!     while True:
//!         item = q.get()
//!         print(f'Working on {item}')
//!         q.task_done()
//!
//! threading.Thread(target=worker, daemon=True).start()
//! for item in range(10):
//!     q.put(item)            # blocks while 3 items wait
//! q.join()                   # until every item is marked done
//! print('All work completed')
//! ```
//!
//! Python's workers are daemon threads that die with the program. Rust has no daemon
//! threads, so once `join` has returned, `shutdown` stops the workers: their next `get`
//! fails with `ShutDown` and the loop ends. `join` counts *tasks*, not items in the queue:
//! an item a worker has taken but not yet marked done still keeps `join` waiting.
//!
//! Run it alone with `cargo run --example producer_consumer`; it is also a stop of the tour.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::Duration;
use syncsmith::Queue;

/// What the workers compute: the sum of the squares of the items.
static TOTAL: AtomicU64 = AtomicU64::new(0);
static JOBS: Queue<u64> = Queue::new(3);

fn worker(name: &str) -> usize {
    let mut done = 0;
    while let Ok(item) = JOBS.get() {
        thread::sleep(Duration::from_millis(2)); // the "work"
        TOTAL.fetch_add(item * item, Relaxed);
        done += 1;
        // Only now is the item finished: `join` may return once every item got here.
        JOBS.task_done().expect("one task_done per item got");
    }
    println!("  {name} stops after {done} items (the queue was shut down)");
    done
}

pub fn main() {
    let workers: Vec<_> = ["worker-1", "worker-2"]
        .into_iter()
        .map(|name| thread::spawn(move || worker(name)))
        .collect();

    for item in 1..=10 {
        JOBS.put(item).expect("the queue is open");
    }
    println!("  all 10 items put (at most 3 ever waited in the queue)");

    JOBS.join();
    println!(
        "  join returned: every item was marked done; sum of squares = {}",
        TOTAL.load(Relaxed)
    );
    assert_eq!(TOTAL.load(Relaxed), (1..=10u64).map(|i| i * i).sum::<u64>());

    JOBS.shutdown(false);
    let done: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(done, 10);
    println!("  All work completed");
}
