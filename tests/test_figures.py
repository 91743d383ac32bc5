"""Charts: the same groups as the tables, drawn deterministically."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from briefings.cache import prepare
from briefings.compare import province_results, provinces_with_measures
from briefings.figures import STYLE, charted, draw_figures, section_figure
from briefings.titles import comparison_title

from .conftest import DATA


@pytest.fixture(scope="module")
def everything():
    prepared = prepare(DATA)
    return {s: province_results(prepared.dataset, s, prepared.table) for s in provinces_with_measures(prepared.dataset)}


def test_each_panel_is_one_ranking_of_the_tables(everything):
    drawn = 0
    for slug, results in everything.items():
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
                    assert [ax.get_title(loc="left") for ax in panels] == [titles[c["id"]] for c in comparisons]
                    for ax, c in zip(panels, comparisons):
                        assert len(ax.patches) == len(c["entries"])  # one bar per region of the ranking
                        periods = {e["period"] for e in c["entries"]}
                        assert len(periods) == 1  # never a yearly and a total pool on one axis
                    plt.close(fig)
                drawn += 1
    assert drawn >= 4


def test_a_province_with_nothing_to_rank_gets_no_chart(everything, tmp_path):
    assert draw_figures(everything["hubei"], tmp_path) == {}
    assert not list(tmp_path.iterdir())


def test_figures_are_byte_identical_across_draws(everything, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    draw_figures(everything["henan"], a)
    draw_figures(everything["henan"], b)
    files = sorted(p.name for p in a.iterdir())
    assert files and files == sorted(p.name for p in b.iterdir())
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert b"dc:date" not in (a / name).read_bytes()
