"""The editors' review record: sign-off claim by claim, held-back and rephrased claims, and
what changed since.

``briefings review accept`` records, per province, every claim its briefing prints — its
id, its sentence in both languages, the digest of its basis (the measures, their values,
status and year, the comparison and the rank) — and its figures and sources, in
``review/reviewed.json``. That file is committed with the project: it is an editorial
sign-off, versioned with the data and code it approved. It is sorted and indented, so a
review is a small diff, and it is validated against its schema on every read: a record is a
file the tool reads back, so a damaged or hand-edited one is a clear error, never a
traceback, and every string from it is printed as data.

An editor may hold a claim back (``review hold``: it is not printed until released) or
rephrase it (``review rephrase``: the build prints the editor's words, escaped, instead of the
generated sentence, while the claim's basis is the one the wording was written for; when the
basis changes the generated sentence is printed again and the change is flagged).

Every build compares each province with the record (``province_changes``), once, in the
worker that renders it; the briefing's box, the index, ``briefings diff`` and the review pack
all read that one report (``OUT/<slug>/changes.json``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .errors import UsageError, display_path
from .format import value_text
from .fsutil import atomic_write_text

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

FORMAT = 2
CHANGES_FILE = "changes.json"
FIGURE_FIELDS = (
    "metric",
    "instrument",
    "value_reported",
    "unit_reported",
    "qualifier",
    "qualifier_word",
    "period",
    "year",
    "year_basis",
    "status",
)
ACTIONS = ("hold", "rephrase")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_SLUG = re.compile(r"^[a-z][a-z0-9-]*\Z")
_CLAIM_ID = re.compile(r"^[a-z]+-[a-z0-9-]+-[0-9]{3}-[0-9a-f]{10}\Z")
MAX_TEXT = 2000


# --------------------------------------------------------------------------- the record's schema


class RecordError(UsageError):
    """The review record is not one this version writes."""


def _fail(path: Path, where: str, what: str) -> RecordError:
    return RecordError(f"{display_path(path)} is not a valid review record: {where}: {what}")


def _text(value: Any, path: Path, where: str, *, blank: bool = True) -> str:
    if not isinstance(value, str) or (not blank and not value) or len(value) > MAX_TEXT:
        raise _fail(path, where, f"expected a string of at most {MAX_TEXT} characters")
    return value


def real_date(value: Any, path: Path | None, where: str) -> str:
    """A calendar date written YYYY-MM-DD (2025-99-99 is refused)."""
    text = value if isinstance(value, str) else ""
    try:
        if not _DATE.match(text):
            raise ValueError
        date.fromisoformat(text)
    except ValueError:
        message = f"{value!r} is not a date of the calendar written YYYY-MM-DD"
        raise (_fail(path, where, message) if path else UsageError(f"{where}: {message}")) from None
    return text


def _object(value: Any, path: Path, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, where, f"expected an object, found {type(value).__name__}")
    return value


def _claim_entry(value: Any, path: Path, where: str) -> dict[str, Any]:
    entry = _object(value, path, where)
    out: dict[str, str | list[str]] = {k: _text(entry.get(k, ""), path, f"{where}.{k}") for k in ("kind", "zh", "en", "basis")}
    ids = entry.get("measure_ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) and len(i) < 100 for i in ids):
        raise _fail(path, f"{where}.measure_ids", "expected a list of measure ids")
    out["measure_ids"] = ids
    return out


def _province(value: Any, path: Path, where: str) -> dict[str, Any]:
    entry = _object(value, path, where)
    claims = _object(entry.get("claims", {}), path, f"{where}.claims")
    for claim_id in claims:
        if not _CLAIM_ID.match(claim_id):
            raise _fail(path, f"{where}.claims", f"{claim_id!r} is not a claim id")
    figures = _object(entry.get("figures", {}), path, f"{where}.figures")
    for measure_id, figure in figures.items():
        _object(figure, path, f"{where}.figures.{measure_id}")
        for k, v in figure.items():
            if not isinstance(v, (str, int, type(None))):
                raise _fail(path, f"{where}.figures.{measure_id}.{k}", "expected a string, a number or null")
    sources = entry.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise _fail(path, f"{where}.sources", "expected a list of source ids")
    accepted = _object(entry.get("accepted", {}), path, f"{where}.accepted")
    return {
        "accepted": {
            "date": real_date(accepted.get("date", ""), path, f"{where}.accepted.date"),
            "build_id": _text(accepted.get("build_id", ""), path, f"{where}.accepted.build_id"),
        },
        "claims": {k: _claim_entry(v, path, f"{where}.claims.{k}") for k, v in sorted(claims.items())},
        "figures": figures,
        "sources": sources,
    }


def _editorial(value: Any, path: Path, where: str) -> dict[str, Any]:
    entry = _object(value, path, where)
    action = entry.get("action")
    if action not in ACTIONS:
        raise _fail(path, f"{where}.action", f"expected one of {', '.join(ACTIONS)}")
    province = entry.get("province")
    if not isinstance(province, str) or not _SLUG.match(province):
        raise _fail(path, f"{where}.province", "expected a province slug")
    out = {
        "action": action,
        "province": province,
        "date": real_date(entry.get("date", ""), path, f"{where}.date"),
        "basis": _text(entry.get("basis", ""), path, f"{where}.basis"),
        "note": _text(entry.get("note", ""), path, f"{where}.note"),
    }
    if action == "rephrase":
        out["zh"] = _text(entry.get("zh", ""), path, f"{where}.zh")
        out["en"] = _text(entry.get("en", ""), path, f"{where}.en")
    return out


@dataclass(frozen=True)
class Baseline:
    """The validated review record."""

    date: str
    build_id: str
    provinces: dict[str, dict[str, Any]]
    editorial: dict[str, dict[str, Any]] = field(default_factory=dict)


def validate_record(data: Any, path: Path) -> Baseline:
    """The record as data of this version; ``RecordError`` naming what is wrong and where."""
    record = _object(data, path, "the file")
    if record.get("format") != FORMAT:
        raise _fail(path, "format", f"expected {FORMAT} (written by this version of briefings review accept)")
    accepted = _object(record.get("accepted", {}), path, "accepted")
    provinces = _object(record.get("provinces", {}), path, "provinces")
    for slug in provinces:
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise _fail(path, "provinces", f"{slug!r} is not a province slug")
    editorial = _object(record.get("editorial", {}), path, "editorial")
    for claim_id in editorial:
        if not _CLAIM_ID.match(claim_id):
            raise _fail(path, "editorial", f"{claim_id!r} is not a claim id")
    return Baseline(
        real_date(accepted.get("date", ""), path, "accepted.date") if accepted.get("date") else "",
        _text(accepted.get("build_id", ""), path, "accepted.build_id"),
        {slug: _province(v, path, f"provinces.{slug}") for slug, v in sorted(provinces.items())},
        {k: _editorial(v, path, f"editorial.{k}") for k, v in sorted(editorial.items())},
    )


def read_baseline(path: Path) -> Baseline | None:
    """The review record, or None when there is none; a damaged one is a clear error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"cannot read the review record {display_path(path)}: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _fail(path, "the file", f"not JSON ({exc})") from None
    except RecursionError:  # nesting no review record has (a hostile or broken file)
        raise _fail(path, "the file", "nested too deeply to be a review record") from None
    try:
        return validate_record(data, path)
    except RecursionError:
        raise _fail(path, "the file", "nested too deeply to be a review record") from None


def record_text(baseline: Baseline) -> str:
    record = {
        "format": FORMAT,
        "accepted": {"date": baseline.date, "build_id": baseline.build_id},
        "provinces": baseline.provinces,
        "editorial": baseline.editorial,
    }
    return json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def write_record(path: Path, baseline: Baseline) -> None:
    from .staging import describe_os_error

    try:
        atomic_write_text(path, record_text(baseline))
    except OSError as exc:
        raise UsageError(f"cannot write the review record: {describe_os_error(exc, Path(exc.filename or path))}") from None


# --------------------------------------------------------------------------- what a briefing says


def basis_digest(claim: dict[str, Any], results: dict[str, Any]) -> str:
    """What a claim rests on: its kind and basis, rank and relation, and each measure's figure,
    status and year. A rephrasing is valid while this holds."""
    measures = [
        {
            k: results["measures"][i].get(k)
            for k in (
                "value",
                "value_high",
                "unit",
                "qualifier",
                "qualifier_word",
                "period",
                "year",
                "year_basis",
                "status",
                "metric",
                "instrument",
            )
        }
        for i in claim["measure_ids"]
        if i in results["measures"]
    ]
    payload = {k: claim.get(k) for k in ("kind", "basis", "rank", "n", "relation", "ratio", "tie", "lapsed", "measure_ids")}
    payload["measures"] = measures
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def printed_claims(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The claims a briefing prints, in the order its reader meets them: the key findings,
    then the sentence above each comparison (a thin profile: the statements too)."""
    by_id = {c["id"]: c for c in results["claims"]}
    order = [by_id[i] for i in results["findings"] if i in by_id]
    comparisons = [c["id"] for c in results["comparisons"]]
    leads = sorted(
        (c for c in results["claims"] if c.get("where") == "lead"),
        key=lambda c: (comparisons.index(c["comparison_id"]) if c["comparison_id"] in comparisons else 0, c["id"]),
    )
    order += [c for c in leads if c["id"] not in results["findings"]]
    if results.get("profile") == "thin":
        order += [c for c in results["claims"] if c["kind"] in ("statement", "reference") and c["id"] not in results["findings"]]
    return order


def snapshot(results: dict[str, Any]) -> dict[str, Any]:
    """What one briefing says, in a form that compares across builds: its claims (sentences and
    basis), its figures, its sources."""
    from .wording import Words

    words = {lang: Words(results, lang) for lang in ("zh", "en")}
    claims = {}
    for claim in printed_claims(results):
        claims[claim["id"]] = {
            "kind": claim["kind"],
            "measure_ids": claim["measure_ids"],
            "basis": basis_digest(claim, results),
            "zh": words["zh"].sentence(claim),
            "en": words["en"].sentence(claim),
        }
    figures = {}
    for measure_id, m in sorted(results["measures"].items()):
        if not m["holder"]["is_subject"]:
            continue
        figures[measure_id] = {
            **{k: m.get(k) for k in FIGURE_FIELDS},
            "holder": m["holder"]["code"],
            "en": value_text(m, "en", style="prose") if m["value"] is not None else "",
            "zh": value_text(m, "zh", style="prose") if m["value"] is not None else "",
            "evidence": m["evidence"],
            "source_id": m["source_id"],
        }
    return {
        "claims": dict(sorted(claims.items())),
        "figures": figures,
        "sources": sorted({s["source_id"] for s in results["sources"]}),
    }


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """What changed in one briefing since sign-off, in claims (new, gone, changed in value,
    rank, basis or wording, with the old and new sentence) and in figures and sources."""
    if before is None:
        return {
            "new_province": True,
            "claims_added": sorted(after["claims"]),
            "claims_removed": [],
            "claims_changed": [],
            "figures_added": sorted(after["figures"]),
            "figures_removed": [],
            "figures_changed": [],
            "sources_added": after["sources"],
            "old_claims": {},
        }
    old_claims, new_claims = before.get("claims", {}), after["claims"]
    changed = []
    for claim_id in sorted(set(old_claims) & set(new_claims)):
        old, new = old_claims[claim_id], new_claims[claim_id]
        what = [w for w, k in (("basis", "basis"), ("wording", "en"), ("wording", "zh")) if old.get(k) != new.get(k)]
        if what:
            changed.append(
                {
                    "id": claim_id,
                    "what": sorted(set(what)),
                    "old_en": old.get("en", ""),
                    "new_en": new["en"],
                    "old_zh": old.get("zh", ""),
                    "new_zh": new["zh"],
                }
            )
    old_figures, new_figures = before.get("figures", {}), after["figures"]
    figures_changed = []
    for measure_id in sorted(set(old_figures) & set(new_figures)):
        old, new = old_figures[measure_id], new_figures[measure_id]
        fields = [k for k in (*FIGURE_FIELDS, "holder") if old.get(k) != new.get(k)]
        if fields:
            figures_changed.append(
                {
                    "measure_id": measure_id,
                    "fields": fields,
                    "old_en": old.get("en", ""),
                    "new_en": new["en"],
                    "old_zh": old.get("zh", ""),
                    "new_zh": new["zh"],
                    "evidence": new["evidence"],
                }
            )
    return {
        "new_province": False,
        "claims_added": sorted(set(new_claims) - set(old_claims)),
        "claims_removed": sorted(set(old_claims) - set(new_claims)),
        "claims_changed": changed,
        "old_claims": {
            k: {"en": old_claims[k].get("en", ""), "zh": old_claims[k].get("zh", "")}
            for k in sorted(set(old_claims) - set(new_claims))
        },
        "figures_added": sorted(set(new_figures) - set(old_figures)),
        "figures_removed": sorted(set(old_figures) - set(new_figures)),
        "figures_changed": figures_changed,
        "sources_added": sorted(set(after["sources"]) - set(before.get("sources", []))),
    }


def is_changed(report: dict[str, Any]) -> bool:
    return report.get("new_province", False) or any(v for k, v in report.items() if k not in ("new_province", "old_claims"))


def editorial_state(results: dict[str, Any], baseline: Baseline | None) -> dict[str, dict[str, Any]]:
    """Per claim of this province: held back, rephrased (the editor's words, valid for the
    claim's current basis) or a stale rephrasing (its basis changed: flagged)."""
    if baseline is None:
        return {}
    slug = results["province"]["slug"]
    by_id = {c["id"]: c for c in results["claims"]}
    state = {}
    for claim_id, entry in baseline.editorial.items():
        if entry["province"] != slug or claim_id not in by_id:
            continue
        current = basis_digest(by_id[claim_id], results)
        if entry["action"] == "hold":
            state[claim_id] = {"action": "hold"}
        elif entry["basis"] == current:
            state[claim_id] = {"action": "rephrase", "zh": entry["zh"], "en": entry["en"]}
        else:
            state[claim_id] = {"action": "stale", "zh": entry["zh"], "en": entry["en"]}
    return state


def province_changes(results: dict[str, Any], baseline: Baseline | None) -> dict[str, Any] | None:
    """The change report of one province's results against the baseline, or None (no baseline)."""
    if baseline is None:
        return None
    after = snapshot(results)
    report = changes(baseline.provinces.get(results["province"]["slug"]), after)
    state = editorial_state(results, baseline)
    report["stale_rephrasings"] = sorted(k for k, v in state.items() if v["action"] == "stale")
    report["new_sentences"] = {
        k: {"en": after["claims"][k]["en"], "zh": after["claims"][k]["zh"]}
        for k in report["claims_added"]
        if k in after["claims"]
    }
    return {**report, "changed": is_changed(report), "review_date": baseline.date, "review_build": baseline.build_id}


# --------------------------------------------------------------------------- the commands


def _built(out_root: Path) -> dict[str, Any]:
    """The build in ``out_root``, when no build is writing to it and its outputs agree with
    its manifest (a clear error otherwise)."""
    from .manifest import check_consistent, read_manifest
    from .staging import build_running

    if build_running(out_root):
        raise UsageError(f"a build is writing to {display_path(out_root)}: wait for it to finish, then try again")
    manifest = read_manifest(out_root)
    if not manifest.get("provinces"):
        raise UsageError(f"{display_path(out_root)} holds no complete build (no manifest.json): build first")
    check_consistent(out_root, manifest)
    return manifest


def accept(out_root: Path, path: Path, *, on: str | None = None, provinces: tuple[str, ...] = ()) -> Baseline:
    """Sign the briefings in ``out_root`` off (all, or ``provinces``): their claims, figures
    and sources, recorded in ``path``. A province whose latest build failed is refused."""
    from .analysis import read_results
    from .manifest import failed_provinces

    manifest = _built(out_root)
    when = real_date(on, None, "--date") if on else date.today().isoformat()
    chosen = list(provinces) or sorted(manifest["provinces"])
    unknown = [s for s in chosen if s not in manifest["provinces"]]
    if unknown:
        raise UsageError(f"not in the build in {display_path(out_root)}: {', '.join(unknown)}")
    failed = {s: e for s, e in failed_provinces(manifest).items() if s in chosen}
    if failed:
        raise UsageError(
            f"the latest build of {', '.join(sorted(failed))} failed, so {display_path(out_root)} holds its previous "
            "briefing: fix and rebuild before signing it off"
        )
    previous = read_baseline(path) or Baseline("", "", {}, {})
    signed = dict(previous.provinces)
    for slug in chosen:
        signed[slug] = {"accepted": {"date": when, "build_id": manifest["build_id"]}, **snapshot(read_results(out_root / slug))}
    if not provinces:
        signed = {s: signed[s] for s in sorted(manifest["provinces"])}  # a province no longer built leaves the record
    baseline = Baseline(
        when if not provinces else (previous.date or when),
        manifest["build_id"] if not provinces else (previous.build_id or manifest["build_id"]),
        dict(sorted(signed.items())),
        previous.editorial,
    )
    write_record(path, baseline)
    return baseline


def find_claim(out_root: Path, claim_id: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(province, claim, results) of a claim in the build in ``out_root``."""
    from .analysis import read_results

    manifest = _built(out_root)
    for slug in sorted(manifest["provinces"]):
        results = read_results(out_root / slug)
        for claim in results["claims"]:
            if claim["id"] == claim_id:
                return slug, claim, results
    raise UsageError(f"no claim {claim_id!r} in the build in {display_path(out_root)} (see the proof sheets: briefings proof)")


def set_editorial(
    out_root: Path,
    path: Path,
    claim_id: str,
    action: str | None,
    *,
    zh: str = "",
    en: str = "",
    note: str = "",
    on: str | None = None,
) -> str:
    """Hold a claim back, rephrase it, or (``action`` None) release it; returns its province."""
    slug, claim, results = find_claim(out_root, claim_id)
    baseline = read_baseline(path) or Baseline("", "", {}, {})
    editorial = dict(baseline.editorial)
    if action is None:
        if claim_id not in editorial:
            raise UsageError(f"claim {claim_id} is neither held back nor rephrased")
        editorial.pop(claim_id)
    else:
        if action == "rephrase" and not (zh.strip() or en.strip()):
            raise UsageError("give the editor's wording with --zh and/or --en")
        entry = {
            "action": action,
            "province": slug,
            "basis": basis_digest(claim, results),
            "note": note,
            "date": real_date(on, None, "--date") if on else date.today().isoformat(),
        }
        if action == "rephrase":
            from .wording import Words

            entry["zh"] = zh.strip() or Words(results, "zh").sentence(claim)
            entry["en"] = en.strip() or Words(results, "en").sentence(claim)
            for lang in ("zh", "en"):
                if len(entry[lang]) > MAX_TEXT:
                    raise UsageError(f"--{lang} is longer than {MAX_TEXT} characters")
        editorial[claim_id] = entry
    write_record(path, Baseline(baseline.date, baseline.build_id, baseline.provinces, dict(sorted(editorial.items()))))
    return slug


def read_changes(folder: Path) -> dict[str, Any] | None:
    """The change report the build wrote beside a province's briefing, or None."""
    try:
        report = json.loads((folder / CHANGES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return report if isinstance(report, dict) and isinstance(report.get("changed"), bool) else None


def diff(out_root: Path, baseline: Baseline) -> dict[str, Any]:
    """Every province's changes since the review, and the provinces added or removed (from the
    build's own change reports when they are of this record, else computed)."""
    from .analysis import read_results
    from .manifest import failed_provinces

    manifest = _built(out_root)
    current = sorted(manifest["provinces"])
    # a province whose latest build failed shows its earlier briefing: what the data now say
    # about it is unknown, so it is reported (and fails the CI gate), never "unchanged"
    failed = failed_provinces(manifest)
    provinces = {}
    for slug in current:
        report = province_changes(read_results(out_root / slug), baseline)
        if report and report["changed"]:
            provinces[slug] = report
    removed = sorted(set(baseline.provinces) - set(current))
    return {
        "review_date": baseline.date,
        "review_build": baseline.build_id,
        "changed": sorted(provinces),
        "removed": removed,
        "failed": {slug: failed[slug] for slug in sorted(failed)},
        "provinces": provinces,
    }


def diff_text(report: dict[str, Any]) -> str:
    """The change report for a terminal or a CI log: claims first (old and new sentence)."""
    lines = [f"Changes since the review of {report['review_date']} (build {report['review_build']}):"]
    if not report["changed"] and not report["removed"] and not report.get("failed"):
        return lines[0] + " none."
    for slug in report["changed"]:
        r = report["provinces"][slug]
        lines.append(f"{slug}:" + (" new since the review" if r["new_province"] else ""))
        for c in r["claims_changed"]:
            lines.append(f"  claim {c['id']} changed ({', '.join(c['what'])}):")
            lines.append(f"    was: {c['old_en']}")
            lines.append(f"    now: {c['new_en']}")
        for claim_id in r["claims_added"]:
            lines.append(f"  new claim {claim_id}: {r.get('new_sentences', {}).get(claim_id, {}).get('en', '')}")
        for claim_id in r["claims_removed"]:
            lines.append(f"  claim gone {claim_id}: {r.get('old_claims', {}).get(claim_id, {}).get('en', '')}")
        for claim_id in r.get("stale_rephrasings", []):
            lines.append(f"  an editor's wording of {claim_id} was written for another basis: review it")
        for c in r["figures_changed"]:
            lines.append(f"  changed {c['measure_id']}: {c['old_en'] or '—'} -> {c['new_en'] or '—'} ({', '.join(c['fields'])})")
            lines.append(f"    evidence: {c['evidence']}")
        lines += [f"  added figure {m}" for m in r["figures_added"]]
        lines += [f"  removed figure {m}" for m in r["figures_removed"]]
        lines += [f"  source added: {s}" for s in r["sources_added"]]
    lines += [f"{slug}: no longer built" for slug in report["removed"]]
    lines += [
        f"{slug}: the latest build failed, so the published briefing is an earlier one ({' '.join(why.split())[:200]})"
        for slug, why in report.get("failed", {}).items()
    ]
    # a value holding a line break (in the data or the record) never prints as a line of its own
    return "\n".join(line.replace("\r", "\\r").replace("\n", "\\n") for line in lines)
