"""Build every briefing: analyse each province once, render each language and format.

One province is the unit of work: its notebook run (the expensive step) and then its
renders, which reuse one warm renderer (one Typst compiler) per worker process. Provinces
run in parallel; a failing province is reported and the others still build.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from . import __version__
from .analysis import read_results
from .compare import find_province, provinces_with_measures
from .document import TEMPLATES, figure_name, render_document
from .errors import BriefingsError, UsageError
from .format import holder_name, value_text
from .fsutil import atomic_write_text
from .i18n import LANGUAGES
from .load import Dataset, load_dataset
from .render import FORMATS, ROOT, choose_renderer

INPUT_GLOBS = ("data/*.csv", "analysis/*.ipynb", "templates/**/*", "_quarto.yml", "src/briefings/*.py")


def build_id(root: Path = ROOT, data_dir: Path | None = None) -> str:
    """A short content hash of every input, so a briefing names the exact inputs it came from."""
    digest = hashlib.sha256(__version__.encode())
    files: list[Path] = []
    for pattern in INPUT_GLOBS:
        base = data_dir if (pattern.startswith("data/") and data_dir) else root
        files += sorted(p for p in base.glob(pattern.removeprefix("data/") if base is data_dir else pattern) if p.is_file())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class ProvinceOutcome:
    slug: str
    ok: bool
    files: list[str]
    error: str = ""
    skipped: bool = False


MANIFEST = "manifest.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tool_versions(renderer: str) -> dict[str, str]:
    import platform
    from importlib.metadata import version

    versions = {"python": platform.python_version(), "briefings": __version__}
    for package in ("pandas", "seaborn", "matplotlib", "papermill", "typst", "pypandoc-binary", "babel", "jinja2"):
        versions[package] = version(package)
    versions["renderer"] = renderer
    return versions


def read_manifest(out_root: Path) -> dict[str, Any]:
    try:
        return json.loads((out_root / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def up_to_date(manifest: dict[str, Any], out_root: Path, slug: str, key: str) -> bool:
    """True when a previous build from the same inputs and options left this province's outputs intact."""
    entry = manifest.get("provinces", {}).get(slug)
    if not entry or entry.get("key") != key:
        return False
    return all((out_root / name).is_file() and sha256(out_root / name) == digest for name, digest in entry["outputs"].items())


def write_manifest(out_root: Path, bid: str, renderer: str, provinces: dict[str, dict[str, Any]]) -> Path:
    manifest = {"build_id": bid, "tools": tool_versions(renderer), "provinces": provinces}
    path = out_root / MANIFEST
    atomic_write_text(path, json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n")
    return path


_RENDERERS: dict[str, Any] = {}


def _worker_renderer(name: str):
    """One warm renderer (one Typst compiler) per worker process and renderer choice."""
    if name not in _RENDERERS:
        _RENDERERS[name] = choose_renderer(name)
    return _RENDERERS[name]


def build_province(data_dir: str, slug: str, out_root: str, languages: tuple[str, ...], formats: tuple[str, ...],
                   renderer: str, bid: str) -> ProvinceOutcome:
    """Analyse and render one province (runs in a worker process)."""
    from .execute import run_analysis

    out_dir = Path(out_root) / slug
    try:
        ds = load_dataset(Path(data_dir))
        run_analysis(ds, slug, out_dir)
        results = read_results(out_dir)
        rd = _worker_renderer(renderer)
        files = []
        for lang in languages:
            qmd = out_dir / f"briefing.{lang}.qmd"
            atomic_write_text(qmd, render_document(results, lang, build_id=bid))
            files += [str(p) for p in rd.render(qmd, formats, lang=lang, data_date=results["data_as_of"])]
        return ProvinceOutcome(slug, True, files)
    except BriefingsError as exc:
        return ProvinceOutcome(slug, False, [], str(exc))


def index_entries(out_root: Path, slugs: list[str]) -> list[dict[str, Any]]:
    """Two or three key figures per province for the index page."""
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
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    css = (TEMPLATES / "briefing.css").read_text(encoding="utf-8")
    html = env.get_template("index.html.j2").render(entries=index_entries(out_root, slugs), build_id=bid,
                                                    data_as_of=data_as_of, css=css)
    path = out_root / "index.html"
    atomic_write_text(path, html)
    return path


def resolve_provinces(ds: Dataset, requested: tuple[str, ...]) -> list[str]:
    """Requested slugs, each checked against regions.csv (never a path), else all with measures."""
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
    import shutil

    for stale in out_root.glob(".*.analysis.*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in out_root.glob("**/.*.tmp"):
        stale.unlink(missing_ok=True)


def build(data_dir: Path, out_root: Path, *, provinces: tuple[str, ...] = (), languages: tuple[str, ...] = ("zh", "en"),
          formats: tuple[str, ...] = FORMATS, jobs: int | None = None, renderer: str = "auto", progress=None,
          shard: tuple[int, int] | None = None) -> list[ProvinceOutcome]:
    """Build the briefings; returns one outcome per province (failures included)."""
    ds = load_dataset(data_dir)
    for lang in languages:
        if lang not in LANGUAGES:
            raise UsageError(f"unknown language {lang!r}: expected {', '.join(LANGUAGES)}")
    for fmt in formats:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}: expected {', '.join(FORMATS)}")
    choose_renderer(renderer)  # a clear error now for --renderer quarto without quarto
    slugs = shard_of(resolve_provinces(ds, provinces), shard)
    bid = build_id(data_dir=data_dir)
    renderer_name = choose_renderer(renderer).name
    key = f"{bid}|{','.join(languages)}|{','.join(formats)}|{renderer_name}"
    out_root.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_root)
    manifest = read_manifest(out_root)
    recorded: dict[str, dict[str, Any]] = dict(manifest.get("provinces", {})) if manifest.get("build_id") == bid else {}
    outcomes = [ProvinceOutcome(s, True, [], skipped=True) for s in slugs if up_to_date(manifest, out_root, s, key)]
    todo = [s for s in slugs if s not in {o.slug for o in outcomes}]
    for outcome in outcomes:
        recorded[outcome.slug] = manifest["provinces"][outcome.slug]
        if progress:
            progress(outcome)
    jobs = max(1, jobs or os.cpu_count() or 1)
    if todo:
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
            futures = {pool.submit(build_province, str(data_dir), s, str(out_root), languages, formats, renderer, bid): s for s in todo}
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                if outcome.ok:
                    folder = out_root / outcome.slug
                    names = sorted({*outcome.files, *map(str, folder.glob("fig-*.svg")), str(folder / "results.json")})
                    recorded[outcome.slug] = {"key": key, "outputs": {str(Path(n).relative_to(out_root)): sha256(Path(n)) for n in names}}
                else:
                    recorded.pop(outcome.slug, None)
                if progress:
                    progress(outcome)
    outcomes.sort(key=lambda o: o.slug)
    if todo or not (out_root / "index.html").is_file():
        write_index(out_root, provinces_with_measures(ds), bid, max(ds.sources["date"]))
    write_manifest(out_root, bid, renderer_name, recorded)
    return outcomes
