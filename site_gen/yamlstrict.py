"""A strict YAML reader: libyaml parses, this module builds values from its events.

Only YAML 1.2 core types are produced (no timestamps, `NO` stays a string), and anchors,
aliases, merge keys, tags, duplicate keys, non-string keys, tabs, several documents and
bare scalars are reported as problems with their line and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from sys import intern
from typing import Any, TypeVar

import yaml

from site_gen.problems import Pos, Problem

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 16
# Texts this short without a space (ids, dates, vocabulary terms, field names) recur across
# records: each is kept once (sys.intern) rather than once per record.
SHARED = 48

_INT = re.compile(r"[-+]?[0-9]+\Z")
_INT_OTHER = re.compile(r"0o[0-7]+\Z|0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
# What YAML lets a file hold (its printable set, plus tab and line breaks): an escape in a
# double-quoted scalar may not write anything else (NUL, ESC, U+FFFE…), which HTML, XML and
# the SVG renderer cannot hold.
_UNPRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LEGACY_WORDS = frozenset(
    {"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "n"}
)

Path = tuple[str | int, ...]
T = TypeVar("T")
R = TypeVar("R", bound="StrictReader")

_SCALAR = yaml.ScalarEvent
_MAPPING_END = yaml.MappingEndEvent
# Every plain scalar read as a number starts with one of these; any other is text, unless
# it is a null or boolean word.
_NUMBER_START = frozenset("+-.0123456789")
_NOT_TEXT_START = _NUMBER_START | {"", "~", "n", "N", "t", "T", "f", "F"}


@dataclass
class Document:
    """The value of one YAML file and the position of every value and key in it."""

    value: Any = None
    values: dict[Path, Pos] = field(default_factory=dict)
    keys: dict[Path, Pos] = field(default_factory=dict)


class StrictReader:
    """The strict rules over libyaml's events; `run` reads a Document with every position."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.loader = yaml.CSafeLoader(text)
        self.doc = Document()
        self.problems: list[Problem] = []

    def pos(self, mark: Any) -> Pos:
        return Pos(self.path, mark.line + 1, mark.column + 1)

    def problem(self, mark: Any, code: str, message: str) -> None:
        self.problems.append(Problem.at(self.pos(mark), code, message))

    def run(self) -> Document:
        self.document(self._root)
        return self.doc

    def _root(self, event: Any) -> None:
        self.doc.value = self.node(event, (), 0)

    def document(self, root: Callable[[Any], None]) -> None:
        """Read the stream's one document, handing the event that starts its value to `root`."""
        get = self.loader.get_event
        get()  # StreamStart
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            self.problems.append(
                Problem(self.path, 1, 1, "yaml-empty", "the file is empty; write a record")
            )
            return
        # DocumentStart
        root(get())
        get()  # DocumentEnd
        event = get()
        if not isinstance(event, yaml.StreamEndEvent):
            self.problem(
                event.start_mark,
                "yaml-multiple-documents",
                "a file holds one document; split it into one file per document "
                "or write the records as one list",
            )

    def check_node_start(self, event: Any) -> None:
        if getattr(event, "anchor", None) is not None:
            self.problem(
                event.start_mark,
                "yaml-anchor",
                f"anchors (&{event.anchor}) are not allowed; write the value out in full",
            )
        if getattr(event, "tag", None) is not None and not (
            isinstance(event, yaml.ScalarEvent) and event.tag == "!" and event.style
        ):
            tag = event.tag.replace("tag:yaml.org,2002:", "!!", 1)
            self.problem(
                event.start_mark,
                "yaml-tag",
                f"tags ({tag}) are not allowed; remove the tag and write a plain value",
            )

    def node(self, event: Any, path: Path, depth: int) -> Any:
        mark = event.start_mark
        self.doc.values[path] = Pos(self.path, mark.line + 1, mark.column + 1)
        if depth > MAX_DEPTH:
            self.problem(
                mark,
                "yaml-too-deep",
                f"nesting deeper than {MAX_DEPTH} levels; records are flat mappings",
            )
            self._skip(event)
            return None
        if isinstance(event, _SCALAR):
            if event.anchor is not None or event.tag is not None:
                self.check_node_start(event)
            return self.scalar(event)
        if isinstance(event, yaml.AliasEvent):
            self.problem(
                mark,
                "yaml-alias",
                f"aliases (*{event.anchor}) are not allowed; write the value out in full",
            )
            return None
        self.check_node_start(event)
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            get = self.loader.get_event
            while True:
                child = get()
                if isinstance(child, yaml.SequenceEndEvent):
                    return items
                items.append(self.node(child, (*path, len(items)), depth + 1))
        return self.mapping(event, path, depth)

    def mapping(self, event: Any, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        get = self.loader.get_event
        keys = self.doc.keys
        file = self.path
        while True:
            key_event = get()
            if isinstance(key_event, _MAPPING_END):
                return result
            key = self.key(key_event)
            value_event = get()
            if key is None or key in result or key == "<<":
                self.refuse(key_event, value_event, key,
                            lambda name: keys[(*path, name)].line)
                continue
            mark = key_event.start_mark
            keys[(*path, key)] = Pos(file, mark.line + 1, mark.column + 1)
            result[key] = self.node(value_event, (*path, key), depth + 1)

    def value(self, event: Any, depth: int) -> Any:
        """A node's value under the same rules as `node`, without keeping any position."""
        if depth > MAX_DEPTH:
            self.problem(
                event.start_mark,
                "yaml-too-deep",
                f"nesting deeper than {MAX_DEPTH} levels; records are flat mappings",
            )
            self._skip(event)
            return None
        kind = type(event)
        if kind is _SCALAR:
            if event.anchor is not None or event.tag is not None:
                self.check_node_start(event)
            return self.scalar(event)
        if kind is yaml.AliasEvent:
            self.problem(
                event.start_mark,
                "yaml-alias",
                f"aliases (*{event.anchor}) are not allowed; write the value out in full",
            )
            return None
        self.check_node_start(event)
        if kind is yaml.SequenceStartEvent:
            items: list[Any] = []
            get = self.loader.get_event
            while True:
                child = get()
                if type(child) is yaml.SequenceEndEvent:
                    return items
                items.append(self.value(child, depth + 1))
        result: dict[str, Any] = {}
        lines: dict[str, int] = {}
        get = self.loader.get_event
        while True:
            key_event = get()
            if type(key_event) is _MAPPING_END:
                return result
            key = self.key(key_event)
            value_event = get()
            if key is None or key in result or key == "<<":
                self.refuse(key_event, value_event, key, lines.__getitem__)
                continue
            lines[key] = key_event.start_mark.line + 1
            result[key] = self.value(value_event, depth + 1)

    def refuse(self, key_event: Any, value_event: Any, key: str | None,
               first_line: Callable[[str], int]) -> None:
        """Skip an entry whose key is not read: a refused key, a duplicate or a merge key
        (`first_line` tells where a duplicate key was first written)."""
        if key is not None and key != "<<":
            self.problem(
                key_event.start_mark,
                "yaml-duplicate-key",
                f"duplicate key '{key}' (first written at line {first_line(key)}); "
                "keep one of them",
            )
        elif key == "<<":
            self.problem(
                key_event.start_mark,
                "yaml-merge-key",
                "merge keys (<<) are not allowed; write the fields out in full",
            )
        self._skip(value_event)

    def key(self, event: Any) -> str | None:
        if isinstance(event, _SCALAR) and not event.style and event.anchor is None \
                and event.tag is None and event.value[:1] not in _NOT_TEXT_START:
            return intern(event.value)  # plain text that no other type can claim
        if not isinstance(event, yaml.ScalarEvent):
            self.problem(
                event.start_mark, "yaml-key", "keys must be plain text, not lists or mappings"
            )
            self._skip(event)
            return None
        self.check_node_start(event)
        value = self.scalar(event, is_key=True)
        if not isinstance(value, str):
            self.problem(
                event.start_mark,
                "yaml-key",
                f"key {event.value!r} is read as {_kind(value)}; keys must be text "
                "(quote it or use a field name)",
            )
            return None
        return value

    def scalar(self, event: Any, is_key: bool = False) -> Any:
        text = event.value
        if event.style == '"' and (bad := _UNPRINTABLE.search(text)):
            self.problem(
                event.start_mark,
                "yaml-escape",
                f"an escape here writes character U+{ord(bad[0]):04X}, which text cannot hold; "
                "remove it",
            )
            return _UNPRINTABLE.sub("", text)
        if event.style:  # quoted or block scalar: always a string
            return intern(text) if len(text) <= SHARED and " " not in text else text
        if text in _NULL:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if text[0] not in _NUMBER_START:
            return intern(text) if len(text) <= SHARED and " " not in text else text
        if _INT.match(text):
            digits = text.lstrip("+-")
            if len(digits) > 1 and digits[0] == "0":
                self.problem(
                    event.start_mark,
                    "yaml-leading-zero",
                    f"{text} has a leading zero, which YAML readers disagree on; "
                    f"quote it ('{text}') if it is text, or drop the zero if it is a number",
                )
                return text
            return int(text)
        if _INT_OTHER.match(text):
            return int(text, 0)
        if _FLOAT.match(text) and any(c.isdigit() for c in text):
            return float(text)
        if _INF.match(text):
            return float("-inf") if text.startswith("-") else float("inf")
        if _NAN.match(text):
            return float("nan")
        return intern(text) if len(text) <= SHARED and " " not in text else text

    def _skip(self, event: Any) -> None:
        """Consume the rest of a node whose value is discarded."""
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            level = 1
            get = self.loader.get_event
            while level:
                child = get()
                if isinstance(child, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                    level += 1
                elif isinstance(child, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                    level -= 1


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def not_finite(value: Any, path: Path = ()) -> Iterator[Path]:
    """The path within a read value of each float that is not finite (`.nan`, `.inf`, or one
    too large, like 1e400), in document order: no JSON number can hold one."""
    if isinstance(value, float):
        if not math.isfinite(value):
            yield path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from not_finite(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from not_finite(item, (*path, key))


def is_legacy_word(text: str) -> bool:
    """True for words that YAML 1.1 read as booleans (`NO`, `yes`, `on`), kept here as text."""
    return text in _LEGACY_WORDS


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


_UNCLOSED = {
    "while parsing a flow sequence": "this '[' has no matching ']'",
    "while parsing a flow mapping": "this '{' has no matching '}'",
    "while scanning a quoted scalar": "this quote has no closing quote",
}


def _syntax_problem(path: str, error: yaml.MarkedYAMLError) -> Problem:
    """Locate a libyaml error where the editor must act: an unclosed bracket at its opening."""
    problem = error.problem or error.context or "cannot be read"
    found, opened = error.problem_mark, error.context_mark
    unclosed = _UNCLOSED.get(error.context or "")
    if unclosed and opened is not None and found is not None and found.line > opened.line:
        return Problem(path, opened.line + 1, opened.column + 1, "yaml-syntax",
                       f"YAML syntax: {unclosed} before line {found.line + 1}, "
                       f"column {found.column + 1} ({problem})")
    mark = found or opened
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if problem.startswith("mapping values are not allowed"):
        problem += "; put a value that contains ': ' in quotes, or check the indentation"
    elif problem == "found invalid Unicode character escape code":
        problem += ("; write the character itself, or \\U0001F600 for one beyond U+FFFF "
                    "(YAML has no surrogate pairs such as JSON's \\ud83d\\ude00)")
    return Problem(path, line, col, "yaml-syntax", f"YAML syntax: {problem}")


def read_yaml(path: str, data: bytes) -> tuple[Document, list[Problem]]:
    """Parse one file's bytes strictly; return the document and every problem found."""
    return parse(path, data, StrictReader, StrictReader.run, Document)


def parse(path: str, data: bytes, reader: Callable[[str, str], R], read: Callable[[R], T],
          empty: Callable[[], T]) -> tuple[T, list[Problem]]:
    """Check one file's bytes and parse them with `read` of a `reader` (a StrictReader);
    a file refused before or during parsing gives `empty()` and the problems found."""
    problems: list[Problem] = []
    if len(data) > MAX_BYTES:
        return empty(), [
            Problem(
                path, 1, 1, "yaml-too-large",
                f"the file is {len(data):,} bytes, over the limit of {MAX_BYTES:,}; "
                "split it into several files",
            )
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        return empty(), [
            Problem(
                path, 1, 1, "yaml-bom",
                "the file starts with a byte-order mark; save it as UTF-8 without BOM",
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        good = data[: error.start].decode("utf-8")
        line, col = _line_col(good, len(good))
        return empty(), [
            Problem(
                path, line, col, "yaml-encoding",
                f"byte 0x{data[error.start]:02x} is not UTF-8 (the file may be saved as "
                "Latin-1 or Windows-1252); save it as UTF-8",
            )
        ]
    if "\x00" in text:
        line, col = _line_col(text, text.index("\x00"))
        return empty(), [
            Problem(path, line, col, "yaml-nul", "the file contains a NUL character; remove it")
        ]
    if "\t" in text:
        index = text.index("\t")
        while index != -1:
            line, col = _line_col(text, index)
            problems.append(
                Problem(path, line, col, "yaml-tab", "tab character; use spaces instead")
            )
            index = text.find("\t", text.find("\n", index) + 1 or len(text))
        return empty(), problems
    strict = reader(path, text)
    try:
        made = read(strict)
    except yaml.MarkedYAMLError as error:
        return empty(), [*strict.problems, _syntax_problem(path, error)]
    except yaml.reader.ReaderError as error:  # position counts UTF-8 bytes
        before = data[: error.position].decode("utf-8", "ignore")
        line, col = _line_col(before, len(before))
        char = error.character
        code = ord(char) if isinstance(char, str) else char
        return empty(), [
            *strict.problems,
            Problem(path, line, col, "yaml-syntax",
                    f"character U+{code:04X} is not allowed in YAML; remove it"),
        ]
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        return empty(), [*strict.problems,
                         Problem(path, 1, 1, "yaml-syntax", f"YAML syntax: {reason}")]
    finally:
        strict.loader.dispose()
    return made, strict.problems
