"""The records that flow between stages: what an editor wrote, and where they wrote it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from site_gen.problems import Pos

COLLECTIONS = ("sources", "actors", "places", "events", "figures", "quotes")


@dataclass
class Record:
    """One record of a collection, with the position of every field for error messages."""

    collection: str
    fields: dict[str, Any]
    pos: Pos
    keys: dict[str, Pos] = field(default_factory=dict)
    values: dict[str, Pos] = field(default_factory=dict)
    items: dict[str, list[Pos]] = field(default_factory=dict)
    version: str = ""  # content hash of the file and the record's place in it

    @property
    def id(self) -> str:
        value = self.fields.get("id")
        return value if isinstance(value, str) else ""

    def at(self, name: str) -> Pos:
        """Where field `name`'s value was written, or the record itself if it is missing."""
        return self.values.get(name) or self.pos

    def key_at(self, name: str) -> Pos:
        return self.keys.get(name) or self.pos

    def item_at(self, name: str, index: int) -> Pos:
        items = self.items.get(name)
        if items and index < len(items):
            return items[index]
        return self.at(name)


@dataclass
class Records:
    """All records of a project, by collection, in file order."""

    by_collection: dict[str, list[Record]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # project path -> content hash
    newest: float = 0.0  # newest modification time of the files, in seconds

    def of(self, collection: str) -> list[Record]:
        return self.by_collection.get(collection, [])

    def all(self) -> list[Record]:
        return [r for c in self.by_collection.values() for r in c]

    def count(self) -> int:
        return sum(len(c) for c in self.by_collection.values())
