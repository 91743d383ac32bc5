"""Shared fixtures: the project's data, a writable copy of it, and a CLI runner."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefings.cli import cli
from briefings.project import Project

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
#: This checkout as the project the tests build.
PROJECT = Project.at(ROOT)
#: The source texts: $BRIEFINGS_SEEDS, else ../shared/seeds beside the project.
SEEDS = Path(os.environ.get("BRIEFINGS_SEEDS") or ROOT.parent / "shared" / "seeds")
CHROMIUM = Path("/usr/bin/chromium")
#: Debian's Chromium, headless, with nothing that reaches the network on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of data/ to break in tests."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def run(*args: str):
    """Invoke the CLI in-process; result has exit_code, output (stdout+stderr), stderr."""
    runner = CliRunner(env={"COLUMNS": "200"})
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def edit_cell(path: Path, pick, column: str, value: str) -> int:
    """Set ``column`` to ``value`` in the first data row for which ``pick(row_dict)`` is true.

    Returns that row's spreadsheet number (header = 1).
    """
    rows = read_rows(path)
    header = rows[0]
    for number, row in enumerate(rows[1:], start=2):
        if pick(dict(zip(header, row))):
            row[header.index(column)] = value
            write_rows(path, rows)
            return number
    raise AssertionError(f"no row in {path.name} matches the test's pick")


def build(data_dir: Path, out_root: Path, *, project: Project = PROJECT, **options):
    """``run_build`` of a project (this checkout's by default); the outcomes, one per province."""
    from briefings.build import run_build

    return run_build(project, data_dir, out_root, **options).outcomes


def copy_project(target: Path) -> Project:
    """A copy of this checkout's project files (settings, templates, notebook; no data) to edit."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "_quarto.yml", target / "_quarto.yml")
    shutil.copytree(ROOT / "templates", target / "templates")
    shutil.copytree(ROOT / "analysis", target / "analysis", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return Project.at(target)


def builtin_renderer(project: Project = PROJECT):
    """The built-in renderer with a project's settings."""
    from briefings.render import BuiltinRenderer, Settings

    return BuiltinRenderer(Settings.load(project.quarto_config))
