"""The data stage again after an edit: only changed tables and zip members are made anew,
and the bytes are those a build from nothing gives."""

from __future__ import annotations

import csv
import io
import math
import os
import sqlite3
import subprocess
import sys
import tracemalloc
import zipfile
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_data import CHARTS, EPOCH, make_project

from site_gen import dataset, dataset_archive
from site_gen.dataset import DataCache, PublishError, publish_data, stage_data
from site_gen.dataset_archive import archive_bytes, zipfile_bytes
from site_gen.dataset_cache import table_key
from site_gen.dataset_csv import LINE_END, allows, csv_bytes, csv_cell, field_types, typed_rows
from site_gen.dataset_database import Database, sqlite_bytes
from site_gen.dataset_deflate import PIECE, Deflater, Member, deflate
from site_gen.tables import Table
from site_gen.theme import make_env
from site_gen.validate import GatherCache, Gathered, gather
from site_gen.write import Staging

WHEN = datetime(2022, 3, 3, 12, 30, 59)
FILES = {"b.csv": b"id,name\r\n1,x\r\n" * 50, "a.json": b"[]\n", "empty.txt": b"",
         "Zürich.md": "Grüße\n".encode()}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return make_project(tmp_path)


def _gathered(project: Path) -> Gathered:
    gathered = gather(project)
    assert gathered.ok, gathered.problems
    return gathered


def _members(files: dict[str, bytes], previous: dict[str, Member],
             limit: int = 0) -> tuple[dict[str, Member], dict[str, Member]]:
    """Members by name and by content key, each file added under its content key."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        deflater = Deflater(pool, previous, {}, limit)
        for name, data in files.items():
            deflater.add(name, data, dataset_archive.content_key(data))
        members, kept, _ = deflater.members()
        return members, kept


def test_archive_has_the_bytes_zipfile_writes_and_reads_back() -> None:
    members, _ = _members(FILES, {})
    data = archive_bytes("facts", members, WHEN)
    assert data == zipfile_bytes("facts", FILES, WHEN)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == [f"facts/{name}" for name in sorted(FILES)]
    for name, content in FILES.items():
        assert archive.read(f"facts/{name}") == content
        info = archive.getinfo(f"facts/{name}")
        assert info.date_time == (2022, 3, 3, 12, 30, 58)
        assert info.external_attr >> 16 == 0o100644
    assert archive_bytes("facts", {}, WHEN) == zipfile_bytes("facts", {}, WHEN)


def test_unchanged_members_are_taken_from_the_last_build() -> None:
    _, kept = _members(FILES, {})
    changed = {**FILES, "b.csv": FILES["b.csv"] + b"2,y\r\n"}
    members, again = _members(changed, kept)
    first, _ = _members(FILES, {})
    for name in ("a.json", "empty.txt", "Zürich.md"):
        assert any(members[name] is member for member in kept.values())
    assert all(members["b.csv"] is not member for member in kept.values())
    assert members["b.csv"] == deflate(changed["b.csv"])
    assert len(again) == len(set(changed.values()))  # only what this build used is kept
    assert archive_bytes("facts", members, WHEN) == zipfile_bytes("facts", changed, WHEN)
    assert first["b.csv"] != members["b.csv"]


def test_an_edit_remakes_only_its_tables_and_gives_the_bytes_of_a_fresh_build(
        project: Path) -> None:
    env = make_env(project)
    cache = DataCache()
    publish_data(_gathered(project), CHARTS, env, cache)
    before = dict(cache.tables)
    events = project / "content" / "events" / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("title: Claim",
                                                                 "title: Edited claim"),
                      encoding="utf-8")
    gathered = _gathered(project)
    again = publish_data(gathered, CHARTS, env, cache)
    assert again == publish_data(_gathered(project), CHARTS, env)
    assert b"Edited claim" in again["data/events.csv"]
    remade = {name for name, output in cache.tables.items() if output is not before[name]}
    assert remade == {"events"}
    assert set(cache.tables) == set(gathered.tables)


def test_a_cached_table_is_still_counted_against_the_records(project: Path) -> None:
    env = make_env(project)
    cache = DataCache()
    publish_data(_gathered(project), CHARTS, env, cache)
    gathered = _gathered(project)
    record = gathered.records.of("events")[0]
    record.fields["places"] = [*record.fields.get("places", []), "extra"]
    assert cache.tables["event_places"].key == table_key(gathered.tables["event_places"])
    with pytest.raises(PublishError, match="event_places has 2 rows"):
        publish_data(gathered, CHARTS, env, cache)


def _table(project: Path, name: str) -> Table:
    return _gathered(project).tables[name]


def test_table_key_follows_values_and_their_types_not_object_identity(project: Path) -> None:
    table = _table(project, "figures")
    key = table_key(table)
    table.rows = [{k: (v + "" if isinstance(v, str) else v) for k, v in row.items()}
                  for row in table.rows]
    assert table_key(table) == key
    for changed in (1.0, True, "1"):
        value = table.rows[0]["value"]
        table.rows[0]["value"] = changed
        assert table_key(table) != key
        table.rows[0]["value"] = value
    table.rows[0] = {k: table.rows[0][k] for k in reversed(table.rows[0])}
    assert table_key(table) != key  # key order is column order in the JSON


def test_type_errors_name_the_first_bad_cell_row_by_row(project: Path) -> None:
    table = _table(project, "figures")
    table.rows[1]["value"] = "many"
    table.rows[1]["projection"] = 1
    table.rows[0]["as_of_precision"] = 5
    with pytest.raises(PublishError, match=r"figures row 1, column as_of_precision: 5 is not"):
        typed_rows(table)
    table.rows[0]["as_of_precision"] = "day"
    with pytest.raises(PublishError, match=r"figures row 2, column value: 'many' is not"):
        typed_rows(table)
    table.rows[1]["value"] = math.nan
    with pytest.raises(PublishError, match=r"figures row 2, column value: nan is not"):
        typed_rows(table)
    table.rows[1]["value"] = 2.5
    with pytest.raises(PublishError, match=r"row 2, column projection: 1 is not a boolean"):
        typed_rows(table)
    table.rows[1]["projection"] = ""
    rows = typed_rows(table)
    assert rows[1][table.columns.index("projection")] is None
    assert rows[1][table.columns.index("value")] == 2.5
    assert [len(row) for row in rows] == [len(table.columns)] * 2


def _csv_cell_by_cell(table: Table, rows: list[tuple[Any, ...]]) -> bytes:
    kinds = [kind for _, kind in field_types(table)]
    raw = {f.get("name"): f.get("constraints") or {} for f in table.spec.schema["fields"]}
    rules = [allows(raw.get(column, {})) for column in table.columns]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=LINE_END)
    writer.writerow(table.columns)
    writer.writerows([csv_cell(v, k, r) for v, k, r in zip(row, kinds, rules, strict=True)]
                     for row in rows)
    return out.getvalue().encode("utf-8")


CELLS = st.one_of(st.none(), st.booleans(), st.integers(),
                  st.floats(allow_nan=False, allow_infinity=False),
                  st.text(alphabet=st.sampled_from("=+-@\t\r\n\",' aZ1é"), max_size=6))
COLUMNS = ["id", "text", "kind", "translated", "said_on_start"]  # pattern, free, enum, ...


@pytest.fixture(scope="module")
def quotes(tmp_path_factory: pytest.TempPathFactory) -> Table:
    """The quotes table cut to columns of every kind of rule: pattern, none, enum, boolean
    and date."""
    project = make_project(tmp_path_factory.mktemp("csv"))
    table = Table(_table(project, "quotes").spec, COLUMNS)
    assert [kind for _, kind in field_types(table)] == ["string", "string", "string",
                                                        "boolean", "date"]
    return table


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=5, max_size=5).map(tuple), max_size=6))
def test_csv_is_what_csv_cell_gives_cell_by_cell(quotes: Table,
                                                 cells: list[tuple[Any, ...]]) -> None:
    assert csv_bytes(quotes, cells) == _csv_cell_by_cell(quotes, cells)


def _rows(gathered: Gathered) -> dict[str, list[tuple[Any, ...]]]:
    return {name: typed_rows(table) for name, table in gathered.tables.items()}


def test_the_working_database_refills_only_changed_tables_and_copies_out_fresh_bytes(
        project: Path) -> None:
    gathered = _gathered(project)
    tables, rows = gathered.tables, _rows(gathered)
    keys = {name: table_key(table) for name, table in tables.items()}
    database = Database()
    try:
        first = database.publish(tables, rows, keys)
        assert first == sqlite_bytes(tables, rows)
        assert first[24:28] + first[92:100] == bytes(12)  # no stamps of the writing
        tables["actors"].rows[0]["name"] = "Renamed"
        rows["actors"] = typed_rows(tables["actors"])
        keys["actors"] = table_key(tables["actors"])
        again = database.publish(tables, rows, keys)
        assert again == sqlite_bytes(tables, rows) != first
        assert database.updated == 1  # in place: the other rows and tables are left alone
        copy = sqlite3.connect(":memory:")
        copy.deserialize(again)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT name FROM actors WHERE id = ?",
                            (tables["actors"].rows[0]["id"],)).fetchone() == ("Renamed",)
        # A table whose key is unchanged is trusted and left alone: fewer rows under the
        # same key are caught by the count, and the next build starts from nothing.
        rows["event_tags"] = rows["event_tags"][:-1]
        with pytest.raises(PublishError, match="SQLite table event_tags has 2 rows"):
            database.publish(tables, rows, keys)
        assert database.con is None
        rows["event_tags"] = typed_rows(tables["event_tags"])
        assert database.publish(tables, rows, keys) == again
    finally:
        database.close()


def test_a_schema_change_builds_the_working_database_again(project: Path) -> None:
    gathered = _gathered(project)
    tables, rows = gathered.tables, _rows(gathered)
    keys = {name: table_key(table) for name, table in tables.items()}
    database = Database()
    try:
        database.publish(tables, rows, keys)
        del tables["quote_audience"], rows["quote_audience"], keys["quote_audience"]
        changed = database.publish(tables, rows, keys)
        assert changed == sqlite_bytes(tables, rows)
        copy = sqlite3.connect(":memory:")
        copy.deserialize(changed)
        names = {n for (n,) in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert names == set(tables)
    finally:
        database.close()


def _unstamped(data: bytes) -> bytes:
    return data[:24] + bytes(4) + data[28:92] + bytes(8) + data[100:]


def test_the_copy_through_a_file_has_the_bytes_of_a_copy_in_memory(project: Path) -> None:
    gathered = _gathered(project)
    rows = _rows(gathered)
    database = Database()
    try:
        through_file = database.publish(gathered.tables, rows)
        assert database.con is not None
        name = "file:/site-gen-test?vfs=memdb"
        target = sqlite3.connect(name, uri=True)
        database.con.execute("VACUUM INTO ?", (name,))
        in_memory = _unstamped(target.serialize())
        target.close()
    finally:
        database.close()
    assert through_file == in_memory
    assert through_file[24:28] + through_file[92:100] == bytes(12)  # no stamps of the writing


def test_changed_rows_are_updated_in_place_or_the_table_filled_again(project: Path) -> None:
    gathered = _gathered(project)
    tables, rows = gathered.tables, _rows(gathered)
    keys = {name: table_key(table) for name, table in tables.items()}

    def again(name: str, changed: list[tuple[Any, ...]]) -> bytes:
        rows[name] = changed
        keys[name] = f"{name}-{len(keys)}-{changed}"
        return database.publish(tables, rows, keys)

    database = Database()
    try:
        database.publish(tables, rows, keys)
        events = [*rows["events"]]
        events[1] = (*events[1][:2], "Changed title", *events[1][3:])
        assert again("events", events) == sqlite_bytes(tables, rows)
        assert database.updated == 1
        # Two rows swap their keys: updated one by one they would clash, so the working
        # database is built again from nothing.
        first, second = rows["event_tags"]
        swapped = [(*first[:2], second[2]), (*second[:2], first[2])]
        assert again("event_tags", swapped) == sqlite_bytes(tables, rows)
        assert database.updated == 0
        # A value that a foreign key points to changed: the tables pointing to it are checked
        # although their rows are the same.
        places = [("paris", *row[1:]) if row[0] == "zurich" else row for row in rows["places"]]
        with pytest.raises(PublishError, match=r"foreign keys broken.*event_places"):
            again("places", places)
    finally:
        database.close()


def test_a_table_whose_row_id_is_its_key_is_filled_again(project: Path) -> None:
    gathered = _gathered(project)
    tables, rows = gathered.tables, _rows(gathered)
    tags = tables["event_tags"]
    tables["event_tags"] = Table(replace(tags.spec, schema={**tags.spec.schema,
                                                              "primaryKey": ["position"]}),
                                 tags.columns, tags.rows)
    first, second = rows["event_tags"]
    rows["event_tags"] = [(*first[:2], 5), (*second[:2], 7)]  # row ids 5 and 7
    keys = {name: table_key(table) for name, table in tables.items()}
    database = Database()
    try:
        database.publish(tables, rows, keys)
        rows["event_tags"] = [(*first[:1], "retagged", 5), (*second[:2], 7)]
        keys["event_tags"] = "changed"
        assert database.publish(tables, rows, keys) == sqlite_bytes(tables, rows)
        assert database.updated == 0
    finally:
        database.close()


def test_an_archive_beyond_plain_zip_limits_is_written_by_zipfile(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gathered = _gathered(project)
    env = make_env(project)
    plain = publish_data(gathered, CHARTS, env)
    monkeypatch.setattr(dataset_archive, "LIMIT", 2000)  # members over 1,000 bytes: Zip64
    files = publish_data(gathered, CHARTS, env)
    sized = ("data/test-facts.zip", "data/index.html")  # the page gives the zip's size
    assert {k: v for k, v in files.items() if k not in sized} == {
        k: v for k, v in plain.items() if k not in sized}
    assert files["data/test-facts.zip"] == publish_data(gathered, CHARTS, env)[
        "data/test-facts.zip"]
    # zipfile compresses the database in one piece, so only the contents are the same
    written, mine = (zipfile.ZipFile(io.BytesIO(f["data/test-facts.zip"])) for f in (files, plain))
    assert written.namelist() == mine.namelist()
    assert all(written.read(name) == mine.read(name) for name in mine.namelist())
    members, _ = _members({"a": b"x" * 999}, {}, 1000)
    with pytest.raises(dataset_archive.TooLarge):
        _members({"a": b"x" * 1001}, {}, 1000)
    assert members["a"].size == 999


MANY = 1500  # events enough for tables and a database of several pieces each


@pytest.fixture
def many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test project with MANY more events, each with its own places, actors and tags."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = make_project(tmp_path)
    (project / "content" / "events" / "many.yaml").write_text("".join(
        f"- id: m{i:05d}\n  date: 2022-03-01\n  title: Event number {i}, "
        f"{'with a title of some length ' * (1 + i % 5)}\n  type: strike\n"
        f"  status: reported\n  places: [zurich, london]\n  actors: [kremlin]\n"
        f"  sources: [s1]\n  tags: [a{i % 7}, b{i % 11}]\n" for i in range(MANY)),
        encoding="utf-8")
    return project


def test_an_edit_at_scale_remakes_one_run_one_row_and_a_few_pieces(many: Path) -> None:
    env = make_env(many)
    cache = DataCache()
    kept = GatherCache()  # records and validated rows, as a long-lived build keeps them

    def gathered() -> Gathered:
        result = gather(many, kept)
        assert result.ok, result.problems
        return result

    publish_data(gathered(), CHARTS, env, cache)
    assert len(cache.pieces) > 20
    events = many / "content" / "events" / "many.yaml"
    text = events.read_text(encoding="utf-8")
    events.write_text(text.replace("title: Event number 700,", "title: Event 700, edited,"),
                      encoding="utf-8")
    before, pieces = dict(cache.tables), dict(cache.pieces)
    again = publish_data(gathered(), CHARTS, env, cache)
    assert again == publish_data(gathered(), CHARTS, env)  # a one-off build's bytes
    assert {name for name in before if cache.tables[name] is not before[name]} == {"events"}
    assert cache.tables["events"].encoded == 1 < len(cache.tables["events"].runs)
    assert cache.database.updated == 1
    # the pieces of the events CSV, JSON and of the database around the change, and the
    # descriptor that gives the CSV's hash
    assert len(set(cache.pieces) - set(pieces)) <= 7
    archive = zipfile.ZipFile(io.BytesIO(again["data/test-facts.zip"]))
    assert archive.testzip() is None
    assert archive.read("test-facts/events.csv") == again["data/events.csv"]
    # A record added among the others: the runs around it, its table filled again.
    events.write_text(text + text[text.index("- id: m00700"):text.index("- id: m00701")]
                      .replace("m00700", "m00700a"), encoding="utf-8")
    again = publish_data(gathered(), CHARTS, env, cache)
    assert again == publish_data(gathered(), CHARTS, env)
    assert cache.tables["events"].encoded <= 2
    assert cache.tables["event_tags"].encoded <= 2


class _Inline(Executor):
    """An executor that runs each call at once, in the caller's thread."""

    def __init__(self, max_workers: int = 1) -> None:
        pass

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def _peak(make: Any) -> int:
    """The most memory traced while `make()` runs, above what was held before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        make()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("zip64", [False, True])
def test_a_one_off_build_stages_the_same_files_without_holding_the_large_ones(
        many: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zip64: bool) -> None:
    """Each file goes to the staging folder as it is made; the database is copied into it
    and compressed from there, and the zip written from its pieces."""
    gathered, env = _gathered(many), make_env(many)
    if zip64:  # members over 1,000 bytes: the zip is written by zipfile from the files
        monkeypatch.setattr(dataset_archive, "LIMIT", 2000)
    expected = publish_data(gathered, CHARTS, env)
    database = expected["data/test-facts.sqlite"]
    assert len(database) > 3 * PIECE

    def never(self: Database) -> bytes:
        raise AssertionError("the database was copied into memory")

    monkeypatch.setattr(Database, "copy", never)
    with Staging(tmp_path / "site") as files:
        paths = stage_data(gathered, CHARTS, env, files)
        assert paths == sorted(expected)
        assert {path: files[path] for path in paths} == expected
    if not zip64:  # each piece compressed as it is handed over: no bytes wait for a worker
        monkeypatch.undo()
        monkeypatch.setattr(dataset, "ThreadPoolExecutor", _Inline)
        held = _peak(lambda: publish_data(gathered, CHARTS, env))
        with Staging(tmp_path / "again") as files:
            staged = _peak(lambda: stage_data(gathered, CHARTS, env, files))
        assert staged < held - len(database), (staged, held)  # and the zip joined: less


def test_runs_end_at_the_same_rows_in_every_process() -> None:
    """How much an edit encodes again must not depend on the hash seed of the process."""
    script = ("from site_gen.dataset_cache import run_ends\n"
              "from site_gen.schemas import TableSpec\n"
              "from site_gen.tables import Table\n"
              "rows = [{'id': f'e{n}'} for n in range(2000)] + [{'id': 3.5}, {'id': None}]\n"
              "table = Table(TableSpec('t', 'T', '', 't.csv', {}, []), ['id', 'n'], rows)\n"
              "print(run_ends(table))\n")
    found = {subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                            text=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
             for seed in ("1", "2", "3")}
    assert len(found) == 1 and found.pop().count(",") > 2000 // 256
