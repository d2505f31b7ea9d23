"""The spare tree: the site of the build before last, kept beside the output as `.NAME.old`.

Each build brings the spare up to date by touching only the paths where it differs from the new
build, and swaps it in; the retired site becomes the next spare. What the spare holds is known
from its record, `.site-gen-spare`, kept in the spare tree only while it is idle: the files of
the live tree, the paths where the two trees differ, and for each tree its build id, its root's
inode, its top-level entries with their inodes, and the inode, mtime and ctime of every folder
below the root. Adding, removing or renaming anything in a folder changes the folder's times,
so a tree whose folders all keep their keys holds what the record says.

The output folder may sit inside the user's project, so the record is plain data (no pickle),
its paths must stay inside the tree, and a record that does not match both trees is dropped.
Links are never followed: a link put in a tree by hand counts as a file, to be removed.

A long-lived process (site-gen serve) keeps the record it saved in memory, and uses it instead
of reading the file again only while the file is provably the one it wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

SPARE_STATE = ".site-gen-spare"  # only ever in the spare tree: what it holds
_VERSION = 2
_HALF = 1 << 63
_FileKey = tuple[int, int, int, int, int]  # device, inode, size, mtime and ctime of a file


def _unsafe(body: str) -> bool:
    """Whether one of these paths (joined by NUL bytes) could lead out of the tree it is
    joined to: an empty path or part (as a leading "/" makes), ".", or ".."."""
    parts = "\0" + body.replace("/", "\0") + "\0"
    return "\0\0" in parts or "\0.\0" in parts or "\0..\0" in parts


def folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder (but the root) that holds one of the paths."""
    folders: set[str] = set()
    for rel in paths:
        folder = rel.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def walk(root: Path) -> tuple[set[str], list[str]]:
    """The entries under root that are not folders (files, and links of any kind) and the
    folders but the root, relative, with forward slashes. Links are not followed."""
    files: set[str] = set()
    folders: list[str] = []
    pending = [""]
    while pending:
        prefix = pending.pop()
        with os.scandir(f"{root}/{prefix}") as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    folders.append(rel)
                    pending.append(rel + "/")
                else:
                    files.add(rel)
    return files, folders


def settle(probe: Path) -> None:
    """Wait until the file system clock has moved past every change made so far, so that any
    later change to a recorded folder gives it a ctime other than the one recorded. With
    coarse timestamps this takes up to one clock tick; at most a second."""
    os.utime(probe)
    now = os.stat(probe).st_ctime_ns
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        os.utime(probe)
        if os.stat(probe).st_ctime_ns > now:
            return
        time.sleep(0.0005)


@contextlib.contextmanager
def _opened(root: Path) -> Iterator[int]:
    handle = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        yield handle
    finally:
        os.close(handle)


def _folder_key(folder: str, root: int) -> tuple[int, int, int] | None:
    """Inode, mtime and ctime of a folder (relative to the open root), None if not a folder."""
    try:
        info = os.stat(folder, dir_fd=root, follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None
    ino = info.st_ino  # kept as a signed 64-bit number, as the times already are
    return ino - 2 * _HALF if ino >= _HALF else ino, info.st_mtime_ns, info.st_ctime_ns


def _keys_hold(handle: int, folders: list[str], keys: array[int]) -> bool:
    """Whether every folder (relative to the open root) is a folder with its recorded key.
    One stat each, compared in place: a tree of ten thousand folders is checked on every build,
    and the stat itself is most of the cost. An OSError (a folder gone) is the caller's."""
    if len(keys) != 3 * len(folders):
        return False
    look, is_folder = os.stat, stat.S_ISDIR
    inodes = array("Q", keys[0::3].tobytes())  # unsigned, as stat gives them
    for folder, inode, mtime, ctime in zip(folders, inodes, keys[1::3], keys[2::3], strict=True):
        info = look(folder, dir_fd=handle, follow_symlinks=False)
        if (info.st_ctime_ns != ctime or info.st_mtime_ns != mtime or info.st_ino != inode
                or not is_folder(info.st_mode)):
            return False
    return True


def top_level(root: Path) -> list[tuple[str, int]]:
    """The root's entries with their inodes (the record aside, but nothing else named like it).
    The root's own times change on every swap, so its entries are kept instead: a file
    replaced there gets another inode."""
    with os.scandir(root) as entries:
        return sorted((entry.name, entry.inode()) for entry in entries
                      if entry.name != SPARE_STATE)


@dataclass
class Tree:
    """One tree as it was when it went live: its build id, root inode, top-level entries, and
    the key of every folder below the root (flat: inode, mtime, ctime per folder)."""

    build_id: str
    root: int
    top: list[tuple[str, int]]
    folders: list[str] = field(default_factory=list)
    keys: array[int] = field(default_factory=lambda: array("q"))

    @staticmethod
    def record(root: Path, build_id: str, folders: Iterable[str]) -> Tree:
        tree = Tree(build_id, os.lstat(root).st_ino, top_level(root))
        tree.update(root, folders)
        return tree

    def update(self, root: Path, folders: Iterable[str]) -> None:
        """Record these folders again (added, changed or gone)."""
        index = {folder: n for n, folder in enumerate(self.folders)}
        gone: set[int] = set()
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
                self.keys.extend(key)
            else:
                self.keys[3 * n:3 * n + 3] = array("q", key)
        if gone:
            kept = [n for n in range(len(self.folders)) if n not in gone]
            self.folders = [self.folders[n] for n in kept]
            self.keys = array("q", (self.keys[3 * n + i] for n in kept for i in range(3)))

    def unchanged(self, root: Path, build_id_of: Callable[[Path], str]) -> bool:
        """The tree at root is this one: same root and top-level entries (the marker among
        them, so it is read only then), same build, no folder touched."""
        try:
            if os.lstat(root).st_ino != self.root or top_level(root) != self.top:
                return False
            with _opened(root) as handle:
                if not _keys_hold(handle, self.folders, self.keys):
                    return False
        except OSError:  # a folder gone
            return False
        return build_id_of(root) == self.build_id


@dataclass
class SpareRecord:
    """What the spare tree holds, relative to the live one. Kept in the spare tree only while
    it is idle: written after a swap, removed before the spare is changed."""

    live: Tree
    spare: Tree
    live_paths: set[str]  # the files of the live tree, the marker aside
    differ: list[str]  # where the two trees differ: in one only, or other bytes

    def save(self, spare: Path, remember: bool = False) -> None:
        """A JSON header line, every path and folder separated by NUL bytes (which no path
        holds), then the folder keys as 64-bit numbers: tens of thousands load at once.

        With `remember`, the next load() in this process takes this very record from memory
        if the file is then still the one written here. Only for a record this process made
        from the build's own paths and from names read from disk: load() checks the paths of a
        file anyone could have written, which such a record needs no check for. The caller
        hands the record over (changes it no more) and settles the clock after saving, so
        that any later change to the file gives it another ctime."""
        _saved.pop(str(spare), None)
        texts = [*self.live_paths, *self.differ, *self.live.folders, *self.spare.folders]
        body = "\0".join(texts).encode("utf-8", "surrogateescape")
        header: dict[str, object] = {
            "paths": len(self.live_paths), "differ": len(self.differ), "body": len(body)}
        for name, tree in (("live", self.live), ("spare", self.spare)):
            header[name] = [tree.build_id, tree.root, tree.top, len(tree.folders)]
        temporary = spare / f"{SPARE_STATE}.tmp"
        _clear(str(temporary))  # left by a killed build, or put there: a link is not followed
        with open(temporary, "xb") as handle:  # in pieces: no copy of the whole 2 MB
            for piece in (json.dumps([_VERSION, header]).encode() + b"\n", body,
                          self.live.keys, self.spare.keys):
                handle.write(piece)
        written = _file_key(temporary)
        os.replace(temporary, spare / SPARE_STATE)
        if remember:
            _remember(spare, written, self)

    @staticmethod
    def load(spare: Path) -> SpareRecord | None:
        """The record in the spare tree, None if there is none or it is not well formed: the
        one this process saved there, while the file is still the one it wrote."""
        saved = _saved.pop(str(spare), None)  # taken once: the caller may change it
        if saved is not None and _still(spare, saved[0]):
            return saved[1]
        try:
            with open(spare / SPARE_STATE, "rb", opener=_no_follow) as handle:
                data = handle.read()
            first, _, rest = data.partition(b"\n")
            version, header = json.loads(first)
            if version != _VERSION:
                return None
            size = header["body"]
            body = rest[:size].decode("utf-8", "surrogateescape")
            if size != len(rest[:size]) or (size and _unsafe(body)):
                return None
            texts = body.split("\0") if size else []
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
            trees = [_tree(header["live"], lists[2], keys[:3 * counts[2]]),
                     _tree(header["spare"], lists[3], keys[3 * counts[2]:])]
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            return None
        if trees[0] is None or trees[1] is None:
            return None
        return SpareRecord(trees[0], trees[1], set(lists[0]), lists[1])

    def trusted(self, out: Path, spare: Path, build_id_of: Callable[[Path], str]) -> bool:
        """Both trees are still as the last build left them: the spare untouched, the live site
        the same folder from the same build (what was changed in it is found file by file)."""
        try:
            if os.lstat(out).st_ino != self.live.root:
                return False
        except OSError:
            return False
        return build_id_of(out) == self.live.build_id and self.spare.unchanged(spare, build_id_of)

    def targets(self, spare: Path, changed: set[str], same: dict[str, int]) -> set[str]:
        """The paths to touch in the spare: the changed ones, those where the two trees differ,
        and those where the build made what the live site holds but the spare holds another
        file (put in the live site by hand, as a checkout does) — one lstat each."""
        targets = changed.union(self.differ)
        for rel, inode in same.items():
            if rel not in targets:
                try:
                    if os.lstat(f"{spare}/{rel}").st_ino == inode:
                        continue
                except OSError:
                    pass
                targets.add(rel)
        return targets


# The record each spare was last saved with by this process, by the spare's path, with the key
# its file had right after: reading and checking the file (2 MB at 10,000 records) on every
# build cost a fifth of the write stage.
_saved: dict[str, tuple[_FileKey, SpareRecord]] = {}


def _file_key(path: Path) -> _FileKey:
    info = os.lstat(path)
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _remember(spare: Path, written: _FileKey, record: SpareRecord) -> None:
    """Keep the record just saved, if its file is the one written (renaming it changed only
    its ctime), not one another process put there in between."""
    try:
        key = _file_key(spare / SPARE_STATE)
    except OSError:
        return
    if key[:4] == written[:4]:
        _saved[str(spare)] = key, record


def _still(spare: Path, key: _FileKey) -> bool:
    """The spare's record file is the one that had this key: same inode, and neither written,
    truncated, replaced nor renamed since (any of which changes its ctime)."""
    try:
        return _file_key(spare / SPARE_STATE) == key
    except OSError:
        return False


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK)


def _tree(fields: object, folders: list[str], keys: array[int]) -> Tree | None:
    """A tree from its header fields, None if they are not of the kinds a record holds."""
    if not isinstance(fields, list) or len(fields) != 4:
        return None
    build_id, root, top, _ = fields
    if not (isinstance(build_id, str) and isinstance(root, int) and isinstance(top, list) and
            all(isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str) and
                isinstance(entry[1], int) for entry in top)):
        return None
    return Tree(build_id, root, [(name, inode) for name, inode in top], folders, keys)


def update(spare: Path, targets: Iterable[str], paths: set[str], written: set[str],
           staged: Path, link: Callable[[str, Path, set[str]], None]) -> None:
    """Bring the spare to the new build at the targets: remove what the build does not make,
    move in what it wrote (from the staging folder), link the rest from the live site. A target
    is a file or a folder (a folder the new build does not have). No file is changed in place:
    the other tree shares their inodes."""
    os.unlink(spare / SPARE_STATE)  # from here on the spare is not what the record says
    ordered = sorted(targets)
    for rel in ordered:  # removals first: a file may take the place of a folder
        if rel not in paths:
            _clear(f"{spare}/{rel}")
            _prune(spare, rel)
    made = {""}
    for rel in ordered:
        if rel not in paths:
            continue
        _clear(f"{spare}/{rel}")
        if rel not in written:
            link(rel, spare, made)
            continue
        folder = rel.rpartition("/")[0]
        if folder not in made:
            os.makedirs(f"{spare}/{folder}", exist_ok=True)
            made.add(folder)
        os.replace(f"{staged}/{rel}", f"{spare}/{rel}")


def _clear(path: str) -> None:
    """Make sure nothing is at path: a file or link is unlinked, a folder removed whole."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path)
    else:
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
