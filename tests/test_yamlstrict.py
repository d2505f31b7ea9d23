"""The strict YAML reader: YAML 1.2 core types only, every value located, nothing expanded."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from site_gen.problems import Pos, Problem
from site_gen.yamlstrict import MAX_BYTES, MAX_DEPTH, is_legacy_word, read_yaml


def read(text: str) -> tuple[Any, list[Problem]]:
    doc, problems = read_yaml("f.yaml", text.encode("utf-8"))
    return doc.value, problems


def value_of(scalar: str) -> Any:
    value, problems = read(f"v: {scalar}\n")
    assert problems == [], problems
    return value["v"]


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


@pytest.mark.parametrize("word", ["NO", "no", "yes", "Yes", "on", "off", "y", "n"])
def test_yaml_1_1_booleans_stay_text(word: str) -> None:
    assert value_of(word) == word
    assert is_legacy_word(word)


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("2022-03-02", "2022-03-02"),  # no timestamps
        ("2022-03", "2022-03"),
        ("10:30", "10:30"),  # no sexagesimal numbers
        ("1_000", "1_000"),
        ("'12'", "12"),
        ('"true"', "true"),
        ('"1.10"', "1.10"),
        ("'null'", "null"),
        ('""', ""),
        ("Kyiv", "Kyiv"),
    ],
)
def test_text_stays_text(scalar: str, expected: str) -> None:
    value = value_of(scalar)
    assert isinstance(value, str)
    assert value == expected


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("1.10", 1.1),
        ("2000", 2000),
        ("-3", -3),
        ("+5", 5),
        ("0", 0),
        ("1e3", 1000.0),
        ("0x1F", 31),
        ("0o17", 15),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
    ],
)
def test_core_schema_values(scalar: str, expected: Any) -> None:
    value = value_of(scalar)
    assert value == expected
    assert type(value) is type(expected)


def test_infinity_and_nan() -> None:
    assert value_of(".inf") == math.inf
    assert value_of("-.inf") == -math.inf
    assert math.isnan(value_of(".nan"))


def test_block_scalar_keeps_line_breaks() -> None:
    value, problems = read("text: |\n  First line.\n  Second line.\n")
    assert problems == []
    assert value == {"text": "First line.\nSecond line.\n"}


def test_leading_zero_is_reported_and_kept_as_written() -> None:
    value, problems = read("note: 012345\n")
    assert value == {"note": "012345"}
    assert codes(problems) == ["yaml-leading-zero"]
    assert (problems[0].line, problems[0].col) == (1, 7)
    assert "'012345'" in problems[0].message


def test_positions_of_nested_values_and_keys() -> None:
    text = "id: kyiv\nplaces:\n  - kyiv\n  - name: Lviv\n    aliases: [Lwow, Lemberg]\n"
    doc, problems = read_yaml("content/places/x.yaml", text.encode())
    assert problems == []
    assert doc.values[("id",)] == Pos("content/places/x.yaml", 1, 5)
    assert doc.keys[("places",)] == Pos("content/places/x.yaml", 2, 1)
    assert doc.values[("places", 0)] == Pos("content/places/x.yaml", 3, 5)
    assert doc.keys[("places", 1, "aliases")] == Pos("content/places/x.yaml", 5, 5)
    assert doc.values[("places", 1, "aliases", 1)] == Pos("content/places/x.yaml", 5, 21)


def test_columns_count_characters_not_bytes() -> None:
    doc, _ = read_yaml("f.yaml", "назва: Київ\nx: [a, ü, b]\n".encode())
    assert doc.values[("назва",)].col == 8
    assert doc.values[("x", 2)].col == 11


def test_alias_is_reported_and_not_expanded() -> None:
    value, problems = read("a: &x [1, 2]\nb: *x\n")
    assert value == {"a": [1, 2], "b": None}
    assert codes(problems) == ["yaml-anchor", "yaml-alias"]
    assert [(p.line, p.col) for p in problems] == [(1, 4), (2, 4)]


def test_billion_laughs_finishes_fast_without_expanding() -> None:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    clock = time.perf_counter()
    value, problems = read("\n".join(lines) + "\n")
    assert time.perf_counter() - clock < 1.0
    assert value["l9"] == [None] * 9  # 9**10 strings if expanded
    assert codes(problems).count("yaml-alias") == 81
    assert codes(problems).count("yaml-anchor") == 10


def test_merge_key_is_reported() -> None:
    value, problems = read("base: {a: 1}\nrecord:\n  <<: {a: 1}\n  b: 2\n")
    assert value["record"] == {"b": 2}
    assert codes(problems) == ["yaml-merge-key"]
    assert (problems[0].line, problems[0].col) == (3, 3)


@pytest.mark.parametrize(
    "text",
    ["x: !!python/object/apply:os.system ['true']\n", "x: !custom 5\n", "x: !!str 5\n"],
)
def test_tags_are_reported(text: str) -> None:
    _, problems = read(text)
    assert codes(problems) == ["yaml-tag"]
    assert "tag:yaml.org" not in problems[0].message


def test_python_tag_is_never_constructed() -> None:
    value, _ = read("x: !!python/object/apply:os.system ['exit 3']\n")
    assert value == {"x": ["exit 3"]}


def test_duplicate_key_names_both_lines() -> None:
    value, problems = read("id: a\ntitle: One\nid: b\n")
    assert value == {"id": "a", "title": "One"}
    assert codes(problems) == ["yaml-duplicate-key"]
    assert (problems[0].line, problems[0].col) == (3, 1)
    assert "line 1" in problems[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [("1: a\n", "number"), ("true: a\n", "boolean"), ("~: a\n", "null"), ("[a]: b\n", "")],
)
def test_non_text_keys_are_reported(text: str, message: str) -> None:
    value, problems = read(text)
    assert value == {}
    assert codes(problems) == ["yaml-key"]
    assert message in problems[0].message


def test_several_documents_are_reported_at_the_second() -> None:
    _, problems = read("id: a\n---\nid: b\n")
    assert codes(problems) == ["yaml-multiple-documents"]
    assert problems[0].line == 2


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_file(text: str) -> None:
    _, problems = read(text)
    assert codes(problems) == ["yaml-empty"]


def test_tabs_are_reported_on_every_line() -> None:
    _, problems = read("a:\n\t- x\nb: 1\n\t- y\n")
    assert codes(problems) == ["yaml-tab", "yaml-tab"]
    assert [(p.line, p.col) for p in problems] == [(2, 1), (4, 1)]


def test_deep_nesting_is_cut_off() -> None:
    depth = MAX_DEPTH + 5
    value, problems = read("x: " + "[" * depth + "1" + "]" * depth + "\n")
    assert codes(problems) == ["yaml-too-deep"]
    assert problems[0].col == 4 + MAX_DEPTH
    assert isinstance(value["x"], list)


@pytest.mark.parametrize(
    ("data", "code", "where"),
    [
        (b"\xef\xbb\xbfid: a\n", "yaml-bom", (1, 1)),
        (b"id: a\nname: Lw\xf3w\n", "yaml-encoding", (2, 9)),
        (b"id: a\nname: x\x00y\n", "yaml-nul", (2, 8)),
        ("id: a\nnote: é\x07\n".encode(), "yaml-syntax", (2, 8)),
    ],
)
def test_bad_bytes_are_located(data: bytes, code: str, where: tuple[int, int]) -> None:
    _, problems = read_yaml("f.yaml", data)
    assert codes(problems) == [code]
    assert (problems[0].line, problems[0].col) == where
    assert "\n" not in problems[0].message


def test_oversize_file_is_refused_before_parsing() -> None:
    data = b"note: " + b"x" * MAX_BYTES + b"\n"
    clock = time.perf_counter()
    doc, problems = read_yaml("f.yaml", data)
    assert time.perf_counter() - clock < 0.5
    assert doc.value is None
    assert codes(problems) == ["yaml-too-large"]


def test_unclosed_bracket_points_at_the_bracket() -> None:
    _, problems = read("id: a\nplaces: [kyiv\nsources: [s]\n")
    assert codes(problems) == ["yaml-syntax"]
    assert (problems[0].line, problems[0].col) == (2, 9)
    assert "line 3" in problems[0].message


def test_junk_inside_a_closed_bracket_points_at_the_junk() -> None:
    _, problems = read("places: [kyiv, lviv: x: y]\n")
    assert codes(problems) == ["yaml-syntax"]
    assert (problems[0].line, problems[0].col) == (1, 23)  # the second colon


def test_colon_in_a_plain_value_says_to_quote_it() -> None:
    _, problems = read("title: Odesa: port shelled\n")
    assert (problems[0].line, problems[0].col) == (1, 13)
    assert "in quotes" in problems[0].message


def test_bare_scalar_document_is_a_value_not_a_problem_here() -> None:
    value, problems = read("just some words\n")
    assert value == "just some words"
    assert problems == []  # load.py reports that a record must be a mapping
