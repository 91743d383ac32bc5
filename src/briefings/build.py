"""Build every briefing: analyse each province once, render each language and format.

One province is the unit of work. In a worker process (``workers.py``) it gets a staging
folder beside its final one (``staging.py``), runs its notebook there when its analysis
inputs changed (the expensive step, in a warm kernel kept per worker, ``engine.py``) or
else copies its previous results in, writes its Quarto-markdown documents and, with the
built-in renderer, renders them. A batched renderer (Quarto) then renders every staged
province in one call. Only a province whose every output succeeded is swapped into place,
as a whole; a failure leaves its previous briefing untouched and the others still build.
``manifest.py`` decides what is up to date.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from .errors import BriefingsError, UsageError, display_path
from .execute import EXECUTED_NOTEBOOK, RESULTS_FILE
from .manifest import (
    FORMAT_OUTPUTS,
    MANIFEST,
    InputKeys,
    input_keys,
    manifest_text,
    outputs_intact,
    outputs_of_format,
    read_manifest,
    record,
    sha256,
    tool_versions,
    write_if_changed,
)
from .project import Project
from .render import FORMATS, BatchRenderer, DocumentRenderer, Renderer, Settings, choose_renderer, read_tree
from .staging import (
    CACHE_DIR,
    OUTPUT_MARKER,
    OVERVIEW,
    OutputError,
    build_lock,
    copy_into,
    describe_os_error,
    discard,
    new_staging,
    prepare_output,
    publish,
    remove_leftovers,
)

if TYPE_CHECKING:
    from .cache import Prepared
    from .load import Dataset
    from .review import Baseline
    from .workers import Pool, SignalHandler

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

# The heavy modules (pandas, Babel, jinja2 documents) are imported where they are used, so
# that a no-op rebuild, which needs none of them, stays well under a second.

FAILED_NOTEBOOKS = ".briefings-failed"


class BuildProgress(Protocol):
    """What a caller learns while a build runs (the CLI shows it with rich)."""

    def start(self, plan: dict[str, Work]) -> None: ...

    def stage(self, slug: str, stage: str) -> None: ...

    def done(self, outcome: ProvinceOutcome) -> None: ...

    def message(self, text: str) -> None: ...


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
    analysis_outputs: list[str] = field(default_factory=list)  # names inside the province folder
    render_outputs: list[str] = field(default_factory=list)
    error: str = ""
    staging: str = ""
    digests: dict[str, str] = field(default_factory=dict)  # name -> sha256, computed where the files were made
    warnings: list[str] = field(default_factory=list)  # the renderer's (typst's) warnings, shown by the build
    seconds: float = 0.0  # the worker's time on this province (analysis and render), for the benchmark
    summary: dict[str, Any] | None = None  # what the index shows of its results (results_summary), made in the worker


@dataclass(frozen=True)
class ProvinceTask:
    """Everything a worker needs to build one province (plain data: it crosses processes)."""

    slug: str
    work: Work
    project: str  # the project's root folder
    data_dir: str
    out_root: str
    languages: tuple[str, ...]
    formats: tuple[str, ...]
    renderer: str
    build_id: str
    cache: str
    cache_sha256: str
    data_as_of: str = ""
    review: str = ""  # the editors' review record (review.py), when there is one
    analysis_key: str = ""  # recorded with the overview's results, which are reused while it holds
    timeout: int = 600  # seconds a notebook cell may run
    render_formats: tuple[str, ...] = ()  # the formats rendered now (default: all); the others' outputs are kept
    keep: tuple[str, ...] = ()  # outputs (names in the manifest) still current, copied instead of rendered


def analysis_files(folder: Path) -> list[Path]:
    names = [RESULTS_FILE, EXECUTED_NOTEBOOK, "analysis.html"]
    return [folder / n for n in names if (folder / n).is_file()] + sorted(folder.glob("fig-*.svg"))


def work_needed(previous: dict[str, Any], out_root: Path, keys: InputKeys) -> Work:
    if previous.get("failed"):
        return Work.FULL
    analysis_ok = previous.get("analysis_key") == keys.analysis and outputs_intact(out_root, previous.get("analysis_outputs", {}))
    if not analysis_ok:
        return Work.FULL
    render_key = keys.render(previous["analysis_outputs"])
    if (
        previous.get("render_key") == render_key
        and previous.get("format_keys", {}) == keys.format_keys(render_key)
        and outputs_intact(out_root, previous.get("render_outputs", {}))
    ):
        return Work.NONE
    return Work.RENDER


def formats_to_render(
    previous: dict[str, Any], out_root: Path, keys: InputKeys, formats: tuple[str, ...], *, documents: bool = True
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """For a province to re-render: the formats whose outputs are stale, and the outputs
    (manifest names) that are kept as they are. A format's outputs are kept only when what
    every format says is unchanged (the render key), that format's own templates are too
    (its format key), and its files are intact; so a stylesheet change re-renders the HTML
    pages alone. With ``documents``, the documents themselves (.qmd, the hand-render
    config, changes.json) are kept too while the render key holds. tests/test_build.py
    checks the result equals a full re-render."""
    render_key = keys.render(previous.get("analysis_outputs", {}))
    if previous.get("render_key") != render_key:
        return formats, ()
    recorded, current = previous.get("format_keys", {}), keys.format_keys(render_key)
    outputs = previous.get("render_outputs", {})
    per_format = {n for fmt in FORMAT_OUTPUTS for n in outputs_of_format(outputs, fmt)}
    common = {n: d for n, d in outputs.items() if n not in per_format}
    kept: list[str] = list(common) if documents and common and outputs_intact(out_root, common) else []
    stale: list[str] = []
    for fmt in formats:
        own = outputs_of_format(outputs, fmt)
        if recorded.get(fmt) == current.get(fmt) and own and outputs_intact(out_root, own):
            kept += own
        else:
            stale.append(fmt)
    return tuple(stale), tuple(sorted(kept))


_RENDERERS: dict[tuple[str, str], Renderer] = {}


def _worker_renderer(name: str, project: str) -> Renderer:
    """One renderer (one loaded font book) per worker process, renderer choice and project."""
    if (name, project) not in _RENDERERS:
        _RENDERERS[(name, project)] = choose_renderer(name, Settings.load(Project(Path(project)).quarto_config))
    return _RENDERERS[(name, project)]


def warm_worker(home: str) -> None:
    """What a worker's first province needs before anything else, done as the worker starts
    while the parent still validates the dataset (a cold build: one core would idle): its
    kernel started and the notebook's modules imported in it (``engine.WarmKernelEngine``),
    and papermill and the notebook page's exporter loaded here meanwhile. ``home`` is the
    pool's empty folder: the kernel starts there, with nothing it could import by mistake."""
    from .engine import WarmKernelEngine
    from .execute import KERNEL, _html_exporter

    warmed = False
    try:
        WarmKernelEngine.prestart(KERNEL, home)
        import papermill  # noqa: F401  # what the first notebook would import: loaded while the kernel starts

        _html_exporter()
        warmed = WarmKernelEngine.warm(KERNEL)
    finally:
        if not warmed:  # never leave a kernel the first notebook would not move to its folder
            WarmKernelEngine.discard(KERNEL)


def build_province(task: ProvinceTask) -> ProvinceOutcome:
    """Analyse (when needed) and render one province into a staging folder; runs in a worker.
    The national overview is one more task of this kind (``task.slug == "overview"``)."""
    maker = _overview_into if task.slug == OVERVIEW else _province_into
    Project(Path(task.project)).activate()
    out_root = Path(task.out_root)
    staging = new_staging(out_root, task.slug)
    started = time.monotonic()
    try:
        outcome = maker(task, staging)
        outcome.seconds = time.monotonic() - started
        return outcome
    except BaseException as exc:
        discard(staging)
        if not isinstance(exc, Exception):
            raise
        return ProvinceOutcome(task.slug, False, task.work, error=_reason(exc))
    finally:
        from .workers import release_memory

        release_memory()


def _province_into(task: ProvinceTask, staging: Path) -> ProvinceOutcome:
    from .manifest import sha256
    from .workers import report

    out_root = Path(task.out_root)
    if task.work is Work.FULL:
        from .execute import run_analysis

        report(task.slug, "analysis")
        run_analysis(
            task.slug,
            staging,
            project=Project(Path(task.project)),
            data_dir=Path(task.data_dir),
            cache=Path(task.cache) if task.cache else None,
            cache_sha256=task.cache_sha256,
            timeout=task.timeout,
            data_date=task.data_as_of,
            build_id=task.build_id,
            failed_copy=out_root / FAILED_NOTEBOOKS / f"{task.slug}.ipynb",
        )
    else:
        final = out_root / task.slug
        copy_into(final, [p.name for p in analysis_files(final)], staging)
    analysis = [p.name for p in analysis_files(staging)]
    kept = _keep_into(task, staging)
    documents = [staging / f"briefing.{lang}.qmd" for lang in task.languages]
    summary: dict[str, Any] = {}
    if all(d.name in kept for d in documents):  # the documents are current: only their outputs are made again
        rendered = sorted(set(kept) | set(_render_here(task, documents, task.data_as_of)))
    else:
        rendered = sorted(set(write_documents(task, staging, summary)) | set(kept))
    if not summary:
        from .analysis import read_results

        summary = results_summary(read_results(staging))
    digests = {name: sha256(staging / name) for name in analysis + rendered}  # in the worker: in parallel
    return ProvinceOutcome(
        task.slug,
        True,
        task.work,
        analysis,
        rendered,
        staging=str(staging),
        digests=digests,
        warnings=_take_warnings(task),
        summary=summary,
    )


def _overview_into(task: ProvinceTask, staging: Path) -> ProvinceOutcome:
    """The national overview's sources and documents. Its results and charts are computed
    again only when the data or the analysis changed (``task.work``); a re-render reuses the
    published ones."""
    from .manifest import sha256
    from .overview import write_overview_analysis, write_overview_documents
    from .workers import report

    analysis_files_ = ["results.json"] + [f"fig-matrix.{lang}.svg" for lang in task.languages]
    if task.work is Work.FULL:
        from . import cache as dataset_cache

        report(OVERVIEW, "analysis")
        prepared = dataset_cache.read(Path(task.data_dir), Path(task.cache) if task.cache else None, task.cache_sha256)
        results = write_overview_analysis(staging, prepared, task.languages, task.analysis_key)
    else:
        from .analysis import read_results

        copy_into(Path(task.out_root) / OVERVIEW, analysis_files_, staging)
        results = read_results(staging)
    from .quarto import write_hand_render_config

    documents = write_overview_documents(
        staging,
        results,
        task.build_id,
        task.languages,
        Project(Path(task.project)).templates,
        links=links_for(task.languages, task.formats),
    )
    files = (
        [d.name for d in documents]
        + [write_hand_render_config(staging, _worker_renderer(task.renderer, task.project).settings)]
        + _render_here(task, documents, task.data_as_of)
        + _keep_into(task, staging)
    )
    digests = {name: sha256(staging / name) for name in files + analysis_files_}
    return ProvinceOutcome(
        OVERVIEW,
        True,
        task.work,
        analysis_files_,
        sorted(set(files)),
        staging=str(staging),
        digests=digests,
        warnings=_take_warnings(task),
    )


def links_for(languages: tuple[str, ...], formats: tuple[str, ...]) -> dict[str, bool]:
    """Which sibling outputs a page may link to: only those this build makes."""
    return {"other_language": len(languages) > 1, "pdf": "pdf" in formats, "html": "html" in formats}


def _keep_into(task: ProvinceTask, staging: Path) -> list[str]:
    """Copy the outputs the task keeps (manifest names: ``henan/briefing.zh.pdf``,
    ``overview.zh.pdf``, ``overview/overview.zh.typ``) into its staging folder; their names there."""
    out_root, names = Path(task.out_root), []
    for kept in task.keep:
        name = kept.split("/", 1)[1] if "/" in kept else kept
        copy_into(out_root / Path(kept).parent, [name], staging)
        names.append(name)
    return names


def _take_warnings(task: ProvinceTask) -> list[str]:
    """The warnings the worker's renderer collected while rendering this task's documents."""
    take: Callable[[], list[str]] | None = getattr(_worker_renderer(task.renderer, task.project), "take_warnings", None)
    return take() if take else []


def _render_here(task: ProvinceTask, documents: list[Path], data_date: str) -> list[str]:
    """With a renderer that renders per document, the documents' outputs (and Typst sources)
    rendered in this worker; a batched renderer renders them after the workers (none here)."""
    from .workers import report

    renderer = _worker_renderer(task.renderer, task.project)
    if renderer.batched:
        return []
    formats = task.render_formats or task.formats
    # a document pandoc read before is in the staging folder only when it was kept, and kept
    # only when its digest and its document's matched the manifest (formats_to_render)
    rendered = cast(DocumentRenderer, renderer).render_documents(
        documents,
        formats,
        data_date=data_date,
        on_format=lambda qmd, fmt: report(task.slug, f"{qmd.suffixes[0].lstrip('.')} {fmt}"),
        keep_read=True,
    )
    typst_sources = [qmd.with_suffix(".typ") for qmd in documents if "pdf" in formats and qmd.with_suffix(".typ").is_file()]
    trees = [read_tree(qmd) for qmd in documents if read_tree(qmd).is_file()]
    return [p.name for paths in rendered.values() for p in paths] + [p.name for p in typst_sources + trees]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BriefingsError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return describe_os_error(exc, Path(exc.filename))
    return f"{type(exc).__name__}: {exc}"


def write_documents(task: ProvinceTask, folder: Path, summary: dict[str, Any] | None = None) -> list[str]:
    """The .qmd of each language and, with a renderer that renders per document, its outputs;
    ``summary``, when given, receives ``results_summary`` of the results they were made from."""
    from .analysis import read_results
    from .document import render_document
    from .fsutil import atomic_write_text
    from .review import CHANGES_FILE, editorial_state, province_changes, read_baseline
    from .workers import report

    results = read_results(folder)
    if summary is not None:
        summary.update(results_summary(results))
    baseline = read_baseline(Path(task.review)) if task.review else None
    changes = province_changes(results, baseline)  # once per build: the box, the index, diff and pack read it
    editorial = editorial_state(results, baseline)
    documents = []
    for lang in task.languages:
        qmd = folder / f"briefing.{lang}.qmd"
        atomic_write_text(
            qmd,
            render_document(
                results,
                lang,
                build_id=task.build_id,
                changes=changes,
                templates=Project(Path(task.project)).templates,
                links=links_for(task.languages, task.formats),
                editorial=editorial,
            ),
        )
        documents.append(qmd)
    extra = []
    if changes is not None:
        atomic_write_text(folder / CHANGES_FILE, json.dumps(changes, ensure_ascii=False, sort_keys=True, indent=1) + "\n")
        extra.append(CHANGES_FILE)
    if not _worker_renderer(task.renderer, task.project).batched:
        report(task.slug, "render " + " ".join(task.languages))
    from .quarto import write_hand_render_config

    hand = write_hand_render_config(folder, _worker_renderer(task.renderer, task.project).settings)  # a hand render works there
    data_as_of = results["data_as_of"]
    del results, changes, editorial  # freed before the PDFs are compiled (large over a grown dataset)
    return sorted({qmd.name for qmd in documents} | {hand} | set(extra) | set(_render_here(task, documents, data_as_of)))


def resolve_provinces(ds: Dataset, requested: tuple[str, ...]) -> list[str]:
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


def check_choices(languages: tuple[str, ...], formats: tuple[str, ...]) -> None:
    from .i18n import LANGUAGES

    if not languages:
        raise UsageError(f"no language given: choose from {', '.join(LANGUAGES)}")
    if not formats:
        raise UsageError(f"no format given: choose from {', '.join(FORMATS)}")
    for lang in languages:
        if lang not in LANGUAGES:
            raise UsageError(f"unknown language {lang!r}: expected {', '.join(LANGUAGES)}")
    for fmt in formats:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}: expected {', '.join(FORMATS)}")


@dataclass
class BuildReport:
    outcomes: list[ProvinceOutcome]
    build_id: str
    index: Path | None

    @property
    def failed(self) -> list[ProvinceOutcome]:
        return [o for o in self.outcomes if not o.ok]


def run_build(
    project: Project,
    data_dir: Path,
    out_root: Path,
    *,
    provinces: tuple[str, ...] = (),
    languages: tuple[str, ...] = ("zh", "en"),
    formats: tuple[str, ...] = FORMATS,
    jobs: int | None = None,
    renderer: str = "auto",
    progress: BuildProgress | None = None,
    shard: tuple[int, int] | None = None,
    force: bool = False,
    wait: bool = True,
    review: Path | None = None,
    timeout: int = 600,
) -> BuildReport:
    """The build of ``project``'s briefings from ``data_dir`` into ``out_root`` (see the module
    docstring); ``review`` is the editors' review record to compare with."""
    check_choices(languages, formats)
    if any(not p for p in provinces):
        raise UsageError("--province needs a province slug (it was given empty)")
    project.activate()
    project.require_data(data_dir)  # before anything is written
    chosen = choose_renderer(
        renderer, Settings.load(project.quarto_config)
    )  # a clear error now for --renderer quarto without quarto
    validated: list[Prepared] = []  # handed to the build (which lets it go), not held here
    pool = None
    interrupted = False
    previous_sigterm: list[SignalHandler] = []  # the handler to put back, once replaced
    try:
        if not out_root.exists():
            from .cache import import_shared_modules, prepare
            from .workers import Pool, terminate_on_sigterm

            # a cold build: every province runs its notebook. The workers start now and warm
            # up (kernels started, modules loaded) on the core the validation leaves idle
            import_shared_modules()
            previous_sigterm.append(terminate_on_sigterm())  # SIGTERM now stops the workers too, as Ctrl-C does
            pool = Pool(min(_jobs(jobs), len(provinces) + 1) if provinces else _jobs(jobs), warm_worker)
            validated.append(prepare(data_dir))  # invalid data is reported before a new output folder is made
        prepare_output(out_root, force=force)
        with build_lock(out_root, wait=wait, notify=progress.message if progress else None):
            try:
                return _build_locked(
                    project,
                    data_dir,
                    out_root,
                    provinces=provinces,
                    languages=languages,
                    formats=formats,
                    jobs=jobs,
                    renderer=chosen,
                    progress=progress,
                    shard=shard,
                    review=review,
                    timeout=timeout,
                    validated=validated,
                    pool=pool,
                )
            except OSError as exc:
                raise OutputError(
                    f"the build could not write its outputs: {describe_os_error(exc, Path(exc.filename or out_root))}"
                ) from None
            finally:
                remove_leftovers(out_root)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if pool is not None:
            # the workers were never given their tasks (an error): after an error they end
            # their warm-up and stop their kernels; after Ctrl-C or SIGTERM they are killed
            pool.close(graceful=not interrupted)
        if previous_sigterm:
            from .workers import restore_sigterm

            restore_sigterm(previous_sigterm[0])


def _jobs(jobs: int | None) -> int:
    """The number of worker processes: ``jobs``, else one per core."""
    return max(1, jobs or os.cpu_count() or 1)


def _build_locked(
    project: Project,
    data_dir: Path,
    out_root: Path,
    *,
    provinces: tuple[str, ...],
    languages: tuple[str, ...],
    formats: tuple[str, ...],
    jobs: int | None,
    renderer: Renderer,
    progress: BuildProgress | None,
    shard: tuple[int, int] | None,
    review: Path | None = None,
    timeout: int = 600,
    validated: list[Prepared] | None = None,
    pool: Pool | None = None,
) -> BuildReport:
    build = _Build(
        project,
        data_dir,
        out_root,
        languages=languages,
        formats=formats,
        jobs=jobs,
        renderer=renderer,
        progress=progress,
        review=review if review is not None and review.is_file() else None,
    )
    build.timeout = timeout
    build.prepared = validated.pop() if validated else None
    build.pool = pool
    build.plan(provinces, shard)
    build.prepare()
    build.run()
    return build.finish()


class _Build:
    """One build, in five steps: plan (what each province and the overview need, from the
    previous manifest), prepare (the validated dataset for the notebooks), run (the workers;
    each province published as soon as it is complete), publish (swap in, record) and finish
    (the index and the manifest). The manifest is written after every publish, so that it
    always describes what the output folder holds."""

    timeout: int  # seconds a notebook cell may run: set by _build_locked (run() reads 600 without it)

    def __init__(
        self,
        project: Project,
        data_dir: Path,
        out_root: Path,
        *,
        languages: tuple[str, ...],
        formats: tuple[str, ...],
        jobs: int | None,
        renderer: Renderer,
        progress: BuildProgress | None,
        review: Path | None,
    ):
        self.project, self.data_dir, self.out_root = project, data_dir, out_root
        self.languages, self.formats, self.jobs, self.renderer, self.progress = languages, formats, jobs, renderer, progress
        self.review = review
        remove_leftovers(out_root)
        self.keys = input_keys(
            project,
            data_dir,
            languages=languages,
            formats=formats,
            renderer=renderer.name,
            renderer_version=renderer.version,
            cache=out_root / CACHE_DIR / "catalog-keys.json",
            review=review,
        )
        self.manifest = read_manifest(out_root)
        self.prepared: Prepared | None = None
        self.outcomes: dict[str, ProvinceOutcome] = {}
        self.tools: dict[str, str] | None = None
        self.cache = ("", "")
        self.pool: Pool | None = None  # workers started before the plan (a cold build)

    # -- plan
    def plan(self, provinces: tuple[str, ...], shard: tuple[int, int] | None) -> None:
        manifest, keys = self.manifest, self.keys
        same_data = manifest.get("inputs", {}).get("analysis") == keys.analysis
        self.selections = manifest.get("selections", {}) if same_data else {}
        self.selection = f"{','.join(provinces) or '*'}|{'/'.join(map(str, shard)) if shard else '*'}"
        if self.selection in self.selections:
            # the same data were validated, and this selection resolved, by the build that wrote the manifest
            self.slugs = self.selections[self.selection]
        else:
            from .cache import prepare

            self.prepared = self.prepared or prepare(self.data_dir)
            self.slugs = shard_of(resolve_provinces(self.prepared.dataset, provinces), shard)
        self.previous = manifest.get("provinces", {})
        plan = {slug: work_needed(self.previous.get(slug, {}), self.out_root, keys) for slug in self.slugs}
        check_foreign_files(self.out_root, {slug: self.previous.get(slug, {}) for slug in plan if plan[slug] is not Work.NONE})
        # keep the entries of provinces outside this build (other shards) that are still valid
        self.recorded = {
            slug: entry
            for slug, entry in self.previous.items()
            if slug not in plan and work_needed(entry, self.out_root, keys) is Work.NONE
        }
        self.recorded.update({slug: self.previous[slug] for slug, work in plan.items() if work is Work.NONE})
        # a province this build will replace keeps its previous entry, marked pending, until it
        # is republished or fails: a manifest written meanwhile (or left by a kill) describes
        # every folder on disk, and readers know the build did not finish
        self.recorded.update(
            {
                slug: {**self.previous[slug], "pending": True}
                for slug, work in plan.items()
                if work is not Work.NONE and slug in self.previous
            }
        )
        self.outcomes = {slug: ProvinceOutcome(slug, True, Work.NONE) for slug, work in plan.items() if work is Work.NONE}
        if self.progress:
            self.progress.start(plan)
            for outcome in self.outcomes.values():
                self.progress.done(outcome)
        self.todo = self.longest_first({slug: work for slug, work in plan.items() if work is not Work.NONE})
        # the national overview (built by the first shard only): its own entry, like a province's
        self.overview_entry = manifest.get("overview", {})
        overview_work = work_needed(self.overview_entry, self.out_root, keys)
        self.todo_all = dict(self.todo)
        if (shard is None or shard[0] == 1) and overview_work is not Work.NONE:
            # first: it is the longest task, and a long task last leaves the other workers idle
            self.todo_all = {OVERVIEW: overview_work, **self.todo}
        # a re-render keeps the outputs of formats whose inputs did not change (a batched
        # renderer, Quarto, renders every format of its documents in one run)
        self.render_plan = {
            slug: formats_to_render(
                self.overview_entry if slug == OVERVIEW else self.previous.get(slug, {}),
                self.out_root,
                keys,
                self.formats,
                documents=slug != OVERVIEW,  # the overview writes its documents again (small)
            )
            for slug, work in self.todo_all.items()
            if work is Work.RENDER and not self.renderer.batched
        }

    def longest_first(self, todo: dict[str, Work]) -> dict[str, Work]:
        """``todo`` with the provinces likely to take longest first (``longest_first``), their
        cost estimated by their rows in the dataset (when it was read) or the size of their
        last results."""
        if self.prepared is not None:
            from .compare import rows_per_province

            rows = rows_per_province(self.prepared.dataset)
            return longest_first(todo, {slug: rows.get(slug, 0) for slug in todo})
        return longest_first(todo, {slug: _size(self.out_root / slug / RESULTS_FILE) for slug in todo})

    # -- prepare
    def prepare(self) -> None:
        if any(work is Work.FULL for work in self.todo_all.values()):
            from .cache import prepare, write_cache

            # written by this build, and trusted by the notebooks only with the digest it has now
            self.prepared = self.prepared or prepare(self.data_dir)
            path, digest = write_cache(self.prepared, self.out_root / CACHE_DIR)
            self.cache = (str(path.resolve()), digest)
        if self.prepared is not None:
            from .workers import release_memory

            # the notebooks and the overview read the dataset from the cache: the build's own
            # copy goes now (over 2000 cities some 35 MB), before any worker is forked (workers
            # forked earlier, in a cold build, never had it), and what stays is frozen for the
            # collectors of the workers to come
            self.prepared = None
            release_memory()

    # -- run and publish
    def run(self) -> None:
        if not self.todo_all:
            return
        staged = _run_provinces(
            self.project,
            self.todo_all,
            self.keys,
            self.data_dir,
            self.out_root,
            self.languages,
            self.formats,
            self.renderer,
            self.cache,
            self.jobs,
            self.progress,
            on_staged=None if self.renderer.batched else self.publish,
            review=self.review,
            timeout=getattr(self, "timeout", 600),
            render_plan=self.render_plan,
            pool=self.pool,
        )
        if self.renderer.batched:
            for outcome in sorted(
                _render_batch(
                    cast(BatchRenderer, self.renderer), staged, self.formats, self.progress, self.keys.data_as_of
                ).values(),
                key=lambda o: o.slug,
            ):
                self.publish(outcome)

    def publish(self, outcome: ProvinceOutcome) -> None:
        """Swap a province (or the overview) in as soon as it is complete, and record it: a later
        fault can neither take it back nor leave the manifest describing something else."""
        if outcome.slug == OVERVIEW:
            if outcome.ok:
                publish_overview(outcome, self.out_root, self.overview_entry)
                self.overview_entry = _overview_entry(self.out_root, self.keys, outcome)
                if self.progress:
                    for warning in outcome.warnings:
                        self.progress.message(f"{OVERVIEW}: {warning}")
            elif self.progress:
                self.progress.message(f"the national overview failed: {outcome.error}")
            if not outcome.ok and self.overview_entry:
                self.overview_entry = {**self.overview_entry, "failed": outcome.error[:500]}
            self.record()
            return
        if outcome.ok:
            if self.progress:
                self.progress.stage(outcome.slug, "publish")
            publish(Path(outcome.staging), self.out_root / outcome.slug)
            self.recorded[outcome.slug] = _entry(self.out_root, outcome.slug, self.keys, outcome)
        elif outcome.slug in self.previous:
            # the previous briefing stays, whole; its entry says the latest build of it failed
            previous = {k: v for k, v in self.previous[outcome.slug].items() if k != "pending"}
            self.recorded[outcome.slug] = {**previous, "failed": outcome.error[:500]}
        self.outcomes[outcome.slug] = outcome
        self.record()
        if self.progress:
            self.progress.done(outcome)

    # -- record and finish
    def record(self, index: dict[str, str] | None = None) -> None:
        if self.tools is None:
            self.tools = tool_versions(self.renderer.name, self.renderer.version)
        text = manifest_text(
            self.keys,
            self.tools,
            self.recorded,
            {**self.selections, self.selection: self.slugs},
            overview=self.overview_entry,
            index=index if index is not None else self._index_until_finished(),
        )
        write_if_changed(self.out_root / MANIFEST, text)

    def _index_until_finished(self) -> dict[str, str]:
        """The index entry recorded while provinces are being published: none while this
        build has work, since the index on disk describes the previous build until
        ``finish`` writes it again. A build killed after its last publish then leaves no
        digest to call the old page intact, and the next build writes it."""
        return {} if self.todo_all else self.manifest.get("index", {})

    def finish(self) -> BuildReport:
        index_file = self.out_root / "index.html"
        recorded_index = self.manifest.get("index", {})
        index = None
        if self.todo_all or not outputs_intact(self.out_root, recorded_index):
            summaries = {slug: o.summary for slug, o in self.outcomes.items() if o.ok and o.summary is not None}
            index = write_index(self.project, self.out_root, self.keys, self.review, self.languages, self.formats, summaries)
            recorded_index = record(self.out_root, [index_file])
        unchanged = (
            not self.todo_all
            and self.selection in self.selections
            and self.recorded == self.previous
            and recorded_index == self.manifest.get("index", {})
            and (self.out_root / MANIFEST).is_file()
        )
        if not unchanged:  # a no-op build writes nothing (and asks no tool for its version)
            self.record(recorded_index)
        return BuildReport([self.outcomes[s] for s in sorted(self.outcomes)], self.keys.build_id, index)


#: The names the tool gives the files of a province's (or the overview's) folder.
OUTPUT_NAME = re.compile(
    r"^(_quarto\.yml|results\.json|changes\.json|analysis\.(ipynb|html)|fig-[a-z0-9_-]+\.[a-z]+\.svg|"
    r"(briefing|overview)\.[a-z]{2}\.(qmd|typ|html|pdf|ast\.json))$"
)


def longest_first(todo: dict[str, Work], cost: dict[str, int]) -> dict[str, Work]:
    """``todo`` ordered by ``cost``, highest first (ties by slug): a long task started last
    would leave the other workers idle at the end of the build. The order changes no output."""
    return {slug: todo[slug] for slug in sorted(todo, key=lambda s: (-cost.get(s, 0), s))}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def check_foreign_files(out_root: Path, entries: dict[str, dict[str, Any]]) -> None:
    """A province folder about to be replaced holds only what the manifest says the tool
    wrote there: anything else (a user's notes) is never deleted; the build stops first."""
    for slug, entry in entries.items():
        folder = out_root / slug
        if not folder.is_dir() or folder.is_symlink():
            if folder.is_symlink() or folder.exists():
                raise OutputError(f"{display_path(folder)} is not a folder the tool made; move it away first")
            continue
        ours = {
            name.split("/", 1)[1]
            for name in [*entry.get("analysis_outputs", {}), *entry.get("render_outputs", {})]
            if "/" in name
        }
        # without a record (a manifest of an older version, a build cut short before it recorded
        # this folder), files named as the tool names its outputs are taken as the tool's
        foreign = sorted(
            p.relative_to(folder).as_posix()
            for p in folder.rglob("*")
            if (p.is_file() or p.is_symlink())
            and p.relative_to(folder).as_posix() not in ours
            and not (
                not entry
                and (out_root / OUTPUT_MARKER).is_file()
                and not p.is_symlink()
                and OUTPUT_NAME.match(p.relative_to(folder).as_posix())
            )
        )
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise OutputError(
                f"{display_path(folder)} holds files the tool did not write ({shown}); rebuilding it would "
                "replace the folder: move them away first (nothing the tool did not write is ever deleted)"
            )


def publish_overview(outcome: ProvinceOutcome, out_root: Path, previous: dict[str, Any]) -> None:
    """The overview's sources go to ``OUT/overview/``, its pages to ``OUT/overview.<lang>.<fmt>``
    (beside the index, which links them). A page of the previous overview that this build does
    not make again is removed only when the manifest records it as the tool's."""
    staging = Path(outcome.staging)
    pages = [name for name in outcome.render_outputs if _is_overview_page(name)]
    check_foreign_files(out_root, {OVERVIEW: previous} if previous else {OVERVIEW: {}})
    for name in pages:  # pages first, each renamed into place whole
        os.chmod(staging / name, 0o644)
        os.replace(staging / name, out_root / name)
    for name in previous.get("render_outputs", {}):
        if _is_overview_page(name) and name not in pages:
            (out_root / name).unlink(missing_ok=True)
    publish(staging, out_root / OVERVIEW)


def _is_overview_page(name: str) -> bool:
    return "/" not in name and name.startswith(f"{OVERVIEW}.") and name.endswith((".html", ".pdf"))


def _overview_entry(out_root: Path, keys: InputKeys, outcome: ProvinceOutcome) -> dict[str, Any]:
    """The overview's manifest entry, once published (digests from the worker where it made
    the file; a batched renderer's pages are hashed where they now lie)."""

    def name(n: str) -> str:
        return n if _is_overview_page(n) else f"{OVERVIEW}/{n}"

    def digest(n: str) -> str:
        return outcome.digests.get(n) or sha256(out_root / name(n))

    analysis = {name(n): digest(n) for n in outcome.analysis_outputs}
    render = {name(n): digest(n) for n in outcome.render_outputs}
    return {
        "analysis_key": keys.analysis,
        "render_key": keys.render(analysis),
        "format_keys": keys.format_keys(keys.render(analysis)),
        "analysis_outputs": dict(sorted(analysis.items())),
        "render_outputs": dict(sorted(render.items())),
    }


def _entry(out_root: Path, slug: str, keys: InputKeys, outcome: ProvinceOutcome) -> dict[str, Any]:
    """The manifest entry of a province just published (digests from the worker when it has them)."""

    def digests(names: list[str]) -> dict[str, str]:
        missing = [n for n in names if n not in outcome.digests]
        known = {f"{slug}/{n}": outcome.digests[n] for n in names if n in outcome.digests}
        return dict(sorted({**known, **record(out_root, [out_root / slug / n for n in missing])}.items()))

    analysis = digests(outcome.analysis_outputs)
    return {
        "analysis_key": keys.analysis,
        "render_key": keys.render(analysis),
        "format_keys": keys.format_keys(keys.render(analysis)),
        "analysis_outputs": analysis,
        "render_outputs": digests(outcome.render_outputs),
    }


def _run_provinces(
    project: Project,
    todo: dict[str, Work],
    keys: InputKeys,
    data_dir: Path,
    out_root: Path,
    languages: tuple[str, ...],
    formats: tuple[str, ...],
    renderer: Renderer,
    cache: tuple[str, str],
    jobs: int | None,
    progress: BuildProgress | None,
    on_staged: Callable[[ProvinceOutcome], None] | None = None,
    review: Path | None = None,
    timeout: int = 600,
    render_plan: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None,
    pool: Pool | None = None,
) -> dict[str, ProvinceOutcome]:
    """Every province in the workers; ``on_staged(outcome)`` is called as each one ends.
    ``render_plan`` maps a province to re-render to (formats to render, outputs to keep)."""
    from .workers import WorkerDied, run_tasks

    staged: dict[str, ProvinceOutcome] = {}

    def on_result(slug: str, value: Any) -> None:
        if isinstance(value, ProvinceOutcome):
            staged[slug] = value
        else:
            reason = str(value) if isinstance(value, WorkerDied) else f"{type(value).__name__}: {value}"
            staged[slug] = ProvinceOutcome(slug, False, todo[slug], error=reason)
        if on_staged:
            on_staged(staged[slug])

    tasks = [
        (
            slug,
            (
                ProvinceTask(
                    slug,
                    work,
                    str(project.root),
                    str(data_dir.resolve()),
                    str(out_root.resolve()),
                    languages,
                    formats,
                    renderer.name,
                    keys.build_id,
                    cache[0],
                    cache[1],
                    keys.data_as_of,
                    str(review.resolve()) if review else "",
                    keys.analysis,
                    timeout,
                    *(render_plan or {}).get(slug, ((), ())),
                ),
            ),
        )
        for slug, work in todo.items()
    ]
    run_tasks(
        build_province,
        tasks,
        jobs=_jobs(jobs),
        on_result=on_result,
        on_event=progress.stage if progress else None,
        pool=pool,
    )
    return staged


def _render_batch(
    renderer: BatchRenderer,
    staged: dict[str, ProvinceOutcome],
    formats: tuple[str, ...],
    progress: BuildProgress | None,
    data_date: str,
) -> dict[str, ProvinceOutcome]:
    """One batched render (Quarto) of every staged province; a document's failure fails its province."""
    ready = {slug: o for slug, o in staged.items() if o.ok}
    if not ready:
        return staged
    if progress:
        for slug in ready:
            progress.stage(slug, f"{renderer.name} render")
    documents = [Path(o.staging) / name for o in ready.values() for name in o.render_outputs if name.endswith(".qmd")]
    results = renderer.render_batch(documents, formats, data_date=data_date)
    for slug, outcome in ready.items():
        folder = Path(outcome.staging)
        errors = [results[d] for d in documents if d.parent == folder and isinstance(results.get(d), Exception)]
        if errors:
            shutil.rmtree(folder, ignore_errors=True)
            staged[slug] = ProvinceOutcome(slug, False, outcome.work, error="; ".join(str(e) for e in errors))
        else:
            # no document of this folder failed: each result is its list of outputs
            made = [p.name for d in documents if d.parent == folder for p in cast("list[Path]", results.get(d, []))]
            outcome.render_outputs = sorted(set(outcome.render_outputs) | set(made))
            outcome.warnings += [w for d in documents if d.parent == folder for w in getattr(renderer, "warnings", {}).get(d, [])]
    return staged


def results_summary(results: dict[str, Any]) -> dict[str, Any]:
    """What the index and the build's report take from a province's results (``read_results``):
    its key findings (two or three per language, each a claim's sentence with its status, year
    and scope), what its briefing rests on (sources, figures, dates), whether it is a thin
    profile, and how many claim variants broke a rule (``dropped``). Plain data: a worker
    makes it from the results it rendered, so the build reads no results.json again."""
    from .dates import display_span
    from .document import index_figures

    dates = results.get("source_dates") or []
    return {
        "province": results["province"],
        "figures": index_figures(results),
        "measures": results["counts"]["measures"],
        "has_quantitative": results["has_quantitative"],
        "thin": results.get("profile") == "thin",
        "rests_on": {
            "sources": results["counts"].get("sources", 0),
            "figures": results["counts"]["valued"],
            "dates": {lang: display_span(dates, lang) for lang in ("zh", "en")},
        },
        "dropped": sum(1 for d in results.get("dropped", []) if isinstance(d, dict)),
    }


def index_entries(
    out_root: Path,
    slugs: list[str],
    baseline: Baseline | None = None,
    summaries: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Per province: ``results_summary`` of its published results (taken from ``summaries``,
    slug -> summary, where this build's worker made it; else read from results.json), which
    outputs exist (the index links nothing else), and whether it changed since the review."""
    from .analysis import read_results
    from .review import read_changes

    entries = []
    for slug in slugs:
        summary = (summaries or {}).get(slug)
        if summary is None:
            try:
                summary = results_summary(read_results(out_root / slug))
            except (OSError, ValueError):
                continue
        report = read_changes(out_root / slug) if baseline is not None else None  # the build's own report
        entries.append(
            {
                "slug": slug,
                **{key: value for key, value in summary.items() if key != "dropped"},
                "files": {
                    f"{lang}.{fmt}": (out_root / slug / f"briefing.{lang}.{fmt}").is_file()
                    for lang in ("zh", "en")
                    for fmt in ("html", "pdf")
                },
                "status": "" if report is None else ("changed" if report["changed"] else "unchanged"),
            }
        )
    return entries


def write_index(
    project: Project,
    out_root: Path,
    keys: InputKeys,
    review: Path | None = None,
    languages: tuple[str, ...] = ("zh", "en"),
    formats: tuple[str, ...] = FORMATS,
    summaries: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """The index page of every province folder present (written only when it changes);
    ``summaries``: the ``results_summary`` of provinces this build published (the others'
    are read from their results.json)."""
    import jinja2

    from .dates import display
    from .review import read_baseline

    baseline = read_baseline(review) if review else None

    slugs = sorted(
        p.parent.name
        for p in out_root.glob(f"*/{RESULTS_FILE}")
        if not p.parent.name.startswith(".") and p.parent.name != OVERVIEW
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(project.templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = (project.templates / "briefing.css").read_text(encoding="utf-8")
    date = keys.data_as_of
    entries = index_entries(out_root, slugs, baseline, summaries)
    review_summary = (
        {"date": baseline.date, "changed": [e["slug"] for e in entries if e["status"] == "changed"]} if baseline else None
    )
    from .i18n import N_, gettext_for

    # the page is bilingual: its topic words come from both catalogs (README, "Another topic")
    words = {"kicker": N_("AI policy briefings"), "title": N_("Provincial AI-policy briefings")}
    html = env.get_template("index.html.j2").render(
        words={key: {lang: gettext_for(lang)(message) for lang in ("zh", "en")} for key, message in words.items()},
        entries=entries,
        build_id=keys.build_id,
        css=css,
        data_as_of={"zh": display(date, "zh"), "en": display(date, "en")} if date else {"zh": "", "en": ""},
        overview={lang: (out_root / f"{OVERVIEW}.{lang}.html").is_file() for lang in ("zh", "en")},
        review=review_summary,
    )
    path = out_root / "index.html"
    write_if_changed(path, html)
    return path


def analyze(
    project: Project,
    data_dir: Path,
    out_root: Path,
    slug: str,
    *,
    force: bool = False,
    wait: bool = True,
    notify: Callable[[str], None] | None = None,
    timeout: int = 600,
) -> Path:
    """Run one province's notebook (``briefings analyze``) and record it in the manifest.

    The province's previous documents stay beside the new results until the next build
    re-renders them (its render key is cleared), and the next build does not redo the
    analysis.
    """
    from .cache import prepare, write_cache
    from .compare import find_province
    from .execute import run_analysis

    project.activate()
    project.require_data(data_dir)
    prepared = prepare(data_dir)
    find_province(prepared.dataset, slug)  # fail fast, before starting a kernel, on an unknown province
    prepare_output(out_root, force=force)
    with build_lock(out_root, wait=wait, notify=notify):
        try:
            remove_leftovers(out_root)
            keys = input_keys(project, data_dir, languages=(), formats=(), renderer="")
            cache, cache_sha256 = write_cache(prepared, out_root / CACHE_DIR)
            manifest = read_manifest(out_root)
            staging = new_staging(out_root, slug)
            final = out_root / slug
            previous = manifest.get("provinces", {}).get(slug, {})
            kept = [n.split("/", 1)[1] for n in previous.get("render_outputs", {}) if (out_root / n).is_file()]
            try:
                run_analysis(
                    slug,
                    staging,
                    project=project,
                    data_dir=data_dir,
                    cache=cache,
                    cache_sha256=cache_sha256,
                    build_id=keys.build_id,
                    timeout=timeout,
                    data_date=keys.data_as_of,
                    failed_copy=out_root / FAILED_NOTEBOOKS / f"{slug}.ipynb",
                )
                copy_into(final, kept, staging)
            except BaseException:
                discard(staging)
                raise
            publish(staging, final)
            folder = out_root / slug
            provinces = dict(manifest.get("provinces", {}))
            provinces[slug] = {
                "analysis_key": keys.analysis,
                "render_key": None,
                "analysis_outputs": record(out_root, analysis_files(folder)),
                "render_outputs": record(out_root, [folder / n for n in kept]),
            }
            tools = manifest.get("tools") or tool_versions("")
            write_if_changed(out_root / MANIFEST, manifest_text(keys, tools, provinces, manifest.get("selections", {})))
            return folder / EXECUTED_NOTEBOOK
        except OSError as exc:
            raise OutputError(
                f"the analysis could not write its outputs: {describe_os_error(exc, Path(exc.filename or out_root))}"
            ) from None
        finally:
            remove_leftovers(out_root)
