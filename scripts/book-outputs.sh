#!/usr/bin/env bash
# Regenerates every piece of command output that the book shows (docs/generated/*.txt):
# a passing loom model, the same model failing once one word of src/lock.rs is changed,
# and the replay of that failing execution alone with loom's log. The chapters include these
# files, so what the book quotes is what these commands print. Run from anywhere:
#   scripts/book-outputs.sh
# The broken variant is built in a scratch copy of the crate under target/; src/ is never
# touched. Only machine-specific paths are shortened (the registry and scratch directories).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=docs/generated
SCRATCH=target/book-scratch/syncsmith
# Its own target directory: cargo names the build of a path package by its place in the
# workspace, not by its directory, so a shared one would mix the two crates' builds.
MODEL=third_thread_sees_data_written_under_a_handed_off_lock
export RUST_BACKTRACE=0 CARGO_TERM_COLOR=never
mkdir -p "$OUT"

# Shortens paths that differ between machines; keeps everything else verbatim.
tidy() {
    sed -e "s|$HOME/.cargo/registry/src/[^/]*/|~/.cargo/registry/src/…/|g" \
        -e "s|$ROOT/$SCRATCH/||g" -e "s|$ROOT/||g" \
        -e 's|\(target/debug/deps/[a-z_]*\)-[0-9a-f]\{16\}|\1-…|g'
}

# Runs "$@" (variable assignments, then a command with a ` -- `) in directory $1 and
# writes to $2 the command line, as a reader would type it, and its output. The command's
# failure is expected for the broken runs, so its exit status is recorded, not propagated.
# $RUN_TARGET_DIR, when set, is the CARGO_TARGET_DIR of the run: no part of what a reader
# types, so not shown.
record() {
    local dir=$1 file=$2
    shift 2
    local vars=() arg
    for arg in "$@"; do
        [[ $arg =~ ^[A-Z_]+= ]] || break
        vars+=("$arg")
    done
    local command=("${@:$((${#vars[@]} + 1))}")
    local line="${command[*]}"
    local head=${line%% -- *} tail=${line#* -- }
    {
        if ((${#vars[@]})); then
            echo "\$ ${vars[*]} \\"
            echo "    $head -- \\"
        else
            echo "\$ $head -- \\"
        fi
        echo "    $tail"
        (cd "$dir" && env ${RUN_TARGET_DIR:+CARGO_TARGET_DIR="$RUN_TARGET_DIR"} "$@" 2>&1) \
            && echo "[exit status 0]" || echo "[exit status $?]"
    } | tidy > "$OUT/$file"
    echo "wrote $OUT/$file"
}

# Stops the script unless $1 (a generated file) contains $2.
expect() {
    grep -qF -- "$2" "$OUT/$1" || { echo "$OUT/$1 lacks '$2':" >&2; cat "$OUT/$1" >&2; exit 1; }
}

cargo test -q --features loom --test loom_lock --no-run

# 0. The introduction's lost update (its first number differs from run to run).
cargo run -q --example lost_update > "$OUT/lost-update.txt"
echo "wrote $OUT/lost-update.txt"
expect lost-update.txt "with a Lock:    balance = 0"

# 1. The shipped code passes: loom reports how many executions each fairness policy explored.
record . passing-run.txt LOOM_LOG=loom::model=info \
    cargo test -q --features loom --test loom_lock -- --exact "$MODEL" --nocapture
expect passing-run.txt "[exit status 0]"

# 2. One word changed (the bug-zoo entry lock_relaxed_slow_release): the slow-path release
#    stores the new state with Relaxed.
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
# Everything Cargo.toml names (only the loom_lock target is built).
cp -r Cargo.toml Cargo.lock src loom-tests benches examples tests "$SCRATCH"/
# The change is the bug zoo's entry, so the book and the zoo show the same one word.
ENTRY=loom-tests/bug_zoo/lock_relaxed_slow_release.patch
# The scratch copy lies inside this repository: stop git from finding it, or `git apply`
# would take the patch's paths from the repository's root.
(cd "$SCRATCH" && GIT_CEILING_DIRECTORIES="$ROOT/target/book-scratch" git apply "$ROOT/$ENTRY")
cmp -s src/lock.rs "$SCRATCH/src/lock.rs" && { echo "the entry changed nothing" >&2; exit 1; }
git diff --quiet -- src/ || { echo "src/ was changed" >&2; exit 1; }
sed -n '/^diff --git/,$p' "$ENTRY" > "$OUT/relaxed-slow-release.diff"
echo "wrote $OUT/relaxed-slow-release.diff"
RUN_TARGET_DIR="$ROOT/target/book-scratch/target"
(cd "$SCRATCH" && CARGO_TARGET_DIR="$RUN_TARGET_DIR" cargo test -q --features loom --test loom_lock --no-run)

record "$SCRATCH" failing-run.txt \
    cargo test -q --features loom --test loom_lock -- --exact "$MODEL"
expect failing-run.txt "Causality violation"

# 3. Save the search while it fails (a checkpoint before every execution), then replay the
#    failing execution alone, with loom's full log and source locations.
rm -f "$SCRATCH"/failing*.json
record "$SCRATCH" checkpoint-run.txt \
    LOOM_CHECKPOINT_FILE=failing.json LOOM_CHECKPOINT_INTERVAL=1 \
    cargo test -q --features loom --test loom_lock -- --exact "$MODEL"
expect checkpoint-run.txt "Causality violation"
(cd "$SCRATCH" && ls failing*.json) > "$OUT/checkpoint-files.txt"
record "$SCRATCH" replay-run.txt \
    LOOM_CHECKPOINT_FILE=failing.json LOOM_CHECKPOINT_INTERVAL=1 LOOM_LOG=trace LOOM_LOCATION=1 \
    cargo test -q --features loom --test loom_lock -- --exact "$MODEL"
expect replay-run.txt "Iteration 1 ="
expect replay-run.txt "Causality violation"
