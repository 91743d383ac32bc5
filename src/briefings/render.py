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
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import yaml

from .dates import timestamp
from .errors import BriefingsError, UsageError
from .fsutil import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[2]
QUARTO_CONFIG = ROOT / "_quarto.yml"
TEMPLATES = ROOT / "templates"
CJK_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto")
FORMATS = ("html", "pdf")
INSTALL_FONTS = "apt-get install fonts-noto-cjk (or run make setup as root)"
#: The only resources an HTML briefing may embed: its own figures, by file name.
FIGURE_NAME = re.compile(r"^fig-[a-z0-9_-]+\.[a-z]+\.svg$")
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)(")')
#: format.typst keys of _quarto.yml that the Typst partials read (the rest are Quarto's own).
TYPST_METADATA = ("papersize", "margin", "mainfont", "sansfont", "fontsize")


class RenderError(BriefingsError):
    exit_code = 1


@dataclass(frozen=True)
class Settings:
    """Render settings from _quarto.yml (paths in it are relative to the project)."""

    html: dict[str, Any] = field(default_factory=dict)
    typst: dict[str, Any] = field(default_factory=dict)
    filters: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = QUARTO_CONFIG) -> Settings:
        try:
            config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RenderError(f"cannot read the render settings {path}: {exc}") from None
        formats = config.get("format") or {}
        return cls(html=formats.get("html") or {}, typst=formats.get("typst") or {},
                   filters=tuple(config.get("filters") or ()), raw=config)

    def path(self, relative: str) -> Path:
        return (QUARTO_CONFIG.parent / relative).resolve()


def source_date(data_date: str | None = None) -> datetime:
    """The fixed timestamp of outputs: SOURCE_DATE_EPOCH, else the data date, never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return timestamp(data_date or "2000")


class Renderer(Protocol):
    name: str
    version: str
    #: True when the renderer renders many documents in one call (``render_batch``),
    #: False when it renders each document on its own (``render``), in the build's workers.
    batched: bool

    def render(self, qmd: Path, formats: tuple[str, ...], *, lang: str, data_date: str) -> list[Path]: ...

    def render_batch(self, documents: list[Path], formats: tuple[str, ...]) -> dict[Path, list[Path] | Exception]: ...


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

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.load()

    @cached_property
    def pandoc(self) -> str:
        import pypandoc

        return pypandoc.get_pandoc_path()

    @cached_property
    def font_dirs(self) -> list[str]:
        dirs = [d for d in CJK_FONT_DIRS if any(Path(d).glob("NotoS*CJK*"))]
        if not dirs:
            raise RenderError(f"no Noto CJK font found in {', '.join(CJK_FONT_DIRS)}: Chinese text would print as boxes. "
                              f"Install it with: {INSTALL_FONTS}")
        return dirs

    @cached_property
    def fonts(self):
        """The font book, loaded once and shared by every compile of this renderer."""
        import typst

        return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=self.font_dirs)

    @cached_property
    def _scratch(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="briefings-render-"))

    @cached_property
    def style_header(self) -> Path:
        """The stylesheet wrapped in <style>, for pandoc's --include-in-header (allowed in its sandbox)."""
        css = "\n".join(self.settings.path(p).read_text(encoding="utf-8") for p in _as_list(self.settings.html.get("css")))
        path = self._scratch / "style.html"
        path.write_text(f"<style>\n{css}</style>\n", encoding="utf-8")
        return path

    @cached_property
    def typst_metadata(self) -> Path:
        """format.typst settings as pandoc metadata, as Quarto passes them to the partials."""
        path = self._scratch / "typst.yaml"
        metadata = {k: self.settings.typst[k] for k in TYPST_METADATA if k in self.settings.typst}
        path.write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
        return path

    @cached_property
    def typst_template(self) -> Path:
        """The built-in template beside copies of the partials _quarto.yml names (pandoc finds
        partials next to the template)."""
        folder = self._scratch / "typst"
        folder.mkdir(exist_ok=True)
        shutil.copy(TEMPLATES / "typst" / "briefing.typst", folder / "briefing.typst")
        for partial in _as_list(self.settings.typst.get("template-partials")):
            shutil.copy(self.settings.path(partial), folder / Path(partial).name)
        return folder / "briefing.typst"

    def render(self, qmd: Path, formats: tuple[str, ...], *, lang: str, data_date: str) -> list[Path]:
        done = []
        for fmt in formats:
            target = qmd.with_suffix(f".{fmt}")
            data = self.html(qmd) if fmt == "html" else self.pdf(qmd, data_date)
            atomic_write_bytes(target, data)
            done.append(target)
        return done

    def _pandoc(self, qmd: Path, to: str, args: list[str]) -> bytes:
        filters = [a for f in self.settings.filters for a in ("--lua-filter", str(self.settings.path(f)))]
        cmd = [self.pandoc, qmd.name, "--from", "markdown", "--to", to, "--sandbox", *filters, *args]
        proc = subprocess.run(cmd, cwd=qmd.parent, capture_output=True)
        if proc.returncode != 0:
            raise RenderError(f"pandoc {qmd.name} --to {to} failed: {proc.stderr.decode('utf-8', 'replace').strip()[-2000:]}")
        return proc.stdout

    def html(self, qmd: Path) -> bytes:
        html = self.settings.html
        template = self.settings.path(html.get("template", "templates/briefing.html"))
        args = ["--standalone", "--template", str(template), "--include-in-header", str(self.style_header),
                "--metadata", "quarto-format=html"]
        if html.get("toc", True):
            args += ["--toc", f"--toc-depth={html.get('toc-depth', 2)}"]
        if html.get("number-sections"):
            args.append("--number-sections")
        return embed_figures(self._pandoc(qmd, "html5", args), qmd.parent)

    def typst_source(self, qmd: Path) -> bytes:
        """The Typst source pandoc makes of one briefing (kept beside it as ``.typ``)."""
        args = ["--standalone", "--template", str(self.typst_template), "--metadata-file", str(self.typst_metadata),
                "--metadata", "quarto-format=typst"]
        return self._pandoc(qmd, "typst", args)

    def pdf(self, qmd: Path, data_date: str) -> bytes:
        typ = qmd.with_suffix(".typ")
        atomic_write_bytes(typ, self.typst_source(qmd))
        return self.compile_typst(typ, data_date)

    def compile_typst(self, typ: Path, data_date: str) -> bytes:
        """One new compiler per document (never reused), sharing the loaded fonts."""
        import typst

        try:
            compiler = typst.Compiler(font_paths=self.fonts)
            return compiler.compile(input=str(typ), root=str(typ.parent), timestamp=int(source_date(data_date).timestamp()))
        except Exception as exc:  # typst raises its own error types with the message we need
            raise RenderError(f"typst could not compile {typ.name}: {exc}") from None

    def render_batch(self, documents: list[Path], formats: tuple[str, ...]) -> dict[Path, list[Path] | Exception]:
        raise NotImplementedError("the built-in renderer renders each document in the build's workers")


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def embed_figures(html: bytes, folder: Path) -> bytes:
    """Inline this folder's own figures (``fig-*.svg``) as data URIs; any other image source
    is an error, since nothing in a briefing may point outside the page."""
    text = html.decode("utf-8")

    def inline(match: re.Match) -> str:
        src = match.group(2)
        if src.startswith("data:"):
            return match.group(0)
        if not FIGURE_NAME.match(src) or not (folder / src).is_file():
            raise RenderError(f"unexpected image source {src!r} in {folder.name}: a briefing embeds only its own figures")
        data = base64.b64encode((folder / src).read_bytes()).decode("ascii")
        return f"{match.group(1)}data:image/svg+xml;base64,{data}{match.group(3)}"

    return _IMG_SRC.sub(inline, text).encode("utf-8")


def choose_renderer(name: str = "auto") -> Renderer:
    """``quarto`` when asked for, or when ``auto`` and quarto is installed; else built-in."""
    from .quarto import QuartoRenderer

    if name == "quarto" or (name == "auto" and shutil.which("quarto")):
        return QuartoRenderer()
    if name in ("builtin", "auto"):
        return BuiltinRenderer()
    raise UsageError(f"unknown renderer {name!r}: expected auto, quarto or builtin")
