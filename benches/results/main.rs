//! Every figure the book quotes, from one command, into `docs/results/`:
//!
//! ```text
//! cargo bench --bench results                  # the full run (about 5 to 10 minutes on 2 cores)
//! cargo bench --bench results -- --quick       # a tenth of the work, 3 rounds: a fast check
//! cargo bench --bench results -- --only lock,queue   # some sections (see --help)
//! cargo test --bench results                   # smoke: a thousandth, 1 round, writes nothing
//! ```
//!
//! Each figure is measured side by side with its anchor (`parking_lot`, `crossbeam`, `std`,
//! the `thread_local` crate) in this one process, in interleaved rounds: the median over the
//! rounds of syncsmith's time divided by the anchor's, with the spread (the lowest and
//! highest round). The method is in `method.rs`; the book's chapter "How the numbers were
//! measured" (`docs/measuring.md`) explains how to read the results.
//!
//! It writes one markdown file per table (`lock.md`, `queue.md`, ...) for the chapters to
//! `{{#include}}`, `machine.md` (the machine, compiler, commit, date and command),
//! `throughput.svg` with `throughput.md` (the chart and its numbers), and `rounds.csv`
//! (every round of every figure). A `[[bench]]` target rather than an example, so that it
//! is always built with optimisations (`cargo run --example` would happily measure a debug
//! build) and `cargo test` does not build it unless asked.

#[path = "../common/mod.rs"]
mod common;

mod chart;
mod fairness;
mod locks;
mod machine;
mod method;
mod queues;
mod report;
mod thread_local;
mod wakeups;

// The thread pool of `syncsmith::futures`, against a hand-written channel pool.
mod futures;

use method::{Mode, Settings};
use report::Run;
use std::path::PathBuf;
use std::time::Instant;

/// A part of the run: its name for `--only`, and what it measures and writes.
struct Section {
    name: &'static str,
    run: fn(&Run),
}

const SECTIONS: &[Section] = &[
    Section {
        name: "lock",
        run: locks::lock_table,
    },
    Section {
        name: "rlock",
        run: locks::rlock_table,
    },
    Section {
        name: "fairness",
        run: fairness::fairness_table,
    },
    Section {
        name: "condition",
        run: wakeups::condition_table,
    },
    Section {
        name: "semaphore",
        run: wakeups::semaphore_table,
    },
    Section {
        name: "event",
        run: wakeups::event_table,
    },
    Section {
        name: "queue",
        run: queues::queue_table,
    },
    Section {
        name: "simple-queue",
        run: queues::simple_queue_table,
    },
    Section {
        name: "thread-local",
        run: thread_local::thread_local_table,
    },
    Section {
        name: "throughput",
        run: |run| chart::write(run, &[queues::queue_sweep(run), locks::lock_sweep(run)]),
    },
    Section {
        name: "futures",
        run: futures::futures_table,
    },
];

const USAGE: &str = "\
usage: cargo bench --bench results [-- OPTIONS]

  --quick         a tenth of the work and 3 rounds (numbers marked not for quoting)
  --smoke         a thousandth of the work, 1 round, print instead of writing
                  (the default when not run by `cargo bench`, e.g. `cargo test --bench results`)
  --rounds N      rounds per figure (default 9; quick 3; smoke 1)
  --only A,B      only these sections; machine.md and rounds.csv are then left alone
  --out DIR       where the files go (default: docs/results in the crate)
";

/// What the command line asked for.
struct Options {
    settings: Settings,
    only: Option<Vec<String>>,
    out: PathBuf,
    /// The command that reproduces this run, as the files record it.
    command: String,
}

fn parse(args: Vec<String>) -> Result<Options, String> {
    let by_cargo_bench = args.iter().any(|a| a == "--bench");
    let mut mode = if by_cargo_bench {
        Mode::Full
    } else {
        Mode::Smoke
    };
    let (mut rounds, mut only, mut out) = (None, None, None);
    let mut recorded = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |what: &str| args.next().ok_or(format!("{arg} needs {what}"));
        match arg.as_str() {
            "--bench" => continue,
            "--quick" if mode == Mode::Full => mode = Mode::Quick,
            "--quick" => {}
            "--smoke" => mode = Mode::Smoke,
            "--rounds" => {
                let n = value("a number")?;
                let n: usize = n
                    .parse()
                    .map_err(|_| format!("--rounds {n}: not a number"))?;
                if n == 0 {
                    return Err("--rounds must be at least 1".into());
                }
                recorded.push(format!("--rounds {n}"));
                rounds = Some(n);
                continue;
            }
            "--only" => {
                let list = value("a list of sections")?;
                let names: Vec<String> = list.split(',').map(str::to_owned).collect();
                if let Some(bad) = names
                    .iter()
                    .find(|n| !SECTIONS.iter().any(|s| s.name == *n))
                {
                    let known: Vec<_> = SECTIONS.iter().map(|s| s.name).collect();
                    return Err(format!("no section {bad}; sections: {}", known.join(", ")));
                }
                recorded.push(format!("--only {list}"));
                only = Some(names);
                continue;
            }
            "--out" => {
                let dir = value("a folder")?;
                recorded.push(format!("--out {dir}"));
                out = Some(PathBuf::from(dir));
                continue;
            }
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
        recorded.push(arg);
    }
    let rounds = rounds.unwrap_or(match mode {
        Mode::Full => 9,
        Mode::Quick => 3,
        Mode::Smoke => 1,
    });
    let command = if by_cargo_bench {
        let tail = recorded.join(" ");
        let dashes = if tail.is_empty() { "" } else { " -- " };
        format!("cargo bench --bench results{dashes}{tail}")
    } else {
        "cargo test --bench results".to_owned()
    };
    Ok(Options {
        settings: Settings { mode, rounds },
        only,
        out: out.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/results")),
        command,
    })
}

fn main() {
    let options = match parse(std::env::args().skip(1).collect()) {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}\n");
            }
            eprint!("{USAGE}");
            std::process::exit(if message.is_empty() { 0 } else { 2 });
        }
    };
    let smoke = options.settings.mode == Mode::Smoke;
    if smoke {
        machine::check_calendar();
    }
    let began = Instant::now();
    let load_before = machine::load_average();
    let commit = machine::commit();
    let run = Run::new(
        options.settings,
        options.command,
        machine::utc_now(),
        (!smoke).then_some(options.out),
    );
    eprintln!(
        "{} ({:?}, {} rounds)",
        run.command, run.settings.mode, run.settings.rounds
    );
    for section in SECTIONS {
        if options
            .only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|n| n == section.name))
        {
            continue;
        }
        eprintln!("{}:", section.name);
        let section_began = Instant::now();
        (section.run)(&run);
        eprintln!(
            "{}: {:.1} s",
            section.name,
            section_began.elapsed().as_secs_f64()
        );
    }
    if options.only.is_none() {
        write_machine(&run, &commit, &load_before, began.elapsed().as_secs());
        run.write("rounds.csv", &run.rounds_csv());
    }
    eprintln!("done in {} s", began.elapsed().as_secs());
}

/// `docs/results/machine.md`: what the run ran on, included by the measuring chapter.
fn write_machine(run: &Run, commit: &str, load_before: &str, took_secs: u64) {
    let (model, logical) = machine::cpu();
    let available = std::thread::available_parallelism().map_or(0, |n| n.get());
    let body = format!(
        "| What | This run |\n\
         |---|---|\n\
         | Command | `{command}` |\n\
         | Date | {date} |\n\
         | Code | commit {commit} |\n\
         | CPU | {model}, {logical} logical CPUs ({available} available to the run) |\n\
         | System | {kernel} |\n\
         | Compiler | {rustc}, the `bench` profile (optimised) |\n\
         | Load average | {load_before} at the start, {load_after} at the end (runnable threads, over a minute) |\n\
         | Rounds | {rounds} per figure{warm_up} |\n\
         | Took | {minutes} min {seconds} s |\n",
        command = run.command,
        date = run.date,
        kernel = machine::kernel(),
        rustc = machine::rustc(),
        load_after = machine::load_average(),
        rounds = run.settings.rounds,
        warm_up = if run.settings.mode == Mode::Smoke {
            ""
        } else {
            ", after one warm-up round"
        },
        minutes = took_secs / 60,
        seconds = took_secs % 60,
    );
    let contents = format!(
        "<!-- Generated by `{}`: do not edit, re-run it. -->\n\n{}{body}",
        run.command,
        run.warning()
    );
    run.write("machine.md", &contents);
}
