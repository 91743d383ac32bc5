"""Shared rich consoles and error reporting for the command line.

Text from data, arguments or files never acts on the terminal: control characters (escape
sequences that set a window title or clear the screen, bells, carriage returns) are shown as
visible ``\\xNN`` codes (``inert``), rich markup in it is escaped (``escape``), and rich's
emoji codes (``:x:``) are off, so a value is printed as the file holds it.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape as _escape_markup

from .errors import BriefingsError, DataError

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

#: C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides that can
#: make text display in another order than it is stored.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert(text: object) -> str:
    """``text`` with every control character shown as a visible code (``\\x1b``)."""
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100 else f"\\u{ord(m.group(0)):04x}", str(text)
    )


def escape(text: object) -> str:
    """Data text for a rich markup string: inert, and its brackets printed as written."""
    return _escape_markup(inert(text))


def report_error(exc: BriefingsError) -> None:
    """Print an error for a person; text from data or arguments is printed literally."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    if isinstance(exc, DataError):
        for problem in exc.problems:
            err.print(f"  {inert(problem)}", markup=False)
