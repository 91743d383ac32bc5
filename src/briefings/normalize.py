"""Normalize reported values to base units: 30 亿元 -> 3000000000 CNY.

Arithmetic is done in Decimal so that 19.63 万 is exactly 196300, not 196300.00000000003.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from .load import Dataset

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

EXPORT_COLUMNS = [
    "measure_id",
    "region",
    "locality_zh",
    "locality_en",
    "joint_with",
    "category",
    "instrument",
    "metric",
    "qualifier",
    "qualifier_word",
    "value",
    "value_high",
    "unit",
    "period",
    "year",
    "year_basis",
    "status",
    "comparable",
    "source_id",
    "evidence",
    "summary_en",
    "note_en",
]


def reported_bounds(value_reported: str) -> tuple[Decimal, Decimal | None]:
    """``"30"`` -> (30, None); a range ``"2-3"`` -> (2, 3)."""
    if "-" in value_reported:
        low, high = value_reported.split("-")
        return Decimal(low), Decimal(high)
    return Decimal(value_reported), None


def format_number(value: Decimal | None) -> str:
    """A base-unit value as plain text: 3000000000, 35, 19.63, 9.4e+19 (huge values)."""
    if value is None:
        return ""
    if abs(value) >= Decimal("1e16"):
        return repr(float(value))
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def normalized_measures(ds: Dataset) -> pd.DataFrame:
    """One row per measure, values in base units, city names resolved.

    ``value`` and ``value_high`` are floats (NaN when not reported) for analysis;
    ``value_text`` and ``value_high_text`` keep the exact decimal for export.
    """
    units = ds.units.set_index("unit")
    regions = ds.regions.set_index("code")
    rows = []
    for _, m in ds.measures.iterrows():
        low = high = None
        unit = ""
        if m["value_reported"]:
            factor = Decimal(units.at[m["unit_reported"], "factor"])
            low, high = reported_bounds(m["value_reported"])
            low = low * factor
            high = high * factor if high is not None else None
            unit = units.at[m["unit_reported"], "base_unit"]
        city = regions.loc[m["locality"]] if m["locality"] else None
        rows.append(
            {
                "measure_id": m["measure_id"],
                "region": m["region"],
                "locality": m["locality"],
                "joint_with": m["joint_with"],
                "locality_zh": city["name_zh"] if city is not None else "",
                "locality_en": city["name_en"] if city is not None else "",
                "policy": m["policy"],
                "category": m["category"],
                "instrument": m["instrument"],
                "metric": m["metric"],
                "qualifier": m["qualifier"],
                "qualifier_word": m["qualifier_word"],
                "value": float(low) if low is not None else float("nan"),
                "value_high": float(high) if high is not None else float("nan"),
                "value_text": format_number(low),
                "value_high_text": format_number(high),
                "value_reported": m["value_reported"],
                "unit_reported": m["unit_reported"],
                "unit": unit,
                "period": m["period"],
                "year": int(m["year"]) if m["year"] else None,
                "year_basis": m["year_basis"],
                "status": m["status"],
                "comparable": m["comparable"],
                "source_id": m["source_id"],
                "evidence": m["evidence"],
                "summary_zh": m["summary_zh"],
                "summary_en": m["summary_en"],
                "note_zh": m["note_zh"],
                "note_en": m["note_en"],
                "curator_note": m["curator_note"],
            }
        )
    frame = pd.DataFrame(rows)
    frame["year"] = frame["year"].astype("Int64")
    return frame


#: What a spreadsheet reads as the start of a formula (CWE-1236): such a text cell is
#: exported with a leading apostrophe, which spreadsheets show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Columns written as numbers (a negative number is a number, not a formula).
NUMBER_COLUMNS = ("value", "value_high", "year")


def spreadsheet_safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def export_table(ds: Dataset) -> pd.DataFrame:
    """The normalized table as exported by ``briefings export`` (exact values as text; text
    cells that a spreadsheet would run as a formula are prefixed with an apostrophe)."""
    frame = normalized_measures(ds)
    out = frame.assign(value=frame["value_text"], value_high=frame["value_high_text"])
    out["year"] = out["year"].astype("string").fillna("")
    out = out[EXPORT_COLUMNS].copy()
    for column in out.columns:  # every text column, not a list kept by hand
        if column not in NUMBER_COLUMNS:
            out[column] = out[column].map(lambda v: spreadsheet_safe(v) if isinstance(v, str) else v)
    return out
