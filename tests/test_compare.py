"""Comparison logic on a small fixture dataset with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefings.compare import find_province, province_results, provinces_with_measures
from briefings.errors import UsageError
from briefings.load import load_dataset

MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture(scope="module")
def ds():
    return load_dataset(MINI)


@pytest.fixture(scope="module")
def henan(ds):
    return province_results(ds, "henan")


def comparison(results, metric, period=None, status_class="planned"):
    hits = [c for c in results["comparisons"] if c["metric"] == metric and c["period"] == period and c["status_class"] == status_class]
    assert len(hits) == 1, [c["key"] for c in results["comparisons"]]
    return hits[0]


def entry(c, measure_id):
    return next(e for e in c["entries"] if e["measure_id"] == measure_id)


def test_fund_ranks_with_tie_and_qualifier_uncertainty(henan):
    funds = comparison(henan, "fund_size")
    order = [e["measure_id"] for e in funds["entries"]]
    # ≈100 (Shenzhen), ≥50 (Anhui), then Henan and Hubei tied at 30 (code order CN-HA < CN-HB)
    assert order == ["shenzhen-001", "anhui-001", "henan-001", "hubei-001"]
    assert [e["rank"] for e in funds["entries"]] == [1, 2, 3, 3]
    h = entry(funds, "henan-001")
    assert h["tie"] is True and h["holder"]["is_subject"] is True
    assert h["ratio_to_leader"] == pytest.approx(0.3)
    # "≥ 50" next to "≈ 100" is not a clean ordering; 30 vs them is
    assert entry(funds, "anhui-001")["uncertain"] and entry(funds, "shenzhen-001")["uncertain"]
    assert not h["uncertain"]
    assert funds["n"] == 4 and funds["leader_measure_id"] == "shenzhen-001"
    # same macro-region peers of Henan (central): Hubei and Anhui
    assert sorted(funds["peer_measure_ids"]) == ["anhui-001", "hubei-001"]


def test_city_row_is_shown_as_the_city_not_merged(henan):
    pools = comparison(henan, "pool_total", "total")
    zz = entry(pools, "henan-003")
    assert zz["holder"]["code"] == "410100" and zz["holder"]["is_city"] is True
    assert zz["holder"]["is_subject"] is True  # part of Henan's briefing, as Zhengzhou's
    assert zz["value"] == pytest.approx(1e8)
    assert henan["province"]["cities"] == [{"code": "410100", "name_zh": "郑州", "name_en": "Zhengzhou"}]


def test_periods_are_kept_apart(henan):
    per_year = comparison(henan, "pool_per_year", "per_year")
    total = comparison(henan, "pool_total", "total")
    assert {e["measure_id"] for e in per_year["entries"]} == {"henan-002", "shenzhen-002"}
    assert {e["measure_id"] for e in total["entries"]} == {"henan-003"}
    # equal stated pools tie; nothing is summed (Henan's two pools stay two entries)
    assert [e["rank"] for e in per_year["entries"]] == [1, 1]
    assert all(e["tie"] for e in per_year["entries"])


def test_compute_targets_against_regions_and_national_baseline(henan):
    compute = comparison(henan, "compute_capacity")
    assert [e["measure_id"] for e in compute["entries"]] == ["hebei-001", "henan-004"]
    h = entry(compute, "henan-004")
    assert h["rank"] == 2 and h["uncertain"] is True  # ≥ 94 next to ≈ 100
    assert h["value"] == pytest.approx(9.4e19) and h["year"] == 2025 and h["status"] == "target"
    # baselines are not ranked against targets; the national figure is a reference only
    assert "hebei-002" not in {e["measure_id"] for e in compute["entries"]}
    assert [n["measure_id"] for n in compute["national"]] == ["china-001"]


def test_missing_metrics_are_not_reported_never_zero(henan):
    missing = {n["metric"]: n for n in henan["not_reported"]}
    assert "subsidy_rate" in missing
    assert [r["code"] for r in missing["subsidy_rate"]["reported_by"]] == ["CN-HB"]
    for c in henan["comparisons"]:
        assert all(e["value"] is not None for e in c["entries"])


def test_instrument_named_without_amount(henan):
    named = [q["measure_id"] for q in henan["qualitative"]]
    assert named == ["henan-005"]


def test_findings_cite_measures(henan):
    first = henan["findings"][0]
    assert first["section"] == "funds" and first["measure_id"] == "henan-001"
    assert first["rank"] == 3 and first["n"] == 4 and first["tie"] is True


def test_province_with_only_qualitative_rows(ds):
    jiangxi = province_results(ds, "jiangxi")
    assert jiangxi["has_quantitative"] is False
    assert jiangxi["comparisons"] == []
    assert jiangxi["findings"][0] == {"kind": "qualitative_only", "count": 1}
    assert {n["metric"] for n in jiangxi["not_reported"]} >= {"fund_size", "compute_capacity"}


def test_unknown_province_and_city_are_clear_errors(ds):
    with pytest.raises(UsageError, match="not a province slug"):
        find_province(ds, "atlantis")
    with pytest.raises(UsageError, match="is a city"):
        find_province(ds, "shenzhen")


def test_provinces_with_measures(ds):
    assert provinces_with_measures(ds) == ["anhui", "guangdong", "hebei", "henan", "hubei", "jiangxi"]


def test_charts_show_the_largest_and_always_this_province():
    from briefings.figures import largest

    entries = [{"value": float(v), "holder": {"is_subject": v == 1}} for v in range(30, 0, -1)]
    shown = largest(entries, limit=5)
    assert [e["value"] for e in shown] == [30, 29, 28, 27, 26, 1]
