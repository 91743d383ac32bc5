"""Which characters the PDF's fonts can print: the code points of every font in the font
folders, for the renderer's glyph check (``BuiltinRenderer.missing_glyphs``).

Reading the cmaps of the four Noto CJK collections (40 faces) with fontTools takes about
1.5 s and 150-900 MB (the CFF charsets). So the coverage is read once per machine and font
set, in a fresh interpreter (``python -m briefings.glyphs DIR...``, which frees that memory
when it exits), and kept as code-point ranges in the user's cache folder, keyed by each font
file's path, size and modification time and by fontTools' version. A build's workers then
read a few kilobytes of JSON. A cache file that does not parse, has another key or holds
anything but sorted ranges of code points is ignored and written afresh; its contents can
only decide whether a warning is shown. ``coverage(..., cached=False)`` is the slow path,
which tests/test_render.py checks the cached one equals.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
_MAX_CODE_POINT = 0x10FFFF


@dataclass(frozen=True)
class Coverage:
    """Code points as sorted, disjoint, inclusive ranges ``(first, last)``."""

    ranges: tuple[tuple[int, int], ...]

    def __contains__(self, code_point: object) -> bool:
        if not isinstance(code_point, int):
            return False
        i = bisect.bisect_right(self.ranges, (code_point, _MAX_CODE_POINT)) - 1
        return i >= 0 and self.ranges[i][0] <= code_point <= self.ranges[i][1]

    @classmethod
    def of(cls, points: Iterable[int]) -> Coverage:
        ranges: list[tuple[int, int]] = []
        for point in sorted(set(points)):
            if ranges and point == ranges[-1][1] + 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))
        return cls(tuple(ranges))


def font_files(font_dirs: list[str]) -> list[Path]:
    return [p for d in font_dirs for p in sorted(Path(d).glob("*")) if p.suffix.lower() in FONT_SUFFIXES and p.is_file()]


def read_code_points(font_dirs: list[str]) -> set[int]:
    """Every code point some face of the font files maps (the slow part: run it in a fresh process)."""
    from fontTools.ttLib import TTCollection, TTFont

    points: set[int] = set()
    for path in font_files(font_dirs):
        faces = TTCollection(str(path), lazy=True).fonts if path.suffix.lower() == ".ttc" else [TTFont(str(path), lazy=True)]
        for face in faces:
            # glyph names are not needed: numbered names spare parsing the CFF charset (the
            # memory and most of the time); the cmap's code points are the same
            face.setGlyphOrder([f"glyph{i}" for i in range(face["maxp"].numGlyphs)])
            points.update(face.getBestCmap() or {})
    return points


def cache_key(font_dirs: list[str]) -> str:
    import fontTools

    digest = hashlib.sha256(f"fontTools {fontTools.version}\n".encode())
    for path in font_files(font_dirs):
        stat = path.stat()
        digest.update(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_folder() -> Path:
    """``$XDG_CACHE_HOME/briefings``, else ``~/.cache/briefings`` (as fontconfig and matplotlib keep font caches)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "briefings"


def _valid_ranges(value: Any) -> tuple[tuple[int, int], ...] | None:
    if not isinstance(value, list):
        return None
    ranges: list[tuple[int, int]] = []
    for item in value:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and all(type(n) is int for n in item)
            and 0 <= item[0] <= item[1] <= _MAX_CODE_POINT
            and (not ranges or item[0] > ranges[-1][1] + 1)
        ):
            return None
        ranges.append((item[0], item[1]))
    return tuple(ranges)


def _read_cache(path: Path, key: str) -> Coverage | None:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 4_000_000:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    ranges = _valid_ranges(data.get("ranges"))
    return Coverage(ranges) if ranges is not None else None


def _computed_in_fresh_process(font_dirs: list[str]) -> Coverage:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run([sys.executable, "-m", "briefings.glyphs", *font_dirs], capture_output=True, env=env)
    try:
        ranges = _valid_ranges(json.loads(proc.stdout)) if proc.returncode == 0 else None
    except ValueError:
        ranges = None
    if ranges is None:
        raise RuntimeError(f"the fonts' code points could not be read: {proc.stderr.decode('utf-8', 'replace')[-1000:]}")
    return Coverage(ranges)


def coverage(font_dirs: list[str], *, cached: bool = True) -> Coverage:
    """The code points the fonts in ``font_dirs`` have: from the cache when it holds this font
    set, else read (in a fresh process) and remembered. ``cached=False`` reads the fonts here."""
    if not cached:
        return Coverage.of(read_code_points(font_dirs))
    key = cache_key(font_dirs)
    try:
        path = cache_folder() / f"glyph-coverage-{key[:24]}.json"
    except RuntimeError:  # no home folder to keep a cache in: read the fonts
        return _computed_in_fresh_process(font_dirs)
    found = _read_cache(path, key)
    if found is not None:
        return found
    computed = _computed_in_fresh_process(font_dirs)
    try:
        from .fsutil import atomic_write_text

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"key": key, "ranges": [list(r) for r in computed.ranges]}) + "\n")
    except OSError:
        pass  # no writable cache folder: read again next time
    return computed


def main(argv: list[str] | None = None) -> None:
    """``python -m briefings.glyphs DIR...``: the fonts' code points as JSON ranges on stdout."""
    folders = sys.argv[1:] if argv is None else argv
    print(json.dumps([list(r) for r in Coverage.of(read_code_points(folders)).ranges]))


if __name__ == "__main__":
    main()
