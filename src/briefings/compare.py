"""Compare one province with every other region that reports the same thing.

Rules (the methodology section of each briefing states them, data/README.md documents them):

- Like for like. Two figures share a ranking only when they have the same metric (a metric
  of ``data/metrics.csv`` says exactly what is counted: total vs intelligent compute, one
  fund vs a fund programme ...), the same instrument group (``instruments.csv``: a compute
  voucher and a corpus voucher pay for different things), the same period (a yearly pool
  is never ranked with a total one) and the same status class (a baseline never ranks with
  a target; a projection ranks with targets and is labelled as one). Nothing is summed.
- One figure per region. A region (a province, or a city: a city's figure is the city's)
  contributes one figure to a ranking: its most recent, then its strongest; any other row
  of the same kind is listed beside it as "also reported", unranked.
- A ranking needs at least two regions. With one, the briefing says that no other region
  reports a comparable figure, and gives no rank. A region is never ranked against itself.
- Reference figures (a national rank, a share of the national total) are shown as such,
  never ranked; national figures are a reference beside the regional ones.
- Qualifiers travel with values. Ranks use the stated value (1-2-2-4); equal stated values
  are ties; an order that different qualifiers make uncertain (≥ 94 next to ≈ 100) is
  flagged; two floors, or two ceilings, compare as stated.
- Missing is never zero: a metric others report and this province does not is listed as
  not reported in the sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import vocab
from .dates import latest
from .errors import UsageError
from .load import Dataset
from .normalize import normalized_measures

RESULTS_SCHEMA_VERSION = 2

#: How far an "approx" value may be from the stated one when judging an ordering.
APPROX_TOLERANCE = 0.10


@dataclass(frozen=True)
class Subject:
    """The province a briefing is about."""

    code: str
    slug: str
    name_zh: str
    name_en: str
    short_zh: str
    macro_region: str
    cities: tuple[str, ...]


def find_province(ds: Dataset, slug: str) -> Subject:
    """The province with this slug; a clear error for anything else (cities, unknown slugs)."""
    regions = ds.regions
    hit = regions[regions["slug"] == slug]
    provinces = regions[regions["level"] == "province"]
    if hit.empty or hit.iloc[0]["level"] != "province":
        known = ", ".join(sorted(provinces["slug"]))
        what = "is a city, not a province-level division" if not hit.empty else "is not a province slug in regions.csv"
        raise UsageError(f"unknown province {slug!r}: it {what}. Known provinces: {known}")
    r = hit.iloc[0]
    cities = tuple(sorted(regions.loc[regions["parent"] == r["code"], "code"]))
    return Subject(r["code"], r["slug"], r["name_zh"], r["name_en"], r["short_zh"], r["macro_region"], cities)


def provinces_with_measures(ds: Dataset) -> list[str]:
    """Slugs of every province-level division with at least one row, in alphabetical order."""
    regions = ds.regions.set_index("code")
    codes = set(ds.measures["region"]) - {"CN"}
    return sorted(regions.at[c, "slug"] for c in codes if regions.at[c, "level"] == "province")


class Vocabulary:
    """Metric and instrument definitions from the data, as the comparison needs them."""

    def __init__(self, ds: Dataset):
        self.metrics = ds.metrics.set_index("metric")
        self.instruments = ds.instruments.set_index("instrument")

    def metric(self, metric: str) -> pd.Series:
        return self.metrics.loc[metric]

    def flag(self, metric: str, column: str) -> bool:
        return self.metrics.at[metric, column] == "yes"

    def group(self, instrument: str) -> str:
        return self.instruments.at[instrument, "compare_group"] if instrument else ""

    def section(self, row: pd.Series | dict) -> str:
        """The briefing section of a measure: its metric's, or for a row without a figure its
        instrument's kind or its category (priorities are listed apart)."""
        if row["metric"] != vocab.QUALITATIVE_METRIC:
            return self.metrics.at[row["metric"], "section"]
        if row["category"] == "priority":
            return "priorities"
        if row["instrument"]:
            return vocab.QUALITATIVE_SECTION_BY_KIND[self.instruments.at[row["instrument"], "kind"]]
        return vocab.QUALITATIVE_SECTION_BY_CATEGORY.get(row["category"], "industry")

    def comparison_key(self, row: pd.Series | dict) -> str:
        """Rows with the same key measure the same thing and may share a ranking."""
        return "|".join([row["metric"], self.group(row["instrument"]) or "-", row["period"] or "-",
                         vocab.STATUS_CLASS[row["status"]]])


def interval(value: float, value_high: float | None, qualifier: str, ceiling: bool) -> tuple[float, float]:
    """The range of true values a stated figure allows, used only to flag uncertain orderings."""
    if qualifier == "range":
        return value, value_high if value_high is not None else value
    if qualifier == "approx":
        return value * (1 - APPROX_TOLERANCE), value * (1 + APPROX_TOLERANCE)
    if qualifier == "min":
        return value, math.inf
    if qualifier == "max" and not ceiling:
        return 0.0, value
    return value, value


def _none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def region_index(ds: Dataset) -> dict[str, dict[str, Any]]:
    """Regions by code, as plain dicts (a pandas row lookup per figure is the slow path)."""
    return ds.regions.set_index("code").to_dict("index")


def holder(row: dict[str, Any], regions: dict[str, dict[str, Any]], subject: Subject) -> dict[str, Any]:
    """Who a figure belongs to: the city when the measure is a city's, else the region."""
    code = row["locality"] or row["region"]
    r = regions[code]
    return {
        "code": code,
        "level": r["level"],
        "slug": r["slug"],
        "name_zh": r["short_zh"],
        "name_en": r["name_en"],
        "province": row["region"],
        "macro_region": r["macro_region"],
        "is_subject": row["region"] == subject.code,
        "is_city": bool(row["locality"]),
    }


def entry(row: dict[str, Any], regions: dict[str, dict[str, Any]], subject: Subject) -> dict[str, Any]:
    """One figure as the briefing shows it (the measure's text lives in ``measures``)."""
    return {
        "measure_id": row["measure_id"],
        "holder": holder(row, regions, subject),
        "instrument": row["instrument"],
        "metric": row["metric"],
        "value": _none(row["value"]),
        "value_high": _none(row["value_high"]),
        "unit": row["unit"],
        "value_reported": row["value_reported"],
        "unit_reported": row["unit_reported"],
        "qualifier": row["qualifier"],
        "period": row["period"],
        "year": None if pd.isna(row["year"]) else int(row["year"]),
        "status": row["status"],
        "source_id": row["source_id"],
        "has_note": bool(row["note_en"]),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")`` (missing values as None), built column by column:
    ``to_dict`` costs milliseconds per call on small frames, and a province's comparison
    calls it for every ranking (tested equal)."""
    columns = list(frame.columns)
    values = [[None if v is pd.NA else v for v in frame[c].tolist()] for c in columns]
    return [dict(zip(columns, row)) for row in zip(*values)] if columns else [{} for _ in range(len(frame))]


def _stronger_first(e: dict[str, Any], lower_first: bool) -> tuple:
    return ((e["value"] if lower_first else -e["value"]), e["holder"]["code"], e["measure_id"])


def one_per_region(entries: list[dict[str, Any]], lower_first: bool) -> tuple[list[dict], list[dict]]:
    """Each region's figure for a ranking (its latest year, then its strongest), and the rest."""
    chosen: dict[str, dict[str, Any]] = {}
    for e in sorted(entries, key=lambda e: (-(e["year"] or 0), *_stronger_first(e, lower_first))):
        chosen.setdefault(e["holder"]["code"], e)
    picked = {id(e) for e in chosen.values()}
    also = sorted((e for e in entries if id(e) not in picked), key=lambda e: _stronger_first(e, lower_first))
    return list(chosen.values()), also


def rank_entries(entries: list[dict[str, Any]], *, lower_is_stronger: bool, ceiling: bool) -> list[dict[str, Any]]:
    """Order one figure per region strongest first; add rank, tie, uncertain, ratio_to_leader."""
    ordered = sorted(entries, key=lambda e: _stronger_first(e, lower_is_stronger))
    leader = ordered[0]["value"] if ordered else None
    for e in ordered:
        stronger = [o for o in ordered if (o["value"] < e["value"] if lower_is_stronger else o["value"] > e["value"])]
        e["rank"] = 1 + len(stronger)
        e["tie"] = sum(1 for o in ordered if o["value"] == e["value"]) > 1
        e["ratio_to_leader"] = (e["value"] / leader) if leader else None
        lo, hi = interval(e["value"], e["value_high"], e["qualifier"], ceiling)
        e["uncertain"] = False
        for other in ordered:
            if other is e or other["value"] == e["value"]:
                continue
            if other["qualifier"] == e["qualifier"] and e["qualifier"] in ("min", "max", "eq"):
                continue  # two floors (or two ceilings) compare as stated: at least 94 is the stronger commitment than at least 35
            olo, ohi = interval(other["value"], other["value_high"], other["qualifier"], ceiling)
            if lo <= ohi and olo <= hi:  # the intervals overlap: the order could flip
                e["uncertain"] = True
    return ordered


def ranking(key: str, rows: pd.DataFrame, regions: dict[str, dict[str, Any]], subject: Subject,
            vocabulary: Vocabulary) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of one comparison key: one figure per region ranked strongest first, and the
    rest (a region's other figures), as the province briefings and the overview show them."""
    metric = key.split("|")[0]
    lower, ceiling = vocabulary.flag(metric, "lower_is_stronger"), vocabulary.flag(metric, "ceiling")
    ranked_pool, also = one_per_region([entry(r, regions, subject) for r in _records(rows)], lower)
    return rank_entries(ranked_pool, lower_is_stronger=lower, ceiling=ceiling), also


def _comparison(key: str, rows: pd.DataFrame, national: pd.DataFrame, regions: dict[str, dict[str, Any]], subject: Subject,
                vocabulary: Vocabulary) -> dict[str, Any]:
    metric, group, period, klass = key.split("|")
    lower = vocabulary.flag(metric, "lower_is_stronger")
    ranked, also = ranking(key, rows, regions, subject, vocabulary)
    regions_count = len(ranked)
    if regions_count < 2:
        for e in ranked:  # alone: no rank
            e["rank"], e["tie"], e["uncertain"], e["ratio_to_leader"] = None, False, False, None
    for e in also:
        e["rank"], e["tie"], e["uncertain"], e["ratio_to_leader"] = None, False, False, None
    peers = [e for e in ranked if not e["holder"]["is_subject"] and e["holder"]["macro_region"] == subject.macro_region]
    return {
        "id": key.replace("|", "__").replace("-", "none"),
        "key": key,
        "section": vocabulary.metric(metric)["section"],
        "metric": metric,
        "group": group if group != "-" else None,
        "period": period if period != "-" else None,
        "status_class": klass,
        "unit": ranked[0]["unit"],
        "kind": "ranked" if regions_count >= 2 else "alone",
        "n_regions": regions_count,
        "lower_is_stronger": lower,
        "charted": vocabulary.flag(metric, "charted") and regions_count >= 2,
        "projections": sorted(e["measure_id"] for e in ranked + also if e["status"] == "projection"),
        "entries": ranked,
        "also": also,
        "national": [entry(r, regions, subject) for r in _records(national)],
        "peer_measure_ids": [e["measure_id"] for e in peers],
        "leader_measure_id": ranked[0]["measure_id"] if regions_count >= 2 else None,
    }


def _record(row: dict[str, Any], regions: dict[str, dict[str, Any]], subject: Subject,
            vocabulary: Vocabulary) -> dict[str, Any]:
    keys = ["measure_id", "region", "locality", "policy", "category", "instrument", "metric", "qualifier",
            "value_reported", "unit_reported", "unit", "period", "status", "source_id", "evidence",
            "summary_zh", "summary_en", "note_zh", "note_en"]
    rec = {k: row[k] for k in keys}
    rec["value"] = _none(row["value"])
    rec["value_high"] = _none(row["value_high"])
    rec["year"] = None if pd.isna(row["year"]) else int(row["year"])
    rec["section"] = vocabulary.section(row)
    rec["holder"] = holder(row, regions, subject)
    return rec


def province_results(ds: Dataset, slug: str, table: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything a briefing needs about one province, as JSON-ready data.

    ``table`` is the normalized table (computed when not given, so callers that compare
    many provinces normalize once).
    """
    subject = find_province(ds, slug)
    vocabulary = Vocabulary(ds)
    table = normalized_measures(ds) if table is None else table
    regions = region_index(ds)
    kinds = table["metric"].map(vocabulary.metrics["kind"])
    valued = table[kinds != "qualitative"].copy()
    valued["key"] = [vocabulary.comparison_key(r) for r in _records(valued)]
    ranked_kind = valued[kinds[valued.index] == "ranked"]
    mine = table[table["region"] == subject.code]
    mine_ranked = ranked_kind[ranked_kind["region"] == subject.code]
    regional = ranked_kind[ranked_kind["region"] != "CN"]
    national = valued[valued["region"] == "CN"]

    comparisons = []
    for key in sorted(set(mine_ranked["key"])):
        metric = key.split("|")[0]
        comparisons.append(_comparison(key, regional[regional["key"] == key], national[national["metric"] == metric],
                                       regions, subject, vocabulary))
    comparisons.sort(key=lambda c: (vocab.SECTIONS.index(c["section"]), c["kind"] != "ranked", c["metric"], c["key"]))

    references = [entry(r, regions, subject) for _, r in valued[(kinds[valued.index] == "reference")
                                                                & (valued["region"] == subject.code)].iterrows()]
    national_references = [entry(r, regions, subject) for r in _records(national)]

    # metrics others report with a value and this province (and its cities) does not
    others = regional[regional["region"] != subject.code]
    not_reported = []
    for metric, group in others.groupby("metric"):
        if metric in set(mine_ranked["metric"]):
            continue
        holders = sorted({(r["locality"] or r["region"]) for r in _records(group)})
        not_reported.append({
            "section": vocabulary.metric(metric)["section"],
            "metric": metric,
            "reported_by": [{"code": h, "name_zh": regions[h]["short_zh"], "name_en": regions[h]["name_en"],
                             "is_city": regions[h]["level"] == "city"} for h in holders],
            "measure_ids": sorted(group["measure_id"]),
        })
    not_reported.sort(key=lambda x: (vocab.SECTIONS.index(x["section"]), -len(x["reported_by"]), x["metric"]))

    qualitative = mine[kinds[mine.index] == "qualitative"]
    measure_ids = set(mine["measure_id"])
    for c in comparisons:
        measure_ids.update(e["measure_id"] for e in c["entries"] + c["also"] + c["national"])
    cited = table[table["measure_id"].isin(measure_ids)]
    source_ids = sorted(set(cited["source_id"]))
    policy_ids = sorted(set(cited["policy"]) - {""})
    metrics_used = sorted(set(cited["metric"]) | {n["metric"] for n in not_reported})
    instruments_used = sorted(set(cited["instrument"]) - {""})

    results = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "province": {
            "code": subject.code, "slug": subject.slug, "name_zh": subject.name_zh, "name_en": subject.name_en,
            "short_zh": subject.short_zh, "macro_region": subject.macro_region,
            "cities": [
                {"code": c, "name_zh": regions[c]["short_zh"], "name_en": regions[c]["name_en"]}
                for c in subject.cities if c in set(mine["locality"])
            ],
        },
        "data_as_of": latest(list(ds.sources["date"])),
        "counts": {
            "measures": int(len(mine)),
            "valued": int((kinds[mine.index] != "qualitative").sum()),
            "qualitative": int(len(qualitative)),
            "city_measures": int((mine["locality"] != "").sum()),
            "ranked": sum(1 for c in comparisons if c["kind"] == "ranked"),
        },
        "has_quantitative": bool((kinds[mine.index] != "qualitative").any()),
        "comparisons": comparisons,
        "references": references,
        "national_references": national_references,
        "qualitative": [_record(r, regions, subject, vocabulary) for r in _records(qualitative)],
        "not_reported": not_reported,
        "measures": {r["measure_id"]: _record(r, regions, subject, vocabulary)
                     for r in _records(cited.sort_values("measure_id"))},
        "metrics": {m: _metric_record(vocabulary.metric(m)) for m in metrics_used},
        "instruments": {i: vocabulary.instruments.loc[i].to_dict() for i in instruments_used},
        "sources": ds.sources[ds.sources["source_id"].isin(source_ids)].to_dict("records"),
        "policies": ds.policies[ds.policies["policy_id"].isin(policy_ids)].to_dict("records"),
    }
    from .findings import key_findings

    holders = table[(table["instrument"] != "") & (table["region"] != "CN")].groupby("instrument")["region"]
    results["findings"] = key_findings(results, {i: set(r) for i, r in holders})
    return results


def _metric_record(m: pd.Series) -> dict[str, Any]:
    record = m.to_dict()
    for flag in ("lower_is_stronger", "ceiling", "charted"):
        record[flag] = record[flag] == "yes"
    return record
