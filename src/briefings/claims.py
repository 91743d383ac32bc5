"""Claims: everything a page says about figures, built and checked in one place.

A claim is data: its kind, its subject, the measures it rests on and the basis it compares
on (metric, instrument group, period, status, year, level, the holders compared). Sentences,
tables, charts, tiles and the overview render claims (``wording.py``) and derive nothing.

Kinds:

- ``statement``: one figure, stated (Henan has set up a CNY 3 billion AI industry fund);
- ``rank``: a holder's place among three or more holders of one comparison, with its base
  ("of the 5 cities the sources report this for");
- ``pair``: two holders of one comparison: which is higher when the qualifiers make it
  certain, "N times" when both figures are exact, else the two figures side by side;
- ``reference``: a figure that places a region nationally (a rank, a share), joint or not;
- ``holds``: a region has an instrument in force (index and overview), never a proposal.

Every claim passes ``RULES`` before a page may print it. The builder proposes claims in
order of preference (a ratio, then an order, then the figures side by side); a variant that
breaks a rule is dropped and reported (``dropped``: the claim, the rule, why), and the next
variant is tried. README ("Claim rules") and each briefing's methodology state the rules.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import vocab

if TYPE_CHECKING:
    from .compare import Field

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

#: Findings per briefing: at most this many, chosen by salience (never boilerplate to fill).
MAX_FINDINGS = 5
#: A lead by at least this factor is "wide" (and, between exact figures, worth a ratio).
WIDE_FACTOR = 2.0
#: At most this many findings of one kind, so that a briefing tells different things.
PER_KIND = {"statement": 3, "rank": 3, "pair": 2, "reference": 2}

Claim = dict[str, Any]


def claim_id(kind: str, measure_ids: list[str], variant: str = "") -> str:
    """Stable across builds: the kind and what it is about (the subject's measure, and its
    comparison or the other measure of a pair), and the variant."""
    digest = hashlib.sha256("|".join([kind, variant, *measure_ids]).encode()).hexdigest()[:10]
    return f"{kind}-{measure_ids[0]}-{digest}"


# --------------------------------------------------------------------------- the rules


class Context:
    """What the rules look up: the measures, metrics and instruments of a results document."""

    def __init__(
        self,
        measures: dict[str, dict[str, Any]],
        metrics: dict[str, dict[str, Any]],
        instruments: dict[str, dict[str, Any]],
        data_year: int,
    ):
        self.measures, self.metrics, self.instruments, self.data_year = measures, metrics, instruments, data_year

    def group(self, m: dict[str, Any]) -> str:
        return self.instruments[m["instrument"]]["compare_group"] if m["instrument"] else ""


def _measures(claim: Claim, ctx: Context) -> list[dict[str, Any]]:
    return [ctx.measures[i] for i in claim["measure_ids"]]


def rule_one_status(claim: Claim, ctx: Context) -> str | None:
    """Achieved, target, projection, enacted policy and proposal never share a ranking or a ratio."""
    if claim["kind"] in ("rank", "pair"):
        statuses = {m["status"] for m in _measures(claim, ctx)}
        if len(statuses) > 1:
            return f"mixes statuses ({', '.join(sorted(statuses))})"
    return None


def rule_one_year(claim: Claim, ctx: Context) -> str | None:
    """Targets, projections and achieved figures compare only for the same year, stated by the source."""
    if claim["kind"] not in ("rank", "pair"):
        return None
    ms = _measures(claim, ctx)
    if ms[0]["status"] not in vocab.DATED_STATUSES:
        return None
    if any(m["year"] is None or m["year_basis"] not in vocab.YEAR_GIVEN for m in ms):
        return "a figure's year is not stated by its source"
    years = {m["year"] for m in ms}
    return f"different years ({', '.join(map(str, sorted(years)))})" if len(years) > 1 else None


def rule_like_for_like(claim: Claim, ctx: Context) -> str | None:
    """One metric, instrument group and period (and one level) per comparison."""
    if claim["kind"] not in ("rank", "pair"):
        return None
    ms = _measures(claim, ctx)
    kinds = {(m["metric"], ctx.group(m), m["period"] or "") for m in ms}
    if len(kinds) > 1:
        return "different metrics, instrument groups or periods"
    levels = {("city" if m["holder"]["is_city"] else "province") for m in ms}
    if claim["basis"]["level"] == "province" and "city" in levels:
        return "a city's figure in a province-level comparison"
    return None


def rule_comparable(claim: Claim, ctx: Context) -> str | None:
    """A figure the data marks as not comparable is never ranked or set against another."""
    if claim["kind"] in ("rank", "pair"):
        bad = [m["measure_id"] for m in _measures(claim, ctx) if not m["comparable"]]
        if bad:
            return f"marked not comparable: {', '.join(bad)}"
    return None


def rule_three_for_rank(claim: Claim, ctx: Context) -> str | None:
    """Rank words only among three or more holders, and every ranking names its base."""
    if claim["kind"] == "rank":
        if claim.get("n", 0) < 3:
            return f"a rank among {claim.get('n', 0)} holders"
        if not claim["basis"].get("level") or not claim.get("n"):
            return "the ranking does not name its base"
    return None


def rule_one_per_holder(claim: Claim, ctx: Context) -> str | None:
    """A holder contributes one figure to a comparison, and is never compared with itself."""
    if claim["kind"] in ("rank", "pair"):
        holders = [m["holder"]["code"] for m in _measures(claim, ctx)]
        if len(set(holders)) != len(holders):
            return "a holder is compared with itself"
    return None


def _interval(m: dict[str, Any], ceiling: bool) -> tuple[float, float]:
    from .compare import interval

    return interval(m["value"], m["value_high"], m["qualifier"], ceiling=ceiling, commitment=m["status"] in ("target", "policy"))


def certain(a: dict[str, Any], b: dict[str, Any], metric: dict[str, Any]) -> str:
    """``stronger``, ``weaker``, ``equal`` or ``open``: the order of a and b the qualifiers make certain."""
    ceiling, lower = metric["ceiling"], metric["lower_is_stronger"]
    alo, ahi = _interval(a, ceiling)
    blo, bhi = _interval(b, ceiling)
    if (alo, ahi) == (blo, bhi) and alo == ahi:
        from .compare import same_figure

        return "equal" if same_figure(a, b) else "open"
    if (ahi < blo) if lower else (alo > bhi):
        return "stronger"
    if (alo > bhi) if lower else (ahi < blo):
        return "weaker"
    return "open"


def rule_certain_order(claim: Claim, ctx: Context) -> str | None:
    """An order is stated only where the qualifiers make it certain (≥ 94 may be less than ≈ 100)."""
    metric = ctx.metrics[_measures(claim, ctx)[0]["metric"]] if claim["kind"] in ("rank", "pair") else None
    if claim["kind"] == "rank":
        assert metric is not None  # a rank's figures share a metric
        mine = ctx.measures[claim["measure_ids"][0]]
        for other_id in claim["compared_with"]:
            if certain(mine, ctx.measures[other_id], metric) == "open":
                return f"the qualifiers leave the order with {other_id} open"
    if claim["kind"] == "pair" and claim.get("relation") in ("stronger", "weaker", "equal"):
        assert metric is not None  # a pair's figures share a metric
        a, b = _measures(claim, ctx)[:2]
        if certain(a, b, metric) != claim["relation"]:
            return "the qualifiers do not make this order certain"
    return None


def rule_exact_ratio(claim: Claim, ctx: Context) -> str | None:
    """ "N times" only between two exact figures (a floor, an estimate or a range has no ratio)."""
    if claim.get("ratio") is None:
        return None
    from .compare import is_exact

    ms = _measures(claim, ctx)[:2]
    inexact = [m["measure_id"] for m in ms if not is_exact(m, ctx.metrics[m["metric"]]["ceiling"])]
    if inexact:
        return f"a ratio of figures that are not exact ({', '.join(inexact)}: ≥, ≤, ≈ or a range)"
    if any(not m["value"] for m in ms):
        return "a ratio with a zero figure"
    if any(m["unit"] == "percent" for m in ms):
        return 'a ratio of two rates (40% is not "2.7 times" 15%: the order is said instead)'
    return None


def rule_lapsed_labelled(claim: Claim, ctx: Context) -> str | None:
    """A target whose year has passed by the data date says so."""
    lapsed = any(m["status"] == "target" and m["year"] is not None and m["year"] < ctx.data_year for m in _measures(claim, ctx))
    if lapsed and not claim.get("lapsed"):
        return "a target whose year has passed is not labelled as such"
    return None


def rule_proposal_not_held(claim: Claim, ctx: Context) -> str | None:
    """A proposal is never an instrument a region has."""
    if claim["kind"] == "holds" and any(m["status"] == "proposal" for m in _measures(claim, ctx)):
        return "a proposal shown as an instrument in place"
    return None


def rule_no_sample_exclusivity(claim: Claim, ctx: Context) -> str | None:
    """No exclusivity from a sample: "of the regions in the sources, only ..."."""
    if claim.get("only") and not claim.get("sample_qualified"):
        return "an exclusivity claim that does not say it holds only among the regions in the sources"
    return None


RULES: dict[str, Callable[[Claim, Context], str | None]] = {
    "one_status": rule_one_status,
    "one_year": rule_one_year,
    "like_for_like": rule_like_for_like,
    "comparable": rule_comparable,
    "three_for_rank": rule_three_for_rank,
    "one_per_holder": rule_one_per_holder,
    "certain_order": rule_certain_order,
    "exact_ratio": rule_exact_ratio,
    "lapsed_labelled": rule_lapsed_labelled,
    "proposal_not_held": rule_proposal_not_held,
    "no_sample_exclusivity": rule_no_sample_exclusivity,
}


def violations(claim: Claim, ctx: Context) -> list[tuple[str, str]]:
    """Every rule the claim breaks, as (rule, why)."""
    return [(name, why) for name, rule in RULES.items() if (why := rule(claim, ctx))]


def first_sound(variants: list[Claim], ctx: Context, dropped: list[dict[str, Any]]) -> Claim | None:
    """The first variant that breaks no rule; the others before it are reported as dropped."""
    for claim in variants:
        broken = violations(claim, ctx)
        if not broken:
            return claim
        dropped.append({"claim": _summary(claim), "rules": [{"rule": r, "why": w} for r, w in broken]})
    return None


def _summary(claim: Claim) -> dict[str, Any]:
    return {
        k: claim[k]
        for k in ("id", "kind", "variant", "measure_ids", "comparison_id", "rank", "n", "relation", "ratio")
        if k in claim
    }


# --------------------------------------------------------------------------- the builder


def _basis(c: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "metric": c["metric"],
        "group": c["group"],
        "period": c["period"],
        "status": c["status"],
        "year": c["year"],
        "level": c["level"],
        "qualifiers": sorted({e["qualifier"] for e in entries}),
        "holders": [e["holder"]["code"] for e in entries],
    }


def _lapsed(entries: list[dict[str, Any]], data_year: int) -> bool:
    return any(e["status"] == "target" and e["year"] is not None and e["year"] < data_year for e in entries)


def comparison_claims(c: dict[str, Any], subject_entry: dict[str, Any] | None, data_year: int) -> list[Claim]:
    """The claims a comparison may support about ``subject_entry`` (or, without a subject, about
    its leader), in order of preference."""
    entries = c["entries"]
    me = subject_entry or entries[0]
    others = [e for e in entries if e is not me]
    lapsed = _lapsed(entries, data_year)
    base = {"comparison_id": c["id"], "section": c["section"], "subject": me["holder"]["code"], "lapsed": lapsed}
    if c["kind"] == "ranked":
        ids = [me["measure_id"], *(e["measure_id"] for e in others)]
        leader = entries[0] if entries[0] is not me else None
        runner = next((e for e in entries if e is not me and e["rank"] and e["rank"] > 1), None) if me["rank"] == 1 else None
        claim = {
            **base,
            "kind": "rank",
            "variant": "rank",
            "measure_ids": ids,
            "rank": me["rank"],
            "n": c["n_regions"],
            "tie": me["tie"],
            "tied_with": [e["measure_id"] for e in others if e["tie"] and e["rank"] == me["rank"]],
            "compared_with": [e["measure_id"] for e in others],
            "leader_measure_id": leader["measure_id"] if leader else None,
            "runner_up_measure_id": runner["measure_id"] if runner else None,
            "last": me["rank"] == max(e["rank"] for e in entries),
            "ratio": None,
            "basis": _basis(c, entries),
        }
        variants = []
        if runner is not None and me["value"] and runner["value"]:
            factor = _factor(me, runner, c["lower_is_stronger"])
            if factor is not None and factor >= WIDE_FACTOR and not me["tie"]:
                with_ratio = {**claim, "variant": "rank+ratio", "ratio": factor}
                variants.append({**with_ratio, "id": claim_id("rank", [me["measure_id"], c["id"]], "ratio")})
        # the id names the figure and its comparison, not every holder in it: a region added
        # to the comparison changes the claim's rank, not which claim it is
        variants.append({**claim, "id": claim_id("rank", [me["measure_id"], c["id"]])})
        return variants
    if c["kind"] == "pair":
        (other,) = others
        ids = [me["measure_id"], other["measure_id"]]
        claim = {
            **base,
            "kind": "pair",
            "measure_ids": ids,
            "n": 2,
            "basis": _basis(c, entries),
            "ratio": None,
            "compared_with": [other["measure_id"]],
        }
        variants = []
        from .compare import certainly_stronger

        stronger = certainly_stronger(me, other, lower_is_stronger=c["lower_is_stronger"], ceiling=c["ceiling"])
        weaker = certainly_stronger(other, me, lower_is_stronger=c["lower_is_stronger"], ceiling=c["ceiling"])
        # the relation is computed naively (by stated value) and checked by the rules
        naive = (
            "stronger"
            if me["value"] != other["value"] and (me["value"] < other["value"]) == c["lower_is_stronger"]
            else ("equal" if me["value"] == other["value"] else "weaker")
        )
        factor = _factor(me, other, c["lower_is_stronger"]) if naive == "stronger" else _factor(other, me, c["lower_is_stronger"])
        if factor is not None and factor >= WIDE_FACTOR:
            variants.append(
                {**claim, "variant": "ratio", "relation": naive, "ratio": factor, "id": claim_id("pair", ids, "ratio")}
            )
        variants.append({**claim, "variant": "order", "relation": naive, "id": claim_id("pair", ids, "order")})
        if not (stronger or weaker):
            variants.append({**claim, "variant": "side by side", "relation": "open", "id": claim_id("pair", ids, "open")})
        return variants
    return []


def _factor(a: dict[str, Any], b: dict[str, Any], lower_is_stronger: bool) -> float | None:
    """How many times a's figure is b's (the stronger over the weaker)."""
    if not a["value"] or not b["value"]:
        return None
    factor = (b["value"] / a["value"]) if lower_is_stronger else (a["value"] / b["value"])
    return factor if math.isfinite(factor) else None


def statement(m: dict[str, Any], data_year: int, *, kind: str = "statement") -> Claim:
    """One figure stated (its sentence comes from its metric's or instrument's pattern)."""
    return {
        "id": claim_id(kind, [m["measure_id"]]),
        "kind": kind,
        "variant": kind,
        "measure_ids": [m["measure_id"]],
        "subject": m["holder"]["code"],
        "section": m["section"],
        "comparison_id": None,
        "lapsed": m["status"] == "target" and m["year"] is not None and m["year"] < data_year,
        "joint": bool(m["holder"].get("joint_with")),
        "ratio": None,
        "basis": {
            "metric": m["metric"],
            "status": m["status"],
            "year": m["year"],
            "year_basis": m["year_basis"],
            "qualifiers": [m["qualifier"]],
            "holders": [m["holder"]["code"]],
        },
    }


def province_claims(results: dict[str, Any], field: Field) -> tuple[list[Claim], list[dict[str, Any]], list[str]]:
    """Every claim of one briefing (leads of comparisons, statements of the province's figures,
    references), the variants dropped and why, and the ids of the key findings."""
    ctx = Context(results["measures"], results["metrics"], results["instruments"], field.data_year)
    claims: list[Claim] = []
    dropped: list[dict[str, Any]] = []
    for c in results["comparisons"]:
        mine = [e for e in c["entries"] if e["holder"]["is_subject"]]
        if not mine or c["kind"] == "alone":
            continue
        said: set[frozenset[str]] = set()
        for e in sorted(mine, key=lambda e: (e["rank"] or 99, e["measure_id"])):
            if c["kind"] == "pair" and frozenset(x["measure_id"] for x in c["entries"]) in said:
                continue  # both of a pair are this province's (two of its cities): one sentence
            if c["kind"] == "ranked" and e["tie"] and any(e["measure_id"] in s for s in said):
                continue  # tied with a figure of this province already said: that sentence names both
            kept = first_sound(comparison_claims(c, e, field.data_year), ctx, dropped)
            if kept:
                claims.append({**kept, "where": "lead"})
                said.add(
                    frozenset(
                        [
                            *(x["measure_id"] for x in c["entries"] if c["kind"] == "pair"),
                            e["measure_id"],
                            *kept.get("tied_with", []),
                        ]
                    )
                )
    for m in sorted(results["measures"].values(), key=lambda m: m["measure_id"]):
        if not m["holder"]["is_subject"] or m["value"] is None:
            continue
        kind = "reference" if results["metrics"][m["metric"]]["kind"] == "reference" else "statement"
        kept = first_sound([statement(m, field.data_year, kind=kind)], ctx, dropped)
        if kept:
            claims.append({**kept, "where": "statement"})
    findings = choose_findings(claims, results)
    return claims, dropped, findings


def salience(claim: Claim, results: dict[str, Any]) -> float:
    """How much a finding tells an analyst: real leads among three or more, exact ratios, the
    largest commitments, per-recipient caps and rates, reference facts; never boilerplate."""
    m = results["measures"][claim["measure_ids"][0]]
    money = m["unit"] == "CNY"
    size = min(1.0, math.log10(max(m["value"] or 1.0, 1.0)) / 12) if money else 0.0
    if m["status"] == "proposal":
        return 0.5
    if claim["kind"] == "rank":
        n: int = claim["n"]
        if claim["rank"] == 1 and not claim["tie"]:
            return 3.4 + 0.05 * n + (0.3 if claim.get("ratio") else 0) + size
        return (2.4 if claim.get("last") else 1.6) + 0.05 * n
    if claim["kind"] == "pair":
        return (2.8 if claim.get("ratio") else 2.2 if claim["relation"] != "open" else 1.2) + size
    if claim["kind"] == "reference":
        return 2.5
    section = m["section"]
    if section == "funds":
        return 3.0 + size
    if section == "vouchers":
        per_recipient = m["metric"] in ("cap_per_recipient", "grant_per_recipient") or m["unit"] == "percent"
        return (2.8 if per_recipient else 2.9) + size
    if section == "compute":
        return 2.3 + (0.2 if m["status"] in ("target", "baseline") else 0)
    return 1.4 + size


def choose_findings(claims: list[Claim], results: dict[str, Any]) -> list[str]:
    """The key findings: the most salient claims, one per comparison and per measure, at most
    ``MAX_FINDINGS``, fewer rather than filler."""
    chosen: list[Claim] = []
    used_measures: set[str] = set()
    used_comparisons: set[str] = set()
    used_kinds: set[tuple[str, str]] = set()  # (metric, instrument) of statements already chosen
    for claim in sorted(claims, key=lambda c: (-salience(c, results), c["id"])):
        if claim["measure_ids"][0] in used_measures or (claim["comparison_id"] and claim["comparison_id"] in used_comparisons):
            continue
        first = results["measures"][claim["measure_ids"][0]]
        kind_of = (first["metric"], first.get("instrument") or "")
        if claim["kind"] in ("statement", "reference") and kind_of in used_kinds:
            continue  # two figures of one kind read alike out of their table (two caps, two totals)
        if sum(1 for c in chosen if c["kind"] == claim["kind"]) >= PER_KIND.get(claim["kind"], 2):
            continue
        if salience(claim, results) < 1.0:
            continue
        if not all(results["measures"][i].get("comparable", True) for i in claim["measure_ids"]):
            continue  # its caveat is the point: the figure stays in its table, beside its remark
        chosen.append(claim)
        used_measures.add(claim["measure_ids"][0])
        used_kinds.add(kind_of)
        if claim["comparison_id"]:
            used_comparisons.add(claim["comparison_id"])
        if len(chosen) == MAX_FINDINGS:
            break
    return [c["id"] for c in chosen]


def field_claims(comparison: dict[str, Any], ctx: Context) -> tuple[Claim | None, list[dict[str, Any]]]:
    """The overview's claim about one comparison (its leader among three or more, or the pair),
    and what was dropped."""
    dropped: list[dict[str, Any]] = []
    kept = first_sound(comparison_claims(comparison, None, ctx.data_year), ctx, dropped)
    return kept, dropped
