"""Comparison rules on a small fixture dataset with hand-computed expectations, and the same
rules checked as properties over every province of the real dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefings.build import Work
from briefings.cache import prepare
from briefings.compare import find_province, province_results, provinces_with_measures
from briefings.errors import UsageError

from .conftest import DATA

MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture(scope="module")
def mini():
    return prepare(MINI)


@pytest.fixture(scope="module")
def henan(mini):
    return province_results(mini.dataset, "henan", mini.table)


@pytest.fixture(scope="module")
def everything():
    """Results of every province of the real dataset."""
    prepared = prepare(DATA)
    return {slug: province_results(prepared.dataset, slug, prepared.table) for slug in provinces_with_measures(prepared.dataset)}


def comparisons(results, metric):
    return [c for c in results["comparisons"] if c["metric"] == metric]


def entry(c, measure_id):
    return next(e for e in c["entries"] + c["also"] if e["measure_id"] == measure_id)


def test_one_figure_per_region_latest_then_strongest(henan):
    (funds,) = comparisons(henan, "fund_size")
    # policies compare whatever year they were set; each region contributes its latest, then its strongest
    assert [e["measure_id"] for e in funds["entries"]] == ["anhui-001", "henan-001", "hubei-001"]
    assert funds["kind"] == "ranked" and funds["n_regions"] == 3
    assert [e["rank"] for e in funds["entries"]] == [1, 2, 2]
    assert entry(funds, "henan-001")["tie"] and entry(funds, "hubei-001")["tie"]
    # Hubei's earlier fund of 2023 is listed as "also", unranked
    assert [e["measure_id"] for e in funds["also"]] == ["hubei-004"] and entry(funds, "hubei-004")["rank"] is None


def test_a_fund_programme_never_ranks_with_one_fund(henan, mini):
    assert all(e["metric"] == "fund_size" for c in comparisons(henan, "fund_size") for e in c["entries"])
    guangdong = province_results(mini.dataset, "guangdong", mini.table)
    (programme,) = comparisons(guangdong, "fund_programme_size")
    assert programme["kind"] == "alone" and [e["rank"] for e in programme["entries"]] == [None]


def test_instrument_groups_periods_and_levels_stay_apart(henan):
    # Zhengzhou's compute voucher (a city's, total) is compared with cities' figures only:
    # Hubei's provincial compute voucher is another level, its corpus voucher another group,
    # Henan's yearly training-voucher pool another period
    (pools,) = comparisons(henan, "pool_total")
    assert pools["group"] == "compute_rental" and pools["level"] == "city" and pools["kind"] == "alone"
    zz = entry(pools, "henan-003")
    assert zz["holder"]["code"] == "410100" and zz["holder"]["is_city"] and zz["holder"]["is_subject"]
    (yearly,) = comparisons(henan, "pool_per_year")
    assert yearly["kind"] == "alone" and yearly["level"] == "province"


def test_statuses_and_years_stay_apart(mini):
    hebei = province_results(mini.dataset, "hebei", mini.table)
    total = {(c["status"], c["year"]): c for c in comparisons(hebei, "compute_total")}
    assert set(total) == {("target", 2025), ("baseline", 2023)}
    # Henan's projection never shares a comparison with Hebei's target: it is listed beside it
    target = total[("target", 2025)]
    assert [e["measure_id"] for e in target["entries"]] == ["hebei-001"] and target["kind"] == "alone"
    assert "henan-004" in {e["measure_id"] for c in total.values() for e in c["beside"]}
    assert [n["measure_id"] for n in total[("baseline", 2023)]["national"]] == ["china-001"]  # a reference, never ranked
    anhui = province_results(mini.dataset, "anhui", mini.table)
    (intelligent,) = comparisons(anhui, "compute_intelligent")
    assert intelligent["kind"] == "alone"  # intelligent compute never ranks with total compute


def test_a_region_is_never_ranked_against_itself(mini):
    hebei = province_results(mini.dataset, "hebei", mini.table)
    for metric in ("latency_within_cluster", "latency_between_cities"):
        (c,) = comparisons(hebei, metric)
        assert c["kind"] == "alone" and c["entries"][0]["rank"] is None
    henan = province_results(mini.dataset, "henan", mini.table)
    big_data, core = comparisons(henan, "industry_scale_big_data"), comparisons(henan, "industry_scale_ai_core")
    assert big_data[0]["kind"] == core[0]["kind"] == "alone"  # Henan's big data vs Zhengzhou's AI core: never one ranking


def test_reference_figures_are_never_ranked_and_joint_ones_say_so(mini):
    beijing = province_results(mini.dataset, "beijing", mini.table)
    assert not beijing["comparisons"]
    (ref,) = beijing["references"]
    assert ref["measure_id"] == "beijing-001" and ref["value"] == pytest.approx(60)
    assert [h["code"] for h in ref["holder"]["joint_with"]] == ["CN-GD", "CN-SH"]


def test_missing_is_listed_as_not_reported_never_zero(henan):
    missing = {n["metric"] for n in henan["not_reported"]}
    assert "compute_intelligent" in missing and "fund_programme_size" in missing
    assert "fund_size" not in missing


def test_findings_are_claims_that_cite_their_measures(henan):
    by_id = {c["id"]: c for c in henan["claims"]}
    assert 1 <= len(henan["findings"]) <= 5
    comparisons_used = [by_id[i]["comparison_id"] for i in henan["findings"] if by_id[i]["comparison_id"]]
    assert len(comparisons_used) == len(set(comparisons_used))
    for i in henan["findings"]:
        assert all(m in henan["measures"] for m in by_id[i]["measure_ids"])


def test_only_a_target_is_called_an_aim(henan):
    from briefings.wording import Words

    en, zh = Words(henan, "en"), Words(henan, "zh")
    target = henan["measures"]["henan-005"]  # a target of more than 2000 亿元
    achieved = henan["measures"]["zhengzhou-001"]  # an achieved 300 亿元 is no aim
    assert target["status"] == "target" and achieved["status"] == "baseline"
    assert "aim" not in en.statement(achieved) and "目标" not in zh.statement(achieved)
    assert "提出" in zh.statement(target) or "目标" in zh.statement(target) or "要" in zh.statement(target)


def test_unknown_or_city_slug_is_a_clear_error(mini):
    with pytest.raises(UsageError, match="is a city"):
        find_province(mini.dataset, "shenzhen")
    with pytest.raises(UsageError, match="not a province slug"):
        find_province(mini.dataset, "atlantis")


# ------------------------------------------------------------------ the rules, as properties of the real data


def test_every_comparison_holds_one_figure_per_holder_of_one_kind(everything):
    checked = 0
    for slug, results in everything.items():
        for c in results["comparisons"]:
            figures = c["entries"] + c["also"]
            keys = {
                (
                    e["metric"],
                    results["instruments"].get(e["instrument"], {}).get("compare_group", ""),
                    e["period"] or "",
                    e["status"],
                    e["year"] if e["status"] in ("target", "projection", "baseline") else None,
                )
                for e in figures
            }
            assert len(keys) == 1 or c["undated"] or not c["comparable"], f"{slug}: {c['id']} mixes {keys}"
            holders = [e["holder"]["code"] for e in c["entries"]]
            assert len(holders) == len(set(holders)), f"{slug}: {c['id']} ranks a holder twice"
            assert all(e["holder"]["code"] != "CN" for e in c["entries"])
            if c["kind"] == "ranked":
                assert c["n_regions"] >= 3 and all(e["rank"] for e in c["entries"]), f"{slug}: {c['id']}"
                checked += 1
            else:
                assert all(e.get("rank") is None for e in figures), f"{slug}: {c['id']} ranks {c['n_regions']}"
            assert all(e.get("rank") is None for e in c["also"] + c["beside"])
    assert checked >= 8


def test_the_editors_examples_no_longer_share_a_comparison(everything):
    def together(a, b):
        return any(
            {a, b} <= {e["measure_id"] for e in c["entries"] + c["also"]} for r in everything.values() for c in r["comparisons"]
        )

    assert not together("henan-007", "hebei-001")  # a projection vs a target
    assert not together("hebei-004", "jiangxi-002")  # a 2025 target vs a 2027 one
    assert not together("shenzhen-010", "dongguan-008")  # 2026 vs 2027
    assert not together("henan-007", "shenzhen-010")  # total compute vs intelligent compute
    assert not together("henan-008", "guizhou-002")  # big-data industry vs digital economy
    assert not together("henan-001", "shenzhen-022")  # one fund vs a fund ecosystem
    assert not together("henan-001", "dongguan-006")  # one fund vs a programme of sub-funds
    assert not together("chongqing-003", "chongqing-005")  # super-large vs edge data centres
    assert not together("henan-014", "henan-015")  # sectors with programmes vs sectors to lead
    assert not together("hebei-005", "hebei-007")  # PUE retrofit trigger vs PUE cap
    assert not together("shenzhen-014", "dongguan-003")  # a yearly pool vs a pool with no period
    assert not together("anhui-004", "anhui-003")


def test_caveats_travel_with_every_figure(everything):
    for results in everything.values():
        for measure_id, m in results["measures"].items():
            assert bool(m["note_zh"]) == bool(m["note_en"]), measure_id


def test_the_fast_records_equal_pandas_to_dict():
    """compare._records builds rows column by column (to_dict is slow on small frames); it
    must give what ``to_dict("records")`` gives, missing values as None, NaN kept."""
    import math

    import pandas as pd

    from briefings.compare import _records

    table = prepare(DATA).table

    def same(a, b) -> bool:
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return type(a) is type(b) and a == b

    for frame in (table, table.iloc[5:9], table.iloc[:0], table[["year", "value"]], table[table["year"].isna()]):
        slow = [{k: (None if v is pd.NA else v) for k, v in row.items()} for row in frame.to_dict("records")]
        fast = _records(frame)
        assert len(fast) == len(slow)
        assert all(list(f) == list(s) and all(same(s[k], f[k]) for k in s) for f, s in zip(fast, slow))
    assert any(r["year"] is None for r in _records(table))  # a missing year is None, not pd.NA


def test_the_build_starts_with_the_provinces_that_have_most_rows():
    """Provinces are costed by their rows (their cities' included) and the costliest go to
    the workers first; ties keep the slugs' order."""
    from briefings.build import longest_first
    from briefings.compare import rows_per_province

    ds = prepare(DATA).dataset
    rows = rows_per_province(ds)
    province_rows = ds.measures[ds.measures["region"] != "CN"]
    assert sum(n for slug, n in rows.items() if slug != "china") == len(province_rows)
    assert rows["guangdong"] == (ds.measures["region"] == "CN-GD").sum() > rows["henan"] > 0
    todo = {slug: Work.FULL for slug in ("anhui", "guangdong", "henan", "shanxi")}
    order = list(longest_first(todo, rows))
    assert order[0] == "guangdong" and order == sorted(todo, key=lambda s: (-rows[s], s))
    assert list(longest_first(todo, {})) == sorted(todo)
