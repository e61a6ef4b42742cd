//! A job scheduler on a `PriorityQueue`:
//!
//! ```python
//! jobs = queue.PriorityQueue()
//! jobs.put((2, 'send newsletter'))
//! jobs.put((0, 'page the on-call engineer'))
//! ...
//! while True:
//!     priority, name = jobs.get()
//!     ...
//! ```
//!
//! The smallest priority runs first. Python's `PriorityQueue` breaks ties by comparing the
//! next tuple element (here the names, alphabetically), and raises if those cannot be
//! compared; syncsmith's ties leave in the order they came, so the jobs below compare by
//! priority only and equal priorities run first come, first served.
//!
//! The scheduler thread waits until the first batch has been submitted (so that the order
//! printed does not depend on thread timing), then runs jobs until the queue is shut down.
//!
//! Run it alone with `cargo run --example priority_scheduler`; it is also a stop of the tour.

use std::cmp::Ordering;
use std::sync::Arc;
use std::thread;
use syncsmith::{Event, PriorityQueue};

/// A job: lower `priority` runs sooner. Ordered by priority only, so equal priorities are
/// ties, which the queue keeps in submission order.
#[derive(Debug)]
struct Job {
    priority: u8,
    name: &'static str,
}

impl Ord for Job {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority.cmp(&other.priority)
    }
}
impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.priority == other.priority
    }
}
impl Eq for Job {}

pub fn main() {
    let jobs = Arc::new(PriorityQueue::<Job>::new(0));
    let go = Arc::new(Event::new());
    let scheduler = {
        let (jobs, go) = (jobs.clone(), go.clone());
        thread::spawn(move || {
            go.wait();
            let mut ran = Vec::new();
            // `get` fails once the queue is shut down and drained.
            while let Ok(job) = jobs.get() {
                println!("  run  [{}] {}", job.priority, job.name);
                ran.push(job.name);
            }
            ran
        })
    };

    for (priority, name) in [
        (2, "send newsletter"),
        (1, "rotate logs"),
        (0, "page the on-call engineer"),
        (2, "rebuild search index"),
        (1, "back up database"),
        (0, "renew TLS certificate"),
    ] {
        println!("  submit [{priority}] {name}");
        jobs.put(Job { priority, name })
            .expect("the scheduler is open");
    }
    go.set();
    jobs.shutdown(false); // no more jobs: the scheduler drains the queue, then stops
    let ran = scheduler.join().unwrap();
    assert_eq!(
        ran,
        [
            "page the on-call engineer",
            "renew TLS certificate",
            "rotate logs",
            "back up database",
            "send newsletter",
            "rebuild search index",
        ]
    );
}
