"""A table as CSV (for spreadsheets and Frictionless) and as JSON (typed values for programs).

CSV: UTF-8 without a byte-order mark, a header row, commas, CRLF line ends (RFC 4180) and
quotes only where needed; text keeps its own line breaks inside quotes. Text cells that a
spreadsheet would run as a formula get a leading apostrophe in the CSV only; numbers,
booleans and dates are never changed, and JSON (like SQLite) keeps the exact text.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from typing import Any

from site_gen.tables import Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINE_END = "\r\n"


class PublishError(Exception):
    """The published data would not match the records: a bug, so the build must stop."""


def neutralise(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would otherwise evaluate as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: _is_number(v) and math.isfinite(v),
    "boolean": lambda v: isinstance(v, bool),
    "year": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


def field_types(table: Table) -> list[tuple[str, str]]:
    """(column, Table Schema type) in column order."""
    types = {f.name: f.type for f in table.spec.fields}
    return [(c, types.get(c, "string")) for c in table.columns]


def typed_rows(table: Table) -> list[list[Any]]:
    """The table's cells in column order, each checked against its declared type."""
    columns = field_types(table)
    rows = []
    for number, row in enumerate(table.rows, start=1):
        cells = []
        for column, kind in columns:
            value = row.get(column)
            if value == "":
                value = None  # the schemas' only missing value
            check = _CHECKS.get(kind)
            if value is not None and check is not None and not check(value):
                raise PublishError(f"{table.name} row {number}, column {column}: "
                                   f"{value!r} is not a {kind}")
            cells.append(value)
        rows.append(cells)
    return rows


def allows(constraints: dict[str, Any]) -> Callable[[str], bool]:
    """A test of a column's enum, pattern and maxLength, read as Frictionless reads them."""
    enum = constraints.get("enum")
    pattern = constraints.get("pattern")
    compiled = re.compile(f"^{pattern}$") if isinstance(pattern, str) else None
    longest = constraints.get("maxLength")

    def check(text: str) -> bool:
        return ((enum is None or text in enum)
                and (compiled is None or compiled.match(text) is not None)
                and (not isinstance(longest, int) or len(text) <= longest))

    return check


def csv_cell(value: Any, kind: str, rules: Callable[[str], bool] | None = None) -> str:
    """The CSV text of one typed value; string cells are neutralised where the rules allow.

    A column whose pattern or enum forbids the apostrophe holds codes, not free text, and the
    published CSV must still validate against its schema, so its cells are left as they are.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and kind == "string":
        safe = neutralise(value)
        if safe != value and rules is not None and not rules(safe):
            return value
        return safe
    return str(value)


def csv_bytes(table: Table, rows: list[list[Any]]) -> bytes:
    """RFC 4180 CSV with a header row, encoded as UTF-8."""
    kinds = [kind for _, kind in field_types(table)]
    raw = {f.get("name"): f.get("constraints") or {} for f in table.spec.schema.get("fields", [])}
    rules = [allows(raw.get(column, {})) for column in table.columns]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.columns)
    writer.writerows([csv_cell(v, k, r) for v, k, r in zip(row, kinds, rules, strict=True)]
                     for row in rows)
    return out.getvalue().encode("utf-8")


def csv_row_count(data: bytes) -> int:
    """Data rows in a CSV as a reader sees them, to prove that nothing was split or merged."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    return sum(1 for _ in reader) - 1


def json_bytes(table: Table, rows: list[list[Any]]) -> bytes:
    """A list of row objects, one per line, keys in column order, null for empty cells."""
    lines = [json.dumps(dict(zip(table.columns, row, strict=True)), ensure_ascii=False,
                        separators=(",", ":"), allow_nan=False) for row in rows]
    if not lines:
        return b"[]\n"
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")
