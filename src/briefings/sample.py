"""The sample dataset ``briefings init`` writes into a new project: a few fictional figures
(three cities' compute-voucher pools, so that one comparison ranks three holders; a fund; a
compute target) and the fictional source text they quote, so that ``briefings init &&
briefings build`` works anywhere. Replace it with real sources (data/README.md)."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

STAGE = "tool"  # neither analysis nor rendering: a change rebuilds nothing

SAMPLE_FILES = (
    "sources.csv",
    "regions.csv",
    "policies.csv",
    "units.csv",
    "metrics.csv",
    "instruments.csv",
    "qualifiers.csv",
    "measures.csv",
)
SAMPLE_TEXT = "sample-source.txt"


def write_sample(target: Path) -> list[Path]:
    """Copy the sample data into ``target/data`` and its source text into ``target/sources``."""
    folder = Path(str(files("briefings").joinpath("sample")))
    written = []
    (target / "data").mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_FILES:
        shutil.copyfile(folder / name, target / "data" / name)
        written.append(target / "data" / name)
    (target / "sources").mkdir(exist_ok=True)
    shutil.copyfile(folder / SAMPLE_TEXT, target / "sources" / SAMPLE_TEXT)
    written.append(target / "sources" / SAMPLE_TEXT)
    return written
