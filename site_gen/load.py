"""Load stage: read content/**/*.yaml strictly into records that remember file:line:col."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_gen.load_walk import RACY_NS, WalkMemo, walk
from site_gen.problems import Pos, Problem
from site_gen.records import COLLECTIONS, Record, Records
from site_gen.yamlstrict import Document, read_yaml

log = logging.getLogger(__name__)


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

    stat: tuple[int, int, int, int]  # modification time, size, inode, change time
    sha256: str
    records: list[Record]
    problems: list[Problem]
    read_at: int  # time.time_ns() when the file was read


LoadCache = dict[str, FileEntry]


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
    return FileEntry((0, 0, 0, 0), sha, records, problems, time.time_ns())


def load(project: Path, cache: LoadCache | None = None, walked: WalkMemo | None = None
         ) -> tuple[Records, list[Problem]]:
    """Read every record file of the project; collect all problems, never stop at the first.

    With a cache from the previous load, files whose size, times and inode are unchanged are
    not read again; the cache is updated in place. With a walk memo, content/ is not listed
    again while its folders are unchanged.
    """
    made = walk(project, walked)
    problems = list(made.problems)
    by_collection: dict[str, list[Record]] = {c: [] for c in COLLECTIONS}
    hashes: dict[str, str] = {}
    newest = 0
    for collection, rel, path in made.found:
        info = os.stat(path)
        stat = (info.st_mtime_ns, info.st_size, info.st_ino, info.st_ctime_ns)
        entry = cache.get(rel) if cache is not None else None
        if entry is None or entry.stat != stat or stat[0] >= entry.read_at - RACY_NS:
            with open(path, "rb") as handle:
                entry = read_file(collection, rel, handle.read())
            entry.stat = stat
            if cache is not None:
                cache[rel] = entry
        hashes[rel] = entry.sha256
        newest = max(newest, stat[0])
        if entry.problems:
            problems.extend(entry.problems)
        by_collection[collection].extend(entry.records)
    if cache is not None:
        for gone in cache.keys() - hashes.keys():
            del cache[gone]
    records = Records(by_collection, hashes, newest / 1e9)
    log.debug("loaded %d records from %d files", records.count(), len(made.found))
    return records, problems
