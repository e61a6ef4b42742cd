//! The model-checking runtime: loom's atomics and cells, and a small parking lot built on
//! loom's `Mutex` and `thread::park`, so that loom explores every interleaving of the
//! shipped primitives, including the parking and unparking inside them.
//!
//! The parking lot must order threads exactly as `parking_lot_core` promises, and no more,
//! or a model could pass on an ordering that hardware does not give. What it does:
//! - one queue and one loom mutex per key; `validate`, the `timed_out` callback and the
//!   unparker's callback run under that key's mutex, as under the real bucket lock;
//! - a woken thread is ordered after its unparker by loom's `unpark` alone (the real lot:
//!   the futex word, released by the unparker and acquired by the sleeper);
//! - `be_fair` is never decided by unrelated unparks: it follows a [`Fairness`] policy that
//!   the model chooses (always, never, or a choice loom explores at every unpark).
//!
//! Where it still differs from `parking_lot_core`, and why that is safe:
//! - Keys never share a lock. The real lot hashes keys into buckets, so two primitives may
//!   share one by chance and then be ordered by it; a model here gets less ordering than
//!   hardware may give, never more.
//! - Under [`Fairness::Explore`], `be_fair` can come out `true` only once the parked thread
//!   has gone to sleep (its coin is stored after it leaves the key's lock); an unpark that
//!   lands between a thread queueing itself and falling asleep sees `false`. The real
//!   lot's choice depends on a timer, not on the sleeper. `Always` and `Never` have no
//!   such gap, which is why syncsmith's models run under both.
//! - A key's queue is found by the key's address and kept until the key's primitive is
//!   dropped (`Runtime::retire_key`, called by `Lock`'s `Drop`), so the users of a live
//!   key are ordered by its lock even when they do not overlap (a `validate` must see what
//!   an earlier unparker did: `Lock` relies on it, as on the real bucket lock). A primitive
//!   made later at the same address gets a fresh queue. On real threads it would share the
//!   old one's bucket, and with it an ordering nobody may rely on; here it never does,
//!   whether or not the allocator reuses the address. That matters to loom itself: loom
//!   replays an execution many times and needs each replay to make the same loom objects
//!   in the same order, and the allocator need not reuse an address the same way twice.
//!   (Before keys were retired, two models failed inside loom, once each, when run in
//!   parallel with others: `rt/atomic.rs`, `assert_ne!(mo_i, mo_j)`.)
//! - Time: loom has no clock. A timed park yields to the scheduler once and then times out
//!   unless an unparker took it off the queue first. The decision is made under the key's
//!   lock, the lock an unparker takes, so "unparked" and "timed out" never both happen:
//!   loom explores both orders of a release racing a timeout. A deadline that passes
//!   before the thread even queues itself (a park that times out at once) is not modelled.
//! - The map from keys to queues is a plain mutex that loom does not see. The lot itself
//!   is a loom lazy static, made by the first thread that touches it, and every later user
//!   is ordered after that moment. The real lot's table is published the same way, but
//!   once per process, not once per execution: so a model calls
//!   [`Loom::create_parking_lot`] first, before it spawns a thread (syncsmith's
//!   `common::model` does), and the publication then orders nothing.

use super::{
    AtomicInt, AtomicPointer, Cell, Deadline, ParkResult, ParkToken, Runtime, UnparkResult,
    UnparkToken,
};
use super::{ExitHooks, IndexPool, JoinHandle, Sealed, ThreadIndexSlot};
use core::sync::atomic::Ordering;
use core::time::Duration;
use loom::sync::atomic;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// The loom runtime: use it as the runtime parameter in loom models
/// (`Lock::<Loom>::with_runtime()`), inside `loom::model`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Loom;

/// A deadline under loom: a marker that a park is timed (loom has no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoomInstant;

impl Sealed for LoomInstant {}
impl Deadline for LoomInstant {}

super::std_runtime::atomic_int!(atomic::AtomicU8, u8);
super::std_runtime::atomic_int!(atomic::AtomicU32, u32);
super::std_runtime::atomic_int!(atomic::AtomicUsize, usize);

impl<T> Sealed for atomic::AtomicPtr<T> {}
impl<T> AtomicPointer<T> for atomic::AtomicPtr<T> {
    fn new(ptr: *mut T) -> Self {
        atomic::AtomicPtr::new(ptr)
    }
    fn load(&self, order: Ordering) -> *mut T {
        atomic::AtomicPtr::load(self, order)
    }
    fn store(&self, ptr: *mut T, order: Ordering) {
        atomic::AtomicPtr::store(self, ptr, order)
    }
    fn swap(&self, ptr: *mut T, order: Ordering) -> *mut T {
        atomic::AtomicPtr::swap(self, ptr, order)
    }
    fn compare_exchange(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        atomic::AtomicPtr::compare_exchange(self, current, new, success, failure)
    }
}

impl<T> Sealed for loom::cell::UnsafeCell<T> {}
impl<T> Cell<T> for loom::cell::UnsafeCell<T> {
    fn new(value: T) -> Self {
        loom::cell::UnsafeCell::new(value)
    }
    fn with<F: FnOnce(*const T) -> U, U>(&self, f: F) -> U {
        loom::cell::UnsafeCell::with(self, f)
    }
    fn with_mut<F: FnOnce(*mut T) -> U, U>(&self, f: F) -> U {
        loom::cell::UnsafeCell::with_mut(self, f)
    }
    fn into_inner(self) -> T {
        loom::cell::UnsafeCell::into_inner(self)
    }
}

// ANCHOR: loom_lot
/// One parked thread, as its key's queue holds it.
struct Parked {
    thread: loom::thread::Thread,
    /// Where the unparker leaves the token. A plain (non-loom) mutex: loom's `unpark`
    /// already makes the woken thread happen-after its unparker, as the futex does under
    /// `parking_lot_core`, and nothing else may. The unparker fills it and calls `unpark`
    /// with no loom operation in between, so a token seen means the unpark was issued.
    token: Arc<std::sync::Mutex<Option<UnparkToken>>>,
    /// The source of `be_fair` (see `unpark_one`).
    coin: Arc<atomic::AtomicBool>,
}

/// The threads parked on one key, oldest first, behind a lock of that key's own: the only
/// lock the parking lot takes. `parking_lot_core` locks a bucket per hashed key, so two
/// keys may share a lock there; they never do here, so a model can never lean on an
/// ordering that the real lot gives only by the chance of a hash collision.
struct KeyQueue {
    /// The key's lock: taken by a compare-exchange with `Acquire`, dropped by a store with
    /// `Release`, the ordering of the real bucket lock. Not a `loom::sync::Mutex`: loom runs
    /// model threads as coroutines of one OS thread, so a thread holding a mutex guard
    /// across a switch can find it poisoned by another model thread's panic (in a model
    /// that tests panic safety), and loom's `lock` then panics.
    locked: atomic::AtomicBool,
    /// Threads blocked on `locked`; they sleep instead of spinning, so that a contended
    /// key lock adds no busy-wait branches to the model.
    lockers: std::sync::Mutex<Vec<loom::thread::Thread>>,
    /// Touched only with `locked` held.
    parked: std::sync::Mutex<VecDeque<Parked>>,
}

/// `lock()` on a plain mutex that only `Sync` needs: loom runs one model thread at a
/// time, and no loom operation happens while one of these guards is alive, so it is
/// never contended and never held across a switch.
fn plain<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl KeyQueue {
    fn new() -> Self {
        KeyQueue {
            locked: atomic::AtomicBool::new(false),
            lockers: std::sync::Mutex::new(Vec::new()),
            parked: std::sync::Mutex::new(VecDeque::new()),
        }
    }

    fn lock(&self) {
        while self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            // No loom operation between the failed attempt and queueing ourselves, so no
            // `unlock` can slip in between; an `unpark` that comes before `park` is kept.
            plain(&self.lockers).push(loom::thread::current());
            loom::thread::park();
        }
    }

    fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
        let waiting = plain(&self.lockers).pop();
        if let Some(thread) = waiting {
            thread.unpark();
        }
    }

    /// Runs `f` on the queue; the caller holds the key's lock.
    fn with_parked<U>(&self, f: impl FnOnce(&mut VecDeque<Parked>) -> U) -> U {
        f(&mut plain(&self.parked))
    }
}

/// How many keys one model execution may park or unpark on. A key keeps its queue until
/// its primitive retires it ([`Runtime::retire_key`], from the primitive's `Drop`); a
/// queue is never handed to a second key (it would order the two keys' users).
const MAX_KEYS: usize = 96;

/// The parking lot of one model execution: a queue per key, and which key owns which.
struct Lot {
    /// Made all at once when the execution first touches the lot (which
    /// [`Loom::create_parking_lot`] makes happen before any thread is spawned): loom checks
    /// that an atomic is used only after its creation is visible, so a queue made later by
    /// one thread could not be used by another without an ordering of its own.
    queues: Vec<Arc<KeyQueue>>,
    /// Which queue belongs to which live key: a plain mutex, invisible to loom, so that
    /// finding a key's queue orders nobody (loom runs one thread at a time: never
    /// contended).
    owners: std::sync::Mutex<Owners>,
}

struct Owners {
    queue_of: HashMap<usize, usize>,
    /// The next queue no key has had in this execution.
    next_fresh: usize,
}

loom::lazy_static! {
    // Per model execution (loom's lazy statics are), so every execution starts empty.
    static ref LOT: Lot = Lot {
        queues: (0..MAX_KEYS).map(|_| Arc::new(KeyQueue::new())).collect(),
        owners: std::sync::Mutex::new(Owners { queue_of: HashMap::new(), next_fresh: 0 }),
    };
}

/// The queue of `key`: its own since its first park or unpark, or a fresh one.
fn queue_of(key: usize) -> Arc<KeyQueue> {
    let mut owners = plain(&LOT.owners);
    let fresh = owners.next_fresh;
    let slot = *owners.queue_of.entry(key).or_insert(fresh);
    if slot == fresh {
        owners.next_fresh += 1;
    }
    assert!(
        slot < MAX_KEYS,
        "a loom model parked on more than {MAX_KEYS} keys: raise MAX_KEYS in loom_runtime.rs"
    );
    Arc::clone(&LOT.queues[slot])
}

/// Forgets `key`'s queue (its primitive is gone): a primitive made later at the same
/// address starts with a fresh queue, whether or not the allocator reused the address.
fn retire(key: usize) {
    plain(&LOT.owners).queue_of.remove(&key);
}

// ANCHOR: fairness
/// How the loom parking lot answers `be_fair` (`UnparkResult::be_fair`: "hand the resource
/// straight to the thread you wake"). `parking_lot_core` says yes when a timer of the
/// bucket has run out, so on real threads either answer can come at any slow release; a
/// model must check both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fairness {
    /// A choice loom explores at every unpark that finds a sleeping thread: both answers,
    /// in every combination. The most thorough, and the default; it multiplies a model's
    /// executions by up to two per unpark.
    Explore,
    /// Every unpark says "be fair": each slow release of a `Lock` hands it off.
    Always,
    /// No unpark says "be fair": a woken thread competes for the lock again.
    Never,
}

std::thread_local! {
    // A plain thread-local of the OS thread that runs `loom::model` (loom runs the model's
    // threads as coroutines on it), so that tests running in parallel each have their own.
    static FAIRNESS: core::cell::Cell<Fairness> = const { core::cell::Cell::new(Fairness::Explore) };
}

impl Loom {
    /// Creates this execution's parking lot now, in the calling thread. Call it first in a
    /// model, before spawning: otherwise the first thread to park or unpark creates the lot
    /// and every later user of any key is ordered after that thread (loom's lazy statics
    /// publish with `Release`/`Acquire`), an ordering between keys that the real lot does
    /// not give. `loom-tests/runtime.rs` shows the difference.
    pub fn create_parking_lot() {
        let _ = &*LOT;
    }

    /// Sets how the parking lot answers `be_fair` in the models that this OS thread runs
    /// from now on (see [`Fairness`]). syncsmith's own models run each model twice, once
    /// with `Never` and once with `Always`, and use `Explore` where the model is small.
    pub fn set_fairness(fairness: Fairness) {
        FAIRNESS.with(|f| f.set(fairness));
    }

    /// The current [`Fairness`] policy of this OS thread's models.
    pub fn fairness() -> Fairness {
        FAIRNESS.with(|f| f.get())
    }
}

/// The `be_fair` answer for an unpark that woke `oldest`.
fn be_fair(oldest: &Parked) -> bool {
    match Loom::fairness() {
        // The parked thread stored `true` to its coin after it left the key's lock, so the
        // store is not ordered before this load: once the thread has gone to sleep, loom
        // lets the load see either value.
        Fairness::Explore => oldest.coin.load(Ordering::Relaxed),
        Fairness::Always => true,
        Fairness::Never => false,
    }
}
// ANCHOR_END: fairness

/// Hands `token` to a thread taken off its queue. Called after the key's lock is dropped,
/// as `parking_lot_core` wakes threads after unlocking the bucket.
fn wake(parked: Parked, token: UnparkToken) {
    *plain(&parked.token) = Some(token);
    parked.thread.unpark();
}

/// Sleeps until an unparker has handed this park its token.
fn sleep_until_woken(token: &std::sync::Mutex<Option<UnparkToken>>) -> UnparkToken {
    loop {
        let handed = plain(token).take();
        if let Some(token) = handed {
            return token;
        }
        // May return at once for an `unpark` meant for an earlier park of this thread;
        // the loop then sleeps again.
        loom::thread::park();
    }
}
// ANCHOR_END: loom_lot

loom::thread_local! {
    static THREAD_ID: usize = {
        // A plain (non-loom) counter: identity needs uniqueness, not synchronization, and
        // loom need not explore it.
        static NEXT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

impl Sealed for Loom {}
impl Sealed for loom::thread::JoinHandle<()> {}
impl JoinHandle for loom::thread::JoinHandle<()> {}

impl Runtime for Loom {
    type AtomicU8 = atomic::AtomicU8;
    type AtomicU32 = atomic::AtomicU32;
    type AtomicUsize = atomic::AtomicUsize;
    type AtomicPtr<T> = atomic::AtomicPtr<T>;
    type Cell<T> = loom::cell::UnsafeCell<T>;
    type Instant = LoomInstant;
    const SPIN_ROUNDS: u32 = 0;

    fn deadline_after(timeout: Duration) -> Option<LoomInstant> {
        // Mirror `Std`: a timeout too large for a deadline means "no timeout".
        std::time::Instant::now()
            .checked_add(timeout)
            .map(|_| LoomInstant)
    }

    // ANCHOR: loom_park
    unsafe fn park(
        key: usize,
        validate: impl FnOnce() -> bool,
        before_sleep: impl FnOnce(),
        timed_out: impl FnOnce(usize, bool),
        _park_token: ParkToken,
        deadline: Option<LoomInstant>,
    ) -> ParkResult {
        let queue = queue_of(key);
        let token = Arc::new(std::sync::Mutex::new(None));
        let coin = Arc::new(atomic::AtomicBool::new(false));
        queue.lock();
        if !validate() {
            queue.unlock();
            return ParkResult::Invalid;
        }
        queue.with_parked(|parked| {
            parked.push_back(Parked {
                thread: loom::thread::current(),
                token: Arc::clone(&token),
                coin: Arc::clone(&coin),
            })
        });
        queue.unlock();
        // Not ordered before the unparker's read (the key's lock was dropped first), so
        // loom lets that read see `false` or `true`: the two outcomes of `be_fair`.
        coin.store(true, Ordering::Relaxed);
        before_sleep();
        if deadline.is_some() {
            // Give every other thread one chance to unpark us, then decide under the key's
            // lock, as `parking_lot_core` does when its deadline passes.
            loom::thread::yield_now();
            queue.lock();
            let still_queued = queue.with_parked(|parked| {
                let at = parked.iter().position(|p| Arc::ptr_eq(&p.token, &token));
                at.map(|at| {
                    parked.remove(at);
                    parked.is_empty()
                })
            });
            if let Some(was_last_thread) = still_queued {
                timed_out(key, was_last_thread);
                queue.unlock();
                return ParkResult::TimedOut;
            }
            queue.unlock();
            // An unparker took us off the queue first: we were unparked, not timed out.
            // Wait for its token, as the real lot waits for the unparker to finish.
        }
        ParkResult::Unparked(sleep_until_woken(&token))
    }

    // ANCHOR_END: loom_park

    // ANCHOR: loom_unpark_one
    unsafe fn unpark_one(
        key: usize,
        callback: impl FnOnce(UnparkResult) -> UnparkToken,
    ) -> UnparkResult {
        let queue = queue_of(key);
        queue.lock();
        let found = queue.with_parked(|parked| {
            let oldest = parked.pop_front()?;
            Some((oldest, !parked.is_empty()))
        });
        let Some((oldest, have_more_threads)) = found else {
            let result = UnparkResult::default();
            callback(result);
            queue.unlock();
            return result;
        };
        let result = UnparkResult {
            unparked_threads: 1,
            have_more_threads,
            be_fair: be_fair(&oldest),
        };
        let token = callback(result);
        queue.unlock();
        wake(oldest, token);
        result
    }

    // ANCHOR_END: loom_unpark_one

    unsafe fn unpark_all(key: usize, token: UnparkToken) -> usize {
        let queue = queue_of(key);
        queue.lock();
        let woken: Vec<Parked> = queue.with_parked(|parked| parked.drain(..).collect());
        queue.unlock();
        let count = woken.len();
        for parked in woken {
            wake(parked, token);
        }
        count
    }

    fn thread_id() -> usize {
        THREAD_ID.with(|id| *id)
    }

    fn spin_hint() {
        // A spinning thread must let the others run, or loom never finishes the model.
        loom::thread::yield_now();
    }

    fn yield_now() {
        loom::thread::yield_now();
    }

    fn retire_key(key: usize) {
        retire(key);
    }

    fn with_thread_index_slot<U>(f: impl FnOnce(&ThreadIndexSlot) -> U) -> Option<U> {
        // Fails once loom has started dropping this thread's thread-locals (it takes them
        // all out first, then drops them).
        THREAD_INDEX_SLOT.try_with(f).ok()
    }

    fn with_exit_hooks<U>(f: impl FnOnce(&ExitHooks) -> U) -> Option<U> {
        EXIT_HOOKS.try_with(f).ok()
    }

    type IndexPoolHandle = LoomIndexPool;

    fn index_pool() -> LoomIndexPool {
        LoomIndexPool(INDEX_POOL.clone())
    }

    fn with_index_pool<U>(pool: &LoomIndexPool, f: impl FnOnce(&mut IndexPool) -> U) -> U {
        f(&mut pool.0.lock().unwrap())
    }

    type LeakCheck = loom::alloc::Track<()>;

    fn leak_check() -> loom::alloc::Track<()> {
        loom::alloc::Track::new(())
    }

    type JoinHandle = loom::thread::JoinHandle<()>;

    fn spawn(
        name: String,
        f: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<loom::thread::JoinHandle<()>> {
        loom::thread::Builder::new().name(name).spawn(f)
    }

    fn join(handle: loom::thread::JoinHandle<()>) -> std::thread::Result<()> {
        handle.join()
    }
}

/// `Loom`'s handle on the execution's index pool. Holders of an index keep one, so that
/// the index can be given back from exit hooks that run after loom has dropped its
/// per-execution statics (the main model thread's run after them).
#[derive(Debug, Clone)]
pub struct LoomIndexPool(loom::sync::Arc<loom::sync::Mutex<IndexPool>>);

// Per-thread state for `ThreadLocal`. loom drops a model thread's thread-locals when the
// thread's closure returns (`rt::thread_done`), so `ExitHooks::drop` runs inside the model,
// and its atomics, cells and the pool's mutex are explored like any other operation.
// One caveat, not met by syncsmith's models: a loom thread-local first touched while the
// thread's thread-locals are being dropped is created afresh and only dropped with the
// execution, outside any thread.
loom::thread_local! {
    static THREAD_INDEX_SLOT: ThreadIndexSlot = ThreadIndexSlot::new();
    static EXIT_HOOKS: ExitHooks = ExitHooks::new();
}

loom::lazy_static! {
    // Per execution, like `LOT`: every execution starts with all thread indices free.
    static ref INDEX_POOL: loom::sync::Arc<loom::sync::Mutex<IndexPool>> =
        loom::sync::Arc::new(loom::sync::Mutex::new(IndexPool::new()));
}
