"""Charts: the same groups as the tables, drawn deterministically."""

from __future__ import annotations

import copy
import re

import matplotlib
import matplotlib.pyplot as plt
import pytest

from briefings.cache import prepare
from briefings.compare import province_results, provinces_with_measures
from briefings.figures import (
    MIN_BARS,
    MIN_FONT_PT,
    STYLE,
    WIDTH_IN,
    chart_text,
    charted,
    draw_figures,
    heatmap_svg,
    heatmap_text,
    panel_labels,
    section_figure,
)
from briefings.titles import comparison_title

from .conftest import DATA


@pytest.fixture(scope="module")
def everything():
    prepared = prepare(DATA)
    return {s: province_results(prepared.dataset, s, prepared.table) for s in provinces_with_measures(prepared.dataset)}


def test_each_panel_is_one_ranking_of_the_tables(everything):
    drawn = 0
    for results in everything.values():
        for section in {c["section"] for c in results["comparisons"]}:
            comparisons = charted(results, section)
            assert all(c["kind"] == "ranked" and c["n_regions"] >= 2 for c in comparisons)
            if not comparisons:
                continue
            for lang in ("zh", "en"):
                titles = {c["id"]: comparison_title(c, results, lang) for c in comparisons}
                with plt.rc_context(STYLE):
                    fig = section_figure(comparisons, lang, results["province"], titles, results["instruments"])
                    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
                    squash = lambda t: re.sub(r"\s+", "", t)
                    assert [squash(ax.get_title(loc="left")) for ax in panels] == [squash(titles[c["id"]]) for c in comparisons]
                    for ax, c in zip(panels, comparisons):
                        assert len(ax.patches) == len(c["entries"])  # one bar per region of the ranking
                        periods = {e["period"] for e in c["entries"]}
                        assert len(periods) == 1  # never a yearly and a total pool on one axis
                    plt.close(fig)
                drawn += len(comparisons)
    ranked = sum(
        1
        for r in everything.values()
        for c in r["comparisons"]
        if c["kind"] == "ranked" and c["charted"] and len(c["entries"]) >= MIN_BARS
    )
    assert drawn == 2 * ranked  # every ranking of three regions or more, in both languages, and no other


def three_way(results):
    """A province's results with one ranking grown to three regions (the data has none yet):
    the third a projection of another year, in another macro-region."""
    results = copy.deepcopy(results)
    c = next(c for c in results["comparisons"] if c["kind"] == "ranked" and c["charted"])
    extra = copy.deepcopy(c["entries"][-1])
    extra.update(
        {
            "measure_id": "X-1",
            "value": extra["value"] / 2,
            "status": "projection",
            "year": 2030,
            "rank": 3,
            "holder": {
                **extra["holder"],
                "is_subject": False,
                "macro_region": "elsewhere",
                "name_en": "Elsewhere",
                "name_zh": "别处",
                "code": "CN-XX",
            },
        }
    )
    c["entries"].append(extra)
    c["n_regions"] = len(c["entries"])
    return results, c


def test_a_chart_earns_its_space(everything):
    results, c = three_way(everything["henan"])
    assert c["id"] in [x["id"] for x in charted(results, c["section"])]
    for r in everything.values():  # two bars are left to the table
        for section in {x["section"] for x in r["comparisons"]}:
            assert all(len(x["entries"]) >= MIN_BARS for x in charted(r, section))
    for lang in ("zh", "en"):
        titles = {c["id"]: comparison_title(c, results, lang)}
        labels = panel_labels(c, lang, titles, results["instruments"])
        # status and year on the bars in brackets after the figure, since they differ within
        # the panel: ≥ CNY 20 billion (target, 2025) / 200 亿元以上（目标，2025）; ≥ not ⩾
        opening = "（" if lang == "zh" else " ("
        assert all(opening in text for text in labels["bar_labels"]) and labels["bar_labels"][-1].endswith(
            "2030）" if lang == "zh" else "2030)"
        )
        assert "⩾" not in "".join(labels["bar_labels"]) and " · " not in "".join(labels["bar_labels"])
        with plt.rc_context(STYLE):
            fig = section_figure([c], lang, results["province"], titles, results["instruments"])
            assert fig.get_figwidth() == WIDTH_IN
            legend = fig.legends[0]
            drawn = {p.get_facecolor() for p in fig.axes[0].patches}
            assert len(legend.get_texts()) == len(drawn) < 3 or len(drawn) == 3  # only colours drawn
            colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p in legend.get_patches()}
            assert colours == {matplotlib.colors.to_hex(c) for c in drawn}
            sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
            assert min(sizes) >= MIN_FONT_PT  # about 10 px on a 390 px phone
            shown = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
            assert all(t.get_rotation() == 0 for t in shown)  # nothing turned
            plt.close(fig)
        text = chart_text([c], lang, results["province"], titles, results["instruments"], 1)
        assert titles[c["id"]] in text["alt"] and labels["names"][0] in text["alt"]
        assert titles[c["id"]] in text["caption"] and (str(c["n_regions"]) in text["caption"])


def test_draw_figures_returns_alt_text_and_caption(everything, tmp_path):
    results, c = three_way(everything["henan"])
    figures = draw_figures(results, tmp_path)
    entry = figures[c["section"]]
    assert entry["zh"] == f"fig-{c['section']}.zh.svg" and (tmp_path / entry["en"]).is_file()
    assert set(entry["text"]) == {"zh", "en"} and all(
        entry["text"][lang]["alt"] and entry["text"][lang]["caption"] for lang in ("zh", "en")
    )


def test_the_heat_map_sets_chinese_labels_horizontally(everything):
    from briefings.cache import prepare as prepare_data
    from briefings.overview import overview_results

    prepared = prepare_data(DATA)
    results = overview_results(prepared.dataset, prepared.table)
    svg = heatmap_svg(results, "zh")
    assert b"rotate(" not in svg  # no label is rotated
    text = heatmap_text(results, "zh")
    assert text["alt"].startswith("热力图") and results["matrix"][0]["name_zh"] in text["alt"]


def test_a_province_with_nothing_to_rank_gets_no_chart(everything, tmp_path):
    assert draw_figures(everything["hubei"], tmp_path) == {}
    assert not list(tmp_path.iterdir())


def test_figures_are_byte_identical_across_draws(everything, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    results, _c = three_way(everything["henan"])
    draw_figures(results, a)
    draw_figures(results, b)
    files = sorted(p.name for p in a.iterdir())
    assert files and files == sorted(p.name for p in b.iterdir())
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert b"dc:date" not in (a / name).read_bytes()


# -- nothing clipped, nothing overprinted, figures as the tables print them -------------------
def text_boxes(fig) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every visible text of a figure with its box in points (x0, y0, x1, y1), measured by
    both of matplotlib's text engines (the SVG's text-to-path and Agg), the larger box kept."""
    import io

    from matplotlib.backends.backend_svg import RendererSVG

    fig.set_dpi(72)  # the SVG's own scale: a pixel is a point
    fig.draw_without_rendering()  # lays the legend out
    boxes = []
    renderers = [fig.canvas.get_renderer(), RendererSVG(fig.bbox.width, fig.bbox.height, io.StringIO())]
    for text in fig.findobj(matplotlib.text.Text):
        if not text.get_visible() or not text.get_text().strip() or (text.axes and not text.axes.get_visible()):
            continue
        extents = [text.get_window_extent(r) for r in renderers]
        scale = 72 / fig.dpi
        x0, y0 = min(e.x0 for e in extents) * scale, min(e.y0 for e in extents) * scale
        x1, y1 = max(e.x1 for e in extents) * scale, max(e.y1 for e in extents) * scale
        boxes.append((text.get_text(), (x0, y0, x1, y1)))
    return boxes


def assert_laid_out(fig, where):
    """No text leaves the figure, and no two texts overlap."""
    width, height = fig.get_figwidth() * 72, fig.get_figheight() * 72
    boxes = text_boxes(fig)
    assert boxes, where
    for text, (x0, y0, x1, y1) in boxes:
        assert x0 >= -0.01 and y0 >= -0.01 and x1 <= width + 0.01 and y1 <= height + 0.01, (where, text, (x0, y0, x1, y1), width)
    for i, (a, (ax0, ay0, ax1, ay1)) in enumerate(boxes):
        for b, (bx0, by0, bx1, by1) in boxes[i + 1 :]:
            overlap = min(ax1, bx1) - max(ax0, bx0) > 0.5 and min(ay1, by1) - max(ay0, by0) > 0.5
            assert not overlap, (where, a, b)


def test_no_chart_text_is_clipped_or_overprinted_at_any_label_length(everything):
    """Every province's charts in both languages, and one with every name made very long: the
    names wrap, the rows grow, the titles wrap, and every text stays inside the figure."""
    checked = 0
    for slug, results in everything.items():
        for section in {c["section"] for c in results["comparisons"]}:
            comparisons = charted(results, section)
            for lang in ("zh", "en") if comparisons else ():
                titles = {c["id"]: comparison_title(c, results, lang) for c in comparisons}
                with plt.rc_context(STYLE):
                    fig = section_figure(comparisons, lang, results["province"], titles, results["instruments"])
                    assert fig.get_figwidth() == WIDTH_IN
                    assert_laid_out(fig, (slug, section, lang))
                    plt.close(fig)
                checked += 1
    assert checked >= 6
    results, c = three_way(everything["henan"])
    for e in c["entries"]:
        e["holder"]["name_en"] = "Economic-Technological Development Area of a Very Long Name " * 3
        e["holder"]["name_zh"] = "某某经济技术开发区人工智能产业园区管理委员会辖区" * 2
    for lang in ("zh", "en"):
        titles = {c["id"]: comparison_title(c, results, lang) * 3}
        with plt.rc_context(STYLE):
            fig = section_figure([c], lang, results["province"], titles, results["instruments"])
            assert_laid_out(fig, ("long names", lang))
            plt.close(fig)


def test_chart_figures_read_as_the_tables_print_them(everything):
    """A bar's figure is its table's (qualifier, unit, no digit grouping in Chinese); the year
    follows it in brackets, never glued into the number; the alt text says each lead once."""
    seen = 0
    for results in everything.values():
        for section in {c["section"] for c in results["comparisons"]}:
            comparisons = charted(results, section)
            for lang in ("zh", "en") if comparisons else ():
                titles = {c["id"]: comparison_title(c, results, lang) for c in comparisons}
                text = chart_text(comparisons, lang, results["province"], titles, results["instruments"])["alt"]
                alone = {
                    c["id"]: chart_text([c], lang, results["province"], titles, results["instruments"])["alt"]
                    for c in comparisons
                }
                bars = [t for c in comparisons for t in panel_labels(c, lang, titles, results["instruments"])["bar_labels"]]
                for t in [*bars, text]:
                    assert not re.search(r"\d · \d{4}", t), t  # ≥ 200 · 2025
                    if lang == "zh":
                        assert not re.search(r"\d,\d{3}", t), t  # 2000, not 2,000
                        assert not re.search(r"为 [^\d]", t), t  # 为最高 2000 万元, 为 2000 万元
                    else:
                        assert not re.search(r"\d(\.\d+)? CNY", t), t  # CNY 20 billion, not 20 CNY billion
                for c in comparisons:
                    lead = c["entries"][0]
                    if lead["holder"]["is_subject"]:  # the lead is said once, not ranked again
                        name = panel_labels(c, lang, titles, results["instruments"])["names"][0]
                        assert (f"{name}在" if lang == "zh" else f"{name} ranks") not in alone[c["id"]], alone[c["id"]]
                seen += len(bars)
    assert seen > 20
    henan = everything["henan"]
    comparisons = charted(henan, "funds")
    titles = {c["id"]: comparison_title(c, henan, "en") for c in comparisons}
    alt = chart_text(comparisons, "en", henan["province"], titles, henan["instruments"])["alt"]
    assert "first with ≥ CNY 20 billion" in alt, alt


def test_the_heat_map_reads_by_region_and_keys_every_state():
    """Regions in rows (their names across), instruments in columns; no text clipped or
    overprinted; a legend key for each of the three states the caption names; as wide as
    A4's text and, with its heading, shorter than a page."""
    from briefings.cache import prepare as prepare_data
    from briefings.figures import EMPTY_COLOUR, MAX_WIDTH, heatmap_figure
    from briefings.overview import overview_results

    prepared = prepare_data(DATA)
    results = overview_results(prepared.dataset, prepared.table)
    for lang in ("zh", "en"):
        with plt.rc_context(STYLE):
            fig = heatmap_figure(results, lang)
            assert_laid_out(fig, ("heat map", lang))
            assert fig.get_figwidth() * 72 <= MAX_WIDTH + 0.5 and fig.get_figheight() <= 8.6
            texts = [t.get_text() for t in fig.axes[0].texts]
            regions = [r["name_zh" if lang == "zh" else "name_en"] for r in results["matrix"]]
            unwrapped = [re.sub(r"(?<=-)\n", "", t).replace("\n", " " if lang == "en" else "") for t in texts[: len(regions)]]
            assert unwrapped == regions  # rows: regions, in order
            assert len(texts) == len(regions) + len(results["instrument_order"])  # then one name per column
            legend = fig.legends[0]
            assert len(legend.get_texts()) == 3
            keys = {matplotlib.colors.to_hex(p.get_facecolor()) for p in legend.get_patches()}
            assert EMPTY_COLOUR in keys  # the caption's grey has its key
            plt.close(fig)
