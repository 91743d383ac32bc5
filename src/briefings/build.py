"""Build every briefing: analyse each province once, render each language and format.

One province is the unit of work: its notebook run (the expensive step, in a warm kernel
kept per worker process, see ``engine.py``) and then its renders, which reuse one warm
renderer (one Typst compiler) per worker. Provinces run in parallel; a failing province is
reported and the others still build. ``manifest.py`` decides what is already up to date.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from .errors import BriefingsError, UsageError
from .execute import EXECUTED_NOTEBOOK, RESULTS_FILE
from .fsutil import atomic_write_text
from .manifest import InputKeys, input_keys, outputs_intact, read_manifest, record, write_manifest
from .render import FORMATS, choose_renderer

# The heavy modules (pandas, Babel, jinja2 documents) are imported where they are used, so
# that a no-op rebuild, which needs none of them, stays well under a second.


class BuildProgress(Protocol):
    """What a caller learns while a build runs (the CLI shows it with rich)."""

    def start(self, total: int) -> None: ...

    def done(self, outcome: ProvinceOutcome) -> None: ...


class Work(Enum):
    """What a province needs, from the manifest of the previous build."""

    NONE = "up to date"
    RENDER = "re-rendered"
    FULL = "built"


@dataclass
class ProvinceOutcome:
    slug: str
    ok: bool
    work: Work
    analysis_outputs: list[str]
    render_outputs: list[str]
    error: str = ""


def analysis_files(out_dir: Path) -> list[Path]:
    return [out_dir / RESULTS_FILE, out_dir / EXECUTED_NOTEBOOK, *sorted(out_dir.glob("fig-*.svg"))]


def work_needed(previous: dict[str, Any], out_root: Path, keys: InputKeys) -> Work:
    if previous.get("render_key") == keys.render and outputs_intact(out_root, previous.get("render_outputs", {})) \
            and outputs_intact(out_root, previous.get("analysis_outputs", {})):
        return Work.NONE
    if previous.get("analysis_key") == keys.analysis and outputs_intact(out_root, previous.get("analysis_outputs", {})):
        return Work.RENDER
    return Work.FULL


_RENDERERS: dict[str, Any] = {}


def _worker_renderer(name: str):
    """One warm renderer (one Typst compiler) per worker process and renderer choice."""
    if name not in _RENDERERS:
        _RENDERERS[name] = choose_renderer(name)
    return _RENDERERS[name]


def build_province(data_dir: str, slug: str, out_root: str, languages: tuple[str, ...], formats: tuple[str, ...],
                   renderer: str, build_id: str, work: Work) -> ProvinceOutcome:
    """Analyse (when needed) and render one province; runs in a worker process."""
    from .analysis import read_results
    from .document import render_document
    from .engine import ENGINE_NAME
    from .execute import run_analysis
    from .load import load_dataset

    out_dir = Path(out_root) / slug
    try:
        if work is Work.FULL:
            run_analysis(load_dataset(Path(data_dir)), slug, out_dir, engine=ENGINE_NAME)
        results = read_results(out_dir)
        rd = _worker_renderer(renderer)
        files: list[str] = []
        for lang in languages:
            qmd = out_dir / f"briefing.{lang}.qmd"
            atomic_write_text(qmd, render_document(results, lang, build_id=build_id))
            files += [str(p) for p in rd.render(qmd, formats, lang=lang, data_date=results["data_as_of"])]
        return ProvinceOutcome(slug, True, work, [str(p) for p in analysis_files(out_dir)], files)
    except BriefingsError as exc:
        return ProvinceOutcome(slug, False, work, [], [], str(exc))


def index_entries(out_root: Path, slugs: list[str]) -> list[dict[str, Any]]:
    """Two or three key figures per province for the index page."""
    from .analysis import read_results
    from .document import figure_name
    from .format import holder_name, value_text
    from .i18n import LANGUAGES

    entries = []
    for slug in slugs:
        try:
            results = read_results(out_root / slug)
        except FileNotFoundError:
            continue
        figures = {lang: [] for lang in LANGUAGES}
        for f in results["findings"]:
            if "measure_id" not in f:
                continue
            c = next(c for c in results["comparisons"] if c["id"] == f["comparison_id"])
            e = next(e for e in c["entries"] if e["measure_id"] == f["measure_id"])
            for lang in LANGUAGES:
                if len(figures[lang]) < 3:
                    figures[lang].append(f"{holder_name(e['holder'], lang)} · {figure_name(e, lang)}: {value_text(e, lang)}")
        entries.append({"slug": slug, "province": results["province"], "figures": figures,
                        "measures": results["counts"]["measures"], "has_quantitative": results["has_quantitative"]})
    return entries


def write_index(out_root: Path, slugs: list[str], bid: str, data_as_of: str) -> Path:
    import jinja2

    from .document import TEMPLATES

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    css = (TEMPLATES / "briefing.css").read_text(encoding="utf-8")
    html = env.get_template("index.html.j2").render(entries=index_entries(out_root, slugs), build_id=bid,
                                                    data_as_of=data_as_of, css=css)
    path = out_root / "index.html"
    atomic_write_text(path, html)
    return path


def resolve_provinces(ds, requested: tuple[str, ...]) -> list[str]:
    """Requested slugs, each checked against regions.csv (never a path), else all with measures."""
    from .compare import find_province, provinces_with_measures

    if not requested:
        return provinces_with_measures(ds)
    for slug in requested:
        find_province(ds, slug)
    return list(dict.fromkeys(requested))


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/4"`` -> (2, 4): the second of four deterministic parts of the provinces."""
    if not text:
        return None
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard must look like K/N (for example 1/4), got {text!r}") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard {text}: K must be between 1 and N")
    return k, n


def shard_of(slugs: list[str], shard: tuple[int, int] | None) -> list[str]:
    """Every N-th province of the sorted list, starting at the K-th."""
    if shard is None:
        return slugs
    k, n = shard
    return [s for i, s in enumerate(sorted(slugs)) if i % n == k - 1]


def remove_leftovers(out_root: Path) -> None:
    """Staging folders and temporary files a killed build left behind: never visible outputs."""
    for stale in out_root.glob(".*.analysis.*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in out_root.glob("**/.*.tmp"):
        stale.unlink(missing_ok=True)


def build(data_dir: Path, out_root: Path, *, provinces: tuple[str, ...] = (), languages: tuple[str, ...] = ("zh", "en"),
          formats: tuple[str, ...] = FORMATS, jobs: int | None = None, renderer: str = "auto",
          progress: BuildProgress | None = None,
          shard: tuple[int, int] | None = None) -> list[ProvinceOutcome]:
    """Build the briefings; returns one outcome per province (failures included)."""
    from .i18n import LANGUAGES

    for lang in languages:
        if lang not in LANGUAGES:
            raise UsageError(f"unknown language {lang!r}: expected {', '.join(LANGUAGES)}")
    for fmt in formats:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}: expected {', '.join(FORMATS)}")
    renderer_name = choose_renderer(renderer).name  # a clear error now for --renderer quarto without quarto
    keys = input_keys(data_dir, languages=languages, formats=formats, renderer=renderer_name)
    out_root.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_root)
    manifest = read_manifest(out_root)
    same_data = manifest.get("inputs", {}).get("analysis") == keys.analysis
    selections = manifest.get("selections", {}) if same_data else {}
    selection = f"{','.join(provinces) or '*'}|{'/'.join(map(str, shard)) if shard else '*'}"
    dataset = None
    if selection in selections:
        # the same data were validated, and this selection resolved, by the build that wrote the manifest
        slugs = selections[selection]
    else:
        from .load import load_dataset

        dataset = load_dataset(data_dir)
        slugs = shard_of(resolve_provinces(dataset, provinces), shard)
    previous = manifest.get("provinces", {})
    plan = {slug: work_needed(previous.get(slug, {}), out_root, keys) for slug in slugs}
    # keep the entries of provinces outside this build (other shards) that are still valid
    recorded = {}
    for slug, entry in previous.items():
        if (plan[slug] if slug in plan else work_needed(entry, out_root, keys)) is Work.NONE:
            recorded[slug] = entry
    outcomes = [ProvinceOutcome(slug, True, Work.NONE, [], []) for slug, work in plan.items() if work is Work.NONE]
    if progress:
        progress.start(len(plan))
        for outcome in outcomes:
            progress.done(outcome)
    todo = {slug: work for slug, work in plan.items() if work is not Work.NONE}
    if todo:
        workers = min(max(1, jobs or os.cpu_count() or 1), len(todo))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(build_province, str(data_dir), slug, str(out_root), languages, formats, renderer,
                                   keys.build_id, work) for slug, work in todo.items()]
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                recorded.pop(outcome.slug, None)
                if outcome.ok:
                    recorded[outcome.slug] = {
                        "analysis_key": keys.analysis, "render_key": keys.render,
                        "analysis_outputs": record(out_root, [Path(p) for p in outcome.analysis_outputs]),
                        "render_outputs": record(out_root, [Path(p) for p in outcome.render_outputs]),
                    }
                if progress:
                    progress.done(outcome)
    outcomes.sort(key=lambda o: o.slug)
    if todo or not (out_root / "index.html").is_file():
        from .compare import provinces_with_measures
        from .load import load_dataset

        dataset = dataset or load_dataset(data_dir)
        write_index(out_root, provinces_with_measures(dataset), keys.build_id, max(dataset.sources["date"]))
    write_manifest(out_root, keys, renderer_name, recorded, selections={**selections, selection: slugs})
    return outcomes
