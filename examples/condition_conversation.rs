//! Two threads taking turns on one `Condition`: the client/server conversation of the
//! Python tutorials.
//!
//! ```python
//! class Client(threading.Thread):
//!     def run(self):
//!         with self.cond:
//!             self.cond.wait()
//!             print("client saying")
//!             self.cond.notify()
//!
//! class Server(threading.Thread):
//!     def run(self):
//!         with self.cond:
//!             print("server saying")
//!             self.cond.notify()
//!             self.cond.wait()
//!
//! cond = threading.Condition()
//! client.start()   # must start first!
//! server.start()
//! ```
//!
//! The Python version only works if the client is already waiting when the server
//! notifies: a notify with nobody waiting is not remembered, and a client that starts late
//! waits for ever (the condition chapter, and the bug zoo, explain why). Here each speaker
//! waits for a *predicate*, "it is my turn", which is state the lock protects, so the
//! order in which the threads start no longer matters.
//!
//! Run it alone with `cargo run --example condition_conversation`.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use syncsmith::Condition;

/// The lines of the conversation, in order; the server speaks the even ones.
const SCRIPT: &[&str] = &[
    "server: Hello, client.",
    "client: Hello, server.",
    "server: What can I do for you?",
    "client: The time, please.",
    "server: It is tea time.",
    "client: Thank you. Goodbye!",
];

// ANCHOR: conversation
/// One condition (over Python's default, an `RLock`) and whose turn it is. `line` is only
/// read and written with the condition's lock held; it is an atomic only because a
/// `Condition`, like Python's, guards no data of its own.
struct Conversation {
    cond: Condition,
    line: AtomicUsize,
}

impl Conversation {
    /// Speaks every line of `SCRIPT` whose number has the given parity.
    fn speak(&self, parity: usize) {
        let _held = self.cond.lock(); // `with cond:`
        loop {
            // Wait for our turn (or for the end of the script).
            self.cond
                .wait_for(|| {
                    let line = self.line.load(Relaxed);
                    line >= SCRIPT.len() || line % 2 == parity
                })
                .expect("we hold the lock");
            let line = self.line.load(Relaxed);
            if line >= SCRIPT.len() {
                return;
            }
            println!("{}", SCRIPT[line]);
            self.line.store(line + 1, Relaxed);
            // Hand the turn over. `wait_for` releases the lock while we wait again.
            self.cond.notify_one().expect("we hold the lock");
        }
    }
}
// ANCHOR_END: conversation

pub fn main() {
    let talk = Arc::new(Conversation {
        cond: Condition::new(),
        line: AtomicUsize::new(0),
    });
    // The client starts first here, but the order no longer matters.
    let client = {
        let talk = Arc::clone(&talk);
        thread::spawn(move || talk.speak(1))
    };
    let server = {
        let talk = Arc::clone(&talk);
        thread::spawn(move || talk.speak(0))
    };
    client.join().unwrap();
    server.join().unwrap();
}
