"""The Quarto renderer: one batched ``quarto render`` for a whole build.

Quarto applies a project's ``_quarto.yml`` only to files inside the project and outside
its ``output-dir``, and each ``quarto render`` call pays a start-up (and, for HTML themes,
a Sass compile) of seconds. So the documents of a build are copied into a staging
project in the system's temporary folder (never in the repository or the output folder):
its ``_quarto.yml`` is the project's, with a ``render:`` list of exactly these documents
and its own ``output-dir``, beside copies of the templates, partials, stylesheet and
filters it names. One ``quarto render`` renders every document to every format; the
outputs are copied back beside their ``.qmd`` (atomically), and the staging project,
with its ``.quarto/`` cache, is removed.

A project render stops at the first failing document. The failing document is found in
Quarto's log, reported as that document's error (one paragraph, no ANSI colour codes),
and the documents not yet rendered are rendered in a further call.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import UsageError
from .fsutil import atomic_write_bytes
from .render import RenderError, Settings, _as_list, source_date

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

QUARTO_FORMAT = {"html": "html", "pdf": "typst"}
OUTPUT_DIR = "_out"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PROGRESS = re.compile(r"\[\s*\d+/\d+\]\s+(\S+\.qmd)")
#: Seconds one quarto render of a batch may take before it is stopped.
TIMEOUT = 3600


def plain(text: str) -> str:
    """Quarto's console text without colour codes or carriage returns."""
    return _ANSI.sub("", text).replace("\r", "\n")


class QuartoRenderer:
    """``quarto render`` of many documents in one staging project."""

    name = "quarto"
    batched = True

    def __init__(self, executable: str | None = None, *, settings: Settings):
        found = executable or shutil.which("quarto")
        if not found:
            raise UsageError(
                "the quarto renderer was requested but `quarto` is not on PATH; "
                "install Quarto, or use --renderer builtin (the default when Quarto is absent)"
            )
        self.executable: str = found
        self.settings = settings
        #: document -> the warnings Quarto printed while rendering it (Typst's among them)
        self.warnings: dict[Path, list[str]] = {}

    @cached_property
    def version(self) -> str:
        try:
            proc = subprocess.run([self.executable, "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"cannot run {self.executable} --version: {exc}") from None
        if proc.returncode != 0:
            raise RenderError(f"{self.executable} --version failed: {plain(proc.stderr).strip()[-500:]}")
        return proc.stdout.strip()

    def render(
        self,
        qmd: Path,
        formats: tuple[str, ...],
        *,
        lang: str,
        data_date: str,
        on_format: Callable[[Path, str], None] | None = None,
    ) -> list[Path]:
        result = self.render_batch([qmd], formats, data_date=data_date)[qmd]
        if isinstance(result, Exception):
            raise result
        return result

    # -- the staging project
    def project_files(self) -> list[str]:
        """Files _quarto.yml names (filters, templates, partials, stylesheets), relative to the project."""
        html, typst = self.settings.html, self.settings.typst
        names = list(self.settings.filters) + _as_list(html.get("css")) + _as_list(html.get("template"))
        names += _as_list(typst.get("template-partials")) + _as_list(typst.get("template"))
        return list(dict.fromkeys(names))

    def project_config(self, render: list[str]) -> dict[str, Any]:
        """The project's _quarto.yml for the staging project: its own render list and output-dir."""
        config = dict(self.settings.raw)
        config["project"] = {**(config.get("project") or {}), "output-dir": OUTPUT_DIR, "render": render}
        return config

    def stage(self, documents: list[Path], stage: Path) -> dict[Path, str]:
        """Copy the documents, their figures and the project files; returns document -> staged path."""
        for name in self.project_files():
            source = self.settings.path(name)
            target = stage / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
        staged: dict[Path, str] = {}
        folders: dict[Path, str] = {}
        for doc in documents:
            folder = folders.setdefault(doc.parent, f"d{len(folders) + 1:03d}")
            (stage / folder).mkdir(exist_ok=True)
            shutil.copy(doc, stage / folder / doc.name)
            for figure in doc.parent.glob("fig-*.svg"):
                if not (stage / folder / figure.name).exists():
                    shutil.copy(figure, stage / folder / figure.name)
            staged[doc] = f"{folder}/{doc.name}"
        return staged

    def command(self, stage: Path, formats: tuple[str, ...], log: Path) -> list[str]:
        """``quarto render STAGE`` for every format in _quarto.yml, or ``--to`` the one asked for.

        (A project render does not take ``--to html,typst``: Quarto reads it as one format.)
        """
        cmd = [self.executable, "render", str(stage), "--log", str(log), "--log-level", "info"]
        if len(formats) == 1:
            cmd += ["--to", QUARTO_FORMAT[formats[0]]]
        return cmd

    def render_batch(
        self, documents: list[Path], formats: tuple[str, ...], *, data_date: str = ""
    ) -> dict[Path, list[Path] | Exception]:
        """Render every document to every format in as few Quarto calls as failures allow."""
        results: dict[Path, list[Path] | Exception] = {}
        stage = Path(tempfile.mkdtemp(prefix="briefings-quarto-"))
        try:
            staged = self.stage(documents, stage)
            remaining = list(documents)
            attempt = 0
            while remaining:
                attempt += 1
                failed_doc, message, warned = self._run(stage, [staged[d] for d in remaining], formats, attempt, data_date)
                for doc in remaining:
                    if warned.get(staged[doc]):
                        self.warnings.setdefault(doc, []).extend(f"{doc.name}: {w}" for w in warned[staged[doc]])
                for doc in remaining:
                    outputs = self._collect(stage, staged[doc], doc, formats)
                    if outputs is not None:
                        results[doc] = outputs
                failed = next((d for d in remaining if staged[d] == failed_doc), None)
                if message is not None and failed is None:
                    # the failure names no document: every document still without outputs fails with it
                    for doc in remaining:
                        results.setdefault(doc, RenderError(f"quarto render failed for {doc.name}: {message}"))
                if failed is not None:
                    results[failed] = RenderError(f"quarto render failed for {failed.name}: {message}")
                remaining = [d for d in remaining if d not in results]
                if message is None and remaining:
                    for doc in remaining:  # quarto said it succeeded but wrote nothing for these
                        results[doc] = RenderError(f"quarto render wrote no {', '.join(formats)} output for {doc.name}")
                    remaining = []
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        return results

    def _run(
        self, stage: Path, render: list[str], formats: tuple[str, ...], attempt: int, data_date: str
    ) -> tuple[str | None, str | None, dict[str, list[str]]]:
        """One quarto render; returns the staged document that failed and the error (or None,
        None), and the warnings printed for each staged document."""
        import yaml

        (stage / "_quarto.yml").write_text(
            yaml.safe_dump(self.project_config(render), allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        log = stage / f"quarto-{attempt}.log"
        env = {**os.environ, "NO_COLOR": "1", "SOURCE_DATE_EPOCH": str(int(source_date(data_date).timestamp()))}
        try:
            proc = subprocess.run(
                self.command(stage, formats, log), cwd=stage, env=env, capture_output=True, text=True, timeout=TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return None, f"quarto render took more than {TIMEOUT} s and was stopped", {}
        except OSError as exc:
            return None, f"cannot run {self.executable}: {exc}", {}
        console = plain(proc.stderr + proc.stdout)
        warned = warnings_by_document(console)
        if proc.returncode == 0:
            return None, None, warned
        logged = plain(log.read_text(encoding="utf-8", errors="replace")) if log.is_file() else ""
        progress = _PROGRESS.findall(console) or _PROGRESS.findall(logged)
        return (progress[-1] if progress else None), error_paragraph(console or logged), warned

    def _collect(self, stage: Path, staged: str, doc: Path, formats: tuple[str, ...]) -> list[Path] | None:
        """Copy a document's outputs beside it; None unless every format's output exists."""
        found = []
        for fmt in formats:
            output = stage / OUTPUT_DIR / Path(staged).with_suffix(f".{fmt}")
            if not output.is_file():
                return None
            found.append((output, doc.with_suffix(f".{fmt}")))
        for output, target in found:
            atomic_write_bytes(target, output.read_bytes())
        return [target for _, target in found]


#: Where ``quarto render`` of a generated document, by hand, writes (inside its folder, so a
#: hand render never overwrites the build's own HTML and PDF).
HAND_RENDER_DIR = "quarto-render"
HAND_RENDER_CONFIG = "_quarto.yml"


def hand_render_config(folder: Path, settings: Settings) -> str:
    """The ``_quarto.yml`` written beside a province's (or the overview's) documents, so that
    ``quarto render briefing.zh.qmd`` where it lies gives the build's document: the project's
    settings (A4, SC fonts, self-contained HTML, the project's template, stylesheet, partials
    and filter, named relative to this folder) and an output folder of its own.

    Without it Quarto applies no settings to a document inside the project's output-dir
    (its default look, US Letter, Japanese glyph forms, not self-contained) and writes its
    outputs over the build's."""
    import yaml

    root = settings.root

    def here(name: str) -> str:
        return Path(os.path.relpath(root / name, folder)).as_posix()

    config = json_copy(settings.raw)
    config["project"] = {"type": "default", "output-dir": HAND_RENDER_DIR}
    config["filters"] = [here(f) for f in _as_list(config.get("filters"))]
    html = config.get("format", {}).get("html", {})
    for key in ("css", "template"):
        if key in html:
            html[key] = [here(f) for f in html[key]] if isinstance(html[key], list) else here(html[key])
    typst = config.get("format", {}).get("typst", {})
    for key in ("template-partials", "template"):
        if key in typst:
            typst[key] = [here(f) for f in typst[key]] if isinstance(typst[key], list) else here(typst[key])
    head = (
        "# Written by `briefings build` from the project's _quarto.yml: `quarto render FILE.qmd` here\n"
        f"# gives the build's document in {HAND_RENDER_DIR}/ (the build's own outputs are left alone).\n"
    )
    return head + yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def json_copy(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value))


def write_hand_render_config(folder: Path, settings: Settings) -> str:
    """Write ``hand_render_config`` into ``folder``; returns its file name."""
    from .fsutil import atomic_write_text

    atomic_write_text(folder / HAND_RENDER_CONFIG, hand_render_config(folder, settings))
    return HAND_RENDER_CONFIG


def warnings_by_document(console: str) -> dict[str, list[str]]:
    """The warning lines Quarto (and the Typst it runs) printed, under the document whose
    progress line came before them."""
    found: dict[str, list[str]] = {}
    current = None
    for line in console.splitlines():
        progress = _PROGRESS.search(line)
        if progress:
            current = progress.group(1)
        elif current and re.match(r"\s*(WARN(ING)?\b|warning:)", line, re.IGNORECASE):
            found.setdefault(current, []).append(line.strip())
    return found


def error_paragraph(text: str, limit: int = 1200) -> str:
    """Quarto's error as one paragraph: its ERROR lines and what follows them, no stack trace."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    keep, on = [], False
    for line in lines:
        if line.startswith("ERROR") or "error:" in line.lower():
            on = True
        if line.startswith("Stack trace"):
            on = False
        if on and not line.startswith("at "):
            keep.append(line)
    paragraph = " ".join(keep or lines[-6:])
    return paragraph[:limit] + (" ..." if len(paragraph) > limit else "")
