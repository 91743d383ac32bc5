"""Merge shard outputs into one reports folder (``briefings merge OUT SHARD...``).

Checks before writing anything that the shards are one complete set: each was built by
``briefings build --shard K/N`` with the same N and the same inputs, and every K from 1 to
N is present once. Then copies each province through a staging folder and swaps it into
place (never a half-copied province), merges the manifests and rebuilds the index.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError, display_path
from .project import Project
from .manifest import MANIFEST, InputKeys, manifest_text, outputs_intact, read_manifest, write_if_changed
from .staging import build_lock, new_staging, prepare_output, publish, remove_leftovers

_SHARD = re.compile(r"\|(\d+)/(\d+)$")


@dataclass(frozen=True)
class MergeResult:
    provinces: int
    build_id: str


def _shard_spec(manifest: dict, where: Path) -> tuple[int, int]:
    specs = {tuple(int(x) for x in m.groups()) for key in manifest.get("selections", {}) if (m := _SHARD.search(key))}
    if len(specs) != 1:
        raise UsageError(f"{display_path(where)} is not the output of one `briefings build --shard K/N` run")
    return specs.pop()


def check_shards(shards: list[Path]) -> list[tuple[Path, dict]]:
    """Every shard's manifest, after checking that the shards form one complete set."""
    manifests = []
    for shard in shards:
        manifest = read_manifest(shard)
        if not manifest:
            raise UsageError(f"{display_path(shard)} has no manifest.json of this version: not a shard of briefings build")
        manifests.append((shard, manifest, _shard_spec(manifest, shard)))
    sizes = {n for _, _, (_, n) in manifests}
    if len(sizes) != 1:
        raise UsageError(f"the shards split the provinces in different ways: {sorted(f'/{n}' for n in sizes)}")
    n = sizes.pop()
    present = sorted(k for _, _, (k, _) in manifests)
    missing = sorted(set(range(1, n + 1)) - set(present))
    if missing:
        raise UsageError(f"shard(s) missing: {', '.join(f'{k}/{n}' for k in missing)} (given: {', '.join(f'{k}/{n}' for k in present)})")
    if len(present) != len(set(present)):
        raise UsageError("a shard is given more than once")
    inputs = {(m["inputs"].get("analysis"), m["inputs"].get("render")) for _, m, _ in manifests}
    if len(inputs) != 1:
        raise UsageError("the shards were built from different inputs (data, code, templates or options): rebuild them together")
    seen: dict[str, Path] = {}
    for shard, manifest, _ in manifests:
        for slug, entry in manifest["provinces"].items():
            if slug in seen:
                raise UsageError(f"province {slug} appears in two shards: {display_path(seen[slug])} and {display_path(shard)}")
            if not outputs_intact(shard, {**entry["analysis_outputs"], **entry["render_outputs"]}):
                raise UsageError(f"{display_path(shard / slug)} does not match its manifest (incomplete or changed)")
            seen[slug] = shard
    return [(shard, manifest) for shard, manifest, _ in manifests]


def merge(project: Project, out_root: Path, shards: list[Path], *, force: bool = False) -> MergeResult:
    if not shards:
        raise UsageError("give the shard folders to merge: briefings merge OUT SHARD...")
    checked = check_shards(shards)
    first = checked[0][1]
    prepare_output(out_root, force=force)
    provinces: dict = {}
    selections: dict = {}
    with build_lock(out_root):
        try:
            remove_leftovers(out_root)
            for shard, manifest in checked:
                selections.update(manifest["selections"])
                for slug, entry in sorted(manifest["provinces"].items()):
                    staging = new_staging(out_root, slug)
                    shutil.copytree(shard / slug, staging, dirs_exist_ok=True)
                    publish(staging, out_root / slug)
                    provinces[slug] = entry
            keys = InputKeys(first["inputs"]["analysis"], first["inputs"]["render"], first.get("data_as_of", ""))
            from .build import write_index

            write_index(project, out_root, keys)
            write_if_changed(out_root / MANIFEST, manifest_text(keys, first.get("tools", {}), provinces, selections))
        finally:
            remove_leftovers(out_root)
    return MergeResult(len(provinces), keys.build_id)
