"""The records that flow between stages: what an editor wrote, and where they wrote it."""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import Any

from site_gen.problems import Pos

COLLECTIONS = ("sources", "actors", "places", "events", "figures", "quotes")


@dataclass(slots=True)
class Record:
    """One record of a collection, with the position of every field for error messages.

    `marks` packs the positions in one array (one object per record rather than dozens):
    the record's line and column, then each field's key line, key column, value line and
    value column in the order of `fields`, then the line and column of each item of each
    list field, field by field. Nothing changes `fields` once the record is read, so the
    order holds.
    """

    collection: str
    fields: dict[str, Any]
    path: str
    marks: array[int]
    version: str = ""  # content hash of the file and the record's place in it

    @property
    def id(self) -> str:
        value = self.fields.get("id")
        return value if isinstance(value, str) else ""

    @property
    def pos(self) -> Pos:
        return Pos(self.path, self.marks[0], self.marks[1])

    def _mark(self, name: str, offset: int) -> Pos:
        if name not in self.fields:
            return self.pos
        at = 2 + 4 * list(self.fields).index(name) + offset
        return Pos(self.path, self.marks[at], self.marks[at + 1])

    def at(self, name: str) -> Pos:
        """Where field `name`'s value was written, or the record itself if it is missing."""
        return self._mark(name, 2)

    def key_at(self, name: str) -> Pos:
        return self._mark(name, 0)

    def item_at(self, name: str, index: int) -> Pos:
        """Where item `index` of list field `name` was written, else where the field was."""
        value = self.fields.get(name)
        if not isinstance(value, list) or not 0 <= index < len(value):
            return self.at(name)
        at = 2 + 4 * len(self.fields)
        for other, items in self.fields.items():
            if other == name:
                break
            if isinstance(items, list):
                at += 2 * len(items)
        at += 2 * index
        return Pos(self.path, self.marks[at], self.marks[at + 1])


@dataclass
class Records:
    """All records of a project, by collection, in file order."""

    by_collection: dict[str, list[Record]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # project path -> content hash
    newest: float = 0.0  # newest modification time of the files, in seconds

    @cached_property
    def fingerprint(self) -> str:
        """The path and content hash of every record file (in the load's order, which the
        paths decide) as one digest: it changes with any edit, addition, removal or move."""
        joined = "\x00".join(chain.from_iterable(self.files.items()))
        return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def of(self, collection: str) -> list[Record]:
        return self.by_collection.get(collection, [])

    def all(self) -> list[Record]:
        return [r for c in self.by_collection.values() for r in c]

    def count(self) -> int:
        return sum(len(c) for c in self.by_collection.values())

    def release(self, kept: dict[str, frozenset[str]]) -> None:
        """Drop what only the gather used, once it is over in a process that gathers once:
        every position, and each record's fields but `id` and those named in `kept` (by
        collection). At 100,000 records that is ~50 MB held through every later stage."""
        for collection, members in self.by_collection.items():
            names = kept.get(collection, frozenset()) | {"id"}
            for record in members:
                fields = record.fields
                record.fields = {name: fields[name] for name in names if name in fields}
                record.marks = _RELEASED


_RELEASED: array[int] = array("I")
