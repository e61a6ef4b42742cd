//! "Each thread handles its own student", from the Python tutorials' `ThreadLocal` lesson:
//!
//! ```python
//! import threading
//!
//! local_school = threading.local()          # one global object...
//!
//! def process_student():
//!     std = local_school.student            # ...but each thread sees its own student
//!     print('Hello, %s (in %s)' % (std, threading.current_thread().name))
//!
//! def process_thread(name):
//!     local_school.student = name
//!     process_student()
//!
//! t1 = threading.Thread(target=process_thread, args=('Alice',), name='Thread-A')
//! t2 = threading.Thread(target=process_thread, args=('Bob',), name='Thread-B')
//! t1.start(); t2.start(); t1.join(); t2.join()
//! ```
//!
//! The lesson's point: a student passed down every call (`do_task_1(std)`,
//! `do_subtask_2(std)`, ...) is tedious, a global is shared by every thread, and a global
//! dict keyed by the current thread is clumsy. A thread-local is a global whose value is
//! per thread: deep call chains read the current thread's student without being handed it.
//!
//! Here `SCHOOL` is a `static ThreadLocal`, like Python's module-level `local()`. Each
//! thread enrols its student once; the functions three calls down just ask `SCHOOL` for
//! "my student". When a thread ends, its student is dropped (the `Drop` below says so), as
//! Python frees a finished thread's `local` data.
//!
//! Run it alone with `cargo run --example student`; it is also a stop of the tour.

use std::cell::RefCell;
use std::thread;
use syncsmith::ThreadLocal;

// ANCHOR: school
/// One student, with the marks the tasks give them.
struct Student {
    name: String,
    marks: RefCell<Vec<u32>>,
}

impl Drop for Student {
    fn drop(&mut self) {
        println!("  {} leaves (their thread has ended)", self.name);
    }
}

/// Python's `local_school = threading.local()`: one object, a student per thread.
static SCHOOL: ThreadLocal<Student> = ThreadLocal::new();

/// The current thread's student. Panics if the thread never enrolled one, as Python's
/// `local_school.student` raises `AttributeError`.
fn my_student() -> syncsmith::LocalRef<'static, Student> {
    SCHOOL
        .get()
        .expect("this thread has no student: call enrol() first")
}
// ANCHOR_END: school

/// `process_thread`: enrol this thread's student, then run the tasks.
fn process_thread(name: &str) {
    SCHOOL.get_or(|| Student {
        name: name.to_string(),
        marks: RefCell::new(Vec::new()),
    });
    do_task_1();
    do_task_2();
    report();
}

// The tasks: none of them is handed the student.
fn do_task_1() {
    do_subtask(1);
    do_subtask(2);
}

fn do_task_2() {
    do_subtask(3);
}

fn do_subtask(number: u32) {
    let student = my_student();
    let mark = student.name.len() as u32 * 10 + number;
    student.marks.borrow_mut().push(mark);
}

/// `process_student`: greet the current thread's student.
fn report() {
    let student = my_student();
    println!(
        "Hello, {} (in {}): marks {:?}",
        student.name,
        thread::current().name().unwrap_or("?"),
        student.marks.borrow()
    );
}

pub fn main() {
    let threads: Vec<_> = [("Alice", "Thread-A"), ("Bob", "Thread-B")]
        .into_iter()
        .map(|(student, thread_name)| {
            thread::Builder::new()
                .name(thread_name.to_string())
                .spawn(move || process_thread(student))
                .expect("spawning a thread")
        })
        .collect();
    // One at a time, so that the output reads in order.
    for thread in threads {
        thread.join().unwrap();
    }
    // The main thread never enrolled anyone: it sees no student.
    assert!(SCHOOL.get().is_none());
    println!("The main thread has no student of its own.");
}
