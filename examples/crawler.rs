//! A crawler that starts 20 fetch jobs but lets only 3 run at once, with a `Semaphore`:
//! the Python tutorials' `HtmlSpider` / `UrlProducer`.
//!
//! ```python
//! class HtmlSpider(threading.Thread):
//!     def run(self):
//!         time.sleep(2)           # fetch the page
//!         print('success!')
//!         self.sem.release()      # released by the worker...
//!
//! class UrlProducer(threading.Thread):
//!     def run(self):
//!         for i in range(20):
//!             self.sem.acquire()  # ...acquired by the producer
//!             HtmlSpider('http://www.baidu.com', self.sem).start()
//!
//! sem = threading.Semaphore(3)
//! ```
//!
//! The permit is taken by the producer and given back by the worker: a semaphore's
//! permits belong to no thread. In Rust the producer takes a `SemaphorePermit` and moves
//! it into the worker, which gives it back by dropping it. The semaphore is a `static`
//! (`Semaphore::new` is `const`), so the permit can travel to a thread of its own.
//! The workers also record how many fetches run at once; the maximum is printed at the
//! end, and it is never more than 3.
//!
//! Run it alone with `cargo run --example crawler`.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::Duration;
use syncsmith::Semaphore;

/// At most this many fetches at once.
const AT_ONCE: usize = 3;
/// How many pages to fetch.
const JOBS: usize = 20;

// ANCHOR: crawler
static SLOTS: Semaphore = Semaphore::new(AT_ONCE);
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST_AT_ONCE: AtomicUsize = AtomicUsize::new(0);

/// "Fetches" a page: counts itself in, sleeps as a download would, counts itself out.
fn fetch(job: usize) {
    let now = RUNNING.fetch_add(1, Relaxed) + 1;
    MOST_AT_ONCE.fetch_max(now, Relaxed);
    thread::sleep(Duration::from_millis(10 + (job % 4) as u64 * 5));
    RUNNING.fetch_sub(1, Relaxed);
}

pub fn main() {
    let producer = thread::spawn(|| {
        let mut workers = Vec::new();
        for job in 0..JOBS {
            let permit = SLOTS.permit(); // waits while 3 fetches are running
            workers.push(thread::spawn(move || {
                fetch(job);
                println!("fetched page {job:2}: success!");
                drop(permit); // the worker gives the permit back
            }));
        }
        for worker in workers {
            worker.join().unwrap();
        }
    });
    producer.join().unwrap();
    // ANCHOR_END: crawler
    println!(
        "{JOBS} pages fetched, at most {} at once (the semaphore allows {AT_ONCE})",
        MOST_AT_ONCE.load(Relaxed)
    );
    assert!(MOST_AT_ONCE.load(Relaxed) <= AT_ONCE);
    assert_eq!(SLOTS.value(), AT_ONCE);
}
