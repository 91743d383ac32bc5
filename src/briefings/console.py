"""Shared rich consoles and error reporting for the command line.

Every value interpolated into rich markup goes through ``escape``: a path, slug or data
string such as ``[/x]`` is printed as written, never read as markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from .errors import BriefingsError, DataError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def report_error(exc: BriefingsError) -> None:
    """Print an error for a person; text from data or arguments is printed literally."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    if isinstance(exc, DataError):
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False)
