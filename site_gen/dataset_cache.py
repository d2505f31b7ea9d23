"""What the data stage keeps between builds in one process, so that an edit redoes only the
tables whose rows changed and compresses only the zip members whose bytes changed."""

from __future__ import annotations

import hashlib
import marshal
import pickle
from dataclasses import dataclass, field
from typing import Any

from site_gen.dataset_archive import Member
from site_gen.dataset_database import Database
from site_gen.tables import Table

CHUNK = 4096  # rows serialised at a time for the table's digest


@dataclass(frozen=True)
class TableOutput:
    """One table's published form, made from the rows and schema its key names."""

    key: str
    rows: list[tuple[Any, ...]]  # typed cells in column order, for the SQLite database
    csv: bytes
    csv_hash: str  # content_key of the CSV, as the Data Package descriptor gives it
    json: bytes
    json_hash: str


@dataclass
class DataCache:
    """Each table's outputs by table name, the compressed zip members by content key and the
    working SQLite database.

    Every build replaces the first two with what it used, so nothing outlives the tables it
    came from."""

    tables: dict[str, TableOutput] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    database: Database = field(default_factory=Database)


def _serialised(value: Any) -> bytes:
    """Bytes that depend only on the value: marshal format 2 shares no objects by reference."""
    try:
        return marshal.dumps(value, 2)
    except ValueError:  # a type marshal does not know: pickle still never confuses two values
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def table_key(table: Table) -> str:
    """A digest of everything a table's outputs are made from: name, columns, types, schema
    and rows (values with their types, so that 1, 1.0 and True differ)."""
    spec = table.spec
    digest = hashlib.sha256(_serialised(
        (spec.name, table.columns, [(f.name, f.type) for f in spec.fields], spec.schema,
         len(table.rows))))
    for start in range(0, len(table.rows), CHUNK):
        digest.update(_serialised(table.rows[start:start + CHUNK]))
    return digest.hexdigest()
