"""Write stage: the only writer. A new tree beside the output, swapped in atomically.

Unchanged files are hard-linked from the previous build, so nothing kept is rewritten, and a
failed or killed build leaves the last good site in place.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

MARKER = ".site-gen"
MARKER_TEXT = b"This folder is written by site-gen; it is replaced on every build.\n"
_RENAME_EXCHANGE = 2


class OutputError(Exception):
    """The output folder cannot be used (it would overwrite something that is not ours)."""


class StaleOutput(Exception):
    """A file the build meant to keep is missing from the output folder."""


def read_build_id(out: Path) -> str:
    """The id of the build that made `out`, from its marker file ("" if none)."""
    try:
        text = (out / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    for line in text.splitlines():
        if line.startswith("build "):
            return line.removeprefix("build ").strip()
    return ""


@dataclass(frozen=True)
class WriteStats:
    written: int
    kept: int
    removed: int


def check_output(project: Path, out: Path) -> None:
    """Refuse an output folder that would clobber the project or someone else's files."""
    out = out.resolve()
    project = project.resolve()
    forbidden = [project, *(project / name for name in ("content", "templates", "datasets"))]
    for place in forbidden:
        if out == place or place.is_relative_to(out) or (
                place != project and out.is_relative_to(place)):
            raise OutputError(f"refusing to write the site into {out}: it holds the project's "
                              "sources; choose another --out")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and
                                              not (out / MARKER).is_file())):
        raise OutputError(f"{out} exists and was not made by site-gen; "
                          "choose an empty or new folder for --out")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE) where the OS has it."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return False
    at_fdcwd = -100
    result = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def _files_under(root: Path) -> list[str]:
    """Paths of the files under root, relative and with forward slashes (os.walk is fast)."""
    found: list[str] = []
    base = str(root)
    for folder, _, names in os.walk(base):
        relative = os.path.relpath(folder, base)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found.extend(prefix + name for name in names)
    return found


def _same(path: Path, data: bytes) -> bool:
    try:
        if path.is_symlink() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def write_tree(out: Path, files: dict[str, bytes], kept: set[str] | frozenset[str] = frozenset(),
               build_id: str = "") -> WriteStats:
    """Make the output hold exactly `files` plus the `kept` files of the previous build,
    swapping a complete new tree into place."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.new"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    written = linked = 0
    made: set[Path] = {staging}
    try:
        for rel in sorted(kept):
            target = staging / rel
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.update(target.parents)
            try:
                os.link(out / rel, target)
            except FileNotFoundError:
                raise StaleOutput(rel) from None
            linked += 1
    except StaleOutput:
        shutil.rmtree(staging)
        raise
    for rel in sorted(files):
        data = files[rel]
        target = staging / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.update(target.parents)
        previous = out / rel
        if _same(previous, data):
            os.link(previous, target)
            linked += 1
        else:
            target.write_bytes(data)
            written += 1
    marker = MARKER_TEXT + (f"build {build_id}\n".encode() if build_id else b"")
    (staging / MARKER).write_bytes(marker)
    removed = 0
    if out.exists():
        old_files = set(_files_under(out))
        removed = len(old_files - set(files) - set(kept) - {MARKER})
        if _exchange(staging, out):
            shutil.rmtree(staging)
        else:
            retired = out.parent / f".{out.name}.old"
            if retired.exists():
                shutil.rmtree(retired)
            out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired)
    else:
        staging.rename(out)
    return WriteStats(written, linked, removed)
