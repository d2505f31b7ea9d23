"""The SQLite file: a working database kept between builds, copied out compact at each build.

The working database holds every table, each row under the row id of its position (1 for
the first, as in a table filled from nothing). A build changes only the tables whose rows
changed: where the number of rows is the same, it updates the rows that differ in place
under their row ids; otherwise it empties the table and fills it again (row ids restart at
1 in an emptied table). Then `VACUUM INTO` writes a compact copy whose bytes depend only on
the schema, the rows and their row ids, so they are those of a database built from nothing.
The copy's header fields that name a write (change counter, the SQLite version) are set to
0, as a VACUUM in memory leaves them, so the bytes do not depend on the SQLite release
either. Values are exact: text is not neutralised as in the CSV.

The copy is the longest step, and SQLite lets go of Python's lock while it makes it, so it
can be made on another thread (`update`, then `copy` there) while the build goes on; when no
table changed since the last copy, that copy is the file again.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from typing import Any

from site_gen.codebook import foreign_keys, primary_key
from site_gen.dataset_csv import PublishError
from site_gen.dataset_sqlite import SQL_TYPES, create_table_sql, quoted
from site_gen.identity import changed_at
from site_gen.tables import Table

PAGE_SIZE = 4096
# A database built from nothing needs no rollback journal (a failed build throws it away),
# and VACUUM works faster in memory; neither changes a byte of the result.
PRAGMAS = (f"PRAGMA page_size = {PAGE_SIZE}", "PRAGMA journal_mode = OFF",
           "PRAGMA synchronous = OFF", "PRAGMA temp_store = MEMORY")
WRITE_FIELDS = (24, 92, 96)  # change counter, version-valid-for, SQLite version number


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


def _update(table: Table) -> str:
    return (f"UPDATE {quoted(table.name)} "
            f"SET {', '.join(f'{quoted(c)} = ?' for c in table.columns)} WHERE rowid = ?")


def _row_id_is_position(table: Table) -> bool:
    """Whether a row's id is its position: not when the primary key is a single INTEGER
    column, which SQLite makes the row id itself."""
    primary = primary_key(table.spec)
    if len(primary) != 1:
        return True
    kind = next((f.type for f in table.spec.fields if f.name == primary[0]), "string")
    return SQL_TYPES.get(kind) != "INTEGER"


def _same(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """Equal values of the same types (1, 1.0 and True are equal in Python, not in SQLite)."""
    return old == new and all(type(a) is type(b) for a, b in zip(old, new, strict=True))


def _changed(old: list[tuple[Any, ...]], new: list[tuple[Any, ...]]) -> list[int]:
    """Positions whose rows differ, of two lists of one length; the same row object is the
    same row."""
    return [i for i in changed_at(new, old) or () if not _same(old[i], new[i])]


def _referenced(tables: dict[str, Table]) -> dict[str, set[str] | None]:
    """The columns of each table that a foreign key points to (None: the key names none)."""
    found: dict[str, set[str] | None] = {}
    for table in tables.values():
        for _, parent, their in foreign_keys(table.spec):
            if not their or found.get(parent, set()) is None:
                found[parent] = None
            else:
                found.setdefault(parent, set()).update(their)  # type: ignore[union-attr]
    return found


class _Unmatched(Exception):
    """An update by row id did not find its row."""


class Database:
    """The working database and the key of the rows each of its tables holds."""

    def __init__(self) -> None:
        self.con: sqlite3.Connection | None = None
        self.schema: list[tuple[str, str, list[str]]] = []
        self.filled: dict[str, str] = {}
        self.held: dict[str, list[tuple[Any, ...]]] = {}  # each table's rows, in row id order
        self.copied: bytes | None = None  # the copy of the database as it is, once made
        self.updated = 0  # rows this build updated in place

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
        self.con, self.schema, self.filled, self.held = None, [], {}, {}
        self.copied = None

    def publish(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]],
                keys: dict[str, str] | None = None) -> bytes:
        """The database file of `tables`; raises PublishError if a key or count is off.

        `keys` names each table's rows: a table whose key is the one it was filled with is
        left as it is. Without keys every table is filled again."""
        self.update(tables, rows, keys)
        return self.copy()

    def update(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]],
               keys: dict[str, str] | None = None) -> None:
        """Bring the working database up to `tables`, as publish() does, but make no copy."""
        try:
            self._update(tables, rows, keys or {})
        except BaseException:
            self.close()  # half updated: the next build starts from nothing
            raise

    def copy(self) -> bytes:
        """The file of the working database as update() left it, made again only if a table
        changed since the last copy. May run on another thread, while no other work is done
        with the database."""
        try:
            if self.copied is None:
                assert self.con is not None
                self.copied = copy_through_file(self.con)
            return self.copied
        except BaseException:
            self.close()
            raise

    def copy_into(self, path: str) -> None:
        """Write the file of the working database as update() left it to a new file at
        `path`, as copy() makes it, without holding it in memory. May run on another thread,
        as copy()."""
        try:
            assert self.con is not None
            write_copy(self.con, path)
        except BaseException:
            self.close()
            raise

    def _update(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]],
                keys: dict[str, str]) -> None:
        schema = [(t.name, create_table_sql(t.spec, t.columns), _indexes(t))
                  for t in tables.values()]
        self.updated = 0
        checked: set[str] | None = None  # every table
        if self.con is not None and schema == self.schema:
            try:
                checked = self._change(tables, rows, keys)
            except (sqlite3.IntegrityError, _Unmatched):  # e.g. two rows swapped keys
                checked, self.updated = None, 0
                self.close()  # start from nothing
        if self.con is None or schema != self.schema:
            self._create(tables, rows, schema)
        self.filled = {name: keys.get(name, "") for name in tables}
        self.held = {name: rows[name] for name in tables}
        self._check(tables, rows, checked)

    def _change(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]],
                keys: dict[str, str]) -> set[str]:
        """Bring every table whose key changed up to its rows; the tables whose foreign keys
        must be checked again: those changed, and those pointing to a changed table whose
        referenced values may have changed."""
        assert self.con is not None
        referenced = _referenced(tables)
        checked: set[str] = set()
        moved: set[str] = set()  # tables whose referenced values may have changed
        for table in tables.values():
            name = table.name
            if keys.get(name) and keys[name] == self.filled.get(name):
                continue
            checked.add(name)
            self.copied = None
            old, new = self.held.get(name), rows[name]
            if old is None or len(old) != len(new) or not _row_id_is_position(table):
                self.con.execute(f"DELETE FROM {quoted(name)}")
                self.con.executemany(_insert(table), new)
                moved.add(name)
                continue
            positions = _changed(old, new)
            before = self.con.total_changes
            self.con.executemany(_update(table), [(*new[i], i + 1) for i in positions])
            if self.con.total_changes - before != len(positions):
                raise _Unmatched(f"{name}: a row id is not the row's position")
            self.updated += len(positions)
            if name in referenced and _moved(table, referenced[name], old, new, positions):
                moved.add(name)
        self.con.commit()
        checked.update(table.name for table in tables.values()
                       if any(parent in moved for _, parent, _ in foreign_keys(table.spec)))
        return checked

    def _create(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]],
                schema: list[tuple[str, str, list[str]]]) -> None:
        self.close()
        # Used by one thread at a time, but not always the one that made it (copy()).
        con = self.con = sqlite3.connect(":memory:", check_same_thread=False)
        for pragma in PRAGMAS:
            con.execute(pragma)
        for (_, create, indexes), table in zip(schema, tables.values(), strict=True):
            con.execute(create)
            con.executemany(_insert(table), rows[table.name])
            for index in indexes:
                con.execute(index)
        con.commit()
        self.schema = schema

    def _check(self, tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]],
               checked: set[str] | None) -> None:
        """Counts of every table; foreign keys of the `checked` tables (None: of all)."""
        assert self.con is not None
        if checked is None:
            broken = self.con.execute("PRAGMA foreign_key_check").fetchall()
        else:
            broken = [row for name in sorted(checked) for row in self.con.execute(
                f"PRAGMA foreign_key_check({quoted(name)})").fetchall()]
        if broken:
            raise PublishError(f"SQLite foreign keys broken: {broken[:5]}")
        for table in tables.values():
            (count,) = self.con.execute(
                f"SELECT count(*) FROM {quoted(table.name)}").fetchone()
            if count != len(rows[table.name]):
                raise PublishError(f"SQLite table {table.name} has {count} rows, "
                                   f"expected {len(rows[table.name])}")


def _moved(table: Table, columns: set[str] | None, old: list[tuple[Any, ...]],
           new: list[tuple[Any, ...]], positions: list[int]) -> bool:
    """Whether a value that a foreign key may point to changed at these positions."""
    if columns is None or not set(columns) <= set(table.columns):
        return bool(positions)
    picked = [table.columns.index(column) for column in sorted(columns)]
    return any(not _same(tuple(old[i][c] for c in picked), tuple(new[i][c] for c in picked))
               for i in positions)


def copy_through_file(con: sqlite3.Connection) -> bytes:
    """The database of `con` made compact by VACUUM INTO a file, unstamped.

    Not into a memory file: SQLite copies a shared memory file out page by page through its
    cache, which takes longer than writing and reading a file."""
    with tempfile.TemporaryDirectory(prefix="site-gen-") as folder:
        path = os.path.join(folder, "copy.sqlite")
        write_copy(con, path)
        with open(path, "rb") as copy:
            return copy.read()


def write_copy(con: sqlite3.Connection, path: str) -> None:
    """Write the database of `con` made compact by VACUUM INTO a new file, unstamped."""
    con.execute("VACUUM INTO ?", (path,))
    with open(path, "r+b") as copy:
        for offset in WRITE_FIELDS:  # set to 0 before the one read
            copy.seek(offset)
            copy.write(bytes(4))


def sqlite_bytes(tables: dict[str, Table], rows: dict[str, list[tuple[Any, ...]]]) -> bytes:
    """One database holding every table, built from nothing."""
    database = Database()
    try:
        return database.publish(tables, rows)
    finally:
        database.close()
