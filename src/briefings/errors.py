"""Problems found in input data, and the exceptions that carry them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located as a spreadsheet user would find it.

    ``row`` uses spreadsheet numbering (the header is row 1); 0 means the whole file.
    """

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class BriefingsError(Exception):
    """Base class: an error the command line reports without a traceback."""

    exit_code = 1


class DataError(BriefingsError):
    """The input data is invalid; carries every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__(f"{len(self.problems)} problem(s) in the data")


class UsageError(BriefingsError):
    """A bad argument (unknown province, missing folder...)."""

    exit_code = 2


def display_path(path: Path) -> str:
    """Path as the user would type it: relative to the working directory when possible."""
    import os

    try:
        absolute = Path(os.path.abspath(path))  # not resolve(): a symlink loop must not raise here
        return str(absolute.relative_to(Path(os.path.abspath(Path.cwd()))))
    except (ValueError, OSError):
        return str(path)
