"""The codebook: every table and field as readers see it, generated from the table schemas.

Both the data page and the zip's README.md are written from these views, so the two
descriptions of the data can never disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from site_gen.config import SiteConfig
from site_gen.schemas import TableSpec
from site_gen.tables import Table

CSV_RULES = (
    "The CSV files are UTF-8 text without a byte-order mark, with a header row, commas "
    "between cells and CRLF line ends; cells are quoted as RFC 4180 says, only when needed, "
    "and text keeps its own line breaks inside quotes. An empty cell is a missing value. "
    "Booleans are written true or false, derived dates as YYYY-MM-DD.",
    "So that a spreadsheet cannot run a cell as a formula, a text cell that begins with =, +, "
    "-, @, a tab or a carriage return has an apostrophe (') put in front of it, in the CSV "
    "files only, unless the column's pattern or list of allowed values rules the apostrophe "
    "out (such columns hold codes, not free text). Numbers are never changed. The JSON and "
    "SQLite files hold the exact text.",
    "The JSON files hold a list with one object per row, keys in column order: numbers are "
    "numbers, booleans true or false, and a missing value is null. The SQLite database has "
    "the same tables with declared column types, primary keys, foreign keys and an index on "
    "every foreign-key column; booleans are stored as 1 and 0.",
)
_SHOWN = ("required", "unique", "pattern", "minimum", "maximum", "exclusiveMinimum",
          "exclusiveMaximum", "minLength", "maxLength")


@dataclass(frozen=True)
class Constraint:
    """One rule a field's values follow, e.g. "pattern" with the regular expression as code."""

    label: str
    code: str = ""


@dataclass(frozen=True)
class Allowed:
    """An enum value and, for open vocabularies, its label from site.yaml."""

    value: str
    label: str = ""


@dataclass(frozen=True)
class FieldView:
    name: str
    title: str
    type: str
    description: str
    constraints: list[Constraint]
    allowed: list[Allowed]
    reference: tuple[str, str] | None  # (table, column) a foreign key points to
    vocabulary: str | None
    derived: bool
    partial_date: bool


@dataclass(frozen=True)
class Download:
    """One published file: where it is (relative to data/), its format and size."""

    path: str
    format: str
    mediatype: str
    size: int
    description: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def human_size(self) -> str:
        return human_size(self.size)


@dataclass(frozen=True)
class TableView:
    name: str
    title: str
    description: str
    rows: int
    primary_key: list[str]
    fields: list[FieldView]
    link_of: str | None  # "events.places" for the link table of that list field
    files: list[Download] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"table-{self.name}"


def _keys(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def foreign_keys(spec: TableSpec) -> list[tuple[list[str], str, list[str]]]:
    """(columns, referenced table, referenced columns); an empty resource means this table."""
    found = []
    for fk in spec.schema.get("foreignKeys", []):
        reference = fk.get("reference", {})
        found.append((_keys(fk.get("fields")), reference.get("resource") or spec.name,
                      _keys(reference.get("fields"))))
    return found


def primary_key(spec: TableSpec) -> list[str]:
    return _keys(spec.schema.get("primaryKey"))


def human_size(size: int) -> str:
    """Bytes as people read them: 873 bytes, 12.4 kB, 3.1 MB (powers of 1000)."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def _constraints(raw: dict[str, Any]) -> list[Constraint]:
    constraints = raw.get("constraints") or {}
    shown = []
    for key in _SHOWN:
        if key not in constraints or constraints[key] is False:
            continue
        value = constraints[key]
        shown.append(Constraint(key) if value is True else Constraint(key, _text(value)))
    for key in sorted(set(constraints) - set(_SHOWN) - {"enum"}):
        shown.append(Constraint(key, _text(constraints[key])))
    return shown


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _field(raw: dict[str, Any], reference: tuple[str, str] | None,
           config: SiteConfig) -> FieldView:
    vocabulary = raw.get("vocabulary")
    enum = (raw.get("constraints") or {}).get("enum") or []
    allowed = [Allowed(_text(v), config.label(vocabulary, v) if vocabulary else "")
               for v in enum]
    kind = raw.get("type", "string")
    if raw.get("format") not in (None, "default"):
        kind += f" ({raw['format']})"
    return FieldView(
        name=raw["name"],
        title=raw.get("title", raw["name"]),
        type=kind,
        description=raw.get("description", ""),
        constraints=_constraints(raw),
        allowed=allowed,
        reference=reference,
        vocabulary=vocabulary,
        derived=bool(raw.get("derived")),
        partial_date=bool(raw.get("partialDate")),
    )


def table_views(tables: dict[str, Table], config: SiteConfig,
                files: dict[str, list[Download]]) -> list[TableView]:
    """One view per published table, in package order, with its own downloads."""
    views = []
    for table in tables.values():
        spec = table.spec
        references = {own[0]: (their_table, their[0])
                      for own, their_table, their in foreign_keys(spec)
                      if len(own) == 1 and len(their) == 1}
        views.append(TableView(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            rows=len(table.rows),
            primary_key=primary_key(spec),
            fields=[_field(raw, references.get(raw["name"]), config)
                    for raw in spec.schema.get("fields", [])],
            link_of=f"{spec.link.collection}.{spec.link.field}" if spec.link else None,
            files=files.get(spec.name, []),
        ))
    return views
