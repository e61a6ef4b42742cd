//! `ThreadLocal::get` against the `thread_local` crate and `std`'s `thread_local!` (the
//! ThreadLocal chapter's table).

use crate::method::{contestant, timed};
use crate::report::{Ratio, Run, Table};
use std::cell::Cell;
use std::hint::black_box;

const OURS: &str = "syncsmith::ThreadLocal";
const CRATE: &str = "thread_local::ThreadLocal";
const STD: &str = "std thread_local!";

thread_local! {
    static STD_LOCAL: Cell<u64> = const { Cell::new(7) };
}

/// The `ThreadLocal` table: `docs/results/thread-local.md`.
pub fn thread_local_table(run: &Run) {
    let s = &run.settings;
    let calls = s.work(5_000_000);
    let get = run.compare(
        "`get`, the value exists",
        vec![
            contestant(OURS, calls, |n| {
                let local = syncsmith::ThreadLocal::new();
                local.get_or(|| Cell::new(7u64));
                timed(n, || {
                    black_box(black_box(&local).get().unwrap().get());
                })
            }),
            contestant(CRATE, calls, |n| {
                let local = thread_local::ThreadLocal::new();
                local.get_or(|| Cell::new(7u64));
                timed(n, || {
                    black_box(black_box(&local).get().unwrap().get());
                })
            }),
            contestant(STD, calls, |n| {
                timed(n, || {
                    black_box(STD_LOCAL.with(Cell::get));
                })
            }),
        ],
    );
    let get_or = run.compare(
        "`get_or`, the value exists",
        vec![
            contestant(OURS, calls, |n| {
                let local = syncsmith::ThreadLocal::new();
                timed(n, || {
                    black_box(black_box(&local).get_or(|| Cell::new(7u64)).get());
                })
            }),
            contestant(CRATE, calls, |n| {
                let local = thread_local::ThreadLocal::new();
                timed(n, || {
                    black_box(black_box(&local).get_or(|| Cell::new(7u64)).get());
                })
            }),
        ],
    );
    let table = Table {
        heading: "Shape: one call",
        columns: vec![OURS, CRATE, STD],
        ratios: vec![
            Ratio {
                ours: OURS,
                anchor: CRATE,
            },
            Ratio {
                ours: OURS,
                anchor: STD,
            },
        ],
        rows: vec![get, get_or],
    };
    run.write_table(
        "thread-local.md",
        &table,
        "One thread reads its own value, already made, and the value's contents. \
         `std`'s `thread_local!` is the floor: a per-`static` slot the compiler addresses \
         directly, where the other two look a thread up in a per-object table.",
    );
}
