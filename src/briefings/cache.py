"""The validated, normalized dataset, computed once per build and read by every notebook.

Loading and validating the CSV files (pandera, cross-table checks) and normalizing them
costs about 0.3 s; a build that runs notebooks pays it once and writes the result as JSON
(a data format: nothing in it can run) under the output folder's cache
(``.briefings-cache/dataset-<hash>.json``). The build passes the notebooks the file *and the
sha256 of the bytes it wrote*: a notebook reads the cache only when its bytes still have that
digest, so a file the build did not write this run — tampered with, left by another version,
damaged — is never trusted, and the notebook takes the slow path (reads and validates the
CSV files itself). ``tests/test_shortcuts.py`` checks that both paths give the same results.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, fields
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .fsutil import atomic_write_bytes

if TYPE_CHECKING:  # pandas is imported where data are read: a build that only re-renders never needs it
    import pandas as pd

    from .load import Dataset

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

FORMAT = 2


@dataclass(frozen=True)
class Prepared:
    """A validated dataset and its normalized measures table."""

    dataset: Dataset
    table: pd.DataFrame


def data_digest(data_dir: Path) -> str:
    """Hash of every data file's name and bytes, and of what reads them."""
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{version('pandas')}\0".encode())
    for path in sorted(data_dir.glob("*.csv")):
        digest.update(f"{path.name}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_file(cache_dir: Path, data_dir: Path) -> Path:
    return cache_dir / f"dataset-{data_digest(data_dir)[:20]}.json"


def import_shared_modules() -> None:
    """Import the modules that both ``prepare`` and a build's workers use (pandas, Babel's
    formats). A cold build does so before it forks its workers, which then share these
    modules with it (memory counted once) instead of importing copies of their own; what only
    validation needs (pandera) comes after the fork."""
    import babel.dates  # (the workers' dates and numbers)
    import babel.numbers  # noqa: F401

    from . import load, normalize  # noqa: F401  # (pandas, with the readers of the cache)


def prepare(data_dir: Path) -> Prepared:
    """The slow path: read, validate and normalize."""
    from .load import load_dataset
    from .normalize import normalized_measures

    dataset = load_dataset(data_dir)
    return Prepared(dataset, normalized_measures(dataset))


def _frame_json(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as plain JSON values: floats exact (repr round-trips), missing as null."""

    def plain(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if hasattr(v, "item"):  # numpy scalars
            return v.item()
        try:
            import pandas as pd

            if v is pd.NA:
                return None
        except ImportError:  # pragma: no cover
            pass
        return v

    return {
        "index": [plain(i) for i in frame.index],
        "index_name": frame.index.name,
        "columns": list(frame.columns),
        "dtypes": {c: str(t) for c, t in frame.dtypes.items()},
        "data": [[plain(v) for v in row] for row in frame.itertuples(index=False, name=None)],
    }


def _frame(payload: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(payload["data"], index=payload["index"], columns=payload["columns"])
    frame.index.name = payload["index_name"]
    for column, dtype in payload["dtypes"].items():
        if dtype == "Int64":
            frame[column] = frame[column].astype("Int64")
        elif dtype == "float64":
            frame[column] = frame[column].astype("float64")
        elif dtype == "object":
            frame[column] = frame[column].astype(object)
    return frame


def write_cache(prepared: Prepared, cache_dir: Path) -> tuple[Path, str]:
    """Write the prepared dataset as JSON; returns the file and the sha256 of its bytes (what
    a notebook must find to trust it)."""
    from .load import TABLES

    path = cache_file(cache_dir, prepared.dataset.data_dir)
    payload = {
        "format": FORMAT,
        "digest": data_digest(prepared.dataset.data_dir),
        "tables": {name: _frame_json(getattr(prepared.dataset, name)) for name in TABLES},
        "table": _frame_json(prepared.table),
    }
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, allow_nan=False).encode("utf-8")
    atomic_write_bytes(path, data)
    return path, hashlib.sha256(data).hexdigest()


def read(data_dir: Path, cache: Path | None = None, sha256: str = "") -> Prepared:
    """The prepared dataset: from ``cache`` when its bytes have the digest the build recorded
    (``sha256``) and it was made from this data folder; else the slow path."""
    if cache is not None and sha256 and cache.is_file():
        try:
            data = cache.read_bytes()
        except OSError:
            data = b""
        try:
            payload = json.loads(data) if data and hashlib.sha256(data).hexdigest() == sha256 else None
        except ValueError:  # not JSON (UnicodeDecodeError is one): the slow path
            payload = None
        if isinstance(payload, dict) and payload.get("format") == FORMAT and payload.get("digest") == data_digest(data_dir):
            from .load import TABLES, Dataset

            tables = {name: _frame(payload["tables"][name]) for name in TABLES}
            dataset = Dataset(data_dir=data_dir, **tables)
            assert {f.name for f in fields(dataset)} == {"data_dir", *TABLES}
            return Prepared(dataset, _frame(payload["table"]))
    return prepare(data_dir)
