"""The data vocabularies: metrics and instruments defined once, in data, and used coherently."""

from briefings import vocab
from briefings.load import load_dataset

from .conftest import DATA


def test_every_metric_is_defined_once_with_both_labels():
    metrics = load_dataset(DATA).metrics
    assert metrics["metric"].is_unique
    for _, m in metrics.iterrows():
        assert m["label_zh"] and m["label_en"] and m["definition_zh"] and m["definition_en"], m["metric"]
        if m["kind"] != "qualitative":
            assert m["base_unit"] in vocab.BASE_UNITS and m["section"] in vocab.SECTIONS, m["metric"]


def test_the_dataset_uses_only_defined_metrics_and_instruments():
    ds = load_dataset(DATA)
    m = ds.measures
    assert 60 <= len(m) <= 2000
    assert set(m["category"]) <= set(vocab.CATEGORIES)
    assert set(m["metric"]) <= set(ds.metrics["metric"])
    assert set(m["instrument"]) - {""} <= set(ds.instruments["instrument"])
    assert m["measure_id"].is_unique
    assert m["region"].nunique() >= 15
    assert (ds.regions["level"] == "province").sum() == 31
    assert "CN" in set(m["region"])
    # every row has its English and Chinese rendering
    assert (m["summary_en"] != "").all() and (m["summary_zh"] != "").all()


def test_scopes_are_separate_metrics():
    metrics = set(load_dataset(DATA).metrics["metric"])
    for pair in (
        ("compute_total", "compute_intelligent"),
        ("fund_size", "fund_programme_size"),
        ("industry_scale_big_data", "digital_economy_scale"),
        ("edge_centre_pue_limit", "pue_retrofit_threshold"),
    ):
        assert set(pair) <= metrics


def test_priority_rows_are_qualitative():
    m = load_dataset(DATA).measures
    priority = m[m["category"] == "priority"]
    assert len(priority) > 0
    assert (priority["value_reported"] == "").all()
    assert (priority["evidence"] != "").all()


def test_every_unit_used_is_declared_with_its_factor():
    ds = load_dataset(DATA)
    used = set(ds.measures["unit_reported"]) - {""}
    assert used <= set(ds.units["unit"])
    factors = dict(zip(ds.units["unit"], ds.units["factor"]))
    for unit, factor in {"亿元": "100000000", "万元": "10000", "万亿元": "1000000000000"}.items():
        if unit in factors:
            assert int(factors[unit]) == int(factor)
