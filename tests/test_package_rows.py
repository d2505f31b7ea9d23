"""The package stage still proves keys and references when tables share their rows."""

from __future__ import annotations

import copy
from pathlib import Path

from conftest import make_project

from site_gen.package import Rows, validate_tables
from site_gen.validate import gather


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
