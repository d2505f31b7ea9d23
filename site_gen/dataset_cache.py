"""What the data stage keeps between builds in one process, so that an edit redoes only the
tables whose rows changed, within them only the runs of rows that changed, and compresses
only the zip pieces whose bytes changed.

Rows are known by identity before they are known by value: the tables stage hands out the
very row objects of the last build for unchanged records, and nothing changes a row once
made, so a run (or a table) of the very rows the last build keyed has the key it had then,
without pickling its rows again. Each output holds the rows it was keyed from, so that no
other object can take their identities while the next build compares.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from site_gen.dataset_archive import content_key
from site_gen.dataset_count import Count
from site_gen.dataset_database import Database
from site_gen.dataset_deflate import Member, Piece, PieceKey
from site_gen.identity import same_items
from site_gen.memo import feed_value
from site_gen.tables import Table

RUN = 32  # a run of rows ends after a row whose first cell's hash is 0 modulo this...
LONGEST_RUN = 256  # ...or after this many rows


@dataclass(frozen=True)
class Run:
    """Where a run of rows is in its table's outputs: typed rows from `first`, `count` of
    them, and the (start, end) of their lines in the CSV and in the JSON."""

    first: int
    count: int
    csv: tuple[int, int]
    json: tuple[int, int]


@dataclass(frozen=True)
class TableOutput:
    """One table's published form, made from the rows and schema its key names."""

    key: str
    rows: list[tuple[Any, ...]]  # typed cells in column order, for the SQLite database
    csv: bytes
    json: bytes
    runs: dict[bytes, Run] = field(default_factory=dict)  # by run_key; none in a one-off build
    encoded: int = 0  # runs this build encoded, rather than took from the last build's output
    # The schema_digest and the rows the key was made from (none in a one-off build). A later
    # build whose rows are equal but other objects puts them here in place of these (`hold`).
    schema: bytes = b""
    source: list[dict[str, Any]] = field(default_factory=list)

    @cached_property
    def csv_hash(self) -> str:
        """content_key of the CSV, as the Data Package descriptor gives it. Worked out when
        first asked for, which the data stage does while the database is copied."""
        return content_key(self.csv)

    @cached_property
    def json_hash(self) -> str:
        return content_key(self.json)

    def same_rows(self, table: Table, schema: bytes) -> bool:
        """Whether the table has the very rows this output was made from, under its schema:
        then it has this output's key."""
        return schema == self.schema and same_items(table.rows, self.source)

    def hold(self, table: Table) -> None:
        """Hold the table's rows, equal to those this output was made from (its key says so),
        for the next build to know by identity."""
        self.source[:] = table.rows


@dataclass
class DataCache:
    """Each table's outputs and the count of its rows by table name, the compressed zip
    members by content key, their compressed pieces by content, the working SQLite
    database, and the last database file with its member.

    Every build replaces all but the database with what it used, so nothing outlives the
    tables it came from."""

    tables: dict[str, TableOutput] = field(default_factory=dict)
    counts: dict[str, Count] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    pieces: dict[PieceKey, Piece] = field(default_factory=dict)
    database: Database = field(default_factory=Database)
    sqlite: tuple[bytes, Member] | None = None


def _feed(digest: Any, value: Any) -> None:
    """Feed the digest the value (memo.feed_value); one that cannot be pickled makes a digest
    that matches nothing."""
    if not feed_value(digest, value):
        digest.update(os.urandom(32))


def schema_digest(table: Table) -> bytes:
    """A digest of what a table's outputs are made from besides its rows: name, columns,
    types and schema."""
    spec = table.spec
    digest = hashlib.sha256()
    _feed(digest, (spec.name, table.columns, [(f.name, f.type) for f in spec.fields],
                   spec.schema))
    return digest.digest()


def joined_key(schema: bytes, count: int, runs: list[bytes]) -> str:
    """A table's key from its schema_digest, its number of rows and the keys of its runs in
    order: each run key stands for the rows of its run, their number included."""
    digest = hashlib.sha256(schema)
    digest.update(count.to_bytes(8, "little"))
    digest.update(b"".join(runs))
    return digest.hexdigest()


def table_key(table: Table, schema: bytes | None = None) -> str:
    """A digest of everything a table's outputs are made from: name, columns, types, schema
    and rows (values with their types, so that 1, 1.0 and True differ)."""
    schema = schema or schema_digest(table)
    return joined_key(schema, len(table.rows), run_keys(table, schema, run_ends(table)))


def run_keys(table: Table, schema: bytes, ends: list[int]) -> list[bytes]:
    """A digest of each run of rows (ending at `ends`) under the table's schema_digest."""
    keys, start = [], 0
    for end in ends:
        keys.append(_run_key(table, schema, start, end))
        start = end
    return keys


def _run_key(table: Table, schema: bytes, start: int, end: int) -> bytes:
    digest = hashlib.sha256(schema)
    _feed(digest, table.rows[start:end])
    return digest.digest()


def _cell_hash(value: Any) -> int:
    """A hash of a cell that every process gives alike (Python's hash of a text is seeded
    per process): the runs, and so how much an edit encodes again, do not vary by run."""
    text = value if isinstance(value, str) else repr(value)
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _ends_run(row: dict[str, Any], first: str | None) -> bool:
    """Whether a run ends after this row, by its first cell."""
    return _cell_hash(row.get(first)) % RUN == 0  # type: ignore[arg-type]


def _run_end(table: Table, first: str | None, start: int) -> int:
    """Where the run of rows that starts at `start` ends (_ends_run, written out: it is
    asked of every row of a table keyed from nothing)."""
    last = min(len(table.rows), start + LONGEST_RUN)
    for number, row in enumerate(table.rows[start:last - 1], start=start + 1):
        if _cell_hash(row.get(first)) % RUN == 0:  # type: ignore[arg-type]
            return number
    return last


def run_ends(table: Table) -> list[int]:
    """Where the runs of a table's rows end, by the rows' first cells: a row added, removed or
    changed moves no other run's rows (but for runs cut at LONGEST_RUN, up to the next run a
    row ends). The runs decide only what is taken from the last build, never what is
    written."""
    first = table.columns[0] if table.columns else None
    ends: list[int] = []
    start = 0
    while start < len(table.rows):
        start = _run_end(table, first, start)
        ends.append(start)
    return ends


def keyed_runs(table: Table, schema: bytes, cached: TableOutput | None
               ) -> tuple[list[int], list[bytes]]:
    """The ends of the table's runs (those of run_ends) and their keys (those of run_keys).

    A run that starts with the first row of a run of `cached` and holds that run's very rows
    takes its key: it ends where that run ended, since the same rows end a run at the same
    place, unless that run ended only because its table did."""
    rows = table.rows
    source = cached.source if cached is not None and cached.schema == schema else []
    starts = {id(source[run.first]): (key, run)
              for key, run in (cached.runs.items() if source else ()) if run.count}
    first = table.columns[0] if table.columns else None
    ends: list[int] = []
    keys: list[bytes] = []
    start, size = 0, len(rows)
    while start < size:
        found = starts.get(id(rows[start]))
        if found is not None:
            key, run = found
            end = start + run.count
            if end <= size and same_items(rows[start:end],
                                          source[run.first:run.first + run.count]) \
                    and (end == size or run.count == LONGEST_RUN
                         or _ends_run(rows[end - 1], first)):
                ends.append(end)
                keys.append(key)
                start = end
                continue
        end = _run_end(table, first, start)
        ends.append(end)
        keys.append(_run_key(table, schema, start, end))
        start = end
    return ends, keys
