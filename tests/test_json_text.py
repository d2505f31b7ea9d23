"""JSON text: orjson's bytes are the standard library's, and what orjson refuses or would
write where the standard library refuses goes to the standard library."""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_gen import json_text
from site_gen.dataset_csv import json_lines
from site_gen.json_text import compact, compact_text, indented
from site_gen.schemas import TableSpec
from site_gen.tables import Table


def _stdlib(value: Any, sort_keys: bool = False) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=sort_keys).encode("utf-8")


TEXT = st.text(st.characters(exclude_categories=["Cs"]))  # no lone surrogates
# Floats as the standard library writes them without an exponent below 1e16, down to 1e-4.
FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda x: x == 0 or abs(x) >= 1e-4)
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | FLOATS | TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(TEXT, inner, max_size=4), max_leaves=20)


@settings(max_examples=300)
@given(VALUES, st.booleans())
def test_compact_writes_the_bytes_of_the_standard_library(value: Any, sort_keys: bool) -> None:
    assert compact(value, sort_keys) == _stdlib(value, sort_keys)
    assert compact_text(value, sort_keys) == _stdlib(value, sort_keys).decode("utf-8")


@settings(max_examples=300)
@given(VALUES)
def test_indented_writes_the_bytes_of_the_standard_library(value: Any) -> None:
    expected = json.dumps(value, ensure_ascii=False, indent=2) + "\n"
    assert indented(value) == expected.encode("utf-8")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_reads_back_as_itself(number: float) -> None:
    assert json.loads(compact([number])) == [number]


@pytest.mark.parametrize("value", [
    2**64, -(2**63) - 1, 10**30,  # beyond 64 bits
    {1: "a", 2: "b"},  # keys that are not strings
    {"big": [1, 2**100]},
])
def test_what_orjson_refuses_is_written_by_the_standard_library(value: Any) -> None:
    assert compact(value) == _stdlib(value)
    assert compact(value, sort_keys=True) == _stdlib(value, sort_keys=True)
    assert indented(value) == (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()


def test_a_lone_surrogate_is_refused_as_before() -> None:
    with pytest.raises(UnicodeEncodeError):
        compact({"text": "a\ud800b"})
    assert compact_text("a\ud800b") == json.dumps("a\ud800b", ensure_ascii=False)


@dataclasses.dataclass
class _Point:
    x: int


@pytest.mark.parametrize("value", [datetime.date(2022, 3, 1),
                                   datetime.datetime(2022, 3, 1, 12), _Point(1)])
def test_what_the_standard_library_refuses_stays_refused(value: Any) -> None:
    # The standard library's own words: orjson's are "Type is not JSON serializable".
    for write in (compact, compact_text, indented):
        with pytest.raises(TypeError, match=r"^Object of type"):
            write({"value": value})
    spec = TableSpec(name="t", title="T", description="", path="t.csv", schema={}, fields=[])
    with pytest.raises(TypeError, match=r"^Object of type"):
        json_lines(Table(spec=spec, columns=["v"], rows=[]), [(1,), (value,)])


def test_nan_and_the_infinities_are_written_as_null() -> None:
    """No JSON number can be one (the check stage refuses them before they come here)."""
    values = [float("nan"), float("inf"), -float("inf")]
    assert compact(values) == b"[null,null,null]"
    assert compact_text({"v": values}, sort_keys=True) == '{"v":[null,null,null]}'


def test_table_rows_with_an_integer_beyond_64_bits_are_written_all_the_same() -> None:
    spec = TableSpec(name="t", title="T", description="", path="t.csv", schema={}, fields=[])
    table = Table(spec=spec, columns=["id", "n"], rows=[])
    rows = [("a", 1), ("b", 2**70), ("c", None)]
    assert json_lines(table, rows) == (b'{"id":"a","n":1},\n{"id":"b","n":'
                                       + str(2**70).encode() + b'},\n{"id":"c","n":null}')
    assert json_lines(table, rows[:1]) == b'{"id":"a","n":1}'


def test_joined_keeps_no_more_than_a_batch_of_orjson_bytes_alive(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """orjson's bytes keep the ~4 KB heap block they were written in: a table's rows must
    not all be held at once."""
    live, most = [0], [0]

    class Tracked(bytes):
        def __new__(cls, data: bytes) -> Tracked:
            live[0] += 1
            most[0] = max(most[0], live[0])
            return super().__new__(cls, data)

        def __del__(self) -> None:
            live[0] -= 1

    dumps = json_text.orjson.dumps
    monkeypatch.setattr(json_text.orjson, "dumps", lambda *a, **k: Tracked(dumps(*a, **k)))
    rows = [{"id": f"r{i}", "n": i} for i in range(3 * json_text.BATCH + 5)]
    assert json_text.joined(lambda: iter(rows), b",\n") == _stdlib(rows)[1:-1].replace(
        b"},{", b"},\n{")
    assert 0 < most[0] <= json_text.BATCH
