"""Key findings: three to five facts about a province, chosen by salience.

Candidates, each built on one comparison the rules allow (never a forbidden ranking) and
never two on the same comparison:

- leads: the province (or one of its cities) is first among at least two regions;
  stronger when the margin over the runner-up is wide;
- trails: it is last, well behind the leader (under half the leader's figure);
- ranks: any other place in a ranking;
- commitment: its largest amounts of money in funds, vouchers and grants that no other
  region reports a comparable figure for, by size;
- target / own_figure: its other figures that no other region reports (money first);
- reference: a figure that places it nationally (a share of the national total, a rank);
- only_instrument: an instrument no other region in the sources has;
- city_standout: for a province with cities, the largest amount among its cities' figures
  of one kind, when another of its cities reports the same kind.

Each finding names its measure ids, so every sentence cites its sources.
"""

from __future__ import annotations

import math
from typing import Any

MAX_FINDINGS = 5
MIN_FINDINGS = 3
#: At most this many findings of one kind, so that a briefing tells different things.
PER_KIND = {"commitment": 2, "target": 1, "own_figure": 2, "reference": 2, "only_instrument": 1, "city_standout": 1,
            "leads": 3, "trails": 2, "ranks": 2}
WIDE_MARGIN = 0.5  # the other figure is under half of this one


def _money(c: dict[str, Any]) -> bool:
    return c["unit"] == "CNY"


def _size_score(value: float | None) -> float:
    return min(1.0, math.log10(max(value or 1.0, 1.0)) / 12)


def _best_subject_entry(c: dict[str, Any]) -> dict[str, Any] | None:
    mine = [e for e in c["entries"] if e["holder"]["is_subject"]]
    return min(mine, key=lambda e: (e["rank"] or 99, e["measure_id"])) if mine else None


def ranking_finding(c: dict[str, Any]) -> dict[str, Any] | None:
    e = _best_subject_entry(c)
    if e is None or c["kind"] != "ranked":
        return None
    leader = c["entries"][0]
    base = {"comparison_id": c["id"], "measure_id": e["measure_id"], "rank": e["rank"], "n": c["n_regions"],
            "tie": e["tie"], "uncertain": e["uncertain"], "section": c["section"],
            "lower_is_stronger": c["lower_is_stronger"]}
    if e["rank"] == 1:
        runner = next((o for o in c["entries"] if o["holder"]["code"] != e["holder"]["code"]
                       and not (o["holder"]["is_subject"] and o["rank"] == 1)), None)
        if runner is None:
            return None
        ratio = (runner["value"] / e["value"]) if e["value"] and not c["lower_is_stronger"] else \
            ((e["value"] / runner["value"]) if runner["value"] else None)
        wide = ratio is not None and ratio < WIDE_MARGIN and not e["uncertain"] and not e["tie"]
        score = 3.0 + (1 - ratio if ratio is not None else 0) + (0.3 if _money(c) else 0) + 0.1 * c["n_regions"]
        if e["tie"] or e["uncertain"]:
            score = 2.4  # a shared or uncertain first place says less
        return {**base, "kind": "leads", "other_measure_id": runner["measure_id"], "wide": wide,
                "times": (1 / ratio) if ratio else None, "score": score}
    ratio = e["ratio_to_leader"]
    if c["lower_is_stronger"] and ratio:
        ratio = 1 / ratio
    if e["rank"] == max(o["rank"] for o in c["entries"]) and ratio is not None and ratio < WIDE_MARGIN and not e["uncertain"]:
        return {**base, "kind": "trails", "other_measure_id": leader["measure_id"], "wide": True,
                "times": (1 / ratio) if ratio else None, "score": 2.6 + (0.3 if _money(c) else 0)}
    return {**base, "kind": "ranks", "other_measure_id": leader["measure_id"], "wide": False, "times": None,
            "score": 1.5 + (0.3 if _money(c) else 0) + 0.05 * c["n_regions"]}


def alone_findings(comparisons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Figures no other region reports a comparable figure for: money in funds, vouchers and
    grants (commitments) first, by size; then other money targets; then other figures."""
    found = []
    for c in comparisons:
        if c["kind"] != "alone":
            continue
        e = _best_subject_entry(c)
        if e is None or e["value"] is None:
            continue
        if _money(c) and c["section"] in ("funds", "vouchers"):
            kind, score = "commitment", 2.9 + _size_score(e["value"])
        elif _money(c) and e["status"] == "target":
            kind, score = "target", 2.0 + _size_score(e["value"])
        elif _money(c):  # achieved, planned or projected: "aims for" would misstate it
            kind, score = "own_figure", 2.0 + _size_score(e["value"])
        else:
            kind, score = "own_figure", 1.0
        found.append({"kind": kind, "comparison_id": c["id"], "measure_id": e["measure_id"], "section": c["section"],
                      "score": score})
    return found


def reference_findings(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"kind": "reference", "comparison_id": None, "measure_id": e["measure_id"], "section": "reference",
             "score": 2.5} for e in results["references"]]


def only_instrument_findings(results: dict[str, Any], all_instruments: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Instruments this province (or its cities) has and no other region in the sources does."""
    found = []
    seen = set()
    for m in sorted(results["measures"].values(), key=lambda m: m["measure_id"]):
        instrument = m["instrument"]
        if not instrument or instrument in seen or not m["holder"]["is_subject"]:
            continue
        holders = all_instruments.get(instrument, set())
        if holders and holders <= {results["province"]["code"]}:
            seen.add(instrument)
            found.append({"kind": "only_instrument", "instrument": instrument, "measure_id": m["measure_id"],
                          "comparison_id": None, "section": m["section"], "score": 2.2})
    return found


def city_standout_findings(results: dict[str, Any]) -> list[dict[str, Any]]:
    """For a province with cities: the largest figure of a kind that two of its cities report."""
    found = []
    for c in results["comparisons"]:
        cities = [e for e in c["entries"] + c["also"] if e["holder"]["is_subject"] and e["holder"]["is_city"]]
        names = {e["holder"]["code"] for e in cities}
        if len(names) < 2 or not _money(c) or c["kind"] == "ranked":
            continue  # a ranking already says who leads
        ordered = sorted(cities, key=lambda e: -(e["value"] or 0))
        top, second = ordered[0], next(e for e in ordered if e["holder"]["code"] != ordered[0]["holder"]["code"])
        found.append({"kind": "city_standout", "comparison_id": c["id"], "measure_id": top["measure_id"],
                      "other_measure_id": second["measure_id"], "section": c["section"],
                      "score": 2.7 + _size_score(top["value"])})
    return found


def key_findings(results: dict[str, Any], all_instruments: dict[str, set[str]] | None = None) -> list[dict[str, Any]]:
    """The three to five most salient findings, best first; one per comparison."""
    comparisons = results["comparisons"]
    candidates = [f for c in comparisons if (f := ranking_finding(c))]
    candidates += city_standout_findings(results)
    candidates += alone_findings(comparisons)
    candidates += reference_findings(results)
    if all_instruments is not None:
        candidates += only_instrument_findings(results, all_instruments)
    candidates.sort(key=lambda f: (-f["score"], f["measure_id"]))
    chosen, used = [], set()
    for f in candidates:
        if f["comparison_id"] is not None and f["comparison_id"] in used:
            continue
        if sum(1 for g in chosen if g["kind"] == f["kind"]) >= PER_KIND[f["kind"]]:
            continue
        if f["kind"] == "commitment" and any(g["kind"] == "commitment" and g["section"] == f["section"] for g in chosen):
            continue  # a fund and a voucher tell more than two funds
        if f["kind"] == "only_instrument" and any(g["measure_id"] == f["measure_id"] for g in chosen):
            continue
        used.add(f["comparison_id"])
        chosen.append(f)
        if len(chosen) == MAX_FINDINGS:
            break
    for f in chosen:
        f.pop("score")
    if not chosen and results["counts"]["qualitative"]:
        chosen.append({"kind": "qualitative_only", "count": results["counts"]["qualitative"]})
    if len(chosen) < MIN_FINDINGS and results["not_reported"]:
        chosen.append({"kind": "not_reported", "count": len(results["not_reported"])})
    return chosen
