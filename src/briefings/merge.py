"""Merge shard outputs into one reports folder (``briefings merge OUT SHARD...``).

Checks before writing anything that the shards are one complete set: each was built by
``briefings build --shard K/N`` with the same N and the same inputs, and every K from 1 to
N is present once. A shard is a folder the tool reads back, so it is trusted only as far as
its manifest vouches for it: only the regular files a shard's manifest lists are copied (a
symbolic link, a folder, or any file the manifest does not name is never followed or
copied), each checked against its recorded sha256 while it is copied. Each province goes
through a staging folder and is swapped into place (never a half-copied province); the
national overview (built by the first shard) comes with its pages; the manifests are merged
and the index rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError, display_path
from .manifest import MANIFEST, InputKeys, manifest_text, read_manifest, write_if_changed
from .project import Project
from .staging import OVERVIEW, build_lock, new_staging, prepare_output, publish, remove_leftovers

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

_SHARD = re.compile(r"\|(\d+)/(\d+)$")


@dataclass(frozen=True)
class MergeResult:
    provinces: int
    build_id: str


def _shard_spec(manifest: dict[str, Any], where: Path) -> tuple[int, int]:
    specs = {(int(m.group(1)), int(m.group(2))) for key in manifest.get("selections", {}) if (m := _SHARD.search(key))}
    if len(specs) != 1:
        raise UsageError(f"{display_path(where)} is not the output of one `briefings build --shard K/N` run")
    return specs.pop()


def _read_listed(shard: Path, name: str, digest: str) -> bytes:
    """The bytes of a file a shard's manifest lists: a regular file inside the shard (no link
    on the way), with the recorded digest; a clear error otherwise."""
    path = shard / name
    current = shard
    for component in Path(name).parts[:-1]:
        current = current / component
        if current.is_symlink():
            raise UsageError(f"{display_path(current)} is a symbolic link: a shard's files must be its own")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO must not block the merge
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise UsageError(f"{display_path(path)} is not a regular file")
            data = handle.read()
    except OSError as exc:
        raise UsageError(
            f"{display_path(path)} listed in the shard's manifest cannot be read as a regular file ({exc.strerror})"
        ) from None
    from .manifest import canonical_notebook

    found = hashlib.sha256(canonical_notebook(data) if name.endswith(".ipynb") else data).hexdigest()
    if found != digest:
        raise UsageError(f"{display_path(path)} does not match its manifest (changed after the build)")
    return data


def check_shards(shards: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Every shard's manifest, after checking that the shards form one complete set."""
    manifests = []
    for shard in shards:
        if shard.is_symlink() or not shard.is_dir():
            raise UsageError(f"{display_path(shard)} is not a folder")
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
        raise UsageError(
            f"shard(s) missing: {', '.join(f'{k}/{n}' for k in missing)} (given: {', '.join(f'{k}/{n}' for k in present)})"
        )
    if len(present) != len(set(present)):
        raise UsageError("a shard is given more than once")
    inputs = {
        (m["inputs"].get("analysis"), m["inputs"].get("render"), json.dumps(m["inputs"].get("formats", {}), sort_keys=True))
        for _, m, _ in manifests
    }
    if len(inputs) != 1:
        raise UsageError("the shards were built from different inputs (data, code, templates or options): rebuild them together")
    seen: dict[str, Path] = {}
    for shard, manifest, _ in manifests:
        for slug, entry in manifest["provinces"].items():
            if slug in seen:
                raise UsageError(f"province {slug} appears in two shards: {display_path(seen[slug])} and {display_path(shard)}")
            if entry.get("failed"):
                raise UsageError(f"the shard {display_path(shard)} failed to build {slug}: rebuild it")
            seen[slug] = shard
    return [(shard, manifest) for shard, manifest, _ in manifests]


def _copy_entry(shard: Path, entry: dict[str, Any], target: Path, prefix: str) -> None:
    """Copy the files an entry lists (names ``<prefix>/<file>``) from the shard into ``target``."""
    from .fsutil import atomic_write_bytes

    for name, digest in {**entry["analysis_outputs"], **entry["render_outputs"]}.items():
        if not name.startswith(prefix + "/"):
            continue
        atomic_write_bytes(target / name.split("/", 1)[1], _read_listed(shard, name, digest))


def merge(project: Project, out_root: Path, shards: list[Path], *, force: bool = False) -> MergeResult:
    if not shards:
        raise UsageError("give the shard folders to merge: briefings merge OUT SHARD...")
    checked = check_shards(shards)
    first = checked[0][1]
    # every listed file of every shard is read and checked before anything is published: a
    # bad file in the last shard leaves OUT as it was, not half merged
    for shard, manifest in checked:
        for entry in [*manifest["provinces"].values(), *([manifest["overview"]] if manifest.get("overview") else [])]:
            for name, digest in {**entry["analysis_outputs"], **entry["render_outputs"]}.items():
                _read_listed(shard, name, digest)
    prepare_output(out_root, force=force)
    provinces: dict[str, Any] = {}
    selections: dict[str, Any] = {}
    overview: dict[str, Any] = {}
    with build_lock(out_root):
        try:
            remove_leftovers(out_root)
            # a folder about to be replaced holds only what the tool wrote there (as build checks)
            from .build import check_foreign_files

            previous = read_manifest(out_root)
            incoming = {slug for _, m in checked for slug in m["provinces"]}
            check_foreign_files(out_root, {slug: previous.get("provinces", {}).get(slug, {}) for slug in sorted(incoming)})
            check_foreign_files(out_root, {OVERVIEW: previous.get("overview", {})})
            ours = {*previous.get("index", {}), *previous.get("overview", {}).get("render_outputs", {})}
            overview_pages = [n for _, m in checked for n in m.get("overview", {}).get("render_outputs", {}) if "/" not in n]
            written = ["index.html", *overview_pages]
            theirs = sorted(n for n in written if (out_root / n).exists() and n not in ours)
            if theirs:
                raise UsageError(
                    f"{display_path(out_root)} holds {', '.join(theirs)}, which the tool did not write: move them away first "
                    "(nothing the tool did not write is ever replaced)"
                )
            for shard, manifest in checked:
                selections.update(manifest["selections"])
                for slug, entry in sorted(manifest["provinces"].items()):
                    staging = new_staging(out_root, slug)
                    _copy_entry(shard, entry, staging, slug)
                    publish(staging, out_root / slug)
                    provinces[slug] = entry
                if manifest.get("overview"):
                    overview = manifest["overview"]
                    staging = new_staging(out_root, OVERVIEW)
                    _copy_entry(shard, overview, staging, OVERVIEW)
                    pages = {n: d for n, d in overview["render_outputs"].items() if "/" not in n}
                    for name, digest in pages.items():  # the overview's pages beside the index
                        from .fsutil import atomic_write_bytes

                        atomic_write_bytes(out_root / name, _read_listed(shard, name, digest))
                    publish(staging, out_root / OVERVIEW)
            keys = InputKeys(
                first["inputs"]["analysis"],
                first["inputs"]["render"],
                first.get("data_as_of", ""),
                dict(first["inputs"].get("formats", {})),
            )
            from .build import write_index
            from .manifest import record

            index = write_index(project, out_root, keys)
            write_if_changed(
                out_root / MANIFEST,
                manifest_text(
                    keys, first.get("tools", {}), provinces, selections, overview=overview, index=record(out_root, [index])
                ),
            )
        finally:
            remove_leftovers(out_root)
    return MergeResult(len(provinces), keys.build_id)
