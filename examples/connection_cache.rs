//! A per-thread connection cache: a `threading.local()` idiom of Python web code
//!
//! ```python
//! _local = threading.local()
//!
//! def get_connection():
//!     conn = getattr(_local, "conn", None)
//!     if conn is None:
//!         conn = _local.conn = connect(DATABASE_URL)   # once per thread
//!     return conn
//! ```
//!
//! Database connections are costly to open and not safe to share between threads, so each
//! worker thread opens one the first time it needs it, and reuses it for every request it
//! serves. No lock: no two threads ever touch the same connection. When a worker thread
//! ends, its connection is closed (dropped) with it.
//!
//! Here the cache is a field of a `Pool` value rather than a global: a `ThreadLocal` is an
//! ordinary object, and two pools have two separate caches. The connection "opens" with a
//! message, counts its queries, and "closes" in `Drop`. Eight requests go to three worker
//! threads (through a `syncsmith::Queue`); the output shows three connections opened, each
//! reused, and each closed when its worker ends. `for_each` sums the queries of the workers
//! still alive, a look at every thread's value that no reference escapes.
//!
//! Run it alone with `cargo run --example connection_cache`; it is also a stop of the tour.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::Duration;
use syncsmith::{Barrier, Queue, ThreadLocal};

/// A pretend database connection: opening it is what we want to do once per thread.
struct Connection {
    id: usize,
    /// Queries served. Only the owning thread adds to it; an atomic so that `for_each`
    /// may read it from another thread.
    queries: AtomicUsize,
}

impl Connection {
    fn open(id: usize) -> Connection {
        println!("  open connection #{id} (on {})", thread_name());
        Connection {
            id,
            queries: AtomicUsize::new(0),
        }
    }

    fn query(&self, request: u32) -> String {
        self.queries.fetch_add(1, Relaxed);
        format!("request {request} answered by connection #{}", self.id)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        println!(
            "  close connection #{} after {} queries (on {})",
            self.id,
            self.queries.load(Relaxed),
            thread_name()
        );
    }
}

fn thread_name() -> String {
    thread::current().name().unwrap_or("main").to_string()
}

// ANCHOR: pool
/// A pool of workers sharing nothing but a request queue; each has its own connection.
struct Pool {
    connections: ThreadLocal<Connection>,
    opened: AtomicUsize,
}

impl Pool {
    /// This thread's connection, opened on first use: `get_connection()`.
    fn connection(&self) -> syncsmith::LocalRef<'_, Connection> {
        self.connections
            .get_or(|| Connection::open(self.opened.fetch_add(1, Relaxed) + 1))
    }
}
// ANCHOR_END: pool

pub fn main() {
    const WORKERS: usize = 3;
    let pool = Pool {
        connections: ThreadLocal::new(),
        opened: AtomicUsize::new(0),
    };
    let requests: Queue<Option<u32>> = Queue::new(0);
    for request in 1..=8 {
        requests.put(Some(request)).unwrap();
    }
    for _ in 0..WORKERS {
        requests.put(None).unwrap(); // one "stop" per worker
    }
    // Workers wait here after their last request, so that the main thread can look at
    // every live worker's connection before they end.
    let done = Barrier::new(WORKERS + 1);
    let finish = Barrier::new(WORKERS + 1);

    thread::scope(|s| {
        let workers: Vec<_> = (1..=WORKERS)
            .map(|n| {
                let (pool, requests, done, finish) = (&pool, &requests, &done, &finish);
                thread::Builder::new()
                    .name(format!("worker-{n}"))
                    .spawn_scoped(s, move || {
                        // Every worker opens its connection before serving, so that all
                        // three show up even if one worker drains the queue.
                        pool.connection();
                        while let Ok(Some(request)) = requests.get() {
                            let answer = pool.connection().query(request);
                            println!("{}: {answer}", thread_name());
                            // Pretend the request takes a moment, so the work spreads.
                            thread::sleep(Duration::from_millis(5));
                        }
                        done.wait().unwrap();
                        finish.wait().unwrap();
                        // The connection is closed when this thread exits.
                    })
                    .expect("spawning a worker")
            })
            .collect();
        done.wait().unwrap();
        let mut total = 0;
        pool.connections
            .for_each(|connection| total += connection.queries.load(Relaxed));
        println!("live workers' connections served {total} queries in all");
        assert_eq!(total, 8);
        finish.wait().unwrap();
        for worker in workers {
            worker.join().unwrap(); // returns once the worker's connection is closed
        }
    });
    assert_eq!(pool.opened.load(Relaxed), WORKERS);
    println!("{WORKERS} connections opened for 8 requests: one per worker thread.");
}
