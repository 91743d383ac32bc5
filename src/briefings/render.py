"""Render Quarto-markdown briefings to HTML and PDF.

Two renderers, chosen automatically (``auto``): Quarto when ``quarto`` is on PATH, else the
built-in one, which follows Quarto's own route: pandoc 3 (pypandoc-binary) for a single
self-contained HTML file, and pandoc to Typst then the ``typst`` Python package for the
PDF. Both read their settings from ``_quarto.yml``. Every output is written to a temporary
file and renamed into place, so a failed render never leaves a half-written report.
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


class RenderError(BriefingsError):
    exit_code = 1


@dataclass(frozen=True)
class Settings:
    """Render settings from _quarto.yml."""

    html: dict[str, Any] = field(default_factory=dict)
    typst: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = QUARTO_CONFIG) -> Settings:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        formats = config.get("format", {})
        return cls(html=formats.get("html") or {}, typst=formats.get("typst") or {})


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


def _outputs(qmd: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    return {fmt: qmd.with_suffix(f".{fmt}") for fmt in formats}


class QuartoRenderer:
    """``quarto render`` on the generated .qmd (for users who have Quarto installed)."""

    name = "quarto"
    version = ""
    batched = False

    def __init__(self, executable: str | None = None):
        self.executable = executable or shutil.which("quarto")
        if not self.executable:
            raise UsageError("the quarto renderer was requested but `quarto` is not on PATH; "
                             "install Quarto, or use --renderer builtin (the default when Quarto is absent)")

    def render(self, qmd: Path, formats: tuple[str, ...], *, lang: str, data_date: str) -> list[Path]:
        done = []
        for fmt, target in _outputs(qmd, formats).items():
            to = "typst" if fmt == "pdf" else "html"
            with tempfile.TemporaryDirectory(dir=qmd.parent) as tmp:
                staged = Path(tmp) / qmd.name
                shutil.copy(qmd, staged)
                for figure in qmd.parent.glob("fig-*.svg"):
                    shutil.copy(figure, Path(tmp) / figure.name)
                proc = subprocess.run([self.executable, "render", staged.name, "--to", to], cwd=tmp, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise RenderError(f"quarto render {qmd.name} --to {to} failed: {proc.stderr.strip()[-2000:]}")
                atomic_write_bytes(target, staged.with_suffix(f".{fmt}").read_bytes())
            done.append(target)
        return done


class BuiltinRenderer:
    """pandoc (HTML) and pandoc + Typst (PDF).

    Every PDF is compiled by a new ``typst.Compiler``: a compiler reused across documents
    printed wrong glyphs in later documents (工例 for 工程). What is expensive to set up, the
    font book, is loaded once per instance (``typst.Fonts``) and shared by the compilers;
    ``tests/test_render.py`` checks that each PDF equals a fresh compile in a new process.

    pandoc runs with ``--sandbox``: it reads nothing but its input and template, so text in
    the data can never make it read a local file or fetch a URL. The stylesheet goes in
    through ``--include-in-header`` and this province's own figures are embedded afterwards,
    by name, as data URIs (``embed_figures``).
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
    def style_header(self) -> Path:
        """The stylesheet wrapped in <style>, for pandoc's --include-in-header (allowed in its sandbox)."""
        css = (TEMPLATES / "briefing.css").read_text(encoding="utf-8")
        folder = Path(tempfile.mkdtemp(prefix="briefings-style-"))
        path = folder / "style.html"
        path.write_text(f"<style>\n{css}</style>\n", encoding="utf-8")
        return path

    def render(self, qmd: Path, formats: tuple[str, ...], *, lang: str, data_date: str) -> list[Path]:
        done = []
        for fmt, target in _outputs(qmd, formats).items():
            data = self.html(qmd) if fmt == "html" else self.pdf(qmd, lang, data_date)
            atomic_write_bytes(target, data)
            done.append(target)
        return done

    def _pandoc(self, qmd: Path, to: str, args: list[str]) -> bytes:
        filters = ["--lua-filter", str(TEMPLATES / "filters" / "quarto-compat.lua")]
        cmd = [self.pandoc, qmd.name, "--from", "markdown", "--to", to, "--sandbox", *filters, *args]
        proc = subprocess.run(cmd, cwd=qmd.parent, capture_output=True)
        if proc.returncode != 0:
            raise RenderError(f"pandoc {qmd.name} --to {to} failed: {proc.stderr.decode('utf-8', 'replace').strip()[-2000:]}")
        return proc.stdout

    def html(self, qmd: Path) -> bytes:
        html = self.settings.html
        args = ["--standalone", "--template", str(TEMPLATES / "briefing.html"),
                "--include-in-header", str(self.style_header), "--metadata", "quarto-format=html"]
        if html.get("toc", True):
            args += ["--toc", f"--toc-depth={html.get('toc-depth', 2)}"]
        return embed_figures(self._pandoc(qmd, "html5", args), qmd.parent)

    def typst_source(self, qmd: Path, lang: str) -> bytes:
        """The Typst source pandoc makes of one briefing (kept beside it as ``.typ``)."""
        t = self.settings.typst
        margin = t.get("margin") or {}
        fonts = [t.get("mainfont", "Noto Serif CJK SC"), "Noto Serif CJK SC"] if lang == "zh" else \
            ["Libertinus Serif", t.get("mainfont", "Noto Serif CJK SC")]
        heading = [t.get("sansfont", "Noto Sans CJK SC")]
        variables = {
            "papersize": t.get("papersize", "a4"),
            "margin-x": margin.get("x", "2cm"),
            "margin-y": margin.get("y", "2.2cm"),
            "fontsize": t.get("fontsize", "10pt"),
            "lang-code": "zh" if lang == "zh" else "en",
            "lang-region": "CN" if lang == "zh" else "GB",
        }
        args = ["--standalone", "--template", str(TEMPLATES / "briefing.typst"), "--metadata", "quarto-format=typst"]
        for key, value in variables.items():
            args += ["--variable", f"{key}={value}"]
        for font in dict.fromkeys(fonts):
            args += ["--variable", f"font-list={font}"]
        for font in heading:
            args += ["--variable", f"heading-font-list={font}"]
        return self._pandoc(qmd, "typst", args)

    def pdf(self, qmd: Path, lang: str, data_date: str) -> bytes:
        typ = qmd.with_suffix(".typ")
        atomic_write_bytes(typ, self.typst_source(qmd, lang))
        return self.compile_typst(typ, data_date)

    def compile_typst(self, typ: Path, data_date: str) -> bytes:
        """One new compiler per document (never reused), sharing the loaded fonts."""
        import typst

        try:
            compiler = typst.Compiler(font_paths=self.fonts)
            return compiler.compile(input=str(typ), root=str(typ.parent), timestamp=int(source_date(data_date).timestamp()))
        except Exception as exc:  # typst raises its own error types with the message we need
            raise RenderError(f"typst could not compile {typ.name}: {exc}") from None


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
    if name == "quarto" or (name == "auto" and shutil.which("quarto")):
        return QuartoRenderer()
    if name in ("builtin", "auto"):
        return BuiltinRenderer()
    raise UsageError(f"unknown renderer {name!r}: expected auto, quarto or builtin")
