"""The editor's proof sheet (``briefings proof``): every claim a briefing prints, beside its
source clauses, in both languages, for sign-off claim by claim.

Per province, ``OUT/proof/<slug>.html`` and ``.pdf``: one row per claim, in the order the
reader meets it (key findings, then the sentence above each comparison; a thin profile's
statements): its id, the Chinese and the English sentence, what it rests on (each measure's
value and unit as reported, the source's qualifier word, status, year and how the year is
known, the verbatim clause, the source with its date and address) and its basis (what it
compares, at which level, with whom), and whether an editor holds it back or rephrased it.
The claims the build dropped as unsound close the sheet, each with the rule that dropped it.
``OUT/proof/proofs.pdf`` holds every province's sheet, one bookmark each.

Built from each province's ``results.json`` alone: no notebook runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError, display_path
from .project import Project

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

PROOF_DIR = "proof"


@dataclass(frozen=True)
class ProofResult:
    folder: Path
    provinces: list[str]
    claims: int


_YEAR_BASIS_WORDS = {"stated": "stated", "period_end": "end of the plan period", "document": "year of the document"}


def _md(text: Any) -> str:
    from .document import md

    return md(text)


def _zh(text: Any) -> str:
    return f'[{_md(text)}]{{lang="zh-Hans"}}' if text else ""


def _measure_line(m: dict[str, Any], results: dict[str, Any]) -> str:
    """One measure a claim rests on: holder, the figure as reported, qualifier word, status,
    year, the verbatim clause and the source."""
    from .dates import display

    source: dict[str, Any] = next((s for s in results["sources"] if s["source_id"] == m["source_id"]), {})
    reported = f"{m['value_reported']} {m['unit_reported']}".strip() if m.get("value_reported") else "—"
    year = (
        f"{m['year']} ({_YEAR_BASIS_WORDS.get(m.get('year_basis') or '', 'year of the document')})"
        if m.get("year")
        else "no year"
    )
    parts = [
        f"`{m['measure_id']}`",
        _md(m["holder"]["name_en"]) + " " + _zh(m["holder"]["name_zh"]),
        f"as reported: {_zh(reported)}" + (f", word {_zh(m['qualifier_word'])}" if m.get("qualifier_word") else ""),
        _md(m["status"]),
        _md(year),
    ]
    clause = f"source clause: {_zh(m['evidence'])}"
    where = " · ".join(
        p
        for p in (
            _md(source.get("issuer_en", "")),
            _md(source.get("publisher_en", "")),
            _md(display(source["date"], "en")) if source.get("date") else "",
        )
        if p
    )
    url = f" <{source['url']}>" if source.get("url") else ""
    note = f"  \n  curator: {_md(m['curator_note'])}" if m.get("curator_note") else ""
    return f"- {' · '.join(parts)}  \n  {clause}  \n  source: {where}{url}{note}"


def _basis_line(claim: dict[str, Any], results: dict[str, Any]) -> str:
    from .titles import metric_label

    basis = claim.get("basis", {})
    metric = basis.get("metric", "")
    label = metric_label(results, metric, "en") if metric in results["metrics"] else metric
    holders = [results["measures"][i]["holder"]["name_en"] for i in claim["measure_ids"] if i in results["measures"]]
    what = [
        label,
        basis.get("status") or "",
        str(basis.get("year")) if basis.get("year") else "",
        f"{basis['level']} level" if basis.get("level") else "",
    ]
    text = "compares " + ", ".join(p for p in what if p)
    if claim["kind"] == "rank":
        text += f"; rank {claim['rank']} of {claim['n']}" + (" (tie)" if claim.get("tie") else "")
    if claim["kind"] == "pair":
        text += f"; relation {claim['relation']}" + (f", ratio {claim['ratio']:.2f}" if claim.get("ratio") else "")
    if len(holders) > 1:
        text += f"; with {', '.join(holders[1:])}"
    return _md(text)


def proof_markdown(results: dict[str, Any], editorial: dict[str, dict[str, Any]] | None = None, *, heading: int = 1) -> str:
    """The proof sheet of one province as pandoc markdown (``heading``: the level of its title)."""
    from .document import Edition, claim_text
    from .review import basis_digest, printed_claims

    editions = {lang: Edition(results, lang, editorial) for lang in ("zh", "en")}
    province = results["province"]
    h = "#" * heading
    lines = [f"{h} {_md(province['name_en'])} {_zh(province['name_zh'])} {{#proof-{province['slug']}}}", ""]
    claims = printed_claims(results)
    lines += [
        _md(f"{len(claims)} claims printed, {len(results['dropped'])} dropped as unsound. Data as of {results['data_as_of']}."),
        "",
    ]
    findings = set(results["findings"])
    for number, claim in enumerate(claims, start=1):
        state = (editorial or {}).get(claim["id"], {}).get("action", "")
        where = "key finding" if claim["id"] in findings else ("profile" if claim.get("where") == "statement" else "comparison")
        flag = {
            "hold": " · HELD BACK (not printed)",
            "rephrase": " · rephrased by an editor",
            "stale": " · an editor's wording for another basis (not printed)",
        }.get(state, "")
        lines += [
            f"{h}# {number}. {_md(where)} · {_md(claim['kind'])}{_md(flag)} {{#claim-{claim['id']}}}",
            "",
            f"`{claim['id']}` · basis `{basis_digest(claim, results)}`",
            "",
            "| 中文 | English |",
            "|:---|:---|",
            f"| {_zh(claim_text(claim, editions['zh']))} | {_md(claim_text(claim, editions['en']))} |",
            "",
        ]
        lines += [_measure_line(results["measures"][i], results) for i in claim["measure_ids"] if i in results["measures"]]
        lines += ["", f"Basis: {_basis_line(claim, results)}", ""]
    if results["dropped"]:
        lines += [f"{h}# Dropped as unsound {{#dropped-{province['slug']}}}", ""]
        for d in results["dropped"]:
            rules = "; ".join(f"{r['rule']}: {r['why']}" for r in d["rules"])
            claim = d["claim"]
            lines.append(
                f"- {_md(claim['kind'])} ({_md(claim.get('variant', ''))}) on "
                f"{', '.join('`' + i + '`' for i in claim['measure_ids'][:4])}"
                f"{' …' if len(claim['measure_ids']) > 4 else ''}: {_md(rules)}"
            )
        lines.append("")
    return "\n".join(lines)


def _front_matter(title: str, slug: str) -> str:
    from .document import yaml_string

    return "\n".join(
        [
            "---",
            f"title: {yaml_string(title)}",
            "lang: en",
            f"province: {yaml_string(slug)}",
            f"running-title: {yaml_string('Proof sheet')}",
            "toc-title: Contents",
            "---",
            "",
        ]
    )


def build_proofs(project: Project, out_root: Path, slugs: tuple[str, ...] = (), *, review: Path | None = None) -> ProofResult:
    """Write ``OUT/proof/<slug>.html|.pdf`` for the provinces built in ``out_root`` (all, or
    ``slugs``) and ``OUT/proof/proofs.pdf`` with them all; returns what was written."""
    from .analysis import read_results
    from .fsutil import atomic_write_text
    from .manifest import check_consistent, read_manifest
    from .render import BuiltinRenderer, RenderError, Settings
    from .review import editorial_state, read_baseline
    from .staging import build_lock, build_running, copy_into, discard, new_staging, prepare_output, publish, remove_leftovers

    project.activate()
    if build_running(out_root):
        raise UsageError(f"a build is writing to {display_path(out_root)}: wait for it to finish, then try again")
    manifest = read_manifest(out_root)
    built = sorted(manifest.get("provinces", {}))
    if not built:
        raise UsageError(f"{display_path(out_root)} holds no build (no manifest.json): build first")
    check_consistent(out_root, manifest)
    unknown = [s for s in slugs if s not in built]
    if unknown:
        raise UsageError(f"not in the build in {display_path(out_root)}: {', '.join(unknown)}")
    chosen = list(slugs) or built
    baseline = read_baseline(review) if review else None
    renderer = BuiltinRenderer(Settings.load(project.quarto_config))
    prepare_output(out_root)
    sheets, total = {}, 0
    with build_lock(out_root):
        # read again under the lock: a build that started after the check above has finished now
        manifest = read_manifest(out_root)
        if sorted(manifest.get("provinces", {})) != built:
            raise UsageError(f"the build in {display_path(out_root)} changed while waiting for it: run briefings proof again")
        check_consistent(out_root, manifest)
        for slug in built:
            results = read_results(out_root / slug)
            sheets[slug] = (results, editorial_state(results, baseline))
        stage = new_staging(out_root, PROOF_DIR)
        try:
            documents = []
            for slug in chosen:
                results, editorial = sheets[slug]
                total += len(results["claims"])
                qmd = stage / f"{slug}.qmd"
                atomic_write_text(
                    qmd,
                    _front_matter(f"Proof sheet · {results['province']['name_en']}", slug)
                    + proof_markdown(results, editorial, heading=2),
                )
                documents.append(qmd)
            combined = stage / "proofs.qmd"
            atomic_write_text(
                combined,
                _front_matter("Proof sheets", "all") + "\n".join(proof_markdown(*sheets[slug], heading=1) for slug in built),
            )
            renderer.render_documents(documents, ("html", "pdf"), data_date=manifest.get("data_as_of", "") or "2000")
            renderer.render_documents([combined], ("pdf",), data_date=manifest.get("data_as_of", "") or "2000")
            previous = out_root / PROOF_DIR
            if previous.is_dir():  # the sheets of provinces not proofed now stay
                keep = [
                    p.name
                    for p in previous.iterdir()
                    if p.is_file()
                    and p.stem.split(".")[0] not in chosen
                    and p.stem.split(".")[0] != "proofs"
                    and p.suffix in (".html", ".pdf", ".qmd")
                ]
                copy_into(previous, keep, stage)
            for leftover in stage.glob("*.typ"):
                leftover.unlink()
            publish(stage, previous)
        except RenderError as exc:
            discard(stage)
            raise RenderError(f"the proof sheets could not be made: {exc}") from None
        except BaseException:
            discard(stage)
            raise
        finally:
            remove_leftovers(out_root)
    return ProofResult(out_root / PROOF_DIR, chosen, total)
