"""Comparison charts: one figure per briefing section, one panel per ranking in it.

A panel shows exactly the figures its table ranks (one per region, same metric, scope,
period and status class), so a chart never puts a yearly and a total pool, or a target
and an achieved figure, on one axis. Plain matplotlib (seaborn's styling added nothing
but import time), one SVG per section and language.

A chart earns its space: a ranking of fewer than ``MIN_BARS`` regions is left to its
table; the legend names only the colours drawn; each bar says its figure as the table
prints it (the source's qualifier word in Chinese, its symbol in English, no digit grouping
in Chinese), with its status and year in brackets when they differ within its panel:
``200 亿元以上（2025）``, ``≥ CNY 20 billion (2025)``.

Layout is measured, not left to matplotlib's: every title, name and figure is measured in
points as the SVG will draw it, names and titles wrap to the room they have (Chinese between
characters, English between words, by one rule), rows grow with their names, and the
figure is as tall as its content, so no text leaves the figure or runs into another at any
label length (tests/test_figures.py checks every chart). Bar charts are ``WIDTH_IN`` wide
with text of at least ``MIN_FONT_PT``: printed at their size in a PDF, and readable on a
390 px phone (tests/test_pages.py measures it); Chinese labels are never rotated. Each
chart comes with its alt text and caption in each language (``draw_figures``):

    results["figures"][section] = {"zh": "fig-<section>.zh.svg", "en": "fig-<section>.en.svg",
                                   "text": {"zh": {"alt": ..., "caption": ...}, "en": {...}}}

and the overview's heat map the same, without the section level: regions in rows,
instruments in columns (``heatmap_figure``), as wide as its columns need up to A4's text width.

Deterministic: a fixed SVG hash salt, no date in the metadata, text drawn as paths (the
SVG needs no font, and Chinese never shows as boxes), entries in a fixed order.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .errors import BriefingsError
from .format import cjk_spacing, figure, holder_name, scaled
from .fsutil import atomic_write_bytes
from .i18n import (
    gettext_for,
    label,
)
from .titles import comparison_title, shown_entries

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

CJK_FONT = "Noto Sans CJK SC"
SUBJECT_COLOUR = "#b03a2e"
PEER_COLOUR = "#e6a19a"
OTHER_COLOUR = "#9aa5b1"
EMPTY_COLOUR = "#eef0f2"  # the heat map's "neither" cell (its legend key has an edge)
EDGE = "#b9c0c7"
INK, MUTED, GRID, GRID_DARK = "#1d2329", "#5b6570", "#e3e6e9", "#9aa5b1"
#: Width of a bar chart: printed at its size (about three quarters of A4's text width), and
#: on a 390 px phone scaled to about 350 px, where MIN_FONT_PT text is still 9 px high
#: (tests/test_pages.py measures it).
WIDTH_IN = 4.8
MIN_FONT_PT = 9
TITLE_FONT_PT = 9.5
MAX_SHOWN = 20  # more bars than this do not read at A4 width; the tables list more
MIN_BARS = 3  # a ranking of two is read at a glance in its table
#: Latin letters and ≥ ≤ ≈ from DejaVu Sans (the CJK font draws ≥ as ⩾), Chinese from Noto
#: (matplotlib falls back glyph by glyph along this list)
FONT_FAMILY = ["DejaVu Sans", CJK_FONT]
STYLE: dict[RcKeyType, Any] = {
    "font.family": FONT_FAMILY,
    "axes.unicode_minus": False,
    "svg.hashsalt": "briefings",
    "svg.fonttype": "path",
    "text.parse_math": False,  # a $ in a label is a dollar sign, never mathtext
    "text.usetex": False,
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
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
    font_manager.fontManager.__init__()  # type: ignore[misc]  # re-read: the font may have been installed after the cache was built
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


# -- text measured and wrapped as it is drawn --------------------------------------------
@cache
def _measurers() -> tuple[Any, Any]:
    """Two ways to measure text in points: the text-to-path engine the SVG draws with, and
    Agg's (they differ by a few per cent, Agg's bold face the most); a layout takes the wider."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.textpath import TextToPath

    agg: Any = FigureCanvasAgg(Figure(dpi=72))
    return TextToPath(), agg.get_renderer()


@cache
def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of the widest line of ``text`` at ``size`` points."""
    prop = font_manager.FontProperties(family=FONT_FAMILY, size=size, weight="bold" if bold else "normal")
    lines = text.split("\n")
    return float(max(m.get_text_width_height_descent(line, prop, ismath=False)[0] for m in _measurers() for line in lines))


_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
#: a break opportunity before each CJK character, and after a space or a hyphen
_ATOM = re.compile(f"[{_CJK}]|[^\\s{_CJK}-]+-?\\s*|[-\\s]+")
_NO_LINE_START = set("，。、：；！？）」』”’·%),.:;!?]}")
_NO_LINE_END = set("（「『“‘([{")


def _atoms(text: str) -> list[str]:
    """Pieces a line may break between: a CJK character, a word with its space; punctuation
    that may not start a line stays with what precedes it, and an opening bracket with what
    follows it."""
    atoms: list[str] = []
    for atom in _ATOM.findall(text):
        if atoms and (atom.lstrip()[:1] in _NO_LINE_START or atoms[-1].rstrip()[-1:] in _NO_LINE_END):
            atoms[-1] += atom
        else:
            atoms.append(atom)
    return atoms


def wrap(text: str, width: float, size: float, bold: bool = False) -> str:
    """``text`` broken into lines no wider than ``width`` points (measured, so Chinese and
    Latin are set by the same rule); a piece wider than a line is broken between characters."""
    lines: list[str] = []
    line = ""
    for atom in _atoms(" ".join(text.split())):
        if not line or text_width((line + atom).rstrip(), size, bold) <= width:
            line += atom
            continue
        lines.append(line.rstrip())
        line = atom.lstrip()
    lines.append(line.rstrip())
    out: list[str] = []
    for line in lines:  # a single piece too wide for any line: between its characters
        while text_width(line, size, bold) > width and len(line) > 1:
            cut = max(i for i in range(1, len(line)) if text_width(line[:i], size, bold) <= width or i == 1)
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return "\n".join(out)


def _line_height(size: float) -> float:
    return size * LINE_SPACING


def _figure_value(e: dict[str, Any], lang: str) -> str:
    """A figure as its table prints it (the source's qualifier word in Chinese, its symbol in
    English; digits grouped only in English): 最高 2000 万元, ≤ CNY 20 million."""
    return figure(e, lang, style="table")


def panel_labels(c: dict[str, Any], lang: str, titles: dict[str, str], instruments: dict[str, Any]) -> dict[str, Any]:
    """Every text of one panel in one language (drawing and text are kept apart). A bar's
    label is its figure as the table prints it, with its status and year in brackets when
    they differ within the panel: 200 亿元以上（2025）, ≥ CNY 20 billion (2025)."""
    entries = c["entries"]
    several = len({e.get("instrument") for e in entries}) > 1

    def name(e: dict[str, Any]) -> str:
        text = holder_name(e["holder"], lang)
        if several and e.get("instrument"):
            i = instruments[e["instrument"]]
            text += " · " + (i["label_zh"] if lang == "zh" else i["label_en"])
        return text

    statuses = len({e["status"] for e in entries}) > 1
    years = len({e.get("year") for e in entries}) > 1

    def bar_label(e: dict[str, Any]) -> str:
        notes = ([label(e["status"], lang)] if statuses else []) + ([str(e["year"])] if years and e.get("year") else [])
        text = _figure_value(e, lang)
        if not notes:
            return text
        return text + ("（" + "，".join(notes) + "）" if lang == "zh" else " (" + ", ".join(notes) + ")")

    return {
        "title": titles[c["id"]],
        "names": [name(e) for e in entries],
        "values": [scaled(e["value"], e["unit"], lang, entries)[0] for e in entries],
        "bar_labels": [bar_label(e) for e in entries],
    }


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


#: Layout of a bar chart, in points: everything is measured, so no text leaves the figure or
#: runs into another at any label length, and the figure's height follows its content.
PAD = 2.0  # between the figure's edge and any text
LABEL_SHARE = 0.45  # a bar's name takes at most this share of the width (longer names wrap)
LABEL_GAP = 5.0  # between a name and its bar
VALUE_GAP = 3.0  # between a bar and its figure
ROW_GAP = 5.0  # between two bars' rows
TITLE_GAP = 5.0  # between a panel's title and its first bar
PANEL_GAP = 13.0  # between two panels
BAR_SHARE = 0.66  # a bar's thickness, as a share of a one-line row
LINE_SPACING = 1.2


_LEGEND = {"handlelength": 1.4, "handletextpad": 0.5, "columnspacing": 1.6, "borderpad": 0, "borderaxespad": 0}


def _legend_columns(names: list[str], width: float) -> int:
    """As many columns as fit the width (matplotlib's legend units are font sizes)."""
    fs = MIN_FONT_PT
    items = [(_LEGEND["handlelength"] + _LEGEND["handletextpad"]) * fs + text_width(n, fs) for n in names]
    ncol = len(items)
    while ncol > 1 and sum(sorted(items)[-ncol:]) + _LEGEND["columnspacing"] * fs * (ncol - 1) > width - 2 * PAD:
        ncol -= 1
    return ncol


def _legend(fig: Figure, names: list[str], colours: list[str], top: float, width: float, height: float) -> Any:
    """A legend of the colours drawn, in as many columns as fit the width, its top at ``top``
    points from the figure's top."""
    return fig.legend(
        [Rectangle((0, 0), 1, 1, facecolor=c, edgecolor=EDGE if c == EMPTY_COLOUR else c, linewidth=0.6) for c in colours],
        names,
        loc="upper left",
        bbox_to_anchor=(PAD / width, 1 - top / height),
        ncol=_legend_columns(names, width),
        frameon=False,
        fontsize=MIN_FONT_PT,
        labelspacing=LINE_SPACING - 1,
        **_LEGEND,
    )


@cache
def _legend_height_for(names: tuple[str, ...], width: float) -> float:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_svg import RendererSVG

    scratch = Figure(figsize=(width / 72, 4), dpi=72)
    canvas: Any = FigureCanvasAgg(scratch)
    legend = _legend(scratch, list(names), [OTHER_COLOUR] * len(names), 0, width, 4 * 72)
    scratch.draw_without_rendering()  # lays the legend out
    lowest = 4 * 72.0
    svg: Any = RendererSVG
    for renderer in (canvas.get_renderer(), svg(width, 4 * 72, io.StringIO())):
        boxes = [legend.get_window_extent(renderer)] + [t.get_window_extent(renderer) for t in legend.get_texts()]
        lowest = min([lowest] + [b.y0 for b in boxes])
    return 4 * 72 - lowest


def _legend_height(names: list[str], width: float) -> float:
    """The height the legend takes below its top, measured (Chinese glyphs reach lower than
    a Latin line's descent)."""
    with plt.rc_context(STYLE):
        return _legend_height_for(tuple(names), width)


def section_figure(
    comparisons: list[dict[str, Any]], lang: str, province: dict[str, Any], titles: dict[str, str], instruments: dict[str, Any]
) -> Figure:
    """The matplotlib figure of ``draw_section`` (call inside ``plt.rc_context(STYLE)``):
    ``WIDTH_IN`` wide, as tall as its panels. Each panel: its title (wrapped to the width),
    then one row per region: the name (wrapped to ``LABEL_SHARE`` of the width), the bar, and
    the figure as the table prints it. No axis: each bar says its figure."""
    ensure_cjk_font()
    _ = gettext_for(lang)
    fs, tfs = MIN_FONT_PT, TITLE_FONT_PT
    width = WIDTH_IN * 72
    parts: list[tuple[dict[str, Any], dict[str, Any], str, list[bool]]] = []
    for c in comparisons:
        labels = panel_labels(c, lang, titles, instruments)
        title = wrap(labels["title"], width - 2 * PAD, tfs, bold=True)
        bold = [e["holder"]["is_subject"] for e in c["entries"]]  # this province's names are set bold
        parts.append((c, labels, title, bold))
    # one column of names for every panel (the bars start at one place), as wide as the
    # widest name up to LABEL_SHARE of the width; a longer name wraps
    natural = max((text_width(n, fs, b) for _c, labels, _t, bolds in parts for n, b in zip(labels["names"], bolds)), default=0.0)
    column = min(natural, LABEL_SHARE * width)
    wrapped = [[wrap(n, column, fs, b) for n, b in zip(labels["names"], bolds)] for _c, labels, _t, bolds in parts]
    label_width = max((text_width(n, fs, b) for names, p in zip(wrapped, parts) for n, b in zip(names, p[3])), default=0.0)
    panels = [
        (c, labels, title, names, label_width, [max(1, n.count("\n") + 1) * _line_height(fs) + ROW_GAP for n in names])
        for (c, labels, title, _b), names in zip(parts, wrapped)
    ]
    name = province["short_zh"] if lang == "zh" else province["name_en"]
    legend_names = {
        # a municipality has districts (and development zones), not cities
        SUBJECT_COLOUR: name + (_(" (and its districts)") if province.get("is_municipality") else _(" (and its cities)")),
        PEER_COLOUR: _("same macro-region"),
        OTHER_COLOUR: _("other regions"),
    }
    used = {_colour(e, province["macro_region"]) for c in comparisons for e in c["entries"]}
    drawn = [colour for colour in legend_names if colour in used]  # a legend only for what is drawn
    legend = [legend_names[c] for c in drawn]
    heights = [(t.count("\n") + 1) * _line_height(tfs) + TITLE_GAP + sum(r) for _c, _l, t, _n, _w, r in panels]
    height = PAD + sum(heights) + PANEL_GAP * len(panels) + _legend_height(legend, width) + PAD
    fig = plt.figure(figsize=(WIDTH_IN, height / 72))
    top = PAD
    for (c, labels, title, names, label_width, rows), panel_height in zip(panels, heights):
        title_height = (title.count("\n") + 1) * _line_height(tfs)
        bars_top = top + title_height + TITLE_GAP
        left = PAD + label_width + LABEL_GAP
        plot_width = width - left - PAD
        bars_height = sum(rows)
        ax = fig.add_axes((left / width, 1 - (bars_top + bars_height) / height, plot_width / width, bars_height / height))
        centres = [sum(rows[:i]) + rows[i] / 2 for i in range(len(rows))]
        values = labels["values"]
        # the scale leaves room for each bar's figure to its right
        room = [(v, text_width(t, fs) + VALUE_GAP) for v, t in zip(values, labels["bar_labels"])]
        top_value = max(values, default=1) or 1
        xmax = max([top_value] + [v * plot_width / max(plot_width - r, plot_width * 0.2) for v, r in room])
        colours = [_colour(e, province["macro_region"]) for e in c["entries"]]
        bar = BAR_SHARE * (_line_height(fs) + ROW_GAP)
        ax.barh(centres, values, height=bar, color=colours, zorder=2)
        ax.set_xlim(0, xmax)
        ax.set_ylim(bars_height, 0)
        ax.axis("off")
        ax.axvline(0, color=GRID_DARK, linewidth=0.8, zorder=3)
        ax.set_title(
            title,
            loc="left",
            x=-(left - PAD) / plot_width,
            y=1 + TITLE_GAP / bars_height,
            pad=0,
            va="bottom",
            color=INK,
            fontsize=tfs,
            fontweight="bold",
            linespacing=LINE_SPACING,
        )
        for y, e, n in zip(centres, c["entries"], names):
            ax.text(
                -LABEL_GAP / plot_width,
                y,
                n,
                transform=ax.get_yaxis_transform(),
                ha="right",
                va="center",
                fontsize=fs,
                linespacing=LINE_SPACING,
                color=SUBJECT_COLOUR if e["holder"]["is_subject"] else INK,
                fontweight="bold" if e["holder"]["is_subject"] else "normal",
            )
        for y, v, t in zip(centres, values, labels["bar_labels"]):
            ax.annotate(t, (v, y), xytext=(VALUE_GAP, 0), textcoords="offset points", va="center", fontsize=fs, color=INK)
        top += panel_height + PANEL_GAP
    _legend(fig, legend, drawn, top, width, height)
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
        mine = [(e, i) for i, e in enumerate(c["entries"]) if e["holder"]["is_subject"]]
        # where the province stands, unless it leads (the lead is said already)
        if mine and mine[0][1] > 0:
            e, i = mine[0]
            where = _("%(name)s ranks %(rank)s of %(n)s") % {"name": labels["names"][i], "rank": e["rank"], "n": c["n_regions"]}
        else:
            where = ""
        text = _("%(title)s: %(n)s regions, %(lead)s first with %(value)s") % {
            "title": titles[c["id"]],
            "n": len(c["entries"]),
            "lead": labels["names"][0],
            "value": labels["bar_labels"][0],
        }
        described.append(text + ((_("; ") + where) if where else ""))
        drawn.append(_("%(title)s (%(n)s regions)") % {"title": titles[c["id"]], "n": len(c["entries"])})
    alt = _("Bar chart, one panel per ranking, %(name)s highlighted. ") % {"name": name} + _("; ").join(described) + _(".")
    if lang == "zh":  # 为最高 500 万元, 为 2000 万元: the one spacing rule of the Chinese pages
        alt = cjk_spacing(alt)
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


#: The heat map, in points: one row per region (its name across, wrapped), one column per
#: instrument (its name upright above it: Chinese stacked a character a line, never
#: rotated; English turned a quarter, read from below).
CELL_WIDTH = 12.5  # narrowed down to MIN_CELL_WIDTH when the map would be wider than MAX_WIDTH
MIN_CELL_WIDTH = 11.0  # a column still clears its upright name
MAX_WIDTH = 17 / 2.54 * 72  # A4's text width: wider would be scaled down in print
ROW_LABEL_MAX = 110.0  # a region's name wraps beyond this width
HEAT_COLOURS = (EMPTY_COLOUR, PEER_COLOUR, SUBJECT_COLOUR)  # neither, named without a figure, with a figure
#: Chinese brackets and dashes in their vertical forms, for names set a character a line
_VERTICAL = str.maketrans({"（": "︵", "）": "︶", "(": "︵", ")": "︶", "—": "︱", "-": "︱", "、": "︑", "，": "︐"})


def _upright(text: str) -> str:
    """A Chinese name set a character a line (a Latin word kept whole on its line)."""
    pieces = re.findall(r"[A-Za-z0-9+]+|\S", text.translate(_VERTICAL))
    return "\n".join(pieces)


def heatmap_figure(results: dict[str, Any], lang: str) -> Figure:
    """The matplotlib figure of ``heatmap_svg`` (call inside ``plt.rc_context(STYLE)``): its
    size follows the number of regions and instruments and the length of their names."""
    from matplotlib.colors import ListedColormap

    from .titles import instrument_label

    ensure_cjk_font()
    _ = gettext_for(lang)
    fs, tfs = MIN_FONT_PT, TITLE_FONT_PT
    rows = results["matrix"]
    instruments = [instrument_label(results, i, lang) for i in results["instrument_order"]]
    regions = [wrap(r["name_zh" if lang == "zh" else "name_en"], ROW_LABEL_MAX, fs) for r in rows]
    columns = [_upright(i) if lang == "zh" else i for i in instruments]
    if lang == "zh":  # stacked: as tall as its characters
        header = max((len(c.split("\n")) * fs * 1.08 for c in columns), default=fs)
    else:  # turned a quarter: as tall as the name is long
        header = max((text_width(c, fs) for c in columns), default=fs)
    label_width = max((text_width(n, fs) for n in regions), default=fs)
    left = PAD + label_width + LABEL_GAP
    cell = max(MIN_CELL_WIDTH, min(CELL_WIDTH, (MAX_WIDTH - left - PAD) / max(len(columns), 1)))
    grid_width = cell * max(len(columns), 1)
    row_heights = [max(1, n.count("\n") + 1) * _line_height(fs) + 3 for n in regions] or [_line_height(fs)]
    grid_height = sum(row_heights)
    legend = [_("with a figure"), _("named without a figure"), _("not in the sources")]
    width = max(left + grid_width + PAD, 3 * 72)
    title = wrap(_("Which region has which instrument"), width - 2 * PAD, tfs, bold=True)
    title_height = (title.count("\n") + 1) * _line_height(tfs)
    grid_top = PAD + title_height + TITLE_GAP + header + 3
    height = grid_top + grid_height + PANEL_GAP / 2 + _legend_height(legend, width) + PAD
    fig = plt.figure(figsize=(width / 72, height / 72))
    ax = fig.add_axes((left / width, 1 - (grid_top + grid_height) / height, grid_width / width, grid_height / height))
    edges = [0.0]
    for h in row_heights:
        edges.append(edges[-1] + h)
    values = [r["cells"] for r in rows] if rows else [[0] * len(columns)]
    ax.pcolormesh(
        range(len(columns) + 1),
        edges,
        values,
        cmap=ListedColormap(list(HEAT_COLOURS)),
        vmin=0,
        vmax=2,
        edgecolors="white",
        linewidth=1.2,
    )
    ax.set_xlim(0, len(columns))
    ax.set_ylim(grid_height, 0)
    ax.axis("off")
    for y0, y1, name in zip(edges, edges[1:], regions):
        ax.text(
            -LABEL_GAP / grid_width,
            (y0 + y1) / 2,
            name,
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=fs,
            linespacing=LINE_SPACING,
            color=INK,
        )
    for x, name in enumerate(columns):
        ax.annotate(
            name,
            (x + 0.5, 0),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=fs,
            color=INK,
            rotation=0 if lang == "zh" else 90,
            linespacing=1.0 if lang == "zh" else LINE_SPACING,
            rotation_mode="anchor" if lang == "zh" else "default",
        )
    fig.text(
        PAD / width,
        1 - PAD / height,
        title,
        ha="left",
        va="top",
        fontsize=tfs,
        fontweight="bold",
        color=INK,
        linespacing=LINE_SPACING,
    )
    _legend(fig, legend, list(reversed(HEAT_COLOURS)), grid_top + grid_height + PANEL_GAP / 2, width, height)
    return fig


def heatmap_svg(results: dict[str, Any], lang: str) -> bytes:
    """The overview's region x instrument matrix as an SVG: regions in rows, instruments in
    columns, a legend key for each of the three states (``heatmap_figure``)."""
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig = heatmap_figure(results, lang)
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
    alt = _("Heat map of regions (rows) by instrument (columns). ") + _("; ").join(parts) + _(".")
    caption = _("Dark: the sources give a figure for the instrument; light: they name it without a figure; grey: neither.")
    return {"alt": alt, "caption": caption}
