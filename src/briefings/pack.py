"""The review pack: one PDF per language with every briefing (``briefings pack``).

Built from the same sources as the single briefings, not by gluing their PDFs together:
each province's ``.qmd`` is written again as a Typst body (its identifiers prefixed with the
province, so links stay inside it), with the same style, under a cover (data as of, build,
counts), a table of contents, one level-1 heading per province (so the PDF has one bookmark
per province and per section), a running header naming the province, and page numbers
that are the PDF's page labels, so "p. 37" means the same page to every editor. Provinces
changed since the editors' review are marked (or come first, ``--changed-first``).
Deterministic: the timestamp comes from the data.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError, display_path
from .fsutil import atomic_write_bytes
from .project import Project
from .render import BuiltinRenderer, RenderError, Settings
from .staging import build_lock, discard, new_staging, prepare_output, remove_leftovers

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

_LENGTH = re.compile(r"^\s*([\d.]+)\s*(cm|mm|pt|in)\s*$")
_PT = {"pt": 1.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0}


def points(length: str) -> float:
    m = _LENGTH.match(str(length))
    if not m:
        raise UsageError(f"_quarto.yml: {length!r} is not a length such as 2cm or 10pt")
    return round(float(m.group(1)) * _PT[m.group(2)], 3)


@dataclass(frozen=True)
class PackResult:
    pdf: Path
    provinces: int
    changed: int


def build_pack(
    project: Project,
    out_root: Path,
    lang: str,
    *,
    changed_first: bool = False,
    review: Path | None = None,
    renderer: BuiltinRenderer | None = None,
) -> PackResult:
    """Write ``OUT/pack.<lang>.pdf`` from the briefings built in ``OUT``."""
    from .analysis import read_results
    from .dates import display
    from .format import cjk_spacing
    from .i18n import gettext_for, ngettext_for
    from .manifest import check_consistent, outputs_intact, read_manifest
    from .review import province_changes, read_baseline, read_changes
    from .staging import build_running

    if build_running(out_root):
        raise UsageError(f"a build is writing to {display_path(out_root)}: wait for it to finish, then make the pack")
    manifest = read_manifest(out_root)
    slugs = sorted(manifest.get("provinces", {}))
    if not slugs:
        raise UsageError(f"{display_path(out_root)} holds no build (no manifest.json): build first")
    check_consistent(out_root, manifest)
    failed = [s for s in slugs if manifest["provinces"][s].get("failed")]
    if failed:
        raise UsageError(
            f"the last build of {', '.join(failed)} failed, so {display_path(out_root)} holds an earlier briefing of it: "
            "fix the failure and build again before making the pack"
        )
    # the documents the pack is typeset from are the ones the build made, unchanged
    edited = [
        s
        for s in slugs
        if not outputs_intact(
            out_root, {n: d for n, d in manifest["provinces"][s].get("render_outputs", {}).items() if n.endswith(f".{lang}.qmd")}
        )
    ]
    if edited:
        raise UsageError(
            f"{', '.join(edited)}: briefing.{lang}.qmd does not match manifest.json (changed by hand?): run briefings build first"
        )
    missing = [s for s in slugs if not (out_root / s / f"briefing.{lang}.qmd").is_file()]
    if missing:
        raise UsageError(f"no {lang} edition for {', '.join(missing)}: build with --lang {lang} first")
    _ = gettext_for(lang)
    project.activate()
    renderer = renderer or BuiltinRenderer(Settings.load(project.quarto_config))
    baseline = read_baseline(review) if review else None
    provinces = []
    for slug in slugs:
        results = read_results(out_root / slug)
        report = (read_changes(out_root / slug) or province_changes(results, baseline)) if baseline else None
        changed = bool(report and report["changed"])
        provinces.append(
            {
                "slug": slug,
                "name": results["province"]["name_zh" if lang == "zh" else "name_en"],
                "changed": changed,
                "results": results,
                "summary": _("Changed since the review of %(date)s: see the box below.") % {"date": baseline.date}
                if changed and baseline
                else None,
            }
        )
    if changed_first:
        provinces.sort(key=lambda p: (not p["changed"], p["slug"]))
    data_as_of = manifest.get("data_as_of", "")
    ngettext = ngettext_for(lang)
    cover = [
        _("Data as of %(date)s · build %(build)s")
        % {"date": display(data_as_of, lang) if data_as_of else "", "build": manifest.get("build_id", "")},
        ngettext("%(num)s briefing", "%(num)s briefings", len(provinces)) % {"num": len(provinces)},
    ]
    if lang == "zh":
        cover = [cjk_spacing(line) for line in cover]
    if baseline:
        n_changed = sum(p["changed"] for p in provinces)
        cover.append(
            ngettext("%(num)s changed since the review of %(date)s", "%(num)s changed since the review of %(date)s", n_changed)
            % {"num": n_changed, "date": baseline.date}
        )
    settings = renderer.settings.typst
    margin = settings.get("margin") or {}
    pack = {
        "title": _("AI policy briefings: review pack"),
        "subtitle": _("Every province's briefing, in one document"),
        "lang": "zh" if lang == "zh" else "en",
        "contents": _("Contents"),
        "running_title": _("AI policy briefing"),
        "changed_mark": _("changed"),
        "cover": cover,
        "author": _("Provincial AI-policy briefings"),
        "keywords": [_("artificial intelligence"), _("AI policy"), _("China"), _("provincial AI policy")],
        "settings": {
            "papersize": settings.get("papersize", "a4"),
            "margin_x_pt": points(margin.get("x", "2cm")),
            "margin_y_pt": points(margin.get("y", "2.2cm")),
            "fontsize_pt": points(settings.get("fontsize", "10pt")),
            "mainfont": settings.get("mainfont", "Noto Serif CJK SC"),
            "sansfont": settings.get("sansfont", "Noto Sans CJK SC"),
        },
        "provinces": [
            {
                "slug": p["slug"],
                "name": p["name"],
                "changed": p["changed"],
                "summary": p["summary"],
                "body": f"provinces/{p['slug']}/body.typ",
            }
            for p in provinces
        ],
    }
    prepare_output(out_root)
    with build_lock(out_root):
        stage = new_staging(out_root, "pack")
        try:
            for name in ("pack.typ", "typst-template.typ"):
                shutil.copy(project.templates / "typst" / name, stage / name)
            (stage / "pack.json").write_text(json.dumps(pack, ensure_ascii=False, indent=1), encoding="utf-8")
            documents = []
            for p in provinces:
                folder = stage / "provinces" / p["slug"]
                folder.mkdir(parents=True)
                for figure in (out_root / p["slug"]).glob(f"fig-*.{lang}.svg"):
                    shutil.copy(figure, folder / figure.name)
                documents.append((out_root / p["slug"] / f"briefing.{lang}.qmd", folder / "body.typ", f"{p['slug']}-"))
            renderer.typst_bodies(documents)
            pdf = out_root / f"pack.{lang}.pdf"
            atomic_write_bytes(pdf, renderer.compile_typst(stage / "pack.typ", data_as_of or "2000"))
        except RenderError as exc:
            raise RenderError(f"the {lang} review pack could not be made: {exc}") from None
        finally:
            discard(stage)
            remove_leftovers(out_root)
    return PackResult(pdf, len(provinces), sum(p["changed"] for p in provinces))


def pack_languages(out_root: Path) -> list[str]:
    """The languages every built province has an edition in."""
    found = {q.name.split(".")[1] for q in out_root.glob("*/briefing.*.qmd")}  # the overview's are overview.*.qmd
    return sorted(found)
