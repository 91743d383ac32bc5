"""What a build depends on, and what it produced: input keys and ``manifest.json``.

Two keys per province decide what a build redoes:

- the analysis key: the data files (by name and bytes, wherever the folder lies), the
  notebook, the package's analysis modules, the translations of the strings the figures
  print, and the versions of the tools that compute (pandas, numpy, matplotlib,
  papermill, Babel ...). A change re-runs every province's notebook (all compare with all).
- the render key: the templates, stylesheet, filters and ``_quarto.yml``, the render
  modules, the translations (as messages, not file bytes: a comment or reordering changes
  nothing), the renderer and the render tools' versions (typst, pandoc, jinja2 ...),
  languages and formats, and the province's computed results and figures. A
  translation-only or template-only change re-renders without running any notebook.

``manifest.json`` records both keys per province, the tool versions that made its outputs
and the sha256 of every output; a province whose keys match and whose outputs are intact
is skipped. The manifest is byte-identical across identical builds: the executed
notebook is hashed in a canonical form without its run times.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeGuard, cast

from . import __version__
from .fsutil import atomic_write_text
from .project import Project

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

PACKAGE = Path(__file__).resolve().parent
MANIFEST = "manifest.json"
FORMAT = 3

#: Every package module declares its stage (``STAGE = "analysis" | "render" | "tool"``): an
#: analysis module feeds results and charts (a change re-runs the notebooks), a render module
#: turns results into outputs (a change re-renders), a tool module does neither.
_STAGE = re.compile(r'^STAGE = "(analysis|render|tool)"', re.M)


@cache
def module_stage(path: Path) -> str:
    """A package module's declared stage; a module without one is an error (tests check all)."""
    found = _STAGE.search(path.read_text(encoding="utf-8"))
    if not found:
        raise ValueError(f"{path.name} declares no STAGE (analysis, render or tool)")
    return found.group(1)


ANALYSIS_TOOLS = (
    "numpy",
    "pandas",
    "pandera",
    "matplotlib",
    "papermill",
    "nbclient",
    "nbconvert",
    "ipykernel",
    "babel",
    "opencc",
)
RENDER_TOOLS = ("typst", "pypandoc-binary", "jinja2", "babel", "pyyaml")
_SLUG = re.compile(r"^[a-z][a-z0-9-]*$")


def sha256(path: Path) -> str:
    if path.suffix == ".ipynb":
        return hashlib.sha256(canonical_notebook(path.read_bytes())).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def canonical_notebook(data: bytes) -> bytes:
    """An executed notebook without what changes from run to run (times, durations)."""
    try:
        nb = json.loads(data)
    except ValueError:
        return data
    if not isinstance(nb, dict):
        return data
    nb.get("metadata", {}).pop("papermill", None)
    for cell in nb.get("cells", []):
        metadata = cell.get("metadata", {})
        metadata.pop("execution", None)
        metadata.pop("papermill", None)
    return json.dumps(nb, sort_keys=True, ensure_ascii=False).encode()


@lru_cache(maxsize=1)
def _installed() -> dict[str, str]:
    """Installed distributions and their versions, read from the *.dist-info folders on the
    path in one pass (a version() call per package scans the path again each time)."""
    import sys

    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and "-" in name:
                project, _, rest = name[: -len(".dist-info")].partition("-")
                found.setdefault(re.sub(r"[-_.]+", "-", project).lower(), rest)
    return found


def _versions(packages: tuple[str, ...]) -> dict[str, str]:
    installed = _installed()
    found = {}
    for package in packages:
        key = re.sub(r"[-_.]+", "-", package).lower()
        if key in installed:
            found[package] = installed[key]
        else:
            from importlib.metadata import PackageNotFoundError, version  # rarely needed: slow to import

            try:
                found[package] = version(package)
            except PackageNotFoundError:
                found[package] = "absent"
    return found


def _pandoc_version(attempts: int = 2) -> str:
    """pandoc's version (pypandoc remembers it once known), or "unknown". A probe that fails
    is tried again: the manifest keeps what it records until a build has work, and one probe
    process killed or starved (a loaded machine) must not leave "unknown" there."""
    for _ in range(attempts):
        try:
            import pypandoc

            version: str = pypandoc.get_pandoc_version()
            return version
        except Exception:  # reported as unknown; the render fails later with a clear message
            continue
    return "unknown"


def tool_versions(renderer: str, renderer_version: str = "") -> dict[str, str]:
    versions = {"python": platform.python_version(), "briefings": __version__, "renderer": renderer}
    if renderer_version:
        versions["renderer_version"] = renderer_version
    versions.update(_versions(tuple(dict.fromkeys(ANALYSIS_TOOLS + RENDER_TOOLS))))
    versions["pandoc"] = _pandoc_version()
    return versions


class _Digest:
    def __init__(self, *parts: str):
        self.hash = hashlib.sha256("\0".join((__version__, *parts)).encode())

    def text(self, *parts: str) -> _Digest:
        self.hash.update(("\0".join(parts) + "\0").encode())
        return self

    def file(self, name: str, path: Path) -> _Digest:
        self.hash.update(f"{name}\0".encode() + path.read_bytes() + b"\0")
        return self

    def hexdigest(self) -> str:
        return self.hash.hexdigest()


def _project_files(base: Path, *patterns: str) -> list[Path]:
    return sorted({p for pattern in patterns for p in base.glob(pattern) if p.is_file()})


def _catalog_messages(msgids: set[str] | None = None) -> list[str]:
    """Translations as sorted ``lang, msgid, msgstr`` lines (all, or only ``msgids``)."""
    from .i18n import LANGUAGES, catalog_messages

    lines = []
    for lang in sorted(LANGUAGES):
        for msgid, msgstr in sorted(catalog_messages(lang).items()):
            if msgids is None or msgid in msgids:
                lines.append(f"{lang}\0{msgid}\0{msgstr}")
    return lines


@lru_cache(maxsize=1)
def figure_msgids() -> frozenset[str]:
    """The interface strings the figures print, the overview's heatmap included (their
    translations feed the analysis)."""
    from babel.messages.extract import extract_python

    found: set[str] = set()
    for module in ("figures.py", "titles.py", "overview.py"):
        with (PACKAGE / module).open("rb") as handle:
            # (lineno, funcname, message or its plural forms, comments): what extract_python
            # yields, whatever its annotation says
            extracted = cast(
                "Iterable[tuple[int, str, str | tuple[str, ...], list[str]]]",
                extract_python(handle, dict.fromkeys(("_", "gettext", "N_")), [], {}),
            )
            found.update(m[2] if isinstance(m[2], str) else m[2][0] for m in extracted)
    # labels of periods (titles) come through i18n.label
    from .i18n import VOCAB_LABELS

    return frozenset(found | set(VOCAB_LABELS.values()))


#: Template files that shape one output format only (by where they lie in templates/): a
#: change to them re-renders that format's outputs and keeps the others and the build id.
#: Everything else in templates/ (the document templates, the filters, the catalogs) shapes
#: what every format says.
FORMAT_TEMPLATES: dict[str, Callable[[str], bool]] = {
    "html": lambda name: "/" not in name and name.endswith((".css", ".html")),  # the stylesheet, the page template
    "pdf": lambda name: name.startswith("typst/"),  # the Typst template and its partials
}
#: Which of a document's outputs each format makes (by suffix); the rest (.qmd, _quarto.yml,
#: changes.json) are every format's.
FORMAT_OUTPUTS: dict[str, tuple[str, ...]] = {"html": (".html",), "pdf": (".pdf", ".typ")}


def format_of_template(name: str) -> str | None:
    """The format a file of templates/ (posix path inside it) shapes alone, or None."""
    return next((fmt for fmt, test in FORMAT_TEMPLATES.items() if test(name)), None)


def outputs_of_format(outputs: dict[str, str], fmt: str) -> dict[str, str]:
    """The render outputs (name -> digest) a format makes."""
    return {n: d for n, d in outputs.items() if n.endswith(FORMAT_OUTPUTS.get(fmt, ()))}


@dataclass(frozen=True)
class InputKeys:
    analysis: str
    render_inputs: str
    data_as_of: str
    format_inputs: dict[str, str] = field(default_factory=dict)  # format -> digest of its own templates

    @property
    def build_id(self) -> str:
        """Printed on every briefing: the data date and a short hash of every input of what
        the briefings say (not the stylesheet or page templates of one format: a change to
        those re-renders that format alone, and its pages print the same build id)."""
        short = hashlib.sha256(f"{self.analysis}{self.render_inputs}".encode()).hexdigest()[:7]
        return f"{self.data_as_of}-{short}" if self.data_as_of else short

    def format_keys(self, render_key: str) -> dict[str, str]:
        """Per format of this build: the key of its outputs (the province's render key and the
        format's own templates)."""
        return {fmt: _Digest(render_key, fmt, inputs).hexdigest() for fmt, inputs in sorted(self.format_inputs.items())}

    def render(self, analysis_outputs: dict[str, str]) -> str:
        """A province's render key: the render inputs and its computed results and figures."""
        digest = _Digest(self.render_inputs)
        for name, value in sorted(analysis_outputs.items()):
            if not name.endswith((".ipynb", ".html")):  # the audit trail is not rendered
                digest.text(name, value)
        return digest.hexdigest()


def data_as_of(data_dir: Path) -> str:
    """The latest source date (read with the csv module: a no-op build never imports pandas)."""
    from .dates import latest

    try:
        with (data_dir / "sources.csv").open(encoding="utf-8", newline="") as handle:
            dates = [row.get("date", "") for row in csv.DictReader(handle)]
        return latest([d for d in dates if d])
    except (OSError, ValueError):
        return ""  # invalid data: validation reports it


def catalog_digests(locale: Path, cache: Path | None = None) -> tuple[str, str]:
    """Digests of the translations the figures print, and of all translations, as messages.

    Parsing the catalogs (Babel) is the slowest part of computing the keys; the two digests
    are remembered in ``cache`` against the catalogs' bytes, so a no-op build parses nothing.
    """
    from .i18n import LANGUAGES

    files = sorted(locale.glob("*/LC_MESSAGES/*.po"))
    sources = sorted(PACKAGE.glob("*.py"))  # the figure strings are read from the modules
    fingerprint = hashlib.sha256((",".join(sorted(LANGUAGES)) + "\0" + str(locale.resolve())).encode())
    for path in files + sources:
        fingerprint.update(path.name.encode() + b"\0" + path.read_bytes())
    key = fingerprint.hexdigest()
    remembered: dict[str, Any] = {}
    if cache is not None:
        try:
            remembered = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            remembered = {}
    if isinstance(remembered, dict) and remembered.get("key") == key and isinstance(remembered.get("digests"), list):
        return tuple(remembered["digests"])
    digests = (
        _Digest().text(*_catalog_messages(set(figure_msgids()))).hexdigest(),
        _Digest().text(*_catalog_messages()).hexdigest(),
    )
    if cache is not None:
        try:
            atomic_write_text(cache, json.dumps({"key": key, "digests": list(digests)}) + "\n")
        except OSError:
            pass  # a read-only folder: the digests are computed again next time
    return digests


def input_keys(
    project: Project,
    data_dir: Path,
    *,
    languages: tuple[str, ...],
    formats: tuple[str, ...],
    renderer: str,
    renderer_version: str = "",
    cache: Path | None = None,
    review: Path | None = None,
) -> InputKeys:
    """The analysis and render inputs of ``project``; ``cache`` (a file) remembers the
    catalogs' digests; ``review``, the editors' review record, is a render input (its changes boxes)."""
    project.activate()  # the catalogs whose messages are keyed are the project's
    figure_messages, all_messages = catalog_digests(project.locale, cache)
    package = sorted(PACKAGE.glob("*.py")) + sorted(PACKAGE.glob("*.lua"))
    analysis = _Digest("analysis")
    for path in _project_files(data_dir, "*.csv"):
        analysis.file(path.name, path)  # by name: the key does not depend on where the folder lies
    analysis.file("notebook", project.notebook)
    for path in [p for p in package if p.suffix == ".py" and module_stage(p) == "analysis"]:
        analysis.file(f"briefings/{path.name}", path)
    analysis.text(figure_messages)
    analysis.text(*(f"{k}={v}" for k, v in sorted(_versions(ANALYSIS_TOOLS).items())), platform.python_version())

    render = _Digest("render", renderer, renderer_version, ",".join(languages), ",".join(formats))
    per_format = {fmt: _Digest("format", fmt) for fmt in formats}
    templates = [p for p in _project_files(project.templates, "**/*") if p.suffix not in (".po", ".pot", ".mo")]
    for path in templates:
        fmt = format_of_template(path.relative_to(project.templates).as_posix())
        per_format.get(fmt or "", render).file(str(path.relative_to(project.root)), path)
    render.file(str(project.quarto_config.relative_to(project.root)), project.quarto_config)
    for path in [p for p in package if p.suffix == ".lua" or module_stage(p) == "render"]:
        render.file(f"briefings/{path.name}", path)
    render.text(all_messages)
    if review is not None and review.is_file():
        render.file("review", review)
    # pypandoc-binary's version pins the pandoc binary it ships
    render.text(*(f"{k}={v}" for k, v in sorted(_versions(RENDER_TOOLS).items())))
    return InputKeys(
        analysis.hexdigest(),
        render.hexdigest(),
        data_as_of(data_dir),
        {fmt: digest.hexdigest() for fmt, digest in per_format.items()},
    )


def _is_digest_map(value: Any) -> TypeGuard[dict[str, str]]:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _valid_entry(slug: Any, entry: Any) -> bool:
    return (
        isinstance(slug, str)
        and bool(_SLUG.match(slug))
        and isinstance(entry, dict)
        and isinstance(entry.get("analysis_key"), str)
        and isinstance(entry.get("render_key"), (str, type(None)))
        and _is_digest_map(entry.get("format_keys", {}))
        and isinstance(entry.get("failed", ""), str)
        and _is_digest_map(entry.get("analysis_outputs"))
        and _is_digest_map(entry.get("render_outputs"))
        and all(_safe_name(slug, name) for name in [*entry["analysis_outputs"], *entry["render_outputs"]])
    )


_NAME = re.compile(r"^(_quarto\.yml|[A-Za-z0-9][A-Za-z0-9._-]*)$")


def _safe_name(slug: str, name: str) -> bool:
    """An output recorded for ``slug`` lies inside its folder (a manifest is never trusted with
    paths); the overview's pages lie beside the index (``overview.zh.html``)."""
    parts = name.split("/")
    if slug == "overview" and len(parts) == 1:
        return bool(re.match(r"^overview\.[a-z]{2}\.(html|pdf)$", name))
    return len(parts) == 2 and parts[0] == slug and bool(_NAME.match(parts[1]))


def read_manifest(out_root: Path) -> dict[str, Any]:
    """The previous build's manifest, or {} when there is none or it is not one of ours.

    Every recorded province slug and output name is checked before use; an entry that
    fails is dropped (that province is rebuilt).
    """
    try:
        manifest = json.loads((out_root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return {}
    provinces = manifest.get("provinces")
    manifest["provinces"] = {s: e for s, e in provinces.items() if _valid_entry(s, e)} if isinstance(provinces, dict) else {}
    selections = manifest.get("selections")
    manifest["selections"] = (
        {
            k: v
            for k, v in selections.items()
            if isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) and _SLUG.match(s) for s in v)
        }
        if isinstance(selections, dict)
        else {}
    )
    inputs = manifest.get("inputs")
    valid_inputs = (
        isinstance(inputs, dict)
        and _is_digest_map({k: v for k, v in inputs.items() if k != "formats"})
        and _is_digest_map(inputs.get("formats", {}))
    )
    manifest["inputs"] = inputs if valid_inputs else {}
    overview = manifest.get("overview")
    manifest["overview"] = overview if _valid_entry("overview", overview) else {}
    index = manifest.get("index")
    manifest["index"] = index if _is_digest_map(index) and set(index) <= {"index.html"} else {}
    if not isinstance(manifest.get("build_id"), str) or not isinstance(manifest.get("data_as_of"), str):
        return {}
    return manifest


def failed_provinces(manifest: dict[str, Any]) -> dict[str, str]:
    """Provinces whose latest build failed: the folder holds their previous briefing."""
    return {slug: entry["failed"] for slug, entry in manifest.get("provinces", {}).items() if entry.get("failed")}


def check_consistent(out_root: Path, manifest: dict[str, Any]) -> None:
    """Refuse outputs that disagree with their manifest (a build interrupted between a swap and
    its record, or a file changed by hand): every province's results must be the recorded ones."""
    from .errors import UsageError, display_path

    pending = sorted(slug for slug, entry in manifest.get("provinces", {}).items() if entry.get("pending"))
    if pending:
        raise UsageError(
            f"{display_path(out_root)}: the last build did not finish ({', '.join(pending[:5])}"
            f"{' ...' if len(pending) > 5 else ''} not rebuilt yet): run briefings build first"
        )
    bad = [
        slug
        for slug, entry in manifest.get("provinces", {}).items()
        if not outputs_intact(out_root, {k: v for k, v in entry["analysis_outputs"].items() if k.endswith("/results.json")})
    ]
    if bad:
        raise UsageError(
            f"{display_path(out_root)}: {', '.join(sorted(bad))} do(es) not match manifest.json (an interrupted "
            "build, or files changed by hand): run briefings build first"
        )


def outputs_intact(out_root: Path, outputs: dict[str, str]) -> bool:
    try:
        return bool(outputs) and all(
            (out_root / name).is_file() and sha256(out_root / name) == digest for name, digest in outputs.items()
        )
    except OSError:
        return False


def record(out_root: Path, files: list[Path]) -> dict[str, str]:
    return {p.relative_to(out_root).as_posix(): sha256(p) for p in sorted(set(files))}


def manifest_text(
    keys: InputKeys,
    tools: dict[str, str],
    provinces: dict[str, dict[str, Any]],
    selections: dict[str, list[str]],
    *,
    overview: dict[str, Any] | None = None,
    index: dict[str, str] | None = None,
) -> str:
    """``selections`` maps a build's province selection (``henan,hebei|1/2``) to the slugs it
    resolved to with these analysis inputs, so a no-op rebuild need not read the data;
    ``overview`` and ``index`` record the national overview's outputs and the index page."""
    manifest = {
        "format": FORMAT,
        "build_id": keys.build_id,
        "data_as_of": keys.data_as_of,
        "inputs": {"analysis": keys.analysis, "render": keys.render_inputs, "formats": keys.format_inputs},
        "tools": tools,
        "provinces": dict(sorted(provinces.items())),
        "overview": overview or {},
        "index": index or {},
        "selections": dict(sorted(selections.items())),
    }
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds it: a no-op build writes nothing."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write_text(path, text)
    return True
