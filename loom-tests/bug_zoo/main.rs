//! The bug zoo: deliberately broken primitives, and proof that loom finds each bug.
//!
//! A model suite that never fails proves little. Each entry here is a small, plausible
//! mistake in a primitive (written against the public `syncsmith::runtime` seam, exactly as
//! the real primitives are) with two tests:
//!
//! - an `#[ignore]`d model that exercises the broken primitive; run alone, it fails;
//! - a normal test that runs that model in a child process (`common::expect_model_failure`)
//!   and asserts that it failed with the loom complaint the bug should produce (a deadlock
//!   for a lost wake-up, a causality violation for a missing ordering, or the model's own
//!   assertion).
//!
//! The child process is needed because loom may abort the whole process on a deadlock; see
//! `common::expect_model_failure`. The book's "Bug zoo" chapter shows each entry's output.
//!
//! Add an entry: write `loom-tests/bug_zoo/<entry>.rs` (module docs saying what the bug is
//! and what loom reports), and add `mod <entry>;` below.

#[path = "../common/mod.rs"]
mod common;

// Not an entry: the correct half that the broken locks of the entries below share.
mod broken_lock;

// ---- entries, one per file (rustfmt keeps the `mod` lines sorted) ----
mod barrier_without_generations;
mod condition_forgets_rlock_depth;
mod condition_releases_before_queueing;
mod forgotten_recursion_count;
mod forgotten_unpark;
mod queue_get_if_not_while;
mod queue_join_unlocked_check;
mod queue_late_waiter_count;
mod relaxed_slow_release;
mod semaphore_if_not_while;
mod thread_local_exit_frees_while_visited;
// mod thread_local_recycles_index_before_clearing; // uses the crate-private IndexPool API; replaced by the patch-based zoo
