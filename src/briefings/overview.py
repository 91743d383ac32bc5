"""The national overview: the whole field on a few pages (``reports/overview.<lang>.*``).

- coverage: which provinces the sources give figures for, name without figures, or say
  nothing about;
- a region × instrument matrix (which region has which voucher, grant or fund, with a
  figure or named without one), drawn as a heatmap;
- the leader of every ranking the comparison rules allow (two regions or more, one
  figure each, like for like);
- the national reference figures.
Computed from the validated dataset by the same rules as the briefings (``compare.py``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from . import vocab
from .dates import latest


def overview_results(ds, table) -> dict[str, Any]:
    # compare (and pandas) only where results are computed: a re-render reuses them
    from .compare import Subject, Vocabulary, _records, entry, ranking, region_index
    from .format import holder_name

    vocabulary = Vocabulary(ds)
    regions = region_index(ds)
    nobody = Subject("", "", "", "", "", "", ())
    kinds = table["metric"].map(vocabulary.metrics["kind"])
    valued = table[(kinds == "ranked") & (table["region"] != "CN")].copy()
    valued["key"] = [vocabulary.comparison_key(r) for r in _records(valued)]
    leaders = []
    for key, rows in valued.groupby("key", sort=True):
        metric = key.split("|")[0]
        ranked, _also = ranking(key, rows, regions, nobody, vocabulary)
        if len(ranked) < 2:
            continue
        leaders.append({"key": key, "metric": metric, "section": vocabulary.metric(metric)["section"],
                        "status_class": key.split("|")[3], "group": key.split("|")[1], "n_regions": len(ranked),
                        "leader": ranked[0], "tied": [e for e in ranked[1:] if e["rank"] == 1],
                        "runner_up": next((e for e in ranked if e["rank"] > 1), None)})
    leaders.sort(key=lambda x: (vocab.SECTIONS.index(x["section"]), x["metric"], x["key"]))

    provinces = ds.regions[ds.regions["level"] == "province"].sort_values("code")
    with_figures, named_only, silent = [], [], []
    for _, p in provinces.iterrows():
        rows = table[table["region"] == p["code"]]
        record = {"code": p["code"], "slug": p["slug"], "name_zh": p["short_zh"], "name_en": p["name_en"], "measures": len(rows)}
        if rows.empty:
            silent.append(record)
        elif (kinds[rows.index] != "qualitative").any():
            with_figures.append(record)
        else:
            named_only.append(record)

    instruments = list(ds.instruments["instrument"])
    by_instrument = ds.instruments.set_index("instrument")

    def named(code: str) -> dict[str, Any]:
        return {"name_zh": regions[code]["short_zh"], "name_en": regions[code]["name_en"],
                "is_city": regions[code]["level"] == "city"}

    holders: dict[str, dict[str, int]] = {}
    for _, r in table[(table["instrument"] != "") & (table["region"] != "CN")].iterrows():
        code = r["locality"] or r["region"]
        level = 1 if r["metric"] == vocab.QUALITATIVE_METRIC else 2
        holders.setdefault(code, {})
        holders[code][r["instrument"]] = max(holders[code].get(r["instrument"], 0), level)
    matrix = [{"code": code, "name_zh": holder_name(named(code), "zh"), "name_en": holder_name(named(code), "en"),
               "cells": [holders[code].get(i, 0) for i in instruments]}
              for code in sorted(holders)]
    national = [entry(r, regions, nobody) for r in _records(table[(table["region"] == "CN") & (kinds != "qualitative")])]
    cited = {e["leader"]["measure_id"] for e in leaders} | {e["measure_id"] for x in leaders for e in x["tied"]} \
        | {x["runner_up"]["measure_id"] for x in leaders if x["runner_up"]} | {e["measure_id"] for e in national}
    measures = {}
    for _, r in table[table["measure_id"].isin(cited)].iterrows():
        measures[r["measure_id"]] = {k: r[k] for k in ("measure_id", "source_id", "evidence", "summary_zh", "summary_en",
                                                       "note_zh", "note_en", "metric", "instrument", "status")}
    sources = ds.sources[ds.sources["source_id"].isin({m["source_id"] for m in measures.values()})].to_dict("records")
    return {
        "data_as_of": latest(list(ds.sources["date"])),
        "counts": {"measures": int(len(table)), "sources": int(len(ds.sources)), "provinces": len(provinces),
                   "with_figures": len(with_figures), "named_only": len(named_only), "silent": len(silent)},
        "coverage": {"with_figures": with_figures, "named_only": named_only, "silent": silent},
        "instruments": {i: by_instrument.loc[i].to_dict() for i in instruments},
        "instrument_order": instruments,
        "matrix": matrix,
        "leaders": leaders,
        "national": national,
        "metrics": {m: vocabulary.metric(m).to_dict() for m in sorted({x["metric"] for x in leaders} | {e["metric"] for e in national})},
        "measures": measures,
        "sources": sources,
    }


def heatmap(results: dict[str, Any], lang: str) -> bytes:
    """The region × instrument matrix as an SVG (``figures.heatmap_svg``: text as paths, deterministic)."""
    from .figures import heatmap_svg

    return heatmap_svg(results, lang)


def write_overview_analysis(folder: Path, prepared, languages: tuple[str, ...], analysis_key: str) -> dict[str, Any]:
    """The overview's results and charts in ``folder``; ``analysis_key`` records what they
    were computed from, so a build that only re-renders reuses them (``analysis_current``)."""
    from .analysis import results_json
    from .fsutil import atomic_write_bytes, atomic_write_text

    results = overview_results(prepared.dataset, prepared.table)
    from .figures import heatmap_text

    figures: dict[str, Any] = {"text": {}}
    for lang in languages:
        name = f"fig-matrix.{lang}.svg"
        atomic_write_bytes(folder / name, heatmap(results, lang))
        figures[lang] = name
        figures["text"][lang] = heatmap_text(results, lang)
    results["figures"] = figures
    results["analysis_key"] = analysis_key
    atomic_write_text(folder / "results.json", results_json(results))
    return results


def analysis_current(folder: Path, analysis_key: str, languages: tuple[str, ...]) -> dict[str, Any] | None:
    """The overview results in ``folder`` when they were computed from these inputs for these
    languages (their charts present), else None."""
    try:
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(results, dict) or results.get("analysis_key") != analysis_key:
        return None
    figures = results.get("figures")
    if not isinstance(figures, dict) or any(not (folder / f"fig-matrix.{lang}.svg").is_file() or figures.get(lang) != f"fig-matrix.{lang}.svg"
                                            for lang in languages):
        return None
    return results


def write_overview_documents(folder: Path, results: dict[str, Any], build_id: str, languages: tuple[str, ...]) -> list[Path]:
    """The overview's .qmd per language in ``folder`` (rendered like the briefings)."""
    from .document import render_overview
    from .fsutil import atomic_write_text

    documents = []
    for lang in languages:
        qmd = folder / f"overview.{lang}.qmd"
        atomic_write_text(qmd, render_overview(results, lang, build_id=build_id))
        documents.append(qmd)
    return documents
