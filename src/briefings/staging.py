"""The output folder: who owns it, one writer at a time, and staged province folders.

Rules that keep an editor's previous good briefings safe:

- An output folder is the tool's when it holds the marker file ``.briefings-output``
  (written when the tool first uses a new or empty folder). A non-empty folder without it
  is refused unless the caller says otherwise (``--force``); even then the tool never
  deletes anything it did not write.
- One build at a time: ``.briefings.lock`` (an ``flock``) is held for the whole build.
- A province is built in a staging folder beside its final folder
  (``.briefings-staging-<slug>-<random>``, at the same depth so relative paths in the
  executed notebook hold) and swapped in as a whole only when every output succeeded,
  with an atomic exchange of the two folders where the kernel offers one.
- Each staging folder has a marker file beside it (``<staging folder>.ours``), written
  before the folder and removed after it, so the folder is never published with a marker
  inside and a build killed at any step leaves something the next build recognises.
  Leftovers of a killed build are the folders so marked: only those are removed.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import BriefingsError, UsageError, display_path

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

OUTPUT_MARKER = ".briefings-output"
STAGING_MARKER = ".briefings-staging"
STAGING_PREFIX = ".briefings-staging-"
MARKER_SUFFIX = ".ours"  # the marker beside a staging folder: <folder>.ours
LOCK_FILE = ".briefings.lock"
CACHE_DIR = ".briefings-cache"
OVERVIEW = "overview"  # the national overview: OUT/overview/ (sources) and OUT/overview.<lang>.<fmt>
#: Entries a fresh output folder may already hold (the repository's reports/README.md).
HARMLESS = frozenset({"README.md", ".gitkeep", OUTPUT_MARKER, LOCK_FILE})
SLUG = re.compile(r"^[a-z][a-z0-9-]*\Z")
#: Entries the tool keeps at the top of an output folder (never followed if they are links).
TOOL_ENTRIES: tuple[str, ...] = (".briefings-output", ".briefings.lock", ".briefings-cache", ".briefings-failed")
TOOL_ENTRIES += ("manifest.json", "index.html", "proof", "overview")
#: Names the tool writes at the top of an output folder.
TOOL_ROOT_NAME = re.compile(r"^(index\.html|manifest\.json|(overview|pack)\.[a-z]{2}\.(html|pdf)|\.briefings.*)$")
FILE_MODE, DIR_MODE = 0o644, 0o755


class OutputError(BriefingsError):
    """The output folder cannot be used (not ours, not writable, full, locked ...)."""

    exit_code = 2


def describe_os_error(exc: OSError, path: Path) -> str:
    reason: dict[int | None, str] = {
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.ELOOP: "too many symbolic links (a loop?)",
        errno.EDQUOT: "the disk quota is exceeded",
    }
    return f"{display_path(path)}: {reason.get(exc.errno, exc.strerror or str(exc))}"


def prepare_output(out_root: Path, *, force: bool = False) -> None:
    """Create ``out_root`` or check that it is the tool's; mark it as the tool's."""
    try:
        if out_root.exists() and not out_root.is_dir():
            raise OutputError(f"--out {display_path(out_root)} is a file, not a folder")
        out_root.mkdir(parents=True, exist_ok=True)
        marker = out_root / OUTPUT_MARKER
        if not marker.exists():
            foreign = sorted(p.name for p in out_root.iterdir() if p.name not in HARMLESS)
            if foreign and not force:
                shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
                raise OutputError(
                    f"--out {display_path(out_root)} is a folder the briefings tool did not make and it is not "
                    f"empty ({shown}); choose an empty or new folder, or pass --force to write into it "
                    "(nothing the tool did not write is ever deleted)"
                )
            # even forced, the tool writes beside a user's files, never over or among them: a
            # name it writes (index.html, manifest.json, overview pages) or a folder named as
            # the tool names a province's (which a build would replace) stops it
            clash = [n for n in foreign if TOOL_ROOT_NAME.match(n) or ((out_root / n).is_dir() and SLUG.match(n))]
            if clash:
                shown = ", ".join(clash[:5]) + (" ..." if len(clash) > 5 else "")
                raise OutputError(
                    f"--out {display_path(out_root)} is a folder the briefings tool did not make, and it holds what a build "
                    f"would write over or into ({shown}), even with --force: choose an empty or new folder"
                )
            marker.write_text("This folder holds generated briefings (briefings build). Safe to delete.\n", encoding="utf-8")
            os.chmod(marker, FILE_MODE)
        # the tool's own entries are never symbolic links: a link would make it write (a lock,
        # a cache, a manifest) wherever the link points, outside the output folder
        linked = [n for n in TOOL_ENTRIES if (out_root / n).is_symlink()]
        if linked:
            raise OutputError(
                f"{display_path(out_root)}: {', '.join(linked)}: a symbolic link where the tool keeps its own files; "
                "the tool writes only inside its output folder: remove the link"
            )
    except OSError as exc:
        raise OutputError(f"cannot use the output folder: {describe_os_error(exc, out_root)}") from None


@contextmanager
def build_lock(out_root: Path, *, wait: bool = True, notify: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the output folder's lock for a build: never two writers.

    The lock file is never written to, so a no-op build changes nothing; in a read-only
    folder, which no other build can write to either, the lock is taken read-only.
    """
    path = out_root / LOCK_FILE
    handle: IO[bytes]
    try:
        handle = open(path, "a+b")  # noqa: SIM115 (closed by the with below, after the fallback)
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise OutputError(f"cannot lock the output folder: {describe_os_error(exc, path)}") from None
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed by the with below)
        except OSError:
            yield  # a read-only folder without a lock file: nothing can write to it
            return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise OutputError(
                    f"another build is writing to {display_path(out_root)}; wait for it to finish, or choose another --out"
                ) from None
            if notify:
                notify(f"waiting for the build already writing to {display_path(out_root)} ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_running(out_root: Path) -> bool:
    """True while a build holds the output folder's lock (readers then refuse or wait)."""
    try:
        with open(out_root / LOCK_FILE, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def new_staging(out_root: Path, slug: str) -> Path:
    """A fresh staging folder for one province, beside its final folder."""
    if not SLUG.match(slug):
        raise UsageError(f"invalid province slug {slug!r}")
    return _marked_folder(out_root, f"{STAGING_PREFIX}{slug}-")


def _marked_folder(parent: Path, prefix: str) -> Path:
    """A new folder ``parent/<prefix><random>`` whose marker exists before it does."""
    handle, marker_name = tempfile.mkstemp(prefix=prefix, suffix=MARKER_SUFFIX, dir=parent)
    with os.fdopen(handle, "w", encoding="utf-8") as marker:
        marker.write("staging folder of a briefings build: removed with it, or by the next build\n")
    folder = Path(marker_name[: -len(MARKER_SUFFIX)])
    folder.mkdir()
    return folder


def marker_of(staging: Path) -> Path:
    """The marker file beside a staging folder."""
    return staging.with_name(staging.name + MARKER_SUFFIX)


def discard(staging: Path) -> None:
    """Remove a staging folder, then its marker (in that order: a kill in between leaves a
    marked folder or a lone marker, both of which the next build removes)."""
    shutil.rmtree(staging, ignore_errors=True)
    marker_of(staging).unlink(missing_ok=True)


def remove_leftovers(out_root: Path) -> list[Path]:
    """Remove what a killed build left: only staging folders marked as ours (a marker beside
    them, or the marker inside that earlier versions wrote) and lone markers."""
    removed: list[Path] = []
    if not out_root.is_dir():
        return removed
    for entry in sorted(out_root.iterdir()):
        if not entry.name.startswith(STAGING_PREFIX) or entry.is_symlink():
            continue
        if entry.is_file() and entry.name.endswith(MARKER_SUFFIX):
            folder = entry.with_name(entry.name[: -len(MARKER_SUFFIX)])
            if folder.is_symlink():  # not a folder the tool made: never followed
                entry.unlink(missing_ok=True)
                continue
            if folder.is_dir():
                removed.append(folder)
            discard(folder)
        elif entry.is_dir() and (entry / STAGING_MARKER).is_file():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def copy_into(source: Path, names: list[str], target: Path) -> None:
    """Copy ``names`` (relative file names) from ``source`` into ``target`` (staging)."""
    for name in names:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, destination)


def publish(staging: Path, final: Path) -> None:
    """Make ``staging`` the province folder ``final``, as one step, and drop the old one.

    World-readable whatever the umask. With Linux ``renameat2(RENAME_EXCHANGE)`` the two
    folders trade places atomically; elsewhere the old folder is renamed away first.
    """
    for folder, _dirs, files in os.walk(staging):
        os.chmod(folder, DIR_MODE)
        for name in files:
            os.chmod(os.path.join(folder, name), FILE_MODE)
    if final.is_dir() and not final.is_symlink():
        if _exchange(staging, final):
            discard(staging)  # now the previous version, still marked
            return
        retired = _marked_folder(final.parent, f"{STAGING_PREFIX}{final.name}-old-")
        os.rename(final, retired / final.name)
        os.rename(staging, final)
        marker_of(staging).unlink(missing_ok=True)
        discard(retired)
    else:
        if final.is_symlink() or final.exists():
            raise OutputError(f"{display_path(final)} exists and is not a folder the tool made; remove it first")
        os.rename(staging, final)
        marker_of(staging).unlink(missing_ok=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))
