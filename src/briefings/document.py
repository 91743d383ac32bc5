"""From results.json to one Quarto-markdown document per language (jinja2 templates).

Everything a template prints is prepared here: values formatted for the locale, names in
the document's language, the key-finding sentences, and the citation marker of every
number. Strings that come from the data are escaped for markdown (``md`` filter), so data
can never inject markup or script into the HTML or the PDF.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2

from .format import holder_name, value_text
from .i18n import LANGUAGES, gettext_for, label, translations

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
OTHER_LANGUAGE = {"zh": "en", "en": "zh"}
LANG_TAGS = {"zh": "zh-Hans", "en": "en"}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~^$@&:;\"'=%/])")


def md(text: Any) -> str:
    """Escape a data string for pandoc markdown: every ASCII punctuation mark is backslash
    escaped and line breaks fold to spaces, so the text is always shown literally."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text or "").split()))


def yaml_string(text: Any) -> str:
    """A YAML scalar that is always a plain string (JSON strings are valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # markdown output: data is escaped explicitly with |md
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    env.filters["md"] = md
    env.filters["yaml"] = yaml_string
    return env


class Citations:
    """Numbers each source once, in order of first use; a marker links to its evidence."""

    def __init__(self, results: dict[str, Any]):
        self.measures = results["measures"]
        self.sources = {s["source_id"]: s for s in results["sources"]}
        self.order: list[str] = []
        self.cited: set[str] = set()

    def number(self, source_id: str) -> int:
        if source_id not in self.order:
            self.order.append(source_id)
        return self.order.index(source_id) + 1

    def marker(self, *measure_ids: str) -> str:
        known = [m for m in measure_ids if m in self.measures]
        self.cited.update(known)
        numbers = sorted({self.number(self.measures[m]["source_id"]) for m in known})
        return "".join(f"^[\\[{n}\\]](#src-{n})^" for n in numbers)


def _entry_view(e: dict[str, Any], lang: str, cite: Citations) -> dict[str, Any]:
    return {
        "measure_id": e["measure_id"],
        "name": holder_name(e["holder"], lang),
        "subject": e["holder"]["is_subject"],
        "instrument": label(e["instrument"], lang) if e.get("instrument") else "",
        "value": value_text(e, lang),
        "status": label(e["status"], lang),
        "rank": e.get("rank"),
        "tie": e.get("tie", False),
        "uncertain": e.get("uncertain", False),
        "cite": cite.marker(e["measure_id"]),
    }


#: Rows of a comparison table; beyond them only this province's rows are added (with a note).
MAX_ROWS = 15


def _comparison_view(c: dict[str, Any], lang: str, cite: Citations) -> dict[str, Any]:
    _ = gettext_for(lang)
    title = label(c["metric"], lang)
    if c["family"] in ("voucher", "grant"):
        title = f"{title} · " + (_("vouchers") if c["family"] == "voucher" else _("grants"))
    if c["period"]:
        title += f" ({label(c['period'], lang)})"
    title += " · " + (_("baselines") if c["status_class"] == "baseline" else _("targets and policies"))
    title = title[:1].upper() + title[1:]
    shown = c["entries"][:MAX_ROWS] + [e for e in c["entries"][MAX_ROWS:] if e["holder"]["is_subject"]]
    return {
        "id": c["id"],
        "title": title,
        "n": c["n"],
        "hidden": c["n"] - len(shown),
        "entries": [_entry_view(e, lang, cite) for e in shown],
        "national": [_entry_view(n, lang, cite) for n in c["national"]],
        "lower_is_stronger": c["lower_is_stronger"],
    }


#: Metrics whose name the instrument already says (a fund's size, a grant's amount).
_IMPLIED_METRICS = frozenset({"fund_size", "grant_per_recipient"})


def figure_name(entry: dict[str, Any], lang: str) -> str:
    """What a figure measures: "training voucher (cap per recipient)" / "训力券（单个主体资助上限）"."""
    metric = label(entry["metric"], lang)
    if not entry.get("instrument"):
        return metric
    instrument = label(entry["instrument"], lang)
    if entry["metric"] in _IMPLIED_METRICS:
        return instrument
    return f"{instrument}（{metric}）" if lang == "zh" else f"{instrument} ({metric})"


def index_figures(results: dict[str, Any], limit: int = 3) -> dict[str, list[str]]:
    """Up to ``limit`` key figures per language for the index card: the first findings' figures."""
    figures: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    comparisons = {c["id"]: c for c in results["comparisons"]}
    for f in results["findings"]:
        if "measure_id" not in f or len(figures["en"]) >= limit:
            continue
        e = next(e for e in comparisons[f["comparison_id"]]["entries"] if e["measure_id"] == f["measure_id"])
        for lang in LANGUAGES:
            figures[lang].append(f"{holder_name(e['holder'], lang)} · {figure_name(e, lang)}: {value_text(e, lang)}")
    return figures


def finding_sentence(f: dict[str, Any], results: dict[str, Any], lang: str, cite: Citations) -> str | None:
    """One key-finding sentence, generated from the results (never canned text)."""
    _ = gettext_for(lang)
    province = results["province"]["short_zh" if lang == "zh" else "name_en"]
    if f["kind"] == "qualitative_only":
        return _("The sources name {count} AI measure(s) or priorities for {province} but give no figures for them.").format(
            count=f["count"], province=province)
    if f["kind"] == "not_reported":
        return _("{count} metric(s) that other regions report are not reported in the sources for {province}.").format(
            count=f["count"], province=province)
    comparison = next(c for c in results["comparisons"] if c["id"] == f["comparison_id"])
    entry = next(e for e in comparison["entries"] if e["measure_id"] == f["measure_id"])
    leader = comparison["entries"][0]
    values = {
        "who": md(holder_name(entry["holder"], lang)),
        "what": md(figure_name(entry, lang)),
        "value": md(value_text(entry, lang)),
        "rank": entry["rank"],
        "n": comparison["n"],
        "leader": md(holder_name(leader["holder"], lang)),
        "leader_value": md(value_text(leader, lang)),
    }
    if f["kind"] == "only":
        text = _("{who}: {what}, {value}. No other region reports a comparable figure in the sources.")
    elif f["kind"] == "leads" and entry["tie"]:
        text = _("{who}: {what}, {value}, shares first place among {n} comparable figures in the sources.")
    elif f["kind"] == "leads":
        text = _("{who}: {what}, {value}, ranks first among {n} comparable figures in the sources.")
    else:
        text = _("{who}: {what}, {value}, ranks {rank} of {n} comparable figures; first is {leader} with {leader_value}.")
    sentence = text.format(**values)
    if entry["uncertain"]:
        sentence += " " + _("The qualifiers leave this ordering uncertain.")
    return sentence + " " + cite.marker(entry["measure_id"], leader["measure_id"])


def document_context(results: dict[str, Any], lang: str, *, build_id: str) -> dict[str, Any]:
    """Everything the template prints for one language."""
    _ = gettext_for(lang)
    cite = Citations(results)
    province = results["province"]
    name = province["name_zh"] if lang == "zh" else province["name_en"]
    ranked = [f for f in results["findings"] if f["kind"] != "not_reported"][:4]
    gaps = [f for f in results["findings"] if f["kind"] == "not_reported"]
    picked = [finding_sentence(f, results, lang, cite) for f in ranked + gaps]
    sections = {}
    for section in ("funds", "vouchers", "compute", "other"):
        sections[section] = [_comparison_view(c, lang, cite) for c in results["comparisons"] if c["section"] == section]
    qualitative = [
        {"measure_id": q["measure_id"], "what": label(q["instrument"], lang) if q["instrument"] else _("priority"),
         "status": label(q["status"], lang), "evidence": q["evidence"], "cite": cite.marker(q["measure_id"]),
         "section": q["section"], "category": q["category"]}
        for q in results["qualitative"]
    ]
    not_reported = [
        {"metric": label(n["metric"], lang), "section": label(n["section"], lang),
         "by": ("、" if lang == "zh" else ", ").join(r["name_zh" if lang == "zh" else "name_en"] for r in n["reported_by"])}
        for n in results["not_reported"]
    ]
    figures = {chart: files[lang] for chart, files in results.get("figures", {}).items() if lang in files}
    # sources in order of first citation, each with the evidence of every number cited from it
    sources = []
    for number, source_id in enumerate(cite.order, start=1):
        s = cite.sources[source_id]
        evidence = [
            {"measure_id": m["measure_id"], "value": value_text(m, lang) if m["value"] is not None else "—",
             "region": holder_name(m["holder"], lang), "evidence": m["evidence"]}
            for m in (results["measures"][i] for i in sorted(cite.cited)) if m["source_id"] == source_id
        ]
        sources.append({
            "number": number, "publisher": s["publisher_zh"] if lang == "zh" else s["publisher_en"],
            "title": (s["title_zh"] or s["title_en"]) if lang == "zh" else s["title_en"],
            "date": s["date"], "evidence": evidence,
        })
    other = OTHER_LANGUAGE[lang]
    return {
        "lang": lang,
        "lang_tag": LANG_TAGS[lang],
        "other": other,
        "other_label": "English edition" if other == "en" else "中文版",
        "name": name,
        "province": province,
        "cities": [c["name_zh"] + "市" if lang == "zh" else c["name_en"] for c in province["cities"]],
        "data_as_of": results["data_as_of"],
        "build_id": build_id,
        "counts": results["counts"],
        "has_quantitative": results["has_quantitative"],
        "findings": picked,
        "sections": sections,
        "section_titles": {s: label(s, lang) for s in sections},
        "qualitative": qualitative,
        "not_reported": not_reported,
        "figures": figures,
        "sources": sources,
    }


def render_document(results: dict[str, Any], lang: str, *, build_id: str) -> str:
    """The Quarto-markdown text of one briefing in one language."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    template = environment(lang).get_template("briefing.qmd.j2")
    return template.render(**document_context(results, lang, build_id=build_id))
