"""A table as CSV (for spreadsheets and Frictionless) and as JSON (typed values for programs).

CSV: UTF-8 without a byte-order mark, a header row, commas, CRLF line ends (RFC 4180) and
quotes only where needed; text keeps its own line breaks inside quotes. Text cells that a
spreadsheet would run as a formula get a leading apostrophe in the CSV only; numbers,
booleans and dates are never changed, and JSON (like SQLite) keeps the exact text.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from site_gen.json_text import joined
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
_EXACT: dict[str, set[type]] = {  # exact types that pass _CHECKS (numbers: when finite)
    "string": {str}, "date": {str}, "integer": {int}, "number": {int, float},
    "boolean": {bool}, "year": {int},
}


def field_types(table: Table) -> list[tuple[str, str]]:
    """(column, Table Schema type) in column order."""
    types = {f.name: f.type for f in table.spec.fields}
    return [(c, types.get(c, "string")) for c in table.columns]


def _first_bad(table: Table, rows: list[dict[str, Any]], first: int,
               columns: list[tuple[str, str]]) -> None:
    """Raise for the first cell, row by row, whose value is not of its column's type; `rows`
    are the table's rows from number `first` + 1 on."""
    for number, row in enumerate(rows, start=first + 1):
        for column, kind in columns:
            value = row.get(column)
            check = _CHECKS.get(kind)
            if value not in (None, "") and check is not None and not check(value):
                raise PublishError(f"{table.name} row {number}, column {column}: "
                                   f"{value!r} is not a {kind}")


def _column_fits(values: list[Any], kind: str) -> bool:
    """Whether every value is of the column's type, judged by the exact types present."""
    present = set(map(type, values)) - {type(None)}
    allowed = _EXACT.get(kind)
    if allowed is None:
        return True
    if not present <= allowed:
        return False
    return kind != "number" or float not in present or all(
        math.isfinite(v) for v in values if type(v) is float)


def typed_rows(table: Table, rows: list[dict[str, Any]] | None = None,
               first: int = 0) -> list[tuple[Any, ...]]:
    """The cells in column order of the table's rows (or of `rows`, the table's rows from
    index `first` on), each checked against its column's declared type.

    Read column by column: a column whose values all have an accepted exact type needs no
    check of each cell; otherwise the cells are checked one by one to name the first."""
    rows = table.rows if rows is None else rows
    columns = field_types(table)
    cells = []
    for column, kind in columns:
        values = [row.get(column) for row in rows]
        if "" in values:
            values = [None if value == "" else value for value in values]
        if not _column_fits(values, kind):
            _first_bad(table, rows, first, columns)
        cells.append(values)
    if not cells:
        return [() for _ in rows]
    return list(zip(*cells, strict=True))


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


def _csv_column(values: Sequence[Any], kind: str,
                rules: Callable[[str], bool]) -> Sequence[Any]:
    """csv_cell of each value, leaving alone what the csv writer already writes the same way:
    None, integers, floats and text that needs no apostrophe."""
    present = set(map(type, values))
    if bool in present or not present <= {str, int, float, type(None)}:
        return [csv_cell(value, kind, rules) for value in values]
    if kind != "string" or str not in present:
        return values
    return [csv_cell(value, kind, rules)
            if type(value) is str and value.startswith(FORMULA_STARTS) else value
            for value in values]


class CsvFormat:
    """How a table's cells are written: each column's type and the rules its text keeps."""

    def __init__(self, table: Table) -> None:
        self.columns = table.columns
        self.kinds = [kind for _, kind in field_types(table)]
        raw = {f.get("name"): f.get("constraints") or {}
               for f in table.spec.schema.get("fields", [])}
        self.rules = [allows(raw.get(column, {})) for column in table.columns]

    def header(self) -> bytes:
        out, writer = _writer()
        writer.writerow(self.columns)
        return out.getvalue().encode("utf-8")

    def body(self, rows: list[tuple[Any, ...]]) -> bytes:
        """The CSV lines of typed rows, without a header row."""
        out, writer = _writer()
        cells = zip(*rows, strict=True)  # column by column; nothing at all when there are no rows
        columns = [_csv_column(values, kind, rule)
                   for values, kind, rule in zip(cells, self.kinds, self.rules, strict=False)]
        writer.writerows(zip(*columns, strict=True) if columns else ([] for _ in rows))
        return out.getvalue().encode("utf-8")


def _writer() -> tuple[io.StringIO, Any]:
    out = io.StringIO(newline="")
    return out, csv.writer(out, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)


def csv_bytes(table: Table, rows: list[tuple[Any, ...]]) -> bytes:
    """RFC 4180 CSV with a header row, encoded as UTF-8."""
    form = CsvFormat(table)
    return form.header() + form.body(rows)


def csv_row_count(data: bytes) -> int:
    """Data rows in a CSV as a reader sees them, to prove that nothing was split or merged."""
    return csv_records(data) - 1


def csv_records(data: bytes) -> int:
    """Records (lines, but for line breaks inside quotes) in CSV text."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    return sum(1 for _ in reader)


def json_lines(table: Table, rows: list[tuple[Any, ...]]) -> bytes:
    """The row objects of typed rows, one per line, keys in column order, null for empty
    cells, with a comma between lines."""
    columns = table.columns
    return joined(lambda: (dict(zip(columns, row, strict=True)) for row in rows), b",\n")


def json_document(parts: Sequence[bytes | memoryview]) -> bytes:
    """A JSON list from the lines of its rows in parts, each part from json_lines."""
    filled = [part for part in parts if len(part)]
    if not filled:
        return b"[]\n"
    return b"".join([b"[\n", b",\n".join(filled), b"\n]\n"])


def json_bytes(table: Table, rows: list[tuple[Any, ...]]) -> bytes:
    """A list of row objects, one per line, keys in column order, null for empty cells."""
    return json_document([json_lines(table, rows)])
