//! A URL-fetch fan-out, the classic use of a thread pool: many slow "requests" at once, the
//! results handled as they arrive, a failure reported without stopping the rest, and a
//! deadline after which the stragglers are given up on (and cancelled if not started).
//!
//! No network: `fetch` sleeps a made-up latency and returns a made-up page size, and one
//! "host" fails (the task panics, as a Python task would raise).
//!
//! Run it alone with `cargo run --example futures_fetch`; it is also a stop of the tour.

use std::collections::HashMap;
use std::time::Duration;
use syncsmith::futures::{as_completed_timeout, FutureError};
use syncsmith::ThreadPoolExecutor;

/// The pretend web: (url, latency in ms, page size); a size of 0 means the host is down.
const SITES: &[(&str, u64, usize)] = &[
    ("https://example.org/", 30, 1256),
    ("https://example.net/docs", 10, 48_213),
    ("https://example.com/down", 20, 0),
    ("https://example.edu/papers", 50, 9_870),
    ("https://example.io/slow", 2_000, 77),
];

/// "Fetch" a page: wait its latency, then return its size, or fail if the host is down.
fn fetch(url: &'static str, latency_ms: u64, size: usize) -> usize {
    std::thread::sleep(Duration::from_millis(latency_ms));
    if size == 0 {
        panic!("connection refused: {url}");
    }
    size
}

pub fn main() {
    // The failing fetch panics on purpose; its future reports it. Keep the default panic
    // message (and backtrace) off the screen while the pool runs, and put it back after.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    fan_out();
    std::panic::set_hook(default_hook);
}

fn fan_out() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(4)
        .thread_name_prefix("fetcher")
        .build();
    // Key each future by its id, as Python keys a dict by the future.
    let mut urls = HashMap::new();
    let futures: Vec<_> = SITES
        .iter()
        .map(|&(url, latency, size)| {
            let future = pool.submit(move || fetch(url, latency, size)).unwrap();
            urls.insert(future.id(), url);
            future
        })
        .collect();

    for next in as_completed_timeout(futures, Duration::from_millis(500)) {
        match next {
            Ok(future) => {
                let url = urls[&future.id()];
                match future.result() {
                    Ok(size) => println!("{url:<28} {size:>7} bytes"),
                    Err(FutureError::Panicked(_)) => println!("{url:<28} failed"),
                    Err(other) => println!("{url:<28} {other}"),
                }
            }
            Err(timed_out) => {
                println!("deadline: {timed_out}");
                for future in timed_out.into_pending() {
                    let url = urls[&future.id()];
                    // Already running: it cannot be cancelled; we stop waiting for it.
                    println!("{url:<28} given up (cancelled: {})", future.cancel());
                }
            }
        }
    }
    // Dropping the pool waits for the slow fetch that was already running.
}
