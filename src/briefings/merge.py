"""Merge shard outputs into one reports folder: ``python -m briefings.merge OUT SHARD...``.

Copies each shard's province folders, merges their manifests (each province appears in
exactly one shard) and rebuilds the index from the merged results.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from .build import write_index
from .errors import UsageError
from .fsutil import atomic_write_text
from .manifest import MANIFEST, read_manifest


def merge(out_root: Path, shards: list[Path]) -> Path:
    provinces: dict = {}
    build_ids, first, selections = set(), {}, {}
    for shard in shards:
        manifest = read_manifest(shard)
        if not manifest:
            raise UsageError(f"{shard} has no manifest.json: not a shard of briefings build")
        build_ids.add(manifest["build_id"])
        first = first or manifest
        selections.update(manifest.get("selections", {}))
        for slug, entry in manifest["provinces"].items():
            if slug in provinces:
                raise UsageError(f"province {slug} appears in more than one shard")
            shutil.copytree(shard / slug, out_root / slug, dirs_exist_ok=True)
            provinces[slug] = entry
    if len(build_ids) != 1:
        raise UsageError(f"shards come from different inputs: {sorted(build_ids)}")
    bid = build_ids.pop()
    slugs = sorted(provinces)  # every merged province gets an index card
    write_index(out_root, slugs, bid, _data_date(out_root, slugs))
    merged = {**first, "provinces": dict(sorted(provinces.items())), "selections": dict(sorted(selections.items()))}
    path = out_root / MANIFEST
    atomic_write_text(path, json.dumps(merged, ensure_ascii=False, sort_keys=True, indent=1) + "\n")
    return path


def _data_date(out_root: Path, slugs: list[str]) -> str:
    from .analysis import read_results

    return max(read_results(out_root / s)["data_as_of"] for s in slugs)


if __name__ == "__main__":
    target, *parts = sys.argv[1:]
    Path(target).mkdir(parents=True, exist_ok=True)
    print(merge(Path(target), [Path(p) for p in parts]))
