"""Package stage: validate all tables as one Frictionless Data Package, in a single pass.

Every error Frictionless reports is mapped back to the YAML file, line and column of the
record and field it came from. Once rows have passed, later builds validate only the rows
they have not seen (package_seen.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from frictionless import Package, Resource, Schema, errors

from site_gen.fork import Beside, can_fork
from site_gen.package_refs import unproven_schema
from site_gen.package_seen import (
    Passed,
    RowKeys,
    remember,
    row_keys,
    schema_key,
    schemas_of,
    unseen,
)
from site_gen.problems import Problem
from site_gen.schemas import Catalog
from site_gen.tables import Table

log = logging.getLogger(__name__)

BESIDE_ROWS = 2000  # fewer, and a child costs more than the pass it takes over

_CODES = {
    "type-error": "type",
    "constraint-error": "constraint",
    "foreign-key": "reference-missing",
    "primary-key": "id-duplicate",
    "unique-error": "id-duplicate",
    "missing-cell": "field-required",
}


class Rows(list[list[Any]]):
    """A table's header and rows as Frictionless reads them inline, shared rather than copied.

    Frictionless copies a resource, inline data included, each time another table's foreign
    key looks it up, and once more when it checks the package descriptor. Nothing writes to
    the rows, so every copy may share them.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Rows:
        return self


def _package(tables: dict[str, Table], schemas: dict[str, Schema]) -> Package:
    resources = []
    for name, table in tables.items():
        data = Rows([table.columns])
        data.extend([row.get(c) for c in table.columns] for row in table.rows)
        schema = schemas.get(name) or Schema.from_descriptor(table.spec.schema)
        resources.append(Resource(name=table.name, data=data, schema=schema))
    return Package(resources=resources)


_CONSTRAINT = re.compile(r'constraint "(\w+)" is "(.*)"\Z', re.DOTALL)
_RULES = {"pattern": "it must match {}", "maximum": "the maximum is {}",
          "minimum": "the minimum is {}", "maxLength": "at most {} characters",
          "minLength": "at least {} characters", "enum": "allowed: {}"}


def _message(error: Any, table: Table) -> str:
    note = getattr(error, "note", "") or ""
    field = getattr(error, "field_name", None)
    if isinstance(error, errors.ForeignKeyError):
        names = ", ".join(error.field_names)
        cells = ", ".join(str(c) for c in error.field_cells)
        return f"'{names}' refers to '{cells}', which does not exist ({note})"
    if isinstance(error, errors.ConstraintError):
        match = _CONSTRAINT.match(note)
        if match and match[1] == "required":
            return f"'{field}' needs a value"
        if match and match[1] in _RULES:
            rule = _RULES[match[1]].format(match[2].strip("[]").replace("'", ""))
            spec = table.spec.field(field or "")
            about = f": {spec.description.rstrip('.')}" if spec and spec.description else ""
            number = spec is not None and spec.type in ("number", "integer")
            cell = error.cell if number else f"'{error.cell}'"
            return f"'{field}' cannot be {cell} ({rule}){about}"
    if isinstance(error, errors.CellError):
        return f"'{field}' = {error.cell!r}: {note}"
    return f"{error.title}: {note}" if note else error.message


def validate_tables(tables: dict[str, Table], seen: RowKeys | None = None,
                    passed: Passed | None = None, catalog: Catalog | None = None
                    ) -> list[Problem]:
    """Validate the whole package once and return its errors located in the YAML.

    With `seen` (digests of the rows validated by an earlier build), only new or changed rows
    are validated, and `seen` is updated when they pass; `passed` (the rows of the last build
    that passed) spares computing the keys of rows that build already had. With the
    `catalog` the records were checked against, the foreign keys that the check stage
    proves are not looked up again (package_refs.py).
    """
    return Validation(tables, seen, passed, catalog).problems()


class Validation:
    """validate_tables, whose Frictionless pass may run in a forked child (`beside`) while
    this process goes on to the next stages: at 100,000 records it takes about 3 s of one
    core. `problems` waits for it and updates `seen` as validate_tables does."""

    def __init__(self, tables: dict[str, Table], seen: RowKeys | None = None,
                 passed: Passed | None = None, catalog: Catalog | None = None,
                 beside: bool = False) -> None:
        self.whole, changed = tables, set(tables)
        if passed is None:
            self.keys = {name: schema_key(table) for name, table in tables.items()}
        else:
            self.keys = {name: passed.key(table) for name, table in tables.items()}
        schemas: dict[str, Schema] = {}
        if seen:
            tables, changed = unseen(tables, self.keys, seen, passed)
            if passed is not None:
                schemas = schemas_of(tables, self.keys, passed)
        if catalog is not None:
            schemas = {name: schemas.get(name) or Schema.from_descriptor(
                           unproven_schema(table.spec, catalog))
                       for name, table in tables.items()}
        self.changed, self.seen, self.passed = changed, seen, passed
        rows = sum(len(table.rows) for table in tables.values())
        keyed = seen is not None

        def run() -> tuple[list[Problem], dict[str, list[bytes]]]:
            return _checked(tables, schemas, keyed)

        self._run = run
        self._beside = (Beside(run) if beside and tables and rows >= BESIDE_ROWS and can_fork()
                        else None)
        if self._beside is not None and not self._beside.forked:  # refused: validate here
            self._beside = None

    @property
    def beside(self) -> bool:
        """Whether the Frictionless pass runs in a child."""
        return self._beside is not None

    def problems(self) -> list[Problem]:
        problems, keys = self._beside.result() if self._beside is not None else self._run()
        if self.seen is not None and not problems:
            for name, found in keys.items():
                self.seen.setdefault(self.keys[name], set()).update(found)
            if self.passed is not None:
                remember(self.whole, self.keys, self.changed, self.passed)
        return problems

    def cancel(self) -> None:
        """End the child, if one validates, when its problems are no longer wanted."""
        if self._beside is not None:
            self._beside.cancel()


def _checked(tables: dict[str, Table], schemas: dict[str, Schema], keyed: bool
             ) -> tuple[list[Problem], dict[str, list[bytes]]]:
    """The tables' problems, and if there are none and `keyed`, the keys of their rows."""
    problems = _validate(tables, schemas) if tables else []
    if problems or not keyed:
        return problems, {}
    return problems, {name: row_keys(table, table.rows) for name, table in tables.items()}


def _validate(tables: dict[str, Table], schemas: dict[str, Schema]) -> list[Problem]:
    report = _package(tables, schemas).validate(limit_errors=10**9)
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
            problems.append(Problem.at(pos, code, _message(error, table)))
    log.debug("frictionless: %d errors", len(problems))
    return problems
