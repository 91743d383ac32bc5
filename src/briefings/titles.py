"""Headings of comparisons and the rows they show, shared by the tables (documents) and the
chart panels (figures).

Kept apart from ``document.py`` because the figures, drawn in the analysis, print them too:
their wording is an analysis input (``manifest.figure_msgids``).
"""

from __future__ import annotations

from typing import Any

from .i18n import gettext_for, label

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)


def shown_entries(entries: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The ``limit`` strongest entries (already ranked), plus this province's beyond them."""
    return entries[:limit] + [e for e in entries[limit:] if e["holder"]["is_subject"]]


def metric_label(results: dict[str, Any], metric: str, lang: str) -> str:
    m = results["metrics"][metric]
    text: str = m["label_zh"] if lang == "zh" else m["label_en"]
    return text


def instrument_label(results: dict[str, Any], instrument: str, lang: str) -> str:
    i = results["instruments"][instrument]
    text: str = i["label_zh"] if lang == "zh" else i["label_en"]
    return text


#: Statuses as a heading says them (plural in English): "2025 targets", "2025 年目标".
STATUS_HEADINGS = {
    "target": ("目标", "targets"),
    "projection": ("预计", "projections"),
    "baseline": ("已实现", "achieved figures"),
    "policy": ("已出台政策", "enacted policies"),
    "proposal": ("提案", "proposals"),
}


def comparison_title(c: dict[str, Any], results: dict[str, Any], lang: str) -> str:
    """A comparison's heading as a phrase: "Total compute: 2025 targets, province-level regions",
    "券类工具单个对象资助上限（算力券、训力券）：已出台政策（城市）"."""
    _ = gettext_for(lang)
    zh = lang == "zh"
    what = metric_label(results, c["metric"], lang)
    instruments = sorted({e["instrument"] for e in c["entries"] + c["also"] if e.get("instrument")})
    if instruments and c["section"] == "vouchers":
        names = ("、" if zh else ", ").join(instrument_label(results, i, lang) for i in instruments)
        if what.endswith("）" if zh else ")"):  # the label has its own bracket: one pair, not two
            what = what[:-1] + (f"；{names}）" if zh else f"; {names})")
        else:
            what += f"（{names}）" if zh else f" ({names})"
    status = STATUS_HEADINGS.get(c["status"], (label(c["status"], "zh"), label(c["status"], "en")))[0 if zh else 1]
    if c.get("year") is not None:
        status = f"{c['year']} 年{status}" if zh else f"{c['year']} {status}"
    if c["period"] and results["metrics"][c["metric"]]["period"] == "any":
        status += ("，" if zh else ", ") + label(c["period"], lang)
    level = ""
    if c.get("kind") != "alone":
        districts = any(e["holder"].get("level") == "district" for e in c["entries"])
        level = (
            _("province-level regions")
            if c.get("level") == "province"
            else (_("cities and districts") if districts else _("cities"))
        )
    if zh:
        return f"{what}：{status}" + (f"（{level}）" if level else "")
    title = f"{what}: {status}" + (f", {level}" if level else "")
    return title[:1].upper() + title[1:]
