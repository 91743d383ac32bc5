"""Compare one province with every other region or city that reports the same thing.

A comparison holds the figures that may be set against each other (``ComparisonKey``):

- the same metric (``metrics.csv`` says exactly what is counted), instrument group
  (``instruments.csv``) and period;
- the same status: achieved, target, projection, enacted policy and proposal never share a
  comparison;
- for targets, projections and achieved figures, the same year, stated by the source (a
  figure whose year is only its report's compares with nothing); a policy's year is its
  document's, so instruments in force compare whatever year they were set;
- the same level: province-level regions with each other, cities and districts with each
  other; the four municipalities are province-level regions and cities, so they compare at
  both levels (every claim names its level);
- only figures the data marks as comparable.

One figure per holder (its latest, then its strongest); the holder's other figures are listed
as "also". A comparison of three or more holders is ranked; of two it is a pair; of one it
stands alone. Figures of the same metric that differ in status or year are listed beside it,
labelled, never ranked. What may be *said* about a comparison is decided in ``claims.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import vocab
from .dates import latest, parse
from .errors import UsageError
from .load import Dataset
from .normalize import normalized_measures
from .sections import as_records, read_sections, section_of_row

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

RESULTS_SCHEMA_VERSION = 4

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


@dataclass(frozen=True, order=True)
class ComparisonKey:
    """What makes figures comparable; ``year`` is None when the status is not dated (policy,
    proposal), ``undated`` marks a dated figure whose year the source does not state."""

    metric: str
    group: str
    period: str
    status: str
    year: int | None
    level: str
    undated: str = ""  # the measure id of a figure that compares with nothing

    @property
    def id(self) -> str:
        parts = [
            self.metric,
            self.group or "none",
            self.period or "none",
            self.status,
            str(self.year) if self.year is not None else "any",
            self.level,
        ]
        return "__".join(parts + ([self.undated] if self.undated else []))

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "group": self.group or None,
            "period": self.period or None,
            "status": self.status,
            "year": self.year,
            "level": self.level,
            "undated": bool(self.undated),
        }


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
    within = _within(ds)
    cities = tuple(sorted(c for c, p in within.items() if p == r["code"]))
    return Subject(r["code"], r["slug"], r["name_zh"], r["name_en"], r["short_zh"], r["macro_region"], cities)


def _within(ds: Dataset) -> dict[str, str]:
    """City and district codes -> the province-level region they lie in."""
    from .load import province_of

    level = dict(zip(ds.regions["code"], ds.regions["level"]))
    parent = dict(zip(ds.regions["code"], ds.regions["parent"]))
    return {c: province_of(c, level, parent) for c, lv in level.items() if lv in ("city", "district")}


def provinces_with_measures(ds: Dataset) -> list[str]:
    """Slugs of every province-level division with at least one row, in alphabetical order."""
    regions = ds.regions.set_index("code")
    codes = set(ds.measures["region"]) - {"CN"}
    return sorted(regions.at[c, "slug"] for c in codes if regions.at[c, "level"] == "province")


def rows_per_province(ds: Dataset) -> dict[str, int]:
    """Province slug -> how many rows of measures.csv are its own (its cities' included)."""
    slugs = ds.regions.set_index("code")["slug"]
    counts = ds.measures["region"].value_counts()
    return {str(slugs[code]): int(n) for code, n in counts.items() if code in slugs.index}


class Vocabulary:
    """Metric and instrument definitions from the data, as the comparison needs them."""

    def __init__(self, ds: Dataset):
        self.metrics = ds.metrics.set_index("metric")
        self.instruments = ds.instruments.set_index("instrument")
        self._flags: dict[tuple[str, str], bool] = {
            (m, c): self.metrics.at[m, c] == "yes"
            for m in self.metrics.index
            for c in ("lower_is_stronger", "ceiling", "charted")
        }
        #: how each qualifier word prints (qualifiers.csv), carried by every figure as ``words``
        self.forms = {
            q["word"]: {"symbol": q["symbol"], "zh": q["zh_form"], "en": q["en_form"]} for q in ds.qualifiers.to_dict("records")
        }
        #: the briefing's sections, in page order (data/sections.csv, or the defaults)
        self.sections = read_sections(ds.data_dir)
        self.section_order = {s.key: i for i, s in enumerate(self.sections)}

    def metric(self, metric: str) -> pd.Series:
        return self.metrics.loc[metric]

    def flag(self, metric: str, column: str) -> bool:
        return self._flags[(metric, column)]

    def group(self, instrument: str) -> str:
        group: str = self.instruments.at[instrument, "compare_group"] if instrument else ""
        return group

    def section(self, row: pd.Series | dict[str, Any]) -> str:
        """The briefing section of a measure: its metric's, or for a row without a figure its
        instrument's kind or its category (priorities are listed apart)."""
        if row["metric"] != vocab.QUALITATIVE_METRIC:
            section: str = self.metrics.at[row["metric"], "section"]
            return section
        if row["category"] == "priority":
            return "priorities"
        kind = str(self.instruments.at[row["instrument"], "kind"]) if row["instrument"] else ""
        return section_of_row(self.sections, row["category"], kind)

    def keys(self, row: dict[str, Any], levels: tuple[str, ...]) -> list[ComparisonKey]:
        """The comparisons a figure belongs to, one per level it compares at."""
        dated = row["status"] in vocab.DATED_STATUSES
        stated = dated and row["year"] is not None and row["year_basis"] in vocab.YEAR_GIVEN
        year = row["year"] if stated else None
        undated = row["measure_id"] if (dated and not stated) or row["comparable"] != "yes" else ""
        return [
            ComparisonKey(row["metric"], self.group(row["instrument"]), row["period"] or "", row["status"], year, level, undated)
            for level in levels
        ]


def interval(value: float, value_high: float | None, qualifier: str, *, ceiling: bool, commitment: bool) -> tuple[float, float]:
    """The range of true values a stated figure allows, for judging whether an order is certain.

    In a target or an enacted policy a floor or a cap is the commitment itself (a target of 35
    EFLOPS or more commits to 35), so it is its own value; so is a cap in a ceiling metric (a
    voucher paying up to CNY 1 million per firm). For achieved figures and projections a floor
    or cap bounds an unknown value.
    """
    if qualifier == "range":
        return value, value_high if value_high is not None else value
    if qualifier == "approx":
        return value * (1 - APPROX_TOLERANCE), value * (1 + APPROX_TOLERANCE)
    if qualifier in ("min", "max") and (commitment or (qualifier == "max" and ceiling)):
        return value, value
    if qualifier == "min":
        return value, math.inf
    if qualifier == "max":
        return 0.0, value
    return value, value


def is_exact(e: dict[str, Any], ceiling: bool) -> bool:
    """A figure a ratio may be taken of: stated exactly, or a cap of a ceiling metric in force."""
    return e["qualifier"] == "eq" or (e["qualifier"] == "max" and ceiling and e["status"] in ("policy", "target"))


def _none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def region_index(ds: Dataset) -> dict[str, dict[str, Any]]:
    """Regions by code, as plain dicts (a pandas row lookup per figure is the slow path)."""
    regions: dict[str, dict[str, Any]] = ds.regions.set_index("code").to_dict("index")
    return regions


def holder_levels(row: dict[str, Any]) -> tuple[str, ...]:
    """The levels a figure compares at: a city's or district's at city level; a province's at
    province level; a municipality's at both."""
    if row["locality"]:
        return ("city",)
    if row["region"] in vocab.MUNICIPALITIES:
        return ("province", "city")
    return ("province",)


def holder(row: dict[str, Any], regions: dict[str, dict[str, Any]], subject: Subject) -> dict[str, Any]:
    """Who a figure belongs to: the city or district when the measure is theirs, else the region."""
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
        "is_municipality": not row["locality"] and row["region"] in vocab.MUNICIPALITIES,
        "joint_with": [
            {"code": c, "name_zh": regions[c]["short_zh"], "name_en": regions[c]["name_en"]}
            for c in (row.get("joint_with") or "").split()
        ],
    }


def entry(
    row: dict[str, Any], regions: dict[str, dict[str, Any]], subject: Subject, vocabulary: Vocabulary, data_year: int
) -> dict[str, Any]:
    """One figure as the briefing shows it (the measure's text lives in ``measures``)."""
    ceiling = vocabulary.flag(row["metric"], "ceiling")
    year = None if pd.isna(row["year"]) else int(row["year"])
    e = {
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
        "qualifier_word": row["qualifier_word"],
        "words": vocabulary.forms.get(row["qualifier_word"]),
        "period": row["period"],
        "year": year,
        "year_basis": row["year_basis"],
        "status": row["status"],
        "comparable": row["comparable"] == "yes",
        "lapsed": row["status"] == "target" and year is not None and year < data_year,
        "source_id": row["source_id"],
        "has_note": bool(row["note_en"]),
    }
    e["exact"] = is_exact(e, ceiling)
    return e


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")`` (missing values as None), built column by column:
    ``to_dict`` costs milliseconds per call on small frames, and a province's comparison
    calls it for every ranking (tested equal)."""
    columns = list(frame.columns)
    values = [[None if v is pd.NA else v for v in frame[c].tolist()] for c in columns]
    return [dict(zip(columns, row)) for row in zip(*values)] if columns else [{} for _ in range(len(frame))]


def _stronger_first(e: dict[str, Any], lower_first: bool) -> tuple[float, str, str]:
    return ((e["value"] if lower_first else -e["value"]), e["holder"]["code"], e["measure_id"])


def one_per_holder(entries: list[dict[str, Any]], lower_first: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each holder's figure for a comparison (its latest year, then its strongest), and the rest."""
    chosen: dict[str, dict[str, Any]] = {}
    for e in sorted(entries, key=lambda e: (-(e["year"] or 0), *_stronger_first(e, lower_first))):
        chosen.setdefault(e["holder"]["code"], e)
    picked = {id(e) for e in chosen.values()}
    also = sorted((e for e in entries if id(e) not in picked), key=lambda e: _stronger_first(e, lower_first))
    return list(chosen.values()), also


def certainly_stronger(a: dict[str, Any], b: dict[str, Any], *, lower_is_stronger: bool, ceiling: bool) -> bool:
    """True when the qualifiers make it certain that ``a`` is the stronger figure."""
    alo, ahi = interval(
        a["value"], a["value_high"], a["qualifier"], ceiling=ceiling, commitment=a["status"] in ("target", "policy")
    )
    blo, bhi = interval(
        b["value"], b["value_high"], b["qualifier"], ceiling=ceiling, commitment=b["status"] in ("target", "policy")
    )
    return ahi < blo if lower_is_stronger else alo > bhi


def same_figure(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same figure: value, upper value and qualifier (3000 is not "more than 3000")."""
    return (a["value"], a["value_high"], a["qualifier"]) == (b["value"], b["value_high"], b["qualifier"])


def rank_entries(entries: list[dict[str, Any]], *, lower_is_stronger: bool, ceiling: bool) -> list[dict[str, Any]]:
    """Order one figure per holder strongest first; add rank (1-2-2-4 by stated value), tie
    (the same figure: value and qualifier) and uncertain (an order with another figure the
    qualifiers leave open: 3000 and more than 3000 are neither tied nor ordered)."""
    ordered = sorted(entries, key=lambda e: _stronger_first(e, lower_is_stronger))
    for e in ordered:
        stronger = [o for o in ordered if (o["value"] < e["value"] if lower_is_stronger else o["value"] > e["value"])]
        e["rank"] = 1 + len(stronger)
        e["tie"] = sum(1 for o in ordered if same_figure(o, e)) > 1
        e["uncertain"] = any(
            o is not e
            and not same_figure(o, e)
            and not certainly_stronger(o, e, lower_is_stronger=lower_is_stronger, ceiling=ceiling)
            and not certainly_stronger(e, o, lower_is_stronger=lower_is_stronger, ceiling=ceiling)
            for o in ordered
        )
    return ordered


class Field:
    """Every figure that may be compared, grouped once per dataset (``Field.build``), so that
    comparing many provinces groups once."""

    def __init__(self, ds: Dataset, table: pd.DataFrame):
        self.ds = ds
        self.vocabulary = Vocabulary(ds)
        self.regions = region_index(ds)
        self.data_as_of = latest(list(ds.sources["date"]))
        self.data_year = parse(self.data_as_of).start.year
        kinds = table["metric"].map(self.vocabulary.metrics["kind"])
        self.table = table
        self.kinds = kinds
        valued = table[kinds != "qualitative"]
        self.rows = _records(valued)
        self.ranked_rows = [r for r, k in zip(self.rows, kinds[valued.index]) if k == "ranked"]
        self.groups: dict[ComparisonKey, list[dict[str, Any]]] = {}
        for r in self.ranked_rows:
            if r["region"] == "CN":
                continue
            for key in self.vocabulary.keys(r, holder_levels(r)):
                self.groups.setdefault(key, []).append(r)
        self.by_metric_level: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for key, rows in self.groups.items():
            self.by_metric_level.setdefault((key.metric, key.level), []).extend(rows)
        self.national = [r for r in self.rows if r["region"] == "CN"]
        instrument_rows = table[(table["instrument"] != "") & (table["region"] != "CN")]
        self.instrument_holders: dict[str, set[str]] = {}
        for r in _records(instrument_rows):
            if r["status"] != "proposal":  # a proposal is never an instrument a region has
                self.instrument_holders.setdefault(r["instrument"], set()).add(r["locality"] or r["region"])


def _comparison(key: ComparisonKey, rows: list[dict[str, Any]], field: Field, subject: Subject) -> dict[str, Any]:
    v = field.vocabulary
    lower, ceiling = v.flag(key.metric, "lower_is_stronger"), v.flag(key.metric, "ceiling")
    entries = [entry(r, field.regions, subject, v, field.data_year) for r in rows]
    pool, also = one_per_holder(entries, lower)
    n = len(pool)
    ranked = rank_entries(pool, lower_is_stronger=lower, ceiling=ceiling)
    kind = "ranked" if n >= 3 else ("pair" if n == 2 else "alone")
    if kind != "ranked":
        for e in ranked:
            e["rank"], e["tie"] = None, False
    for e in also:
        e["rank"], e["tie"], e["uncertain"] = None, False, False
    national = [entry(r, field.regions, subject, v, field.data_year) for r in field.national if r["metric"] == key.metric]
    return {
        "id": key.id,
        "key": key.as_dict(),
        "section": v.metric(key.metric)["section"],
        "metric": key.metric,
        "group": key.group or None,
        "period": key.period or None,
        "status": key.status,
        "year": key.year,
        "level": key.level,
        "unit": ranked[0]["unit"],
        "kind": kind,
        "n_regions": n,
        "lower_is_stronger": lower,
        "ceiling": ceiling,
        "comparable": not key.undated or all(e["comparable"] for e in ranked),
        "undated": bool(key.undated) and all(e["comparable"] for e in ranked),
        "charted": v.flag(key.metric, "charted") and kind == "ranked",
        "entries": ranked,
        "also": also,
        "beside": [],
        "national": national,
    }


def _beside(comparisons: list[dict[str, Any]], field: Field, subject: Subject) -> None:
    """Figures of the same kind (metric, instrument group, period) and level that differ in
    status or year: listed beside the first comparison of that kind, labelled, never ranked.
    Only figures the data marks as comparable: the rest belong to their own briefings."""
    shown = {e["measure_id"] for c in comparisons for e in c["entries"] + c["also"]}
    seen: set[tuple[str, str, str, str]] = set()
    for c in comparisons:
        kind = (c["metric"], c["group"] or "", c["period"] or "", c["level"])
        if kind in seen or (c["kind"] == "alone" and not c["comparable"]):
            continue
        seen.add(kind)
        rows = [
            r
            for r in field.by_metric_level.get((c["metric"], c["level"]), [])
            if r["measure_id"] not in shown
            and r["comparable"] == "yes"
            and (field.vocabulary.group(r["instrument"]), r["period"] or "") == kind[1:3]
        ]
        unique = {r["measure_id"]: r for r in rows}
        c["beside"] = sorted(
            (entry(r, field.regions, subject, field.vocabulary, field.data_year) for r in unique.values()),
            key=lambda e: (e["status"], -(e["year"] or 0), e["holder"]["code"], e["measure_id"]),
        )
        shown.update(unique)


def province_results(ds: Dataset, slug: str, table: pd.DataFrame | None = None, field: Field | None = None) -> dict[str, Any]:
    """Everything a briefing needs about one province, as JSON-ready data (``results.schema.json``).

    ``table`` is the normalized table and ``field`` its grouping (computed when not given, so
    callers that compare many provinces do it once).
    """
    from .claims import province_claims

    subject = find_province(ds, slug)
    table = normalized_measures(ds) if table is None else table
    field = field or Field(ds, table)
    v, regions = field.vocabulary, field.regions
    kinds = field.kinds
    mine = table[table["region"] == subject.code]
    mine_ranked = [r for r in field.ranked_rows if r["region"] == subject.code]

    keys = sorted({k for r in mine_ranked for k in v.keys(r, holder_levels(r))}, key=lambda k: k.id)
    comparisons = []
    for key in keys:
        rows = field.groups[key] if not key.undated else [r for r in mine_ranked if r["measure_id"] == key.undated]
        comparisons.append(_comparison(key, rows, field, subject))
    # a municipality's figure compares at both levels; where it stands alone at one level and
    # is compared at the other (or alone at both), it is shown once
    for c in sorted(comparisons, key=lambda c: c["level"] != "city"):
        others = [o for o in comparisons if o is not c]
        ids = {e["measure_id"] for e in c["entries"]}
        if c["kind"] == "alone" and any(ids <= {e["measure_id"] for e in o["entries"] + o["also"]} for o in others):
            comparisons.remove(c)
    comparisons.sort(key=lambda c: (v.section_order[c["section"]], c["kind"] == "alone", c["metric"], c["id"]))
    _beside(comparisons, field, subject)

    references = [
        entry(r, regions, subject, v, field.data_year)
        for r, k in zip(_records(table[kinds != "qualitative"]), kinds[kinds != "qualitative"])
        if k == "reference" and r["region"] == subject.code
    ]

    # metrics others report with a value and this province (and its cities) does not
    reported_here = {r["metric"] for r in mine_ranked}
    not_reported: dict[str, set[str]] = {}
    for r in field.ranked_rows:
        if r["region"] not in ("CN", subject.code) and r["metric"] not in reported_here:
            not_reported.setdefault(r["metric"], set()).add(r["locality"] or r["region"])
    not_reported_list = [
        {
            "section": v.metric(metric)["section"],
            "metric": metric,
            "reported_by": [
                {
                    "code": h,
                    "name_zh": regions[h]["short_zh"],
                    "name_en": regions[h]["name_en"],
                    "is_city": regions[h]["level"] in ("city", "district"),
                }
                for h in sorted(holders)
            ],
        }
        for metric, holders in not_reported.items()
    ]
    not_reported_list.sort(key=lambda x: (v.section_order[x["section"]], -len(x["reported_by"]), x["metric"]))

    qualitative = mine[kinds[mine.index] == "qualitative"]
    measure_ids = set(mine["measure_id"])
    for c in comparisons:
        measure_ids.update(e["measure_id"] for e in c["entries"] + c["also"] + c["beside"] + c["national"])
    cited = table[table["measure_id"].isin(measure_ids)]
    source_ids = sorted(set(cited["source_id"]))
    policy_ids = sorted(set(cited["policy"]) - {""})
    metrics_used = sorted(set(cited["metric"]) | {n["metric"] for n in not_reported_list})
    instruments_used = sorted(set(cited["instrument"]) - {""})
    words = sorted(set(cited["qualifier_word"]) - {""})
    valued_here = int((kinds[mine.index] != "qualitative").sum())

    results: dict[str, Any] = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "province": {
            "code": subject.code,
            "slug": subject.slug,
            "name_zh": subject.name_zh,
            "name_en": subject.name_en,
            "short_zh": subject.short_zh,
            "macro_region": subject.macro_region,
            "is_municipality": subject.code in vocab.MUNICIPALITIES,
            "cities": [
                {"code": c, "name_zh": regions[c]["short_zh"], "name_en": regions[c]["name_en"], "level": regions[c]["level"]}
                for c in subject.cities
                if c in set(mine["locality"])
            ],
        },
        "data_as_of": field.data_as_of,
        "counts": {
            "measures": len(mine),
            "valued": valued_here,
            "qualitative": len(qualitative),
            "city_measures": int((mine["locality"] != "").sum()),
            "ranked": sum(1 for c in comparisons if c["kind"] == "ranked"),
            "pairs": sum(1 for c in comparisons if c["kind"] == "pair"),
            "sources": len(set(mine["source_id"])),
        },
        "has_quantitative": valued_here > 0,
        "sections": as_records(v.sections),
        "comparisons": comparisons,
        "references": references,
        "qualitative": [_record(r, regions, subject, v) for r in _records(qualitative)],
        "not_reported": not_reported_list,
        "measures": {r["measure_id"]: _record(r, regions, subject, v) for r in _records(cited.sort_values("measure_id"))},
        "metrics": {m: _metric_record(v.metric(m)) for m in metrics_used},
        "instruments": {i: v.instruments.loc[i].to_dict() for i in instruments_used},
        "qualifiers": {w: r for w, r in ds.qualifiers.set_index("word").to_dict("index").items() if w in words},
        "sources": ds.sources[ds.sources["source_id"].isin(source_ids)].to_dict("records"),
        "policies": ds.policies[ds.policies["policy_id"].isin(policy_ids)].to_dict("records"),
    }
    results["source_dates"] = sorted({s["date"] for s in results["sources"] if s["source_id"] in set(mine["source_id"])})
    claims, dropped, findings = province_claims(results, field)
    results["claims"], results["dropped"], results["findings"] = claims, dropped, findings
    results["profile"] = "thin" if is_thin(results) else "full"
    return results


#: A province with fewer quantitative figures than this (its own and its cities') gets a
#: one-page profile instead of a briefing (README: "Thin provinces").
THIN_THRESHOLD = 3


def is_thin(results: dict[str, Any]) -> bool:
    valued: int = results["counts"]["valued"]
    return valued < THIN_THRESHOLD


def _record(row: dict[str, Any], regions: dict[str, dict[str, Any]], subject: Subject, vocabulary: Vocabulary) -> dict[str, Any]:
    keys = [
        "measure_id",
        "region",
        "locality",
        "policy",
        "category",
        "instrument",
        "metric",
        "qualifier",
        "qualifier_word",
        "value_reported",
        "unit_reported",
        "unit",
        "period",
        "year_basis",
        "status",
        "source_id",
        "evidence",
        "summary_zh",
        "summary_en",
        "note_zh",
        "note_en",
        "curator_note",
    ]
    rec = {k: row[k] for k in keys}
    rec["words"] = vocabulary.forms.get(row["qualifier_word"])
    rec["value"] = _none(row["value"])
    rec["value_high"] = _none(row["value_high"])
    rec["year"] = None if pd.isna(row["year"]) else int(row["year"])
    rec["comparable"] = row["comparable"] == "yes"
    rec["section"] = vocabulary.section(row)
    rec["holder"] = holder(row, regions, subject)
    return rec


def _metric_record(m: pd.Series) -> dict[str, Any]:
    record: dict[str, Any] = m.to_dict()
    for flag in ("lower_is_stronger", "ceiling", "charted"):
        record[flag] = record[flag] == "yes"
    return record
