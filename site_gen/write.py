"""Write stage: the only writer. Pages are staged as they are made; two trees are swapped.

`Staging` takes each file as it is rendered and writes it at once into a staging folder
beside the output (`.NAME.new`), unless the live site already holds the same bytes, so no
page is kept in memory. On commit the new site is made from the spare tree — the site of
the build before last, kept beside the output as `.NAME.old` — by touching only the paths
where it differs from the new build, and swapped in with renameat2(RENAME_EXCHANGE); the
retired site becomes the next spare. When the spare cannot be trusted, a complete tree is
staged instead, unchanged files hard-linked from the live site. The two trees share inodes,
so no file is ever changed in place. A failed or killed build leaves the last good site.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import json
import os
import shutil
import stat
import time
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

MARKER = ".site-gen"
MARKER_TEXT = b"This folder is written by site-gen; it is replaced on every build.\n"
SPARE_STATE = ".site-gen-spare"  # only ever in the spare tree: what it holds
_SPARE_VERSION = 1
_RENAME_EXCHANGE = 2
_HALF = 1 << 63  # folder keys are kept as signed 64-bit numbers


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


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """libc's renameat2, where the OS has it (looked up once)."""
    libraries = [None, ctypes.util.find_library("c")]
    for name in libraries:
        try:
            libc = ctypes.CDLL(name, use_errno=True)
        except (OSError, TypeError):
            continue
        if hasattr(libc, "renameat2"):
            return libc.renameat2  # type: ignore[no-any-return]
    return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE) where the OS has it."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd = -100
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0


def _swap(new: Path, out: Path, retired: Path) -> None:
    """Put `new` in the place of `out`, and the tree that was there at `retired` (absent)."""
    if _exchange(new, out):
        os.rename(new, retired)
        return
    aside = out.parent / f".{out.name}.swap"
    _remove(aside)
    os.rename(out, aside)
    os.rename(new, out)
    os.rename(aside, retired)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _walk(root: Path) -> tuple[set[str], list[str]]:
    """The files and the folders (but the root) under root, relative, with forward slashes."""
    files: set[str] = set()
    folders: list[str] = []
    base = str(root)
    for folder, _, names in os.walk(base):
        relative = os.path.relpath(folder, base)
        prefix = ""
        if relative != ".":
            prefix = relative.replace(os.sep, "/") + "/"
            folders.append(prefix[:-1])
        files.update(prefix + name for name in names)
    return files, folders


def _same(path: str, data: bytes) -> bool:
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return False
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def _safe(rel: str) -> bool:
    """A relative path that stays inside the tree it is joined to."""
    parts = rel.split("/")
    return bool(rel) and "" not in parts and "." not in parts and ".." not in parts and (
        "\0" not in rel)


def _folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder (but the root) that holds one of the paths."""
    folders: set[str] = set()
    for rel in paths:
        folder = rel.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def _folder_key(folder: str, root: int) -> tuple[int, int, int] | None:
    """Inode, mtime and ctime of a folder (relative to the open root): any file added to,
    removed from or renamed in a folder changes its times."""
    try:
        info = os.stat(folder, dir_fd=root, follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None
    return info.st_ino, info.st_mtime_ns, info.st_ctime_ns


def _signed(key: tuple[int, int, int]) -> tuple[int, int, int]:
    """The key as kept: each number as a signed 64-bit one."""
    if max(key) < _HALF and min(key) >= -_HALF:
        return key
    ino, mtime, ctime = ((value + _HALF) % (2 * _HALF) - _HALF for value in key)
    return ino, mtime, ctime


@contextlib.contextmanager
def _opened(root: Path) -> Iterator[int]:
    handle = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield handle
    finally:
        os.close(handle)


def _root_names(root: Path) -> list[str]:
    """The root's entries; the root's own times change on every swap, so its names are kept."""
    return sorted(name for name in os.listdir(root) if not name.startswith(SPARE_STATE))


def _settle(probe: Path) -> None:
    """Wait until the file system clock has moved past every change made so far, so that any
    later change to a recorded folder gives it a ctime other than the one recorded."""
    os.utime(probe)
    now = os.stat(probe).st_ctime_ns
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        os.utime(probe)
        if os.stat(probe).st_ctime_ns > now:
            return
        time.sleep(0.0005)


def _write_marker(root: Path, build_id: str) -> None:
    """A new marker file (the old one may be shared with the other tree's history)."""
    marker = MARKER_TEXT + (f"build {build_id}\n".encode() if build_id else b"")
    temporary = root / f"{MARKER}.tmp"
    temporary.write_bytes(marker)
    os.replace(temporary, root / MARKER)


@dataclass
class _Tree:
    """One tree as it was when it went live: its id, root inode, top-level names, and the
    key of every folder below the root (flat: inode, mtime, ctime per folder)."""

    build_id: str
    root: int
    names: list[str]
    folders: list[str] = field(default_factory=list)
    keys: array[int] = field(default_factory=lambda: array("q"))

    @staticmethod
    def record(root: Path, build_id: str, folders: Iterable[str]) -> _Tree:
        tree = _Tree(build_id, os.stat(root).st_ino, _root_names(root))
        tree.update(root, folders)
        return tree

    def update(self, root: Path, folders: Iterable[str]) -> None:
        """Record these folders again (added, changed or gone)."""
        index = {folder: n for n, folder in enumerate(self.folders)}
        gone: set[int] = set()
        keys = self.keys
        with _opened(root) as handle:
            found = [(folder, _folder_key(folder, handle)) for folder in folders]
        for folder, key in found:
            n = index.get(folder)
            if key is None:
                if n is not None:
                    gone.add(n)
            elif n is None:
                index[folder] = len(self.folders)
                self.folders.append(folder)
                keys.extend(_signed(key))
            else:
                keys[3 * n:3 * n + 3] = array("q", _signed(key))
        if gone:
            kept = [n for n in range(len(self.folders)) if n not in gone]
            self.folders = [self.folders[n] for n in kept]
            self.keys = array("q", (keys[3 * n + i] for n in kept for i in range(3)))

    def unchanged(self, root: Path) -> bool:
        """The tree at root is this one: same root, marker and names, no folder touched."""
        try:
            if os.stat(root).st_ino != self.root or _root_names(root) != self.names:
                return False
        except OSError:
            return False
        if read_build_id(root) != self.build_id:
            return False
        keys = self.keys
        try:
            with _opened(root) as handle:
                for n, folder in enumerate(self.folders):
                    key = _folder_key(folder, handle)
                    kept = keys[3 * n], keys[3 * n + 1], keys[3 * n + 2]
                    if key != kept and (key is None or _signed(key) != kept):
                        return False
        except OSError:
            return False
        return True


@dataclass
class _Pair:
    """What the spare tree holds, relative to the live one. Kept in the spare tree only while
    it is idle: written after a swap, removed before the spare is changed."""

    live: _Tree
    spare: _Tree
    live_paths: list[str]  # the files of the live tree, the marker aside
    differ: list[str]  # where the two trees differ: in one only, or other bytes

    def save(self, spare: Path) -> None:
        """A JSON header line, every path and folder separated by NUL bytes (which no path
        holds), then the folder keys as 64-bit numbers: tens of thousands load at once."""
        texts = [*self.live_paths, *self.differ, *self.live.folders, *self.spare.folders]
        body = "\0".join(texts).encode("utf-8", "surrogateescape")
        header = {"paths": len(self.live_paths), "differ": len(self.differ), "body": len(body)}
        for name, tree in (("live", self.live), ("spare", self.spare)):
            header[name] = [tree.build_id, tree.root, tree.names, len(tree.folders)]
        keys = (self.live.keys + self.spare.keys).tobytes()
        temporary = spare / f"{SPARE_STATE}.tmp"
        temporary.write_bytes(json.dumps([_SPARE_VERSION, header]).encode() + b"\n" + body +
                              keys)
        os.replace(temporary, spare / SPARE_STATE)

    @staticmethod
    def load(spare: Path) -> _Pair | None:
        try:
            data = (spare / SPARE_STATE).read_bytes()
            first, _, rest = data.partition(b"\n")
            version, header = json.loads(first)
            if version != _SPARE_VERSION:
                return None
            size = header["body"]
            texts = rest[:size].decode("utf-8", "surrogateescape").split("\0") if size else []
            keys = array("q")
            keys.frombytes(rest[size:])
            counts = [header["paths"], header["differ"], header["live"][3], header["spare"][3]]
            if not all(isinstance(count, int) and count >= 0 for count in counts) or (
                    sum(counts) != len(texts) or 3 * sum(counts[2:]) != len(keys)):
                return None
            lists, at = [], 0
            for count in counts:
                lists.append(texts[at:at + count])
                at += count
            trees = []
            for name, folders, start in (("live", lists[2], 0),
                                         ("spare", lists[3], 3 * counts[2])):
                build_id, root, names, count = header[name]
                if not (isinstance(build_id, str) and isinstance(root, int) and
                        isinstance(names, list) and all(isinstance(n, str) for n in names)):
                    return None
                trees.append(_Tree(build_id, root, names, folders,
                                   keys[start:start + 3 * count]))
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            return None
        if not all(_safe(rel) for rel in lists[1]):
            return None
        return _Pair(trees[0], trees[1], lists[0], lists[1])


def _spare_pair(out: Path, spare: Path) -> _Pair | None:
    """The record of the spare tree, if both trees are still as the last build left them."""
    pair = _Pair.load(spare)
    if pair is None or not pair.spare.unchanged(spare):
        return None
    try:
        if os.stat(out).st_ino != pair.live.root or read_build_id(out) != pair.live.build_id:
            return None
    except OSError:
        return None
    return pair


class Staging(MutableMapping[str, bytes]):
    """The files of one build, written to disk as they are set; commit() makes them the site.

    Keeps only the paths in memory. A path whose bytes the live site already holds is not
    written but hard-linked at commit. Use as a context manager to abort on an error."""

    def __init__(self, out: Path, build_id: str = "") -> None:
        self.out = out.resolve()
        self.build_id = build_id
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.root = self.out.parent / f".{self.out.name}.new"
        self.spare = self.out.parent / f".{self.out.name}.old"
        for leftover in (self.root, self.out.parent / f".{self.out.name}.swap"):
            _remove(leftover)  # left by a killed build
        self.root.mkdir()
        self._written: dict[str, bool] = {}  # path -> written here (else the live file is it)
        self._made: set[str] = {""}
        self._open = True

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *error: object) -> None:
        if self._open:
            self.abort()

    def __setitem__(self, rel: str, data: bytes) -> None:
        self._check_open()
        staged = f"{self.root}/{rel}"
        if _same(f"{self.out}/{rel}", data):
            if self._written.get(rel):
                os.unlink(staged)
            self._written[rel] = False
            return
        folder = rel.rpartition("/")[0]
        if folder not in self._made:
            os.makedirs(f"{self.root}/{folder}", exist_ok=True)
            self._made.add(folder)
        with open(staged, "wb") as handle:
            handle.write(data)
        self._written[rel] = True

    def __getitem__(self, rel: str) -> bytes:
        written = self._written[rel]
        return ((self.root if written else self.out) / rel).read_bytes()

    def __delitem__(self, rel: str) -> None:
        self._check_open()
        if self._written.pop(rel):
            os.unlink(self.root / rel)

    def __contains__(self, rel: object) -> bool:
        return rel in self._written

    def __iter__(self) -> Iterator[str]:
        return iter(self._written)

    def __len__(self) -> int:
        return len(self._written)

    def _check_open(self) -> None:
        if not self._open:
            raise ValueError("this staging has been committed or aborted")

    def abort(self) -> None:
        """Drop what was staged; the live site and the spare tree stay as they were."""
        self._open = False
        _remove(self.root)

    def commit(self, kept: Collection[str] = frozenset()) -> WriteStats:
        """Make the output hold exactly the staged files plus the `kept` files of the live
        site, swapped in at once. Raise StaleOutput (writing nothing) if a kept file is
        missing."""
        self._check_open()
        self._open = False
        try:
            kept = set(kept).difference(self._written)
            pair = _spare_pair(self.out, self.spare) if self.out.is_dir() else None
            if pair is not None:
                return self._update_spare(pair, kept)
            return self._stage_all(kept)
        finally:
            _remove(self.root)

    def _link_from_live(self, rel: str, root: Path, made: set[str]) -> None:
        target = f"{root}/{rel}"
        folder = rel.rpartition("/")[0]
        if folder not in made:
            os.makedirs(f"{root}/{folder}", exist_ok=True)
            made.add(folder)
        try:
            os.link(f"{self.out}/{rel}", target)
        except FileNotFoundError:
            raise StaleOutput(rel) from None

    def _stage_all(self, kept: set[str]) -> WriteStats:
        """The whole site in the staging folder: kept and unchanged files linked from the live
        site, then swapped in; the retired live site becomes the spare."""
        root, out = self.root, self.out
        same = [rel for rel, written in self._written.items() if not written]
        for rel in sorted(kept) + same:
            self._link_from_live(rel, root, self._made)
        paths = kept.union(self._written)
        _write_marker(root, self.build_id)
        written = len(self._written) - len(same)
        if not out.is_dir():
            os.rename(root, out)
            _remove(self.spare)  # the spare of an output that is gone
            return WriteStats(written, len(kept) + len(same), 0)
        new = _Tree.record(root, self.build_id, _folders_of(paths))
        old_files, old_folders = _walk(out)
        old_files.discard(MARKER)
        removed = old_files - paths
        old = _Tree.record(out, read_build_id(out), old_folders)
        differ = removed.union(rel for rel, is_written in self._written.items() if is_written)
        _settle(root / MARKER)
        _remove(self.spare)
        _swap(root, out, self.spare)
        _Pair(new, old, list(paths), sorted(differ)).save(self.spare)
        return WriteStats(written, len(kept) + len(same), len(removed))

    def _update_spare(self, pair: _Pair, kept: set[str]) -> WriteStats:
        """Bring the spare tree to the new build by changing only the paths where it, the live
        site or the new build differ, then swap it in."""
        live_paths = set(pair.live_paths)
        if not kept <= live_paths:
            raise StaleOutput(min(kept - live_paths))
        written = {rel for rel, is_written in self._written.items() if is_written}
        same = len(self._written) - len(written)
        paths = kept.union(self._written)
        removed = live_paths - paths
        # a file the live site gained by hand, and the build makes with the same bytes
        gained = {rel for rel, is_written in self._written.items()
                  if not is_written and rel not in live_paths}
        targets = sorted(written | removed | gained | set(pair.differ))
        if not all(_safe(rel) for rel in targets):
            return self._stage_all(kept)
        spare, base = self.spare, str(self.spare)
        os.unlink(spare / SPARE_STATE)  # from here on the spare is not what the state says
        for rel in targets:  # removals first: a file may take the place of a folder
            if rel not in paths:
                _unlink(f"{base}/{rel}")
                _prune(spare, rel)
        made = {""}
        for rel in targets:
            if rel in written:
                folder = rel.rpartition("/")[0]
                if folder not in made:
                    os.makedirs(f"{base}/{folder}", exist_ok=True)
                    made.add(folder)
                os.replace(f"{self.root}/{rel}", f"{base}/{rel}")
            elif rel in paths:
                _unlink(f"{base}/{rel}")
                self._link_from_live(rel, spare, made)
        _write_marker(spare, self.build_id)
        new = pair.spare
        new.build_id, new.names = self.build_id, _root_names(spare)
        new.update(spare, _folders_of(targets))
        _settle(spare / MARKER)
        _swap(spare, self.out, spare)
        _Pair(new, pair.live, list(paths), sorted(written | removed)).save(spare)
        return WriteStats(len(written), len(kept) + same, len(removed))


def _unlink(path: str) -> None:
    """Make sure no file is at path (a folder there is emptied by its own files' removal)."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
        os.unlink(path)


def _prune(root: Path, rel: str) -> None:
    """Remove the folders a removed file leaves empty, as a fresh tree would not have them."""
    folder = rel.rpartition("/")[0]
    while folder:
        try:
            os.rmdir(root / folder)
        except OSError:
            return
        folder = folder.rpartition("/")[0]


def write_tree(out: Path, files: dict[str, bytes], kept: Collection[str] = frozenset(),
               build_id: str = "") -> WriteStats:
    """Make the output hold exactly `files` plus the `kept` files of the previous build."""
    with Staging(out, build_id) as staging:
        staging.update(files)
        return staging.commit(kept)
