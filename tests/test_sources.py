"""verify-sources: evidence and numbers checked against the seed articles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefings.sources import normalize_text, number_in_text

from .conftest import SEEDS, edit_cell, run

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


@needs_seeds
def test_verify_sources_passes_on_the_seeds():
    result = run("verify-sources", SEEDS)
    assert result.exit_code == 0, result.output
    assert "all" in result.output and "rows verified" in result.output


@needs_seeds
def test_tampered_clause_fails(data_copy):
    row = edit_cell(data_copy / "measures.csv", lambda r: "人工智能产业基金" in r["evidence"], "evidence", "设立总规模 300 亿元的人工智能产业基金")
    assert row > 1
    result = run("verify-sources", SEEDS, "--data", data_copy)
    assert result.exit_code == 1
    assert "evidence not found" in result.output


@needs_seeds
def test_tampered_number_fails(data_copy):
    edit_cell(data_copy / "measures.csv", lambda r: "人工智能产业基金" in r["evidence"] and r["value_reported"] == "30", "value_reported", "31")
    result = run("verify-sources", SEEDS, "--data", data_copy)
    assert result.exit_code == 1
    assert "number 31 not in its evidence" in result.output


@needs_seeds
def test_missing_source_text_fails(tmp_path: Path):
    for p in sorted(SEEDS.glob("*.txt"))[1:]:
        shutil.copy(p, tmp_path / p.name)
    result = run("verify-sources", tmp_path)
    assert result.exit_code == 1
    assert "not found in" in result.output
