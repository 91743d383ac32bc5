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


def comparison_title(c: dict[str, Any], results: dict[str, Any], lang: str) -> str:
    """ "Cap per recipient of a voucher · compute voucher / training voucher · policy · cities"."""
    _ = gettext_for(lang)
    parts = [metric_label(results, c["metric"], lang)]
    instruments = sorted({e["instrument"] for e in c["entries"] + c["also"] if e.get("instrument")})
    if instruments and c["section"] == "vouchers":
        parts.append(("、" if lang == "zh" else " / ").join(instrument_label(results, i, lang) for i in instruments))
    if c["period"] and results["metrics"][c["metric"]]["period"] == "any":
        parts.append(label(c["period"], lang))
    status = label(c["status"], lang)
    if c.get("year") is not None:
        status += f" {c['year']}" if lang == "en" else f" {c['year']} 年"
    parts.append(status)
    if c.get("kind") != "alone":
        parts.append(_("province-level regions") if c.get("level") == "province" else _("cities"))
    title = ("·" if lang == "zh" else " · ").join(parts)  # Chinese sets the middle dot without spaces
    return title[:1].upper() + title[1:]
