//! The syncsmith tour: `cargo run --example tour`.
//!
//! Each stop is one of the programs in `examples/` (the Python tutorials' classic
//! threading programs, rewritten with syncsmith). Every example file exposes `pub fn main()`
//! so it also runs alone (`cargo run --example <name>`); the tour includes the file as a
//! module and calls the stops in order, printing a heading before each.
//!
//! Add a stop (two small edits):
//! 1. a `#[path = "<file>.rs"] mod <file>;` line in the "stops" block below;
//! 2. a `("<heading>", <file>::main),` line at the end of `STOPS`.
//!
//! Then run `rustfmt --edition 2021 examples/tour.rs`: it sorts the `mod` lines by name
//! (harmless: `STOPS` alone decides the order) and splits a stop whose heading is long.
//!
//! Keep each stop fast (the whole tour runs in seconds in debug mode) and its output
//! deterministic enough to read.

// ---- stops: one `mod` line per example file (rustfmt keeps them sorted) ----
#[path = "barrier_runners.rs"]
mod barrier_runners;
#[path = "condition_conversation.rs"]
mod condition_conversation;
#[path = "connection_cache.rs"]
mod connection_cache;
#[path = "crawler.rs"]
mod crawler;
#[path = "futures_as_completed.rs"]
mod futures_as_completed;
#[path = "futures_fetch.rs"]
mod futures_fetch;
#[path = "futures_requests.rs"]
mod futures_requests;
#[path = "lost_update.rs"]
mod lost_update;
#[path = "priority_scheduler.rs"]
mod priority_scheduler;
#[path = "producer_consumer.rs"]
mod producer_consumer;
#[path = "start_event.rs"]
mod start_event;
#[path = "student.rs"]
mod student;
#[path = "worker_pool.rs"]
mod worker_pool;

/// The stops, in order: a heading and the example's `main`.
const STOPS: &[(&str, fn())] = &[
    ("Lost updates, and the Lock", lost_update::main),
    (
        "A conversation: two threads taking turns on a Condition",
        condition_conversation::main,
    ),
    (
        "A crawler: 20 fetches, 3 at once, with a Semaphore",
        crawler::main,
    ),
    ("Workers waiting for a start Event", start_event::main),
    ("A race of runners: two Barriers", barrier_runners::main),
    (
        "Producer and consumers: Queue, task_done and join",
        producer_consumer::main,
    ),
    ("A worker pool fed by a Queue", worker_pool::main),
    (
        "A job scheduler on a PriorityQueue",
        priority_scheduler::main,
    ),
    (
        "Each thread handles its own student: ThreadLocal",
        student::main,
    ),
    ("A per-thread connection cache", connection_cache::main),
    (
        "A thread pool: submit, as_completed and map",
        futures_as_completed::main,
    ),
    ("A fan-out of fetches with a deadline", futures_fetch::main),
    (
        "The threadpool package's requests, with callbacks",
        futures_requests::main,
    ),
    // ---- add your stop above this line ----
];

fn main() {
    println!("syncsmith: a tour of Python's threading primitives, rebuilt in Rust\n");
    for (number, (heading, stop)) in STOPS.iter().enumerate() {
        println!("== {}. {heading} ==", number + 1);
        stop();
        println!();
    }
    println!("End of the tour. The book explains each stop: `mdbook serve`.");
}
