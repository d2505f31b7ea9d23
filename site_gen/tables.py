"""Normalise records into the published tables, one row per record and per list item.

Each row remembers the record and field it came from, so that a problem found in a table
can be reported at the YAML file, line and column an editor wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from site_gen.dates import DateError, parse_date
from site_gen.problems import Pos
from site_gen.records import Record, Records
from site_gen.schemas import Catalog, TableSpec

LOW = ("exact", "about", "at_least", "more_than", "range")
HIGH = ("exact", "about", "nearly", "up_to")
BEST = ("exact", "about")


@dataclass
class Table:
    """A published table: its columns, rows in id order, and where each row came from."""

    spec: TableSpec
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    origins: list[tuple[Record, int | None]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    def position(self, row: int, column: str | None) -> Pos:
        """The YAML position of a 0-based row's cell (or of the row's record)."""
        record, index = self.origins[row]
        link = self.spec.link
        if link is not None:
            if column == link.key:
                return record.at("id")
            return record.item_at(link.field, index or 0)
        if column is None:
            return record.pos
        for suffix in ("_start", "_end", "_precision"):
            base = column.removesuffix(suffix)
            if base != column and base in record.fields:
                return record.at(base)
        if column in ("low", "best", "high"):
            return record.at("value")
        return record.at(column) if column in record.fields else record.pos


def _cell(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _bounds(qualifier: Any, value: Any, high: Any) -> tuple[Any, Any, Any]:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None, None, None
    upper = high if qualifier == "range" else value
    return (value if qualifier in LOW else None,
            value if qualifier in BEST else None,
            upper if qualifier in HIGH or qualifier == "range" else None)


def _main_row(spec: TableSpec, record: Record) -> dict[str, Any]:
    row: dict[str, Any] = {}
    fields = record.fields
    for column in spec.fields:
        name = column.name
        if not column.derived:
            row[name] = _cell(fields.get(name))
            if column.partial_date and fields.get(name) is not None:
                try:
                    date = parse_date(fields[name])
                except DateError:
                    continue
                row[name] = date.text
                row[f"{name}_start"] = date.start.isoformat()
                row[f"{name}_end"] = date.end.isoformat()
                row[f"{name}_precision"] = date.precision
        else:
            row.setdefault(name, None)
    if "low" in row and "qualifier" in fields:
        row["low"], row["best"], row["high"] = _bounds(
            fields.get("qualifier"), fields.get("value"), fields.get("value_high"))
    return row


def build_tables(records: Records, catalog: Catalog) -> dict[str, Table]:
    """Every table of the catalog, rows sorted by id (and list position) for stable output."""
    tables: dict[str, Table] = {}
    for spec in catalog.tables.values():
        table = Table(spec, [f.name for f in spec.fields])
        link = spec.link
        if link is None:
            members = sorted(records.of(spec.name), key=lambda r: r.id)
            table.rows = [_main_row(spec, r) for r in members]
            table.origins = [(r, None) for r in members]
        else:
            for record in sorted(records.of(link.collection), key=lambda r: r.id):
                items = record.fields.get(link.field)
                if not isinstance(items, list):
                    continue
                for index, item in enumerate(items):
                    table.rows.append({link.key: record.id, link.value: _cell(item),
                                       "position": index + 1})
                    table.origins.append((record, index))
        tables[spec.name] = table
    return tables
