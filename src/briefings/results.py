"""The results contract: what the analysis hands the renderers (``results.json``).

``results.json`` is the central interchange of the pipeline: the notebook writes it
(``compare.province_results``), and the documents, charts, index, review record, proof sheet
and pack read it. Its shape is declared twice, once for the type checker (the ``TypedDict``
records below) and once for any reader (``results.schema.json`` beside this module, JSON
Schema 2020-12, checked by the tests on every province's results). A claim's kind, a
comparison's kind and a status are closed vocabularies: an unknown one is an error, never an
empty sentence.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypedDict

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

SCHEMA_FILE = Path(__file__).with_name("results.schema.json")

Status = Literal["target", "policy", "baseline", "projection", "proposal"]
Qualifier = Literal["eq", "max", "min", "approx", "range"]
Level = Literal["province", "city"]
ComparisonKind = Literal["ranked", "pair", "alone"]
ClaimKind = Literal["statement", "rank", "pair", "reference", "holds"]
CLAIM_KINDS: tuple[str, ...] = ("statement", "rank", "pair", "reference", "holds")


class Place(TypedDict):
    code: str
    name_zh: str
    name_en: str


class Holder(TypedDict):
    """Who a figure belongs to: a province-level region, a city or a district."""

    code: str
    level: str
    slug: str
    name_zh: str
    name_en: str
    province: str
    macro_region: str
    is_subject: bool
    is_city: bool
    is_municipality: bool
    joint_with: list[Place]


class QualifierForms(TypedDict):
    symbol: str
    zh: str
    en: str


class Entry(TypedDict, total=False):
    """One figure as a comparison shows it (base units: CNY, FLOPS, percent, count ...)."""

    measure_id: str
    holder: Holder
    instrument: str
    metric: str
    value: float | None
    value_high: float | None
    unit: str
    value_reported: str
    unit_reported: str
    qualifier: Qualifier
    qualifier_word: str
    words: QualifierForms | None
    period: str
    year: int | None
    year_basis: str
    status: Status
    comparable: bool
    lapsed: bool
    exact: bool
    source_id: str
    has_note: bool
    rank: int | None
    tie: bool
    uncertain: bool


class ComparisonKeyRecord(TypedDict):
    metric: str
    group: str | None
    period: str | None
    status: Status
    year: int | None
    level: Level
    undated: bool


class Comparison(TypedDict):
    """Figures that may be set against each other (compare.ComparisonKey)."""

    id: str
    key: ComparisonKeyRecord
    section: str
    metric: str
    group: str | None
    period: str | None
    status: Status
    year: int | None
    level: Level
    unit: str
    kind: ComparisonKind
    n_regions: int
    lower_is_stronger: bool
    ceiling: bool
    comparable: bool
    undated: bool
    charted: bool
    entries: list[Entry]
    also: list[Entry]
    beside: list[Entry]
    national: list[Entry]


class Claim(TypedDict, total=False):
    """A statement a page makes about figures (claims.py), checked by its rules."""

    id: str
    kind: ClaimKind
    variant: str
    measure_ids: list[str]
    subject: str
    section: str
    comparison_id: str | None
    basis: dict[str, Any]
    where: str
    lapsed: bool
    ratio: float | None
    rank: int
    n: int
    tie: bool
    tied_with: list[str]
    last: bool
    relation: str
    compared_with: list[str]
    leader_measure_id: str | None
    runner_up_measure_id: str | None
    joint: bool


class Dropped(TypedDict):
    """A claim the build did not print, and the rules it broke."""

    claim: dict[str, Any]
    rules: list[dict[str, str]]


class Results(TypedDict, total=False):
    """A province's results.json."""

    schema_version: int
    province: dict[str, Any]
    data_as_of: str
    counts: dict[str, int]
    has_quantitative: bool
    profile: Literal["full", "thin"]
    sections: list[dict[str, str]]  # key, label_zh, label_en, in page order (sections.py)
    comparisons: list[Comparison]
    references: list[Entry]
    qualitative: list[dict[str, Any]]
    not_reported: list[dict[str, Any]]
    measures: dict[str, dict[str, Any]]
    metrics: dict[str, dict[str, Any]]
    instruments: dict[str, dict[str, Any]]
    qualifiers: dict[str, dict[str, str]]
    sources: list[dict[str, Any]]
    policies: list[dict[str, Any]]
    source_dates: list[str]
    claims: list[Claim]
    dropped: list[Dropped]
    findings: list[str]
    figures: dict[str, Any]


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of a province's results.json."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


# --------------------------------------------------------------------------- on disk
#
# A rank claim lists every measure of its comparison twice (``measure_ids``, ``compared_with``)
# and every holder once more (``basis.holders``): over two thousand cities that is most of a
# 60 MB results.json. On disk a claim whose lists are exactly its comparison's entries stores
# only its own measure (``measure_ids: [subject]``) and ``members: "comparison"``;
# ``expand_claims`` rebuilds the lists, so every reader sees what the analysis made (tested
# equal for every province). A claim whose lists differ is stored as it is.

MEMBERS = "comparison"


def _membership(comparison: dict[str, Any], subject: str) -> tuple[list[str], list[str]]:
    """The measures of ``comparison`` with ``subject``'s first, and its holders' codes."""
    ids = [e["measure_id"] for e in comparison["entries"]]
    return [subject, *(i for i in ids if i != subject)], [e["holder"]["code"] for e in comparison["entries"]]


def _comparisons(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in results.get("comparisons", [])}


def _compact(claim: dict[str, Any], comparisons: dict[str, dict[str, Any]], *, lists: bool) -> dict[str, Any]:
    comparison = comparisons.get(claim.get("comparison_id") or "")
    ids = claim.get("measure_ids") or []
    if comparison is None or not ids:
        return claim
    measure_ids, holders = _membership(comparison, ids[0])
    if ids != measure_ids:
        return claim
    if lists:  # a printed claim: its compared_with and basis.holders go too, and must agree
        basis = claim.get("basis") or {}
        if claim.get("compared_with") != measure_ids[1:] or basis.get("holders") != holders:
            return claim
        claim = {k: v for k, v in claim.items() if k != "compared_with"}
        claim["basis"] = {k: v for k, v in basis.items() if k != "holders"}
    return {**claim, "measure_ids": ids[:1], "members": MEMBERS}


def _expand(
    claim: dict[str, Any], comparisons: dict[str, dict[str, Any]], shared: dict[str, list[str]], *, lists: bool, path: str
) -> dict[str, Any]:
    if claim.get("members") != MEMBERS:
        return claim
    comparison = comparisons.get(claim.get("comparison_id") or "")
    if comparison is None or not claim.get("measure_ids"):
        raise ValueError(f"{path}: its members are its comparison's, but it names no comparison of this file")
    measure_ids, holders = _membership(comparison, claim["measure_ids"][0])
    out = {k: v for k, v in claim.items() if k != "members"}
    out["measure_ids"] = measure_ids
    if lists:
        out["compared_with"] = measure_ids[1:]
        # one list for every claim of the comparison (read, never changed)
        out["basis"] = {**claim.get("basis", {}), "holders": shared.setdefault(comparison["id"], holders)}
    return out


def compact_claims(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` as stored: claims (and the dropped claims' summaries) whose measure lists
    are their comparison's entries name only their own measure. A shallow copy; ``results``
    is not changed."""
    comparisons = _comparisons(results)
    out = dict(results)
    if "claims" in results:
        out["claims"] = [_compact(c, comparisons, lists=True) for c in results["claims"]]
    if "dropped" in results:
        out["dropped"] = [{**d, "claim": _compact(d["claim"], comparisons, lists=False)} for d in results["dropped"]]
    return out


def expand_claims(results: dict[str, Any]) -> dict[str, Any]:
    """The inverse of ``compact_claims``, in place; returns ``results``. Raises ValueError
    naming the claim when a stored claim refers to a comparison the file does not have."""
    comparisons = _comparisons(results)
    shared: dict[str, list[str]] = {}
    if "claims" in results:
        results["claims"] = [
            _expand(c, comparisons, shared, lists=True, path=f"claims[{i}]") for i, c in enumerate(results["claims"])
        ]
    if "dropped" in results:
        results["dropped"] = [
            {**d, "claim": _expand(d["claim"], comparisons, shared, lists=False, path=f"dropped[{i}].claim")}
            for i, d in enumerate(results["dropped"])
        ]
    return results
