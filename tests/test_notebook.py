"""The briefing notebook under papermill: two provinces, determinism, clear errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from briefings.execute import run_analysis

from .conftest import DATA, PROJECT, build, run

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

NOTEBOOK = PROJECT.notebook


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("fig-*.svg"))}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    for slug in ("henan", "guangdong"):
        run_analysis(slug, root / slug, project=PROJECT, data_dir=DATA)
    return root


def test_committed_notebook_has_no_outputs():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert not any(c["outputs"] or c["execution_count"] for c in code)
    assert any("parameters" in c["metadata"].get("tags", []) for c in code)


@pytest.mark.parametrize("slug", ["henan", "guangdong"])
def test_notebook_writes_results_figures_and_audit_trail(analysed, slug):
    folder = analysed / slug
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert results["province"]["slug"] == slug
    assert (folder / "analysis.ipynb").is_file()
    executed = json.loads((folder / "analysis.ipynb").read_text(encoding="utf-8"))
    assert any(c.get("outputs") for c in executed["cells"] if c["cell_type"] == "code")
    for files in results["figures"].values():
        for lang in ("zh", "en"):
            svg = (folder / files[lang]).read_text(encoding="utf-8")
            assert svg.startswith("<?xml") and "<svg" in svg
            assert "dc:date" not in svg  # no build date in the metadata
    # every measure id a comparison rests on is cited with its evidence
    for c in results["comparisons"]:
        for e in c["entries"]:
            assert results["measures"][e["measure_id"]]["evidence"]


def test_numbers_agree_with_the_dataset(analysed):
    henan = json.loads((analysed / "henan" / "results.json").read_text(encoding="utf-8"))
    fund = henan["measures"]["henan-001"]
    assert (fund["value"], fund["unit"], fund["metric"]) == (3e9, "CNY", "fund_size")
    guangdong = json.loads((analysed / "guangdong" / "results.json").read_text(encoding="utf-8"))
    assert {"440300", "441900"} <= {c["code"] for c in guangdong["province"]["cities"]}
    entries = [e for c in guangdong["comparisons"] for e in c["entries"] if e["holder"]["is_subject"]]
    # a city's figure is the city's, compared at city level; the province's own at province level
    assert entries and all(
        e["holder"]["is_city"] == (c["level"] == "city")
        for c in guangdong["comparisons"]
        for e in c["entries"]
        if e["holder"]["is_subject"]
    )


def test_figures_are_byte_identical_across_runs(analysed, tmp_path):
    run_analysis("henan", tmp_path / "henan", project=PROJECT, data_dir=DATA)
    assert digest(tmp_path / "henan") == digest(analysed / "henan")
    assert (tmp_path / "henan" / "results.json").read_bytes() == (analysed / "henan" / "results.json").read_bytes()


def test_missing_parameter_is_a_clear_error(tmp_path):
    with pytest.raises(PapermillExecutionError) as info:
        papermill.execute_notebook(
            str(NOTEBOOK),
            str(tmp_path / "out.ipynb"),
            parameters={"data_dir": str(DATA)},
            progress_bar=False,
            kernel_name="python3",
        )
    assert "parameter(s) missing: province" in str(info.value)


def test_unknown_province_fails_before_starting_a_kernel(tmp_path):
    result = run("analyze", "--province", "atlantis", "--out", tmp_path / "r", "--data", DATA)
    assert result.exit_code == 2
    assert "unknown province 'atlantis'" in result.output
    assert not (tmp_path / "r").exists()


def test_executed_notebook_names_no_machine_path(analysed):
    text = (analysed / "henan" / "analysis.ipynb").read_text(encoding="utf-8")
    assert str(analysed) not in text and "/tmp/" not in text and ".briefings-staging" not in text
    nb = json.loads(text)
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert 'output_dir = "."' in "".join(injected["source"])


def test_analyze_updates_the_manifest_so_the_next_build_only_renders(tmp_path):
    from briefings.build import Work

    out = tmp_path / "r"
    result = run("analyze", "--province", "henan", "--out", out, "--data", DATA)
    assert result.exit_code == 0, result.output
    assert (out / "henan" / "results.json").is_file()
    outcomes = build(DATA, out, provinces=("henan",), languages=("en",), formats=("html",), jobs=1, renderer="builtin")
    assert [o.work for o in outcomes] == [Work.RENDER]
