"""What the data stage keeps between builds in one process, so that an edit redoes only the
tables whose rows changed, within them only the runs of rows that changed, and compresses
only the zip pieces whose bytes changed."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from site_gen.dataset_database import Database
from site_gen.dataset_deflate import Member, Piece, PieceKey
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
    csv_hash: str  # content_key of the CSV, as the Data Package descriptor gives it
    json: bytes
    json_hash: str
    runs: dict[bytes, Run] = field(default_factory=dict)  # by run_key; none in a one-off build
    encoded: int = 0  # runs this build encoded, rather than took from the last build's output


@dataclass
class DataCache:
    """Each table's outputs by table name, the compressed zip members by content key, their
    compressed pieces by content and the working SQLite database.

    Every build replaces the first three with what it used, so nothing outlives the tables it
    came from."""

    tables: dict[str, TableOutput] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    pieces: dict[PieceKey, Piece] = field(default_factory=dict)
    database: Database = field(default_factory=Database)


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


def table_key(table: Table, schema: bytes | None = None) -> str:
    """A digest of everything a table's outputs are made from: name, columns, types, schema
    and rows (values with their types, so that 1, 1.0 and True differ)."""
    digest = hashlib.sha256(schema or schema_digest(table))
    digest.update(len(table.rows).to_bytes(8, "little"))
    _feed(digest, table.rows)
    return digest.hexdigest()


def run_keys(table: Table, schema: bytes, ends: list[int]) -> list[bytes]:
    """A digest of each run of rows (ending at `ends`) under the table's schema_digest."""
    keys, start = [], 0
    for end in ends:
        digest = hashlib.sha256(schema)
        _feed(digest, table.rows[start:end])
        keys.append(digest.digest())
        start = end
    return keys


def run_ends(table: Table) -> list[int]:
    """Where the runs of a table's rows end, by the rows' first cells: a row added, removed or
    changed moves no other run's rows. Python's hash is the same throughout one process,
    and the runs decide only what is taken from the last build, never what is written."""
    rows = table.rows
    first = table.columns[0] if table.columns else None
    ends: list[int] = []
    start = 0
    for number, row in enumerate(rows, start=1):
        try:
            picked = hash(row.get(first)) % RUN == 0  # type: ignore[arg-type]
        except TypeError:
            picked = False
        if picked or number - start >= LONGEST_RUN:
            ends.append(number)
            start = number
    if start < len(rows):
        ends.append(len(rows))
    return ends
