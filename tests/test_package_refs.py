"""Frictionless skips only the foreign keys the check stage proves, and nothing is lost."""

from __future__ import annotations

import copy
from pathlib import Path

from conftest import make_project

from site_gen.package import validate_tables
from site_gen.package_refs import unproven_schema
from site_gen.schemas import TableSpec
from site_gen.validate import gather


def _event(head: str, places: str) -> str:
    return (f"{head}date: 2022-03-02\ntitle: An event\ntype: strike\nstatus: reported\n"
            f"places: {places}\nsources: [wire-report]\n")


BROKEN = {
    # A dangling list item, a dangling field, an id that is not text, an event without an id
    # whose list rows then have no key, and a reference written as a number.
    "content/events/odesa.yaml": _event("id: odesa\n", "[kyiv, odesa]"),
    "content/events/no-id.yaml": _event("", "[kyiv]"),
    "content/events/number-id.yaml": _event("id: 12\n", "[kyiv, 7]"),
    "content/quotes/q.yaml": "id: q\ntext: Hi.\nkind: direct\nspeaker: nobody\n"
                             "said_on: 2022-03-02\nsource: wire-report\nevent: 5\n",
}


def test_the_default_tables_leave_frictionless_no_key_to_look_up(tmp_path: Path) -> None:
    gathered = gather(make_project(tmp_path))
    assert gathered.ok and gathered.catalog is not None
    keyed = [s for s in gathered.catalog.tables.values() if s.schema.get("foreignKeys")]
    assert {s.name for s in keyed} >= {"figures", "quotes", "event_places", "event_sources"}
    for spec in keyed:
        assert "foreignKeys" not in unproven_schema(spec, gathered.catalog), spec.name


def _with_keys(spec: TableSpec, keys: list[dict[str, object]]) -> TableSpec:
    schema = copy.deepcopy(spec.schema)
    schema["foreignKeys"] = [*schema["foreignKeys"], *keys]
    return TableSpec(spec.name, spec.title, spec.description, spec.path, schema, spec.fields,
                     spec.link)


def test_keys_the_checks_do_not_prove_are_kept(tmp_path: Path) -> None:
    gathered = gather(make_project(tmp_path))
    assert gathered.catalog is not None
    extra = [
        {"fields": ["title"], "reference": {"resource": "events", "fields": ["id"]}},  # no ref
        {"fields": ["place"], "reference": {"resource": "places", "fields": ["name"]}},
        {"fields": ["place", "event"],
         "reference": {"resource": "places", "fields": ["id", "name"]}},
        {"fields": ["value_text"], "reference": {"resource": "elsewhere", "fields": ["id"]}},
    ]
    spec = _with_keys(gathered.catalog.tables["figures"], extra)
    assert unproven_schema(spec, gathered.catalog)["foreignKeys"] == extra


def test_a_broken_reference_is_reported_where_every_key_would_report_it(
        tmp_path: Path) -> None:
    gathered = gather(make_project(tmp_path, BROKEN))
    codes = {p.code for p in gathered.problems}
    assert {"reference-missing", "id-missing", "id-pattern"} <= codes
    spots = {(p.path, p.line, p.col) for p in gathered.problems}
    every_key = validate_tables(gathered.tables)  # Frictionless looks up every foreign key
    assert any(p.code == "schema-reference-missing" for p in every_key)
    assert {(p.path, p.line, p.col) for p in every_key} <= spots
