"""Vocabularies and schema: the real dataset passes, and the vocabularies are coherent."""

from briefings import vocab
from briefings.load import load_dataset

from .conftest import DATA


def test_every_metric_has_a_known_base_unit():
    for metric, base in vocab.METRIC_BASE_UNIT.items():
        assert base in vocab.BASE_UNITS or (metric == vocab.QUALITATIVE_METRIC and base is None)


def test_vouchers_are_instruments():
    assert vocab.VOUCHERS <= set(vocab.INSTRUMENTS)


def test_dataset_is_valid_and_uses_the_vocabularies():
    ds = load_dataset(DATA)
    m = ds.measures
    assert 60 <= len(m) <= 130
    assert set(m["category"]) <= set(vocab.CATEGORIES)
    assert set(m["metric"]) <= set(vocab.METRICS)
    assert set(m["instrument"]) - {""} <= set(vocab.INSTRUMENTS)
    assert m["measure_id"].is_unique
    # 20-odd regions, every province-level division listed, national figures present
    assert m["region"].nunique() >= 15
    assert (ds.regions["level"] == "province").sum() == 31
    assert "CN" in set(m["region"])


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
