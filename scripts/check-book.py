#!/usr/bin/env python3
"""Builds the book and fails on anything that would show a reader a broken page.

Run from anywhere: `python3 scripts/check-book.py` (CI runs it after `mdbook build`).
Python 3 standard library and `mdbook` only. It fails, listing every problem, on:

- any warning or error that `mdbook build` prints (mdBook reports a missing include file
  and some broken directives only as a log line, and still exits 0);
- an `{{#include}}` (or `{{#rustdoc_include}}`) whose file is missing, whose ANCHOR has no
  `ANCHOR:`/`ANCHOR_END:` pair in that file, or whose line range lies outside it;
- a link in a chapter to a page of the book that does not exist, or to a `#fragment`
  that no element of that page has;
- an image whose file does not exist.

The links and images are checked in the HTML that mdBook produced (so a link to a
`chapter.md` is checked as the `chapter.html` it becomes), in the main content of each
chapter only (not the navigation around it).
"""

import os
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "docs"

INCLUDE = re.compile(r"\{\{\s*#(include|rustdoc_include)\s+([^}\s]+)\s*\}\}")


def check_includes(problems):
    """Every include directive in every chapter points at a file, anchor or range that exists."""
    for chapter in sorted(SRC.rglob("*.md")):
        text = chapter.read_text()
        for line_no, line in enumerate(text.splitlines(), 1):
            for match in INCLUDE.finditer(line):
                where = f"{chapter.relative_to(ROOT)}:{line_no}"
                target, _, selector = match.group(2).partition(":")
                path = (chapter.parent / target).resolve()
                if not path.is_file():
                    problems.append(f"{where}: included file {target} does not exist")
                    continue
                if not selector:
                    continue
                lines = path.read_text().splitlines()
                parts = selector.split(":")
                if all(re.fullmatch(r"\d*", p) for p in parts):
                    numbers = [int(p) for p in parts if p]
                    if any(n < 1 or n > len(lines) for n in numbers):
                        problems.append(f"{where}: line range {selector} is outside {target} "
                                        f"({len(lines)} lines)")
                    continue
                anchor = selector
                begin = re.compile(rf"ANCHOR:\s*{re.escape(anchor)}\s*$")
                end = re.compile(rf"ANCHOR_END:\s*{re.escape(anchor)}\s*$")
                if not any(begin.search(l) for l in lines):
                    problems.append(f"{where}: no `ANCHOR: {anchor}` in {target}")
                elif not any(end.search(l) for l in lines):
                    problems.append(f"{where}: no `ANCHOR_END: {anchor}` in {target}")


class Page(HTMLParser):
    """Collects the ids of a page, and the links and images of its main content."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []
        self.images = []
        self.main_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        if tag == "main":
            self.main_depth += 1
        if not self.main_depth:
            return
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], self.getpos()[0]))
        if tag == "img" and attrs.get("src"):
            self.images.append((attrs["src"], self.getpos()[0]))

    def handle_endtag(self, tag):
        if tag == "main" and self.main_depth:
            self.main_depth -= 1


def parse(path, cache={}):
    if path not in cache:
        page = Page()
        page.feed(path.read_text(errors="replace"))
        cache[path] = page
    return cache[path]


def is_external(url):
    parts = urlsplit(url)
    return bool(parts.scheme) or url.startswith("//")


def check_html(out, problems):
    """Links and images in every built chapter resolve, fragments included."""
    skip = {"print.html", "toc.html", "404.html"}
    for page_path in sorted(out.rglob("*.html")):
        if page_path.name in skip:
            continue
        page = parse(page_path)
        shown = page_path.relative_to(out)
        for src, line in page.images:
            if is_external(src):
                problems.append(f"{shown}:{line}: image {src} is not part of the book")
                continue
            target = (page_path.parent / unquote(urlsplit(src).path)).resolve()
            if not target.is_file():
                problems.append(f"{shown}:{line}: image {src} does not exist")
        for href, line in page.links:
            if is_external(href) or href.startswith("mailto:"):
                continue
            parts = urlsplit(href)
            target = page_path if not parts.path else (
                page_path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{shown}:{line}: link {href}: no such page")
                continue
            if parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in parse(target).ids:
                    problems.append(f"{shown}:{line}: link {href}: no #{parts.fragment} "
                                    f"in {target.relative_to(out)}")


def build(out, problems):
    """Runs mdbook; any line it logs at WARN or ERROR level is a problem."""
    result = subprocess.run(["mdbook", "build", "--dest-dir", str(out)], cwd=ROOT,
                            capture_output=True, text=True)
    log = result.stdout + result.stderr
    for line in log.splitlines():
        if re.search(r"\b(WARN|ERROR)\b", line) or "warning:" in line.lower():
            problems.append(f"mdbook: {line.strip()}")
    if result.returncode != 0:
        problems.append(f"mdbook build failed (exit status {result.returncode}):\n{log}")
        return False
    return True


def main():
    problems = []
    check_includes(problems)
    with tempfile.TemporaryDirectory(prefix="book-check-") as tmp:
        out = Path(tmp) / "book"
        if build(out, problems):
            html = out / "html" if (out / "html" / "index.html").exists() else out
            check_html(html, problems)
    problems = list(dict.fromkeys(problems))  # one line per problem, in order
    for problem in problems:
        print(problem)
    if problems:
        print(f"book check: {len(problems)} problem(s)")
        return 1
    print("book check: no broken include, link, fragment or image")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("RUST_LOG", "info")
    sys.exit(main())
