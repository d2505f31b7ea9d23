"""Load stage: read content/**/*.yaml strictly into records that remember file:line:col."""

from __future__ import annotations

import hashlib
import logging
import operator
import os
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain, compress, count
from pathlib import Path
from typing import Any, cast

from site_gen.fork import Beside, worth_forking
from site_gen.load_walk import RACY_NS, Walk, WalkMemo, walk
from site_gen.problems import Pos, Problem
from site_gen.records import COLLECTIONS, Record, Records
from site_gen.yamlrecords import RecordFile, read_records

log = logging.getLogger(__name__)
# Of the files a one-off load reads, the share read here when a child reads the rest. The
# child also packs and pickles what it read, and this process unpickles and unpacks it
# (each about 0.2 s of a 3 s half at 100,000 files): halves end together.
READ_HERE = 0.5


def records_of(collection: str, rel: str, read: RecordFile) -> tuple[list[Record], list[Problem]]:
    """Split a parsed file into records: a mapping is one record, a list holds several."""
    value = read.value
    if isinstance(value, dict):
        entries: list[Any] = [value]
    elif isinstance(value, list):
        entries = value
        if not entries:
            return [], [Problem(rel, 1, 1, "record-empty-list",
                                "the file holds an empty list; add records or delete it")]
    else:
        pos = Pos(rel, *read.marks[0]) if read.marks else Pos(rel)
        return [], [Problem.at(pos, "record-not-mapping",
                               "a record file holds a mapping of fields (`id: …`) "
                               "or a list of such mappings")]
    records: list[Record] = []
    problems: list[Problem] = []
    for item, marks in zip(entries, read.marks, strict=True):
        if not isinstance(item, dict):
            problems.append(Problem(rel, marks[0], marks[1], "record-not-mapping",
                                    "each record is a mapping of fields (`id: …`)"))
            continue
        records.append(Record(collection, item, rel, marks))
    return records, problems


StatKey = tuple[int, int, int, int]  # modification time, size, inode, change time


@dataclass
class FileEntry:
    """What one content file gave the last time it was read, keyed by its stat."""

    stat: StatKey
    sha256: str
    records: list[Record]
    problems: list[Problem]
    read_at: int  # time.time_ns() when the file was read


LoadCache = dict[str, FileEntry]
_STAT = operator.attrgetter("st_mtime_ns", "st_size", "st_ino", "st_ctime_ns")
_SHA = operator.attrgetter("sha256")
_RECORDS = operator.attrgetter("records")
_PROBLEMS = operator.attrgetter("problems")


@dataclass
class _Last:
    """The last load: its walk, and each file's stat and entry in the walk's order."""

    walk: Walk
    keys: list[StatKey]
    entries: list[FileEntry]
    racy: list[int]  # files read so soon after they were written that they are read again


@dataclass
class LoadMemo:
    """What the last load saw, kept by a long-lived process."""

    walk: WalkMemo = field(default_factory=WalkMemo)
    last: _Last | None = None


def _version(sha: str, index: int) -> str:
    return f"{sha[:20]}:{index}"


def read_file(collection: str, rel: str, data: bytes) -> FileEntry:
    """Parse one file into records, each stamped with a version: the file hash and index."""
    sha = hashlib.sha256(data).hexdigest()
    read, problems = read_records(rel, data)
    records: list[Record] = []
    if read.value is not None or not problems:
        records, found = records_of(collection, rel, read)
        problems = problems + found
        for index, record in enumerate(records):
            record.version = _version(sha, index)
    return FileEntry((0, 0, 0, 0), sha, records, problems, time.time_ns())


def _read_bytes(path: str, size: int) -> bytes:
    """The file's bytes, read with plain system calls: a Python file object costs about
    5 µs more a file, 0.45 s of a load of 100,000. `size` is what stat gave; a file that has
    changed since is read to its end all the same."""
    handle = os.open(path, os.O_RDONLY)
    try:
        data = os.read(handle, size + 1)
        if len(data) == size:  # all that stat gave: local file systems read it in one go
            return data
        parts = [data]  # a file that grew, shrank, or was read short: read to the end
        while more := os.read(handle, 1 << 16):
            parts.append(more)
        return b"".join(parts)
    finally:
        os.close(handle)


def _nothing() -> None:
    pass


def _stale(key: StatKey, entry: FileEntry | None) -> bool:
    """Whether the file must be read: never read, changed since, or read so soon after it
    was written that it may have changed again with the same stat."""
    return entry is None or entry.stat != key or key[0] >= entry.read_at - RACY_NS


def _read(found: tuple[str, str, str], key: StatKey) -> FileEntry:
    collection, rel, path = found
    entry = read_file(collection, rel, _read_bytes(path, key[1]))
    entry.stat = key
    return entry


def _fresh(found: tuple[str, str, str], key: StatKey, entry: FileEntry | None,
           cache: LoadCache | None) -> FileEntry:
    """The file's entry: the one given while its stat is the same, else the file read again."""
    if _stale(key, entry):
        entry = _read(found, key)
        if cache is not None:
            cache[found[1]] = entry
    assert entry is not None
    return entry


def _read_all(todo: list[tuple[tuple[str, str, str], StatKey]], beside: bool,
              meanwhile: Callable[[], None]) -> list[FileEntry]:
    """Read the files, in order. With `beside`, where many are to be read and a second core
    is free, a forked child reads the last part of them and sends back what it read, pickled,
    while this process reads the rest: parsing is most of a one-off build's first seconds,
    which no other stage can share (about 6 s of 100,000 files on one core). If the child
    fails, its files are read here. `meanwhile` is called before the files are read when
    this process reads them alone, else once they are read: the second core is then free."""
    cut = round(len(todo) * READ_HERE)
    far = todo[cut:]
    child = (Beside(lambda: _Sent.of([_read(found, key) for found, key in far]))
             if beside and worth_forking(len(todo), None) else None)
    if child is None or not child.forked:  # alone, or the system refused the fork
        meanwhile()
        return [_read(found, key) for found, key in todo]
    try:
        near = [_read(found, key) for found, key in todo[:cut]]
    except BaseException:  # a file gone or unreadable: no child left writing into a pipe
        child.cancel()
        raise
    entries = near + child.result().entries(far)
    meanwhile()
    return entries


@dataclass
class _Sent:
    """The files a child read, sent back in columns of objects that live on. Records and
    entries pickled as they are would each bring short-lived objects (arguments, the marks
    as bytes) that the unpickler holds to its end: freed together, they left ~20 MB of holes
    in the heap at 100,000 records, which the build's peak RSS kept."""

    hashes: list[str]
    read_at: list[int]
    problems: dict[int, list[Problem]]  # by the file's place among those sent
    counts: array[int]  # records per file
    fields: list[dict[str, Any]]
    sizes: array[int]  # marks per record
    marks: bytes  # every record's marks, one record after the other

    @classmethod
    def of(cls, entries: list[FileEntry]) -> _Sent:
        records = [record for entry in entries for record in entry.records]
        return cls([entry.sha256 for entry in entries], [entry.read_at for entry in entries],
                   {i: entry.problems for i, entry in enumerate(entries) if entry.problems},
                   array("I", [len(entry.records) for entry in entries]),
                   [record.fields for record in records],
                   array("I", [len(record.marks) for record in records]),
                   b"".join(record.marks.tobytes() for record in records))

    def entries(self, todo: list[tuple[tuple[str, str, str], StatKey]]) -> list[FileEntry]:
        """The entries of the files `todo` lists, those the child was given, as read_file
        made them (each record's path the very string this process holds)."""
        view = memoryview(self.marks)
        fields = iter(self.fields)
        sizes = iter(self.sizes)
        at = 0
        entries: list[FileEntry] = []
        for i, ((collection, rel, _), key) in enumerate(todo):
            sha = self.hashes[i]
            records: list[Record] = []
            for index in range(self.counts[i]):
                marks = array("I")
                end = at + next(sizes) * marks.itemsize
                marks.frombytes(view[at:end])
                at = end
                records.append(Record(collection, next(fields), rel, marks, _version(sha, index)))
            entries.append(FileEntry(key, sha, records, self.problems.get(i, []),
                                     self.read_at[i]))
        return entries


def load(project: Path, cache: LoadCache | None = None, memo: LoadMemo | None = None,
         meanwhile: Callable[[], None] | None = None) -> tuple[Records, list[Problem]]:
    """Read every record file of the project; collect all problems, never stop at the first.

    With a cache from the previous load, files whose size, times and inode are unchanged are
    not read again; the cache is updated in place. With a memo of the last load, content/
    is not listed again while its folders are unchanged, and only the files whose stat
    changed are looked at one by one.

    `meanwhile` is called once while this process reads on its own, or once the files are
    read if a child shared the reading (a one-off build draws the Vega bundle then).
    """
    meanwhile = meanwhile or _nothing
    made = walk(project, memo.walk if memo is not None else None)
    keys: list[StatKey] = list(map(_STAT, map(os.stat, made.paths)))
    last = memo.last if memo is not None else None
    if last is not None and last.walk is made and cache is not None:
        entries = list(last.entries)
        looked = sorted(set(compress(count(), map(operator.ne, keys, last.keys)))
                        .union(last.racy))
        meanwhile()
        for i in looked:
            entries[i] = _fresh(made.found[i], keys[i], entries[i], cache)
    else:
        given = [cache.get(rel) for rel in made.rels] if cache is not None else [None] * len(keys)
        stale = [i for i, (key, entry) in enumerate(zip(keys, given, strict=True))
                 if _stale(key, entry)]
        # A long-lived process (with a memo) reads every file here: a fork would copy its
        # server's threads amid their work, and an edit reads a file or two.
        read = _read_all([(made.found[i], keys[i]) for i in stale], memo is None, meanwhile)
        for i, entry in zip(stale, read, strict=True):
            given[i] = entry
            if cache is not None:
                cache[made.rels[i]] = entry
        entries = cast(list[FileEntry], given)
        looked = range(len(entries))
        if cache is not None:
            for gone in cache.keys() - set(made.rels):
                del cache[gone]
    if memo is not None:
        racy = [i for i in looked if keys[i][0] >= entries[i].read_at - RACY_NS]
        memo.last = _Last(made, keys, entries, racy)
    problems = [*made.problems, *chain.from_iterable(map(_PROBLEMS, entries))]
    by_collection: dict[str, list[Record]] = {c: [] for c in COLLECTIONS}
    for collection, (start, end) in made.spans.items():
        by_collection[collection] = list(chain.from_iterable(map(_RECORDS, entries[start:end])))
    hashes = dict(zip(made.rels, map(_SHA, entries), strict=True))
    newest = max(map(operator.itemgetter(0), keys), default=0)
    records = Records(by_collection, hashes, newest / 1e9)
    log.debug("loaded %d records from %d files", records.count(), len(made.found))
    return records, problems
