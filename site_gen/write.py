"""Write stage: the only writer. Pages are staged as they are made; two trees are swapped.

`Staging` takes each file as it is rendered and writes it at once into a staging folder
beside the output (`.NAME.new`), unless the live site already holds the same bytes, so no
page is kept in memory. On commit the spare tree (see `write_spare`) is brought up to date and
swapped in with renameat2(RENAME_EXCHANGE); the retired site becomes the next spare. When the
spare cannot be trusted, a complete tree is staged instead, unchanged files hard-linked from
the live site. The two trees share inodes, so no file is ever changed in place. A failed or
killed build leaves the last good site, and nothing found in the output is followed out of it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import shutil
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from site_gen import write_spare
from site_gen.write_spare import SPARE_STATE, SpareRecord, Tree, folders_of, settle, walk

__all__ = ["MARKER", "SPARE_STATE", "OutputError", "Staging", "StaleOutput", "WriteStats",
           "check_output", "read_build_id", "write_tree"]

MARKER = ".site-gen"
MARKER_TEXT = b"This folder is written by site-gen; it is replaced on every build.\n"
_RENAME_EXCHANGE = 2
_STAGED = 0  # in Staging._files: written to the staging folder (else the live file's inode)
_CHUNK = 1 << 18  # read at a time when comparing a live file with what the build made


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
    for name in (None, ctypes.util.find_library("c")):
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
    """Put `new` in the place of `out`, and the tree that was there at `retired` (absent, or
    `new` itself). Without renameat2 the live site is aside for a moment, at `.NAME.swap`,
    where the next build finds it if this one is killed there."""
    if _exchange(new, out):
        if new != retired:
            os.rename(new, retired)
        return
    aside = _aside(out)
    _remove(aside)
    os.rename(out, aside)
    os.rename(new, out)
    os.rename(aside, retired)


def _aside(out: Path) -> Path:
    return out.parent / f".{out.name}.swap"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _reads_as(handle: int, parts: Sequence[bytes]) -> bool:
    """Whether the open file holds exactly these bytes (the parts one after the other), read
    to its end. Compared a chunk at a time and given up at the first that differs: the data
    files an edit changes (the SQLite database, the zip, the CSVs) are several MB, often of
    the same size as before, and need not be read whole to be found to differ."""
    for data in parts:
        at, size = 0, len(data)
        while at < size:
            chunk = os.read(handle, min(size - at, _CHUNK))
            if not chunk or chunk != data[at:at + len(chunk)]:
                return False
            at += len(chunk)
    return not os.read(handle, 1)


def _make_folder(root: Path, folder: str, made: set[str]) -> None:
    """Make `folder` under root unless `made` says it was made already."""
    if folder not in made:
        os.makedirs(f"{root}/{folder}", exist_ok=True)
        made.add(folder)


def _write_new(path: str, parts: Sequence[bytes]) -> None:
    """Write the parts one after the other into a new file. Plain system calls: at 100,000
    records a build writes 200,000 files, and a Python file object costs about 5 µs more
    each on tmpfs."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        for data in parts:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view):]
    except OSError as error:  # a full disk, say: os.write names no file
        raise OSError(error.errno, error.strerror, path) from None
    finally:
        os.close(handle)


def _write_marker(root: Path, build_id: str) -> None:
    """A new marker file (the old one may be shared with the other tree's history)."""
    marker = MARKER_TEXT + (f"build {build_id}\n".encode() if build_id else b"")
    temporary = root / f"{MARKER}.tmp"
    temporary.write_bytes(marker)
    os.replace(temporary, root / MARKER)


class Staging(MutableMapping[str, bytes]):
    """The files of one build, written to disk as they are set; commit() makes them the site.

    Keeps only the paths in memory. A path whose bytes the live site already holds is not
    written but hard-linked at commit. Use as a context manager to abort on an error."""

    def __init__(self, out: Path, build_id: str = "") -> None:
        self.out = out.resolve()
        self.build_id = build_id
        if os.path.ismount(self.out):
            raise OutputError(f"{self.out} is a mount point: the new site is made beside it "
                              "and swapped in, which cannot cross file systems; choose a "
                              "folder inside it for --out")
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:  # a file where a folder must be, say
            raise OutputError(f"{self.out}: its folder cannot be made ({error.strerror}: "
                              f"{error.filename}); choose another --out") from None
        self.root = self.out.parent / f".{self.out.name}.new"
        self.spare = self.out.parent / f".{self.out.name}.old"
        aside = _aside(self.out)
        if not os.path.lexists(self.out) and aside.is_dir() and not aside.is_symlink():
            os.rename(aside, self.out)  # the live site, aside when a build was killed
        for leftover in (self.root, aside):
            _remove(leftover)  # left by a killed build
        self.root.mkdir()
        self._files: dict[str, int] = {}  # path -> _STAGED, or the inode of the same live file
        self._made: set[str] = {""}
        self._real: dict[str, bool] = {"": self.out.is_dir()}  # live folders, no link on the way
        self._open = True

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *error: object) -> None:
        if self._open:
            self.abort()

    def __setitem__(self, rel: str, data: bytes) -> None:
        self.put_parts(rel, (data,))

    def put_parts(self, rel: str, parts: Sequence[bytes]) -> None:
        """Stage the file whose bytes are these parts, one after the other, without joining
        them in memory first (the dataset's zip is made of its members' compressed pieces)."""
        self._check_open()
        staged = f"{self.root}/{rel}"
        inode = self._live_copy(rel, parts)
        if inode:
            if self._files.get(rel) == _STAGED:
                os.unlink(staged)
            self._files[rel] = inode
            return
        _make_folder(self.root, rel.rpartition("/")[0], self._made)
        _write_new(staged, parts)
        self._files[rel] = _STAGED

    def new_file(self, rel: str) -> str:
        """The path at which the caller writes the file `rel` itself, staged as it is when
        commit() comes (for a file too large to hand over in memory). Never found to be the
        same as the live site's file: it is published as written."""
        self._check_open()
        if rel in self._files:
            del self[rel]
        _make_folder(self.root, rel.rpartition("/")[0], self._made)
        self._files[rel] = _STAGED
        return f"{self.root}/{rel}"

    def __getitem__(self, rel: str) -> bytes:
        staged = self._files[rel] == _STAGED
        return ((self.root if staged else self.out) / rel).read_bytes()

    def __delitem__(self, rel: str) -> None:
        self._check_open()
        if self._files.pop(rel) == _STAGED:
            os.unlink(self.root / rel)

    def __contains__(self, rel: object) -> bool:
        return rel in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def export(self, paths: Iterable[str]) -> dict[str, int]:
        """How these paths were staged, for adopt() by the process that commits (the
        staging folder is shared by a forked process that rendered them)."""
        return {rel: self._files[rel] for rel in paths}

    def adopt(self, staged: dict[str, int]) -> None:
        """Take files another process staged in this staging folder, as export() told."""
        self._check_open()
        self._files.update(staged)
        self._made.update(rel.rpartition("/")[0] for rel, how in staged.items()
                          if how == _STAGED)

    def _check_open(self) -> None:
        if not self._open:
            raise ValueError("this staging has been committed or aborted")

    def _real_folder(self, folder: str) -> bool:
        """The live site has a folder here, reached through folders only (no link)."""
        known = self._real.get(folder)
        if known is None:
            try:
                known = self._real_folder(folder.rpartition("/")[0]) and stat.S_ISDIR(
                    os.lstat(f"{self.out}/{folder}").st_mode)
            except OSError:
                known = False
            self._real[folder] = known
        return known

    def _live_copy(self, rel: str, parts: Sequence[bytes]) -> int:
        """The inode of the live site's file at rel if it holds these bytes, else 0."""
        if not self._real_folder(rel.rpartition("/")[0]):
            return 0
        try:
            handle = os.open(f"{self.out}/{rel}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return 0
        try:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode) or info.st_size != sum(map(len, parts)):
                return 0
            return info.st_ino if _reads_as(handle, parts) else 0
        finally:
            os.close(handle)

    def _link_from_live(self, rel: str, root: Path, made: set[str]) -> None:
        """Hard-link the live site's file at rel into root; StaleOutput if it is not a plain
        file there (gone, a folder, a link, or below a link)."""
        source = f"{self.out}/{rel}"
        folder = rel.rpartition("/")[0]
        try:
            regular = self._real_folder(folder) and stat.S_ISREG(os.lstat(source).st_mode)
        except OSError:
            regular = False
        if not regular:
            raise StaleOutput(rel)
        _make_folder(root, folder, made)
        try:
            os.link(source, f"{root}/{rel}", follow_symlinks=False)
        except FileNotFoundError:
            raise StaleOutput(rel) from None

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
            kept = set(kept)
            kept.difference_update(self._files)  # not a second copy of 20,000 paths
            record = SpareRecord.load(self.spare) if self.out.is_dir() else None
            if record is not None and record.trusted(self.out, self.spare, read_build_id):
                return self._update_spare(record, kept)
            return self._stage_all(kept)
        finally:
            _remove(self.root)

    def _stage_all(self, kept: set[str]) -> WriteStats:
        """The whole site in the staging folder: kept and unchanged files linked from the live
        site, then swapped in; the retired live site becomes the spare."""
        root, out = self.root, self.out
        same = [rel for rel, inode in self._files.items() if inode != _STAGED]
        for rel in sorted(kept) + same:
            self._link_from_live(rel, root, self._made)
        paths = kept.union(self._files)
        _write_marker(root, self.build_id)
        written = len(self._files) - len(same)
        if not out.is_dir():
            os.rename(root, out)
            _remove(self.spare)  # the spare of an output that is gone
            return WriteStats(written, len(kept) + len(same), 0)
        new = Tree.record(root, self.build_id, folders_of(paths))
        old_files, old_folders = walk(out)
        old_files.discard(MARKER)
        removed = old_files - paths
        old = Tree.record(out, read_build_id(out), old_folders)
        differ = removed.union(rel for rel, inode in self._files.items() if inode == _STAGED)
        differ.update(set(old_folders) - folders_of(paths))  # made by hand, or now a file
        _remove(self.spare)
        settle(root / MARKER)  # no change to the new tree, once live, has its keys' times
        _swap(root, out, self.spare)
        SpareRecord(new, old, paths, sorted(differ)).save(self.spare, remember=True)
        settle(out / MARKER)  # nor a change to the record file the times it was saved with
        return WriteStats(written, len(kept) + len(same), len(removed))

    def _update_spare(self, record: SpareRecord, kept: set[str]) -> WriteStats:
        """Bring the spare tree to the new build by changing only the paths where it, the live
        site or the new build differ, then swap it in."""
        live_paths = record.live_paths
        if not kept <= live_paths:
            raise StaleOutput(min(kept - live_paths))
        written = {rel for rel, inode in self._files.items() if inode == _STAGED}
        same = {rel: inode for rel, inode in self._files.items() if inode != _STAGED}
        paths = kept.union(self._files)
        removed = live_paths - paths
        spare = self.spare
        targets = record.targets(spare, written | removed, same)
        write_spare.update(spare, targets, paths, written, self.root, self._link_from_live)
        _write_marker(spare, self.build_id)
        new = record.spare
        new.build_id, new.top = self.build_id, write_spare.top_level(spare)
        new.update(spare, folders_of(targets).union(targets))  # a target may be a folder
        settle(spare / MARKER)  # no change to the new tree, once live, has its keys' times
        _swap(spare, self.out, spare)
        SpareRecord(new, record.live, paths, sorted(written | removed)).save(spare, remember=True)
        settle(self.out / MARKER)  # nor a change to the record file the times it was saved with
        return WriteStats(len(written), len(kept) + len(same), len(removed))


def write_tree(out: Path, files: dict[str, bytes], kept: Collection[str] = frozenset(),
               build_id: str = "") -> WriteStats:
    """Make the output hold exactly `files` plus the `kept` files of the previous build."""
    with Staging(out, build_id) as staging:
        staging.update(files)
        return staging.commit(kept)
