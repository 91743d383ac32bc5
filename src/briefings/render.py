"""Render Quarto-markdown briefings to HTML and PDF.

Two renderers read the same settings (``_quarto.yml``) and the same templates:

- ``quarto`` (``quarto.py``): one batched ``quarto render`` of a whole build, when Quarto
  is installed;
- ``builtin`` (here): Quarto's own route without Quarto: pandoc 3 (pypandoc-binary) for a
  single self-contained HTML file, and pandoc to Typst then the ``typst`` Python package
  for the PDF, each document on its own (in the build's worker processes).

``choose_renderer("auto")`` takes Quarto when ``quarto`` is on PATH, else the built-in one.
Every output is written to a temporary file and renamed into place.
"""

from __future__ import annotations

import base64
import functools
import json
import multiprocessing.util
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import typst_pdf
from .dates import timestamp
from .errors import BriefingsError, UsageError
from .fsutil import atomic_write_bytes

if TYPE_CHECKING:
    from typst import Fonts

    from .glyphs import Coverage

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

#: Where the Debian packages put the fonts the Typst partials name; typst loads only these
#: (and its own embedded fonts: Libertinus Serif, New Computer Modern, DejaVu Sans Mono).
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/dejavu")
CJK_FONT_DIRS = FONT_DIRS[:2]
FORMATS = ("html", "pdf")
INSTALL_FONTS = "apt-get install fonts-noto-cjk (or run make setup as root)"
#: Every font family the Typst partials name (besides _quarto.yml's mainfont and sansfont),
#: with the Debian package that has it. A family typst cannot find is a build error: typst
#: itself would only warn and set the text in another font.
TEMPLATE_FONTS = {
    "Libertinus Serif": "typst (embedded)",
    "DejaVu Sans": "fonts-dejavu-core",
    "Noto Serif CJK SC": "fonts-noto-cjk",
    "Noto Sans CJK SC": "fonts-noto-cjk",
}
#: The only resources an HTML briefing may embed: its own figures, by file name.
FIGURE_NAME = re.compile(r"^fig-[a-z0-9_-]+\.[a-z]+\.svg$")
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)(")')
#: format.typst keys of _quarto.yml that the Typst partials read (the rest are Quarto's own).
TYPST_METADATA = ("papersize", "margin", "mainfont", "sansfont", "fontsize")
#: Top-level keys of _quarto.yml that are document metadata (Quarto merges them into every
#: document; a document's front matter wins): the publication metadata and the base address.
PROJECT_METADATA = ("author", "copyright", "license", "citation", "base-url")
BATCH_SCRIPT = Path(__file__).resolve().parent / "pandoc_batch.lua"
#: pandoc's markdown without the extensions the generated documents never use (data is
#: escaped, so no citation, TeX, raw HTML or raw block can come from it): reading is about
#: twice as fast, and what data could smuggle in has no syntax left to do it with.
READER = "markdown" + "".join(
    f"-{ext}"
    for ext in (
        "citations",
        "raw_tex",
        "tex_math_dollars",
        "emoji",
        "subscript",
        "strikeout",
        "raw_html",
        "raw_attribute",
        "example_lists",
        "abbreviations",
        "definition_lists",
        "multiline_tables",
        "simple_tables",
        "grid_tables",
        "line_blocks",
        "task_lists",
        "fancy_lists",
        "startnum",
    )
)


class RenderError(BriefingsError):
    exit_code = 1


@dataclass(frozen=True)
class Settings:
    """Render settings from _quarto.yml (paths in it are relative to the project)."""

    root: Path
    html: dict[str, Any] = field(default_factory=dict)
    typst: dict[str, Any] = field(default_factory=dict)
    filters: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """The settings of the project whose ``_quarto.yml`` is ``path``."""
        import yaml  # here: a no-op build reads no settings

        try:
            config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RenderError(f"cannot read the render settings {path}: {exc}") from None
        formats = config.get("format") or {}
        return cls(
            root=path.resolve().parent,
            html=formats.get("html") or {},
            typst=formats.get("typst") or {},
            filters=tuple(config.get("filters") or ()),
            raw=config,
        )

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def templates(self) -> Path:
        return self.root / "templates"


def source_date(data_date: str | None = None) -> datetime:
    """The fixed timestamp of outputs: SOURCE_DATE_EPOCH, else the data date, never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return timestamp(data_date or "2000")


class Renderer(Protocol):
    """What every renderer offers the build: its name, its version and the project's settings;
    ``batched`` says which of the two protocols below it follows."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...  # read-only: Quarto's is asked of quarto when first needed

    settings: Settings

    #: True when the renderer renders many documents in one call (``render_batch``, after the
    #: workers), False when the workers render their documents (``render_documents``).
    @property
    def batched(self) -> bool: ...

    def render(
        self,
        qmd: Path,
        formats: tuple[str, ...],
        *,
        lang: str,
        data_date: str,
        on_format: Callable[[Path, str], None] | None = None,
    ) -> list[Path]: ...


class DocumentRenderer(Renderer, Protocol):
    """Renders the documents of one province in the worker that made them (built-in)."""

    def render_documents(
        self,
        documents: list[Path],
        formats: tuple[str, ...],
        *,
        data_date: str,
        on_format: Callable[[Path, str], None] | None = None,
        keep_read: bool = False,
    ) -> dict[Path, list[Path]]: ...


class BatchRenderer(Renderer, Protocol):
    """Renders every staged document of a build in one call, after the workers (Quarto)."""

    def render_batch(
        self, documents: list[Path], formats: tuple[str, ...], *, data_date: str
    ) -> dict[Path, list[Path] | Exception]: ...


class BuiltinRenderer:
    """pandoc (HTML) and pandoc + Typst (PDF).

    Every PDF is compiled by a new ``typst.Compiler``: a compiler reused across documents
    printed wrong glyphs in later documents (工例 for 工程). What is expensive to set up, the
    font book, is loaded once per instance (``typst.Fonts``) and shared by the compilers;
    ``tests/test_pdf_fidelity.py`` checks that each PDF equals a fresh compile in a new process.

    pandoc runs with ``--sandbox``: it reads nothing but its input, template and metadata
    file, so text in the data can never make it read a local file or fetch a URL. The
    stylesheet goes in through ``--include-in-header`` and this province's own figures are
    embedded afterwards, by name, as data URIs (``embed_figures``).
    """

    name = "builtin"
    version = ""  # the versions of pandoc and typst are recorded with the other tools
    batched = False

    def __init__(self, settings: Settings):
        self.settings = settings
        self.warnings: list[str] = []

    @cached_property
    def pandoc(self) -> str:
        import pypandoc

        path: str = pypandoc.get_pandoc_path()
        return path

    @cached_property
    def font_dirs(self) -> list[str]:
        if not any(any(Path(d).glob("NotoS*CJK*")) for d in CJK_FONT_DIRS):
            raise RenderError(
                f"no Noto CJK font found in {', '.join(CJK_FONT_DIRS)}: Chinese text would print as boxes. "
                f"Install it with: {INSTALL_FONTS}"
            )
        return [d for d in FONT_DIRS if Path(d).is_dir()]

    def required_fonts(self) -> dict[str, str]:
        """Font family -> the package that has it: every family the partials and _quarto.yml name."""
        named = dict(TEMPLATE_FONTS)
        for key in ("mainfont", "sansfont"):
            if self.settings.typst.get(key):
                named.setdefault(str(self.settings.typst[key]), "fonts-noto-cjk")
        return named

    @cached_property
    def fonts(self) -> Fonts:
        """The font book, loaded once and shared by every compile of this renderer; every
        family the templates name must be in it."""
        book = typst_pdf.fonts(self.font_dirs)
        check_fonts(self.required_fonts(), book.families())
        return book

    @property
    def pdf_standards(self) -> list[str]:
        """_quarto.yml's format.typst pdf-standard (Quarto 1.9 reads the same key)."""
        return [str(s) for s in _as_list(self.settings.typst.get("pdf-standard"))]

    def take_warnings(self) -> list[str]:
        """typst's warnings since the last call (the build shows them with the province)."""
        found, self.warnings = self.warnings, []
        return found

    @cached_property
    def _scratch(self) -> Path:
        """This renderer's scratch folder (stylesheet header, template, parsed trees); removed
        when the renderer goes, or when its (worker) process exits."""
        path = Path(tempfile.mkdtemp(prefix="briefings-render-"))
        multiprocessing.util.Finalize(self, shutil.rmtree, args=(str(path),), kwargs={"ignore_errors": True}, exitpriority=5)
        return path

    @cached_property
    def style_header(self) -> Path:
        """The stylesheet wrapped in <style>, for pandoc's --include-in-header (allowed in its sandbox)."""
        css = "\n".join(self.settings.path(p).read_text(encoding="utf-8") for p in _as_list(self.settings.html.get("css")))
        path = self._scratch / "style.html"
        path.write_text(f"<style>\n{css}</style>\n", encoding="utf-8")
        return path

    @cached_property
    def typst_metadata(self) -> Path:
        """format.typst settings and the project's metadata as a pandoc metadata file, as Quarto
        passes them to the partials."""
        import yaml

        path = self._scratch / "typst.yaml"
        path.write_text(yaml.safe_dump(self._typst_settings(), allow_unicode=True), encoding="utf-8")
        return path

    @cached_property
    def html_metadata(self) -> Path:
        """The project's metadata as a pandoc metadata file, for the HTML writer."""
        import yaml

        path = self._scratch / "html.yaml"
        path.write_text(yaml.safe_dump(self._project_metadata(), allow_unicode=True), encoding="utf-8")
        return path

    @cached_property
    def typst_template(self) -> Path:
        """The built-in template beside copies of the partials _quarto.yml names (pandoc finds
        partials next to the template)."""
        folder = self._scratch / "typst"
        folder.mkdir(exist_ok=True)
        shutil.copy(self.settings.templates / "typst" / "briefing.typst", folder / "briefing.typst")
        for partial in _as_list(self.settings.typst.get("template-partials")):
            shutil.copy(self.settings.path(partial), folder / Path(partial).name)
        return folder / "briefing.typst"

    def render(
        self,
        qmd: Path,
        formats: tuple[str, ...],
        *,
        lang: str,
        data_date: str,
        on_format: Callable[[Path, str], None] | None = None,
    ) -> list[Path]:
        return self.render_documents([qmd], formats, data_date=data_date, on_format=on_format)[qmd]

    # -- the fast path: every document and format of a province in one pandoc process
    def render_documents(
        self,
        documents: list[Path],
        formats: tuple[str, ...],
        *,
        data_date: str,
        on_format: Callable[[Path, str], None] | None = None,
        keep_read: bool = False,
    ) -> dict[Path, list[Path]]:
        """Render documents to HTML and PDF: pandoc (one ``pandoc lua`` process for all of them,
        ``pandoc_batch.lua``) writes HTML and Typst source; the figures are embedded and each
        PDF is compiled by a new Typst compiler. With ``keep_read``, each document as pandoc
        read it is kept beside it (``read_tree``): read from there when present (the caller
        vouches for it), else written there; the outputs are the same byte for byte."""
        writers = {"html": "html5", "pdf": "typst"}
        scratch = Path(tempfile.mkdtemp(prefix="batch-", dir=self._scratch))
        try:
            self._convert(
                {writers[f]: self._writer_spec(writers[f]) for f in formats},
                [
                    {
                        "input": str(qmd),
                        "outputs": {writers[f]: str(scratch / f"{i}.{writers[f]}") for f in formats},
                        **({"ast": str(read_tree(qmd))} if keep_read else {}),
                    }
                    for i, qmd in enumerate(documents)
                ],
            )
            done: dict[Path, list[Path]] = {}
            for i, qmd in enumerate(documents):
                done[qmd] = []
                for fmt in formats:
                    if on_format:
                        on_format(qmd, fmt)
                    written = (scratch / f"{i}.{writers[fmt]}").read_bytes()
                    done[qmd].append(self._finish(qmd, fmt, written, data_date))
            return done
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _ask(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """One request to this renderer's pandoc process (started on first use, restarted once
        if it died); returns one result per document."""
        for _attempt in (1, 2):
            server = self._server
            stdin, stdout = server.stdin, server.stdout
            assert stdin is not None and stdout is not None  # both pipes (_server)
            try:
                stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
                stdin.flush()
                line = stdout.readline()
            except (BrokenPipeError, OSError):
                line = ""
            if line:
                reply: dict[str, Any] = json.loads(line)
                if "error" in reply:
                    raise RenderError(f"pandoc could not render: {reply['error']}")
                results: list[dict[str, Any]] = reply["results"]
                return results
            self.__dict__.pop("_server", None)  # it died: start a new one
            server.kill()
        log = self._scratch / "pandoc.log"
        raise RenderError(f"pandoc stopped while rendering: {log.read_text(errors='replace')[-2000:] if log.exists() else ''}")

    def stop_pandoc(self) -> None:
        """End this renderer's pandoc process (the next request starts another). After large
        documents: pandoc keeps the heap of its largest document for its life (some 200 MB
        after a province of two thousand cities), while the PDFs are compiled next."""
        server = self.__dict__.pop("_server", None)
        if server is not None:
            _stop(server)

    @cached_property
    def _server(self) -> subprocess.Popen[str]:
        """A ``pandoc lua pandoc_batch.lua --serve`` process, kept for this renderer's life."""
        with (self._scratch / "pandoc.log").open("ab") as log:  # warnings go to a file: a full pipe would block pandoc
            server = subprocess.Popen(
                [self.pandoc, *server_rts_options(self.pandoc), "lua", str(BATCH_SCRIPT), "--serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        multiprocessing.util.Finalize(self, _stop, args=(server,), exitpriority=6)
        return server

    def typst_bodies(self, documents: list[tuple[Path, Path, str]]) -> None:
        """Typst bodies (no template) of documents, each ``(qmd, output, id prefix)``, for the review pack."""
        self._convert(
            {"typst": {"metadata": self._typst_settings()}},
            [{"input": str(qmd), "outputs": {"typst": str(out)}, "id_prefix": prefix} for qmd, out, prefix in documents],
        )

    def _convert(self, writers: dict[str, Any], documents: list[dict[str, Any]]) -> None:
        """Documents through the project's filters to the given writers (one pandoc request);
        the first document that failed is the error."""
        filters = [str(self.settings.path(f)) for f in self.settings.filters]
        shared = document_filters(filters)
        request = {
            "reader": READER,
            "document_filters": filters[:shared],
            "filters": filters[shared:],
            "formats": writers,
            "documents": documents,
        }
        large = sum(_size(d["input"]) for d in documents) > LARGE_INPUT_BYTES
        with typst_pdf.exclusive(large):  # never beside another worker's large step (typst_pdf)
            errors = {r["input"]: r["error"] for r in self._ask(request) if r.get("error")}
            if large:
                self.stop_pandoc()
        if errors:
            name, message = next(iter(errors.items()))
            raise RenderError(f"pandoc could not render {Path(name).name}: {message}")

    def _writer_spec(self, writer: str) -> dict[str, Any]:
        """Template, variables and metadata of one pandoc writer, as the command line gives them."""
        if writer == "html5":
            html = self.settings.html
            return {
                "template": str(self.settings.path(html.get("template", "templates/briefing.html"))),
                "variables": {"header-includes": self.style_header.read_text(encoding="utf-8")},
                "metadata": self._project_metadata(),
                "toc": bool(html.get("toc", True)),
                "toc_depth": int(html.get("toc-depth", 2)),
                "number_sections": bool(html.get("number-sections", False)),
            }
        return {"template": str(self.typst_template), "metadata": self._typst_settings(), "toc": False}

    def _typst_settings(self) -> dict[str, Any]:
        return {**self._project_metadata(), **{k: self.settings.typst[k] for k in TYPST_METADATA if k in self.settings.typst}}

    def _project_metadata(self) -> dict[str, Any]:
        return {k: self.settings.raw[k] for k in PROJECT_METADATA if self.settings.raw.get(k) not in (None, "")}

    def _finish(self, qmd: Path, fmt: str, written: bytes, data_date: str) -> Path:
        """Embed the figures of an HTML page, or keep the Typst source and compile the PDF."""
        target = qmd.with_suffix(f".{fmt}")
        if fmt == "html":
            atomic_write_bytes(target, embed_figures(written, qmd.parent))
        else:
            typ = qmd.with_suffix(".typ")
            atomic_write_bytes(typ, written)
            atomic_write_bytes(target, self.compile_typst(typ, data_date))
        return target

    # -- the reference path: pandoc's command line, one process per document and format
    def _pandoc(self, qmd: Path, to: str, args: list[str]) -> bytes:
        filters = [a for f in self.settings.filters for a in ("--lua-filter", str(self.settings.path(f)))]
        cmd = [self.pandoc, qmd.name, "--from", READER, "--to", to, "--sandbox", *filters, *args]
        proc = subprocess.run(cmd, cwd=qmd.parent, capture_output=True)
        if proc.returncode != 0:
            raise RenderError(f"pandoc {qmd.name} --to {to} failed: {proc.stderr.decode('utf-8', 'replace').strip()[-2000:]}")
        return proc.stdout

    def html(self, qmd: Path) -> bytes:
        """HTML of one document by pandoc's command line (the reference ``render_documents`` equals)."""
        html = self.settings.html
        template = self.settings.path(html.get("template", "templates/briefing.html"))
        args = [
            "--standalone",
            "--template",
            str(template),
            "--include-in-header",
            str(self.style_header),
            "--metadata-file",
            str(self.html_metadata),
        ]
        if html.get("toc", True):
            args += ["--toc", f"--toc-depth={html.get('toc-depth', 2)}"]
        if html.get("number-sections"):
            args.append("--number-sections")
        return embed_figures(self._pandoc(qmd, "html5", args), qmd.parent)

    def typst_source(self, qmd: Path) -> bytes:
        """Typst source of one document by pandoc's command line (the reference)."""
        args = ["--standalone", "--template", str(self.typst_template), "--metadata-file", str(self.typst_metadata)]
        return self._pandoc(qmd, "typst", args)

    def compile_typst(self, typ: Path, data_date: str) -> bytes:
        """One new compiler per document (never reused), sharing the loaded fonts; in a
        fresh process where compiling in this one could hang, and for a large document, one
        at a time across the build's workers (``typst_pdf``)."""
        when = int(source_date(data_date).timestamp())
        try:
            if typst_pdf.compiles_in_process() and not typst_pdf.is_large(str(typ)):
                pdf, warnings = typst_pdf.compile_in_process(str(typ), str(typ.parent), when, self.fonts, self.pdf_standards)
            else:
                with typst_pdf.one_at_a_time(str(typ)):
                    pdf, warnings = typst_pdf.compile_in_fresh_process(
                        str(typ), str(typ.parent), when, self.font_dirs, self.required_fonts(), self.pdf_standards
                    )
        except RenderError:
            raise
        except Exception as exc:  # typst raises its own error types with the message we need
            raise RenderError(f"typst could not compile {typ.name}: {exc}") from None
        self.warnings += [f"{typ.with_suffix('.pdf').name}: typst warning: {w}" for w in warnings]
        self.warnings += self.missing_glyphs(typ)
        return pdf

    def missing_glyphs(self, typ: Path) -> list[str]:
        """A warning for each character no font of the PDF has (an emoji in a summary): typst
        prints it as an empty box and says nothing (typst#5137). Names the rows holding it."""
        text = typ.read_text(encoding="utf-8")
        rare = {c for c in set(text) if not _COMMON_GLYPHS.match(c) and unicodedata.category(c)[0] not in "CZM"}
        missing = sorted(c for c in rare if ord(c) not in self.coverage)
        return [
            f"{typ.with_suffix('.pdf').name}: U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')} has no glyph in "
            f"the PDF's fonts and prints as an empty box{_rows_holding(c, typ.parent)}"
            for c in missing
        ]

    @cached_property
    def coverage(self) -> Coverage:
        """Code points the font folders' fonts have (read only when a rare character appears;
        kept in the user's cache folder per font set: ``glyphs.py``)."""
        from .glyphs import coverage

        return coverage(self.font_dirs)

    def render_batch(
        self, documents: list[Path], formats: tuple[str, ...], *, data_date: str
    ) -> dict[Path, list[Path] | Exception]:
        raise NotImplementedError("the built-in renderer renders each document in the build's workers")


#: Characters every briefing font setup has (Latin, general punctuation, CJK ideographs and
#: punctuation, full-width forms): the glyph check reads the fonts only for others.
_COMMON_GLYPHS = re.compile(r"[\x00-\u024f\u2000-\u206f\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _rows_holding(char: str, folder: Path) -> str:
    """ ": in measures.csv rows henan-003 (summary_en)", from the results beside the document."""
    try:
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    found = [
        f"{measure_id} ({column})"
        for measure_id, m in sorted(results.get("measures", {}).items())
        for column, value in sorted(m.items())
        if isinstance(value, str) and char in value
    ]
    return f": in measures.csv rows {', '.join(found[:5])}" if found else ""


def check_fonts(required: dict[str, str], families: list[str]) -> None:
    """A RenderError naming every required family that is not installed, and its package
    (also run by ``typst_pdf`` in a fresh process, which loads its own font book)."""
    have = {f.casefold() for f in families}
    missing = {family: package for family, package in required.items() if family.casefold() not in have}
    if missing:
        packages = sorted({p for p in missing.values() if not p.startswith("typst")})
        raise RenderError(
            f"font famil{'y' if len(missing) == 1 else 'ies'} {', '.join(sorted(missing))} not installed: "
            f"the PDF would be set in another font. Install with: apt-get install {' '.join(packages)} "
            "(or run make setup as root)"
        )


def read_tree(qmd: Path) -> Path:
    """Where the build keeps a document as pandoc read it (pandoc's JSON): ``briefing.zh.ast.json``."""
    return qmd.with_suffix(".ast.json")


#: What a Lua filter reads to learn the output format (pandoc's globals).
_FORMAT_GLOBALS = re.compile(r"\b(FORMAT|PANDOC_WRITER_OPTIONS)\b")


def document_filters(filters: list[str]) -> int:
    """How many of ``filters`` (paths, in order), from the first, never name the output
    format (``FORMAT``, even in a comment): they give the same tree for every format, so the
    batch runs them once per document instead of once per format. An unreadable file counts
    as format-dependent (pandoc reports it)."""
    count = 0
    for path in filters:
        try:
            source = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            break
        if _FORMAT_GLOBALS.search(source):
            break
        count += 1
    return count


#: Documents larger than this (in all, per request) are read under the workers' shared lock
#: for large steps (``typst_pdf.exclusive``) and end the pandoc process after their request
#: (``stop_pandoc``). The briefings of the real dataset are 20-70 KB each.
LARGE_INPUT_BYTES = 200_000


#: GHC runtime options for the pandoc server: the RTS's own heap sizing instead of the 64 MB
#: heap pandoc's binary is linked to ask for (``pandoc +RTS --info``: -with-rtsopts -H64m).
#: A server lives for a whole build and keeps the heap it grew: this way it holds some 40-50 MB
#: less (two servers in a build), and renders no slower (measured: 10% faster on the
#: documents of the 330-city benchmark). The options change nothing pandoc writes.
PANDOC_SERVER_RTS = ("+RTS", "-H4m", "-RTS")


@functools.cache
def server_rts_options(pandoc: str) -> tuple[str, ...]:
    """``PANDOC_SERVER_RTS`` if this pandoc takes runtime options on its command line (the
    pinned pypandoc-binary's does), else none: a pandoc linked without -rtsopts refuses them."""
    try:
        probe = subprocess.run([pandoc, *PANDOC_SERVER_RTS, "--version"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return PANDOC_SERVER_RTS if probe.returncode == 0 else ()


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _stop(server: subprocess.Popen[str]) -> None:
    """End a pandoc server: close its input (it exits at end of input), kill it if it lingers."""
    assert server.stdin is not None  # a pipe (_server)
    try:
        server.stdin.close()
        server.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        server.kill()


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def embed_figures(html: bytes, folder: Path) -> bytes:
    """Inline this folder's own figures (``fig-*.svg``) as data URIs; any other image source
    is an error, since nothing in a briefing may point outside the page."""
    text = html.decode("utf-8")

    def inline(match: re.Match[str]) -> str:
        src: str = match.group(2)
        if src.startswith("data:"):
            whole: str = match.group(0)
            return whole
        if not FIGURE_NAME.match(src) or not (folder / src).is_file():
            raise RenderError(f"unexpected image source {src!r} in {folder.name}: a briefing embeds only its own figures")
        data = base64.b64encode((folder / src).read_bytes()).decode("ascii")
        return f"{match.group(1)}data:image/svg+xml;base64,{data}{match.group(3)}"

    return _IMG_SRC.sub(inline, text).encode("utf-8")


def _quarto(settings: Settings) -> Renderer:
    from .quarto import QuartoRenderer

    return QuartoRenderer(settings=settings)


#: The renderers by name: each a factory taking the project's settings. ``auto`` picks the
#: first whose ``available`` test passes, in this order.
RENDERERS: dict[str, Callable[[Settings], Renderer]] = {"quarto": _quarto, "builtin": BuiltinRenderer}
AVAILABLE: dict[str, Callable[[], bool]] = {"quarto": lambda: shutil.which("quarto") is not None, "builtin": lambda: True}


def choose_renderer(name: str, settings: Settings) -> Renderer:
    """The renderer ``name`` (``auto``: Quarto when installed, else the built-in one), with the
    project's settings (``Settings.load(project.quarto_config)``)."""
    if name == "auto":
        name = next(n for n in RENDERERS if AVAILABLE[n]())
    if name not in RENDERERS:
        raise UsageError(f"unknown renderer {name!r}: expected auto, {', '.join(RENDERERS)}")
    return RENDERERS[name](settings)
