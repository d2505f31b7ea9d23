"""JSON text as the site writes it: compact or indented by two spaces, keys sorted where
asked, non-ASCII characters as themselves, in UTF-8.

orjson writes it several times faster than the standard library, and reads the values it
writes without taking a reference to each (the standard library takes one to every key and
value it sorts): in a forked child, such as those that make the record pages and the search
index, every reference taken writes to a page shared with the parent, which the kernel then
copies. The text is that of json.dumps(value, ensure_ascii=False) with the same separators,
but for floats below 1e-4, which orjson writes without an exponent or without its sign and
leading zero ("0.00001", "1e-7" for "1e-05", "1e-07"): the same numbers. NaN and the
infinities, which no JSON number can be, never come here: the check stage refuses them in
records and in table schemas (orjson would write null, the standard library NaN).
What orjson refuses (an integer beyond 64 bits, a lone surrogate, a key that is not a
string) and what it would write where the standard library refuses (dates, dataclasses) go
to the standard library, which writes or refuses them as before. orjson 3.11.7 is the
first to write a large float's exponent with its sign ("1e+16"), as the standard library does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

import orjson

_PLAIN = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_SORTED = _PLAIN | orjson.OPT_SORT_KEYS
_INDENTED = _PLAIN | orjson.OPT_INDENT_2
BATCH = 1024  # values joined at a time by joined()


def _stdlib(value: Any, sort_keys: bool) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)


def compact(value: Any, sort_keys: bool = False) -> bytes:
    """`json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)`
    in UTF-8, copied out of the block orjson wrote it in (joined())."""
    try:
        return bytes(memoryview(orjson.dumps(value, option=_SORTED if sort_keys else _PLAIN)))
    except orjson.JSONEncodeError:
        return _stdlib(value, sort_keys).encode("utf-8")


def compact_text(value: Any, sort_keys: bool = False) -> str:
    """compact() as text."""
    try:
        return orjson.dumps(value, option=_SORTED if sort_keys else _PLAIN).decode("utf-8")
    except orjson.JSONEncodeError:
        return _stdlib(value, sort_keys)


def indented(value: Any) -> bytes:
    """`json.dumps(value, ensure_ascii=False, indent=2)` in UTF-8, with a newline at the end."""
    try:
        return orjson.dumps(value, option=_INDENTED) + b"\n"
    except orjson.JSONEncodeError:
        return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def joined(values: Callable[[], Iterable[Any]], separator: bytes) -> bytes:
    """compact() of each value that `values()` gives, joined by `separator`: one value at a
    time (a table's rows as objects are made as they are written, never all at once).

    orjson's bytes keep the heap block they were written in, which grew to 4 KB or more
    however short the text (300,000 short rows held 1.2 GB, against 48 MB as json's text):
    they are joined BATCH at a time, and each batch let go."""
    try:
        iterator = iter(values())
        batches = []  # no JSON text is empty: an empty batch is the end
        while batch := separator.join([orjson.dumps(value, None, _PLAIN)
                                       for value in islice(iterator, BATCH)]):
            batches.append(batch)
        return separator.join(batches)
    except orjson.JSONEncodeError:
        return separator.join([compact(value) for value in values()])
