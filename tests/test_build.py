"""The build: incremental work, byte-identical outputs, failure isolation, safe output folders."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from briefings.build import Work
from briefings.project import Project

from .conftest import DATA, PROJECT, build, copy_project, edit_cell, run

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    out = tmp_path_factory.mktemp("build-a") / "reports"
    outcomes = build(DATA, out, provinces=("henan",), languages=("zh", "en"), jobs=1, renderer="builtin")
    assert all(o.ok and o.work is Work.FULL for o in outcomes), outcomes
    return out


def copy_of(first: Path, tmp_path: Path) -> Path:
    out = tmp_path / "reports"
    shutil.copytree(first, out)
    return out


def outputs(root: Path) -> dict[str, str]:
    entry = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["provinces"]["henan"]
    return {**entry["analysis_outputs"], **entry["render_outputs"]}


def visible_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


def touch_data(data: Path, tag: str) -> None:
    """Change one caveat of henan-001: the analysis inputs change, nothing else."""
    header = (data / "measures.csv").read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    edit_cell(data / "measures.csv", lambda r: r["measure_id"] == "henan-001", "note_en" if "note_en" in header else "note", tag)


def forced_failure_project(tmp_path: Path, condition: str) -> Project:
    """A copy of the project whose notebook has a cell that fails when ``condition`` holds."""
    project = copy_project(tmp_path / "project")
    nb = json.loads(project.notebook.read_text(encoding="utf-8"))
    source = f"if {condition}:\n    raise RuntimeError('forced failure')"
    nb["cells"].insert(
        3, {"cell_type": "code", "id": "forced-failure", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
    )
    project.notebook.write_text(json.dumps(nb), encoding="utf-8")
    return project


def test_manifest_records_hashes_and_tools(first):
    manifest = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    assert {"henan/briefing.zh.pdf", "henan/briefing.en.html", "henan/results.json", "henan/analysis.ipynb"} <= set(
        outputs(first)
    )
    assert {"python", "pandas", "matplotlib", "papermill", "typst", "pandoc", "renderer"} <= set(manifest["tools"])
    assert set(manifest["inputs"]) == {"analysis", "render", "formats"} and set(manifest["inputs"]["formats"]) == {"html", "pdf"}
    assert manifest["build_id"].startswith(manifest["data_as_of"] + "-")


def test_second_build_is_a_no_op_that_writes_nothing(first, monkeypatch):
    import briefings.cache
    import briefings.fsutil

    def must_not(*args, **kwargs):
        raise AssertionError("a no-op build must neither read the data nor write a file")

    monkeypatch.setattr(briefings.cache, "prepare", must_not)
    monkeypatch.setattr(briefings.fsutil, "atomic_write_bytes", must_not)
    before = {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
    outcomes = build(DATA, first, provinces=("henan",), jobs=1, renderer="builtin")
    assert [o.work for o in outcomes] == [Work.NONE]
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()} == before


def test_render_only_change_does_not_rerun_the_notebook(first, tmp_path):
    out = copy_of(first, tmp_path)
    notebook = out / "henan" / "analysis.ipynb"
    before = notebook.read_bytes()
    outcomes = build(DATA, out, provinces=("henan",), formats=("html",), jobs=1, renderer="builtin")
    assert [o.work for o in outcomes] == [Work.RENDER]
    assert notebook.read_bytes() == before
    assert not (out / "henan" / "briefing.zh.pdf").exists()  # the folder is exactly this build's


@pytest.mark.parametrize(
    ("template", "changed", "kept"),
    [("briefing.css", ".html", ".pdf"), ("typst/typst-template.typ", ".pdf", ".html")],
    ids=["stylesheet", "typst-template"],
)
def test_a_template_of_one_format_re_renders_that_format_alone_and_equals_a_clean_build(tmp_path, template, changed, kept):
    """The shortcut (a format whose own templates did not change keeps its outputs) gives the
    files a clean build of the changed project gives, and the same build id."""
    project = copy_project(tmp_path / "project")
    out = tmp_path / "reports"
    assert all(o.ok for o in build(DATA, out, project=project, provinces=("henan",), jobs=1, renderer="builtin"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    with (project.templates / template).open("a", encoding="utf-8") as handle:
        handle.write("\n/* one format's template changed */\n")
    outcomes = build(DATA, out, project=project, provinces=("henan",), jobs=1, renderer="builtin")
    assert [o.work for o in outcomes] == [Work.RENDER]
    after = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert after["build_id"] == manifest["build_id"]
    for path, (data, mtime) in before.items():
        if path.name.endswith(kept) and path.stem.startswith(("briefing.", "overview.")):
            assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime, path  # kept, not rendered again
    changed_pages = [p for p in before if p.name.endswith(changed) and p.stem.startswith(("briefing.", "overview."))]
    assert changed_pages and all(p.stat().st_mtime_ns != before[p][1] for p in changed_pages)  # rendered again
    clean = tmp_path / "clean"
    assert all(o.ok for o in build(DATA, clean, project=project, provinces=("henan",), jobs=1, renderer="builtin"))
    assert visible_files(out) == visible_files(clean)
    assert json.loads((clean / "manifest.json").read_text(encoding="utf-8"))["provinces"] == after["provinces"]


def overview_files(root: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in root.glob("overview.*.*")}
    files.update({f"overview/{p.name}": p.read_bytes() for p in (root / "overview").iterdir()})
    return files


def test_a_render_only_rebuild_reuses_the_overview_analysis_and_equals_a_clean_build(first, tmp_path, monkeypatch):
    import briefings.overview

    out = copy_of(first, tmp_path)

    def must_not(*args, **kwargs):
        raise AssertionError("a re-render must reuse the overview's results and charts")

    # the workers are forked from this process: they see the patch too
    monkeypatch.setattr(briefings.overview, "overview_results", must_not)
    build(DATA, out, provinces=("henan",), formats=("html",), jobs=1, renderer="builtin")
    monkeypatch.undo()
    clean = tmp_path / "clean"
    build(DATA, clean, provinces=("henan",), formats=("html",), jobs=1, renderer="builtin")
    reused, fresh = overview_files(out), overview_files(clean)
    assert "overview.zh.html" in reused and "overview/fig-matrix.zh.svg" in reused
    assert reused == fresh


def test_the_overview_analysis_is_keyed_on_its_code_and_chart_strings():
    """A re-render reuses the overview's results and heatmap, so the code that computes them
    and the heatmap's strings must be analysis inputs, or an edit there would go unseen."""
    from briefings.manifest import PACKAGE, figure_msgids, module_stage

    assert module_stage(PACKAGE / "overview.py") == "analysis"
    assert {"with a figure", "named without a figure"} <= figure_msgids()


def test_every_module_the_analysis_imports_is_keyed_as_analysis():
    """The modules the notebook and the overview's analysis load (in a fresh interpreter, as a
    kernel does) must all be analysis inputs: a module counted as render-only would let a change
    to the analysis reuse stale results."""
    from briefings.manifest import PACKAGE, module_stage

    script = (
        "import sys, tempfile; from pathlib import Path; from briefings import analysis, cache, compare, figures, "
        "overview, project, execute; project.Project.find().activate(); p = cache.prepare(Path(sys.argv[1])); "
        "r = compare.province_results(p.dataset, 'guangdong', p.table); "
        "figures.draw_figures(r, Path(tempfile.mkdtemp())); analysis.findings_table(r); "
        "overview.overview_results(p.dataset, p.table); "
        "print(' '.join(sorted(m.split('.')[1] for m in sys.modules if m.startswith('briefings.'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", script, str(DATA)], capture_output=True, text=True, check=True).stdout.split()
    assert {"compare", "claims", "figures", "overview"} <= set(loaded)
    render_only = [m for m in loaded if (PACKAGE / f"{m}.py").is_file() and module_stage(PACKAGE / f"{m}.py") != "analysis"]
    assert not render_only, f"analysis modules keyed as render or tool: {render_only}"
    for path in sorted(PACKAGE.glob("*.py")):
        assert module_stage(path) in ("analysis", "render", "tool"), path.name


def test_data_change_reruns_the_analysis(first, tmp_path, data_copy):
    out = copy_of(first, tmp_path)
    touch_data(data_copy, "edited")
    outcomes = build(data_copy, out, provinces=("henan",), jobs=1, renderer="builtin")
    assert [o.work for o in outcomes] == [Work.FULL] and outcomes[0].ok


def test_two_clean_builds_are_byte_identical_manifest_included(first, tmp_path):
    second = tmp_path / "b"
    build(DATA, second, provinces=("henan",), jobs=1, renderer="builtin")
    a, b = outputs(first), outputs(second)
    assert a == b  # the notebook is compared in its canonical form (without run times)
    assert (first / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()
    for name in a:
        if not name.endswith(".ipynb"):
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_build_id_does_not_depend_on_where_the_data_lie(tmp_path):
    from briefings.manifest import input_keys

    elsewhere = tmp_path / "somewhere" / "else"
    shutil.copytree(DATA, elsewhere)
    a = input_keys(PROJECT, DATA, languages=("zh",), formats=("pdf",), renderer="builtin")
    b = input_keys(PROJECT, elsewhere, languages=("zh",), formats=("pdf",), renderer="builtin")
    assert a == b


def test_outputs_are_world_readable_whatever_the_umask(tmp_path):
    script = (
        "import os, sys; os.umask(0o077); from pathlib import Path; from briefings.build import run_build; "
        "from briefings.project import Project; "
        f"run_build(Project.at(Path({str(PROJECT.root)!r})), Path({str(DATA)!r}), Path({str(tmp_path / 'r')!r}), "
        "provinces=('henan',), languages=('en',), formats=('html',), jobs=1, renderer='builtin')"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    files = [p for p in (tmp_path / "r").rglob("*") if not p.name.startswith(".")]
    assert files
    for p in files:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o004, f"{p} is not world-readable ({oct(mode)})"


def test_failed_rebuild_leaves_the_previous_briefing_whole(first, tmp_path, data_copy, monkeypatch):
    from briefings import render

    out = copy_of(first, tmp_path)
    before = visible_files(out)
    touch_data(data_copy, "edited")
    original = render.BuiltinRenderer._finish

    def fail_last(self, qmd, fmt, written, data_date):
        if qmd.name == "briefing.en.qmd" and fmt == "pdf":
            raise render.RenderError("forced failure of the last document")
        return original(self, qmd, fmt, written, data_date)

    monkeypatch.setattr(render.BuiltinRenderer, "_finish", fail_last)  # inherited by the forked workers
    outcomes = build(data_copy, out, provinces=("henan",), jobs=1, renderer="builtin")
    assert not outcomes[0].ok and "forced failure of the last document" in outcomes[0].error
    province = lambda files: {k: v for k, v in files.items() if k.startswith("henan/")}
    assert province(visible_files(out)) == province(before)  # every file of the previous briefing, unchanged
    assert not [p for p in out.iterdir() if p.name.startswith(".briefings-staging")]


def test_notebook_failure_is_reported_with_cell_and_kept_notebook(first, tmp_path, monkeypatch):
    out = copy_of(first, tmp_path)
    before = visible_files(out)
    project = forced_failure_project(tmp_path, "True")
    result = run(
        "--project",
        project.root,
        "build",
        "--province",
        "henan",
        "--renderer",
        "builtin",
        "--jobs",
        "1",
        "--out",
        out,
        "--data",
        DATA,
    )
    # the notebook changed, so its analysis key did: the province is rebuilt and fails
    assert result.exit_code == 1, result.output
    assert "RuntimeError: forced failure" in result.output
    assert (out / ".briefings-failed" / "henan.ipynb").is_file()
    assert {k: v for k, v in visible_files(out).items() if k.startswith("henan/")} == {
        k: v for k, v in before.items() if k.startswith("henan/")
    }


def test_any_worker_exception_or_dead_kernel_fails_that_province_only(tmp_path, monkeypatch):
    # guangdong's kernel dies mid-notebook (DeadKernelError); hebei's worker raises an error
    # the code never expected; henan builds
    project = forced_failure_project(tmp_path, "province == 'guangdong' and not __import__('os')._exit(1)")
    from briefings import build as build_module

    original = build_module.write_documents

    def explode_for_hebei(task, folder, *rest):
        if task.slug == "hebei":
            raise ZeroDivisionError("unexpected")
        return original(task, folder, *rest)

    monkeypatch.setattr(build_module, "write_documents", explode_for_hebei)
    out = tmp_path / "out"
    result = run(
        "--project",
        project.root,
        "build",
        "--province",
        "guangdong",
        "--province",
        "henan",
        "--province",
        "hebei",
        "--lang",
        "en",
        "--format",
        "html",
        "--renderer",
        "builtin",
        "--jobs",
        "2",
        "--out",
        out,
        "--data",
        DATA,
    )
    assert result.exit_code == 1, result.output
    assert "2 province(s) failed" in result.output
    assert "ZeroDivisionError: unexpected" in result.output
    assert "DeadKernelError" in result.output or "kernel died" in result.output.lower()
    assert (out / "henan" / "briefing.en.html").is_file()
    assert not (out / "guangdong").exists() and not (out / "hebei").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["provinces"]) == ["henan"]  # the failed ones are rebuilt next time
    assert 'href="henan/briefing.en.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_province_arguments_cannot_name_a_path(tmp_path):
    result = run("build", "--province", "../../etc", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "unknown province" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lang", ""], "no language given"),
        (["--format", " , "], "no format given"),
        (["--province", ""], "needs a province slug"),
        (["--lang", "fr"], "unknown language 'fr'"),
        (["--renderer", "quarto"], "quarto"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, args, message, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no quarto
    result = run("build", *args, "--out", tmp_path / "o")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_shards_partition_the_provinces():
    from briefings.build import shard_of

    slugs = ["anhui", "beijing", "guangdong", "hebei", "henan"]
    parts = [shard_of(slugs, (k, 3)) for k in (1, 2, 3)]
    assert sorted(s for p in parts for s in p) == slugs
    assert parts[0] == ["anhui", "hebei"]
    assert run("build", "--shard", "4/3").exit_code == 2


def test_shards_merge_into_one_report_and_incomplete_sets_are_refused(tmp_path):
    for k in (1, 2):
        outcomes = build(
            DATA,
            tmp_path / f"s{k}",
            provinces=("anhui", "henan"),
            languages=("en",),
            formats=("html",),
            jobs=1,
            renderer="builtin",
            shard=(k, 2),
        )
        assert len(outcomes) == 1 and outcomes[0].ok
    missing = run("merge", tmp_path / "m0", tmp_path / "s1")
    assert missing.exit_code == 2 and "shard(s) missing: 2/2" in missing.output
    assert not (tmp_path / "m0").exists()
    assert run("merge", "--help").exit_code == 0
    assert run("merge").exit_code == 2
    result = run("merge", tmp_path / "merged", tmp_path / "s1", tmp_path / "s2")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "merged" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["provinces"]) == ["anhui", "henan"]
    index = (tmp_path / "merged" / "index.html").read_text(encoding="utf-8")
    assert 'href="anhui/briefing.en.html"' in index and 'href="henan/briefing.en.html"' in index
    # the national overview comes with the first shard, and the index links it
    assert (tmp_path / "merged" / "overview.en.html").is_file() and manifest["overview"]["render_outputs"]
    assert 'href="overview.en.html"' in index
    # the merged folder is a valid build: building the same selection there is a no-op
    again = build(
        DATA,
        tmp_path / "merged",
        provinces=("anhui",),
        languages=("en",),
        formats=("html",),
        jobs=1,
        renderer="builtin",
        shard=(1, 2),
    )
    assert [o.work for o in again] == [Work.NONE]
    # a shard is trusted only as far as its manifest: a symbolic link in it is never copied
    # or followed, and a listed file changed after the build is refused
    secret = tmp_path / "secret.txt"
    secret.write_text("not the tool's", encoding="utf-8")
    (tmp_path / "s1" / "anhui" / "extra.html").symlink_to(secret)
    (tmp_path / "s1" / "anhui" / "more").symlink_to(tmp_path, target_is_directory=True)
    result = run("merge", tmp_path / "merged2", tmp_path / "s1", tmp_path / "s2")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "merged2" / "anhui" / "extra.html").exists()
    assert not (tmp_path / "merged2" / "anhui" / "more").exists()
    listed = tmp_path / "s2" / "henan" / "briefing.en.html"
    listed.unlink()
    listed.symlink_to(secret)
    refused = run("merge", tmp_path / "merged3", tmp_path / "s1", tmp_path / "s2")
    assert refused.exit_code == 2 and "regular file" in refused.output
    # shards styled by different stylesheets are different builds, even with the same build id
    first_manifest = tmp_path / "s1" / "manifest.json"
    data = json.loads(first_manifest.read_text(encoding="utf-8"))
    data["inputs"]["formats"]["html"] = "0" * 64
    first_manifest.write_text(json.dumps(data), encoding="utf-8")
    styled = run("merge", tmp_path / "merged4", tmp_path / "s1", tmp_path / "s2")
    assert styled.exit_code == 2 and "different inputs" in styled.output
    assert not (tmp_path / "merged3" / "henan").exists()


# ---------------------------------------------------------------- the output folder


def test_a_foreign_non_empty_out_folder_is_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    precious = {".bashrc.tmp": b"mine", ".x.analysis.y/keep": b"mine too", "notes.txt": b"notes"}
    for name, data in precious.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_bytes(data)
    result = run("build", "--province", "henan", "--lang", "en", "--format", "html", "--out", home)
    assert result.exit_code == 2 and "did not make" in result.output and "--force" in result.output
    forced = run(
        "build",
        "--province",
        "henan",
        "--lang",
        "en",
        "--format",
        "html",
        "--renderer",
        "builtin",
        "--jobs",
        "1",
        "--out",
        home,
        "--force",
    )
    assert forced.exit_code == 0, forced.output
    for name, data in precious.items():
        assert (home / name).read_bytes() == data  # never deleted what the tool did not write
    again = run("build", "--province", "henan", "--lang", "en", "--format", "html", "--renderer", "builtin", "--out", home)
    assert again.exit_code == 0, again.output  # the folder is marked as the tool's now


def test_out_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    result = run("build", "--province", "henan", "--out", tmp_path / "file" / "reports")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "file" in result.output


def test_a_full_disk_is_a_clear_error(first, tmp_path, data_copy, monkeypatch):
    import errno

    from briefings import fsutil

    out = copy_of(first, tmp_path)
    touch_data(data_copy, "edited")

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(fsutil, "atomic_write_bytes", full)
    result = run(
        "build",
        "--province",
        "henan",
        "--lang",
        "en",
        "--format",
        "html",
        "--renderer",
        "builtin",
        "--jobs",
        "1",
        "--data",
        data_copy,
        "--out",
        out,
    )
    assert result.exit_code in (1, 2)
    assert "disk is full" in result.output and "Traceback" not in result.output
    assert (out / "henan" / "briefing.en.html").read_bytes() == (first / "henan" / "briefing.en.html").read_bytes()


def test_a_manifest_of_the_wrong_shape_is_ignored(first, tmp_path):
    out = copy_of(first, tmp_path)
    for bad in (
        "[1, 2]",
        '{"format": 2, "provinces": {"../../etc": {"analysis_key": "x", "render_key": "y", '
        '"analysis_outputs": {"../../etc/passwd": "0"}, "render_outputs": {}}}, "selections": {"*|*": ["../x"]}}',
        '{"format": 2, "provinces": 5, "inputs": "x"}',
    ):
        (out / "manifest.json").write_text(bad, encoding="utf-8")
        outcomes = build(DATA, out, provinces=("henan",), languages=("en",), formats=("html",), jobs=1, renderer="builtin")
        assert outcomes[0].ok
        assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["format"] == 3


def test_a_second_build_into_the_same_folder_waits_or_refuses(first, tmp_path):
    import fcntl

    out = copy_of(first, tmp_path)
    with open(out / ".briefings.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = run("build", "--province", "henan", "--out", out, "--no-wait")
        assert result.exit_code == 2 and "another build" in result.output
        proc = subprocess.Popen(
            [sys.executable, "-m", "briefings", "build", "--province", "henan", "--renderer", "builtin", "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=3)  # it waits for the lock
        fcntl.flock(handle, fcntl.LOCK_UN)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert "waiting for the build already writing" in output


def test_leftovers_are_only_what_the_tool_made(tmp_path):
    from briefings.staging import STAGING_MARKER, marker_of, new_staging, remove_leftovers

    ours = new_staging(tmp_path, "henan")  # killed before publishing: marked from the start
    (ours / "briefing.zh.html").write_text("half")
    assert marker_of(ours).is_file() and not (ours / STAGING_MARKER).exists()
    lone = tmp_path / ".briefings-staging-hebei-xyz.ours"  # killed between removing a folder and its marker
    lone.write_text("x")
    older = tmp_path / ".briefings-staging-henan-abc"  # what earlier versions left: the marker inside
    older.mkdir()
    (older / STAGING_MARKER).write_text("x")
    theirs = tmp_path / ".briefings-staging-lookalike"
    theirs.mkdir()
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    link = tmp_path / ".briefings-staging-link"
    link.symlink_to(elsewhere)
    marker_of(link).write_text("x")
    (tmp_path / ".notes.tmp").write_text("keep")
    removed = remove_leftovers(tmp_path)
    assert sorted(removed) == sorted([ours, older])
    assert not ours.exists() and not marker_of(ours).exists() and not lone.exists() and not older.exists()
    assert theirs.exists() and (tmp_path / ".notes.tmp").exists()
    assert link.is_symlink() and (elsewhere / "keep.txt").read_text() == "keep"


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename-away"])
def test_a_published_folder_carries_no_marker_and_leaves_none(tmp_path, monkeypatch, exchange):
    from briefings import staging as staging_module
    from briefings.staging import MARKER_SUFFIX, STAGING_MARKER, new_staging, publish

    if not exchange:  # file systems without an atomic exchange
        monkeypatch.setattr(staging_module, "_exchange", lambda a, b: False)
    for round_ in ("first", "second"):  # a new folder, then an exchange with the previous one
        staging = new_staging(tmp_path, "henan")
        (staging / "briefing.en.html").write_text(round_)
        publish(staging, tmp_path / "henan")
        assert (tmp_path / "henan" / "briefing.en.html").read_text() == round_
        assert not (tmp_path / "henan" / STAGING_MARKER).exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["henan"], MARKER_SUFFIX


def test_long_unbroken_tokens_wrap_in_the_pdf(tmp_path, data_copy):
    token = "https://example.org/" + "a1b2c3d4e5" * 20
    touch_data(data_copy, token)
    edit_cell(
        data_copy / "measures.csv",
        lambda r: r["measure_id"] == "henan-001",
        "evidence",
        "设立总规模 30 亿元的人工智能产业基金" + "x" * 200,
    )
    # a long word of another script (accented Latin, Cyrillic): no ASCII run to break at
    edit_cell(data_copy / "measures.csv", lambda r: r["measure_id"] == "henan-002", "summary_en", "Fund " + "éдü" * 62 + ".")
    out = tmp_path / "r"
    outcomes = build(data_copy, out, provinces=("henan",), languages=("en",), formats=("pdf",), jobs=1, renderer="builtin")
    assert outcomes[0].ok
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(out / "henan" / "briefing.en.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    import re

    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    assert right_edges and max(right_edges) <= width - 20, "text runs off the page"


def test_kill_leaves_no_process_and_ctrl_c_stops_fast(first, tmp_path, data_copy):
    import signal
    import time

    import psutil

    for sig in (signal.SIGKILL, signal.SIGINT):
        out = copy_of(first, tmp_path / sig.name)
        touch_data(data_copy, f"edited {sig.name}")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "briefings",
                "build",
                "--province",
                "henan",
                "--province",
                "hebei",
                "--renderer",
                "builtin",
                "--jobs",
                "2",
                "--data",
                str(data_copy),
                "--out",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        parent = psutil.Process(proc.pid)
        deadline = time.monotonic() + 60
        kernels: list[psutil.Process] = []
        while time.monotonic() < deadline and not kernels:
            time.sleep(0.2)
            kernels = [p for p in parent.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
        assert kernels, "the build never started a kernel"
        family = parent.children(recursive=True)
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)  # a hang, not a speed bound: a stopped build exits at once
        if sig == signal.SIGINT:
            assert proc.returncode != 0
        _, alive = psutil.wait_procs(family, timeout=10)
        assert not alive, f"left running after {sig.name}: {[p.cmdline() for p in alive]}"
        # the previous good briefing is whole, and the next build completes and cleans up
        assert visible_files(out)["henan/briefing.zh.pdf"] == (first / "henan" / "briefing.zh.pdf").read_bytes()
        outcomes = build(data_copy, out, provinces=("henan",), jobs=1, renderer="builtin")
        assert outcomes[0].ok
        assert not [p for p in out.iterdir() if p.name.startswith(".briefings-staging")]


def test_tool_versions_key_what_they_affect(monkeypatch, tmp_path):
    """A pandas upgrade re-runs the notebooks; a typst upgrade only re-renders; a comment in a
    catalog changes nothing, a translation re-renders only."""
    from briefings import i18n, manifest

    project = PROJECT

    def keys():
        manifest._installed.cache_clear()
        i18n._catalog.cache_clear()  # a build reads the catalogs afresh in each process
        return manifest.input_keys(project, DATA, languages=("zh",), formats=("pdf",), renderer="builtin")

    base = keys()
    real = manifest._installed.__wrapped__

    def with_version(package, value):
        monkeypatch.setattr(manifest, "_installed", lru_cache_like(lambda: {**real(), package: value}))

    with_version("pandas", "99.0")
    upgraded = keys()
    assert upgraded.analysis != base.analysis
    with_version("typst", "99.0")
    render_only = keys()
    assert render_only.analysis == base.analysis and render_only.render_inputs != base.render_inputs
    monkeypatch.undo()
    # the catalogs, as messages (in a copy of the project): a comment is not a change, a
    # translation of a string no chart prints re-renders only
    project = copy_project(tmp_path / "project")
    po = project.locale / "zh_Hans" / "LC_MESSAGES" / "briefings.po"
    original = po.read_text(encoding="utf-8")
    try:
        assert keys() == base
        po.write_text("# a translator's comment\n" + original, encoding="utf-8")
        assert keys() == base
        msgid = next(m for m in sorted(i18n.catalog_messages("zh")) if m not in manifest.figure_msgids() and "%" not in m)
        translated = i18n.catalog_messages("zh")[msgid]
        edited = original.replace(f'msgid "{msgid}"\nmsgstr "{translated}"', f'msgid "{msgid}"\nmsgstr "{translated}（改）"', 1)
        assert edited != original, msgid
        po.write_text(edited, encoding="utf-8")
        changed = keys()
        assert changed.analysis == base.analysis and changed.render_inputs != base.render_inputs
    finally:
        PROJECT.activate()


def lru_cache_like(function):
    """A stand-in for an lru_cache'd function (it has cache_clear)."""
    function.cache_clear = lambda: None
    return function


def test_a_build_killed_midway_leaves_a_manifest_that_describes_every_folder(tmp_path, data_copy):
    """Killed after one province was republished and before the other: the manifest still lists
    the other (its previous entry, marked pending), and sign-off and packs refuse until a build
    finishes; nothing is silently dropped from the review record."""
    out = tmp_path / "reports"
    assert all(o.ok for o in build(data_copy, out, provinces=("henan", "hebei"), jobs=1, renderer="builtin"))
    touch_data(data_copy, "changed before the killed build")
    project = copy_project(tmp_path / "project")
    nb = json.loads(project.notebook.read_text(encoding="utf-8"))
    nb["cells"].insert(
        3,
        {
            "cell_type": "code",
            "id": "stall",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "import time\nif province == 'hebei':\n    time.sleep(120)",
        },
    )
    project.notebook.write_text(json.dumps(nb), encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "briefings",
            "--project",
            str(project.root),
            "build",
            "--renderer",
            "builtin",
            "--jobs",
            "1",
            "--province",
            "henan",
            "--province",
            "hebei",
            "--data",
            str(data_copy),
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    before = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["build_id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until this build has republished henan
        time.sleep(0.3)
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        if manifest["build_id"] != before and not manifest["provinces"]["henan"].get("pending"):
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    from briefings.staging import build_running

    deadline = time.monotonic() + 30  # a kernel whose worker died exits within a second or so
    while build_running(out) and time.monotonic() < deadline:
        time.sleep(0.2)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["provinces"]) == {"henan", "hebei"}, manifest["provinces"].keys()
    assert manifest["provinces"]["hebei"]["pending"] and not manifest["provinces"]["henan"].get("pending")
    review = tmp_path / "reviewed.json"
    result = run("review", "accept", "--out", str(out), "--review", str(review))
    assert result.exit_code == 2 and "did not finish" in result.output and not review.exists(), result.output
    assert all(o.ok for o in build(data_copy, out, provinces=("henan", "hebei"), jobs=1, renderer="builtin"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not any(entry.get("pending") for entry in manifest["provinces"].values())
    assert run("review", "accept", "--out", str(out), "--review", str(review)).exit_code == 0


def test_merge_never_replaces_a_users_files_and_checks_every_shard_before_publishing(tmp_path):
    for k in (1, 2):
        outcomes = build(
            DATA,
            tmp_path / f"s{k}",
            provinces=("anhui", "henan"),
            languages=("en",),
            formats=("html",),
            jobs=1,
            renderer="builtin",
            shard=(k, 2),
        )
        assert outcomes[0].ok
    merged = tmp_path / "merged"
    assert run("merge", merged, tmp_path / "s1", tmp_path / "s2").exit_code == 0
    # a user's note in a province folder of the tool's own output folder: refused, kept
    (merged / "henan" / "notes.txt").write_text("mine", encoding="utf-8")
    refused = run("merge", merged, tmp_path / "s1", tmp_path / "s2")
    assert refused.exit_code == 2 and "notes.txt" in refused.output, refused.output
    assert (merged / "henan" / "notes.txt").read_text(encoding="utf-8") == "mine"
    (merged / "henan" / "notes.txt").unlink()
    # a folder the tool did not make, forced: its index.html and a province-named folder stop it
    theirs = tmp_path / "theirs"
    (theirs / "anhui").mkdir(parents=True)
    (theirs / "anhui" / "plan.txt").write_text("plan", encoding="utf-8")
    (theirs / "index.html").write_text("my index", encoding="utf-8")
    forced = run("merge", theirs, tmp_path / "s1", tmp_path / "s2", "--force")
    assert forced.exit_code == 2, forced.output
    assert (theirs / "index.html").read_text(encoding="utf-8") == "my index"
    assert (theirs / "anhui" / "plan.txt").read_text(encoding="utf-8") == "plan"
    # a bad file in the last shard: nothing of the first shard is published
    before = {p: p.read_bytes() for p in merged.rglob("*") if p.is_file() and ".briefings" not in str(p)}
    with (tmp_path / "s2" / "henan" / "briefing.en.html").open("a", encoding="utf-8") as handle:
        handle.write("<!-- changed after the build -->")
    bad = run("merge", merged, tmp_path / "s1", tmp_path / "s2")
    assert bad.exit_code == 2 and "does not match its manifest" in bad.output
    after = {p: p.read_bytes() for p in merged.rglob("*") if p.is_file() and ".briefings" not in str(p)}
    assert after == before


def test_a_province_whose_build_failed_is_never_reported_unchanged_or_packed(tmp_path, data_copy):
    out, review = tmp_path / "reports", tmp_path / "reviewed.json"
    assert all(o.ok for o in build(data_copy, out, provinces=("henan", "hebei"), jobs=1, renderer="builtin"))
    assert run("review", "accept", "--out", out, "--review", review).exit_code == 0
    touch_data(data_copy, "changed after the review")
    project = forced_failure_project(tmp_path, "province == 'hebei'")
    failed = run(
        "--project",
        project.root,
        "build",
        "--renderer",
        "builtin",
        "--jobs",
        "1",
        "--province",
        "henan",
        "--province",
        "hebei",
        "--data",
        data_copy,
        "--out",
        out,
    )
    assert failed.exit_code == 1, failed.output
    diff = run("diff", "--out", out, "--review", review)
    assert diff.exit_code == 1 and "hebei: the latest build failed" in diff.output, diff.output
    status = run("review", "status", "--out", out, "--review", review)
    assert "build failed" in status.output and "hebei" in status.output, status.output
    pack = run("pack", "--out", out, "--review", review, "--lang", "en")
    assert pack.exit_code == 2 and "failed" in pack.output and not (out / "pack.en.pdf").exists(), pack.output


def test_the_build_kernels_write_no_ipython_history(tmp_path, monkeypatch):
    """The notebooks' kernels keep no input history: a build writes nothing into the user's
    IPython folder (here a folder of the test's own, which IPython would fill otherwise)."""
    import sqlite3

    ipython = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython))
    result = run("build", "--province", "henan", "--lang", "en", "--format", "html", "--out", tmp_path / "out", "--data", DATA)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "henan" / "briefing.en.html").is_file()
    history = ipython / "profile_default" / "history.sqlite"
    if history.is_file():  # IPython may make the database; it must record no session
        with sqlite3.connect(history) as db:
            tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
            assert "history" not in tables or db.execute("select count(*) from history").fetchone()[0] == 0
