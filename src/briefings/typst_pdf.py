"""One Typst file to PDF, and where that compile may safely run.

typst compiles on a thread pool that it starts the first time it is used. A process forked
from one that has compiled inherits that pool's bookkeeping but none of its threads, and
its first compile then waits forever (seen as a hung build when a test process had made a
PDF before starting the build's workers). So:

- a build worker, forked from a process that never compiled, compiles in its own process
  (fast: the font book is shared between compiles);
- every other caller (``briefings pack``, a test, a library user) compiles in a fresh
  interpreter, ``python -m briefings.typst_pdf``, and so never starts the pool in a process
  that may fork later.

Both paths run the same typst with the same fonts and options (PDF/UA-1, ``PDF_STANDARDS``);
the PDF fidelity test checks that they give the same bytes. Both return typst's warnings
with the PDF: the build shows them (a warning is never dropped).

Memory: typst memoizes layout work across compiles and, in typst-py, ages that cache by one
step per compile, dropping what went unused for ten steps; it offers no other way to empty
it. A worker ages out each document's entries with ten empty compiles on one compiler
(under a millisecond), which keeps its typst memory near the font book (about 180 MB
instead of 550 MB on the 330-city benchmark). Memoization never changes output: it only
stores pure results. A large document (a province among two thousand cities: 60 pages, 300
MB of layout, of which typst keeps some 230 MB after the compile) is compiled in a fresh
process, so that its memory goes with it, and by one worker at a time (a file lock the
build's workers share): two at once would double the build's peak. pandoc reading a large
province's documents (some 200 MB) takes the same lock (``render.py``): it never runs
beside such a compile either.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from typst import Fonts, PDFStandard

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

#: Every PDF is tagged and conforms to PDF/UA-1 (typst checks it: a missing title or alt
#: text is an error, not a silently inaccessible file); _quarto.yml's format.typst
#: pdf-standard says so for both renderers (the renderer passes it here).
PDF_STANDARDS = ["ua-1"]
#: The fresh-process compile prints its warnings on stderr after this marker, one JSON list.
_WARNINGS = "briefings-typst-warnings:"

_started_in: int | None = None  # the process whose typst thread pool is running, if any
_worker = False
_large_lock: str | None = None  # the lock file the build's workers share for large documents

#: A Typst source larger than this, with the charts of its language beside it, is compiled
#: apart (a fresh process, one at a time). The real dataset's largest is about 220 KB; a
#: province among two thousand cities 1.6 MB, their overview (its heat map) 17 MB.
LARGE_SOURCE_BYTES = 600_000


def mark_worker(large_lock: str | None = None) -> None:
    """Called in a build worker just after the fork: this process may compile in place;
    ``large_lock`` is the file whose lock a large document's compile holds."""
    global _worker, _large_lock
    _worker, _large_lock = True, large_lock


def is_large(typ: str) -> bool:
    """Whether the Typst source at ``typ`` (``briefing.zh.typ``), with the charts of its
    language beside it (``fig-*.zh.svg``), is larger than ``LARGE_SOURCE_BYTES``."""
    path = Path(typ)
    lang = path.suffixes[-2] if len(path.suffixes) > 1 else ""
    try:
        return sum(p.stat().st_size for p in [path, *path.parent.glob(f"fig-*{lang}.svg")]) > LARGE_SOURCE_BYTES
    except OSError:
        return False


@contextlib.contextmanager
def one_at_a_time(typ: str) -> Iterator[bool]:
    """Holds the workers' shared lock while a large document compiles (``exclusive``);
    yields whether the document is large."""
    large = is_large(typ)
    with exclusive(large):
        yield large


@contextlib.contextmanager
def exclusive(large: bool) -> Iterator[None]:
    """While a worker does a large step (a large document's compile, or pandoc reading large
    documents), the workers' shared lock: one such step at a time across the build, so two
    never add up to the build's peak. The lock goes with the process if it dies. A small step,
    or no lock file (none given, or it cannot be opened), goes ahead unlocked. Never nested:
    a second open of the lock in the same process would wait for the first."""
    if not (large and _large_lock):
        yield
        return
    try:
        # never through a link someone left at that name in the shared temporary folder
        handle = os.fdopen(os.open(_large_lock, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600), "w")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def compiles_in_process() -> bool:
    """True where an in-process compile can neither hang nor leave a pool for a later fork."""
    return _worker and _started_in in (None, os.getpid())


def fonts(font_dirs: list[str]) -> Fonts:
    import typst

    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=font_dirs)


def warning_text(warning: Any) -> str:
    """One typst warning as one line: its message, where it is, and typst's hints."""
    message = getattr(warning, "message", None) or str(warning)
    where = " ".join(str(getattr(warning, "diagnostic", "") or "").split())
    hints = "; ".join(getattr(warning, "hints", None) or [])
    return message + (f" ({where})" if where and where not in message else "") + (f" hint: {hints}" if hints else "")


def compile_in_process(
    typ: str, root: str, timestamp: int, font_book: Fonts, standards: list[str] | None = None
) -> tuple[bytes, list[str]]:
    """One new compiler (never a reused one: it printed wrong glyphs) on the shared fonts;
    returns the PDF and typst's warnings."""
    global _started_in
    import typst

    _started_in = os.getpid()
    pdf, warnings = typst.Compiler(font_paths=font_book).compile_with_warnings(
        input=typ,
        root=root,
        timestamp=timestamp,
        # the names typst accepts; _quarto.yml's are passed on as they are, for typst to judge
        pdf_standards=cast("list[PDFStandard]", PDF_STANDARDS if standards is None else standards),
    )
    if _worker:
        _age_out_memo_cache(font_book)
    return cast(bytes, pdf), [warning_text(w) for w in warnings]  # one PDF: no output path was given


_MEMO_MAX_AGE = 10  # typst-py calls comemo::evict(10) after every compile


def _age_out_memo_cache(font_book: Fonts) -> None:
    import typst

    # one compiler for all ten: an empty document prints no glyph, so reuse is safe here, and
    # building a compiler on the font book costs seventy times the empty compile itself
    ager = typst.Compiler(font_paths=font_book)
    for _ in range(_MEMO_MAX_AGE):
        ager.compile(input=b"", format="svg")


def compile_in_fresh_process(
    typ: str,
    root: str,
    timestamp: int,
    font_dirs: list[str],
    required: dict[str, str] | None = None,
    standards: list[str] | None = None,
) -> tuple[bytes, list[str]]:
    cmd = [
        sys.executable,
        "-m",
        "briefings.typst_pdf",
        typ,
        "--root",
        root,
        "--timestamp",
        str(timestamp),
        "--require-fonts",
        json.dumps(required or {}),
        "--pdf-standards",
        json.dumps(PDF_STANDARDS if standards is None else standards),
    ]
    for d in font_dirs:
        cmd += ["--font-dir", d]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run(cmd, capture_output=True, env=env)
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(stderr.strip()[-2000:] or f"exit status {proc.returncode}")
    warnings = []
    for line in stderr.splitlines():
        if line.startswith(_WARNINGS):
            warnings = json.loads(line[len(_WARNINGS) :])
    return proc.stdout, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m briefings.typst_pdf", description="Compile one Typst file; the PDF goes to stdout."
    )
    parser.add_argument("typ")
    parser.add_argument("--root", required=True)
    parser.add_argument("--timestamp", type=int, required=True)
    parser.add_argument("--font-dir", action="append", default=[])
    parser.add_argument("--require-fonts", default="{}", help="JSON: font family -> the package that has it")
    parser.add_argument("--pdf-standards", default=json.dumps(PDF_STANDARDS), help='JSON list, e.g. ["ua-1"]')
    args = parser.parse_args(argv)
    try:
        book = fonts(args.font_dir)
        from .render import check_fonts

        check_fonts(json.loads(args.require_fonts), book.families())
        pdf, warnings = compile_in_process(args.typ, args.root, args.timestamp, book, json.loads(args.pdf_standards))
    except Exception as exc:  # typst's own error types carry the message
        print(exc, file=sys.stderr)
        return 1
    print(_WARNINGS + json.dumps(warnings, ensure_ascii=False), file=sys.stderr)
    sys.stdout.buffer.write(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
