"""`pip install .` gives a working package: templates, notebook, settings and catalogs are
package data, found without the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast


def tracked_copy(target: Path) -> Path:
    """The checkout's tracked files (as they are now) in ``target``: a wheel built from the
    checkout itself would take setuptools' stale build/ folder along."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_the_installed_package_inits_and_builds_a_project_in_an_empty_folder(tmp_path):
    wheels = tmp_path / "wheels"
    source = tracked_copy(tmp_path / "source")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    site = tmp_path / "site"
    (wheel,) = wheels.glob("briefings-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFINGS_")}
    env["PYTHONPATH"] = str(site)  # the installed copy first, its dependencies from this venv
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "from briefings.project import Project; p = Project.find(); print(p.root); print(p.notebook.is_file())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(site) and where[1] == "True"
    # without data: what to do, and nothing left behind
    empty = subprocess.run([sys.executable, "-m", "briefings", "build"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert empty.returncode == 2 and "briefings init" in empty.stderr and not list(elsewhere.iterdir())
    # init, then build, in the empty folder
    init = subprocess.run([sys.executable, "-m", "briefings", "init"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stdout + init.stderr
    result = subprocess.run(
        [sys.executable, "-m", "briefings", "build", "--renderer", "builtin", "--jobs", "1"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (elsewhere / "reports" / "zhejiang" / "briefing.en.pdf").stat().st_size > 10000
    assert "of the 3 cities" in (elsewhere / "reports" / "zhejiang" / "briefing.en.html").read_text(encoding="utf-8")
    verify = subprocess.run(
        [sys.executable, "-m", "briefings", "verify-sources", "sources"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
