"""Comparison charts: one figure per briefing section, one panel per ranking in it.

A panel shows exactly the figures its table ranks (one per region, same metric, scope,
period and status class), so a chart never puts a yearly and a total pool, or a target
and an achieved figure, on one axis. Plain matplotlib (seaborn's styling added nothing
but import time), one SVG per section and language.

A chart earns its space: a ranking of fewer than ``MIN_BARS`` regions is left to its
table; the legend names only the colours drawn; a bar says its status and year when they
differ within its panel. Charts are drawn at ``WIDTH_IN`` with text of at least
``MIN_FONT_PT``, so labels stay readable on a 390 px phone (tests/test_pages.py measures
it) and print at their size; Chinese labels are never rotated. Each chart comes with its
alt text and caption in each language (``draw_figures``):

    results["figures"][section] = {"zh": "fig-<section>.zh.svg", "en": "fig-<section>.en.svg",
                                   "text": {"zh": {"alt": ..., "caption": ...}, "en": {...}}}

and the overview's heat map the same, without the section level.

Deterministic: a fixed SVG hash salt, no date in the metadata, text drawn as paths (the
SVG needs no font, and Chinese never shows as boxes), entries in a fixed order.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager, ticker
from matplotlib.patches import Rectangle

from .errors import BriefingsError
from .format import holder_name, qualifier_symbol, scaled
from .fsutil import atomic_write_bytes
from .i18n import (
    gettext_for,
    label,
)
from .titles import comparison_title, shown_entries

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

CJK_FONT = "Noto Sans CJK SC"
SUBJECT_COLOUR = "#b03a2e"
PEER_COLOUR = "#e6a19a"
OTHER_COLOUR = "#9aa5b1"
INK, MUTED, GRID = "#1d2329", "#5b6570", "#e3e6e9"
#: Width of a chart: printed at its size (inside A4's text width), and on a phone scaled to
#: about 350 px, where MIN_FONT_PT text is still about 10 px high.
WIDTH_IN = 4.0
MIN_FONT_PT = 8
MAX_SHOWN = 20  # more bars than this do not read at A4 width; the tables list more
MIN_BARS = 3  # a ranking of two is read at a glance in its table
STYLE: dict[RcKeyType, Any] = {
    # Latin letters and ≥ ≤ ≈ from DejaVu Sans (the CJK font draws ≥ as ⩾), Chinese from Noto
    # (matplotlib falls back glyph by glyph along this list)
    "font.family": ["DejaVu Sans", CJK_FONT],
    "axes.unicode_minus": False,
    "svg.hashsalt": "briefings",
    "svg.fonttype": "path",
    "text.parse_math": False,  # a $ in a label is a dollar sign, never mathtext
    "text.usetex": False,
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
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
    # the font may have been installed after the cache was built: rebuild the shared font list in place
    font_manager.fontManager.__init__()  # type: ignore[misc]  # the instance is matplotlib's FontManager
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
    statuses = len({e["status"] for e in entries}) > 1
    years = len({e.get("year") for e in entries}) > 1

    def bar_label(e: dict[str, Any], v: float) -> str:
        text = f"{qualifier_symbol(e['qualifier'])}{_short(v)}"
        notes = ([label(e["status"], lang)] if statuses else []) + ([str(e["year"])] if years and e.get("year") else [])
        return text + (" · " + " ".join(notes) if notes else "")

    return {
        "title": titles[c["id"]],
        "names": [name(e) for e in entries],
        "values": [v for v, _ in values],
        "bar_labels": [bar_label(e, v) for e, (v, _) in zip(entries, values)],
        "unit": values[0][1] if values else "",
    }


def _wrap(text: str, lang: str, width: int) -> str:
    """A label on lines of about ``width`` characters (Chinese counts double), never rotated."""
    if lang == "zh":
        return "\n".join(text[i : i + width // 2] for i in range(0, len(text), max(1, width // 2)))
    return "\n".join(textwrap.wrap(text, width)) or text


def draw_section(
    comparisons: list[dict[str, Any]], lang: str, province: dict[str, Any], titles: dict[str, str], instruments: dict[str, Any]
) -> bytes:
    """One SVG: a panel of horizontal bars per ranking, strongest on top, this province highlighted."""
    with plt.rc_context(STYLE):
        fig = section_figure(comparisons, lang, province, titles, instruments)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    return buffer.getvalue()


def section_figure(
    comparisons: list[dict[str, Any]], lang: str, province: dict[str, Any], titles: dict[str, str], instruments: dict[str, Any]
) -> Figure:
    """The matplotlib figure of ``draw_section`` (call inside ``plt.rc_context(STYLE)``)."""
    ensure_cjk_font()
    _ = gettext_for(lang)
    used: set[str] = set()
    heights = [len(c["entries"]) for c in comparisons]
    fig, axes = plt.subplots(
        len(comparisons),
        1,
        figsize=(WIDTH_IN, sum(0.34 * h + 0.8 for h in heights) + 0.5),
        gridspec_kw={"height_ratios": [h + 1.6 for h in heights]},
        squeeze=False,
        layout="constrained",
    )
    for ax, c in zip(axes[:, 0], comparisons):
        labels = panel_labels(c, lang, titles, instruments)
        positions = list(range(len(c["entries"])))
        colours = [_colour(e, province["macro_region"]) for e in c["entries"]]
        ax.barh(positions, labels["values"], color=colours, height=0.6, zorder=2)
        used.update(colours)
        ax.set_yticks(positions, [_wrap(n, lang, 22) for n in labels["names"]])
        ax.invert_yaxis()
        top = max(labels["values"], default=1) or 1
        for y, text in zip(positions, labels["bar_labels"]):
            ax.text(labels["values"][y] + top * 0.015, y, text, va="center", fontsize=MIN_FONT_PT, color=INK)
        longest = max((len(t) for t in labels["bar_labels"]), default=4)
        ax.set_xlim(0, top * (1.25 + 0.035 * max(0, longest - 5)))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(4))
        ax.set_xlabel(labels["unit"])
        ax.set_title(_wrap(labels["title"], lang, 60), color=INK)
        ax.tick_params(axis="y", length=0)
        for tick, e in zip(ax.get_yticklabels(), c["entries"]):
            if e["holder"]["is_subject"]:
                tick.set_fontweight("bold")
                tick.set_color(SUBJECT_COLOUR)
    name = province["short_zh"] if lang == "zh" else province["name_en"]
    names = {SUBJECT_COLOUR: name + _(" (and its cities)"), PEER_COLOUR: _("same macro-region"), OTHER_COLOUR: _("other regions")}
    drawn = [colour for colour in names if colour in used]  # a legend only for what is drawn
    fig.legend(
        [Rectangle((0, 0), 1, 1, color=colour) for colour in drawn],
        [names[c] for c in drawn],
        loc="outside lower center",
        ncol=len(drawn),
        frameon=False,
        fontsize=MIN_FONT_PT,
    )
    return fig


def charted(results: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """The rankings of a section that are drawn: the same groups as the tables, each with its
    ``MAX_SHOWN`` strongest figures and this province's; a ranking of fewer than
    ``MIN_BARS`` regions is left to its table."""
    drawn = []
    for c in results["comparisons"]:
        if c["section"] == section and c["kind"] == "ranked" and c["charted"]:
            entries = shown_entries(c["entries"], MAX_SHOWN)
            if len(entries) >= MIN_BARS:
                drawn.append({**c, "entries": entries})
    return drawn


def chart_text(
    comparisons: list[dict[str, Any]],
    lang: str,
    province: dict[str, Any],
    titles: dict[str, str],
    instruments: dict[str, Any],
    left_out: int = 0,
) -> dict[str, str]:
    """The alt text (what the chart shows: who leads each panel, where the province stands)
    and the caption (what is drawn) of one section's chart."""
    _ = gettext_for(lang)
    name = province["short_zh"] if lang == "zh" else province["name_en"]
    described, drawn = [], []
    for c in comparisons:
        labels = panel_labels(c, lang, titles, instruments)
        unit = labels["unit"]
        lead = labels["names"][0]
        value = f"{labels['bar_labels'][0]} {unit}".strip()
        mine = [(e, i) for i, e in enumerate(c["entries"]) if e["holder"]["is_subject"]]
        if mine:
            e, i = mine[0]
            where = _("%(name)s ranks %(rank)s of %(n)s") % {"name": labels["names"][i], "rank": e["rank"], "n": c["n_regions"]}
        else:
            where = ""
        text = _("%(title)s: %(n)s regions, %(lead)s first with %(value)s") % {
            "title": titles[c["id"]],
            "n": len(c["entries"]),
            "lead": lead,
            "value": value,
        }
        described.append(text + ((_("; ") + where) if where else ""))
        drawn.append(_("%(title)s (%(n)s regions)") % {"title": titles[c["id"]], "n": len(c["entries"])})
    alt = _("Bar chart, one panel per ranking, %(name)s highlighted. ") % {"name": name} + _("; ").join(described) + _(".")
    caption = _("Drawn: %(panels)s.") % {"panels": _("; ").join(drawn)}
    if left_out:
        caption += _(" Rankings of fewer than three regions are in the tables only.")
    return {"alt": alt, "caption": caption}


def draw_figures(results: dict[str, Any], out_dir: Path, languages: tuple[str, ...] = ("zh", "en")) -> dict[str, dict[str, Any]]:
    """Draw every chart for one province; returns {section: {lang: file name, "text": {lang:
    {"alt", "caption"}}}}. Each panel's title is its table's heading (the same function the
    documents use)."""
    drawn: dict[str, dict[str, Any]] = {}
    sections = sorted({c["section"] for c in results["comparisons"]})
    for section in sections:
        comparisons = charted(results, section)
        if not comparisons:
            continue
        ranked = sum(1 for c in results["comparisons"] if c["section"] == section and c["kind"] == "ranked" and c["charted"])
        for lang in languages:
            names = {c["id"]: comparison_title(c, results, lang) for c in comparisons}
            svg = draw_section(comparisons, lang, results["province"], names, results["instruments"])
            path = out_dir / f"fig-{section}.{lang}.svg"
            atomic_write_bytes(path, svg)
            drawn.setdefault(section, {})[lang] = path.name
            drawn[section].setdefault("text", {})[lang] = chart_text(
                comparisons, lang, results["province"], names, results["instruments"], ranked - len(comparisons)
            )
    return drawn


def heatmap_svg(results: dict[str, Any], lang: str) -> bytes:
    """The overview's region x instrument matrix as an SVG: instruments in rows (their labels
    horizontal), regions in columns (Chinese names upright, stacked when a column is narrow)."""
    from matplotlib.colors import ListedColormap

    from .titles import instrument_label

    ensure_cjk_font()
    _ = gettext_for(lang)
    rows = results["matrix"]
    instruments = [instrument_label(results, i, lang) for i in results["instrument_order"]]
    regions = [r["name_zh" if lang == "zh" else "name_en"] for r in rows]
    values = [[r["cells"][i] for r in rows] for i in range(len(instruments))] if rows else [[0] for _i in instruments]
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.36 * max(len(instruments), 3) + 1.6), layout="constrained")
        cmap = ListedColormap(["#f4f4f4", "#e6a19a", "#b03a2e"])
        ax.imshow(values, cmap=cmap, vmin=0, vmax=2, aspect="auto")
        ax.set_yticks(range(len(instruments)), [_wrap(i, lang, 24) for i in instruments])
        column_chars = max(2, int(24 / max(len(regions), 1)))  # about how many characters fit over a column
        if lang == "zh":
            names = [n if len(n) * 2 <= column_chars * 2 else "\n".join(n) for n in regions]
            ax.set_xticks(range(len(regions)), names)
        else:
            fits = all(len(n) <= column_chars * 2 for n in regions)
            ax.set_xticks(range(len(regions)), regions, rotation=0 if fits else 45, ha="center" if fits else "right")
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        ax.set_xticks([x - 0.5 for x in range(1, len(regions))], minor=True)
        ax.set_yticks([y - 0.5 for y in range(1, len(instruments))], minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.set_title(_("Which region has which instrument"), loc="left")
        handles = [Rectangle((0, 0), 1, 1, color=c) for c in ("#b03a2e", "#e6a19a")]
        fig.legend(
            handles,
            [_("with a figure"), _("named without a figure")],
            loc="outside lower center",
            ncol=2,
            frameon=False,
            fontsize=MIN_FONT_PT,
        )
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    return buffer.getvalue()


def heatmap_text(results: dict[str, Any], lang: str) -> dict[str, str]:
    """Alt text (each region's instruments, with or without a figure) and caption of the heat map."""
    from .titles import instrument_label

    _ = gettext_for(lang)
    sep = "、" if lang == "zh" else ", "
    parts = []
    for r in results["matrix"]:
        with_figure = [instrument_label(results, i, lang) for i, v in zip(results["instrument_order"], r["cells"]) if v == 2]
        named = [instrument_label(results, i, lang) for i, v in zip(results["instrument_order"], r["cells"]) if v == 1]
        bits = ([_("with a figure: %(list)s") % {"list": sep.join(with_figure)}] if with_figure else []) + (
            [_("named without a figure: %(list)s") % {"list": sep.join(named)}] if named else []
        )
        parts.append(r["name_zh" if lang == "zh" else "name_en"] + _(": ") + _("; ").join(bits))
    alt = _("Heat map of instruments (rows) by region (columns). ") + _("; ").join(parts) + _(".")
    caption = _("Dark: the sources give a figure for the instrument; light: they name it without a figure; grey: neither.")
    return {"alt": alt, "caption": caption}
