//! A pool of worker threads fed by a `Queue`, the structure of `multiprocessing.Pool`:
//!
//! ```python
//! def worker(inqueue, outqueue):
//!     while True:
//!         task = inqueue.get()
//!         if task is None:              # the sentinel: one per worker
//!             break
//!         job, i, func, args = task
//!         try:
//!             result = (True, func(*args))
//!         except Exception as e:
//!             result = (False, e)
//!         outqueue.put((job, i, result))
//! ```
//!
//! The pool puts tasks on an input queue and one `None` per worker when it closes; each
//! worker runs tasks until it meets a sentinel, and sends every result, success or
//! failure, back through an output queue (a `SimpleQueue`, as in `multiprocessing`). Python
//! 3.13 added a second way to stop workers, used by the second run below: `shutdown()`
//! makes `get` fail once the queue is drained, so no sentinel is needed.
//!
//! Run it alone with `cargo run --example worker_pool`; it is also a stop of the tour.

use std::sync::Arc;
use std::thread;
use syncsmith::{Queue, SimpleQueue};

/// One unit of work: its index and the number to test.
type Task = (usize, i64);
/// What comes back: the task's index and its result or error.
type Outcome = (usize, Result<bool, String>);

/// The "function" the pool maps: is `n` prime? Fails on negative input, as a Python
/// function would raise.
fn is_prime(n: i64) -> Result<bool, String> {
    if n < 0 {
        return Err(format!("is_prime({n}): negative input"));
    }
    Ok(n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0))
}

/// How the pool tells its workers to stop.
#[derive(Clone, Copy, Debug)]
enum Stop {
    /// One `None` per worker, as `multiprocessing.Pool` does.
    Sentinels,
    /// `shutdown(false)`: workers drain the queue, then `get` fails.
    Shutdown,
}

/// Runs `inputs` through `workers` threads; returns the outcomes in input order.
fn pool_map(inputs: &[i64], workers: usize, stop: Stop) -> Vec<Result<bool, String>> {
    let inqueue: Arc<Queue<Option<Task>>> = Arc::new(Queue::new(4));
    let outqueue: Arc<SimpleQueue<Outcome>> = Arc::new(SimpleQueue::new());
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (inq, outq) = (inqueue.clone(), outqueue.clone());
            thread::spawn(move || {
                let mut completed = 0;
                // Ends on a sentinel (`Ok(None)`) or on a shut-down queue (`Err`).
                while let Ok(Some((i, n))) = inq.get() {
                    outq.put((i, is_prime(n)));
                    completed += 1;
                }
                completed
            })
        })
        .collect();

    for task in inputs.iter().copied().enumerate() {
        inqueue.put(Some(task)).expect("the pool is open");
    }
    match stop {
        Stop::Sentinels => (0..workers).for_each(|_| inqueue.put(None).unwrap()),
        Stop::Shutdown => {
            inqueue.shutdown(false);
        }
    }

    let per_worker: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    println!("  {stop:?}: tasks per worker {per_worker:?}");
    let mut results: Vec<Option<Result<bool, String>>> = vec![None; inputs.len()];
    while let Ok((i, result)) = outqueue.try_get() {
        results[i] = Some(result);
    }
    results
        .into_iter()
        .map(|r| r.expect("every task sent a result"))
        .collect()
}

pub fn main() {
    let inputs = [2, 15, 17, -4, 7919, 1, 91, 97];
    let with_sentinels = pool_map(&inputs, 3, Stop::Sentinels);
    for (n, result) in inputs.iter().zip(&with_sentinels) {
        match result {
            Ok(prime) => println!("    {n:>5}: {}", if *prime { "prime" } else { "composite" }),
            Err(error) => println!("    {n:>5}: failed: {error}"),
        }
    }
    assert_eq!(with_sentinels[4], Ok(true));
    assert!(with_sentinels[3].is_err());
    let with_shutdown = pool_map(&inputs, 3, Stop::Shutdown);
    assert_eq!(with_shutdown, with_sentinels);
    println!("  same results either way");
}
