"""Load and validate the dataset: the first stage of the pipeline.

``load_dataset`` reads every file in ``data/``, runs the column schemas (``schema``),
then the checks that span rows and tables (foreign keys, units agreeing with metrics,
qualitative rows having no value ...). It returns a ``Dataset`` or raises ``DataError``
with every problem found, each naming file, row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from . import vocab
from .errors import DataError, Problem, display_path
from .tables import read_table

TABLES: dict[str, tuple[str, str]] = {
    # attribute: (file name, its schema in schema.py, named: importing pandera takes a third
    # of a second, which a notebook reading the validated dataset from the cache never needs)
    "sources": ("sources.csv", "SOURCES"),
    "regions": ("regions.csv", "REGIONS"),
    "policies": ("policies.csv", "POLICIES"),
    "units": ("units.csv", "UNITS"),
    "metrics": ("metrics.csv", "METRICS"),
    "instruments": ("instruments.csv", "INSTRUMENTS"),
    "measures": ("measures.csv", "MEASURES"),
}


@dataclass(frozen=True)
class Dataset:
    """The validated tables, each indexed by spreadsheet row number."""

    data_dir: Path
    sources: pd.DataFrame
    regions: pd.DataFrame
    policies: pd.DataFrame
    units: pd.DataFrame
    metrics: pd.DataFrame
    instruments: pd.DataFrame
    measures: pd.DataFrame

    def files(self) -> list[Path]:
        return [self.data_dir / name for name, _ in TABLES.values()]


def load_dataset(data_dir: Path) -> Dataset:
    """Read and validate every table under ``data_dir``."""
    if not data_dir.is_dir():
        raise DataError([Problem(display_path(data_dir), 0, "", "data folder not found")])
    from . import schema

    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for attr, (filename, schema_name) in TABLES.items():
        path = data_dir / filename
        table_schema = getattr(schema, schema_name)
        columns = list(table_schema.columns)
        try:
            frame = read_table(path, columns, optional=schema.OPTIONAL_COLUMNS.get(attr, frozenset()))
        except DataError as err:
            problems.extend(err.problems)
            continue
        problems.extend(schema.check_table(table_schema, frame, display_path(path)))
        frames[attr] = frame
    if len(frames) < len(TABLES):
        # A file that could not be read at all: cross-table checks would only mislead.
        raise DataError(problems)
    dataset = Dataset(data_dir=data_dir, **frames)
    problems.extend(_check_relations(dataset))
    if problems:
        raise DataError(problems)
    return dataset


def _check_relations(ds: Dataset) -> list[Problem]:
    name = {attr: display_path(ds.data_dir / filename) for attr, (filename, _) in TABLES.items()}
    problems: list[Problem] = []
    regions = ds.regions
    level = dict(zip(regions["code"], regions["level"]))
    parent = dict(zip(regions["code"], regions["parent"]))

    provinces = regions[regions["level"] == "province"]
    if len(provinces) != 31:
        problems.append(Problem(name["regions"], 0, "level", f"expected all 31 province-level divisions, found {len(provinces)}"))
    for row, r in regions.iterrows():
        if r["level"] == "city":
            if level.get(r["parent"]) != "province":
                problems.append(Problem(name["regions"], row, "parent", f"a city's parent must be a province code; found {r['parent']!r}"))
        elif r["parent"]:
            problems.append(Problem(name["regions"], row, "parent", "only cities have a parent"))
        if r["level"] != "country" and not r["macro_region"]:
            problems.append(Problem(name["regions"], row, "macro_region", "a province or city needs its macro-region"))
        if r["level"] != "country" and not r["gb_code"]:
            problems.append(Problem(name["regions"], row, "gb_code", "a province or city needs its GB/T 2260 code"))

    for row, p in ds.policies.iterrows():
        if p["region"] not in level:
            problems.append(Problem(name["policies"], row, "region", f"unknown region {p['region']!r} (not a code in regions.csv)"))

    problems.extend(_check_metrics(ds.metrics, name["metrics"]))
    units = ds.units.set_index("unit")
    metrics = ds.metrics.set_index("metric")
    instruments = ds.instruments.set_index("instrument")
    policies = set(ds.policies["policy_id"])
    sources = set(ds.sources["source_id"])
    for row, m in ds.measures.iterrows():
        found = _measure_problems(m, level, parent, policies, sources, units, metrics, instruments)
        problems.extend(Problem(name["measures"], row, col, msg) for col, msg in found)
    return problems


def _factor(units: pd.DataFrame, unit: str) -> Decimal:
    """A unit's factor, or 1 when it is not a number (the schema reports that)."""
    try:
        return Decimal(units.at[unit, "factor"])
    except (InvalidOperation, KeyError):
        return Decimal(1)


def _check_metrics(metrics: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    if vocab.QUALITATIVE_METRIC not in set(metrics["metric"]):
        problems.append(Problem(file, 0, "metric", f"the metric {vocab.QUALITATIVE_METRIC!r} (rows without a figure) must be defined"))
    for row, m in metrics.iterrows():
        qualitative = m["kind"] == "qualitative"
        if qualitative != (m["metric"] == vocab.QUALITATIVE_METRIC):
            problems.append(Problem(file, row, "kind", f"only the metric {vocab.QUALITATIVE_METRIC!r} is qualitative"))
        if not qualitative and not m["base_unit"]:
            problems.append(Problem(file, row, "base_unit", "a metric with figures needs its base unit"))
        if not qualitative and not m["section"]:
            problems.append(Problem(file, row, "section", "a metric with figures needs its briefing section"))
    return problems


def _measure_problems(m: pd.Series, level: dict, parent: dict, policies: set, sources: set, units: pd.DataFrame,
                      metrics: pd.DataFrame, instruments: pd.DataFrame):
    """Yield (column, message) for everything wrong with one measure row."""
    if level.get(m["region"]) not in ("province", "country"):
        yield "region", f"{m['region']!r} is not a province-level ISO code or CN in regions.csv"
    if m["locality"]:
        if level.get(m["locality"]) != "city":
            yield "locality", f"{m['locality']!r} is not a city code in regions.csv"
        elif parent.get(m["locality"]) != m["region"]:
            yield "locality", f"city {m['locality']} belongs to {parent.get(m['locality'])}, not to {m['region']}"
    if m["policy"] and m["policy"] not in policies:
        yield "policy", f"unknown policy {m['policy']!r} (not a policy_id in policies.csv)"
    if m["source_id"] not in sources:
        yield "source_id", f"unknown source {m['source_id']!r} (not a source_id in sources.csv)"
    if not m["evidence"]:
        yield "evidence", "every row needs a verbatim evidence clause from its source"
    if m["year"].isdigit() and not vocab.YEAR_MIN <= int(m["year"]) <= vocab.YEAR_MAX:
        yield "year", f"implausible year {m['year']} (expected {vocab.YEAR_MIN}-{vocab.YEAR_MAX})"

    if m["instrument"] and m["instrument"] not in instruments.index:
        yield "instrument", f"unknown instrument {m['instrument']!r} (add it to instruments.csv)"
    if bool(m["note_zh"]) != bool(m["note_en"]):
        yield ("note_zh" if not m["note_zh"] else "note_en"), "a caveat needs both languages (note_zh and note_en), or neither"
    if m["metric"] not in metrics.index:
        yield "metric", f"unknown metric {m['metric']!r} (define it in metrics.csv)"
        return
    base = metrics.at[m["metric"], "base_unit"] or None
    rule = metrics.at[m["metric"], "period"]
    if rule == "none" and m["period"]:
        yield "period", f"metric {m['metric']} takes no period (it is a stock, share or count), found {m['period']}"
    elif rule in vocab.PERIODS and m["period"] != rule:
        yield "period", f"metric {m['metric']} needs period {rule}, found {m['period'] or 'blank'}"
    if m["metric"] == vocab.QUALITATIVE_METRIC:
        for col in ("value_reported", "unit_reported", "qualifier"):
            if m[col]:
                yield col, "a qualitative row (metric named) has no value, unit or qualifier"
        if m["category"] != "priority" and not m["instrument"]:
            yield "instrument", "a qualitative row that is not a priority must name its instrument"
        return
    if m["category"] == "priority":
        yield "category", "priority rows are qualitative: use metric named and no value"
    if not m["value_reported"]:
        yield "value_reported", f"metric {m['metric']} needs a value (use metric named for an instrument without an amount)"
        return
    if not m["qualifier"]:
        yield "qualifier", "a row with a value needs a qualifier (eq, max, min, approx, range)"
    from .schema import NUMBER_RE, RANGE_RE

    if not re.match(f"{NUMBER_RE}|{RANGE_RE}", m["value_reported"]):
        return  # already reported by the schema
    is_range = "-" in m["value_reported"]
    if is_range != (m["qualifier"] == "range"):
        yield "value_reported", "a range (2-3) goes with qualifier range, and qualifier range needs a range"
    elif is_range:
        low, high = (Decimal(v) for v in m["value_reported"].split("-"))
        if low >= high:
            yield "value_reported", f"range {m['value_reported']} must run from low to high"
    if m["unit_reported"] not in units.index:
        yield "unit_reported", f"unknown unit {m['unit_reported']!r} (add it to units.csv)"
    elif units.at[m["unit_reported"], "base_unit"] != base:
        yield "unit_reported", f"unit {m['unit_reported']} measures {units.at[m['unit_reported'], 'base_unit']}, but metric {m['metric']} is in {base}"
    elif base == "percent" and not is_range and Decimal(m["value_reported"]) * _factor(units, m["unit_reported"]) > 100:
        yield "value_reported", f"a percentage above 100: {m['value_reported']} {m['unit_reported']}"
