"""What a build depends on, and what it produced: input hashes and ``manifest.json``.

Inputs fall in two groups, so a change redoes only what depends on it:

- analysis inputs: the data files, the notebook, the translation catalogs (figure labels)
  and the package's analysis modules. A change re-runs every province's notebook (all
  provinces compare with all).
- render inputs: templates, stylesheet, filters, ``_quarto.yml``, the render modules, the
  renderer, languages and formats. A change re-renders without starting a kernel.

``reports/manifest.json`` records both keys per province, the tool versions and the
sha256 of every output; a province whose keys match and whose outputs are intact is
skipped.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from . import __version__
from .fsutil import atomic_write_text

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(__file__).resolve().parent
MANIFEST = "manifest.json"

#: Package modules that only turn results into documents.
RENDER_MODULES = frozenset({"document.py", "render.py", "build.py", "manifest.py", "merge.py", "cli.py", "console.py"})
#: Files under templates/ that feed the analysis (figure labels come from the catalogs).
ANALYSIS_TEMPLATES = ("locale/**/*.po",)
TOOLS = ("pandas", "seaborn", "matplotlib", "papermill", "typst", "pypandoc-binary", "babel", "jinja2")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digest(files: list[Path], *extra: str) -> str:
    digest = hashlib.sha256("\0".join((__version__, *extra)).encode())
    for path in sorted(set(files)):
        # project files by their path in the project; data files (possibly elsewhere) by name
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
        digest.update(f"{name}\0{sha256(path)}\0".encode())
    return digest.hexdigest()


def _files(base: Path, *patterns: str) -> list[Path]:
    return [p for pattern in patterns for p in base.glob(pattern) if p.is_file()]


@dataclass(frozen=True)
class InputKeys:
    analysis: str
    render: str

    @property
    def build_id(self) -> str:
        """Short id printed on every briefing: names the exact inputs it came from."""
        return hashlib.sha256(f"{self.analysis}{self.render}".encode()).hexdigest()[:12]


def input_keys(data_dir: Path, *, languages: tuple[str, ...], formats: tuple[str, ...], renderer: str) -> InputKeys:
    package = sorted(PACKAGE.glob("*.py"))
    analysis = _digest(
        _files(data_dir.resolve(), "*.csv") + _files(ROOT / "analysis", "*.ipynb") + _files(ROOT / "templates", *ANALYSIS_TEMPLATES)
        + [p for p in package if p.name not in RENDER_MODULES]
    )
    render_files = [p for p in _files(ROOT / "templates", "**/*") if p.suffix != ".po"] + [ROOT / "_quarto.yml"]
    render = _digest(render_files + [p for p in package if p.name in RENDER_MODULES],
                     analysis, renderer, ",".join(languages), ",".join(formats))
    return InputKeys(analysis, render)


def tool_versions(renderer: str) -> dict[str, str]:
    versions = {"python": platform.python_version(), "briefings": __version__, "renderer": renderer}
    versions.update({package: version(package) for package in TOOLS})
    return versions


def read_manifest(out_root: Path) -> dict[str, Any]:
    """The previous build's manifest, or {} when there is none (or it is unreadable)."""
    try:
        manifest = json.loads((out_root / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def outputs_intact(out_root: Path, outputs: dict[str, str]) -> bool:
    return bool(outputs) and all((out_root / name).is_file() and sha256(out_root / name) == digest for name, digest in outputs.items())


def record(out_root: Path, files: list[Path]) -> dict[str, str]:
    return {str(p.relative_to(out_root)): sha256(p) for p in sorted(set(files))}


def write_manifest(out_root: Path, keys: InputKeys, renderer: str, provinces: dict[str, dict[str, Any]],
                   selections: dict[str, list[str]] | None = None) -> Path:
    """``selections`` maps a build's province selection (``henan,hebei|1/2``) to the slugs it
    resolved to with these analysis inputs, so a no-op rebuild need not read the data."""
    manifest = {
        "build_id": keys.build_id,
        "inputs": {"analysis": keys.analysis, "render": keys.render},
        "tools": tool_versions(renderer),
        "provinces": dict(sorted(provinces.items())),
        "selections": dict(sorted((selections or {}).items())),
    }
    path = out_root / MANIFEST
    atomic_write_text(path, json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n")
    return path
