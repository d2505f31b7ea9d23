"""The record reader keeps the strict rules of read_yaml and the positions records report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from site_gen.load import records_of
from site_gen.problems import Pos
from site_gen.yamlrecords import read_records
from site_gen.yamlstrict import MAX_DEPTH, read_yaml

TESTS = Path(__file__).parent
CORPUS = sorted({*TESTS.glob("invalid/**/*.yaml"), *(TESTS.parent / "content").glob("*/*.yaml")})
NESTED = "v:\n" + "".join("  " * i + "- \n" for i in range(1, MAX_DEPTH + 3)) + "  " * 20 + "x\n"
CASES = {
    "one": "id: kyiv\nname: Kyiv\naliases: [Kiev, 'Київ']\nlat: 50.45\n",
    "list": "- id: a\n  tags:\n    - x\n    - y\n- 3\n- [1, 2]\n- id: b\n  note: |\n    two\n",
    "duplicate": "id: a\nname: A\nid: b\naliases: [x]\nname: C\n",
    "duplicate-deep": "id: a\nmeta:\n  x: 1\n  y: [1, {x: 2, x: 3}]\n  x: 2\n",
    "merge": "id: a\n<<: {b: 1}\n<<: {c: 1}\nname: n\n",
    "anchors": "id: &a a\ntags: &t [x, *a]\nplace: !!str kyiv\nnote: ! 'x'\n",
    "keys": "id: a\n1: one\n[x]: list\n? {a: 1}\n: map\nnull: n\ntrue: t\n'q': quoted\n",
    "scalar": "just text\n",
    "null": "~\n",
    "empty-list": "[]\n",
    "nested-lists": "id: a\nmatrix: [[1, 2], [3, [4]]]\nafter: [z]\n",
    "deep": NESTED,
    "escape": 'id: a\nname: "bad \\x1b here"\nlist: ["\\x07", ok]\n',
    "leading-zero": "id: a\nzip: 01234\nn: [007, 8]\n",
    "two-docs": "id: a\n---\nid: b\n",
    "syntax": "id: a\nname: [unclosed\nnext: 1\n",
    "flow-record": "{id: a, tags: [x, y], name: n}\n",
    "list-of-flow": "- {id: a, tags: [x]}\n- {id: b, tags: []}\n",
    "empty": "",
    "comment": "# nothing\n",
}


def _inputs() -> list[Any]:
    made = [pytest.param(text.encode(), id=name) for name, text in CASES.items()]
    made += [pytest.param(path.read_bytes(), id=str(path.relative_to(TESTS.parent)))
             for path in CORPUS]
    return made


@pytest.mark.parametrize("data", _inputs())
def test_records_read_as_documents_are_read(data: bytes) -> None:
    doc, expected = read_yaml("f.yaml", data)
    read, problems = read_records("f.yaml", data)
    assert problems == expected
    assert read.value == doc.value or repr(read.value) == repr(doc.value)  # NaN != NaN
    if doc.value is None and problems:
        return
    records, _ = records_of("events", "f.yaml", read)
    prefixes = [()] if isinstance(doc.value, dict) else \
        [(i,) for i, item in enumerate(doc.value or []) if isinstance(item, dict)]
    assert len(records) == len(prefixes)
    for record, prefix in zip(records, prefixes, strict=True):
        assert record.pos == doc.values[prefix]
        for name, value in record.fields.items():
            assert record.key_at(name) == doc.keys[(*prefix, name)]
            assert record.at(name) == doc.values[(*prefix, name)]
            for index in range(len(value) if isinstance(value, list) else 0):
                assert record.item_at(name, index) == doc.values[(*prefix, name, index)]
            assert record.item_at(name, 99) == record.at(name)
        assert record.at("not-a-field") == record.key_at("nope") == record.pos


def test_a_file_that_is_not_a_record_is_located() -> None:
    read, problems = read_records("f.yaml", b"\n\n  just text\n")
    assert not problems
    _, found = records_of("events", "f.yaml", read)
    assert [(p.line, p.col, p.code) for p in found] == [(3, 3, "record-not-mapping")]


def test_recurring_short_texts_are_one_object() -> None:
    read, _ = read_records("f.yaml", b"- {id: a-id, type: strike, date: 2022-03-01}\n"
                                     b"- {id: b-id, type: 'strike', date: 2022-03-01}\n")
    first, second = read.value
    for name in ("type", "date"):
        assert first[name] is second[name]
    assert next(iter(first)) is next(iter(second))  # the field names too
    assert sys.intern("a-id") is first["id"]


def test_a_record_position_needs_no_object_per_field() -> None:
    read, _ = read_records("f.yaml", b"id: a\ntags: [x, y]\nname: n\n")
    (record,), _ = records_of("events", "f.yaml", read)
    assert not hasattr(record, "__dict__")
    assert record.item_at("tags", 1) == Pos("f.yaml", 2, 11)
    assert len(record.marks) == 2 + 4 * 3 + 2 * 2
