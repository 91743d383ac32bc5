"""Where the project's files are: templates, notebook, render settings, catalogs.

In order: ``$BRIEFINGS_PROJECT`` (the CLI's ``--project``); the working directory, when it
is a briefings project (it has ``_quarto.yml`` and ``templates/``); the checkout this
package runs from; else the copy installed with the package (``briefings.project``, see
pyproject.toml), so that ``pip install .`` builds briefings anywhere.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def is_project(folder: Path) -> bool:
    return (folder / "_quarto.yml").is_file() and (folder / "templates").is_dir()


def project_root() -> Path:
    chosen = os.environ.get("BRIEFINGS_PROJECT")
    if chosen:
        return Path(chosen).resolve()
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if is_project(candidate):
            return candidate.resolve()
    # briefings.project is a folder of data, not a regular package: ask it for a file in it
    return Path(str(files("briefings.project").joinpath("_quarto.yml"))).resolve().parent


ROOT = project_root()
QUARTO_CONFIG = ROOT / "_quarto.yml"
TEMPLATES = ROOT / "templates"
LOCALE_DIR = TEMPLATES / "locale"
NOTEBOOK = ROOT / "analysis" / "briefing.ipynb"

#: The editors' review record, relative to the project (committed with it: see review.py).
REVIEW_FILE = Path("review") / "reviewed.json"
