//! Helpers shared by every loom model file (`mod common;` at the top of a `loom-tests/*.rs`).
//!
//! - [`model`] runs a model with a preemption bound the environment can override, so CI and
//!   the mutants tool can tighten or widen the search with `LOOM_MAX_PREEMPTIONS`.
//! - [`model3`] is the same with [`THREE_THREAD_BOUND`], for the models with three threads.
//! - [`Seen`] records which outcomes of a race the executions produced, so that a model can
//!   assert that loom explored both sides.
//! - [`expect_model_failure`] proves that a deliberately broken model *fails*: the bug zoo's
//!   way of showing that loom finds a bug, not just that the good code passes.
//!
//! Each model file is its own test crate and uses only some of these items, hence the
//! `#[allow(dead_code)]`s.

use std::process::Command;
use syncsmith::runtime::{Fairness, Loom};

/// The preemption bound used when `LOOM_MAX_PREEMPTIONS` is not set.
///
/// Three preemptions are enough for every bug in the bug zoo, and keep each model file well
/// under a minute in debug mode. With 0 preemptions no thread is ever parked while another
/// holds a lock, so the slow paths would never run: do not lower it below 2.
#[allow(dead_code)]
pub const DEFAULT_PREEMPTION_BOUND: usize = 3;

/// Runs `f` under loom, exploring every interleaving within the preemption bound.
///
/// The environment wins: `LOOM_MAX_PREEMPTIONS`, `LOOM_MAX_BRANCHES`, `LOOM_LOCATION`,
/// `LOOM_CHECKPOINT_FILE` and the rest are read by `Builder::new()`; only when
/// `LOOM_MAX_PREEMPTIONS` is absent do we fill in [`DEFAULT_PREEMPTION_BOUND`]. `LOOM_LOG`
/// is honoured by installing a `tracing` subscriber (see `check_with_policy`).
/// loom's own default for `max_branches` (1000 per execution) is plenty for our small
/// models, whose threads never spin under `Loom` (its `SPIN_ROUNDS` is 0).
// ANCHOR: model
#[allow(dead_code)]
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    check_under_both_fairness_policies(DEFAULT_PREEMPTION_BOUND, f);
}
// ANCHOR_END: model

/// The preemption bound of the three-thread models when `LOOM_MAX_PREEMPTIONS` is not set.
///
/// Three threads at bound 3 take many times as long as at 2 (about ten seconds instead of
/// one for a queue model, minutes for some condition and semaphore models), and every bug
/// these models are meant to catch (checked by breaking the code, and by the mutants tool)
/// still shows at 2: a lost notify or an unchecked predicate needs one thread preempted
/// inside the operation, and one more to run the other side.
#[allow(dead_code)]
pub const THREE_THREAD_BOUND: usize = 2;

/// [`model`] for the models with three threads: the bound is [`THREE_THREAD_BOUND`] unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise.
#[allow(dead_code)]
pub fn model3<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    check_under_both_fairness_policies(THREE_THREAD_BOUND, f);
}

/// Runs the model twice: once where no slow release hands a lock off (`be_fair` is never
/// true: a woken thread competes again, and a lone waiter is woken without a hand-off),
/// once where every one does. `Fairness::Explore` would try both at every unpark, in every
/// combination, but costs ten times as much on the queue and condition models; the two
/// fixed policies show every slow release both ways.
// ANCHOR: both_policies
#[allow(dead_code)]
pub fn check_under_both_fairness_policies<F>(bound: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let f = std::sync::Arc::new(f);
    for policy in [Fairness::Never, Fairness::Always] {
        let f = std::sync::Arc::clone(&f);
        check_with_policy(bound, policy, move || f());
    }
    Loom::set_fairness(Fairness::Explore);
}
// ANCHOR_END: both_policies

/// Runs the model with `be_fair` a choice that loom explores at every unpark
/// ([`Fairness::Explore`]): for the small models where every combination is affordable.
#[allow(dead_code)]
pub fn model_exploring_fairness<F>(bound: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    check_with_policy(bound, Fairness::Explore, f);
}

/// One `Builder::check` of the model under `policy`, with the debugging aids that loom
/// reads from the environment made to work.
///
/// - `LOOM_LOG`: loom logs through `tracing`, and only `loom::model` (not
///   `Builder::check`) installs a subscriber, so without this nothing is printed. The
///   variable is a `tracing` filter: `LOOM_LOG=trace` prints every operation,
///   `LOOM_LOG=info` a marker at each thread switch, `LOOM_LOG=loom::model=info` only the
///   number of executions each check explored.
/// - `LOOM_CHECKPOINT_FILE`: each policy searches a different tree of executions, so each
///   keeps its own file (`x.json` becomes `x.never.json` and `x.always.json`; `Explore`
///   uses `x.json`), and a replay resumes the search it was saved from.
// ANCHOR: check_with_policy
#[allow(dead_code)]
fn check_with_policy<F>(bound: usize, policy: Fairness, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    Loom::set_fairness(policy);
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = builder.preemption_bound.or(Some(bound));
    if let Some(file) = builder.checkpoint_file.take() {
        builder.checkpoint_file = Some(checkpoint_file_for(file, policy));
    }
    let _log = std::env::var_os("LOOM_LOG").map(|_| {
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("LOOM_LOG"))
            .with_test_writer()
            .without_time()
            .with_ansi(false)
            .finish()
            .set_default()
    });
    // The lot first, before the model spawns a thread (see `Loom::create_parking_lot`).
    builder.check(move || {
        Loom::create_parking_lot();
        f()
    });
}
// ANCHOR_END: check_with_policy

/// `x.json` → `x.never.json` / `x.always.json` (`x.json` itself under `Explore`).
#[allow(dead_code)]
fn checkpoint_file_for(file: std::path::PathBuf, policy: Fairness) -> std::path::PathBuf {
    let tag = match policy {
        Fairness::Explore => return file,
        Fairness::Never => "never",
        Fairness::Always => "always",
    };
    let extension = file
        .extension()
        .map(|e| format!("{tag}.{}", e.to_string_lossy()))
        .unwrap_or_else(|| tag.to_string());
    file.with_extension(extension)
}

/// Which outcomes of a race some execution produced, across all executions of a model, so
/// that the model can assert afterwards that loom really explored both sides of the race.
///
/// Use it as a `static` inside the test, record in the model closure, check after
/// [`model`] returns. Plain std atomics: they live outside the model, loom does not track
/// them.
#[allow(dead_code)]
pub struct Seen {
    yes: std::sync::atomic::AtomicBool,
    no: std::sync::atomic::AtomicBool,
}

#[allow(dead_code)]
impl Seen {
    pub const fn new() -> Self {
        Seen {
            yes: std::sync::atomic::AtomicBool::new(false),
            no: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Notes that some execution ended with `outcome`.
    pub fn record(&self, outcome: bool) {
        let slot = if outcome { &self.yes } else { &self.no };
        slot.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether both outcomes have been recorded.
    pub fn both(&self) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.yes.load(Relaxed) && self.no.load(Relaxed)
    }
}

/// What loom prints when every thread is blocked (a lost wake-up, usually).
#[allow(dead_code)]
pub const LOOM_DEADLOCK: &str = "deadlock; threads =";
/// What loom prints when two accesses to an `UnsafeCell` are not ordered by happens-before
/// (a data race: a missing `Release`/`Acquire`, or no mutual exclusion at all).
#[allow(dead_code)]
pub const LOOM_DATA_RACE: &str = "Causality violation";

/// Asserts that the `#[ignore]`d model test `test_name` fails, and that its output contains
/// at least one of `expected` (loom's complaint, or the model's own assertion message).
/// Returns the child's combined stdout and stderr, so the caller may print it.
///
/// # Why a child process
///
/// A broken model cannot simply be run under `#[should_panic]` or `catch_unwind`: when
/// loom finds a deadlock it panics while model threads (loom runs them as generators) still
/// hold state whose destructors panic again during cleanup, and a panic during a panic
/// *aborts the whole process*. That would take every other test in the binary down with it
/// and report nothing useful. So the broken model lives in an `#[ignore]`d test (a plain
/// `cargo test` never runs it), and a normal test re-runs the current test binary, asking
/// libtest for exactly that one test:
///
/// ```text
/// <this test binary> <test_name> --exact --ignored --nocapture
/// ```
///
/// A failing child (exit status not success, whether by a reported test failure or an
/// abort) whose output names the expected complaint proves loom found the bug.
///
/// `test_name` is the libtest name (`module::test`); a leading `<crate name>::`, as
/// `concat!(module_path!(), "::test")` produces, is stripped. The child runs with
/// `LOOM_MAX_PREEMPTIONS` = [`DEFAULT_PREEMPTION_BOUND`], whatever the parent's is.
#[allow(dead_code)]
pub fn expect_model_failure(test_name: &str, expected: &[&str]) -> String {
    expect_model_failure_with_bound(test_name, expected, DEFAULT_PREEMPTION_BOUND)
}

/// [`expect_model_failure`] with the child's preemption bound chosen by the caller, for a
/// bug that needs more preemptions than [`DEFAULT_PREEMPTION_BOUND`] to show.
///
/// The child's `LOOM_MAX_PREEMPTIONS` is always set explicitly (it does not inherit the
/// parent's): a bug-zoo entry claims "loom finds this bug with this bound", and a parent
/// run with a lower bound (`LOOM_MAX_PREEMPTIONS=0` to make the good models quick) must not
/// turn that claim into a false failure.
#[allow(dead_code)]
pub fn expect_model_failure_with_bound(
    test_name: &str,
    expected: &[&str],
    preemption_bound: usize,
) -> String {
    let crate_prefix = concat!(env!("CARGO_CRATE_NAME"), "::");
    let test_name = test_name.strip_prefix(crate_prefix).unwrap_or(test_name);

    // ANCHOR: child
    let exe = std::env::current_exe().expect("the path of the running test binary");
    let output = Command::new(exe)
        .args([test_name, "--exact", "--ignored", "--nocapture"])
        .env("LOOM_MAX_PREEMPTIONS", preemption_bound.to_string())
        // One thread: only one test runs anyway, and the output stays in order.
        .env("RUST_TEST_THREADS", "1")
        // Short output: a backtrace would bury loom's message.
        .env("RUST_BACKTRACE", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("re-running the test binary");
    // ANCHOR_END: child
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    // Guard against a misspelt name: libtest would run no test and succeed.
    assert!(
        text.contains("running 1 test"),
        "expected the child to run exactly the ignored test `{test_name}`; output:\n{text}"
    );
    assert!(
        !output.status.success(),
        "the broken model `{test_name}` passed: loom did not find the bug; output:\n{text}"
    );
    assert!(
        expected.iter().any(|needle| text.contains(needle)),
        "the broken model `{test_name}` failed, but not with any of {expected:?}; output:\n{text}"
    );
    text
}

/// The panic messages in a child's output (each `thread '..' panicked at ..:` line and the
/// message under it), without backtraces: what loom said, short enough to print.
#[allow(dead_code)]
pub fn panic_messages(output: &str) -> String {
    let mut report = String::new();
    let mut in_message = false;
    for line in output.lines() {
        if line.starts_with("thread '") && line.contains(" panicked at ") {
            in_message = true;
        } else if line.is_empty()
            || line.starts_with("note: ")
            || line.starts_with("stack backtrace:")
        {
            in_message = false;
        }
        if in_message {
            report.push_str(line);
            report.push('\n');
        }
    }
    report
}
