"""`--project DIR` from another folder uses that project's template, notebook, settings,
review record and data, never the checkout's; a build without data says what to do and
leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DATA, ROOT, copy_project

pytestmark = pytest.mark.slow


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFINGS_")}
    return subprocess.run([sys.executable, "-m", "briefings", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def marked_project(tmp_path_factory) -> Path:
    """A project copy whose template, notebook and settings each leave a mark on the outputs."""
    root = tmp_path_factory.mktemp("elsewhere") / "project"
    project = copy_project(root)
    shutil.copytree(DATA, root / "data")
    template = project.templates / "briefing.qmd.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(
        text.replace('## {{ _("Key findings") }}', 'MARKER-FROM-THE-PROJECT-TEMPLATE\n\n## {{ _("Key findings") }}', 1),
        encoding="utf-8",
    )
    nb = json.loads(project.notebook.read_text(encoding="utf-8"))
    write_cell = next(
        i
        for i, c in enumerate(nb["cells"])
        if "write_results(" in "".join(c["source"])
        and c["cell_type"] == "code"
        and "path = write_results" in "".join(c["source"])
    )
    nb["cells"].insert(
        write_cell,
        {
            "cell_type": "code",
            "id": "marker",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "results['province']['name_en'] += ' MARKER-FROM-THE-NOTEBOOK'",
        },
    )
    project.notebook.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    settings = project.quarto_config.read_text(encoding="utf-8")
    assert "    toc: true\n" in settings
    project.quarto_config.write_text(settings.replace("    toc: true\n", "    toc: false\n", 1), encoding="utf-8")
    return root


def test_project_option_uses_the_projects_files_from_another_folder(marked_project, tmp_path):
    cwd = tmp_path / "somewhere-else"
    cwd.mkdir()
    result = cli(
        "--project",
        marked_project,
        "build",
        "--province",
        "hubei",
        "--lang",
        "en",
        "--format",
        "html",
        "--renderer",
        "builtin",
        "--jobs",
        "1",
        cwd=cwd,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = (marked_project / "reports" / "hubei" / "briefing.en.html").read_text(encoding="utf-8")
    assert "MARKER-FROM-THE-PROJECT-TEMPLATE" in page  # the project's template
    assert "MARKER-FROM-THE-NOTEBOOK" in page  # the project's notebook
    assert 'id="TOC"' not in page  # the project's _quarto.yml (toc: false)
    assert not (cwd / "reports").exists() and not (ROOT / "reports" / "hubei" / "MARKER").exists()
    # the review record is the project's, wherever the command runs
    accepted = cli("--project", marked_project, "review", "accept", "--date", "2025-12-01", cwd=cwd)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (marked_project / "review" / "reviewed.json").is_file() and not (cwd / "review").exists()
    status = cli("--project", marked_project, "review", "status", cwd=cwd)
    assert status.returncode == 0 and "unchanged" in status.stdout, status.stdout + status.stderr


def test_a_raising_cell_in_the_projects_notebook_fails_the_build(tmp_path):
    root = tmp_path / "project"
    project = copy_project(root)
    shutil.copytree(DATA, root / "data")
    nb = json.loads(project.notebook.read_text(encoding="utf-8"))
    nb["cells"].insert(
        3,
        {
            "cell_type": "code",
            "id": "raise",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "raise RuntimeError('the project notebook ran')",
        },
    )
    project.notebook.write_text(json.dumps(nb), encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = cli(
        "--project",
        root,
        "build",
        "--province",
        "hubei",
        "--lang",
        "en",
        "--format",
        "html",
        "--renderer",
        "builtin",
        "--jobs",
        "1",
        cwd=cwd,
    )
    assert result.returncode == 1
    assert "the project notebook ran" in result.stdout + result.stderr


def test_a_folder_that_is_not_a_project_is_a_clear_error(tmp_path):
    result = cli("--project", tmp_path, "validate", cwd=tmp_path)
    assert result.returncode == 2
    assert "not a briefings project" in result.stderr and "briefings init" in result.stderr


def test_a_build_without_data_says_what_to_do_and_leaves_nothing(tmp_path):
    root = tmp_path / "project"
    copy_project(root)
    result = cli("build", cwd=root)
    assert result.returncode == 2
    assert "no dataset" in result.stderr and "measures.csv" in result.stderr
    assert not (root / "reports").exists()
