"""Compare one province with every other region that reports the same metric.

Rules (the methodology section of each briefing states them):

- Like for like: a comparison groups rows with the same metric, period and status class
  (forward-looking: target, projection, policy, proposal; or baseline), and for funds,
  compute and other targets the same instrument. Vouchers of different kinds are ranked
  together on one metric (a cap per recipient is a cap per recipient), with the instrument
  shown on every entry. Nothing is ever added up.
- A city's row is the city's: it is shown under the city's name and never merged into its
  province's figure. A province's briefing covers its own rows and its cities' rows.
- Missing is never zero: a metric a region does not report is listed as not reported.
- Qualifiers travel with values. Ranks use the stated value (standard competition
  ranking, 1-2-2-4); equal stated values are ties; an ordering that the qualifiers make
  uncertain (≥ 94 next to ≈ 100) is flagged on both entries.
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

RESULTS_SCHEMA_VERSION = 1

SECTIONS = ("funds", "vouchers", "compute", "other")

#: For these metrics a smaller figure is the stronger commitment (a stricter PUE limit).
LOWER_IS_STRONGER = frozenset({"pue_limit", "latency_limit", "rack_power_limit", "compute_rank"})

#: Metrics that are ceilings by definition: 最高 on them states the ceiling itself, so
#: two such ceilings compare as stated values.
CEILING_METRICS = frozenset(
    {"pool_per_year", "pool_total", "cap_per_recipient", "grant_per_recipient", "subsidy_rate",
     "startup_subsidy_rate", "pue_limit", "latency_limit", "rack_power_limit"}
)

#: How far an "approx" value may be from the stated one when judging an ordering.
APPROX_TOLERANCE = 0.10

#: Metrics drawn in the charts for every region (the charts show the whole field).
CHARTED_METRICS = frozenset({"fund_size", "pool_per_year", "pool_total", "cap_per_recipient", "grant_per_recipient", "compute_capacity"})

GRANT_INSTRUMENTS = frozenset(vocab.INSTRUMENTS) - vocab.VOUCHERS - {"ai_industry_fund"}


def section_of(row: pd.Series | dict) -> str:
    """Which briefing section a measure belongs to."""
    if row["metric"] == "fund_size" or row["instrument"] == "ai_industry_fund":
        return "funds"
    if row["instrument"] in vocab.VOUCHERS or row["instrument"] in GRANT_INSTRUMENTS:
        return "vouchers"
    if row["category"] in ("compute", "infrastructure"):
        return "compute"
    return "other"


def status_class(status: str) -> str:
    return "baseline" if status == "baseline" else "planned"


def comparison_key(row: pd.Series | dict) -> str:
    """Rows with the same key are comparable like for like."""
    section = section_of(row)
    family = row["instrument"]
    if section == "vouchers":
        family = "voucher" if row["instrument"] in vocab.VOUCHERS else "grant"
    return "|".join([section, family or "-", row["metric"], row["period"] or "-", status_class(row["status"])])


def interval(value: float, value_high: float, qualifier: str, metric: str) -> tuple[float, float]:
    """The range of true values a stated figure allows, used only to flag uncertain orderings."""
    if qualifier == "range":
        return value, value_high
    if qualifier == "approx":
        return value * (1 - APPROX_TOLERANCE), value * (1 + APPROX_TOLERANCE)
    if qualifier == "min":
        return value, math.inf
    if qualifier == "max" and metric not in CEILING_METRICS:
        return 0.0, value
    return value, value


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


def _holder(row: pd.Series, regions: pd.DataFrame, subject: Subject) -> dict[str, Any]:
    code = row["locality"] or row["region"]
    r = regions.loc[code]
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


def _nan_to_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _entry(row: pd.Series, regions: pd.DataFrame, subject: Subject) -> dict[str, Any]:
    return {
        "measure_id": row["measure_id"],
        "holder": _holder(row, regions, subject),
        "instrument": row["instrument"],
        "metric": row["metric"],
        "value": _nan_to_none(row["value"]),
        "value_high": _nan_to_none(row["value_high"]),
        "unit": row["unit"],
        "value_reported": row["value_reported"],
        "unit_reported": row["unit_reported"],
        "qualifier": row["qualifier"],
        "period": row["period"],
        "year": None if pd.isna(row["year"]) else int(row["year"]),
        "status": row["status"],
        "source_id": row["source_id"],
    }


def rank_entries(entries: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Order entries strongest first and add rank, tie, uncertain and ratio_to_leader."""
    lower_first = metric in LOWER_IS_STRONGER
    ordered = sorted(entries, key=lambda e: ((e["value"] if lower_first else -e["value"]), e["holder"]["code"], e["measure_id"]))
    leader = ordered[0]["value"] if ordered else None
    for position, e in enumerate(ordered):
        same = [o for o in ordered if o["value"] == e["value"]]
        e["rank"] = 1 + sum(1 for o in ordered if (o["value"] < e["value"] if lower_first else o["value"] > e["value"]))
        e["tie"] = len(same) > 1
        e["ratio_to_leader"] = (e["value"] / leader) if leader else None
        lo, hi = interval(e["value"], e["value_high"] or e["value"], e["qualifier"], metric)
        e["uncertain"] = False
        for other in ordered:
            if other is e or other["value"] == e["value"]:
                continue
            olo, ohi = interval(other["value"], other["value_high"] or other["value"], other["qualifier"], metric)
            if lo <= ohi and olo <= hi:  # the intervals overlap: the order could flip
                e["uncertain"] = True
        e["position"] = position
    return ordered


def _comparison(key: str, rows: pd.DataFrame, regions: pd.DataFrame, subject: Subject) -> dict[str, Any]:
    section, family, metric, period, klass = key.split("|")
    entries = [_entry(r, regions, subject) for _, r in rows.iterrows()]
    ranked = rank_entries(entries, metric)
    subject_entries = [e for e in ranked if e["holder"]["is_subject"]]
    peers = [e for e in ranked if not e["holder"]["is_subject"] and e["holder"]["macro_region"] == subject.macro_region]
    return {
        "id": key.replace("|", "__").replace("-", "none"),
        "key": key,
        "section": section,
        "family": None if family == "-" else family,
        "metric": metric,
        "period": None if period == "-" else period,
        "status_class": klass,
        "unit": ranked[0]["unit"],
        "n": len(ranked),
        "n_holders": len({e["holder"]["code"] for e in ranked}),
        "lower_is_stronger": metric in LOWER_IS_STRONGER,
        "entries": ranked,
        "subject_measure_ids": [e["measure_id"] for e in subject_entries],
        "peer_measure_ids": [e["measure_id"] for e in peers],
        "leader_measure_id": ranked[0]["measure_id"],
    }


def _record(row: pd.Series, regions: pd.DataFrame, subject: Subject) -> dict[str, Any]:
    keys = ["measure_id", "region", "locality", "policy", "category", "instrument", "metric", "qualifier",
            "value_reported", "unit_reported", "unit", "period", "status", "source_id", "evidence", "note"]
    rec = {k: row[k] for k in keys}
    rec["value"] = _nan_to_none(row["value"])
    rec["value_high"] = _nan_to_none(row["value_high"])
    rec["year"] = None if pd.isna(row["year"]) else int(row["year"])
    rec["section"] = section_of(row)
    rec["holder"] = _holder(row, regions, subject)
    return rec


def province_results(ds: Dataset, slug: str, table: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything a briefing needs about one province, as JSON-ready data.

    ``table`` is the normalized table (computed when not given, so callers that compare
    many provinces normalize once).
    """
    subject = find_province(ds, slug)
    table = normalized_measures(ds) if table is None else table
    regions = ds.regions.set_index("code")
    valued = table[table["value_reported"] != ""].copy()
    valued["key"] = [comparison_key(r) for _, r in valued.iterrows()]
    mine = table[table["region"] == subject.code]
    mine_valued = valued[valued["region"] == subject.code]

    regional = valued[valued["region"] != "CN"]
    national = valued[valued["region"] == "CN"]
    comparisons = []
    for key in sorted(set(mine_valued["key"])):
        c = _comparison(key, regional[regional["key"] == key], regions, subject)
        # national figures of the same metric are a reference, never a ranked peer
        c["national"] = [_entry(r, regions, subject) for _, r in national[national["metric"] == c["metric"]].iterrows()]
        comparisons.append(c)

    # metrics others report with a value and this province (and its cities) does not
    others = valued[(valued["region"] != subject.code) & (valued["region"] != "CN")]
    not_reported = []
    for (section, metric), group in others.groupby([others.apply(section_of, axis=1), "metric"]):
        if metric in set(mine_valued["metric"]):
            continue
        holders = sorted({(r["locality"] or r["region"]) for _, r in group.iterrows()})
        not_reported.append({
            "section": section,
            "metric": metric,
            "reported_by": [{"code": h, "name_zh": regions.at[h, "short_zh"], "name_en": regions.at[h, "name_en"]} for h in holders],
            "measure_ids": sorted(group["measure_id"]),
        })
    not_reported.sort(key=lambda x: (SECTIONS.index(x["section"]), -len(x["reported_by"]), x["metric"]))

    qualitative = mine[mine["value_reported"] == ""]
    measure_ids = set(mine["measure_id"])
    for c in comparisons:
        measure_ids.update(e["measure_id"] for e in c["entries"])
        measure_ids.update(n["measure_id"] for n in c["national"])
    measure_ids.update(regional.loc[regional["metric"].isin(CHARTED_METRICS), "measure_id"])
    cited = table[table["measure_id"].isin(measure_ids)]
    source_ids = sorted(set(cited["source_id"]))
    policy_ids = sorted(set(cited["policy"]) - {""})

    charted = regional[regional["metric"].isin(CHARTED_METRICS)]
    results = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "province": {
            "code": subject.code, "slug": subject.slug, "name_zh": subject.name_zh, "name_en": subject.name_en,
            "short_zh": subject.short_zh, "macro_region": subject.macro_region,
            "cities": [
                {"code": c, "name_zh": regions.at[c, "short_zh"], "name_en": regions.at[c, "name_en"]}
                for c in subject.cities if c in set(mine["locality"])
            ],
        },
        "data_as_of": latest(list(ds.sources["date"])),
        "counts": {
            "measures": int(len(mine)),
            "valued": int(len(mine_valued)),
            "qualitative": int(len(qualitative)),
            "city_measures": int((mine["locality"] != "").sum()),
            "by_section": {s: int((mine.apply(section_of, axis=1) == s).sum()) if len(mine) else 0 for s in SECTIONS},
        },
        "has_quantitative": bool(len(mine_valued)),
        "comparisons": comparisons,
        "all_entries": [_entry(r, regions, subject) for _, r in charted.iterrows()],
        "national_entries": [_entry(r, regions, subject) for _, r in national.iterrows()],
        "qualitative": [_record(r, regions, subject) for _, r in qualitative.iterrows()],
        "not_reported": not_reported,
        "findings": findings(comparisons, qualitative_count=len(qualitative), not_reported=len(not_reported)),
        "measures": {r["measure_id"]: _record(r, regions, subject) for _, r in cited.sort_values("measure_id").iterrows()},
        "sources": ds.sources[ds.sources["source_id"].isin(source_ids)].to_dict("records"),
        "policies": ds.policies[ds.policies["policy_id"].isin(policy_ids)].to_dict("records"),
    }
    return results


#: Order in which findings are worth telling an editor first.
_SECTION_WEIGHT = {"funds": 0, "vouchers": 1, "compute": 2, "other": 3}


def findings(comparisons: list[dict[str, Any]], *, qualitative_count: int, not_reported: int) -> list[dict[str, Any]]:
    """Inputs of the key-finding sentences: one per subject entry worth telling, best first.

    Each finding names its comparison and measure ids, so every sentence can cite them.
    """
    found = []
    for c in comparisons:
        for e in c["entries"]:
            if not e["holder"]["is_subject"]:
                continue
            leader = c["entries"][0]
            kind = "only" if c["n_holders"] == 1 else ("leads" if e["rank"] == 1 else "ranks")
            found.append({
                "kind": kind,
                "comparison_id": c["id"],
                "section": c["section"],
                "measure_id": e["measure_id"],
                "leader_measure_id": leader["measure_id"],
                "rank": e["rank"],
                "n": c["n"],
                "tie": e["tie"],
                "uncertain": e["uncertain"],
                "ratio_to_leader": e["ratio_to_leader"],
                "weight": (_SECTION_WEIGHT[c["section"]], 0 if kind != "only" else 1, e["rank"], -c["n"]),
            })
    found.sort(key=lambda f: (f["weight"], f["measure_id"]))
    for f in found:
        f.pop("weight")
    if not found and qualitative_count:
        found.append({"kind": "qualitative_only", "count": qualitative_count})
    if not_reported:
        found.append({"kind": "not_reported", "count": not_reported})
    return found
