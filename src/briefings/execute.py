"""Run the briefing notebook for one province with papermill.

The notebook runs with its output folder as working directory (a province's staging folder
during a build), and every path it is given is relative to that folder, so the executed
notebook, the audit trail, names no machine path and no staging folder. A failed run
raises ``AnalysisError`` naming the failing cell; the executed notebook is kept at the
path the caller chose for inspection.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import BriefingsError
from .fsutil import atomic_write_text
from .project import Project

if TYPE_CHECKING:
    from nbconvert import HTMLExporter

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

EXECUTED_NOTEBOOK = "analysis.ipynb"
NOTEBOOK_HTML = "analysis.html"  # the executed notebook for reviewers without Jupyter
RESULTS_FILE = "results.json"  # written by the notebook (analysis.write_results)
KERNEL = "python3"  # the Jupyter kernel the notebook runs in


class AnalysisError(BriefingsError):
    """The notebook failed for a province; names the failing cell and the executed notebook."""

    exit_code = 1

    def __init__(self, slug: str, message: str, notebook: Path | None):
        self.slug, self.notebook = slug, notebook
        where = f" (executed notebook: {notebook})" if notebook else ""
        super().__init__(f"analysis of {slug} failed: {message}{where}")


def relative(path: Path, start: Path) -> str:
    return os.path.relpath(path.resolve(), start.resolve())


def notebook_parameters(
    slug: str, out_dir: Path, *, data_dir: Path, cache: Path | None, build_id: str, project_dir: Path, cache_sha256: str = ""
) -> dict[str, str]:
    """Parameters papermill injects: the province and paths relative to the output folder
    (``project_dir``: the project whose translation catalogs the charts use)."""
    return {
        "province": slug,
        "project_dir": relative(project_dir, out_dir),
        "data_dir": relative(data_dir, out_dir),
        "output_dir": ".",
        "dataset_cache": relative(cache, out_dir) if cache else "",
        "dataset_cache_sha256": cache_sha256 if cache else "",
        "build_id": build_id,
    }


def run_analysis(
    slug: str,
    out_dir: Path,
    *,
    project: Project,
    data_dir: Path,
    cache: Path | None = None,
    cache_sha256: str = "",
    build_id: str = "",
    kernel: str = KERNEL,
    failed_copy: Path | None = None,
    timeout: int = 600,
    data_date: str = "",
) -> Path:
    """Execute ``project``'s notebook for ``slug`` with ``out_dir`` as its folder; returns the
    executed notebook. The kernel is this process's warm kernel (``engine.py``).
    """
    import papermill  # imported here: a no-op build never needs it
    from papermill.exceptions import PapermillExecutionError

    from .engine import ENGINE_NAME

    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / EXECUTED_NOTEBOOK
    notebook = project.notebook
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=notebook_parameters(
                slug,
                out_dir,
                data_dir=data_dir,
                cache=cache,
                build_id=build_id,
                project_dir=project.root,
                cache_sha256=cache_sha256,
            ),
            kernel_name=kernel,
            progress_bar=False,
            log_output=False,
            engine_name=ENGINE_NAME,
            request_save_on_cell_execute=False,  # saved once at the end (and on failure)
            cwd=str(out_dir),
            execution_timeout=timeout,  # a hung cell fails this province, never hangs the build
        )
    except PapermillExecutionError as exc:
        kept = _keep(executed, failed_copy)
        raise AnalysisError(slug, f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}", kept) from None
    except BriefingsError:
        raise
    except Exception as exc:  # a dead kernel, a timeout ...: this province fails, the build goes on
        kept = _keep(executed, failed_copy)
        raise AnalysisError(slug, f"{type(exc).__name__}: {exc}".strip(), kept) from None
    _tidy_audit_trail(executed, notebook, data_date)
    export_html(executed, out_dir / NOTEBOOK_HTML, title=f"{slug}: analysis notebook")
    return executed


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'" />
<title>{title}</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", sans-serif; max-width: 70rem; margin: 2rem auto;
        padding: 0 1rem; color: #1d2329; }}
.jp-InputArea, .input_area, pre {{ background: #f6f4f1; padding: .5rem; overflow-x: auto; font-size: .85rem; }}
table {{ border-collapse: collapse; font-size: .85rem; display: block; overflow-x: auto; }}
td, th {{ border-bottom: 1px solid #dde1e5; padding: .2rem .5rem; text-align: left; }}
svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


class _MemoHighlight:
    """nbconvert's code highlighting, remembered per cell source: every province's notebook
    has the same code cells (but the parameters), and highlighting them took half of a
    conversion. The lexer is the notebook's, as nbconvert's own filter takes it."""

    def __init__(self) -> None:
        self.lexer: str | None = None
        self._highlighters: dict[str | None, Any] = {}
        self._done: dict[tuple[str, str | None, str | None, str], str] = {}

    def __call__(self, source: str, language: str | None = None, metadata: Any = None) -> str:
        key = (source, language, self.lexer, json.dumps(metadata, sort_keys=True, default=str))
        if key not in self._done:
            if len(self._done) >= _MEMO_SIZE:
                self._done.clear()
            from nbconvert.filters.highlight import Highlight2HTML

            if self.lexer not in self._highlighters:
                self._highlighters[self.lexer] = Highlight2HTML(pygments_lexer=self.lexer, parent=_html_exporter())  # type: ignore[no-untyped-call]  # not annotated
            self._done[key] = self._highlighters[self.lexer](source, language, metadata)
        return self._done[key]


_MEMO_SIZE = 512  # distinct code cells and sanitized snippets a worker remembers
_highlight = _MemoHighlight()


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _clean_html(element: str | bytes) -> str:
    """nbconvert's sanitizer (a pure function of its text), remembered: it cleans each
    highlighted code cell, the same cells in every notebook."""
    from nbconvert.filters.strings import clean_html

    return cast(str, clean_html(element))  # type: ignore[no-untyped-call]  # nbconvert is not annotated


#: The alt text nbconvert's HTMLExporter gives an image output that has none.
NO_ALT_TEXT = "No description has been provided for this image"
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")

#: nbconvert's basic template, whose image outputs carry nbconvert's alt text themselves.
_NOTEBOOK_TEMPLATE = """{%- extends 'basic/index.html.j2' -%}
{% block data_svg %}{{ super() | with_alt }}{% endblock data_svg %}
{% block data_png %}{{ super() | with_alt }}{% endblock data_png %}
{% block data_jpg %}{{ super() | with_alt }}{% endblock data_jpg %}
"""


def _with_alt(html: str) -> str:
    """An image output's HTML, each ``<img>`` without an alt attribute given nbconvert's."""
    return _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT_TEXT}"', str(html))


@functools.cache
def _html_exporter() -> HTMLExporter:
    """One exporter per process: building one loads and compiles nbconvert's templates,
    which cost more than converting a notebook. Each conversion sets the exporter's
    per-notebook filters afresh; highlighting and sanitizing are remembered per snippet
    (tested equal to a new exporter's output)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class Exporter(HTMLExporter):
        def _validate_preprocessor(self, nbc: Any, preprocessor: Any) -> None:
            # nbconvert validates the whole notebook after each of its dozen preprocessors
            # (most of them disabled): once, after the last, rejects the same notebooks
            if preprocessor is self._preprocessors[-1]:
                super()._validate_preprocessor(nbc, preprocessor)  # type: ignore[no-untyped-call]  # not annotated

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            # HTMLExporter's own steps but its last: that one parses the whole page with
            # BeautifulSoup (three quarters of a conversion) to give images nbconvert's alt
            # text, which the template above gives them, and to make the cells of the
            # JupyterLab templates focusable (the basic template has none). The page is
            # tested to be the same document as HTMLExporter's. (Highlighting is the
            # filter given below, which export_html points at the notebook's lexer.)
            resources = self._init_resources(resources)  # type: ignore[no-untyped-call]  # not annotated
            data_types = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)  # type: ignore[no-untyped-call]  # not annotated
            self.register_filter("filter_data_type", data_types)  # type: ignore[no-untyped-call]  # not annotated
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return Exporter(  # type: ignore[no-untyped-call]  # not annotated
        filters={"highlight_code": _highlight, "clean_html": _clean_html, "with_alt": _with_alt},
        template_name="basic",
        extra_loaders=[DictLoader({"briefings-notebook.html.j2": _NOTEBOOK_TEMPLATE})],
        template_file="briefings-notebook.html.j2",
    )


def export_html(executed: Path, target: Path, *, title: str) -> Path:
    """The executed notebook as one HTML page (nbconvert's basic template: no script, no
    external resource), beside the notebook."""
    import html

    import nbformat

    notebook = nbformat.read(executed, as_version=4)  # type: ignore[no-untyped-call]  # nbformat.read is not annotated
    info = notebook.metadata.get("language_info", {})
    _highlight.lexer = info.get("pygments_lexer", info.get("name", None))  # what nbconvert's own filter takes
    body, _ = _html_exporter().from_notebook_node(notebook)
    atomic_write_text(target, _PAGE.format(title=html.escape(title), body=body))
    return target


def _tidy_audit_trail(executed: Path, source: Path, data_date: str = "") -> None:
    """What papermill and nbclient record that would make the audit trail machine- or
    run-specific: the absolute input and output paths (kept as names), the random id of the
    cell papermill injects (fixed), and the run times (the data date's first instant, like
    every other timestamp of an output), so two identical runs give the same bytes."""
    from .render import source_date

    when = source_date(data_date or None).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    nb = json.loads(executed.read_text(encoding="utf-8"))
    record = nb.get("metadata", {}).get("papermill", {})
    if "input_path" in record:
        record["input_path"] = f"analysis/{source.name}"
    if "output_path" in record:
        record["output_path"] = executed.name
    for key in ("start_time", "end_time"):
        if key in record:
            record[key] = when
    if "duration" in record:
        record["duration"] = 0.0
    for cell in nb.get("cells", []):
        metadata = cell.get("metadata", {})
        if "injected-parameters" in metadata.get("tags", []):
            cell["id"] = "injected-parameters"
        for key in ("start_time", "end_time"):
            if key in metadata.get("papermill", {}):
                metadata["papermill"][key] = when
        if "duration" in metadata.get("papermill", {}):
            metadata["papermill"]["duration"] = 0.0
        for key in list(metadata.get("execution", {})):
            metadata["execution"][key] = when
    atomic_write_text(executed, json.dumps(nb, ensure_ascii=False, indent=1) + "\n")


def _keep(executed: Path, failed_copy: Path | None) -> Path | None:
    if failed_copy is None or not executed.is_file():
        return None
    failed_copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, failed_copy)
    return failed_copy
