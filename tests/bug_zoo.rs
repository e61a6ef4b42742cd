//! The bug zoo's harness: each entry is the shipped code with one stated change, and this
//! program shows, for every entry, that loom passes the shipped code and catches the change.
//!
//! An entry is a file `loom-tests/bug_zoo/<name>.patch`: a header (`Bug:`, `Class:`,
//! `Primitive:`, `Model: <test target>::<test name>`, `Expect:`, `Chapter:`), a few
//! paragraphs of prose, then a unified diff against `src/` exactly as `git diff` prints it.
//! For each entry the harness
//!
//! 1. keeps a copy of the crate under `<target dir>/bug-zoo/clean` and runs the named model
//!    there: it must pass (the shipped code is right);
//! 2. keeps a second copy under `<target dir>/bug-zoo/patched`, applies the patch with
//!    `git apply` (if the patch no longer applies because `src/` moved on, the entry fails
//!    and says so: an entry cannot drift silently), runs the same model: it must fail, and
//!    its output must contain the `Expect:` text (a specific loom complaint or assertion, not
//!    just any failure);
//! 3. writes what loom said to `docs/generated/bug-zoo/<name>.txt`, the excerpt the book's
//!    bug-zoo chapter includes, and fails if the committed excerpt differs (run with
//!    `BUG_ZOO_BLESS=1` to accept a new excerpt; the diff then shows what changed).
//!
//! Run it as `cargo test --features loom --test bug_zoo`, or with entry names (substrings)
//! after `--` to run only those. The copies use their own target directories, and their
//! `Cargo.toml` has no dev-dependencies (the models need only `loom`), so the first run
//! builds loom once more and each later entry rebuilds only the crate and one model.
//!
//! The copies are this harness's own business: nothing here writes to `src/`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one model run may take before the entry counts as failed (a model that hangs
/// instead of failing is not a bug loom caught).
const MODEL_TIMEOUT: Duration = Duration::from_secs(300);

/// The top-level items of the crate that the copies need; `target/`, `.git/` and the built
/// book are left out.
const COPIED: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "src",
    "loom-tests",
    "tests",
    "benches",
    "examples",
];

/// The classes an entry may name (the bug-zoo chapter groups entries by them).
const CLASSES: &[&str] = &[
    "weakened ordering",
    "lost wake-up",
    "if for while",
    "lost count",
    "use-after-free",
    "double drop",
    "misordered exit",
    "other",
];

/// One entry of the zoo, as read from its patch file.
struct Entry {
    name: String,
    bug: String,
    class: String,
    primitive: String,
    chapter: String,
    target: String,
    test: String,
    expect: String,
    /// The whole file: `git apply` skips the header and prose before the first `diff`.
    patch: PathBuf,
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let bless = std::env::var_os("BUG_ZOO_BLESS").is_some();

    let entries = read_entries(&root.join("loom-tests/bug_zoo"));
    let chosen: Vec<&Entry> = entries
        .iter()
        .filter(|e| filters.is_empty() || filters.iter().any(|f| e.name.contains(f.as_str())))
        .collect();
    println!("bug zoo: {} of {} entries", chosen.len(), entries.len());

    let work = target_dir(&root).join("bug-zoo");
    let clean = work.join("clean");
    let patched = work.join("patched");
    mirror_crate(&root, &clean);

    let mut failures = Vec::new();
    for entry in chosen {
        let began = Instant::now();
        match check_entry(entry, &root, &clean, &patched, bless) {
            Ok(()) => println!(
                "entry {} [{}] ... ok ({:.0} s): {} passes, and fails with the patch ({})",
                entry.name,
                entry.class,
                began.elapsed().as_secs_f64(),
                entry.test,
                entry.expect
            ),
            Err(why) => {
                println!("entry {} ... FAILED\n{why}", entry.name);
                failures.push(entry.name.clone());
            }
        }
    }
    // The chapter's list of entries is made from the patch files and the excerpts; only a
    // full run (no filter) checks it, since a filtered run has not checked every excerpt.
    if filters.is_empty() {
        let page = chapter_entries(&entries, &root);
        if let Err(why) = compare_generated(&root, "entries.md", &page, bless) {
            println!("{why}");
            failures.push("entries.md".to_owned());
        }
    }
    if !failures.is_empty() {
        eprintln!(
            "bug zoo: {} entries failed: {}",
            failures.len(),
            failures.join(", ")
        );
        std::process::exit(1);
    }
}

/// Runs both halves of one entry; `Err` says what went wrong, for the person who broke it.
fn check_entry(
    entry: &Entry,
    root: &Path,
    clean: &Path,
    patched: &Path,
    bless: bool,
) -> Result<(), String> {
    let clean_run = run_model(clean, entry)?;
    if !clean_run.passed {
        return Err(format!(
            "the model {}::{} fails on the shipped code, so it cannot show this bug:\n{}",
            entry.target,
            entry.test,
            tail(&clean_run.output, 40)
        ));
    }

    mirror_crate(root, patched);
    let applied = Command::new("git")
        .args(["apply", "--whitespace=nowarn"])
        .arg(&entry.patch)
        .current_dir(patched)
        // The copy sits inside the project's own repository (under target/): without a
        // ceiling git would apply the patch relative to that repository's root, which
        // means to nothing in the copy, and report success.
        .env(
            "GIT_CEILING_DIRECTORIES",
            patched.parent().expect("a parent"),
        )
        .output()
        .map_err(|e| format!("could not run git apply: {e}"))?;
    if !applied.status.success() {
        return Err(format!(
            "the patch no longer applies to src/ (re-make it against today's code):\n{}",
            String::from_utf8_lossy(&applied.stderr)
        ));
    }
    if fs::read_to_string(patched.join("src").join(changed_file(entry)?)).ok()
        == fs::read_to_string(clean.join("src").join(changed_file(entry)?)).ok()
    {
        return Err("git apply succeeded but changed nothing in the copy".to_owned());
    }
    let broken_run = run_model(patched, entry)?;
    if broken_run.passed {
        return Err(format!(
            "with the patch applied, {}::{} still passes: loom did not catch the bug",
            entry.target, entry.test
        ));
    }
    if !broken_run.output.contains(&entry.expect) {
        return Err(format!(
            "with the patch applied the model fails, but without {:?} in its output:\n{}",
            entry.expect,
            tail(&broken_run.output, 40)
        ));
    }
    compare_excerpt(
        root,
        entry,
        &excerpt(&broken_run.output, &entry.expect),
        bless,
    )
}

/// The first file under `src/` that the entry's diff changes, relative to `src/`.
fn changed_file(entry: &Entry) -> Result<String, String> {
    let text = fs::read_to_string(&entry.patch).map_err(|e| e.to_string())?;
    text.lines()
        .find_map(|line| line.strip_prefix("diff --git a/src/"))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .ok_or_else(|| "no `diff --git a/src/...` line".to_owned())
}

/// The result of one `cargo test` of one model in one copy of the crate.
struct ModelRun {
    passed: bool,
    output: String,
}

/// Runs the entry's model in one copy. Each copy has its own target directory: cargo names
/// a local package's artifacts without its path, so two copies sharing one target
/// directory would share binaries, and a clean run could reuse the patched build.
fn run_model(copy: &Path, entry: &Entry) -> Result<ModelRun, String> {
    let nested_target = copy.with_extension("target");
    let nested_target = nested_target.as_path();
    let output_file = nested_target.join(format!("{}.log", entry.name));
    fs::create_dir_all(nested_target).map_err(|e| e.to_string())?;
    let log = fs::File::create(&output_file).map_err(|e| e.to_string())?;
    let mut child = Command::new(env!("CARGO"))
        .args([
            "test",
            "--offline",
            "--quiet",
            "--features",
            "loom",
            "--test",
        ])
        .arg(&entry.target)
        .args(["--", "--exact"])
        .arg(&entry.test)
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", nested_target)
        // A backtrace per panic makes panicking models many times slower, and buries
        // loom's message.
        .env("RUST_BACKTRACE", "0")
        .env("RUST_TEST_THREADS", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if began.elapsed() > MODEL_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{}::{} ran for more than {} s (a hang is not a caught bug); log: {}",
                entry.target,
                entry.test,
                MODEL_TIMEOUT.as_secs(),
                output_file.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = fs::read_to_string(&output_file).map_err(|e| e.to_string())?;
    if status.success() && !output.contains("1 passed") {
        return Err(format!(
            "{}::{} did not run (no such model?):\n{}",
            entry.target,
            entry.test,
            tail(&output, 20)
        ));
    }
    Ok(ModelRun {
        passed: status.success(),
        output,
    })
}

/// What the book shows of a failing run: the panic message that carries the expected text,
/// without the `panicked at <file>:<line>` line (that moves whenever the file is edited).
fn excerpt(output: &str, expect: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    let hit = lines
        .iter()
        .position(|line| line.contains(expect))
        .expect("the caller checked that the output contains the expected text");
    // The message starts after the "panicked at" line that precedes it, if any.
    let start = (0..=hit)
        .rev()
        .find(|&i| lines[i].contains("panicked at"))
        .map_or(hit, |i| i + 1);
    let mut text = String::new();
    for line in lines[start..].iter().take(12) {
        if line.trim().is_empty() || line.starts_with("note: ") {
            break;
        }
        let _ = writeln!(text, "{}", line.trim_end());
    }
    text
}

fn compare_excerpt(root: &Path, entry: &Entry, excerpt: &str, bless: bool) -> Result<(), String> {
    compare_generated(root, &format!("{}.txt", entry.name), excerpt, bless)
}

/// Compares `docs/generated/bug-zoo/<file>` with `now`; under `BUG_ZOO_BLESS` writes it.
fn compare_generated(root: &Path, file: &str, now: &str, bless: bool) -> Result<(), String> {
    let path = root.join("docs/generated/bug-zoo").join(file);
    let committed = fs::read_to_string(&path).unwrap_or_default();
    if committed == now {
        return Ok(());
    }
    if bless {
        fs::create_dir_all(path.parent().expect("a parent")).map_err(|e| e.to_string())?;
        fs::write(&path, now).map_err(|e| e.to_string())?;
        println!("  wrote {}", path.display());
        return Ok(());
    }
    Err(format!(
        "the book's {} is not what the zoo gives now; rerun with BUG_ZOO_BLESS=1.\n\
         committed:\n{committed}\nnow:\n{now}",
        path.display()
    ))
}

/// The bug-zoo chapter's list of entries (`docs/bug-zoo.md` includes it): a table, then
/// per entry its story, its diff and what loom says, all taken from the patch file and the
/// checked excerpt, so the chapter shows exactly what the harness checks.
fn chapter_entries(entries: &[Entry], root: &Path) -> String {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| (&a.primitive, &a.name).cmp(&(&b.primitive, &b.name)));
    let mut page = String::new();
    let _ = writeln!(
        page,
        "| Entry | Primitive | Class | Model that catches it |"
    );
    let _ = writeln!(page, "|---|---|---|---|");
    for e in &sorted {
        let _ = writeln!(
            page,
            "| [`{0}`](#{0}) | {1} | {2} | `{3}::{4}` |",
            e.name, e.primitive, e.class, e.target, e.test
        );
    }
    for e in &sorted {
        let text = fs::read_to_string(&e.patch).unwrap_or_default();
        let diff_start = text.find("\ndiff --git").map_or(text.len(), |i| i + 1);
        let prose: Vec<&str> = text[..diff_start]
            .lines()
            .skip_while(|line| !line.trim().is_empty())
            .collect();
        let diff: Vec<&str> = text[diff_start..]
            .lines()
            .filter(|line| !line.starts_with("index "))
            .collect();
        let excerpt = fs::read_to_string(
            root.join("docs/generated/bug-zoo")
                .join(format!("{}.txt", e.name)),
        )
        .unwrap_or_default();
        let _ = write!(
            page,
            "\n<a id=\"{name}\"></a>\n\n### `{name}`\n\n\
             *{primitive}, {class}* ([chapter]({chapter})). **{bug}**\n\n{prose}\n\n\
             The change, `loom-tests/bug_zoo/{name}.patch`:\n\n```diff\n{diff}\n```\n\n\
             `{target}::{test}` passes on the shipped code; with the change, loom says:\n\n\
             ```text\n{excerpt}```\n\n\
             Run it: `cargo test --features loom --test bug_zoo -- {name}`\n",
            name = e.name,
            primitive = e.primitive,
            class = e.class,
            chapter = e.chapter,
            bug = e.bug,
            prose = prose.join("\n").trim(),
            diff = diff.join("\n"),
            target = e.target,
            test = e.test,
        );
    }
    page
}

fn read_entries(dir: &Path) -> Vec<Entry> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .expect("loom-tests/bug_zoo exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    paths.sort();
    let entries: Vec<Entry> = paths.iter().map(|p| parse_entry(p)).collect();
    let names: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.len(), entries.len(), "two entries with one name");
    entries
}

/// Reads the header of a patch file; a malformed header is a panic naming the file.
fn parse_entry(path: &Path) -> Entry {
    let text = fs::read_to_string(path).expect("a readable patch file");
    let name = path
        .file_stem()
        .expect("a file name")
        .to_string_lossy()
        .into_owned();
    let field = |key: &str| -> String {
        text.lines()
            .take_while(|line| !line.starts_with("diff --git"))
            .find_map(|line| line.strip_prefix(key).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("{}: no `{key}` line in the header", path.display()))
    };
    let class = field("Class:");
    assert!(
        CLASSES.contains(&class.as_str()),
        "{}: class {class:?} is not one of {CLASSES:?}",
        path.display()
    );
    let model = field("Model:");
    let (target, test) = model
        .split_once("::")
        .unwrap_or_else(|| panic!("{}: Model must be <target>::<test>", path.display()));
    assert!(
        text.contains("\ndiff --git a/src/"),
        "{}: the change must be a diff against src/",
        path.display()
    );
    Entry {
        name,
        bug: field("Bug:"),
        class,
        primitive: field("Primitive:"),
        chapter: field("Chapter:"),
        target: target.to_owned(),
        test: test.to_owned(),
        expect: field("Expect:"),
        patch: path.to_owned(),
    }
}

/// The directory cargo builds this crate into, wherever `CARGO_TARGET_DIR` puts it.
fn target_dir(root: &Path) -> PathBuf {
    // The harness binary lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().expect("the harness's own path");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("target"))
}

/// Makes `copy` hold the same crate as `root`: files whose contents already match are left
/// untouched, so that cargo's fingerprints do not rebuild the crate for nothing.
fn mirror_crate(root: &Path, copy: &Path) {
    for item in COPIED {
        let from = root.join(item);
        if from.exists() {
            mirror(&from, &copy.join(item));
        }
    }
    // The models need only loom: without dev-dependencies the copy builds much less.
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    write_if_changed(
        &copy.join("Cargo.toml"),
        without_dev_dependencies(&manifest),
    );
}

fn mirror(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).expect("create a directory in the copy");
        let mut wanted = BTreeSet::new();
        for item in fs::read_dir(from).expect("read a directory") {
            let item = item.expect("a directory entry").file_name();
            mirror(&from.join(&item), &to.join(&item));
            wanted.insert(item);
        }
        for item in fs::read_dir(to).expect("read a copied directory") {
            let item = item.expect("a directory entry");
            if !wanted.contains(&item.file_name()) {
                let path = item.path();
                let _ = if path.is_dir() {
                    fs::remove_dir_all(path)
                } else {
                    fs::remove_file(path)
                };
            }
        }
    } else {
        write_if_changed(to, fs::read(from).expect("read a file"));
    }
}

fn write_if_changed(path: &Path, contents: impl AsRef<[u8]>) {
    let contents = contents.as_ref();
    if fs::read(path).ok().as_deref() != Some(contents) {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create a directory in the copy");
        }
        fs::write(path, contents).expect("write a file in the copy");
    }
}

/// The manifest with its `[dev-dependencies]` table left out.
fn without_dev_dependencies(manifest: &str) -> String {
    let mut kept = String::new();
    let mut in_dev_dependencies = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_dev_dependencies = line.trim() == "[dev-dependencies]";
        }
        if !in_dev_dependencies {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
