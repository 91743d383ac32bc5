"""What changed since the editors' last review.

``briefings review accept`` records what each province's briefing says — its figures (value
as printed in both languages, with measure ids and evidence), its ranks, its key findings
and its sources — in ``review/reviewed.json``. That file is committed with the project: it
is an editorial sign-off, versioned with the data and code it approved (``reports/`` is
generated and not committed; ``data/`` holds only what the sources say). It is sorted and
indented so that a review shows as a small, readable diff.

Every build compares each province with that record; the change report appears in the
briefing (a box near the top, both languages), in the index, and in ``briefings diff``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import UsageError, display_path
from .format import value_text
from .fsutil import atomic_write_text

FORMAT = 1
FIGURE_FIELDS = ("metric", "instrument", "value_reported", "unit_reported", "qualifier", "period", "year", "status")


def snapshot(results: dict[str, Any]) -> dict[str, Any]:
    """What one briefing says, in a form that compares across builds."""
    figures = {}
    for measure_id, m in sorted(results["measures"].items()):
        if not m["holder"]["is_subject"]:
            continue
        figures[measure_id] = {
            **{k: m[k] for k in FIGURE_FIELDS},
            "holder": m["holder"]["code"],
            "en": value_text(m, "en", style="prose") if m["value"] is not None else "",
            "zh": value_text(m, "zh", style="prose") if m["value"] is not None else "",
            "evidence": m["evidence"],
            "source_id": m["source_id"],
        }
    ranks = {}
    for c in results["comparisons"]:
        for e in c["entries"]:
            if e["holder"]["is_subject"] and e.get("rank"):
                ranks[f"{c['key']}|{e['holder']['code']}"] = {"rank": e["rank"], "of": c["n_regions"],
                                                              "measure_id": e["measure_id"], "metric": c["metric"]}
    findings = sorted(results["findings"])
    return {"figures": figures, "ranks": dict(sorted(ranks.items())), "findings": findings,
            "sources": sorted(s["source_id"] for s in results["sources"])}


def _finding(f: dict[str, Any]) -> str:
    parts = [f["kind"].replace("_", " ")]
    if f.get("measure_id"):
        parts.append(f["measure_id"])
    if f.get("rank"):
        parts.append(f"{f['rank']} of {f['n']}")
    if f.get("other_measure_id"):
        parts.append(f"vs {f['other_measure_id']}")
    if "count" in f:
        parts.append(str(f["count"]))
    return " ".join(parts)


@dataclass(frozen=True)
class Baseline:
    date: str
    build_id: str
    provinces: dict[str, dict[str, Any]]


def read_baseline(path: Path) -> Baseline | None:
    """The reviewed record, or None when there is none; a damaged one is a clear error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{display_path(path)} is not a review record: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("provinces"), dict):
        raise UsageError(f"{display_path(path)} is not a review record of this version")
    accepted = data.get("accepted") or {}
    return Baseline(str(accepted.get("date", "")), str(accepted.get("build_id", "")), data["provinces"])


def accept(out_root: Path, path: Path, *, on: str | None = None) -> Baseline:
    """Record the briefings in ``out_root`` as reviewed."""
    from .analysis import read_results
    from .manifest import read_manifest

    manifest = read_manifest(out_root)
    if not manifest.get("provinces"):
        raise UsageError(f"{display_path(out_root)} holds no complete build (no manifest.json): build first")
    provinces = {}
    for slug in sorted(manifest["provinces"]):
        provinces[slug] = snapshot(read_results(out_root / slug))
    baseline = Baseline(on or date.today().isoformat(), manifest["build_id"], provinces)
    record = {"format": FORMAT, "accepted": {"date": baseline.date, "build_id": baseline.build_id}, "provinces": provinces}
    atomic_write_text(path, json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1) + "\n")
    return baseline


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """What changed in one briefing: figures added, removed, changed; ranks moved; findings; sources."""
    if before is None:
        return {"new_province": True, "figures_added": sorted(after["figures"]), "figures_removed": [], "figures_changed": [],
                "ranks_moved": [], "ranks_added": [], "ranks_removed": [], "findings_added": after["findings"],
                "findings_removed": [], "sources_added": after["sources"]}
    old_figures, new_figures = before.get("figures", {}), after["figures"]
    changed = []
    for measure_id in sorted(set(old_figures) & set(new_figures)):
        old, new = old_figures[measure_id], new_figures[measure_id]
        fields = [k for k in (*FIGURE_FIELDS, "holder") if old.get(k) != new.get(k)]
        if fields:
            changed.append({"measure_id": measure_id, "fields": fields, "old_en": old.get("en", ""), "new_en": new["en"],
                            "old_zh": old.get("zh", ""), "new_zh": new["zh"], "evidence": new["evidence"]})
    old_ranks, new_ranks = before.get("ranks", {}), after["ranks"]
    moved = [{"key": k, "metric": new_ranks[k]["metric"], "measure_id": new_ranks[k]["measure_id"],
              "old": f"{old_ranks[k]['rank']}/{old_ranks[k]['of']}", "new": f"{new_ranks[k]['rank']}/{new_ranks[k]['of']}"}
             for k in sorted(set(old_ranks) & set(new_ranks))
             if (old_ranks[k]["rank"], old_ranks[k]["of"]) != (new_ranks[k]["rank"], new_ranks[k]["of"])]
    return {
        "new_province": False,
        "figures_added": sorted(set(new_figures) - set(old_figures)),
        "figures_removed": sorted(set(old_figures) - set(new_figures)),
        "figures_changed": changed,
        "ranks_moved": moved,
        "ranks_added": sorted(set(new_ranks) - set(old_ranks)),
        "ranks_removed": sorted(set(old_ranks) - set(new_ranks)),
        "findings_added": sorted(set(after["findings"]) - set(before.get("findings", []))),
        "findings_removed": sorted(set(before.get("findings", [])) - set(after["findings"])),
        "sources_added": sorted(set(after["sources"]) - set(before.get("sources", []))),
    }


def is_changed(report: dict[str, Any]) -> bool:
    return any(v for k, v in report.items() if k != "new_province") or report.get("new_province", False)


def province_changes(results: dict[str, Any], baseline: Baseline | None) -> dict[str, Any] | None:
    """The change report of one province's results against the baseline, or None (no baseline)."""
    if baseline is None:
        return None
    report = changes(baseline.provinces.get(results["province"]["slug"]), snapshot(results))
    return {**report, "changed": is_changed(report), "review_date": baseline.date, "review_build": baseline.build_id}


def diff(out_root: Path, baseline: Baseline) -> dict[str, Any]:
    """Every province's changes since the review, and the provinces added or removed."""
    from .analysis import read_results
    from .manifest import read_manifest

    current = sorted(read_manifest(out_root).get("provinces", {}))
    if not current:
        raise UsageError(f"{display_path(out_root)} holds no build (no manifest.json): build first")
    provinces = {}
    for slug in current:
        report = province_changes(read_results(out_root / slug), baseline)
        if report and report["changed"]:
            provinces[slug] = report
    removed = sorted(set(baseline.provinces) - set(current))
    return {"review_date": baseline.date, "review_build": baseline.build_id, "changed": sorted(provinces),
            "removed": removed, "provinces": provinces}


def diff_text(report: dict[str, Any]) -> str:
    """The change report for a terminal or a CI log."""
    lines = [f"Changes since the review of {report['review_date']} (build {report['review_build']}):"]
    if not report["changed"] and not report["removed"]:
        return lines[0] + " none."
    for slug in report["changed"]:
        r = report["provinces"][slug]
        lines.append(f"{slug}:" + (" new since the review" if r["new_province"] else ""))
        for c in r["figures_changed"]:
            lines.append(f"  changed {c['measure_id']}: {c['old_en'] or '—'} -> {c['new_en'] or '—'} ({', '.join(c['fields'])})")
            lines.append(f"    evidence: {c['evidence']}")
        lines += [f"  added figure {m}" for m in r["figures_added"]]
        lines += [f"  removed figure {m}" for m in r["figures_removed"]]
        lines += [f"  rank {m['metric']} ({m['measure_id']}): {m['old']} -> {m['new']}" for m in r["ranks_moved"]]
        lines += [f"  new ranking {k.split('|')[0]}" for k in r["ranks_added"]]
        lines += [f"  ranking gone {k.split('|')[0]}" for k in r["ranks_removed"]]
        lines += [f"  finding added: {f}" for f in r["findings_added"]]
        lines += [f"  finding removed: {f}" for f in r["findings_removed"]]
        lines += [f"  source added: {s}" for s in r["sources_added"]]
    lines += [f"{slug}: no longer built" for slug in report["removed"]]
    return "\n".join(lines)
