"""Comparison charts (seaborn), one SVG per chart and language.

Deterministic: a fixed SVG hash salt, no date in the metadata, text drawn as paths (so
the SVG needs no font to display and Chinese never shows as boxes), and entries in a
fixed order. The same inputs give the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from .errors import BriefingsError  # noqa: E402
from .fsutil import atomic_write_bytes  # noqa: E402
from .format import holder_name, qualifier_symbol, scaled  # noqa: E402
from .i18n import gettext_for, label  # noqa: E402

CJK_FONT = "Noto Sans CJK SC"
SUBJECT_COLOUR = "#c0392b"
PEER_COLOUR = "#e6a19a"
OTHER_COLOUR = "#9aa5b1"
NATIONAL_COLOUR = "#34495e"
WIDTH_IN = 6.3  # A4 text width at 2 cm margins, so labels print at their real size
MAX_SHOWN = 20  # more bars than this do not read at A4 width; the tables list them all
STATUS_MARKERS = {"target": "o", "projection": "D", "baseline": "s", "policy": "^", "proposal": "v"}


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


def _style() -> None:
    ensure_cjk_font()
    sns.set_theme(style="whitegrid", context="paper")
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [CJK_FONT, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.hashsalt": "briefings",
        "svg.fonttype": "path",
        "text.parse_math": False,  # a $ in a label is a dollar sign, never mathtext
        "text.usetex": False,
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "xtick.labelsize": 7.5,
        "ytick.labelsize": 7.5,
    })
    if "svg.id" in plt.rcParams:
        plt.rcParams["svg.id"] = "briefing-figure"


def _save(fig: plt.Figure, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())


def _colour(entry: dict[str, Any], macro_region: str) -> str:
    if entry["holder"]["is_subject"]:
        return SUBJECT_COLOUR
    if entry["holder"]["macro_region"] == macro_region:
        return PEER_COLOUR
    return OTHER_COLOUR


def _bar_panel(ax: plt.Axes, entries: list[dict[str, Any]], lang: str, macro_region: str, label_of) -> None:
    """Horizontal bars, strongest on top, value labels with qualifier symbols."""
    unit_value = [scaled(e["value"], e["unit"], lang, entries) for e in entries]
    names = [label_of(e) for e in entries]
    colours = [_colour(e, macro_region) for e in entries]
    positions = list(range(len(entries)))
    ax.barh(positions, [v for v, _ in unit_value], color=colours, height=0.62)
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    top = max((v for v, _ in unit_value), default=1) or 1
    for y, e, (v, _) in zip(positions, entries, unit_value):
        text = f"{qualifier_symbol(e['qualifier'])}{_short(v)}"
        ax.text(v + top * 0.015, y, text, va="center", fontsize=7.5)
    ax.set_xlim(0, top * 1.18)
    ax.set_xlabel(unit_value[0][1] if unit_value else "")
    for tick, e in zip(ax.get_yticklabels(), entries):
        if e["holder"]["is_subject"]:
            tick.set_fontweight("bold")
            tick.set_color(SUBJECT_COLOUR)


def largest(entries: list[dict[str, Any]], limit: int = MAX_SHOWN) -> list[dict[str, Any]]:
    """The ``limit`` largest entries (already sorted), plus this province's beyond them."""
    return entries[:limit] + [e for e in entries[limit:] if e["holder"]["is_subject"]]


def _title(ax: plt.Axes, title: str, shown: int, total: int, lang: str) -> None:
    _ = gettext_for(lang)
    if shown < total:
        title += "\n" + _("{shown} of {total} shown (the largest, and this province); the tables list all").format(shown=shown, total=total)
    ax.set_title(title, loc="left")


def _short(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 or v == int(v) else f"{v:,.2f}".rstrip("0").rstrip(".")


def _legend(fig: plt.Figure, lang: str, subject_name: str, extra_handles: list | None = None, extra_names: list | None = None) -> None:
    extra_handles, extra_names = extra_handles or [], extra_names or []
    _ = gettext_for(lang)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=SUBJECT_COLOUR),
        plt.Rectangle((0, 0), 1, 1, color=PEER_COLOUR),
        plt.Rectangle((0, 0), 1, 1, color=OTHER_COLOUR),
    ]
    names = [subject_name + _(" (and its cities)"), _("same macro-region"), _("other regions")]
    fig.legend(handles + extra_handles, names + extra_names, loc="outside lower center", ncol=min(4, 3 + len(extra_names)),
               frameon=False, fontsize=7)


def funds_figure(entries: list[dict[str, Any]], lang: str, province: dict[str, Any], path: Path) -> Path | None:
    """Every AI fund the sources report, this province highlighted."""
    if not entries:
        return None
    _style()
    _ = gettext_for(lang)
    shown = largest(entries)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.45 * len(shown) + 1.3), layout="constrained")
    _bar_panel(ax, shown, lang, province["macro_region"], lambda e: holder_name(e["holder"], lang))
    _title(ax, _("AI industry funds by size (policy figures)"), len(shown), len(entries), lang)
    _legend(fig, lang, _province_name(province, lang))
    _save(fig, path)
    return path


def vouchers_figure(pools: list[dict[str, Any]], per_recipient: list[dict[str, Any]], lang: str, province: dict[str, Any], path: Path) -> Path | None:
    """Voucher pools (per year and in total kept apart) and amounts per recipient."""
    panels = [(largest(p), len(p), t) for p, t in ((pools, "pools"), (per_recipient, "per_recipient")) if p]
    if not panels:
        return None
    _style()
    _ = gettext_for(lang)
    heights = [len(p) for p, _n, _t in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(WIDTH_IN, 0.42 * sum(heights) + 1.6 * len(panels)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False, layout="constrained")
    titles = {
        "pools": _("Voucher pools: how much an instrument may pay out"),
        "per_recipient": _("Per recipient: caps and grants"),
    }
    for ax, (entries, total, kind) in zip(axes[:, 0], panels):
        _bar_panel(ax, entries, lang, province["macro_region"], lambda e: _instrument_label(e, lang))
        _title(ax, titles[kind], len(entries), total, lang)
    _legend(fig, lang, _province_name(province, lang))
    _save(fig, path)
    return path


def _instrument_label(e: dict[str, Any], lang: str) -> str:
    sep = "·"
    period = f" ({label(e['period'], lang)})" if e["period"] else ""
    return f"{holder_name(e['holder'], lang)} {sep} {label(e['instrument'], lang)}{period}"


def compute_figure(entries: list[dict[str, Any]], national: list[dict[str, Any]], lang: str, province: dict[str, Any], path: Path) -> Path | None:
    """Compute capacity by target year, on a log scale; marker shape gives the status."""
    dated = sorted((e for e in entries if e["year"] is not None and e["value"]),
                   key=lambda e: (-e["value"], e["holder"]["code"], e["measure_id"]))
    regional = largest(dated)
    points = regional + [e for e in national if e["year"] is not None and e["value"]]
    if not points:
        return None
    _style()
    _ = gettext_for(lang)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.8), layout="constrained")
    for e in sorted(points, key=lambda e: (e["year"], e["value"], e["measure_id"])):
        eflops = e["value"] / 1e18
        is_national = e["holder"]["level"] == "country"
        colour = NATIONAL_COLOUR if is_national else _colour(e, province["macro_region"])
        ax.scatter(e["year"], eflops, marker=STATUS_MARKERS.get(e["status"], "o"), s=46, color=colour, zorder=3,
                   edgecolor="white", linewidth=0.6)
        name = _("China") if is_national else holder_name(e["holder"], lang)
        ax.annotate(f"{name} {qualifier_symbol(e['qualifier'])}{_short(eflops)}", (e["year"], eflops),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=7,
                    fontweight="bold" if e["holder"]["is_subject"] else "normal",
                    color=SUBJECT_COLOUR if e["holder"]["is_subject"] else "#222222")
    ax.set_yscale("log")
    years = sorted({e["year"] for e in points})
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlim(years[0] - 0.5, years[-1] + 1.2)
    ax.set_xlabel(_("year of the figure (target year, or year measured)"))
    ax.set_ylabel(_("EFLOPS (log scale; precision not stated)"))
    _title(ax, _("Compute capacity: targets, projections and baselines"), len(regional), len(dated), lang)
    statuses = sorted({e["status"] for e in points}, key=list(STATUS_MARKERS).index)
    handles = [plt.Line2D([], [], marker=STATUS_MARKERS[s], linestyle="", color="#555555") for s in statuses]
    ax.set_ylim(top=ax.get_ylim()[1] * 1.6)
    _legend(fig, lang, _province_name(province, lang), handles + [plt.Line2D([], [], marker="s", linestyle="", color=NATIONAL_COLOUR)],
            [label(s, lang) for s in statuses] + [_("China")])
    _save(fig, path)
    return path


def _province_name(province: dict[str, Any], lang: str) -> str:
    return province["short_zh"] if lang == "zh" else province["name_en"]


def draw_figures(results: dict[str, Any], out_dir: Path, languages: tuple[str, ...] = ("zh", "en")) -> dict[str, dict[str, str]]:
    """Draw every chart for one province; returns {chart: {lang: file name}}."""
    charts = chart_entries(results)
    province = results["province"]
    drawn: dict[str, dict[str, str]] = {}
    for lang in languages:
        made = {
            "funds": funds_figure(charts["funds"], lang, province, out_dir / f"fig-funds.{lang}.svg"),
            "vouchers": vouchers_figure(charts["pools"], charts["per_recipient"], lang, province, out_dir / f"fig-vouchers.{lang}.svg"),
            "compute": compute_figure(charts["compute"], charts["compute_national"], lang, province, out_dir / f"fig-compute.{lang}.svg"),
        }
        for chart, path in made.items():
            if path is not None:
                drawn.setdefault(chart, {})[lang] = path.name
    return drawn


def chart_entries(results: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The entries each chart shows, taken from the full comparison tables in results."""
    all_entries = results["all_entries"]
    def pick(pred) -> list[dict[str, Any]]:
        chosen = [e for e in all_entries if pred(e)]
        return sorted(chosen, key=lambda e: (-e["value"], e["holder"]["code"], e["measure_id"]))
    funds = pick(lambda e: e["metric"] == "fund_size")
    pools = pick(lambda e: e["metric"] in ("pool_per_year", "pool_total"))
    per_recipient = pick(lambda e: e["metric"] in ("cap_per_recipient", "grant_per_recipient"))
    compute = [e for e in all_entries if e["metric"] == "compute_capacity"]
    national = [e for e in results["national_entries"] if e["metric"] == "compute_capacity"]
    return {"funds": funds, "pools": pools, "per_recipient": per_recipient, "compute": compute, "compute_national": national}
