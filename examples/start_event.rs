//! Workers that wait for a start signal, an `Event`: the Python tutorials' example.
//!
//! ```python
//! event = threading.Event()
//!
//! def func():
//!     print('%s wait for event...' % threading.current_thread().name)
//!     event.wait()
//!     print('%s recv event.' % threading.current_thread().name)
//!
//! t1 = threading.Thread(target=func); t2 = threading.Thread(target=func)
//! t1.start(); t2.start()
//! time.sleep(2)
//! print('MainThread set event.')
//! event.set()
//! ```
//!
//! Every thread that waits on an event is released by one `set`, and a thread that
//! arrives after the `set` does not wait at all (until someone calls `clear`). That makes
//! an event the natural start gate; the tutorial's other use is one event per thread, say
//! "the user is logged in, start receiving messages".
//!
//! Run it alone with `cargo run --example start_event`.

use std::thread;
use std::time::Duration;
use syncsmith::Event;

// ANCHOR: start_event
static START: Event = Event::new();

pub fn main() {
    START.clear(); // the tour may run this twice
    let workers: Vec<_> = (1..=3)
        .map(|n| {
            thread::spawn(move || {
                println!("worker {n}: waiting for the start signal...");
                START.wait();
                println!("worker {n}: got it, working");
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(50));
    println!("main: set the event");
    START.set();
    for worker in workers {
        worker.join().unwrap();
    }
    // A latecomer does not wait: the flag is still up.
    assert!(START.wait_timeout(Duration::ZERO));
    println!("main: a latecomer passes at once, the event is still set");
}
// ANCHOR_END: start_event
