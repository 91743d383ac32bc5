"""verify-sources: evidence and numbers checked against the seed articles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefings.sources import normalize_text, number_in_text

from .conftest import DATA, SEEDS, edit_cell, run

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds (the source articles) is not beside the project")


def test_normalize_drops_pinyin_converts_and_folds():
    assert normalize_text("河南發(fā)文!  數(shù)據\n「人工智能+」") == "河南发文! 数据 “人工智能+”"
    # a parenthesis that is not pinyin stays
    assert normalize_text("(2024—2026年)") == "(2024—2026年)"


@pytest.mark.parametrize(
    ("value", "unit", "text", "found"),
    [
        ("30", "亿元", "设立总规模 30 亿元的基金", True),
        ("30", "亿元", "规模超 300 亿元", False),  # 30 is not inside 300
        ("1.5", "PUE", "PUE不高于1.5", True),
        ("1", "万亿元", "规模突破万亿元", True),  # implicit one
        ("100", "亿元", "人工智能百亿基金投资生态", True),
        ("2-3", "个", "形成2—3个先进可用的基础大模型", True),
        ("60", "%", "提高资助比例至50%", False),
    ],
)
def test_number_in_text(value, unit, text, found):
    assert number_in_text(value, unit, text) is found


def _sources() -> list[tuple[str, str]]:
    import csv

    with (DATA / "sources.csv").open(encoding="utf-8", newline="") as handle:
        return [(r["source_id"], r["file"]) for r in csv.DictReader(handle)]


@pytest.mark.parametrize("source_id, file", _sources())
def test_each_source_verifies(source_id, file):
    """One test per source: a source whose text is absent is skipped (reported), not fatal to the rest."""
    if not (SEEDS / file).is_file():
        pytest.skip(f"text of {source_id} ({file}) is not in {SEEDS}; set BRIEFINGS_SEEDS")
    from briefings.load import load_dataset
    from briefings.sources import verify_sources

    (report,) = [r for r in verify_sources(load_dataset(DATA), SEEDS) if r.source_id == source_id]
    assert report.found and report.ok, report.misses


@needs_seeds
def test_verify_sources_passes_on_the_seeds_and_reads_the_folder_from_the_environment(monkeypatch):
    result = run("verify-sources", SEEDS)
    assert result.exit_code == 0, result.output
    assert "rows of 5 source(s) verified" in result.output
    monkeypatch.setenv("BRIEFINGS_SEEDS", str(SEEDS))
    assert run("verify-sources").exit_code == 0


@needs_seeds
def test_tampered_clause_fails(data_copy):
    # the clause keeps its number (so validation passes) but is no longer the source's words
    row = edit_cell(
        data_copy / "measures.csv", lambda r: "人工智能产业基金" in r["evidence"], "evidence", "设立规模 30 亿元的人工智能基金"
    )
    assert row > 1
    result = run("verify-sources", SEEDS, "--data", data_copy)
    assert result.exit_code == 1
    assert "evidence not found" in result.output


@needs_seeds
def test_tampered_number_fails_with_or_without_the_source_texts(data_copy, tmp_path):
    # a value edited away from its evidence is refused by every validate and build, source texts
    # or not (a rate edited from 30 to 55 with evidence 最高30% is never published)
    row = edit_cell(
        data_copy / "measures.csv",
        lambda r: "人工智能产业基金" in r["evidence"] and r["value_reported"] == "30",
        "value_reported",
        "31",
    )
    for args in (("verify-sources", SEEDS), ("validate",), ("build", "--out", tmp_path / "out", "--province", "henan")):
        result = run(*args, "--data", data_copy)
        assert result.exit_code == 2, (args, result.output)
        assert f"measures.csv, row {row}, column evidence: the number 31 is not in the evidence clause" in result.output
    assert not (tmp_path / "out").exists()


@needs_seeds
def test_an_absent_source_text_is_reported_and_the_rest_checked(tmp_path: Path):
    for p in sorted(SEEDS.glob("*.txt"))[1:]:
        shutil.copy(p, tmp_path / p.name)
    result = run("verify-sources", "--seeds", tmp_path)
    assert result.exit_code == 0, result.output
    assert "not checked" in result.output and "rows of 4 source(s) verified" in result.output
    assert run("verify-sources", "--seeds", tmp_path, "--require-all").exit_code == 1
