"""Comparison rules on a small fixture dataset with hand-computed expectations, and the same
rules checked as properties over every province of the real dataset."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefings.cache import prepare
from briefings.compare import find_province, province_results, provinces_with_measures
from briefings.document import Edition, finding_sentence
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
    assert [e["measure_id"] for e in funds["entries"]] == ["anhui-001", "henan-001", "hubei-001"]
    assert [e["rank"] for e in funds["entries"]] == [1, 2, 2]
    assert entry(funds, "henan-001")["tie"] and entry(funds, "hubei-001")["tie"]
    # Hubei's earlier fund of 2023 is listed as "also", unranked
    assert [e["measure_id"] for e in funds["also"]] == ["hubei-004"] and entry(funds, "hubei-004")["rank"] is None
    assert funds["n_regions"] == 3 and funds["kind"] == "ranked"
    assert sorted(funds["peer_measure_ids"]) == ["anhui-001", "hubei-001"]  # central peers of Henan


def test_a_fund_programme_never_ranks_with_one_fund(henan, mini):
    assert all(e["metric"] == "fund_size" for c in comparisons(henan, "fund_size") for e in c["entries"])
    guangdong = province_results(mini.dataset, "guangdong", mini.table)
    (programme,) = comparisons(guangdong, "fund_programme_size")
    assert programme["kind"] == "alone" and [e["rank"] for e in programme["entries"]] == [None]


def test_instrument_groups_and_periods_stay_apart(henan):
    # Zhengzhou's compute voucher (total) ranks with Hubei's compute voucher, not with
    # Hubei's corpus voucher, nor with Henan's yearly training-voucher pool
    (pools,) = [c for c in comparisons(henan, "pool_total")]
    assert pools["group"] == "compute_rental"
    assert [e["measure_id"] for e in pools["entries"]] == ["hubei-002", "henan-003"]
    zz = entry(pools, "henan-003")
    assert zz["holder"]["code"] == "410100" and zz["holder"]["is_city"] and zz["holder"]["is_subject"]
    (yearly,) = comparisons(henan, "pool_per_year")
    assert yearly["kind"] == "alone"


def test_status_classes_and_scopes_stay_apart(mini):
    hebei = province_results(mini.dataset, "hebei", mini.table)
    total = comparisons(hebei, "compute_total")
    by_class = {c["status_class"]: c for c in total}
    assert set(by_class) == {"commitment", "baseline"}
    commitment = by_class["commitment"]
    assert [e["measure_id"] for e in commitment["entries"]] == ["henan-004", "hebei-001"]
    assert commitment["projections"] == ["henan-004"]  # labelled as a projection
    assert not entry(commitment, "hebei-001")["uncertain"]  # two floors compare as stated
    assert by_class["baseline"]["kind"] == "alone"  # Hebei's achieved 20 EFLOPS never ranks with targets
    assert [n["measure_id"] for n in by_class["baseline"]["national"]] == ["china-001"]  # a reference, never ranked
    # Anhui's intelligent compute never ranks with total compute
    anhui = province_results(mini.dataset, "anhui", mini.table)
    (intelligent,) = comparisons(anhui, "compute_intelligent")
    assert intelligent["kind"] == "alone"


def test_a_region_is_never_ranked_against_itself(mini):
    hebei = province_results(mini.dataset, "hebei", mini.table)
    for metric in ("latency_within_cluster", "latency_between_cities"):
        (c,) = comparisons(hebei, metric)
        assert c["kind"] == "alone" and c["entries"][0]["rank"] is None
    henan = province_results(mini.dataset, "henan", mini.table)
    big_data, core = comparisons(henan, "industry_scale_big_data"), comparisons(henan, "industry_scale_ai_core")
    assert big_data[0]["kind"] == core[0]["kind"] == "alone"  # Henan's big data vs Zhengzhou's AI core: never one ranking


def test_reference_figures_are_never_ranked(mini):
    beijing = province_results(mini.dataset, "beijing", mini.table)
    assert not beijing["comparisons"]
    assert [e["measure_id"] for e in beijing["references"]] == ["beijing-001"]
    assert beijing["references"][0]["value"] == pytest.approx(60)


def test_missing_is_listed_as_not_reported_never_zero(henan):
    missing = {n["metric"] for n in henan["not_reported"]}
    assert "compute_intelligent" in missing and "fund_programme_size" in missing
    assert "fund_size" not in missing


def test_findings_cite_measures_and_never_repeat_a_comparison(henan):
    ids = [f["comparison_id"] for f in henan["findings"] if f.get("comparison_id")]
    assert len(ids) == len(set(ids))
    assert 1 <= len([f for f in henan["findings"] if "measure_id" in f]) <= 5
    for f in henan["findings"]:
        if "measure_id" in f:
            assert f["measure_id"] in henan["measures"]


def test_only_a_target_is_called_an_aim(henan):
    kinds = {f["measure_id"]: f["kind"] for f in henan["findings"] if "measure_id" in f}
    assert kinds["henan-005"] == "target"  # a target of 2000 亿元
    assert kinds["zhengzhou-001"] == "own_figure"  # an achieved 300 亿元 is no aim
    en, zh = (finding_sentence(f, henan, Edition(henan, lang)) for lang in ("en", "zh")
              for f in henan["findings"] if f.get("measure_id") == "zhengzhou-001")
    assert "aims" not in en and "目标" not in zh


def test_a_smaller_leading_figure_is_never_called_times_the_other(tmp_path):
    data = tmp_path / "mini"
    shutil.copytree(MINI, data)
    with (data / "measures.csv").open("a", encoding="utf-8") as f:
        f.write("henan-090,CN-HA,,,infrastructure,,latency_within_cluster,10,ms,eq,,,target,fixture,10ms,"
                "henan-090 的摘要。,Summary of henan-090.,,\n")
    prepared = prepare(data)
    hebei = province_results(prepared.dataset, "hebei", prepared.table)
    (c,) = comparisons(hebei, "latency_within_cluster")
    assert [(e["measure_id"], e["rank"]) for e in c["entries"]] == [("hebei-003", 1), ("henan-090", 2)]
    finding = next(f for f in hebei["findings"] if f.get("comparison_id") == c["id"])
    assert finding["kind"] == "leads" and finding["wide"] and finding["lower_is_stronger"]
    en = finding_sentence(finding, hebei, Edition(hebei, "en"))
    zh = finding_sentence(finding, hebei, Edition(hebei, "zh"))
    assert "times" not in en and "against" in en, en
    assert "倍" not in zh and "大幅领先" in zh, zh


def test_unknown_or_city_slug_is_a_clear_error(mini):
    with pytest.raises(UsageError, match="is a city"):
        find_province(mini.dataset, "shenzhen")
    with pytest.raises(UsageError, match="not a province slug"):
        find_province(mini.dataset, "atlantis")


# ------------------------------------------------------------------ the rules, as properties of the real data


def test_every_ranking_compares_one_figure_per_region_of_one_kind(everything):
    checked = 0
    for slug, results in everything.items():
        for c in results["comparisons"]:
            figures = c["entries"] + c["also"]
            keys = {(e["metric"], results["instruments"].get(e["instrument"], {}).get("compare_group", ""),
                     e["period"] or "", "baseline" if e["status"] == "baseline" else
                     "proposal" if e["status"] == "proposal" else "commitment") for e in figures}
            assert len(keys) == 1, f"{slug}: {c['key']} mixes {keys}"
            holders = [e["holder"]["code"] for e in c["entries"]]
            assert len(holders) == len(set(holders)), f"{slug}: {c['key']} ranks a region twice"
            assert all(e["holder"]["code"] != "CN" for e in c["entries"])
            if c["kind"] == "ranked":
                assert c["n_regions"] >= 2 and all(e["rank"] for e in c["entries"])
                checked += 1
            else:
                assert c["n_regions"] == 1 and all(e["rank"] is None for e in figures)
            assert all(e["rank"] is None for e in c["also"])
    assert checked >= 5


def test_the_editors_examples_no_longer_share_a_ranking(everything):
    def comparison_of(measure_id):
        return next(c for r in everything.values() for c in r["comparisons"]
                    if any(e["measure_id"] == measure_id for e in c["entries"] + c["also"]))

    def together(a, b):
        ca = comparison_of(a)
        return any(e["measure_id"] == b for e in ca["entries"] + ca["also"])

    assert not together("henan-007", "shenzhen-010")  # total compute vs intelligent compute
    assert not together("henan-007", "anhui-004")
    assert not together("henan-008", "guizhou-002")  # big-data industry vs digital economy
    assert not together("henan-001", "shenzhen-022")  # one fund vs a fund ecosystem
    assert not together("henan-001", "dongguan-006")  # one fund vs a programme of sub-funds
    assert not together("chongqing-003", "chongqing-005")  # super-large vs edge data centres
    assert not together("henan-006", "shandong-001")  # centres incl. planned vs 5A-grade built
    assert not together("henan-014", "henan-015")  # sectors with programmes vs sectors to lead
    assert not together("henan-012", "jiangxi-002")  # big-data cases vs AI scenarios
    assert not together("hebei-005", "hebei-007")  # PUE retrofit trigger vs PUE cap
    assert not together("hebei-009", "hebei-010")  # one region's three latency limits
    assert not together("shenzhen-014", "dongguan-003")  # a yearly pool vs a pool with no period


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
