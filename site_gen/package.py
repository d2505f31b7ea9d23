"""Package stage: validate all tables as one Frictionless Data Package, in a single pass.

Every error Frictionless reports is mapped back to the YAML file, line and column of the
record and field it came from.
"""

from __future__ import annotations

import logging
from typing import Any

from frictionless import Package, Resource, Schema, errors

from site_gen.problems import Problem
from site_gen.tables import Table

log = logging.getLogger(__name__)

_CODES = {
    "type-error": "type",
    "constraint-error": "constraint",
    "foreign-key": "reference-missing",
    "primary-key": "id-duplicate",
    "unique-error": "id-duplicate",
    "missing-cell": "field-required",
}


def _package(tables: dict[str, Table]) -> Package:
    resources = []
    for table in tables.values():
        data: list[list[Any]] = [table.columns]
        data.extend([row.get(c) for c in table.columns] for row in table.rows)
        resources.append(Resource(name=table.name, data=data,
                                  schema=Schema.from_descriptor(table.spec.schema)))
    return Package(resources=resources)


def _message(error: Any) -> str:
    note = getattr(error, "note", "") or ""
    field = getattr(error, "field_name", None)
    if isinstance(error, errors.ForeignKeyError):
        names = ", ".join(error.field_names)
        cells = ", ".join(str(c) for c in error.field_cells)
        return f"'{names}' refers to '{cells}', which does not exist ({note})"
    if isinstance(error, errors.CellError):
        return f"'{field}' = {error.cell!r}: {note}"
    return f"{error.title}: {note}" if note else error.message


def validate_tables(tables: dict[str, Table]) -> list[Problem]:
    """Validate the whole package once and return its errors located in the YAML."""
    report = _package(tables).validate(limit_errors=10**9)
    problems: list[Problem] = []
    for task in report.tasks:
        table = tables[task.name]
        for error in task.errors:
            row_number = getattr(error, "row_number", None)
            code = f"schema-{_CODES.get(error.type, error.type)}"
            if row_number is None:
                problems.append(Problem("datasets/datapackage.yaml", 1, 1, code,
                                        f"table {task.name}: {error.message}"))
                continue
            column = getattr(error, "field_name", None)
            if isinstance(error, errors.ForeignKeyError):
                column = error.field_names[0] if error.field_names else None
            if isinstance(error, errors.PrimaryKeyError | errors.UniqueError):
                column = "id" if table.spec.link is None else table.spec.link.key
            pos = table.position(row_number - 2, column)
            problems.append(Problem.at(pos, code, _message(error)))
    log.debug("frictionless: %d errors", len(problems))
    return problems
