"""Which rows the package stage validates: those not validated before, under the same schema.

Rows that passed are known by a digest of their values (`RowKeys`, saved between
command-line runs) and, in a long-lived process, by identity (`Passed`), which spares
working out the digests.
"""

from __future__ import annotations

import copy
import json
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from hashlib import blake2b
from itertools import compress, count
from typing import Any

from frictionless import Schema

from site_gen.identity import same_items
from site_gen.tables import Table

RowKeys = dict[tuple[str, str], set[bytes]]
"""By schema key, a digest of each row that passed under that schema (row_keys)."""


def row_keys(table: Table, rows: Iterable[dict[str, Any]]) -> list[bytes]:
    """A 128-bit digest of each row's cells in column order, which stands for the row.

    The repr tells 1, 1.0 and True apart, as the validation does, and does not depend on
    which objects the cells share. A tuple of the cells held ~45 MB at 100,000 records
    and made the saved state of a command-line build ~43 MB bigger."""
    columns = table.columns
    return [blake2b(repr([row.get(c) for c in columns]).encode("utf-8", "surrogatepass"),
                    digest_size=16).digest() for row in rows]


def schema_key(table: Table) -> tuple[str, str]:
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
        """The table's schema key, worked out again only when its schema changed."""
        held = self.tables.get(table.name)
        if held is not None and held.schema == table.spec.schema:
            return held.key
        return schema_key(table)


def unseen(tables: dict[str, Table], keys: dict[str, tuple[str, str]], seen: RowKeys,
           passed: Passed | None) -> tuple[dict[str, Table], set[str]]:
    """Each table cut down to the rows not validated before, without its foreign keys.

    The checks stage already proves every reference and id unique, which are the only
    rules that look beyond one row; every other rule is checked on the new rows alone.
    A row is known by identity when it passed in the last build (`passed`), else by a
    digest of its values (`seen`), which is slower to work out. Also returns the names of the tables
    whose rows are not the very ones that passed in the last build.
    """
    subset: dict[str, Table] = {}
    changed: set[str] = set()
    for name, table in tables.items():
        key = keys[name]
        held = passed.tables.get(name) if passed is not None else None
        rows = table.rows
        if held is None or held.key != key:
            picked = list(range(len(rows)))
        elif same_items(rows, held.rows):
            continue
        else:
            picked = list(compress(count(), map(operator.not_,
                                                map(held.ids.__contains__, map(id, rows)))))
        changed.add(name)
        if picked and _looks_across_rows(table):
            # A rule across rows can break with rows that each passed before (two rows
            # swapping a unique title, one back): a changed table is checked whole.
            picked = list(range(len(rows)))
        elif picked:
            known = seen.get(key, set())
            digests = row_keys(table, (rows[i] for i in picked))
            picked = [i for i, digest in zip(picked, digests, strict=True) if digest not in known]
        if not picked:
            continue
        schema = {k: v for k, v in table.spec.schema.items() if k != "foreignKeys"}
        spec = replace(table.spec, schema=schema)
        subset[name] = Table(spec, table.columns, [rows[i] for i in picked],
                             [table.origins[i] for i in picked])
    return subset, changed


def remember(tables: dict[str, Table], keys: dict[str, tuple[str, str]], changed: set[str],
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


def schemas_of(tables: dict[str, Table], keys: dict[str, tuple[str, str]], passed: Passed
               ) -> dict[str, Schema]:
    """The Frictionless schema of each table cut down to its new rows, each made once."""
    made: dict[str, Schema] = {}
    for name, table in tables.items():
        key = keys[name]
        if key not in passed.schemas:
            passed.schemas[key] = Schema.from_descriptor(table.spec.schema)
        made[name] = passed.schemas[key]
    return made
