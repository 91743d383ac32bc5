"""The project a command works on: its data, templates, notebook, settings and review record.

A project is a folder with ``_quarto.yml`` and ``templates/`` (and, to build anything,
``data/``). The command line resolves it once — ``--project DIR``, else the working
directory when it is a project, else the checkout this package runs from, else the copy
installed with the package (``briefings.defaults``: templates, notebook and settings, no
data) — and passes the ``Project`` down to every stage. Nothing here is computed at import
and nothing travels through the environment.

``briefings init DIR`` (``init_project``) writes a small working project anywhere.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from .errors import UsageError, display_path

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

#: The editors' review record, relative to the project (committed with it: see review.py).
REVIEW_FILE = Path("review") / "reviewed.json"


def is_project(folder: Path) -> bool:
    return (folder / "_quarto.yml").is_file() and (folder / "templates").is_dir()


def _installed_root() -> Path:
    # briefings.defaults is a folder of data, not a regular package: ask it for a file in it
    return Path(str(files("briefings.defaults").joinpath("_quarto.yml"))).resolve().parent


def _checkout_root() -> Path:
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Project:
    """Where one project's files are. ``installed`` marks the package's own read-only copy
    (templates and settings, no data): outputs then default to the working directory."""

    root: Path
    installed: bool = False
    cwd: Path = field(default_factory=Path.cwd)

    @classmethod
    def at(cls, root: Path) -> Project:
        """The project in ``root``; a clear error when it is not one."""
        root = Path(root).resolve()
        if not root.is_dir():
            raise UsageError(f"--project {display_path(root)} is not a folder")
        if not is_project(root):
            raise UsageError(
                f"{display_path(root)} is not a briefings project (it needs _quarto.yml and templates/); "
                "create one with: briefings init DIR"
            )
        return cls(root)

    @classmethod
    def find(cls, given: Path | None = None, cwd: Path | None = None) -> Project:
        """``given``, else the working directory when it is a project, else the checkout, else
        the installed copy."""
        here = (cwd or Path.cwd()).resolve()
        if given is not None:
            return cls.at(given if Path(given).is_absolute() else here / given)
        for candidate in (here, _checkout_root()):
            if is_project(candidate):
                return cls(candidate.resolve(), cwd=here)
        return cls(_installed_root(), installed=True, cwd=here)

    # -- the project's files
    @property
    def data(self) -> Path:
        return (self.cwd if self.installed else self.root) / "data"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def locale(self) -> Path:
        return self.templates / "locale"

    @property
    def notebook(self) -> Path:
        return self.root / "analysis" / "briefing.ipynb"

    @property
    def quarto_config(self) -> Path:
        return self.root / "_quarto.yml"

    @property
    def review_file(self) -> Path:
        return (self.cwd if self.installed else self.root) / REVIEW_FILE

    @property
    def reports(self) -> Path:
        return (self.cwd if self.installed else self.root) / "reports"

    def activate(self) -> Project:
        """Use this project's translation catalogs in this process (like gettext's
        ``bindtextdomain``); returns the project."""
        from . import i18n

        i18n.use_catalogs(self.locale)
        return self

    def require_data(self, data_dir: Path) -> None:
        """A clear error, before anything is written, when there is no data to build from."""
        if not (data_dir / "measures.csv").is_file():
            hint = (
                "run `briefings init` to create a small working project here, or give --project DIR or --data DIR"
                if self.installed or not data_dir.exists()
                else "add the dataset's CSV files (see data/README.md)"
            )
            raise UsageError(f"no dataset in {display_path(data_dir)} (measures.csv not found): {hint}")


#: What ``briefings init`` copies from the package's own project (the rest is sample data).
INIT_FILES = ("_quarto.yml", "analysis/briefing.ipynb")
INIT_FOLDERS = ("templates",)


def init_project(target: Path, *, source: Project | None = None) -> list[Path]:
    """Write a small working project into ``target`` (new or empty): settings, templates,
    notebook, a sample dataset with its source text. Returns the files written."""
    from .sample import write_sample

    if source is None:  # this checkout's files when run from one, else the copy installed with the package
        source = Project(_checkout_root()) if is_project(_checkout_root()) else Project(_installed_root(), installed=True)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{display_path(target)} exists and is not an empty folder: choose a new or empty one")
    written: list[Path] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in INIT_FILES:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source.root / name, target / name)
            written.append(target / name)
        for folder in INIT_FOLDERS:
            shutil.copytree(source.root / folder, target / folder, ignore=shutil.ignore_patterns("*.pot", "__pycache__"))
            written.extend(p for p in (target / folder).rglob("*") if p.is_file())
        written.extend(write_sample(target))
    except OSError as exc:
        from .staging import describe_os_error

        raise UsageError(f"cannot create the project: {describe_os_error(exc, Path(exc.filename or target))}") from None
    return written
