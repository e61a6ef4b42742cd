#!/usr/bin/env python3
"""Draws the book's diagrams as SVG files in docs/diagrams/ (Python 3 standard library only).

Run from anywhere: `python3 scripts/diagrams.py`. Each function below draws one picture from
the names in the code it explains (state bits, fields, methods), so when the code's names
change, change them here and re-run; the book check (`scripts/check-book.py`) fails if a
chapter points at a picture that is not there.
"""

from html import escape
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "diagrams"

INK = "#222"
GREEN = "#1a7f37"
RED = "#c62828"
BLUE = "#1f5fa8"
GREY = "#888"
FILL = "#f3f6fa"
FILL_WARN = "#fdecea"
FILL_OK = "#e9f6ec"


class Svg:
    """A tiny SVG writer: boxes, lines with arrowheads, and text, on a white page."""

    def __init__(self, width, height, title):
        self.width, self.height, self.title = width, height, title
        self.parts = []

    def text(self, x, y, s, size=13, anchor="start", color=INK, weight="normal", mono=False,
             italic=False):
        family = ' font-family="monospace"' if mono else ""
        style = ' font-style="italic"' if italic else ""
        self.parts.append(
            f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" fill="{color}" '
            f'font-weight="{weight}"{family}{style}>{escape(s)}</text>')

    def lines(self, x, y, rows, size=13, anchor="start", color=INK, mono=False, gap=None):
        gap = gap or size + 4
        for i, row in enumerate(rows):
            self.text(x, y + i * gap, row, size=size, anchor=anchor, color=color, mono=mono)

    def box(self, x, y, w, h, fill=FILL, stroke=INK, rx=6, dash=False):
        dashes = ' stroke-dasharray="5 4"' if dash else ""
        self.parts.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{rx}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.5"{dashes}/>')

    def line(self, x1, y1, x2, y2, color=INK, arrow=True, dash=False, width=1.6):
        head = f' marker-end="url(#head-{color[1:]})"' if arrow else ""
        dashes = ' stroke-dasharray="6 4"' if dash else ""
        self.parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{color}" '
            f'stroke-width="{width}"{dashes}{head}/>')

    def path(self, d, color=INK, arrow=True, dash=False):
        head = f' marker-end="url(#head-{color[1:]})"' if arrow else ""
        dashes = ' stroke-dasharray="6 4"' if dash else ""
        self.parts.append(
            f'<path d="{d}" fill="none" stroke="{color}" stroke-width="1.6"{dashes}{head}/>')

    def badge(self, x, y, label, color=BLUE):
        """A numbered circle, the key into a legend."""
        self.parts.append(f'<circle cx="{x}" cy="{y}" r="10" fill="white" stroke="{color}" '
                          f'stroke-width="1.5"/>')
        self.text(x, y + 4.5, label, size=12, anchor="middle", color=color, weight="bold")

    def write(self, name):
        heads = "".join(
            f'<marker id="head-{c[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{c}"/></marker>' for c in (INK, GREEN, RED, BLUE, GREY))
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
            f'width="{self.width}" height="{self.height}" '
            f'style="max-width:100%;height:auto" font-family="sans-serif" role="img">\n'
            f'<title>{escape(self.title)}</title>\n<defs>{heads}</defs>\n'
            f'<rect width="100%" height="100%" fill="white"/>\n'
            + "\n".join(self.parts) + "\n</svg>\n")
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / name).write_text(svg)
        print(f"wrote {OUT / name}")


def lock_states():
    """src/lock.rs: the two bits of the state byte and every transition between them."""
    s = Svg(780, 670, "Lock's state byte: LOCKED_BIT and PARKED_BIT, and what moves it")
    s.text(390, 26, "Lock: one byte, two bits (src/lock.rs)", size=16, anchor="middle",
           weight="bold")
    states = {
        "A": (40, 60, "unlocked", "0"),
        "B": (520, 60, "locked", "LOCKED_BIT"),
        "C": (520, 300, "locked, threads parked", "LOCKED_BIT | PARKED_BIT"),
        "D": (40, 300, "free, threads parked", "PARKED_BIT"),
    }
    for x, y, name, bits in states.values():
        s.box(x, y, 220, 64)
        s.text(x + 110, y + 26, name, size=14, anchor="middle", weight="bold")
        s.text(x + 110, y + 48, bits, size=12, anchor="middle", mono=True)
    # 1, 2: fast paths between A and B.
    s.line(260, 80, 518, 80, BLUE)
    s.badge(389, 80, "1")
    s.line(520, 108, 262, 108, BLUE)
    s.badge(391, 108, "2")
    # 3: B to C, a waiter sets PARKED_BIT.
    s.line(590, 124, 590, 298, BLUE)
    s.badge(590, 210, "3")
    # 4: C to B, hand-off to the last waiter, or the last waiter times out.
    s.line(690, 300, 690, 126, BLUE)
    s.badge(690, 210, "4")
    # 5: C to C, hand-off with more waiters.
    s.path("M 700,364 C 790,364 790,320 742,320", BLUE)
    s.badge(765, 342, "5")
    # 6: C to D, no hand-off, more waiters.
    s.line(520, 346, 262, 346, BLUE)
    s.badge(391, 346, "6")
    # 7: C to A, no hand-off, last waiter.
    s.line(530, 300, 250, 126, BLUE)
    s.badge(420, 232, "7")
    # 8: D to C, an acquirer (barging, or the woken thread) takes it.
    s.line(262, 374, 518, 374, BLUE)
    s.badge(391, 374, "8")
    # 9: D to A, the last parked thread times out.
    s.line(150, 298, 150, 126, BLUE, dash=True)
    s.badge(150, 210, "9")
    legend = [
        ("1", "acquire, fast path: compare-exchange 0 → LOCKED_BIT (Acquire)"),
        ("2", "release, fast path: compare-exchange LOCKED_BIT → 0 (Release)"),
        ("3", "a thread finds it locked: sets PARKED_BIT (Relaxed), then parks on the lock"),
        ("4", "release_slow hands off to the last parked thread (be_fair; Release),"),
        ("", "   or the last parked thread times out and clears PARKED_BIT"),
        ("5", "release_slow hands off; more threads stay parked (Release)"),
        ("6", "release_slow wakes one to compete; more stay parked (Release)"),
        ("7", "release_slow wakes the last parked thread to compete (Release)"),
        ("8", "any acquirer takes the free lock: barging, or the woken thread (Acquire)"),
        ("9", "the last parked thread times out while the lock is free"),
    ]
    y = 430
    for key, row in legend:
        if key:
            s.badge(52, y - 4, key)
        s.text(72, y, row, size=13)
        y += 21
    s.text(40, y + 8, "Under the key's lock in the parking lot: 3's park (validate), 4-7 "
           "(the unparker's callback), 4 and 9 (timed_out).", size=12, color=GREY)
    s.write("lock-states.svg")


def lost_wakeup():
    """The lost wake-up, and how validate under the key's lock closes it."""
    s = Svg(780, 470, "A lost wake-up as a timeline of two threads, and the fix")
    s.text(390, 24, "A lost wake-up, and how the parking layer prevents it", size=16,
           anchor="middle", weight="bold")

    def lanes(y0, title, color):
        s.text(20, y0, title, size=14, weight="bold", color=color)
        s.text(20, y0 + 36, "waiter", size=13, weight="bold")
        s.text(20, y0 + 96, "holder", size=13, weight="bold")
        s.line(80, y0 + 32, 760, y0 + 32, GREY, arrow=False)
        s.line(80, y0 + 92, 760, y0 + 92, GREY, arrow=False)
        s.line(80, y0 + 130, 760, y0 + 130, GREY)
        s.text(760, y0 + 146, "time", size=11, anchor="end", color=GREY)

    # Broken: the check and the sleep are two steps.
    lanes(56, "Without a check under a lock: the wake-up falls between check and sleep", RED)
    s.box(90, 70, 150, 36, FILL)
    s.lines(165, 85, ["sees: locked", "decides to sleep"], size=11, anchor="middle")
    s.box(270, 130, 170, 36, FILL)
    s.lines(355, 145, ["releases the lock", "looks for sleepers: none"], size=11,
            anchor="middle")
    s.box(470, 70, 280, 36, FILL_WARN, RED)
    s.lines(610, 85, ["goes to sleep ... forever", "(nobody will look for it again)"], size=11,
            anchor="middle", color=RED)
    s.line(355, 130, 355, 108, RED, dash=True)
    s.text(362, 118, "too early", size=11, color=RED)

    # Fixed: validate under the key's lock.
    lanes(266, "Lock: set PARKED_BIT, then park with validate under the key's lock", GREEN)
    s.box(90, 280, 130, 36, FILL)
    s.lines(155, 295, ["sets PARKED_BIT", "(state now 0b11)"], size=11, anchor="middle")
    s.box(235, 280, 220, 36, FILL_OK, GREEN)
    s.lines(345, 295, ["key's lock: validate: state is 0b11?", "yes: queue myself, sleep"],
            size=11, anchor="middle")
    s.box(300, 340, 190, 36, FILL)
    s.lines(395, 355, ["release: compare-exchange fails", "(PARKED_BIT) → release_slow"],
            size=11, anchor="middle")
    s.box(510, 340, 240, 36, FILL_OK, GREEN)
    s.lines(630, 355, ["key's lock (after the waiter's):", "unpark_one finds it, wakes it"],
            size=11, anchor="middle")
    s.line(630, 340, 630, 318, GREEN)
    s.box(600, 280, 150, 36, FILL_OK, GREEN)
    s.text(675, 302, "woken: acquires", size=11, anchor="middle")
    s.lines(20, 432, [
        "The check and the queueing happen under the key's lock, and so does the release's "
        "look at the queue.",
        "If the release goes first, it changes the state, validate fails, and the waiter "
        "does not sleep.",
    ], size=12, color=GREY)
    s.write("lost-wakeup.svg")


def relaxed_release():
    """loom-tests/lock.rs hand_off model: a Relaxed slow release, unseen by a fast-path acquire."""
    s = Svg(780, 510, "Three threads: a Relaxed release that the fast-path acquirer does not see")
    s.text(390, 24, "A slow-path release with Relaxed: the third thread sees nothing", size=16,
           anchor="middle", weight="bold")
    lanes = {"main": 90, "T1": 250, "T2": 410}
    for name, y in lanes.items():
        s.text(20, y + 5, name, size=14, weight="bold")
        s.line(70, y, 760, y, GREY, arrow=False)
    s.line(70, 444, 760, 444, GREY)
    s.text(760, 460, "time", size=11, anchor="end", color=GREY)

    def event(x, lane, label, fill=FILL, stroke=INK, dy=0):
        y = lanes[lane] - 22 + dy
        w = 8 + 6.4 * max(len(r) for r in label)
        s.box(x - w / 2, y, w, 16 * len(label) + 10, fill, stroke)
        s.lines(x, y + 16, label, size=11, anchor="middle")

    event(120, "main", ["acquire", "(holds it)"])
    event(150, "T1", ["acquire:", "parks"])
    event(150, "T2", ["acquire:", "parks"])
    event(240, "main", ["counter += 1", "release_slow", "(Release)"])
    s.line(270, 122, 318, 228, GREEN)
    s.text(300, 165, "unpark", size=11, color=GREEN)
    event(350, "T1", ["woken: takes", "the lock"])
    event(470, "T1", ["counter += 1"], FILL)
    event(600, "T1", ["release_slow:", "store with", "Relaxed"], FILL_WARN, RED)
    s.line(630, 272, 660, 388, GREEN)
    s.text(655, 330, "unpark", size=11, color=GREEN)
    event(690, "T2", ["woken", "(later)"])
    event(615, "main", ["acquire: barges in", "(Acquire) reading", "T1's store"], dy=0)
    s.line(590, 226, 600, 140, RED, dash=True)
    s.text(584, 176, "reads-from, but", size=11, color=RED, anchor="end")
    s.text(584, 190, "no synchronizes-with", size=11, color=RED, anchor="end")
    event(720, "main", ["read", "counter"], FILL_WARN, RED)
    s.box(80, 330, 380, 44, "white", GREY, dash=True)
    s.lines(90, 348, [
        "green: happens-before edges (Release→Acquire, unpark→woken)",
        "red: main's read is not ordered after T1's counter += 1",
    ], size=11)
    s.lines(20, 478, [
        "Causality violation: T1's write and main's read of the counter are unordered. The "
        "woken T2 would not notice:",
        "unpark orders it after T1. Only a third thread on the fast path shows the "
        "missing Release.",
    ], size=11, color=GREY)
    s.write("relaxed-release.svg")


def queue_fifos():
    """src/queue/mod.rs: one Lock, three WaiterQueues, each a FIFO of per-waiter locks."""
    s = Svg(780, 430, "Queue: one lock and three FIFOs of waiters")
    s.text(390, 24, "Queue<T, D>: one Lock, three waiter FIFOs (src/queue/mod.rs)", size=16,
           anchor="middle", weight="bold")
    s.box(240, 44, 300, 60, FILL_OK, GREEN)
    s.text(390, 68, "mutex: Lock", size=14, anchor="middle", weight="bold", mono=True)
    s.text(390, 90, "guards state; every wait and notify holds it", size=12, anchor="middle")
    s.box(560, 44, 200, 60, FILL)
    s.lines(570, 64, ["state (a Cell):", "items, unfinished_tasks,", "is_shutdown"], size=11)
    s.line(540, 74, 558, 74, GREEN, arrow=False, dash=True)
    columns = [
        ("not_empty", "get waits while empty", "put notifies one", ["getter 1", "getter 2",
                                                                     "getter 3"]),
        ("not_full", "put waits while full", "get notifies one", ["putter 1", "putter 2"]),
        ("all_tasks_done", "join waits while tasks > 0", "last task_done notifies all",
         ["joiner 1"]),
    ]
    for i, (name, waits, wakes, waiters) in enumerate(columns):
        x = 30 + i * 250
        s.line(390, 104, x + 110, 134, GREY, arrow=False, dash=True)
        s.box(x, 136, 220, 46, FILL)
        s.text(x + 110, 156, name, size=13, anchor="middle", weight="bold", mono=True)
        s.text(x + 110, 174, "WaiterQueue: FIFO, oldest first, own guard", size=10,
               anchor="middle")
        for j, waiter in enumerate(waiters):
            y = 196 + j * 46
            s.box(x + 30, y, 160, 36, "white", BLUE)
            s.text(x + 110, y + 15, waiter, size=12, anchor="middle")
            s.text(x + 110, y + 29, "parked on its own Lock", size=10, anchor="middle",
                   color=GREY)
        s.text(x + 110, 350, waits, size=12, anchor="middle")
        s.text(x + 110, 368, wakes, size=12, anchor="middle", color=GREEN)
    s.lines(20, 400, [
        "A waiter queues its own inner Lock (held) while holding mutex, then releases mutex and "
        "blocks on the inner Lock;",
        "a notify releases the inner Lock of the oldest waiter. CPython's design: the FIFO order "
        "is the wake-up order.",
    ], size=11, color=GREY)
    s.write("queue-fifos.svg")


def thread_local_buckets():
    """src/thread_local/: buckets of 1, 2, 4, 8... slots, and a slot's state word."""
    s = Svg(780, 570, "ThreadLocal: buckets of slots indexed by thread index, and a slot's states")
    s.text(390, 24, "ThreadLocal<T>: buckets and slot states (src/thread_local/)", size=16,
           anchor="middle", weight="bold")
    s.text(20, 54, "buckets[b] holds 2^b slots; thread index i lives in bucket "
           "⌊log2(i + 1)⌋ (bucket_location)", size=12)
    sizes = [1, 2, 4, 8]
    index = 0
    for b, n in enumerate(sizes):
        y = 70 + b * 40
        s.box(20, y, 96, 30, FILL)
        s.text(68, y + 20, f"buckets[{b}]", size=11, anchor="middle", mono=True)
        s.line(110, y + 15, 136, y + 15, INK)
        for k in range(n):
            x = 140 + k * 62
            used = index in (0, 1, 3, 4)
            s.box(x, y, 56, 30, FILL_OK if used else "white", GREEN if used else GREY, rx=3)
            s.text(x + 28, y + 19, f"i={index}", size=11, anchor="middle",
                   color=INK if used else GREY)
            index += 1
    s.box(20, 230, 96, 30, FILL)
    s.text(68, 250, "buckets[4..]", size=11, anchor="middle", mono=True)
    s.text(124, 250, "null until a thread with such an index makes a value; never moved",
           size=11, color=GREY)
    s.box(660, 70, 100, 56, FILL_OK, GREEN, rx=3)
    s.lines(670, 90, ["green: a slot", "with a value"], size=11)

    # The life of one slot's state word.
    s.text(20, 296, "One slot's state word: PRESENT | REGISTERED | KEPT | DOOMED | "
           "visitors × VISITOR", size=13, weight="bold")
    nodes = {
        "empty": (30, 330, "empty", "0"),
        "live": (250, 330, "the owner's value", "PRESENT | REGISTERED"),
        "kept": (520, 330, "kept", "PRESENT | KEPT | …"),
        "doomed": (520, 440, "doomed", "PRESENT | DOOMED | …"),
    }
    for x, y, name, bits in nodes.values():
        s.box(x, y, 220 if name != "empty" else 150, 52)
        w = 220 if name != "empty" else 150
        s.text(x + w / 2, y + 21, name, size=13, anchor="middle", weight="bold")
        s.text(x + w / 2, y + 40, bits, size=11, anchor="middle", mono=True)
    s.line(180, 346, 248, 346, BLUE)
    s.text(186, 340, "get_or", size=11, color=BLUE)
    s.line(250, 372, 182, 372, BLUE)
    s.text(128, 400, "thread exits, nobody looking:", size=11, color=BLUE)
    s.text(128, 414, "the exit hook drops the value", size=11, color=BLUE)
    s.line(470, 346, 518, 346, BLUE)
    s.text(474, 322, "exit while a LocalRef lives", size=11, color=BLUE)
    s.line(420, 382, 518, 456, BLUE)
    s.text(330, 440, "exit while for_each", size=11, color=BLUE)
    s.text(330, 454, "is looking", size=11, color=BLUE)
    s.path("M 520,480 C 300,520 120,500 105,384", BLUE)
    s.text(200, 524, "the last visitor to leave drops it", size=11, color=BLUE)
    s.text(520, 404, "clear / into_iter / drop of the ThreadLocal take it", size=11,
           color=BLUE)
    s.text(20, 540, "…: REGISTERED stays as the owner left it; the upper bits count for_each "
           "visitors.", size=11, color=GREY)
    s.text(20, 556, "Every move away from the owner's value is one compare-exchange on the "
           "state word, so exactly one side drops each value.", size=11, color=GREY)
    s.write("thread-local.svg")


def barrier_rounds():
    """src/barrier.rs: rounds counted by generation; count gives the arrival index."""
    s = Svg(780, 450, "Barrier with three parties: two rounds, counted by generation")
    s.text(390, 24, "Barrier::new(3): rounds, generations and arrival indices (src/barrier.rs)",
           size=16, anchor="middle", weight="bold")
    lanes = {"A": 110, "B": 180, "C": 250}
    for name, y in lanes.items():
        s.text(20, y + 5, f"thread {name}", size=13, weight="bold")
        s.line(90, y, 760, y, GREY, arrow=False)
    s.box(100, 280, 296, 30, FILL)
    s.text(248, 300, "generation 0, phase FILLING", size=12, anchor="middle", mono=True)
    s.box(410, 280, 296, 30, FILL)
    s.text(558, 300, "generation 1, phase FILLING", size=12, anchor="middle", mono=True)

    def arrive(x, lane, label, last=False):
        y = lanes[lane]
        s.parts.append(f'<circle cx="{x}" cy="{y}" r="6" fill="{GREEN if last else BLUE}"/>')
        s.text(x, y - 12, label, size=11, anchor="middle")

    def waiting(x1, x2, lane):
        y = lanes[lane]
        s.line(x1, y, x2, y, BLUE, arrow=False, width=5)

    arrive(140, "B", "wait → index 0")
    waiting(140, 390, "B")
    arrive(230, "A", "wait → index 1")
    waiting(230, 390, "A")
    arrive(390, "C", "index 2: last", last=True)
    s.line(400, 64, 400, 268, GREEN, arrow=False, dash=True)
    s.lines(396, 50, ["action; count = 0;", "generation 0 → 1;", "notify_all"], size=11,
            color=GREEN, anchor="end")
    arrive(470, "A", "wait → index 0")
    waiting(470, 700, "A")
    arrive(580, "B", "wait → index 1")
    waiting(580, 700, "B")
    arrive(700, "C", "index 2: last", last=True)
    s.line(710, 64, 710, 268, GREEN, arrow=False, dash=True)
    s.lines(706, 50, ["generation 1 → 2;", "notify_all"], size=11, color=GREEN, anchor="end")
    s.lines(20, 340, [
        "count: the threads waiting in this round; a thread's value of it on arrival is its "
        "arrival index (what wait returns).",
        "generation: completed rounds. A waiter is released when the generation it joined "
        "moves on. Thread A left round 0",
        "and joined round 1 at once: it waits for generation 1 to end, not for the round it "
        "has already left.",
        "phase: FILLING normally; BROKEN after abort, a timed-out wait or a panicking action "
        "(every wait fails until",
        "reset); RESETTING while reset sends the cancelled round's waiters away.",
    ], size=12)
    s.write("barrier-rounds.svg")


if __name__ == "__main__":
    lock_states()
    lost_wakeup()
    relaxed_release()
    queue_fifos()
    thread_local_buckets()
    barrier_rounds()
