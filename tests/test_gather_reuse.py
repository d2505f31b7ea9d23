"""A long-lived gather redoes only what an edit touched, and gives what a fresh gather gives.

Each test counts what was made again (rows, files read, ids checked, rows validated) and
compares the tables and problems with those of a gather without a cache.
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from site_gen import check, load, load_walk, package
from site_gen.records import Record
from site_gen.validate import GatherCache, Gathered, gather

GOLDEN = Path(__file__).parent / "golden" / "site"
PAST = 1_600_000_000


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The golden project with old file times, so that its folders and files may be trusted
    at once (they could not change again unseen within the same tick of the clock)."""
    target = tmp_path / "project"
    shutil.copytree(GOLDEN, target)
    for path in (target / "content").rglob("*.yaml"):
        os.utime(path, (PAST, PAST))
    monkeypatch.setattr(load_walk, "RACY_NS", 0)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    time.sleep(0.02)  # a new tick of the file clock, as between two saves in an editor
    path.write_text(text.replace(old, new), encoding="utf-8")


def _origin(origin: tuple[Record, int | None]) -> tuple[Any, ...]:
    record, index = origin
    return record.pos, record.version, record.fields, index


def assert_as_fresh(gathered: Gathered, project: Path) -> None:
    fresh = gather(project)
    assert [p.text() for p in gathered.problems] == [p.text() for p in fresh.problems]
    assert list(gathered.tables) == list(fresh.tables)
    for name, table in fresh.tables.items():
        mine = gathered.tables[name]
        assert mine.rows == table.rows, name
        assert [_origin(o) for o in mine.origins] == [_origin(o) for o in table.origins], name
    assert gathered.records.files == fresh.records.files
    assert gathered.records.newest == fresh.records.newest


def warm(project: Path) -> GatherCache:
    cache = GatherCache()
    for _ in range(2):
        assert gather(project, cache).ok
    return cache


def test_an_edit_remakes_only_the_rows_of_the_edited_record(project: Path) -> None:
    cache = warm(project)
    assert cache.tables.made == 0
    edit(project / "content/events/kyiv-strike.yaml", "title: Missile hits",
         "title: A missile hits")
    gathered = gather(project, cache)
    assert cache.tables.made == 1
    assert gathered.tables["events"].rows[2]["title"] == "A missile hits Kyiv TV tower"
    assert_as_fresh(gathered, project)


def _rename_event(p: Path) -> None:
    (p / "content/events/talks.yaml").rename(p / "content/events/a-talks.yaml")


def _new_event(p: Path) -> None:
    time.sleep(0.02)
    (p / "content/events/nested").mkdir()
    (p / "content/events/nested/rally.yaml").write_text(
        "id: rally\ndate: 2022-03-02\ntitle: Rally\ntype: diplomacy\nstatus: reported\n"
        "places: [kyiv]\nsources: [wire-report]\n", encoding="utf-8")


EDITS: list[Callable[[Path], None]] = [
    lambda p: edit(p / "content/events/kyiv-strike.yaml", "tags: [infrastructure]",
                   "tags: [infrastructure, tv, media]"),
    lambda p: edit(p / "content/events/kyiv-strike.yaml", "places: [kyiv]\n", ""),
    lambda p: edit(p / "content/figures/figures.yaml", "value: 2000", "value: 2100"),
    lambda p: edit(p / "content/events/first-week.yaml", "id: first-week", "id: week-one"),
    lambda p: edit(p / "content/places/places.yaml", "aliases: [Kiev]", "aliases: [Kiev, K]"),
    _rename_event,
    _new_event,
    lambda p: edit(p / "content/events/nested/rally.yaml", "title: Rally", "title: March"),
    lambda p: (p / "content/events/nested/rally.yaml").unlink(),
    lambda p: (p / "content/sources/ministry-statement.yaml").unlink(),
]


def test_every_edit_gives_the_tables_and_problems_of_a_fresh_gather(project: Path) -> None:
    cache = warm(project)
    for step, change in enumerate(EDITS):
        change(project)
        gathered = gather(project, cache)
        assert_as_fresh(gathered, project)
        assert gathered.ok or step == len(EDITS) - 1


def test_an_edit_validates_only_the_rows_it_made(project: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cache = warm(project)
    validated: list[dict[str, int]] = []
    validate = package._validate

    def counting(tables: dict[str, Any], schemas: dict[str, Any]) -> Any:
        validated.append({name: len(table.rows) for name, table in tables.items()})
        return validate(tables, schemas)

    monkeypatch.setattr(package, "_validate", counting)
    edit(project / "content/events/kyiv-strike.yaml", "title: Missile hits",
         "title: A missile hits")
    gather(project, cache)
    assert validated == [{"events": 1}]
    edit(project / "content/places/places.yaml", "lat: 50.45", "lat: 95.5")
    gathered = gather(project, cache)
    assert validated[-1] == {"places": 1}
    assert [p.code for p in gathered.problems] == ["schema-constraint"]
    assert_as_fresh(gathered, project)
    edit(project / "content/places/places.yaml", "lat: 95.5", "lat: 50.45")
    assert gather(project, cache).ok


def test_a_stricter_schema_checks_every_row_again(project: Path) -> None:
    cache = warm(project)
    assert gather(project, cache).ok  # the catalog is now reused as it is
    default = Path(package.__file__).parent / "defaults/datasets/schemas/places.yaml"
    text = default.read_text(encoding="utf-8")
    rule = "      maximum: 90\n"
    assert rule in text
    (project / "datasets/schemas").mkdir(parents=True, exist_ok=True)
    (project / "datasets/schemas/places.yaml").write_text(
        text.replace(rule, "      maximum: 50\n"), encoding="utf-8")
    gathered = gather(project, cache)
    assert [p.code for p in gathered.problems] == ["schema-constraint"]
    assert_as_fresh(gathered, project)


def files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files that gather reads (parses) from now on, as they are read."""
    read: list[str] = []
    read_file = load.read_file

    def counting(collection: str, rel: str, data: bytes) -> load.FileEntry:
        read.append(rel)
        return read_file(collection, rel, data)

    monkeypatch.setattr(load, "read_file", counting)
    return read


def test_unchanged_files_are_not_read_again(project: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cache = warm(project)
    read = files_read(monkeypatch)
    gather(project, cache)
    assert read == []
    edited = project / "content/actors/actors.yaml"
    edit(edited, "name: Wire Agency", "name: Wire Agency International")
    os.utime(edited, (PAST + 10, PAST + 10))
    gathered = gather(project, cache)
    assert read == ["content/actors/actors.yaml"]
    assert_as_fresh(gathered, project)


def test_a_file_read_just_after_it_was_written_is_read_again(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "RACY_NS", 2_000_000_000)
    cache = warm(project)
    edit(project / "content/events/talks.yaml", "title: Talks", "title: Peace talks")
    gather(project, cache)  # read within the same two seconds as it was written
    read = files_read(monkeypatch)
    gather(project, cache)
    assert read == ["content/events/talks.yaml"]


def test_check_looks_again_only_at_the_edited_collection(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = warm(project)
    checked: list[str] = []
    check_id = check._Checker.check_id

    def counting(self: Any, record: Record) -> None:
        checked.append(record.collection)
        check_id(self, record)

    monkeypatch.setattr(check._Checker, "check_id", counting)
    gather(project, cache)
    assert checked == []
    edit(project / "content/events/talks.yaml", "title: Talks", "title: Peace talks")
    gathered = gather(project, cache)
    assert set(checked) == {"events"}
    assert_as_fresh(gathered, project)
    # An unchanged event refers to a place that an edit removes.
    edit(project / "content/places/places.yaml", "- id: kharkiv", "- id: kharkov")
    gathered = gather(project, cache)
    assert any(p.code == "reference-missing" for p in gathered.problems)
    assert_as_fresh(gathered, project)


def test_a_one_off_gather_keeps_only_what_is_saved(project: Path) -> None:
    cache = GatherCache()
    assert gather(project, cache, long_lived=False).ok
    assert cache.rows and cache.checks.records
    assert not cache.files and cache.load.last is None and cache.catalog.catalog is None
    assert not cache.tables.groups and not cache.passed.tables and not cache.checks.seen


def test_the_saved_state_holds_no_records_or_identities(project: Path) -> None:
    cache = warm(project)
    assert cache.checks.seen and cache.passed.tables
    checks = pickle.loads(pickle.dumps(cache.checks))
    assert checks.seen == {} and checks.records == cache.checks.records
    assert b"site_gen.records" not in pickle.dumps(cache.checks)
    assert pickle.loads(pickle.dumps(cache.passed)).tables == {}
    # A gather from the saved parts alone gives the same as a fresh one.
    saved = GatherCache(rows=cache.rows, checks=checks)
    assert_as_fresh(gather(project, saved), project)
