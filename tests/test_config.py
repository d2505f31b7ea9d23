"""site.yaml: a typed schema whose unknown keys, missing title and bad slugs are located errors."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from site_gen import config
from site_gen.config import KEYS, Dataset, SiteConfig, read_config
from site_gen.problems import Problem


def read(tmp_path: Path, text: str) -> tuple[SiteConfig | None, list[Problem]]:
    (tmp_path / "site.yaml").write_text(text, encoding="utf-8")
    return read_config(tmp_path)


def where(problems: list[Problem]) -> list[tuple[int, int, str]]:
    return [(p.line, p.col, p.code) for p in problems]


FULL = """\
title: Flood watch
description: Floods and evacuations along the river.
base_url: https://example.org/floods
language: pt-BR
license: CC0-1.0
publisher: River Desk
dataset: {name: flood-watch, version: "2.1.0"}
vocabularies:
  event_types: {flood: Flood, evacuation: Evacuation}
  metrics: {displaced: People displaced}
"""


def test_every_setting_is_read(tmp_path: Path) -> None:
    site, problems = read(tmp_path, FULL)
    assert problems == []
    assert site == SiteConfig(
        title="Flood watch",
        description="Floods and evacuations along the river.",
        base_url="https://example.org/floods/",
        language="pt-BR",
        license="CC0-1.0",
        publisher="River Desk",
        dataset=Dataset("flood-watch", "2.1.0"),
        vocabularies={"event_types": {"flood": "Flood", "evacuation": "Evacuation"},
                      "metrics": {"displaced": "People displaced"}},
    )
    assert list(site.vocabularies["event_types"]) == ["flood", "evacuation"]  # file order


def test_defaults_for_a_title_only_site(tmp_path: Path) -> None:
    site, problems = read(tmp_path, "title: Minimal\n")
    assert problems == []
    assert site is not None
    assert (site.language, site.license, site.base_url) == ("en", "CC-BY-4.0", "")
    assert site.dataset == Dataset("fact-base", "1.0.0")
    assert site.vocabularies == {}


def test_label_falls_back_to_the_slug(tmp_path: Path) -> None:
    site, _ = read(tmp_path, FULL)
    assert site is not None
    assert site.label("event_types", "flood") == "Flood"
    assert site.label("event_types", "landslide") == "landslide"
    assert site.label("nothing", "x") == "x"


def test_base_url_from_the_command_line_ends_with_a_slash(tmp_path: Path) -> None:
    site, _ = read(tmp_path, FULL)
    assert site is not None
    assert site.with_base_url("https://a.test/x").base_url == "https://a.test/x/"
    assert site.with_base_url("https://a.test/x/").base_url == "https://a.test/x/"
    assert site.base_url == "https://example.org/floods/", "the original is unchanged"


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    site, problems = read(tmp_path, "title: T\ndescripton: x\ncolour: red\n")
    assert site is None
    assert where(problems) == [(2, 1, "config-unknown-key"), (3, 1, "config-unknown-key")]
    assert "did you mean 'description'?" in problems[0].message
    assert "known keys: title, description" in problems[1].message


def test_unknown_dataset_key(tmp_path: Path) -> None:
    _, problems = read(tmp_path, "title: T\ndataset:\n  name: x\n  licence: MIT\n")
    assert where(problems) == [(4, 3, "config-unknown-key")]
    assert "dataset setting 'licence'" in problems[0].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("description: no title\n", [(1, 1, "config-required")]),
        ("title:\n", [(1, 7, "config-required")]),
        ("title: '  '\n", [(1, 8, "config-required")]),
        ("title: 2022\n", [(1, 8, "config-type")]),
        ("title: T\nbase_url: example.org/x\n", [(2, 11, "config-base-url")]),
        ("title: T\nlanguage: English\n", [(2, 11, "config-language")]),
        ("title: T\ndataset: {name: Flood Watch}\n", [(2, 17, "config-dataset")]),
        ("title: T\ndataset: {version: 1.0}\n", [(2, 20, "config-type")]),
        ("title: T\ndataset: flood-watch\n", [(2, 10, "config-type")]),
        ("title: T\nvocabularies: [flood]\n", [(2, 15, "config-type")]),
        ("title: T\nvocabularies: {metrics: {}}\n", [(2, 25, "config-vocabulary")]),
        ("title: T\nvocabularies:\n  metrics: {Air Raid: x}\n", [(3, 13, "config-vocabulary")]),
        ("title: T\nvocabularies:\n  metrics: {killed: [a]}\n", [(3, 21, "config-vocabulary")]),
        ("- title: T\n", [(1, 1, "config-type")]),
    ],
)
def test_problems_are_located(tmp_path: Path, text: str, expected: list[tuple[int, int, str]]
                              ) -> None:
    site, problems = read(tmp_path, text)
    assert site is None
    assert where(problems) == expected


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    text = "titel: T\nlanguage: English\nvocabularies:\n  metrics: {Bad Slug: x}\n"
    _, problems = read(tmp_path, text)
    assert [p.code for p in problems] == [
        "config-unknown-key", "config-required", "config-language", "config-vocabulary"]


def test_yaml_problems_of_site_yaml_are_reported(tmp_path: Path) -> None:
    site, problems = read(tmp_path, "title: T\nlanguage: en\ntitle: U\n")
    assert site is None
    assert where(problems) == [(3, 1, "yaml-duplicate-key")]


def test_missing_site_yaml(tmp_path: Path) -> None:
    site, problems = read_config(tmp_path)
    assert site is None
    assert [p.code for p in problems] == ["config-missing"]


def test_norway_stays_a_string_in_site_yaml(tmp_path: Path) -> None:
    site, problems = read(tmp_path, "title: NO\npublisher: yes\n")
    assert problems == []
    assert site is not None
    assert (site.title, site.publisher) == ("NO", "yes")


def test_every_setting_has_a_docstring() -> None:
    """The attribute docstrings of SiteConfig are the reference of site.yaml's keys."""
    tree = ast.parse(inspect.getsource(config))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "SiteConfig")
    documented = set()
    for node, after in zip(cls.body, [*cls.body[1:], None], strict=True):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str) and after.value.value.strip()):
            documented.add(node.target.id)
    assert set(KEYS) <= documented
