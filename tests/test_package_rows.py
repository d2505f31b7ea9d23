"""The package stage still proves keys and references when tables share their rows."""

from __future__ import annotations

import copy
from pathlib import Path

from conftest import make_project

from site_gen.package import Rows, validate_tables
from site_gen.package_seen import row_keys
from site_gen.validate import GatherCache, gather


def test_rows_are_shared_by_copies() -> None:
    rows = Rows([["id"], ["a"]])
    assert copy.deepcopy(rows) is rows
    assert copy.deepcopy({"data": rows})["data"] is rows


def test_references_and_keys_are_still_validated(tmp_path: Path) -> None:
    gathered = gather(make_project(tmp_path))
    assert gathered.ok
    tables = gathered.tables
    tables["event_places"].rows[0]["place_id"] = "nowhere"
    tables["places"].rows.append(dict(tables["places"].rows[0]))
    tables["places"].origins.append(tables["places"].origins[0])
    problems = validate_tables(tables)
    assert {p.code for p in problems} == {"schema-id-duplicate", "schema-reference-missing"}
    missing = next(p for p in problems if p.code == "schema-reference-missing")
    assert "nowhere" in missing.message
    assert (missing.path, missing.line) == ("content/events/kyiv-strike.yaml", 6)
    assert tables["event_places"].rows[0]["place_id"] == "nowhere"  # rows left as they were


def test_rows_are_known_by_a_digest_of_their_cells(tmp_path: Path) -> None:
    gathered = gather(make_project(tmp_path))
    places = gathered.tables["places"]
    row = places.rows[0]
    (key,) = row_keys(places, [row])
    assert isinstance(key, bytes) and len(key) == 16
    # Equal cells give the same key whichever objects hold them; 1, 1.0 and True differ.
    copied = {name: "".join(value) if isinstance(value, str) else value
              for name, value in row.items()}
    assert row_keys(places, [copied]) == [key]
    numbers = [{**row, "lat": value} for value in (1, 1.0, True)]
    assert len(set(row_keys(places, numbers))) == 3


def test_a_state_that_knows_rows_by_their_cells_is_not_used(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    cache = GatherCache()
    assert gather(project, cache, long_lived=False).ok
    assert all(isinstance(key, bytes) for known in cache.rows.values() for key in known)
    old = GatherCache(rows={name: {("a", 1)} for name in cache.rows}, checks=cache.checks)
    assert gather(project, old, long_lived=False).ok
    assert old.rows == cache.rows
