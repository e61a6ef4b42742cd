//! The `threadpool` package's request pattern, from the tutorial:
//!
//! ```python
//! from threadpool import ThreadPool, makeRequests
//! pool = ThreadPool(4)
//! requests = makeRequests(some_callable, list_of_args, callback)
//! for request in requests:
//!     pool.putRequest(request)
//! pool.wait()
//! ```
//!
//! `makeRequests` pairs a callable with each argument and a callback for its result;
//! `putRequest` queues one; `wait` blocks until all are done. With `syncsmith::futures` a
//! request is a submitted task whose future carries the callback
//! (`add_done_callback`), and `wait` is `futures::wait(.., AllCompleted)`.
//!
//! Run it alone with `cargo run --example futures_requests`; it is also a stop of the tour.

use std::sync::{Arc, Mutex};
use syncsmith::futures::{wait, Future, FutureError, ReturnWhen};
use syncsmith::ThreadPoolExecutor;

/// A work request: the callable's argument (the callable and callback are shared).
struct Request {
    arg: u64,
}

/// `makeRequests(callable, args, callback)`: one request per argument.
fn make_requests(args: impl IntoIterator<Item = u64>) -> Vec<Request> {
    args.into_iter().map(|arg| Request { arg }).collect()
}

/// The callable: the number of steps the Collatz sequence takes from `n` to 1.
fn collatz_steps(mut n: u64) -> u64 {
    let mut steps = 0;
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    steps
}

/// `putRequest`: queue one request; its callback runs when the result is ready.
fn put_request(
    pool: &ThreadPoolExecutor,
    request: Request,
    callback: impl FnOnce(u64, Result<&u64, &FutureError>) + Send + 'static,
) -> Future<u64> {
    let arg = request.arg;
    let future = pool.submit(move || collatz_steps(arg)).unwrap();
    future.add_done_callback(move |result| callback(arg, result));
    future
}

pub fn main() {
    let pool = ThreadPoolExecutor::new(4);
    let results = Arc::new(Mutex::new(Vec::new()));
    let requests = make_requests([27, 97, 871, 6171, 77_031, 837_799]);
    let futures: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let results = Arc::clone(&results);
            put_request(&pool, request, move |arg, steps| {
                results.lock().unwrap().push((arg, *steps.unwrap()))
            })
        })
        .collect();
    // `pool.wait()`.
    let done = wait(futures, ReturnWhen::AllCompleted);
    assert!(done.not_done.is_empty());
    // The callbacks ran in whichever thread finished each task; sort for a stable report.
    let mut results = results.lock().unwrap().clone();
    results.sort_unstable();
    for (arg, steps) in results {
        println!("collatz({arg}) reaches 1 after {steps} steps");
    }
}
