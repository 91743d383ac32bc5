"""The validated, normalized dataset, computed once per build and read by every notebook.

Loading and validating the CSV files (pandera, cross-table checks) and normalizing them
costs about 0.3 s; a build pays it once and pickles the result under the output folder's
cache (``.briefings-cache/dataset-<hash>.pkl``), keyed by the bytes of every data file and
the versions of the code and of pandas. A notebook given the cache reads it only when the
recorded hash still matches the data folder; otherwise, or without a cache, it takes the
slow path. ``tests/test_cache.py`` checks that both paths give the same results.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .fsutil import atomic_write_bytes

if TYPE_CHECKING:  # pandas is imported where data are read: a build that only re-renders never needs it
    import pandas as pd

    from .load import Dataset

FORMAT = 1


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
    return cache_dir / f"dataset-{data_digest(data_dir)[:20]}.pkl"


def prepare(data_dir: Path) -> Prepared:
    """The slow path: read, validate and normalize."""
    from .load import load_dataset
    from .normalize import normalized_measures

    dataset = load_dataset(data_dir)
    return Prepared(dataset, normalized_measures(dataset))


def write_cache(prepared: Prepared, cache_dir: Path) -> Path:
    path = cache_file(cache_dir, prepared.dataset.data_dir)
    if not path.is_file():
        payload = {"digest": data_digest(prepared.dataset.data_dir), "prepared": prepared}
        atomic_write_bytes(path, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def read(data_dir: Path, cache: Path | None = None) -> Prepared:
    """The prepared dataset: from ``cache`` when it matches the data folder, else the slow path."""
    if cache is not None and cache.is_file():
        try:
            payload = pickle.loads(cache.read_bytes())
        except Exception:  # a cache from another version, or damaged: never trusted
            payload = None
        if isinstance(payload, dict) and payload.get("digest") == data_digest(data_dir) \
                and isinstance(payload.get("prepared"), Prepared):
            from .load import Dataset

            prepared = payload["prepared"]
            # the folder the notebook was told about, wherever the build that cached it ran
            return Prepared(Dataset(**{**prepared.dataset.__dict__, "data_dir": data_dir}), prepared.table)
    return prepare(data_dir)
