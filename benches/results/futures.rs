//! `syncsmith::futures::ThreadPoolExecutor` against the pool most Rust code would write
//! by hand: worker threads taking boxed tasks from a `crossbeam_channel`, each task
//! answering on its own one-slot channel. `docs/results/futures.md`.
//!
//! The anchors of issue 16 (the `threadpool` and `rayon` crates, CPython) are measured by
//! `cargo run --release --example futures_throughput`.

use crate::method::{contestant, Contestant};
use crate::report::{Ratio, Run, Table};
use std::thread;
use std::time::{Duration, Instant};

const OURS: &str = "syncsmith::ThreadPoolExecutor";
const ANCHOR: &str = "crossbeam_channel pool";
const WORKERS: usize = 4;

/// The tiny task every pool runs: the work is the pool's, not the task's.
fn task(i: u64) -> u64 {
    i.wrapping_mul(2)
}

/// The expected sum of `task(i)` over `0..tasks`.
fn expected(tasks: u64) -> u64 {
    (0..tasks).map(task).fold(0, u64::wrapping_add)
}

/// A fresh pool; `tasks` tasks submitted, then every result read in order; the pool shut
/// down (its workers joined) before the clock stops.
fn ours_submit(tasks: u64) -> Duration {
    let began = Instant::now();
    let pool = syncsmith::futures::ThreadPoolExecutor::new(WORKERS);
    let futures: Vec<_> = (0..tasks)
        .map(|i| match pool.submit(move || task(i)) {
            Ok(future) => future,
            Err(_) => panic!("the pool refused a task"),
        })
        .collect();
    let sum = futures
        .into_iter()
        .map(|f| f.result().expect("a task failed"))
        .fold(0u64, u64::wrapping_add);
    pool.shutdown(true, false);
    let took = began.elapsed();
    assert_eq!(sum, expected(tasks));
    took
}

/// The same through `map`, which keeps `2 * max_workers` tasks in flight.
fn ours_map(tasks: u64) -> Duration {
    let began = Instant::now();
    let pool = syncsmith::futures::ThreadPoolExecutor::new(WORKERS);
    let sum = pool
        .map(task, 0..tasks)
        .map(|r| r.expect("a task failed"))
        .fold(0u64, u64::wrapping_add);
    pool.shutdown(true, false);
    let took = began.elapsed();
    assert_eq!(sum, expected(tasks));
    took
}

type Job = Box<dyn FnOnce() + Send>;

/// The hand-written anchor: `WORKERS` threads draining one unbounded channel of jobs; each
/// task answers on its own `bounded(1)` channel, read in submission order.
fn anchor(tasks: u64) -> Duration {
    let began = Instant::now();
    let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let queue = queue.clone();
            thread::spawn(move || {
                for job in queue {
                    job();
                }
            })
        })
        .collect();
    let answers: Vec<_> = (0..tasks)
        .map(|i| {
            let (answer, result) = crossbeam_channel::bounded(1);
            jobs.send(Box::new(move || answer.send(task(i)).unwrap()))
                .unwrap();
            result
        })
        .collect();
    let sum = answers
        .into_iter()
        .map(|r| r.recv().unwrap())
        .fold(0u64, u64::wrapping_add);
    drop(jobs);
    for worker in workers {
        worker.join().unwrap();
    }
    let took = began.elapsed();
    assert_eq!(sum, expected(tasks));
    took
}

fn shape<'a>(ours: fn(u64) -> Duration, tasks: u64) -> Vec<Contestant<'a>> {
    vec![
        contestant(OURS, tasks, ours),
        contestant(ANCHOR, tasks, anchor),
    ]
}

/// The futures table: `docs/results/futures.md`.
pub fn futures_table(run: &Run) {
    let s = &run.settings;
    let tasks = s.work(100_000);
    let rows = vec![
        run.compare("`submit` + `result`: one task", shape(ours_submit, tasks)),
        run.compare("`map`: one task", shape(ours_map, tasks)),
    ];
    let table = Table {
        heading: "Shape: one task",
        columns: vec![OURS, ANCHOR],
        ratios: vec![Ratio {
            ours: OURS,
            anchor: ANCHOR,
        }],
        rows,
    };
    run.write_table(
        "futures.md",
        &table,
        &format!(
            "{tasks} tasks that each double a number, through a fresh pool of {WORKERS} \
             workers; the time runs from creating the pool to having every result and the \
             workers joined. The anchor is the pool most Rust code would write: threads \
             draining a `crossbeam_channel` of boxed tasks, each task answering on its own \
             one-slot channel."
        ),
    );
}
