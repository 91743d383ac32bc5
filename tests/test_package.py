"""`pip install .` gives a working package: templates, notebook, settings and catalogs are
package data, found without the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import DATA, ROOT


def test_the_installed_package_builds_a_briefing_outside_any_project(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    site = tmp_path / "site"
    (wheel,) = wheels.glob("briefings-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "--target", str(site), str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}  # the installed copy first, its dependencies from this venv
    env.pop("BRIEFINGS_PROJECT", None)
    where = subprocess.run([sys.executable, "-c", "from briefings.project import Project; p = Project.find(); print(p.root); print(p.notebook.is_file())"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert Path(where[0]).is_relative_to(site) and where[1] == "True"
    result = subprocess.run([sys.executable, "-m", "briefings", "build", "--province", "hubei", "--lang", "en", "--format",
                             "html,pdf", "--data", str(DATA), "--out", str(elsewhere / "reports"), "--renderer", "builtin",
                             "--jobs", "1"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (elsewhere / "reports" / "hubei" / "briefing.en.pdf").stat().st_size > 10000
    assert "Hubei" in (elsewhere / "reports" / "hubei" / "briefing.en.html").read_text(encoding="utf-8")
