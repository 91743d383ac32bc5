"""Comparison charts: one figure per briefing section, one panel per ranking in it.

A panel shows exactly the figures its table ranks (one per region, same metric, scope,
period and status class), so a chart never puts a yearly and a total pool, or a target
and an achieved figure, on one axis. Plain matplotlib (seaborn's styling added nothing
but import time), one SVG per section and language.

Deterministic: a fixed SVG hash salt, no date in the metadata, text drawn as paths (the
SVG needs no font, and Chinese never shows as boxes), entries in a fixed order.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from .errors import BriefingsError  # noqa: E402
from .format import holder_name, qualifier_symbol, scaled  # noqa: E402
from .fsutil import atomic_write_bytes  # noqa: E402
from .i18n import gettext_for  # noqa: E402
from .titles import comparison_title, shown_entries  # noqa: E402

CJK_FONT = "Noto Sans CJK SC"
SUBJECT_COLOUR = "#b03a2e"
PEER_COLOUR = "#e6a19a"
OTHER_COLOUR = "#9aa5b1"
INK, MUTED, GRID = "#1d2329", "#5b6570", "#e3e6e9"
WIDTH_IN = 6.3  # A4 text width at 2 cm margins, so labels print at their real size
MAX_SHOWN = 20  # more bars than this do not read at A4 width; the tables list more
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": [CJK_FONT, "DejaVu Sans"],
    "axes.unicode_minus": False,
    "svg.hashsalt": "briefings",
    "svg.fonttype": "path",
    "text.parse_math": False,  # a $ in a label is a dollar sign, never mathtext
    "text.usetex": False,
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 7.5,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "x",
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "svg.id": "briefing-figure",
}


class FontMissingError(BriefingsError):
    exit_code = 1


def ensure_cjk_font() -> str:
    """The CJK font's file, or a clear error with the install command."""
    for font in font_manager.fontManager.ttflist:
        if font.name == CJK_FONT:
            return font.fname
    font_manager.fontManager.__init__()  # the font may have been installed after the cache was built
    for font in font_manager.fontManager.ttflist:
        if font.name == CJK_FONT:
            return font.fname
    raise FontMissingError(
        f"the CJK font {CJK_FONT!r} is not installed, so Chinese labels would print as boxes. "
        "Install it with: apt-get install fonts-noto-cjk (or run make setup as root)"
    )


def _colour(entry: dict[str, Any], macro_region: str) -> str:
    if entry["holder"]["is_subject"]:
        return SUBJECT_COLOUR
    if entry["holder"]["macro_region"] == macro_region:
        return PEER_COLOUR
    return OTHER_COLOUR


def _short(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 or v == int(v) else f"{v:,.2f}".rstrip("0").rstrip(".")


def panel_labels(c: dict[str, Any], lang: str, titles: dict[str, str], instruments: dict[str, Any]) -> dict[str, Any]:
    """Every text of one panel in one language (drawing and text are kept apart)."""
    entries = c["entries"]
    several = len({e.get("instrument") for e in entries}) > 1

    def name(e: dict[str, Any]) -> str:
        text = holder_name(e["holder"], lang)
        if several and e.get("instrument"):
            i = instruments[e["instrument"]]
            text += " · " + (i["label_zh"] if lang == "zh" else i["label_en"])
        return text

    values = [scaled(e["value"], e["unit"], lang, entries) for e in entries]
    return {
        "title": titles[c["id"]],
        "names": [name(e) for e in entries],
        "values": [v for v, _ in values],
        "bar_labels": [f"{qualifier_symbol(e['qualifier'])}{_short(v)}" for e, (v, _) in zip(entries, values)],
        "unit": values[0][1] if values else "",
    }


def draw_section(comparisons: list[dict[str, Any]], lang: str, province: dict[str, Any], titles: dict[str, str],
                 instruments: dict[str, Any]) -> bytes:
    """One SVG: a panel of horizontal bars per ranking, strongest on top, this province highlighted."""
    with plt.rc_context(STYLE):
        fig = section_figure(comparisons, lang, province, titles, instruments)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    return buffer.getvalue()


def section_figure(comparisons: list[dict[str, Any]], lang: str, province: dict[str, Any], titles: dict[str, str],
                   instruments: dict[str, Any]) -> plt.Figure:
    """The matplotlib figure of ``draw_section`` (call inside ``plt.rc_context(STYLE)``)."""
    ensure_cjk_font()
    _ = gettext_for(lang)
    heights = [len(c["entries"]) for c in comparisons]
    fig, axes = plt.subplots(len(comparisons), 1, figsize=(WIDTH_IN, sum(0.32 * h + 0.75 for h in heights) + 0.5),
                             gridspec_kw={"height_ratios": [h + 1.6 for h in heights]}, squeeze=False,
                             layout="constrained")
    for ax, c in zip(axes[:, 0], comparisons):
        labels = panel_labels(c, lang, titles, instruments)
        positions = list(range(len(c["entries"])))
        colours = [_colour(e, province["macro_region"]) for e in c["entries"]]
        ax.barh(positions, labels["values"], color=colours, height=0.6, zorder=2)
        ax.set_yticks(positions, labels["names"])
        ax.invert_yaxis()
        top = max(labels["values"], default=1) or 1
        for y, text in zip(positions, labels["bar_labels"]):
            ax.text(labels["values"][y] + top * 0.015, y, text, va="center", fontsize=7.5, color=INK)
        ax.set_xlim(0, top * 1.2)
        ax.set_xlabel(labels["unit"])
        ax.set_title(labels["title"], color=INK)
        ax.tick_params(axis="y", length=0)
        for tick, e in zip(ax.get_yticklabels(), c["entries"]):
            if e["holder"]["is_subject"]:
                tick.set_fontweight("bold")
                tick.set_color(SUBJECT_COLOUR)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in (SUBJECT_COLOUR, PEER_COLOUR, OTHER_COLOUR)]
    name = province["short_zh"] if lang == "zh" else province["name_en"]
    fig.legend(handles, [name + _(" (and its cities)"), _("same macro-region"), _("other regions")],
               loc="outside lower center", ncol=3, frameon=False, fontsize=7)
    return fig


def charted(results: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """The rankings of a section that are drawn: the same groups as the tables, each with its
    ``MAX_SHOWN`` strongest figures and this province's."""
    drawn = []
    for c in results["comparisons"]:
        if c["section"] == section and c["kind"] == "ranked" and c["charted"]:
            drawn.append({**c, "entries": shown_entries(c["entries"], MAX_SHOWN)})
    return drawn


def draw_figures(results: dict[str, Any], out_dir: Path,
                 languages: tuple[str, ...] = ("zh", "en")) -> dict[str, dict[str, str]]:
    """Draw every chart for one province; returns {section: {lang: file name}}. Each panel's
    title is its table's heading (the same function the documents use)."""
    drawn: dict[str, dict[str, str]] = {}
    sections = sorted({c["section"] for c in results["comparisons"]})
    for section in sections:
        comparisons = charted(results, section)
        if not comparisons:
            continue
        for lang in languages:
            names = {c["id"]: comparison_title(c, results, lang) for c in comparisons}
            svg = draw_section(comparisons, lang, results["province"], names, results["instruments"])
            path = out_dir / f"fig-{section}.{lang}.svg"
            atomic_write_bytes(path, svg)
            drawn.setdefault(section, {})[lang] = path.name
    return drawn
