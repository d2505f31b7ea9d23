"""One table's published form: typed rows, CSV and JSON, checked against the records.

In a long-lived build the rows are encoded in runs (dataset_cache.run_ends), and a run whose
rows and schema are those of a run of the last build is taken from that build's output: an
edit encodes only the runs it touched. The CSV and the JSON are the runs' lines joined, the
very bytes of encoding the whole table at once, since each row is written on its own. A
table of the very rows of the last build is that build's output, found without a digest.
"""

from __future__ import annotations

from typing import Any

from site_gen.dataset_cache import Run, TableOutput, joined_key, keyed_runs, schema_digest
from site_gen.dataset_count import expected_rows
from site_gen.dataset_csv import (
    CsvFormat,
    PublishError,
    csv_records,
    json_document,
    json_lines,
    typed_rows,
)
from site_gen.records import Records
from site_gen.tables import Table


def _count(table: Table, rows: list[tuple[Any, ...]], expected: int) -> None:
    if len(rows) != expected:
        raise PublishError(f"table {table.name} has {len(rows)} rows, "
                           f"but the records give {expected}")


class _Outputs:
    """The runs of a table's outputs as they are joined, with where each one lands."""

    def __init__(self, header: bytes) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.csv: list[bytes | memoryview] = [header]
        self.json: list[bytes | memoryview] = []
        self.csv_at = len(header)
        self.json_at = 2  # after "[\n"

    def add(self, rows: list[tuple[Any, ...]], csv: bytes | memoryview,
            json: bytes | memoryview) -> Run:
        run = Run(len(self.rows), len(rows), (self.csv_at, self.csv_at + len(csv)),
                  (self.json_at, self.json_at + len(json)))
        self.rows += rows
        self.csv.append(csv)
        self.json.append(json)
        self.csv_at += len(csv)
        self.json_at += len(json) + 2  # ",\n" between runs
        return run


def _encode(table: Table, form: CsvFormat, start: int, end: int) -> tuple[
        list[tuple[Any, ...]], bytes, bytes]:
    rows = typed_rows(table, table.rows[start:end], start)
    csv = form.body(rows)
    if (read_back := csv_records(csv)) != len(rows):
        raise PublishError(f"{table.name}.csv rows {start + 1} to {end} read back as "
                           f"{read_back} rows")
    return rows, csv, json_lines(table, rows)


def publish_table(records: Records, table: Table, cached: TableOutput | None = None,
                  reuse: bool = True, expected: int | None = None) -> TableOutput:
    """One table's typed rows, CSV and JSON, after proving that no row was lost or split:
    that the table has the rows the records make (`expected`, when already counted).

    With `reuse`, taken from `cached` when that was made from the same rows and schema, and
    otherwise made of `cached`'s runs wherever the rows of a run are the same. Without it
    (a one-off build) the table is encoded whole and nothing is kept for another build."""
    if expected is None:
        expected = expected_rows(records, table)
    if not reuse:
        form = CsvFormat(table)
        outputs = _Outputs(form.header())
        outputs.add(*_encode(table, form, 0, len(table.rows)))
        _count(table, outputs.rows, expected)
        csv, json = b"".join(outputs.csv), json_document(outputs.json)
        return TableOutput("", outputs.rows, csv, json)
    schema = schema_digest(table)
    if cached is not None and cached.same_rows(table, schema):
        _count(table, cached.rows, expected)
        return cached
    ends, keys = keyed_runs(table, schema, cached)
    key = joined_key(schema, len(table.rows), keys)
    if cached is not None and cached.key == key:
        _count(table, cached.rows, expected)
        cached.hold(table)
        return cached
    form = CsvFormat(table)
    outputs = _Outputs(form.header())
    old = cached.runs if cached is not None else {}
    runs: dict[bytes, Run] = {}
    start = encoded = 0
    for end, run in zip(ends, keys, strict=True):
        kept = old.get(run)
        if kept is not None and cached is not None:
            first, count = kept.first, kept.count
            runs[run] = outputs.add(cached.rows[first:first + count],
                                    memoryview(cached.csv)[kept.csv[0]:kept.csv[1]],
                                    memoryview(cached.json)[kept.json[0]:kept.json[1]])
        else:
            runs[run] = outputs.add(*_encode(table, form, start, end))
            encoded += 1
        start = end
    _count(table, outputs.rows, expected)
    csv = b"".join(outputs.csv)
    json = json_document(outputs.json)
    return TableOutput(key, outputs.rows, csv, json, runs, encoded, schema, list(table.rows))
