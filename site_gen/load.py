"""Load stage: read content/**/*.yaml strictly into records that remember file:line:col."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_gen.problems import Pos, Problem
from site_gen.records import COLLECTIONS, Record, Records
from site_gen.yamlstrict import Document, read_yaml

log = logging.getLogger(__name__)

SUFFIXES = (".yaml", ".yml")
# File times come from a clock that ticks every few milliseconds: a file written within this
# long before it was read may change again with the same size and time, so it is re-read.
RACY_NS = 2_000_000_000


def _tree(folder: str, parts: tuple[str, ...],
          found: list[tuple[tuple[str, ...], os.DirEntry[str]]]
          ) -> list[tuple[tuple[str, ...], os.DirEntry[str]]]:
    """Every entry below `folder` with its path parts, leaving out hidden names and whatever
    lies below them, and not descending into symbolic links or folders that cannot be read."""
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
            _tree(entry.path, below, found)
    return found


def content_files(project: Path) -> tuple[list[tuple[str, str]], list[Problem]]:
    """List (collection, project path) pairs of the record files under content/, in path
    order, refusing symlinks and stray folders."""
    content = project / "content"
    found: list[tuple[str, str]] = []
    problems: list[Problem] = []
    if content.is_symlink():
        return found, [Problem("content", 1, 1, "content-symlink",
                               "content/ is a symbolic link, which is not followed; "
                               "move the real folder here")]
    if not content.is_dir():
        return found, [Problem("content", 1, 1, "project-content", "no content/ folder; "
                               "create content/<collection>/ with YAML records")]
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
        for parts, item in sorted(_tree(entry.path, (), []), key=lambda pair: pair[0]):
            frel = "/".join((rel, *parts))
            if item.is_symlink():
                fix = "move the real folder here" if os.path.isdir(item.path) \
                    else "copy the file here"
                problems.append(Problem(frel, 1, 1, "content-symlink",
                                        f"symbolic links are not followed in content/; {fix} "
                                        "instead"))
                continue
            if item.name.endswith(SUFFIXES) and item.is_file():
                found.append((entry.name, frel))
    return found, problems


def records_of(collection: str, rel: str, doc: Document) -> tuple[list[Record], list[Problem]]:
    """Split a parsed file into records: a mapping is one record, a list holds several."""
    value = doc.value
    if isinstance(value, dict):
        entries: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    elif isinstance(value, list):
        entries = [((i,), item) for i, item in enumerate(value)]
        if not entries:
            return [], [Problem(rel, 1, 1, "record-empty-list",
                                "the file holds an empty list; add records or delete it")]
    else:
        pos = doc.values.get((), Pos(rel))
        return [], [Problem.at(pos, "record-not-mapping",
                               "a record file holds a mapping of fields (`id: …`) "
                               "or a list of such mappings")]
    records: list[Record] = []
    problems: list[Problem] = []
    n = len(entries[0][0])
    keys_of: dict[tuple[Any, ...], dict[str, Pos]] = {}
    for key_path, key_pos in doc.keys.items():  # one pass: a list of records stays linear
        if len(key_path) == n + 1:
            keys_of.setdefault(key_path[:n], {})[key_path[n]] = key_pos
    for prefix, item in entries:
        pos = doc.values.get(prefix, Pos(rel))
        if not isinstance(item, dict):
            problems.append(Problem.at(pos, "record-not-mapping",
                                       "each record is a mapping of fields (`id: …`)"))
            continue
        keys = keys_of.get(prefix, {})
        values: dict[str, Pos] = {}
        items: dict[str, list[Pos]] = {}
        for name, field_value in item.items():
            values[name] = doc.values.get((*prefix, name), keys[name])
            if isinstance(field_value, list):
                items[name] = [doc.values.get((*prefix, name, i), values[name])
                               for i in range(len(field_value))]
        records.append(Record(collection, item, pos, keys, values, items))
    return records, problems


@dataclass
class FileEntry:
    """What one content file gave the last time it was read, keyed by its stat."""

    stat: tuple[int, int, int]
    sha256: str
    records: list[Record]
    problems: list[Problem]
    read_at: int  # time.time_ns() when the file was read


LoadCache = dict[str, FileEntry]


def _stat_key(path: str) -> tuple[int, int, int]:
    info = os.stat(path)
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def read_file(collection: str, rel: str, data: bytes) -> FileEntry:
    """Parse one file into records, each stamped with a version: the file hash and index."""
    sha = hashlib.sha256(data).hexdigest()
    doc, problems = read_yaml(rel, data)
    records: list[Record] = []
    if doc.value is not None or not problems:
        records, found = records_of(collection, rel, doc)
        problems = problems + found
        for index, record in enumerate(records):
            record.version = f"{sha[:20]}:{index}"
    return FileEntry((0, 0, 0), sha, records, problems, time.time_ns())


def load(project: Path, cache: LoadCache | None = None) -> tuple[Records, list[Problem]]:
    """Read every record file of the project; collect all problems, never stop at the first.

    With a cache from the previous load, files whose size, mtime and inode are unchanged are
    not read again; the cache is updated in place.
    """
    files, problems = content_files(project)
    records = Records(by_collection={c: [] for c in COLLECTIONS})
    seen: set[str] = set()
    for collection, rel in files:
        seen.add(rel)
        file = os.path.join(project, rel)
        stat = _stat_key(file)
        entry = cache.get(rel) if cache is not None else None
        if entry is None or entry.stat != stat or stat[0] >= entry.read_at - RACY_NS:
            with open(file, "rb") as handle:
                entry = read_file(collection, rel, handle.read())
            entry.stat = stat
            if cache is not None:
                cache[rel] = entry
        records.files[rel] = entry.sha256
        records.newest = max(records.newest, stat[0] / 1e9)
        problems.extend(entry.problems)
        records.by_collection[collection].extend(entry.records)
    if cache is not None:
        for gone in set(cache) - seen:
            del cache[gone]
    log.debug("loaded %d records from %d files", records.count(), len(files))
    return records, problems
