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
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from .dates import display, display_span
from .format import cjk_spacing, holder_name, ordinal, value_text
from .i18n import LANGUAGES, gettext_for, label, ngettext_for, translations
from .titles import comparison_title, instrument_label, metric_label, shown_entries
from .wording import Words

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

OTHER_LANGUAGE = {"zh": "en", "en": "zh"}
LANG_TAGS = {"zh": "zh-Hans", "en": "en"}
REMARK_MARKS = "abcdefghijklmnopqrstuvwxyz"


def remark_mark(index: int) -> str:
    """a, b, ... z, then aa, ab ...: every remark of a table has its own mark."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, len(REMARK_MARKS))
        letters = REMARK_MARKS[rest] + letters
    return letters


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~^$@&:;\"'=%/])")


#: A run of Chinese in an English page (ideographs with their full-width punctuation).
_CJK_RUN = re.compile(
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’]*[\u3400-\u4dbf\u4e00-\u9fff]"
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’]*"
)
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
        return _CJK_RUN.sub(lambda m: f'[{m.group(0)}]{{lang="zh-Hans"}}', text)
    if lang == "zh":
        return _LATIN_RUN.sub(_latin_span, text)
    return text


def _latin_span(m: re.Match[str]) -> str:
    r"""A run of English in a Chinese page as a span; a backslash that escapes the character
    after the run belongs to that character, not to the run (``Model\(`` stays ``Model`` +
    ``\(``)."""
    run = m.group(0)
    trailing = len(run) - len(run.rstrip("\\"))
    if trailing % 2:  # an odd backslash at the end escapes what follows the run
        return f'[{run[:-1]}]{{lang="en"}}\\'
    return f'[{run}]{{lang="en"}}'


def yaml_string(text: Any) -> str:
    """A YAML scalar that is always a plain string (JSON strings are valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def in_lang(text: str, lang: str) -> str:
    """Markdown (already escaped) marked as written in ``lang``: a span with its language tag."""
    return f'[{text}]{{lang="{LANG_TAGS[lang]}"}}' if text else ""


def verbatim(clause: str) -> str:
    """A verbatim Chinese clause from a source, marked as Chinese and as verbatim (set apart
    by style, not by added quotation marks: a clause may hold quotation marks of its own)."""
    return f'[{md(clause)}]{{.verbatim lang="zh-Hans"}}'


def environment(lang: str, templates: Path) -> jinja2.Environment:
    """The template environment of one language and templates folder, with the catalogs in
    use (compiled templates are kept: compiling briefing.qmd.j2 costs more than rendering it)."""
    from .i18n import catalog_dir

    return _environment(lang, Path(templates).resolve(), catalog_dir())


@cache
def _environment(lang: str, templates: Path, catalogs: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # markdown output: data is escaped explicitly with |md
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
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

    def __init__(self, results: dict[str, Any], lang: str, editorial: dict[str, dict[str, Any]] | None = None):
        self.results, self.lang = results, lang
        #: the review record's decisions on this province's claims (review.editorial_state)
        self.editorial = editorial or {}
        self.punct = PUNCTUATION[lang]
        self._ = gettext_for(lang)
        self.ngettext = ngettext_for(lang)
        self.cite = Citations(results)
        self.words = Words(results, lang)

    # --- words
    def text(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def metric_label(self, metric: str) -> str:
        return metric_label(self.results, metric, self.lang)

    def metric_definition(self, metric: str) -> str:
        m = self.results["metrics"][metric]
        definition: str = m["definition_zh"] if self.lang == "zh" else m["definition_en"]
        return definition

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
        note: str = m["note_zh"] if self.lang == "zh" else m["note_en"]
        return note

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
    remarks: list[dict[str, str]] = []
    for row in rows:
        note = edition.note(row["measure_id"])
        row["mark"] = ""
        if note:
            row["mark"] = remark_mark(len(remarks))
            remarks.append({"mark": row["mark"], "name": row["name"], "text": edition.md(note)})
    return remarks


def _year(e: dict[str, Any], edition: Edition) -> str:
    """The year cell: stated (2025), the report's own (2024, report year), a passed target."""
    _ = edition._
    if not e.get("year"):
        return "—"
    if e.get("year_basis") == "document" and e["status"] in ("target", "projection", "baseline"):
        if edition.words.document_kind(edition.results["measures"].get(e["measure_id"], e)) in ("报道", "news report"):
            return _("{year} (year of the news report)").format(year=e["year"])
        return _("{year} (year of the report)").format(year=e["year"])
    if e.get("year_basis") == "period_end" and e["status"] in ("target", "projection", "baseline"):
        return _("{year} (end of the plan period)").format(year=e["year"])
    if e.get("lapsed"):
        return _("{year} (target year past)").format(year=e["year"])
    return str(e["year"])


def _rank_cell(e: dict[str, Any], edition: Edition) -> str:
    """2, 2= (shared), 2? (an order the qualifiers leave open; ？ in Chinese)."""
    open_mark = ("？" if edition.lang == "zh" else "?") if e.get("uncertain") else ""
    return f"{e['rank']}{'=' if e.get('tie') else ''}{open_mark}"


def _row(e: dict[str, Any], edition: Edition, *, ranked: bool) -> dict[str, Any]:
    return {
        "measure_id": e["measure_id"],
        "name": edition.name(e["holder"]),
        "subject": e["holder"]["is_subject"],
        "instrument": edition.instrument_label(e.get("instrument", "")),
        "value": edition.value(e),
        "year": _year(e, edition),
        "status": edition.status(e["status"]),
        "rank": _rank_cell(e, edition) if ranked and e.get("rank") else "—",
        "cite": edition.cite.marker(e["measure_id"]),
        "projection": e["status"] == "projection",
    }


def claim_text(claim: dict[str, Any], edition: Edition) -> str:
    """A claim's sentence (plain text): an editor's wording when the review record holds one
    for the claim's current basis, else the generated sentence."""
    state = edition.editorial.get(claim["id"], {})
    if state.get("action") == "rephrase" and state.get(edition.lang, "").strip():
        rephrased: str = state[edition.lang]
        return rephrased
    return edition.words.sentence(claim)


def printed(claim: dict[str, Any], edition: Edition) -> bool:
    """False for a claim an editor holds back: it is not printed until released."""
    return edition.editorial.get(claim["id"], {}).get("action") != "hold"


def claim_sentence(claim: dict[str, Any], edition: Edition) -> str:
    """A claim's sentence, escaped for markdown (an editor's wording too: it is data), with
    the citation marks of its measures."""
    return edition.md(claim_text(claim, edition)) + edition.cite.marker(*claim["measure_ids"])


def lead_sentence(c: dict[str, Any], edition: Edition) -> str:
    """The sentences above a comparison: its sound claims about this province's figures."""
    claims = [
        k
        for k in edition.results["claims"]
        if k.get("where") == "lead" and k.get("comparison_id") == c["id"] and printed(k, edition)
    ]
    return edition.punct["gap"].join(edition.md(claim_text(k, edition)) for k in claims)


#: Rows of a ranking's table; beyond them only this province's rows are added (with a note).
MAX_ROWS = 15


def comparison_view(c: dict[str, Any], edition: Edition) -> dict[str, Any]:
    shown = shown_entries(c["entries"], MAX_ROWS)
    ranked = c["kind"] == "ranked"
    rows = [_row(e, edition, ranked=ranked) for e in shown]
    also = [_row(e, edition, ranked=False) for e in c["also"]]
    beside = [_row(e, edition, ranked=False) for e in c["beside"]]
    national = [_row(e, edition, ranked=False) | {"name": edition._("China (national reference)")} for e in c["national"]]
    remarks = _remarks(rows + also + national + beside, edition)  # in the order the tables print them
    return {
        "id": c["id"],
        "title": comparison_title(c, edition.results, edition.lang),
        "definition": edition.md(edition.metric_definition(c["metric"])),
        "lead": lead_sentence(c, edition),
        "ranked": ranked,
        "rows": rows,
        "also": also,
        "beside": beside,
        "national": national,
        "remarks": remarks,
        "show_instrument": any(r["instrument"] for r in rows + also + beside),
        "hidden": len(c["entries"]) - len(shown),
        "n": c["n_regions"],
        "lower_is_stronger": c["lower_is_stronger"],
    }


def alone_view(comparisons: list[dict[str, Any]], edition: Edition) -> dict[str, Any]:
    """Figures compared with no other holder's, one compact table per section, each with its
    statement (the figure in a sentence)."""
    rows = []
    for c in comparisons:
        for e in c["entries"] + c["also"]:
            row = _row(e, edition, ranked=False)
            row["what"] = edition.figure_name(e)
            row["definition"] = edition.md(edition.metric_definition(c["metric"]))
            rows.append(row)
    return {"rows": rows, "remarks": _remarks(rows, edition)}


def findings_sentences(results: dict[str, Any], edition: Edition) -> list[str]:
    """The key findings: the chosen claims, each as its sentence with its citations."""
    by_id = {c["id"]: c for c in results["claims"]}
    return [claim_sentence(by_id[i], edition) for i in results["findings"] if printed(by_id[i], edition)]


def _qualitative_item(q: dict[str, Any], edition: Edition) -> dict[str, Any]:
    summary = q["summary_zh"] if edition.lang == "zh" else q["summary_en"]
    return {
        "measure_id": q["measure_id"],
        "text": edition.md(summary),
        "status": edition.status(q["status"]),
        "section": q["section"],
        "category": q["category"],
        "cite": edition.cite.marker(q["measure_id"]),
        "proposal": q["status"] == "proposal",
    }


#: Half-width punctuation of a Chinese headline and its full-width form, as a Chinese page
#: sets it (the stored title keeps the source's characters).
FULL_WIDTH = str.maketrans({"!": "！", "?": "？", ",": "，", ":": "：", ";": "；", "(": "（", ")": "）"})


def chinese_title(title: str) -> str:
    """A Chinese headline as a Chinese page displays it: full-width punctuation, the one
    spacing rule (河南发文!“人工智能+”大利好 -> 河南发文！“人工智能+”大利好)."""
    return cjk_spacing(title.translate(FULL_WIDTH))


def display_url(url: str) -> str:
    """An address as printed: non-ASCII characters percent-encoded (a link stays a link, and an
    English page carries no untranslated Chinese in it)."""
    from urllib.parse import quote

    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def _source_title(s: dict[str, Any], edition: Edition) -> dict[str, Any]:
    """The title in the page's language; in English also the Chinese headline as printed. A
    printed headline is quoted verbatim (the page says "as printed"); a descriptive title,
    the curator's words, follows the page's house style."""
    descriptive = s.get("title_kind") == "descriptive"
    if edition.lang == "zh":
        title = chinese_title(s["title_zh"]) if descriptive else s["title_zh"]
    else:
        title = s["title_en"]
    return {
        "text": edition.md(title),
        "descriptive": descriptive,
        "original": md(s["title_zh"]) if edition.lang == "en" and not descriptive and s["title_zh"] else "",
    }


def section_headings(results: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(key, heading) of the briefing's sections in page order: the project's
    (``data/sections.csv``, carried by the results), else the defaults."""
    from .sections import default_sections

    records = results.get("sections") or [
        {"key": s.key, "label_zh": s.label_zh, "label_en": s.label_en} for s in default_sections()
    ]
    return [(s["key"], s["label_zh"] if lang == "zh" else s["label_en"]) for s in records]


def _sections(results: dict[str, Any], edition: Edition) -> list[dict[str, Any]]:
    """Each section with its compared figures (ranked or paired), its figures compared with
    nothing, its instruments named without a figure, and its chart."""
    lang = edition.lang
    sections = []
    for key, title in section_headings(results, lang):
        here = [c for c in results["comparisons"] if c["section"] == key]
        compared = [comparison_view(c, edition) for c in here if c["kind"] != "alone"]
        alone = [c for c in here if c["kind"] == "alone"]
        named = [_qualitative_item(q, edition) for q in results["qualitative"] if q["section"] == key]
        if not (compared or alone or named):
            continue
        figure = results.get("figures", {}).get(key, {})
        sections.append(
            {
                "key": key,
                "title": title,
                "ranked": compared,
                "alone": alone_view(alone, edition) if alone else None,
                "named": named,
                "figure": figure.get(lang) if isinstance(figure, dict) else None,
                "figure_alt": edition.md((figure.get("alt") or {}).get(lang, "")) if isinstance(figure, dict) else "",
            }
        )
    return sections


def _references(results: dict[str, Any], edition: Edition) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    rows = []
    for e in results["references"]:
        row = _row(e, edition, ranked=False)
        row["what"] = edition.figure_name(e)
        row["joint"] = edition.punct["list"].join(edition.name(h) for h in e["holder"].get("joint_with", []))
        rows.append(row)
    return rows, _remarks(rows, edition)


#: The not-reported paragraph names the figures at least this many other holders report.
NOT_REPORTED_MIN_HOLDERS = 3


def not_reported_text(results: dict[str, Any], edition: Edition) -> str:
    """What other regions commonly report and this province does not, as one compact
    paragraph (figures reported by ``NOT_REPORTED_MIN_HOLDERS`` holders or more; the rest
    counted)."""
    common = [n for n in results["not_reported"] if len(n["reported_by"]) >= NOT_REPORTED_MIN_HOLDERS]
    parts = []
    for key, title in section_headings(results, edition.lang):
        items = [edition.metric_label(n["metric"]) for n in common if n["section"] == key]
        if items:
            parts.append(f"{title}{edition.punct['colon']}{edition.punct['list'].join(items)}")
    return edition.md(edition.punct["semicolon"].join(parts))


def not_reported_rest(results: dict[str, Any], edition: Edition) -> str:
    """The sentence that counts what the not-reported paragraph leaves out."""
    common = [n for n in results["not_reported"] if len(n["reported_by"]) >= NOT_REPORTED_MIN_HOLDERS]
    rest = len(results["not_reported"]) - len(common)
    if not rest:
        return ""
    return edition.ngettext(
        "%(num)s further measure, reported by fewer than three other regions, is not listed.",
        "%(num)s further measures, each reported by fewer than three other regions, are not listed.",
        rest,
    ) % {"num": rest}


def _sources(results: dict[str, Any], edition: Edition) -> list[dict[str, Any]]:
    """Sources in order of first citation, each with the evidence of this province's figures
    cited from it (another region's figure is cited by its source; its evidence is in that
    region's briefing and in the proof sheet)."""
    lang = edition.lang
    sources = []
    for number, source_id in enumerate(edition.cite.order, start=1):
        s = edition.cite.sources[source_id]
        evidence = []
        for measure_id in sorted(edition.cite.cited):
            m = results["measures"][measure_id]
            if m["source_id"] != source_id or not m["holder"]["is_subject"]:
                continue
            evidence.append(
                {
                    "measure_id": measure_id,
                    "region": edition.md(edition.name(m["holder"])),
                    "figure": edition.md(edition.value(m)) if m["value"] is not None else "",
                    "summary": edition.md(m["summary_zh"] if lang == "zh" else m["summary_en"]),
                    "clause": verbatim(m["evidence"]),
                    "note": edition.md(m["note_zh"] if lang == "zh" else m["note_en"]),
                }
            )
        sources.append({**source_entry(s, number, edition), "evidence": evidence})
    return sources


def source_entry(s: dict[str, Any], number: int, edition: Edition) -> dict[str, Any]:
    """How a source is cited, the same in a briefing and in the overview: number, issuer and
    publisher (set as a Chinese page sets names), title (in English with the Chinese headline),
    date, address."""
    lang = edition.lang
    issuer = s.get("issuer_zh" if lang == "zh" else "issuer_en") or ""
    publisher = s["publisher_zh"] if lang == "zh" else s["publisher_en"]
    if lang == "zh":  # the stored names keep the source's spelling
        issuer, publisher = chinese_title(issuer), chinese_title(publisher)
    return {
        "number": number,
        "publisher": edition.md(publisher),
        "issuer": edition.md(issuer),
        "title": _source_title(s, edition),
        "date": edition.md(display(s["date"], lang)),
        "url": display_url(s.get("url", "")),
    }


def _methodology(results: dict[str, Any], edition: Edition) -> dict[str, Any]:
    """The qualifier words the briefing prints, each with its reading in the other language."""
    words = []
    for word, q in sorted(results.get("qualifiers", {}).items()):
        english = q["en_form"].replace("{v}", "…").replace("{n}", "…").replace("{u}", "")
        words.append({"word": md(word), "en": edition.md(english.strip()), "symbol": q.get("symbol") or ""})
    return {"words": words}


def document_context(
    results: dict[str, Any],
    lang: str,
    *,
    build_id: str,
    changes: dict[str, Any] | None = None,
    editorial: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything the template prints for one language (``editorial``: held-back and
    rephrased claims, from the review record)."""
    edition = Edition(results, lang, editorial)
    province = results["province"]
    name = province["name_zh"] if lang == "zh" else province["name_en"]
    findings = findings_sentences(results, edition)
    thin = results.get("profile") == "thin"
    statements = (
        [
            claim_sentence(c, edition)
            for c in results["claims"]
            if c["kind"] in ("statement", "reference") and c["id"] not in results["findings"] and printed(c, edition)
        ]
        if thin
        else []
    )
    sections = _sections(results, edition)
    references, reference_remarks = _references(results, edition)
    priorities = [_qualitative_item(q, edition) for q in results["qualitative"] if q["section"] == "priorities"]
    named_all = [_qualitative_item(q, edition) for q in results["qualitative"]] if thin else []
    not_reported = not_reported_text(results, edition)
    not_reported_more = not_reported_rest(results, edition)
    sources = _sources(results, edition)
    other = OTHER_LANGUAGE[lang]
    return {
        "lang": lang,
        "lang_tag": LANG_TAGS[lang],
        "other": other,
        "other_tag": LANG_TAGS[other],
        "other_label": "English edition" if other == "en" else "中文版",
        "name": name,
        "province": province,
        "cities": [edition.name({**c, "is_city": True}) for c in province["cities"]],
        "data_as_of": display(results["data_as_of"], lang),
        "date_iso": iso_date(results["data_as_of"]),
        "figure_text": figure_text(results, lang),
        "build_id": build_id,
        "counts": results["counts"],
        "short": thin,
        "thin": thin,
        "statements": statements,
        "named_all": named_all,
        "findings": findings,
        "sections": sections,
        "references": references,
        "reference_remarks": reference_remarks,
        "priorities": priorities,
        "not_reported": not_reported,
        "not_reported_more": not_reported_more,
        "figure_count": sum(1 for m in results["measures"].values() if m["holder"]["is_subject"] and m["value"] is not None),
        "methodology": _methodology(results, edition),
        "sources": sources,
        "changes": changes if changes and changes.get("changed") else None,
        "changes_labels": {m: edition.metric_label(m) for m in results["metrics"]},
    }


def figure_text(results: dict[str, Any], lang: str) -> dict[str, dict[str, str]]:
    """Chart file -> its alt text and caption in ``lang`` (``figures.draw_figures`` documents
    results["figures"]); the front matter passes them to the renderers' filter."""
    figures = results.get("figures") or {}
    entries = [figures] if isinstance(figures.get(lang), str) else list(figures.values())
    return {
        e[lang]: e["text"][lang]
        for e in entries
        if isinstance(e, dict) and isinstance(e.get(lang), str) and lang in (e.get("text") or {})
    }


def iso_date(data_as_of: str) -> str:
    """The publication date as YYYY-MM-DD (front matter ``date``, which Quarto parses): the
    date the build stamps its outputs with (``dates.timestamp`` of the data date)."""
    from .dates import timestamp

    return timestamp(data_as_of).date().isoformat()


def index_figures(results: dict[str, Any], limit: int = 3) -> dict[str, list[str]]:
    """Up to ``limit`` key findings per language for the index card (plain text)."""
    figures: dict[str, list[str]] = {}
    by_id = {c["id"]: c for c in results["claims"]}
    for lang in LANGUAGES:
        words = Words(results, lang)
        # the findings' own sentences: a tile carries the claim's status, year and scope
        figures[lang] = [words.sentence(by_id[i]) for i in results["findings"][:limit]]
    return figures


ALL_LINKS = {"other_language": True, "pdf": True, "html": True}


def render_document(
    results: dict[str, Any],
    lang: str,
    *,
    build_id: str,
    templates: Path,
    changes: dict[str, Any] | None = None,
    links: dict[str, bool] | None = None,
    editorial: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The Quarto-markdown text of one briefing in one language (``templates``: the project's;
    ``links``: which sibling outputs the build makes, the page links nothing else)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    template = environment(lang, templates).get_template("briefing.qmd.j2")
    return template.render(
        **document_context(results, lang, build_id=build_id, changes=changes, editorial=editorial), links=links or ALL_LINKS
    )


def overview_context(results: dict[str, Any], lang: str, *, build_id: str) -> dict[str, Any]:
    """Everything the overview template prints for one language."""
    edition = Edition(results, lang)
    _ = edition._
    sep = edition.punct["list"]

    def in_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The official order in Chinese (as the results list them), alphabetical in English."""
        return records if lang == "zh" else sorted(records, key=lambda r: r["name_en"])

    def names(records: list[dict[str, Any]]) -> str:
        return edition.md(sep.join(r["name_zh" if lang == "zh" else "name_en"] for r in in_order(records))) or "—"

    by_section: dict[str, list[str]] = {}
    comparisons = {c["id"]: c for c in results["comparisons"]}
    for claim in results["claims"]:
        by_section.setdefault(comparisons[claim["comparison_id"]]["section"], []).append(claim_sentence(claim, edition))
    leaders = [
        {"title": title, "sentences": by_section[key]} for key, title in section_headings(results, lang) if key in by_section
    ]
    # rows that share one summary (three shares of one market, read in one sentence) print as one line
    national_lines: dict[str, list[str]] = {}
    for e in results["national"]:
        summary = edition.md(results["measures"][e["measure_id"]]["summary_zh" if lang == "zh" else "summary_en"])
        marks = national_lines.setdefault(summary, [])
        mark = edition.cite.marker(e["measure_id"])
        if mark not in marks:
            marks.append(mark)
    national = [{"summary": summary, "cite": "".join(marks)} for summary, marks in national_lines.items()]
    proposals = [
        {
            "summary": edition.md(results["measures"][i]["summary_zh" if lang == "zh" else "summary_en"]),
            "cite": edition.cite.marker(i),
        }
        for i in results.get("proposals", [])
    ]
    counts = results["counts"]
    sentence = _(
        "The sources give figures for {figures} of the {provinces} province-level divisions, name measures without figures for {named}, and say nothing about {silent}."  # noqa: E501 (one table row, one message)
    ).format(figures=counts["with_figures"], provinces=counts["provinces"], named=counts["named_only"], silent=counts["silent"])
    coverage_rows = [
        {
            "name": edition.md(r["name_zh" if lang == "zh" else "name_en"]),
            "sources": r["sources"],
            "figures": r["figures"],
            "named": r["named"],
            "dates": edition.md(display_span([r["first"], r["last"]], lang)),
        }
        for r in in_order(results.get("coverage_table", []))
    ]
    sources = [
        source_entry(edition.cite.sources[source_id], number, edition)
        for number, source_id in enumerate(edition.cite.order, start=1)
    ]
    other = OTHER_LANGUAGE[lang]
    return {
        "lang": lang,
        "lang_tag": LANG_TAGS[lang],
        "other": other,
        "other_tag": LANG_TAGS[other],
        "other_label": "English edition" if other == "en" else "中文版",
        "data_as_of": display(results["data_as_of"], lang),
        "date_iso": iso_date(results["data_as_of"]),
        "build_id": build_id,
        "figure_text": figure_text(results, lang),
        "coverage_sentence": edition.prose(sentence),
        "coverage": {k: names(v) for k, v in results["coverage"].items()},
        "coverage_rows": coverage_rows,
        "figure": (
            results.get("figures", {}).get(lang, "")
            if isinstance(results.get("figures", {}).get(lang, ""), str)
            else results["figures"][lang].get("file", "")
        ),
        "matrix_alt": _("Heat map: for each region, the instruments the sources give a figure for or name without one"),
        "leaders": leaders,
        "national": national,
        "proposals": proposals,
        "sources": sources,
    }


def render_overview(
    results: dict[str, Any], lang: str, *, build_id: str, templates: Path, links: dict[str, bool] | None = None
) -> str:
    """The Quarto-markdown text of the national overview in one language."""
    return (
        environment(lang, templates)
        .get_template("overview.qmd.j2")
        .render(**overview_context(results, lang, build_id=build_id), links=links or ALL_LINKS)
    )
