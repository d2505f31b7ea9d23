"""The walk over content/: which files are records, in path order, and what is refused.

A long-lived process keeps the last walk with the state of every folder it listed. Adding,
removing or renaming an entry changes its folder's change time (which no tool can set
back), so while every folder is as it was, the walk is not made again.
"""

from __future__ import annotations

import operator
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from site_gen.problems import Problem
from site_gen.records import COLLECTIONS

SUFFIXES = (".yaml", ".yml")
# File times come from a clock that ticks every few milliseconds: a file written within this
# long before it was read may change again with the same size and time, so it is re-read.
RACY_NS = 2_000_000_000

FolderKey = tuple[int, int, int]  # modification and change time (ns) and inode
Found = list[tuple[str, str, str]]  # collection, project path, path to open


@dataclass
class Walk:
    """The record files under content/ and the problems found, with the folders listed."""

    project: str
    found: Found = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    folders: dict[str, FolderKey | None] = field(default_factory=dict)
    at: int = field(default_factory=time.time_ns)  # before the first folder was listed
    # The files found, column by column, and where each collection's files lie among them.
    rels: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    def finish(self) -> Walk:
        """Fill the columns once the files are found."""
        self.rels = [rel for _, rel, _ in self.found]
        self.paths = [path for _, _, path in self.found]
        for index, (collection, _, _) in enumerate(self.found):
            start = self.spans.get(collection, (index, index))[0]
            self.spans[collection] = (start, index + 1)
        return self

    def lasts(self) -> bool:
        """Whether the walk may be reused: no problem (a symbolic link's message depends on
        its target) and no folder changed so recently that it may change again unseen."""
        return not self.problems and all(
            key is not None and key[1] < self.at - RACY_NS for key in self.folders.values())

    def holds(self, project: Path) -> bool:
        """Whether every folder listed is still as it was."""
        return self.project == str(project) and all(
            _folder(path) == key for path, key in self.folders.items())


@dataclass
class WalkMemo:
    """The last walk that may be reused, in a long-lived process."""

    last: Walk | None = None


def _folder(path: str) -> FolderKey | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def _tree(folder: str, parts: tuple[str, ...],
          found: list[tuple[tuple[str, ...], os.DirEntry[str]]], walk: Walk
          ) -> list[tuple[tuple[str, ...], os.DirEntry[str]]]:
    """Every entry below `folder` with its path parts, leaving out hidden names and whatever
    lies below them, and not descending into symbolic links or folders that cannot be read."""
    walk.folders[folder] = _folder(folder)
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except PermissionError:
        return found
    for entry in entries:
        if entry.name.startswith("."):
            continue
        below = (*parts, entry.name)
        found.append((below, entry))
        try:
            descend = entry.is_dir(follow_symlinks=False)
        except OSError:
            descend = False
        if descend:
            _tree(entry.path, below, found, walk)
    return found


def content_files(project: Path) -> tuple[list[tuple[str, str]], list[Problem]]:
    """List (collection, project path) pairs of the record files under content/, in path
    order, refusing symlinks and stray folders."""
    made = walk(project)
    return [(collection, rel) for collection, rel, _ in made.found], made.problems


def walk(project: Path, memo: WalkMemo | None = None) -> Walk:
    """The record files under content/ (see content_files), each with the path to open.

    With a memo, the last walk is reused while every folder it listed is unchanged.
    """
    if memo is not None and memo.last is not None and memo.last.holds(project):
        return memo.last
    made = Walk(str(project))
    _walk(project, made)
    made.finish()
    if memo is not None:
        memo.last = made if made.lasts() else None
    return made


def _walk(project: Path, walk: Walk) -> None:
    content = project / "content"
    try:
        info = os.lstat(content)
    except OSError:
        info = None
    mode = info.st_mode if info is not None else 0
    walk.folders[str(content)] = (info.st_mtime_ns, info.st_ctime_ns, info.st_ino) \
        if info is not None else None
    if stat.S_ISLNK(mode):
        walk.problems.append(Problem("content", 1, 1, "content-symlink",
                                     "content/ is a symbolic link, which is not followed; "
                                     "move the real folder here"))
        return
    if not stat.S_ISDIR(mode):
        walk.problems.append(Problem("content", 1, 1, "project-content",
                                     "no content/ folder; create content/<collection>/ with "
                                     "YAML records"))
        return
    problems = walk.problems
    with os.scandir(content) as listing:
        entries = sorted(listing, key=lambda item: item.name)
    for entry in entries:
        rel = f"content/{entry.name}"
        if entry.is_symlink():
            problems.append(Problem(rel, 1, 1, "content-symlink",
                                    "symbolic links are not followed in content/; "
                                    "move the real folder or file here"))
            continue
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            if Path(entry.name).suffix in SUFFIXES:
                problems.append(Problem(rel, 1, 1, "content-collection",
                                        "records belong in a collection folder: "
                                        f"move it into content/<{'|'.join(COLLECTIONS)}>/"))
            continue
        if entry.name not in COLLECTIONS:
            problems.append(Problem(rel, 1, 1, "content-collection",
                                    f"unknown collection '{entry.name}'; "
                                    f"collections are {', '.join(COLLECTIONS)}"))
            continue
        collection = entry.name
        tree = _tree(entry.path, (), [], walk)
        tree.sort(key=operator.itemgetter(0))
        for parts, item in tree:
            if item.is_symlink():
                fix = "move the real folder here" if os.path.isdir(item.path) \
                    else "copy the file here"
                problems.append(Problem("/".join((rel, *parts)), 1, 1, "content-symlink",
                                        f"symbolic links are not followed in content/; {fix} "
                                        "instead"))
                continue
            if item.name.endswith(SUFFIXES) and item.is_file():
                frel = f"{rel}/{parts[0]}" if len(parts) == 1 else "/".join((rel, *parts))
                walk.found.append((collection, frel, item.path))
