"""The build: no-op rebuilds, byte-identical clean builds, failure isolation, safe province names."""

from __future__ import annotations

import json

import pytest

from briefings.build import Work, build

from .conftest import DATA, edit_cell, run


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    out = tmp_path_factory.mktemp("build-a")
    outcomes = build(DATA, out, provinces=("henan",), languages=("zh", "en"), jobs=1, renderer="builtin")
    assert all(o.ok and o.work is Work.FULL for o in outcomes)
    return out


def outputs(root):
    entry = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["provinces"]["henan"]
    return {**entry["analysis_outputs"], **entry["render_outputs"]}


def test_manifest_records_hashes_and_tools(first):
    manifest = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    assert {"henan/briefing.zh.pdf", "henan/briefing.en.html", "henan/results.json", "henan/fig-funds.zh.svg"} <= set(outputs(first))
    assert {"python", "pandas", "seaborn", "papermill", "typst", "renderer"} <= set(manifest["tools"])
    assert set(manifest["inputs"]) == {"analysis", "render"}


def test_second_build_is_a_no_op(first, monkeypatch):
    import briefings.load

    def must_not_load(*args, **kwargs):
        raise AssertionError("a no-op build must not even read the data")

    monkeypatch.setattr(briefings.load, "load_dataset", must_not_load)
    pdf = first / "henan" / "briefing.zh.pdf"
    before = pdf.stat().st_mtime_ns
    outcomes = build(DATA, first, provinces=("henan",), jobs=1, renderer="builtin")
    assert [o.work for o in outcomes] == [Work.NONE]
    assert pdf.stat().st_mtime_ns == before


def test_render_only_change_does_not_rerun_the_notebook(first, tmp_path):
    import shutil

    out = tmp_path / "r"
    shutil.copytree(first, out)
    notebook = out / "henan" / "analysis.ipynb"
    before = notebook.stat().st_mtime_ns
    # a different set of formats changes the render inputs only
    outcomes = build(DATA, out, provinces=("henan",), formats=("html",), jobs=1, renderer="builtin")
    assert [o.work for o in outcomes] == [Work.RENDER]
    assert notebook.stat().st_mtime_ns == before


def test_data_change_reruns_the_analysis(first, tmp_path, data_copy):
    import shutil

    out = tmp_path / "r"
    shutil.copytree(first, out)
    edit_cell(data_copy / "measures.csv", lambda r: r["measure_id"] == "henan-001", "note", "edited")
    outcomes = build(data_copy, out, provinces=("henan",), jobs=1, renderer="builtin")
    assert [o.work for o in outcomes] == [Work.FULL] and outcomes[0].ok


def test_two_clean_builds_are_byte_identical(first, tmp_path):
    build(DATA, tmp_path, provinces=("henan",), jobs=1, renderer="builtin")
    a, b = outputs(first), outputs(tmp_path)
    del a["henan/analysis.ipynb"], b["henan/analysis.ipynb"]  # the audit trail records run times
    assert a == b


def test_failing_province_keeps_its_previous_briefing(first, tmp_path, data_copy):
    import shutil

    out = tmp_path / "reports"
    shutil.copytree(first, out)
    good = (out / "henan" / "briefing.en.pdf").read_bytes()
    # a notebook that fails for every province: the previous good briefing must stay
    bad_notebook = tmp_path / "broken.ipynb"
    nb = json.loads((DATA.parent / "analysis" / "briefing.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "id": "forced-failure", "metadata": {}, "execution_count": None, "outputs": [], "source": "raise RuntimeError('forced failure')"})
    bad_notebook.write_text(json.dumps(nb), encoding="utf-8")
    from briefings import execute
    from briefings.load import load_dataset

    with pytest.raises(execute.AnalysisError) as info:
        execute.run_analysis(load_dataset(DATA), "henan", out / "henan", notebook=bad_notebook)
    assert "forced failure" in str(info.value) and info.value.notebook.is_file()
    assert (out / "henan" / "briefing.en.pdf").read_bytes() == good
    assert not list((out).glob(".henan.analysis.*"))


def test_province_arguments_cannot_name_a_path(tmp_path):
    result = run("build", "--province", "../../etc", "--out", tmp_path)
    assert result.exit_code == 2
    assert "unknown province" in result.output


def test_shards_partition_the_provinces():
    from briefings.build import shard_of

    slugs = ["anhui", "beijing", "guangdong", "hebei", "henan"]
    parts = [shard_of(slugs, (k, 3)) for k in (1, 2, 3)]
    assert sorted(s for p in parts for s in p) == slugs
    assert parts[0] == ["anhui", "hebei"]
    assert run("build", "--shard", "4/3").exit_code == 2


def test_leftovers_of_a_killed_build_are_removed(tmp_path):
    from briefings.build import remove_leftovers

    (tmp_path / ".henan.analysis.abc").mkdir()
    (tmp_path / "henan").mkdir()
    (tmp_path / "henan" / ".briefing.zh.pdf.x1.tmp").write_bytes(b"half")
    (tmp_path / "henan" / "briefing.zh.pdf").write_bytes(b"good")
    remove_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["briefing.zh.pdf", "henan"]


def test_shards_merge_into_one_report(tmp_path):
    from briefings.merge import merge

    for k in (1, 2):
        outcomes = build(DATA, tmp_path / f"s{k}", provinces=("anhui", "henan"), languages=("en",), formats=("html",),
                         jobs=1, renderer="builtin", shard=(k, 2))
        assert len(outcomes) == 1 and outcomes[0].ok
    merge(tmp_path / "merged", [tmp_path / "s1", tmp_path / "s2"])
    manifest = json.loads((tmp_path / "merged" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["provinces"]) == ["anhui", "henan"]
    index = (tmp_path / "merged" / "index.html").read_text(encoding="utf-8")
    assert 'href="anhui/briefing.en.html"' in index and 'href="henan/briefing.en.html"' in index


def visible_files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGINT"])
def test_interrupted_build_leaves_no_partial_file_and_recovers(first, tmp_path, data_copy, signal_name):
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "reports"
    shutil.copytree(first, out)
    before = visible_files(out)
    edit_cell(data_copy / "measures.csv", lambda r: r["measure_id"] == "henan-001", "note", "changed: forces a rebuild")
    cmd = [sys.executable, "-m", "briefings", "build", "--province", "henan", "--data", str(data_copy), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(2.5)  # mid-build: the notebook is running
    os.killpg(proc.pid, getattr(signal, signal_name))
    proc.wait(timeout=60)
    # the build's kernels run in their own session and exit within a second of their
    # worker (ipykernel's parent poller); until then one may still write to its staging folder
    time.sleep(2.5)
    after = visible_files(out)
    # every visible file is the previous good one (or a complete new one), never a fragment
    assert set(after) == set(before)
    changed = [name for name in after if after[name] != before[name]]
    assert all(name.endswith((".json", ".svg", ".ipynb", ".qmd", ".typ", ".html", ".pdf")) for name in changed)
    for name in changed:
        if name.endswith(".pdf"):
            assert after[name].rstrip().endswith(b"%%EOF")
    # the next build recovers: it completes and removes what the interrupted one left behind
    outcomes = build(data_copy, out, provinces=("henan",), jobs=1, renderer="builtin")
    assert outcomes[0].ok
    assert not [p for p in out.rglob(".*") if p.name != ".gitkeep"]


def test_a_failing_province_does_not_stop_the_others(tmp_path, monkeypatch):
    from briefings import render

    original = render.BuiltinRenderer.render

    def fail_for_guangdong(self, qmd, formats, **kwargs):
        if qmd.parent.name == "guangdong":
            raise render.RenderError("forced failure for guangdong")
        return original(self, qmd, formats, **kwargs)

    # workers are forked from this process, so they inherit the patch
    monkeypatch.setattr(render.BuiltinRenderer, "render", fail_for_guangdong)
    result = run("build", "--province", "guangdong", "--province", "henan", "--lang", "en", "--format", "html",
                 "--renderer", "builtin", "--jobs", "2", "--out", tmp_path)
    assert result.exit_code == 1
    assert "forced failure for guangdong" in result.output and "1 province(s) failed: guangdong" in result.output
    assert (tmp_path / "henan" / "briefing.en.html").is_file()
    assert not (tmp_path / "guangdong" / "briefing.en.html").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["provinces"]) == ["henan"]  # the failed province is rebuilt next time
