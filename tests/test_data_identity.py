"""Rows known by identity in the data stage: a table or run of the very rows of the last build
takes the last key and output, the working database's copy is made again only when a table
changed, and nothing taken that way is stale."""

from __future__ import annotations

import operator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_data import EPOCH, make_project
from test_incremental import override_schema, replace_text, tree

from site_gen.build import Builder
from site_gen.dataset_cache import TableOutput, run_ends, table_key
from site_gen.dataset_count import Count, count_rows, expected_rows
from site_gen.dataset_csv import PublishError, typed_rows
from site_gen.dataset_database import Database, sqlite_bytes
from site_gen.dataset_table import publish_table
from site_gen.records import Record, Records
from site_gen.tables import Table
from site_gen.validate import Gathered, gather

Row = dict[str, Any]


@pytest.fixture(scope="module")
def gathered(tmp_path_factory: pytest.TempPathFactory) -> Gathered:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        result = gather(make_project(tmp_path_factory.mktemp("identity")))
    assert result.ok, result.problems
    return result


def _actor(number: int, name: str | None = None) -> Row:
    return {"id": f"a{number:05d}", "name": name or f"Actor {number}", "kind": "person",
            "role": None, "affiliation": None, "country": "UA", "wikidata": None, "note": None}


def _records(gathered: Gathered, count: int) -> Records:
    """Records that give `count` actors rows."""
    return Records({"actors": [gathered.records.of("actors")[0]] * count})


def _publish(gathered: Gathered, rows: list[Row], cached: TableOutput | None = None
             ) -> tuple[Table, TableOutput]:
    """The actors table of these rows, published after `cached`."""
    spec = gathered.tables["actors"].spec
    table = Table(spec, [f.name for f in spec.fields], rows)
    return table, publish_table(_records(gathered, len(rows)), table, cached)


def _assert_fresh(records: Records, table: Table, output: TableOutput) -> None:
    """The output is that of the table encoded whole, as a one-off build does, and keyed as
    from nothing; it holds the table's rows for the next build."""
    fresh = publish_table(records, Table(table.spec, table.columns, list(table.rows)),
                          reuse=False)
    assert (output.csv, output.json, output.csv_hash, output.json_hash) == (
        fresh.csv, fresh.json, fresh.csv_hash, fresh.json_hash)
    assert output.rows == fresh.rows
    assert [tuple(map(type, row)) for row in output.rows] == [
        tuple(map(type, row)) for row in fresh.rows]
    assert output.key == table_key(table)
    assert len(output.source) == len(table.rows)
    assert all(map(operator.is_, output.source, table.rows))


def test_the_very_rows_give_the_last_output_and_equal_copies_are_held(
        gathered: Gathered) -> None:
    rows = [_actor(i) for i in range(300)]
    _, first = _publish(gathered, rows)
    _, again = _publish(gathered, list(rows), first)
    assert again is first
    rows[5] = dict(rows[5])  # equal values, another object
    table, copied = _publish(gathered, list(rows), first)
    assert copied is first and first.source[5] is rows[5]
    _assert_fresh(_records(gathered, len(table.rows)), table, copied)
    rows[5] = {**rows[5], "name": "Renamed"}  # one row changed among shared ones
    table, renamed = _publish(gathered, list(rows), first)
    assert renamed is not first and b"Renamed" in renamed.csv and b"Renamed" in renamed.json
    assert renamed.encoded == 1
    _assert_fresh(_records(gathered, len(table.rows)), table, renamed)
    rows[5] = first.source[5]  # back to the row of before, in a run the last build lacks
    table, back = _publish(gathered, list(rows), renamed)
    assert back.key == first.key and back.csv == first.csv and back.encoded == 1
    _assert_fresh(_records(gathered, len(table.rows)), table, back)


def test_a_number_in_a_new_row_of_another_type_is_not_the_same(gathered: Gathered) -> None:
    table = gathered.tables["figures"]
    cached = publish_table(gathered.records, table)
    number = table.columns.index("value")
    assert type(table.rows[0]["value"]) is int
    rows = [{**table.rows[0], "value": float(table.rows[0]["value"])}, *table.rows[1:]]
    changed = Table(table.spec, table.columns, rows)
    output = publish_table(gathered.records, changed, cached)
    assert output.key != cached.key and type(output.rows[0][number]) is float
    assert output.json != cached.json
    _assert_fresh(gathered.records, changed, output)


def test_the_very_rows_under_another_schema_are_encoded_again(gathered: Gathered) -> None:
    table = gathered.tables["events"]
    cached = publish_table(gathered.records, table)
    assert b"'=HYPERLINK" in cached.csv  # a formula is neutralised in free text...
    fields = [{**field, "constraints": {**field.get("constraints", {}), "pattern": "=.*"}}
              if field["name"] == "title" else field for field in table.spec.schema["fields"]]
    spec = replace(table.spec, schema={**table.spec.schema, "fields": fields})
    coded = Table(spec, table.columns, table.rows)  # the very same rows
    output = publish_table(gathered.records, coded, cached)
    assert output is not cached and output.key != cached.key
    assert b"'=HYPERLINK" not in output.csv  # ...but not in a column its pattern rules
    _assert_fresh(gathered.records, coded, output)


EDIT = st.tuples(st.sampled_from(["copy", "change", "insert", "delete", "move", "append"]),
                 st.integers(0, 10**6), st.integers(1, 300))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(EDIT, max_size=5), min_size=1, max_size=4))
def test_edits_of_shared_rows_give_the_outputs_of_a_fresh_table(
        gathered: Gathered, builds: list[list[tuple[str, int, int]]]) -> None:
    rows = [_actor(i) for i in range(700)]  # runs of every kind: ended by a row or by length
    _, cached = _publish(gathered, rows)
    made = 700
    for edits in builds:
        rows = list(rows)
        for kind, at, size in edits:
            at %= len(rows) + 1
            made += 1
            if kind == "copy" and at < len(rows):
                rows[at] = dict(rows[at])
            elif kind == "change" and at < len(rows):
                rows[at] = {**rows[at], "name": f"Changed {made}"}
            elif kind == "insert":
                rows.insert(at, _actor(made))
            elif kind == "delete":
                del rows[at:at + size]
            elif kind == "move":
                block = rows[at:at + size]
                del rows[at:at + size]
                rows[size % (len(rows) + 1):size % (len(rows) + 1)] = block
            elif kind == "append":
                rows += [_actor(made * 1000 + i) for i in range(size)]
        table, output = _publish(gathered, rows, cached)
        _assert_fresh(_records(gathered, len(table.rows)), table, output)
        assert len(output.runs) <= len(run_ends(table))
        cached = output


def _rows(gathered: Gathered) -> dict[str, list[tuple[Any, ...]]]:
    return {name: typed_rows(table) for name, table in gathered.tables.items()}


def test_the_database_is_copied_again_only_when_a_table_changed(gathered: Gathered) -> None:
    tables, rows = gathered.tables, _rows(gathered)
    keys = {name: table_key(table) for name, table in tables.items()}
    database = Database()
    try:
        first = database.publish(tables, rows, keys)
        assert database.publish(tables, dict(rows), dict(keys)) is first  # nothing changed
        # A row updated in place, then a table filled again: a new copy each time.
        events = list(rows["events"])
        events[0] = (*events[0][:5], "Retitled", *events[0][6:])
        rows["events"], keys["events"] = events, "retitled"
        retitled = database.publish(tables, rows, keys)
        assert retitled == sqlite_bytes(tables, rows) != first
        assert b"Retitled" in retitled
        rows["event_tags"], keys["event_tags"] = rows["event_tags"][:1], "one tag"
        untagged = database.publish(tables, rows, keys)
        assert untagged == sqlite_bytes(tables, rows) != retitled
        assert database.publish(tables, rows, keys) is untagged
        # A failed build forgets the copy with the rest: the next is made from its rows.
        rows["event_tags"] = []
        with pytest.raises(PublishError, match="event_tags has 1 rows"):
            database.publish(tables, rows, keys)
        assert database.copied is None
        keys["event_tags"] = "no tags"
        assert database.publish(tables, rows, keys) == sqlite_bytes(tables, rows)
    finally:
        database.close()


def test_the_copy_can_be_made_on_another_thread(gathered: Gathered) -> None:
    tables, rows = gathered.tables, _rows(gathered)
    database = Database()
    try:
        database.update(tables, rows, {name: table_key(t) for name, t in tables.items()})
        with ThreadPoolExecutor(max_workers=1) as pool:
            copied = pool.submit(database.copy).result()
        assert copied == sqlite_bytes(tables, rows)
    finally:
        database.close()


def _clean(project: Path, out: Path) -> dict[str, bytes]:
    Builder(project, out).build()
    return tree(out)


def test_edits_that_share_rows_give_the_files_of_a_clean_build(golden_project: Path,
                                                               tmp_path: Path) -> None:
    project, out = golden_project, tmp_path / "incremental"
    event = project / "content/events/kyiv-strike.yaml"
    text = event.read_text(encoding="utf-8")
    steps = [
        lambda: replace_text(event, "Missile hits", "A missile hits"),
        lambda: event.write_text(event.read_text(encoding="utf-8") + "# the same values\n",
                                 encoding="utf-8"),
        lambda: event.write_text(text, encoding="utf-8"),  # back to the rows of the start
        lambda: override_schema(project, "events", "Unique identifier of the event",
                                "The unique identifier of the event"),
        lambda: replace_text(event, "tags: [infrastructure]", "tags: [infrastructure, tv]"),
    ]
    builder = Builder(project, out)
    builder.build()
    for number, step in enumerate(steps):
        step()
        builder.build()
        incremental, clean = tree(out), _clean(project, tmp_path / f"clean-{number}")
        assert set(incremental) == set(clean)
        assert [path for path in clean if incremental[path] != clean[path]] == [], number


def test_a_count_after_the_last_counts_only_changed_records_and_stays_exact(
        gathered: Gathered) -> None:
    table = gathered.tables["event_places"]
    events = list(gathered.records.of("events")) * 3  # records enough to count some again

    def counted(members: list[Record], last: Count | None) -> Count:
        records = Records({**gathered.records.by_collection, "events": members})
        result = count_rows(records, table, last)
        assert result.total == expected_rows(records, table)
        return result

    first = counted(events, None)
    assert counted(list(events), first) is first  # the very records: the very count
    more = list(events)
    more[1] = replace(more[1], fields={**more[1].fields, "places": ["a", "b", "c", "d"]})
    grown = counted(more, first)
    assert grown.total != first.total and grown.records[1] is more[1]
    more[0] = replace(more[0], fields=dict(more[0].fields))  # equal, another object
    more[1] = replace(more[1], fields={k: v for k, v in more[1].fields.items() if k != "places"})
    assert counted(more, grown).total == first.total - len(events[1].fields.get("places", []))
    assert counted(more[:-1], grown).total == expected_rows(  # one record fewer
        Records({"events": more[:-1]}), table)
    claimed = gathered.tables["event_claimed_by"]  # another field of the same records
    records = Records({"events": more})
    assert count_rows(records, claimed, grown).total == expected_rows(records, claimed)
