//! The tutorial's `concurrent.futures` program: a pool of two workers "downloads" three
//! pages that take 3, 2 and 4 time units, and the results are read three ways.
//!
//! ```python
//! executor = ThreadPoolExecutor(max_workers=2)
//! urls = [3, 2, 4]
//! all_task = [executor.submit(get_url, url) for url in urls]
//! wait(all_task)                      # or:
//! for future in as_completed(all_task):
//!     print("get page {}".format(future.result()))
//! for data in executor.map(get_url, urls):
//!     print("get page {}".format(data))
//! ```
//!
//! `as_completed` yields each future as it finishes (page 2 first), `map` yields results in
//! input order, and `wait` just waits. One time unit is 20 ms here, so the run is quick.
//!
//! Run it alone with `cargo run --example futures_as_completed`; it is also a stop of the
//! tour.

use std::time::Duration;
use syncsmith::futures::{as_completed, wait, ReturnWhen};
use syncsmith::ThreadPoolExecutor;

/// One time unit of "download".
const UNIT: Duration = Duration::from_millis(20);

/// The tutorial's `get_url`: sleeps `times` units, then returns `times`.
fn get_url(times: u32) -> u32 {
    std::thread::sleep(UNIT * times);
    times
}

pub fn main() {
    let executor = ThreadPoolExecutor::new(2);
    let urls = [3, 2, 4];

    // submit + wait: block until all three are done.
    let all_task: Vec<_> = urls
        .iter()
        .map(|&url| executor.submit(move || get_url(url)).unwrap())
        .collect();
    let done = wait(all_task, ReturnWhen::AllCompleted);
    println!("all task done ({} finished)", done.done.len());

    // submit + as_completed: in the order they finish.
    let all_task: Vec<_> = urls
        .iter()
        .map(|&url| executor.submit(move || get_url(url)).unwrap())
        .collect();
    for future in as_completed(all_task) {
        println!("as_completed: get page {}", future.result().unwrap());
    }

    // map: in input order.
    for data in executor.map(get_url, urls) {
        println!("map: get page {}", data.unwrap());
    }

    // done() and cancel(): the tutorial's other two calls.
    let task1 = executor.submit(|| get_url(3)).unwrap();
    let task2 = executor.submit(|| get_url(2)).unwrap();
    let task3 = executor.submit(|| get_url(1)).unwrap();
    println!("task1 done right away? {}", task1.done());
    // Both workers are busy with task1 and task2, so task3 has not started: it cancels.
    println!("task3 cancelled? {}", task3.cancel());
    println!(
        "task1 = {}, task2 = {}",
        task1.result().unwrap(),
        task2.result().unwrap()
    );
}
