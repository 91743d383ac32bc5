"""The GitHub workflows are valid workflow files and run what the project documents."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_workflows_validate_against_the_github_workflow_schema():
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(WORKFLOWS) == 2


def test_ci_runs_the_projects_ci_script_on_pushes_and_pull_requests():
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    triggers = ci[True] if True in ci else ci["on"]  # YAML 1.1 reads `on:` as true
    assert {"push", "pull_request"} <= set(triggers)
    steps = [s.get("run", "") for s in ci["jobs"]["test"]["steps"]]
    assert "bash .ci/run" in steps and any(s.startswith("sudo bash scripts/system-deps.sh") for s in steps)


def test_reports_take_their_timestamp_from_the_data_and_set_up_without_sudo():
    text = (ROOT / ".github" / "workflows" / "reports.yml").read_text(encoding="utf-8")
    assert "data-date --epoch" in text and 'SOURCE_DATE_EPOCH: "' not in text
    assert "run: make setup" in text and "sudo make" not in text
    assert "system-deps.sh --no-browser" in text
