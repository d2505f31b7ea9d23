"""Package stage: validate all tables as one Frictionless Data Package, in a single pass.

Every error Frictionless reports is mapped back to the YAML file, line and column of the
record and field it came from.
"""

from __future__ import annotations

import copy
import json
import logging
import operator
import re
from dataclasses import dataclass, field, replace
from itertools import compress, count
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


def _row_key(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(c) for c in table.columns)


RowKeys = dict[tuple[str, str], set[tuple[Any, ...]]]


def _schema_key(table: Table) -> tuple[str, str]:
    """Rows are known valid only under the schema they were validated with."""
    schema = {k: v for k, v in table.spec.schema.items() if k != "foreignKeys"}
    return table.name, json.dumps(schema, sort_keys=True, default=str)


def _looks_across_rows(table: Table) -> bool:
    """Rules besides id and references that compare rows: those tables are checked whole."""
    schema = table.spec.schema
    primary = schema.get("primaryKey")
    if isinstance(primary, str):
        primary = [primary]
    link = table.spec.link
    usual = [["id"]] if link is None else [[link.key, "position"]]
    return bool(schema.get("uniqueKeys")) or (primary is not None and primary not in usual) \
        or any((f.get("constraints") or {}).get("unique") and f.get("name") != "id"
               for f in schema.get("fields", []))


@dataclass
class _Held:
    """One table's rows that passed, held so that no other object can take their identities."""

    key: tuple[str, str]  # the schema key they passed under
    schema: dict[str, Any]  # a copy of the table's schema, to tell the key without making it
    rows: list[dict[str, Any]]
    ids: set[int]


@dataclass
class Passed:
    """The rows of each table that passed in the last build, known by identity, and the
    Frictionless schema each table's new rows are validated with, by schema key.

    The tables stage hands out the same row objects for a record whose version is unchanged,
    and nothing changes a row once made; nor does Frictionless change a schema it reads with.
    """

    tables: dict[str, _Held] = field(default_factory=dict)
    schemas: dict[tuple[str, str], Schema] = field(default_factory=dict)

    def __reduce__(self) -> tuple[type[Passed], tuple[()]]:
        """Identities mean nothing in another process: a pickled copy starts empty."""
        return Passed, ()

    def key(self, table: Table) -> tuple[str, str]:
        held = self.tables.get(table.name)
        if held is not None and held.schema == table.spec.schema:
            return held.key
        return _schema_key(table)


def _unseen(tables: dict[str, Table], keys: dict[str, tuple[str, str]], seen: RowKeys,
            passed: Passed | None) -> tuple[dict[str, Table], set[str]]:
    """Each table cut down to the rows not validated before, without its foreign keys.

    The checks stage already proves every reference and id unique, which are the only
    rules that look beyond one row; every other rule is checked on the new rows alone.
    A row is known by identity when it passed in the last build (`passed`), else by its
    values (`seen`), which are slower to look up. Also returns the names of the tables
    whose rows are not the very ones that passed in the last build.
    """
    subset: dict[str, Table] = {}
    changed: set[str] = set()
    for name, table in tables.items():
        schema_key = keys[name]
        held = passed.tables.get(name) if passed is not None else None
        rows = table.rows
        if held is None or held.key != schema_key:
            picked = list(range(len(rows)))
        elif len(rows) == len(held.rows) and all(map(operator.is_, rows, held.rows)):
            continue
        else:
            picked = list(compress(count(), map(operator.not_,
                                                map(held.ids.__contains__, map(id, rows)))))
        changed.add(name)
        if picked:
            known = seen.get(schema_key, set())
            picked = [i for i in picked if _row_key(table, rows[i]) not in known]
        if picked and _looks_across_rows(table):
            picked = list(range(len(rows)))
        if not picked:
            continue
        schema = {k: v for k, v in table.spec.schema.items() if k != "foreignKeys"}
        spec = replace(table.spec, schema=schema)
        subset[name] = Table(spec, table.columns, [rows[i] for i in picked],
                             [table.origins[i] for i in picked])
    return subset, changed


def _remember(tables: dict[str, Table], keys: dict[str, tuple[str, str]], changed: set[str],
              passed: Passed) -> None:
    """Hold every row of the tables as passed; the others are held already."""
    for name in changed:
        table = tables[name]
        held = passed.tables.get(name)
        schema = held.schema if held is not None and held.schema == table.spec.schema \
            else copy.deepcopy(table.spec.schema)
        passed.tables[name] = _Held(keys[name], schema, list(table.rows),
                                    set(map(id, table.rows)))
    for name in passed.tables.keys() - tables.keys():
        del passed.tables[name]
    used = set(keys.values())
    for key in passed.schemas.keys() - used:
        del passed.schemas[key]


def _schemas(tables: dict[str, Table], keys: dict[str, tuple[str, str]], passed: Passed
             ) -> dict[str, Schema]:
    """The Frictionless schema of each table cut down to its new rows, each made once."""
    made: dict[str, Schema] = {}
    for name, table in tables.items():
        key = keys[name]
        if key not in passed.schemas:
            passed.schemas[key] = Schema.from_descriptor(table.spec.schema)
        made[name] = passed.schemas[key]
    return made


def validate_tables(tables: dict[str, Table], seen: RowKeys | None = None,
                    passed: Passed | None = None) -> list[Problem]:
    """Validate the whole package once and return its errors located in the YAML.

    With `seen` (row keys validated by an earlier build), only new or changed rows are
    validated, and `seen` is updated when they pass; `passed` (the rows of the last build
    that passed) spares computing the keys of rows that build already had.
    """
    whole, changed = tables, set(tables)
    if passed is None:
        keys = {name: _schema_key(table) for name, table in tables.items()}
    else:
        keys = {name: passed.key(table) for name, table in tables.items()}
    schemas: dict[str, Schema] = {}
    if seen:
        tables, changed = _unseen(tables, keys, seen, passed)
        if passed is not None:
            schemas = _schemas(tables, keys, passed)
    problems = _validate(tables, schemas) if tables else []
    if seen is not None and not problems:
        for name, table in tables.items():
            seen.setdefault(keys[name], set()).update(_row_key(table, row) for row in table.rows)
        if passed is not None:
            _remember(whole, keys, changed, passed)
    return problems


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
