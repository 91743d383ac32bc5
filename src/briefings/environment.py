"""The environment, checked before any work: what a build inherits and passes on to its
kernels, pandoc and Typst must be usable, or the command stops with a clear error (exit 2)
instead of failing later in a worker, a kernel or a terminal.

- ``SOURCE_DATE_EPOCH``: when set, whole seconds since 1970 within the years a date can be
  printed (an empty or non-numeric value crashed every kernel's start-up);
- ``TMPDIR``: when set, an existing, writable folder (pandoc and Typst write scratch files);
- the output encoding: it must print Chinese (``LC_ALL=C PYTHONIOENCODING=ascii`` cannot).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .errors import UsageError

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

#: 9999-12-31T23:59:59Z: the last second a four-digit year can print.
MAX_EPOCH = 253402300799


def check_source_date_epoch() -> None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return
    shown = value if len(value) <= 24 else value[:20] + "..."
    if not value.strip().isdigit() or not value.strip().isascii():
        raise UsageError(
            f"SOURCE_DATE_EPOCH={shown!r} is not a number of seconds since 1970: unset it, or set it with "
            "SOURCE_DATE_EPOCH=$(briefings data-date --epoch) (and check that command succeeded)"
        )
    digits = value.strip().lstrip("0") or "0"  # never parse a 5000-digit number (Python's digit limit)
    if len(digits) > len(str(MAX_EPOCH)) or int(digits) > MAX_EPOCH:
        raise UsageError(f"SOURCE_DATE_EPOCH={shown!r} is after the year 9999: unset it, or give seconds since 1970")


def check_tmpdir() -> None:
    value = os.environ.get("TMPDIR")
    if value is None:
        return
    folder = Path(value)
    if not value or not folder.is_dir() or not _can_write_in(folder):
        raise UsageError(
            f"TMPDIR={value!r} is not a writable folder (pandoc and Typst write scratch files there): "
            "unset it, or point it at one"
        )
    tempfile.tempdir = None  # read TMPDIR afresh


def _can_write_in(folder: Path) -> bool:
    """Whether a scratch file can really be made there (permissions alone say yes for root in
    /proc, where nothing can be created)."""
    try:
        handle, name = tempfile.mkstemp(prefix=".briefings-check-", dir=folder)
    except OSError:
        return False
    os.close(handle)
    try:
        os.unlink(name)
    except OSError:
        return False
    return True


def check_output_encoding(*streams: object) -> None:
    for stream in streams or (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            "汉字".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            raise UsageError(
                f"the terminal's encoding ({encoding}) cannot print Chinese: run with a UTF-8 locale "
                "(LC_ALL=C.UTF-8) or PYTHONIOENCODING=utf-8"
            ) from None


def check_environment() -> None:
    """Every check above; ``UsageError`` (exit 2) for the first that fails."""
    check_source_date_epoch()
    check_tmpdir()
    check_output_encoding()
