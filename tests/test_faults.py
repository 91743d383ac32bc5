"""Fault injection: kill the build, a worker or a kernel at a random (seeded) point.

Invariants after every fault:
- no partial file is visible: each province folder is wholly the previous briefing or
  wholly the new one, never a mix;
- the next build completes and its outputs equal a clean build's.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from briefings.manifest import canonical_notebook

from .conftest import DATA, build, edit_cell

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

PROVINCES = ("henan", "hebei")
SEEDS = (1, 2, 5, 12, 20, 25)  # build, build, kernel, worker, kernel, worker at 1-7 s


def province_files(root: Path, slug: str) -> dict[str, bytes]:
    folder = root / slug
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            files[str(p.relative_to(folder))] = canonical_notebook(data) if p.suffix == ".ipynb" else data
    return files


def changed_data(tmp_path: Path) -> Path:
    data = tmp_path / "data-b"
    shutil.copytree(DATA, data)
    for slug in ("henan-001", "hebei-001"):
        for note, text in (("note_en", "changed by the fault-injection test"), ("note_zh", "故障注入测试改动。")):
            edit_cell(data / "measures.csv", lambda r, s=slug: r["measure_id"] == s, note, text)
    return data


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    before = root / "before"
    assert all(o.ok for o in build(DATA, before, provinces=PROVINCES, jobs=2, renderer="builtin"))
    data_b = changed_data(root)
    clean = root / "clean"
    assert all(o.ok for o in build(data_b, clean, provinces=PROVINCES, jobs=2, renderer="builtin"))
    return before, clean, data_b


def victims(proc: psutil.Process, kind: str) -> list[psutil.Process]:
    if kind == "build":
        return [proc]
    family = proc.children(recursive=True)
    kernels = [p for p in family if "ipykernel" in " ".join(p.cmdline())]
    return kernels if kind == "kernel" else [p for p in family if p not in kernels]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_fault_at_a_random_point_never_shows_a_partial_briefing(builds, seed):
    before, clean, data_b = builds
    rng = random.Random(seed)
    kind = rng.choice(["build", "worker", "kernel"])
    delay = rng.uniform(0.5, 9.0)
    # beside the clean build, so that the paths the notebook records (relative) are the same
    out = clean.parent / f"run-{seed}"
    shutil.copytree(before, out)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "briefings",
            "build",
            "--renderer",
            "builtin",
            "--jobs",
            "2",
            *[a for p in PROVINCES for a in ("--province", p)],
            "--data",
            str(data_b),
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent = psutil.Process(proc.pid)
    time.sleep(delay)
    try:
        targets = victims(parent, kind)
    except psutil.Error:
        targets = []
    if targets:
        rng.choice(targets).send_signal(signal.SIGKILL)
    proc.wait(timeout=180)
    time.sleep(1.5)  # a kernel whose worker died exits within a second (ipykernel's parent poller)

    for slug in PROVINCES:
        now = province_files(out, slug)
        assert now in (province_files(before, slug), province_files(clean, slug)), (
            f"seed {seed}: {slug} is a mix of two builds after killing a {kind} at {delay:.1f} s"
        )

    outcomes = build(data_b, out, provinces=PROVINCES, jobs=2, renderer="builtin")
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    for slug in PROVINCES:
        assert province_files(out, slug) == province_files(clean, slug), f"seed {seed}: {slug} differs from a clean build"
    assert not [p for p in out.iterdir() if p.name.startswith(".briefings-staging")]
    assert (out / "manifest.json").read_bytes() == (clean / "manifest.json").read_bytes()


class Killed(BaseException):
    """Stands for a SIGKILL at one exact point (a random delay rarely lands there)."""


def test_a_build_killed_after_its_last_publish_writes_the_index_next_time(builds, monkeypatch):
    # Every province and the overview are published and recorded; the build dies before it
    # writes the index. The old index (the previous data's) must not count as intact.
    before, clean, data_b = builds
    out = clean.parent / "run-killed-before-index"
    shutil.copytree(before, out)

    def killed(*args, **kwargs):
        raise Killed

    with monkeypatch.context() as m:
        m.setattr("briefings.build.write_index", killed)
        with pytest.raises(Killed):
            build(data_b, out, provinces=PROVINCES, jobs=2, renderer="builtin")
    assert (out / "index.html").read_bytes() == (before / "index.html").read_bytes()

    assert all(o.ok for o in build(data_b, out, provinces=PROVINCES, jobs=2, renderer="builtin"))
    assert (out / "index.html").read_bytes() == (clean / "index.html").read_bytes()
    assert (out / "manifest.json").read_bytes() == (clean / "manifest.json").read_bytes()


def test_a_pandoc_version_probe_that_fails_once_is_tried_again(monkeypatch):
    """The manifest records pandoc's version, and keeps it until a build has work: a probe
    process killed by a fault (or starved on a loaded machine) is tried again rather than
    recorded as "unknown"; a pandoc that never answers is "unknown"."""
    import pypandoc

    from briefings.manifest import _pandoc_version

    calls = []

    def killed_once() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Couldn't call pandoc to get version information")
        return "3.9"

    monkeypatch.setattr(pypandoc, "get_pandoc_version", killed_once)
    assert _pandoc_version() == "3.9"
    assert len(calls) == 2

    def never() -> str:
        raise RuntimeError("Couldn't call pandoc to get version information")

    monkeypatch.setattr(pypandoc, "get_pandoc_version", never)
    assert _pandoc_version() == "unknown"
