"""Unit normalization: reported values to base units, exactly."""

from decimal import Decimal

import pandas as pd
import pytest

from briefings.load import load_dataset
from briefings.normalize import export_table, format_number, normalized_measures, reported_bounds

from .conftest import DATA


@pytest.mark.parametrize(
    ("reported", "factor", "expected"),
    [
        ("30", "100000000", "3000000000"),  # 30 亿元
        ("94", "1000000000000000000", "9.4e+19"),  # 94 EFLOPS
        ("12000", "1000000000000000", "1.2e+19"),  # 12000 P
        ("19.63", "10000", "196300"),  # 19.63 万个, exact, not 196300.00000000003
        ("7083.4", "100000000", "708340000000"),
        ("35", "1", "35"),  # percent stays 0..100
        ("1.5", "1", "1.5"),
        ("1", "1000000000000", "1000000000000"),  # 万亿元
    ],
)
def test_format_of_base_values(reported, factor, expected):
    low, _ = reported_bounds(reported)
    assert format_number(low * Decimal(factor)) == expected
    assert float(format_number(low * Decimal(factor))) == pytest.approx(float(reported) * float(factor))


def test_range_bounds():
    assert reported_bounds("2-3") == (Decimal(2), Decimal(3))
    assert reported_bounds("30") == (Decimal(30), None)


def test_dataset_units_normalize_to_documented_base_units():
    ds = load_dataset(DATA)
    table = normalized_measures(ds)
    units = ds.units.set_index("unit")
    valued = table[table["value_reported"] != ""]
    assert len(valued) > 40
    for _, row in valued.iterrows():
        factor = float(units.at[row["unit_reported"], "factor"])
        assert row["unit"] == units.at[row["unit_reported"], "base_unit"]
        assert row["value"] == pytest.approx(float(row["value_reported"].split("-")[0]) * factor)


def test_known_figures_in_export():
    table = export_table(load_dataset(DATA)).set_index("measure_id")

    def find(evidence_part: str) -> pd.Series:
        hits = table[table["evidence"].str.contains(evidence_part, regex=False)]
        assert len(hits) >= 1, evidence_part
        return hits.iloc[0]

    fund = find("30 亿元的人工智能产业基金")
    assert (fund["value"], fund["unit"], fund["region"]) == ("3000000000", "CNY", "CN-HA")
    henan_compute = find("94EFlops")
    assert (henan_compute["value"], henan_compute["unit"], henan_compute["qualifier"]) == ("9.4e+19", "FLOPS", "min")
    anhui = find("12000P")
    assert (anhui["value"], anhui["unit"], anhui["region"]) == ("1.2e+19", "FLOPS", "CN-AH")
    hebei_share = find("35%左右")
    assert (hebei_share["value"], hebei_share["unit"], hebei_share["qualifier"]) == ("35", "percent", "approx")
    shenzhen = find("5亿元")
    assert (shenzhen["locality_en"], shenzhen["region"], shenzhen["value"]) == ("Shenzhen", "CN-GD", "500000000")
    assert table["value"].ne("").sum() > 40
    # qualitative rows export a blank value, never zero
    assert (table.loc[table["metric"] == "named", "value"] == "").all()
