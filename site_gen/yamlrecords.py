"""Read a record file under the strict YAML rules, keeping only the positions records use.

A Document keeps a Pos for every key and value under its path; at 100,000 records that is
millions of objects (~290 MB) kept for error messages alone. A record needs the position of
itself, of each field's key and value, and of each item of a list field: they are packed
here into one array of line and column numbers per record (see records.Marks).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

import yaml

from site_gen.problems import Problem
from site_gen.yamlstrict import StrictReader, parse

_MAPPING_START = yaml.MappingStartEvent
_MAPPING_END = yaml.MappingEndEvent
_SEQUENCE_START = yaml.SequenceStartEvent
_SEQUENCE_END = yaml.SequenceEndEvent


@dataclass
class RecordFile:
    """A record file's value and, for the value (a mapping) or each item of the value (a
    list), its marks: a mapping's as records.Marks describes, anything else's line and
    column alone."""

    value: Any = None
    marks: list[array[int]] = field(default_factory=list)


class _Records(StrictReader):
    def __init__(self, path: str, text: str) -> None:
        super().__init__(path, text)
        self.file = RecordFile()

    def read(self) -> RecordFile:
        self.document(self._top)
        return self.file

    def _top(self, event: Any) -> None:
        kind = type(event)
        if kind is _MAPPING_START:
            self.check_node_start(event)
            self.file.value = self.record(event, 0)
        elif kind is _SEQUENCE_START:
            self.check_node_start(event)
            items: list[Any] = []
            get = self.loader.get_event
            while type(child := get()) is not _SEQUENCE_END:
                if type(child) is _MAPPING_START:
                    self.check_node_start(child)
                    items.append(self.record(child, 1))
                else:
                    self.file.marks.append(self._at(child))
                    items.append(self.value(child, 1))
            self.file.value = items
        else:
            self.file.marks.append(self._at(event))
            self.file.value = self.value(event, 0)

    @staticmethod
    def _at(event: Any) -> array[int]:
        mark = event.start_mark
        return array("I", (mark.line + 1, mark.column + 1))

    def record(self, event: Any, depth: int) -> dict[str, Any]:
        """A mapping's fields, its marks added to the file's (a record is at depth 0 or 1,
        so its fields and their list items are far from MAX_DEPTH)."""
        start = event.start_mark
        marks = [start.line + 1, start.column + 1]
        items: list[int] = []
        result: dict[str, Any] = {}
        get = self.loader.get_event
        while True:
            key_event = get()
            if type(key_event) is _MAPPING_END:
                break
            key = self.key(key_event)
            value_event = get()
            if key is None or key in result or key == "<<":
                self.refuse(key_event, value_event, key,
                            lambda name: marks[2 + 4 * list(result).index(name)])
                continue
            at, to = key_event.start_mark, value_event.start_mark
            marks.extend((at.line + 1, at.column + 1, to.line + 1, to.column + 1))
            if type(value_event) is _SEQUENCE_START:
                self.check_node_start(value_event)
                listed: list[Any] = []
                while type(child := get()) is not _SEQUENCE_END:
                    mark = child.start_mark
                    items.extend((mark.line + 1, mark.column + 1))
                    listed.append(self.value(child, depth + 2))
                result[key] = listed
            else:
                result[key] = self.value(value_event, depth + 1)
        marks.extend(items)
        self.file.marks.append(array("I", marks))
        return result


def read_records(path: str, data: bytes) -> tuple[RecordFile, list[Problem]]:
    """Parse a record file strictly (the rules and problems of yamlstrict.read_yaml)."""
    return parse(path, data, _Records, _Records.read, RecordFile)
