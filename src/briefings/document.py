"""From results.json to one Quarto-markdown document per language (jinja2 templates).

Everything a template prints is prepared here: figures formatted for the locale (symbols
in tables, words in sentences), names and labels in the document's language (labels of
metrics and instruments come from the data), the key-finding sentences, caveats as
lettered remarks, and the citation marker of every figure. Strings from the data are
escaped for markdown (``md``), so data can never inject markup; runs in the other
language are marked (``lang="zh-Hans"`` in the English edition, ``lang="en"`` in the
Chinese one) so browsers and Typst set them right.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from .dates import display
from .format import cjk_spacing, holder_name, ordinal, value_text
from .i18n import LANGUAGES, gettext_for, label, ngettext_for, translations
from .paths import TEMPLATES
from .titles import comparison_title, instrument_label, metric_label, shown_entries
from .vocab import SECTIONS

OTHER_LANGUAGE = {"zh": "en", "en": "zh"}
LANG_TAGS = {"zh": "zh-Hans", "en": "en"}
REMARK_MARKS = "abcdefghijklmnopqrstuvwxyz"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~^$@&:;\"'=%/])")


#: A run of Chinese in an English page (ideographs with their full-width punctuation).
_CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’]*[\u3400-\u4dbf\u4e00-\u9fff]"
                      r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’]*")
#: A run of two or more Latin words in a Chinese page (already markdown-escaped).
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’\\.\-]*(?:[ ]+[A-Za-z][A-Za-z'’\\.\-]*)+")


def md(text: Any, lang: str | None = None) -> str:
    """Escape a data string for pandoc markdown: every ASCII punctuation mark is backslash
    escaped and line breaks fold to spaces, so the text is always shown literally.

    With ``lang``, runs of the other language are marked: Chinese in an English page as
    ``zh-Hans``, a phrase of English in a Chinese page as ``en``.
    """
    return mark_runs(_MD_SPECIAL.sub(r"\\\1", " ".join(str(text or "").split())), lang)


def mark_runs(text: str, lang: str | None) -> str:
    """Mark the runs of the other language in markdown text (see ``md``)."""
    if lang == "en":
        return _CJK_RUN.sub(lambda m: f"[{m.group(0)}]{{lang=\"zh-Hans\"}}", text)
    if lang == "zh":
        return _LATIN_RUN.sub(lambda m: f"[{m.group(0)}]{{lang=\"en\"}}", text)
    return text


def yaml_string(text: Any) -> str:
    """A YAML scalar that is always a plain string (JSON strings are valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def in_lang(text: str, lang: str) -> str:
    """Markdown (already escaped) marked as written in ``lang``: a span with its language tag."""
    return f"[{text}]{{lang=\"{LANG_TAGS[lang]}\"}}" if text else ""


def verbatim(clause: str) -> str:
    """A verbatim Chinese clause from a source, marked as Chinese and as verbatim (set apart
    by style, not by added quotation marks: a clause may hold quotation marks of its own)."""
    return f"[{md(clause)}]{{.verbatim lang=\"zh-Hans\"}}"


@lru_cache(maxsize=None)
def environment(lang: str) -> jinja2.Environment:
    """The template environment of one language (compiled templates are kept: compiling
    briefing.qmd.j2 costs more than rendering it)."""
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
    env.filters["md"] = lambda text: md(text, lang)
    env.filters["mark"] = lambda text: mark_runs(text, lang)  # interface text: already markdown
    env.filters["yaml"] = yaml_string
    env.filters["zh"] = lambda text: in_lang(text, "zh")
    env.filters["sp"] = (lambda text: cjk_spacing(text)) if lang == "zh" else (lambda text: text)
    env.globals["punct"] = PUNCTUATION[lang]
    return env


# "gap" follows a sentence or a label ending in a colon: Chinese sets none after full-width
# punctuation, English a space
PUNCTUATION = {
    "zh": {"lp": "（", "rp": "）", "colon": "：", "comma": "，", "list": "、", "semicolon": "；", "gap": ""},
    "en": {"lp": " (", "rp": ")", "colon": ": ", "comma": ", ", "list": ", ", "semicolon": "; ", "gap": " "},
}


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


class Edition:
    """One language's wording of one province's results."""

    def __init__(self, results: dict[str, Any], lang: str):
        self.results, self.lang = results, lang
        self.punct = PUNCTUATION[lang]
        self._ = gettext_for(lang)
        self.ngettext = ngettext_for(lang)
        self.cite = Citations(results)

    # --- words
    def text(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def metric_label(self, metric: str) -> str:
        return metric_label(self.results, metric, self.lang)

    def metric_definition(self, metric: str) -> str:
        m = self.results["metrics"][metric]
        return m["definition_zh"] if self.lang == "zh" else m["definition_en"]

    def instrument_label(self, instrument: str) -> str:
        if not instrument:
            return ""
        return instrument_label(self.results, instrument, self.lang)

    def name(self, holder: dict[str, Any]) -> str:
        return holder_name(holder, self.lang)

    def value(self, e: dict[str, Any], style: str = "table") -> str:
        return value_text(e, self.lang, style=style)

    def figure_name(self, e: dict[str, Any]) -> str:
        """What a figure measures: "training voucher · yearly pool" (a separator, not brackets:
        a metric's label may hold brackets of its own)."""
        metric = self.metric_label(e["metric"])
        instrument = self.instrument_label(e.get("instrument", ""))
        return f"{instrument} · {metric}" if instrument else metric

    def prose_name(self, holder: dict[str, Any]) -> str:
        """A name in a sentence: 深圳市 / Shenzhen (the cities line at the top says it is a city)."""
        return self.name(holder) if self.lang == "zh" else holder["name_en"]

    def note(self, measure_id: str) -> str:
        m = self.results["measures"][measure_id]
        return m["note_zh"] if self.lang == "zh" else m["note_en"]

    def status(self, status: str) -> str:
        return label(status, self.lang)

    def md(self, text: Any) -> str:
        """Data text escaped for markdown, runs of the other language marked."""
        return md(text, self.lang)

    def rank(self, rank: int) -> str:
        return str(rank) if self.lang == "zh" else ordinal(rank)

    def sentences(self, *parts: str) -> str:
        """Sentences one after another: no space after a Chinese full stop."""
        return self.punct["gap"].join(p for p in parts if p)

    def prose(self, text: str) -> str:
        """Generated Chinese prose follows the one spacing rule; English is left as is."""
        return cjk_spacing(text) if self.lang == "zh" else text


def _remarks(rows: list[dict[str, Any]], edition: Edition) -> list[dict[str, str]]:
    """Give each row with a caveat a letter; returns the remarks printed under the table."""
    remarks = []
    for row in rows:
        note = edition.note(row["measure_id"])
        row["mark"] = ""
        if note:
            row["mark"] = REMARK_MARKS[len(remarks) % len(REMARK_MARKS)]
            remarks.append({"mark": row["mark"], "name": row["name"], "text": edition.md(note)})
    return remarks


def _row(e: dict[str, Any], edition: Edition, *, ranked: bool) -> dict[str, Any]:
    return {
        "measure_id": e["measure_id"],
        "name": edition.name(e["holder"]),
        "subject": e["holder"]["is_subject"],
        "instrument": edition.instrument_label(e.get("instrument", "")),
        "value": edition.value(e),
        "year": str(e["year"]) if e.get("year") else "—",
        "status": edition.status(e["status"]),
        "rank": (f"{e['rank']}{'=' if e.get('tie') else ''}{'?' if e.get('uncertain') else ''}" if ranked and e.get("rank")
                 else "—"),
        "cite": edition.cite.marker(e["measure_id"]),
        "projection": e["status"] == "projection",
    }


def lead_sentence(c: dict[str, Any], edition: Edition) -> str:
    """One sentence above a ranking: where this province stands and who leads, with what."""
    _ = edition._
    mine = [e for e in c["entries"] if e["holder"]["is_subject"]]
    leader = c["entries"][0]
    if not mine:
        return ""
    e = min(mine, key=lambda x: x["rank"])
    values = {"who": edition.md(edition.prose_name(e["holder"])), "rank": edition.rank(e["rank"]), "n": c["n_regions"],
              "leader": edition.md(edition.prose_name(leader["holder"])), "leader_value": edition.md(edition.value(leader, "prose")),
              "value": edition.md(edition.value(e, "prose"))}
    if e["rank"] == 1 and e["tie"]:
        text = _("{who} shares first place among {n} regions with {value}.")
    elif e["rank"] == 1:
        text = _("{who} is first among {n} regions with {value}.")
    else:
        text = _("{who} ranks {rank} of {n} regions with {value}; {leader} is first with {leader_value}.")
    sentence = text.format(**values)
    if e["rank"] != 1 and leader.get("instrument") and leader["instrument"] != e.get("instrument"):
        sentence = edition.sentences(sentence, _("The leader's figure is for another instrument: {instrument}.").format(
            instrument=edition.md(edition.instrument_label(leader["instrument"]))))
    if c["projections"]:
        sentence = edition.sentences(sentence, _("A projection (an expected figure, not a commitment) is marked as such."))
    if any(x["uncertain"] for x in c["entries"]):
        sentence = edition.sentences(sentence, _("The qualifiers leave part of this order uncertain (marked ?)."))
    return edition.prose(sentence)


#: Rows of a ranking's table; beyond them only this province's rows are added (with a note).
MAX_ROWS = 15


def comparison_view(c: dict[str, Any], edition: Edition) -> dict[str, Any]:
    shown = shown_entries(c["entries"], MAX_ROWS)
    rows = [_row(e, edition, ranked=True) for e in shown]
    also = [_row(e, edition, ranked=False) for e in c["also"]]
    national = [_row(e, edition, ranked=False) | {"name": edition._("China (national reference)")} for e in c["national"]]
    remarks = _remarks(rows + also + national, edition)
    return {
        "id": c["id"],
        "title": comparison_title(c, edition.results, edition.lang),
        "definition": edition.md(edition.metric_definition(c["metric"])),
        "lead": lead_sentence(c, edition),
        "rows": rows,
        "also": also,
        "national": national,
        "remarks": remarks,
        "show_instrument": any(r["instrument"] for r in rows + also),
        "hidden": len(c["entries"]) - len(shown),
        "n": c["n_regions"],
        "lower_is_stronger": c["lower_is_stronger"],
    }


def alone_view(comparisons: list[dict[str, Any]], edition: Edition) -> dict[str, Any]:
    """Figures no other region reports comparably, in one compact table per section."""
    rows = []
    for c in comparisons:
        for e in c["entries"] + c["also"]:
            row = _row(e, edition, ranked=False)
            row["what"] = edition.figure_name(e)
            row["definition"] = edition.md(edition.metric_definition(c["metric"]))
            rows.append(row)
    return {"rows": rows, "remarks": _remarks(rows, edition)}


def finding_sentence(f: dict[str, Any], results: dict[str, Any], edition: Edition) -> str | None:
    """One key-finding sentence, generated from the results (never canned text)."""
    _ = edition._
    province = results["province"]["short_zh" if edition.lang == "zh" else "name_en"]
    if f["kind"] == "qualitative_only":
        text = edition.ngettext(
            "The sources name {count} AI measure or priority for {province} but give no figure for it.",
            "The sources name {count} AI measures or priorities for {province} but give no figures for them.",
            f["count"]).format(count=f["count"], province=edition.md(province))
        return edition.prose(text)
    if f["kind"] == "not_reported":
        text = edition.ngettext(
            "{count} metric that other regions report is not reported in the sources for {province}.",
            "{count} metrics that other regions report are not reported in the sources for {province}.",
            f["count"]).format(count=f["count"], province=edition.md(province))
        return edition.prose(text)
    measures = results["measures"]
    m = measures[f["measure_id"]]
    values = {"who": edition.md(edition.prose_name(m["holder"])), "what": edition.md(edition.figure_name(m)),
              "value": edition.md(edition.value(m, "prose"))}
    cite = [f["measure_id"]]
    if f["kind"] in ("leads", "trails", "ranks"):
        other = measures[f["other_measure_id"]]
        cite.append(other["measure_id"])
        values.update({"other": edition.md(edition.prose_name(other["holder"])), "other_value": edition.md(edition.value(other, "prose")),
                       "rank": edition.rank(f["rank"]), "n": f["n"],
                       "times": f"{f['times']:.1f}".rstrip("0").rstrip(".") if f.get("times") else ""})
        if f["kind"] == "leads" and f["tie"]:
            text = _("{who} shares first place among {n} regions for {what}: {value}, level with {other} ({other_value}).")
        elif f["kind"] == "leads" and f["wide"] and f.get("lower_is_stronger"):
            # the smaller figure leads: "{times} times" would read the wrong way round
            text = _("{who} is first of {n} regions for {what}, by a wide margin: {value}, against {other}'s {other_value}.")
        elif f["kind"] == "leads" and f["wide"]:
            text = _("{who} is first of {n} regions for {what}, by a wide margin: {value}, {times} times {other}'s {other_value}.")
        elif f["kind"] == "leads":
            text = _("{who} is first of {n} regions for {what}: {value}, ahead of {other} ({other_value}).")
        elif f["kind"] == "trails":
            text = _("{who} trails for {what}: {value}, while {other}, the leader, reports {other_value}.")
        else:
            text = _("{who} ranks {rank} of {n} regions for {what}: {value}; {other} is first with {other_value}.")
        if f.get("uncertain"):
            text = edition.sentences(text, _("The qualifiers leave this order uncertain."))
    elif f["kind"] == "commitment":
        text = _("{who}'s {what}: {value}. No other region in the sources reports a comparable figure.")
    elif f["kind"] == "target":
        text = _("{who} aims for {what} of {value}. No other region in the sources reports a comparable figure.")
    elif f["kind"] == "own_figure":
        text = _("{who}: {what}, {value}. No other region in the sources reports a comparable figure.")
    elif f["kind"] == "reference":
        # a reference figure says what it is a share or rank of: its summary, written for the data
        return edition.md(m["summary_zh"] if edition.lang == "zh" else m["summary_en"]) + edition.cite.marker(*cite)
    elif f["kind"] == "only_instrument":
        values["what"] = edition.md(edition.instrument_label(f["instrument"]))
        text = _("Among the regions in the sources, only {who} has a {what}.")
    elif f["kind"] == "city_standout":
        other = measures[f["other_measure_id"]]
        cite.append(other["measure_id"])
        values.update({"other": edition.md(edition.prose_name(other["holder"])), "other_value": edition.md(edition.value(other, "prose"))})
        text = _("{who}'s {what}, {value}, is the largest of its kind among the province's cities; {other} reports {other_value}.")
    else:
        return None
    return edition.prose(text.format(**values)) + edition.cite.marker(*cite)


def _qualitative_item(q: dict[str, Any], edition: Edition) -> dict[str, Any]:
    summary = q["summary_zh"] if edition.lang == "zh" else q["summary_en"]
    return {"measure_id": q["measure_id"], "text": edition.md(summary), "status": edition.status(q["status"]),
            "section": q["section"], "category": q["category"], "cite": edition.cite.marker(q["measure_id"]),
            "proposal": q["status"] == "proposal"}


def _source_title(s: dict[str, Any], edition: Edition) -> dict[str, Any]:
    """The title in the page's language; in English also the Chinese headline as printed."""
    title = s["title_zh"] if edition.lang == "zh" else s["title_en"]
    descriptive = s.get("title_kind") == "descriptive"
    return {"text": edition.md(title), "descriptive": descriptive,
            "original": md(s["title_zh"]) if edition.lang == "en" and not descriptive and s["title_zh"] else ""}


def document_context(results: dict[str, Any], lang: str, *, build_id: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the template prints for one language."""
    edition = Edition(results, lang)
    _ = edition._
    province = results["province"]
    name = province["name_zh"] if lang == "zh" else province["name_en"]
    findings = [s for s in (finding_sentence(f, results, edition) for f in results["findings"]) if s]
    sections = []
    for key in SECTIONS:
        ranked = [comparison_view(c, edition) for c in results["comparisons"] if c["section"] == key and c["kind"] == "ranked"]
        alone = [c for c in results["comparisons"] if c["section"] == key and c["kind"] == "alone"]
        named = [_qualitative_item(q, edition) for q in results["qualitative"] if q["section"] == key]
        if not (ranked or alone or named):
            continue
        figure = results.get("figures", {}).get(key, {}).get(lang)
        sections.append({
            "key": key, "title": label(key, lang), "ranked": ranked, "alone": alone_view(alone, edition) if alone else None,
            "named": named, "figure": figure,
            "figure_alt": _("Bar charts of the rankings above, one panel per comparison, with {name} highlighted").format(name=md(name)),
        })
    references = []
    for e in results["references"]:
        row = _row(e, edition, ranked=False)
        row["what"] = edition.figure_name(e)
        row["definition"] = edition.md(edition.metric_definition(e["metric"]))
        references.append(row)
    reference_remarks = _remarks(references, edition)
    priorities = [_qualitative_item(q, edition) for q in results["qualitative"] if q["section"] == "priorities"]
    # one row per section: each figure others report, and who (compact: dozens of metrics)
    not_reported = []
    for key in SECTIONS:
        items = [n for n in results["not_reported"] if n["section"] == key]
        if not items:
            continue
        parts = []
        for n in items:
            who = edition.punct["list"].join(edition.name(r) for r in n["reported_by"])
            parts.append(f"{edition.metric_label(n['metric'])}{edition.punct['lp']}{who}{edition.punct['rp']}")
        not_reported.append({"section": edition.md(label(key, lang)), "figures": edition.md(edition.punct["semicolon"].join(parts)),
                             "count": len(items)})
    short = not results["comparisons"]
    # sources in order of first citation, each with the evidence of every figure cited from it
    sources = []
    for number, source_id in enumerate(edition.cite.order, start=1):
        s = edition.cite.sources[source_id]
        evidence = []
        for measure_id in sorted(edition.cite.cited):
            m = results["measures"][measure_id]
            if m["source_id"] != source_id:
                continue
            evidence.append({
                "measure_id": measure_id, "region": edition.md(edition.name(m["holder"])),
                "figure": edition.md(edition.value(m)) if m["value"] is not None else "",
                "summary": edition.md(m["summary_zh"] if lang == "zh" else m["summary_en"]),
                "clause": verbatim(m["evidence"]),
                "note": edition.md(m["note_zh"] if lang == "zh" else m["note_en"]),
            })
        sources.append({
            "number": number, "publisher": edition.md(s["publisher_zh"] if lang == "zh" else s["publisher_en"]),
            "title": _source_title(s, edition), "date": edition.md(display(s["date"], lang)), "url": s.get("url", ""),
            "evidence": evidence,
        })
    other = OTHER_LANGUAGE[lang]
    return {
        "lang": lang,
        "lang_tag": LANG_TAGS[lang],
        "other": other,
        "other_tag": LANG_TAGS[other],
        "other_label": "English edition" if other == "en" else "中文版",
        "name": name,
        "province": province,
        "cities": [c["name_zh"] + "市" if lang == "zh" else c["name_en"] for c in province["cities"]],
        "data_as_of": display(results["data_as_of"], lang),
        "date_iso": iso_date(results["data_as_of"]),
        "figure_text": figure_text(results, lang),
        "build_id": build_id,
        "counts": results["counts"],
        "short": short,
        "findings": findings,
        "sections": sections,
        "references": references,
        "reference_remarks": reference_remarks,
        "priorities": priorities,
        "not_reported": not_reported,
        "sources": sources,
        "changes": changes if changes and changes.get("changed") else None,
        "changes_labels": {m: edition.metric_label(m) for m in results["metrics"]},
    }


def figure_text(results: dict[str, Any], lang: str) -> dict[str, dict[str, str]]:
    """Chart file -> its alt text and caption in ``lang`` (``figures.draw_figures`` documents
    results["figures"]); the front matter passes them to the renderers' filter."""
    figures = results.get("figures") or {}
    entries = [figures] if isinstance(figures.get(lang), str) else list(figures.values())
    return {e[lang]: e["text"][lang] for e in entries
            if isinstance(e, dict) and isinstance(e.get(lang), str) and lang in (e.get("text") or {})}


def iso_date(data_as_of: str) -> str:
    """The publication date as YYYY-MM-DD (front matter ``date``, which Quarto parses): the
    date the build stamps its outputs with (``dates.timestamp`` of the data date)."""
    from .dates import timestamp

    return timestamp(data_as_of).date().isoformat()


def index_figures(results: dict[str, Any], limit: int = 3) -> dict[str, list[str]]:
    """Up to ``limit`` key findings per language for the index card (plain text)."""
    figures: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        edition = Edition(results, lang)
        lines = []
        for f in results["findings"]:
            if "measure_id" not in f or len(lines) >= limit:
                continue
            m = results["measures"][f["measure_id"]]
            lines.append(f"{edition.name(m['holder'])} · {edition.figure_name(m)}{edition.punct['colon']}{edition.value(m)}")
        figures[lang] = lines
    return figures


def render_document(results: dict[str, Any], lang: str, *, build_id: str, changes: dict[str, Any] | None = None) -> str:
    """The Quarto-markdown text of one briefing in one language."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    template = environment(lang).get_template("briefing.qmd.j2")
    return template.render(**document_context(results, lang, build_id=build_id, changes=changes))


def overview_context(results: dict[str, Any], lang: str, *, build_id: str) -> dict[str, Any]:
    """Everything the overview template prints for one language."""
    edition = Edition(results, lang)
    _ = edition._
    sep = edition.punct["list"]

    def names(records: list[dict[str, Any]]) -> str:
        return edition.md(sep.join(r["name_zh" if lang == "zh" else "name_en"] for r in records)) or "—"

    leaders = []
    for row in results["leaders"]:
        firsts = [row["leader"], *row["tied"]]
        runner = row["runner_up"]
        comparison = {**row, "entries": firsts + ([runner] if runner else []), "also": [],
                      "period": row["key"].split("|")[2] if row["key"].split("|")[2] != "-" else None}
        leaders.append({
            "title": comparison_title(comparison, results, lang),
            "leader": sep.join(edition.name(e["holder"]) for e in firsts) + (edition.text("（并列）", " (tied)") if row["tied"] else ""),
            "value": edition.value(row["leader"]),
            "next": f"{edition.name(runner['holder'])}{edition.punct['colon']}{edition.value(runner)}" if runner else "—",
            "n": row["n_regions"],
            "cite": edition.cite.marker(*[e["measure_id"] for e in firsts + ([runner] if runner else [])])})
    national = [{"summary": edition.md(results["measures"][e["measure_id"]]["summary_zh" if lang == "zh" else "summary_en"]),
                 "cite": edition.cite.marker(e["measure_id"])} for e in results["national"]]
    counts = results["counts"]
    sentence = _("The sources give figures for {figures} of the {provinces} province-level divisions, name measures without figures for {named}, and say nothing about {silent}.").format(
        figures=counts["with_figures"], provinces=counts["provinces"], named=counts["named_only"], silent=counts["silent"])
    sources = []
    for number, source_id in enumerate(edition.cite.order, start=1):
        s = edition.cite.sources[source_id]
        sources.append({"number": number, "publisher": edition.md(s["publisher_zh"] if lang == "zh" else s["publisher_en"]),
                        "title": _source_title(s, edition), "date": edition.md(display(s["date"], lang))})
    other = OTHER_LANGUAGE[lang]
    return {
        "lang": lang, "lang_tag": LANG_TAGS[lang], "other": other, "other_tag": LANG_TAGS[other],
        "other_label": "English edition" if other == "en" else "中文版",
        "data_as_of": display(results["data_as_of"], lang), "date_iso": iso_date(results["data_as_of"]), "build_id": build_id,
        "figure_text": figure_text(results, lang),
        "coverage_sentence": edition.prose(sentence),
        "coverage": {k: names(v) for k, v in results["coverage"].items()},
        "figure": results.get("figures", {}).get(lang, ""),
        "matrix_alt": _("Heat map: for each region, the instruments the sources give a figure for or name without one"),
        "leaders": leaders, "national": national, "sources": sources,
    }


def render_overview(results: dict[str, Any], lang: str, *, build_id: str) -> str:
    """The Quarto-markdown text of the national overview in one language."""
    return environment(lang).get_template("overview.qmd.j2").render(**overview_context(results, lang, build_id=build_id))
