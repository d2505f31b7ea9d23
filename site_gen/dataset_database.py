"""The SQLite file: a working database kept between builds, copied out compact at each build.

The working database holds every table; a build empties and fills again only the tables
whose rows changed (row ids restart at 1 in an emptied table, as in a new one), then
`VACUUM INTO` writes a compact copy whose bytes depend only on the schema and the rows.
The copy's header fields that name a write (change counter, the SQLite version) are set to
0, as a VACUUM in memory leaves them, so the bytes do not depend on the SQLite release
either. Values are exact: text is not neutralised as in the CSV.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import tempfile
from typing import Any

from site_gen.codebook import foreign_keys
from site_gen.dataset_csv import PublishError
from site_gen.dataset_sqlite import create_table_sql, quoted
from site_gen.tables import Table

PAGE_SIZE = 4096
# A database built from nothing needs no rollback journal (a failed build throws it away),
# and VACUUM works faster in memory; neither changes a byte of the result.
PRAGMAS = (f"PRAGMA page_size = {PAGE_SIZE}", "PRAGMA journal_mode = OFF",
           "PRAGMA synchronous = OFF", "PRAGMA temp_store = MEMORY")
WRITE_FIELDS = (24, 92, 96)  # change counter, version-valid-for, SQLite version number
_names = itertools.count()


def _indexes(table: Table) -> list[str]:
    """An index on the columns of each foreign key."""
    found = []
    for own, _, _ in foreign_keys(table.spec):
        name = quoted(f"idx_{table.name}_" + "_".join(own))
        found.append(f"CREATE INDEX {name} ON {quoted(table.name)} "
                     f"({', '.join(map(quoted, own))})")
    return found


def _insert(table: Table) -> str:
    return (f"INSERT INTO {quoted(table.name)} "
            f"VALUES ({', '.join('?' for _ in table.columns)})")


class Database:
    """The working database and the key of the rows each of its tables holds."""

    def __init__(self) -> None:
        self.con: sqlite3.Connection | None = None
        self.schema: list[tuple[str, str, list[str]]] = []
        self.filled: dict[str, str] = {}

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
        self.con, self.schema, self.filled = None, [], {}

    def publish(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]],
                keys: dict[str, str] | None = None) -> bytes:
        """The database file of `tables`; raises PublishError if a key or count is off.

        `keys` names each table's rows: a table whose key is the one it was filled with is
        left as it is. Without keys every table is filled again."""
        try:
            return self._publish(tables, rows, keys or {})
        except BaseException:
            self.close()  # half updated: the next build starts from nothing
            raise

    def _publish(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]],
                 keys: dict[str, str]) -> bytes:
        schema = [(t.name, create_table_sql(t.spec, t.columns), _indexes(t))
                  for t in tables.values()]
        if self.con is None or schema != self.schema:
            self._create(tables, rows, schema)
        else:
            for table in tables.values():
                if keys.get(table.name) is None or keys[table.name] != self.filled[table.name]:
                    self.con.execute(f"DELETE FROM {quoted(table.name)}")
                    self.con.executemany(_insert(table), rows[table.name])
            self.con.commit()
        self.filled = {name: keys.get(name, "") for name in tables}
        self._check(tables, rows)
        return self._copy()

    def _create(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]],
                schema: list[tuple[str, str, list[str]]]) -> None:
        self.close()
        con = self.con = sqlite3.connect(":memory:")
        for pragma in PRAGMAS:
            con.execute(pragma)
        for (_, create, indexes), table in zip(schema, tables.values(), strict=True):
            con.execute(create)
            con.executemany(_insert(table), rows[table.name])
            for index in indexes:
                con.execute(index)
        con.commit()
        self.schema = schema

    def _check(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]]) -> None:
        assert self.con is not None
        broken = self.con.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise PublishError(f"SQLite foreign keys broken: {broken[:5]}")
        for table in tables.values():
            (count,) = self.con.execute(
                f"SELECT count(*) FROM {quoted(table.name)}").fetchone()
            if count != len(rows[table.name]):
                raise PublishError(f"SQLite table {table.name} has {count} rows, "
                                   f"expected {len(rows[table.name])}")

    def _copy(self) -> bytes:
        """A compact copy of the working database, made by VACUUM INTO a memory file (or a
        temporary file where SQLite has no memory files, before 3.36)."""
        assert self.con is not None
        name = f"file:/site-gen-{os.getpid()}-{next(_names)}?vfs=memdb"
        try:
            target = sqlite3.connect(name, uri=True)  # keeps the memory file until closed
        except sqlite3.OperationalError:
            return unstamped(memoryview(copy_through_file(self.con)))
        try:
            self.con.execute("VACUUM INTO ?", (name,))
            data = memoryview(target.serialize())
        finally:
            target.close()
        return unstamped(data)


def copy_through_file(con: sqlite3.Connection) -> bytes:
    with tempfile.TemporaryDirectory(prefix="site-gen-") as folder:
        path = os.path.join(folder, "copy.sqlite")
        con.execute("VACUUM INTO ?", (path,))
        with open(path, "rb") as copy:
            return copy.read()


def unstamped(data: memoryview) -> bytes:
    """The file with the header fields that record a write set to 0."""
    parts: list[bytes | memoryview] = []
    start = 0
    for offset in WRITE_FIELDS:
        parts += [data[start:offset], bytes(4)]
        start = offset + 4
    return b"".join([*parts, data[start:]])


def sqlite_bytes(tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]]) -> bytes:
    """One database holding every table, built from nothing."""
    database = Database()
    try:
        return database.publish(tables, rows)
    finally:
        database.close()
