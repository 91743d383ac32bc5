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

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import vocab
from .dates import span
from .format import holder_name
from .sections import as_records

if TYPE_CHECKING:
    import pandas as pd

    from .cache import Prepared
    from .load import Dataset

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)


def overview_results(ds: Dataset, table: pd.DataFrame) -> dict[str, Any]:
    # compare (and pandas) only where results are computed: a re-render reuses them
    from .claims import Context, field_claims
    from .compare import Field, Subject, _comparison, _records, entry

    field = Field(ds, table)
    vocabulary, regions = field.vocabulary, field.regions
    nobody = Subject("", "", "", "", "", "", ())
    kinds = field.kinds

    comparisons = []
    for key, rows in sorted(field.groups.items(), key=lambda item: item[0].id):
        if key.undated or len({r["locality"] or r["region"] for r in rows}) < 2:
            continue
        comparisons.append(_comparison(key, rows, field, nobody))
    order = field.vocabulary.section_order
    comparisons.sort(key=lambda c: (order[c["section"]], c["metric"], c["id"]))
    cited_ids = {e["measure_id"] for c in comparisons for e in c["entries"]}
    national_rows = [r for r in field.national]
    national = [entry(r, regions, nobody, vocabulary, field.data_year) for r in national_rows]
    cited_ids |= {e["measure_id"] for e in national}

    # the official order (GB/T 2260 codes: Beijing, Tianjin, Hebei ...); English pages sort by name
    provinces = ds.regions[ds.regions["level"] == "province"].sort_values(["gb_code", "code"])
    with_figures: list[dict[str, Any]]
    named_only: list[dict[str, Any]]
    with_figures, named_only, silent, coverage = [], [], [], []
    sources_by_id = ds.sources.set_index("source_id")
    for _, p in provinces.iterrows():
        rows = table[table["region"] == p["code"]]
        valued = int((kinds[rows.index] != "qualitative").sum())
        record = {"code": p["code"], "slug": p["slug"], "name_zh": p["short_zh"], "name_en": p["name_en"], "measures": len(rows)}
        if rows.empty:
            silent.append(record)
            continue
        (with_figures if valued else named_only).append(record)
        first, last = span(sorted({sources_by_id.at[s, "date"] for s in set(rows["source_id"])}))
        coverage.append(
            {
                **record,
                "figures": valued,
                "named": int(len(rows) - valued),
                "sources": int(rows["source_id"].nunique()),
                "first": first,
                "last": last,
            }
        )

    instruments = list(ds.instruments["instrument"])
    by_instrument = ds.instruments.set_index("instrument")

    def named(code: str) -> dict[str, Any]:
        return {
            "name_zh": regions[code]["short_zh"],
            "name_en": regions[code]["name_en"],
            "is_city": regions[code]["level"] in ("city", "district"),
            "level": regions[code]["level"],
        }

    holders: dict[str, dict[str, int]] = {}
    proposals = []
    for r in _records(table[(table["instrument"] != "") & (table["region"] != "CN")]):
        code = r["locality"] or r["region"]
        if r["status"] == "proposal":  # a proposal is never an instrument a region has
            proposals.append(r["measure_id"])
            continue
        level = 1 if r["metric"] == vocab.QUALITATIVE_METRIC else 2
        holders.setdefault(code, {})
        holders[code][r["instrument"]] = max(holders[code].get(r["instrument"], 0), level)
    matrix = [
        {
            "code": code,
            "name_zh": holder_name(named(code), "zh"),
            "name_en": holder_name(named(code), "en"),
            "cells": [holders[code].get(i, 0) for i in instruments],
        }
        for code in sorted(holders, key=lambda c: (str(regions[c].get("gb_code") or "") or c.split("-")[0], c))
    ]
    cited_ids |= set(proposals)
    cited = table[table["measure_id"].isin(cited_ids)]
    from .compare import _record

    measures = {r["measure_id"]: _record(r, regions, nobody, vocabulary) for r in _records(cited.sort_values("measure_id"))}
    metrics_used = sorted({c["metric"] for c in comparisons} | {e["metric"] for e in national})
    instruments_used = sorted({m["instrument"] for m in measures.values() if m["instrument"]} | set(instruments))
    results: dict[str, Any] = {
        "data_as_of": field.data_as_of,
        "sections": as_records(field.vocabulary.sections),
        "counts": {
            "measures": len(table),
            "sources": len(ds.sources),
            "provinces": len(provinces),
            "with_figures": len(with_figures),
            "named_only": len(named_only),
            "silent": len(silent),
            "ranked": sum(1 for c in comparisons if c["kind"] == "ranked"),
            "pairs": sum(1 for c in comparisons if c["kind"] == "pair"),
        },
        "coverage": {"with_figures": with_figures, "named_only": named_only, "silent": silent},
        "coverage_table": coverage,
        "instruments": {i: by_instrument.loc[i].to_dict() for i in instruments_used},
        "instrument_order": instruments,
        "matrix": matrix,
        "proposals": sorted(proposals),
        "comparisons": comparisons,
        "national": national,
        "metrics": {m: _metric_record(vocabulary.metric(m)) for m in metrics_used},
        "measures": measures,
        "policies": ds.policies[ds.policies["policy_id"].isin(set(cited["policy"]))].to_dict("records"),
        "sources": ds.sources[ds.sources["source_id"].isin(set(cited["source_id"]))].to_dict("records"),
    }
    ctx = Context(measures, results["metrics"], results["instruments"], field.data_year)
    claims, dropped = [], []
    for c in comparisons:
        kept, lost = field_claims(c, ctx)
        dropped.extend(lost)
        if kept:
            claims.append({**kept, "where": "overview"})
    results["claims"], results["dropped"] = claims, dropped
    return results


def _metric_record(m: pd.Series) -> dict[str, Any]:
    record: dict[str, Any] = m.to_dict()
    for flag in ("lower_is_stronger", "ceiling", "charted"):
        record[flag] = record[flag] == "yes"
    return record


def heatmap(results: dict[str, Any], lang: str) -> bytes:
    """The region × instrument matrix as an SVG (``figures.heatmap_svg``: text as paths, deterministic)."""
    from .figures import heatmap_svg

    return heatmap_svg(results, lang)


def write_overview_analysis(folder: Path, prepared: Prepared, languages: tuple[str, ...], analysis_key: str) -> dict[str, Any]:
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
    if not isinstance(figures, dict) or any(
        not (folder / f"fig-matrix.{lang}.svg").is_file() or figures.get(lang) != f"fig-matrix.{lang}.svg" for lang in languages
    ):
        return None
    return results


def write_overview_documents(
    folder: Path,
    results: dict[str, Any],
    build_id: str,
    languages: tuple[str, ...],
    templates: Path,
    links: dict[str, bool] | None = None,
) -> list[Path]:
    """The overview's .qmd per language in ``folder`` (rendered like the briefings)."""
    from .document import render_overview
    from .fsutil import atomic_write_text

    documents = []
    for lang in languages:
        qmd = folder / f"overview.{lang}.qmd"
        atomic_write_text(qmd, render_overview(results, lang, build_id=build_id, templates=templates, links=links))
        documents.append(qmd)
    return documents
