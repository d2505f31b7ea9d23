"""The SQL of the tables in the SQLite database, with keys, plus Datasette metadata for it."""

from __future__ import annotations

from typing import Any

from site_gen.codebook import foreign_keys, primary_key
from site_gen.dataset_meta import DatasetInfo
from site_gen.schemas import TableSpec
from site_gen.tables import Table

SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "year": "INTEGER"}


def quoted(name: str) -> str:
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
        line = f"  {quoted(name)} {SQL_TYPES.get(field.type, 'TEXT')}"
        if field.required or name in primary:
            line += " NOT NULL"
        if constraints.get("unique") and [name] != primary:
            line += " UNIQUE"
        if field.type == "boolean":
            line += f" CHECK ({quoted(name)} IN (0, 1))"
        lines.append(line)
    if primary:
        lines.append(f"  PRIMARY KEY ({', '.join(map(quoted, primary))})")
    for own, table, their in foreign_keys(spec):
        lines.append(f"  FOREIGN KEY ({', '.join(map(quoted, own))}) "
                     f"REFERENCES {quoted(table)} ({', '.join(map(quoted, their))})")
    return f"CREATE TABLE {quoted(spec.name)} (\n" + ",\n".join(lines) + "\n)"


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
