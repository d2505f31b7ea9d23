"""The tables as one SQLite database with keys and indexes, plus Datasette metadata for it.

Built in memory and serialised after VACUUM with a fixed page size, so that the same
tables give the same bytes. Values are exact: text is not neutralised as in the CSV.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from site_gen.codebook import foreign_keys, primary_key
from site_gen.dataset_csv import PublishError
from site_gen.dataset_meta import DatasetInfo
from site_gen.schemas import TableSpec
from site_gen.tables import Table

PAGE_SIZE = 4096
SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "year": "INTEGER"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _constraints(spec: TableSpec, name: str) -> dict[str, Any]:
    for raw in spec.schema.get("fields", []):
        if raw.get("name") == name:
            return raw.get("constraints") or {}
    return {}


def create_table_sql(spec: TableSpec, columns: list[str]) -> str:
    """CREATE TABLE with declared types, NOT NULL, PRIMARY KEY and FOREIGN KEY clauses."""
    fields = {f.name: f for f in spec.fields}
    primary = primary_key(spec)
    lines = []
    for name in columns:
        field = fields[name]
        constraints = _constraints(spec, name)
        line = f"  {_q(name)} {SQL_TYPES.get(field.type, 'TEXT')}"
        if field.required or name in primary:
            line += " NOT NULL"
        if constraints.get("unique") and [name] != primary:
            line += " UNIQUE"
        if field.type == "boolean":
            line += f" CHECK ({_q(name)} IN (0, 1))"
        lines.append(line)
    if primary:
        lines.append(f"  PRIMARY KEY ({', '.join(map(_q, primary))})")
    for own, table, their in foreign_keys(spec):
        lines.append(f"  FOREIGN KEY ({', '.join(map(_q, own))}) "
                     f"REFERENCES {_q(table)} ({', '.join(map(_q, their))})")
    return f"CREATE TABLE {_q(spec.name)} (\n" + ",\n".join(lines) + "\n)"


def sqlite_bytes(tables: dict[str, Table], rows: dict[str, list[list[Any]]]) -> bytes:
    """One database holding every table; raises PublishError if a key or count is off."""
    con = sqlite3.connect(":memory:")
    try:
        con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        for table in tables.values():
            con.execute(create_table_sql(table.spec, table.columns))
            marks = ", ".join("?" for _ in table.columns)
            con.executemany(f"INSERT INTO {_q(table.name)} VALUES ({marks})", rows[table.name])
            for own, _, _ in foreign_keys(table.spec):
                index = _q(f"idx_{table.name}_{'_'.join(own)}")
                con.execute(f"CREATE INDEX {index} ON {_q(table.name)} "
                            f"({', '.join(map(_q, own))})")
        con.commit()
        broken = con.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise PublishError(f"SQLite foreign keys broken: {broken[:5]}")
        for table in tables.values():
            (count,) = con.execute(f"SELECT count(*) FROM {_q(table.name)}").fetchone()
            if count != len(rows[table.name]):
                raise PublishError(f"SQLite table {table.name} has {count} rows, "
                                   f"expected {len(rows[table.name])}")
        con.execute("VACUUM")
        return con.serialize()
    finally:
        con.close()


def datasette_metadata(info: DatasetInfo, database: str,
                       tables: dict[str, Table]) -> dict[str, Any]:
    """metadata.json for `datasette <db>.sqlite -m metadata.json`: license, source, columns."""
    described: dict[str, Any] = {}
    for table in tables.values():
        spec = table.spec
        entry: dict[str, Any] = {
            "title": spec.title,
            "description": spec.description,
            "columns": {f.name: f.description for f in spec.fields if f.description},
        }
        label = next((c for c in ("name", "title") if c in table.columns), None)
        if label:
            entry["label_column"] = label
        described[spec.name] = entry
    metadata: dict[str, Any] = {
        "title": info.title,
        "description": info.description,
        "license": info.license,
        "license_url": info.license_url,
        "source": info.source_title,
        "source_url": info.base_url,
        "about": "Codebook",
        "about_url": info.data_url,
        "databases": {database: {"tables": described}},
    }
    return {key: value for key, value in metadata.items() if value}
