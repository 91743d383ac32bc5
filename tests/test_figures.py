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
        # status and year on the bars, since they differ within the panel; ≥ not ⩾
        assert all(" · " in text for text in labels["bar_labels"]) and "2030" in labels["bar_labels"][-1]
        assert "⩾" not in "".join(labels["bar_labels"])
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
            for tick in fig.axes[0].get_yticklabels():
                assert tick.get_rotation() == 0
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
