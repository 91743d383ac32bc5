"""Shared rich consoles and error reporting for the command line."""

from __future__ import annotations

from rich.console import Console

from .errors import BriefingsError, DataError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def report_error(exc: BriefingsError) -> None:
    if isinstance(exc, DataError):
        err.print(f"[bold red]error:[/] {exc}", markup=True)
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False)
    else:
        err.print(f"[bold red]error:[/] {exc}", markup=True)
