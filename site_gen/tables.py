"""Normalise records into the published tables, one row per record and per list item.

Each row remembers the record and field it came from, so that a problem found in a table
can be reported at the YAML file, line and column an editor wrote.
"""

from __future__ import annotations

import functools
from array import array
from dataclasses import dataclass, field
from itertools import accumulate
from sys import intern
from typing import Any

from site_gen.dates import DateError, parse_date
from site_gen.identity import changed_at, same_items
from site_gen.problems import Pos
from site_gen.records import Record, Records
from site_gen.schemas import Catalog, Link, TableSpec

LOW = ("exact", "about", "at_least", "more_than", "range")
HIGH = ("exact", "about", "nearly", "up_to")
BEST = ("exact", "about")
# An edit of more records than this assembles its collection's tables again, which costs
# about as much as patching them one record at a time.
PATCH_LIMIT = 64


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


@functools.lru_cache(maxsize=4096)
def _suffixed(name: str) -> tuple[str, str, str]:
    """The names of a date column's derived columns, one string each for every row."""
    return intern(f"{name}_start"), intern(f"{name}_end"), intern(f"{name}_precision")


@functools.lru_cache(maxsize=65536, typed=True)
def _date_cells(value: Any) -> tuple[str, str, str, str] | None:
    """A date's text, start, end and precision, made once for each date written (dates
    recur across records: three years of days at 100,000 records), or None if it is not
    a date."""
    try:
        date = parse_date(value)
    except DateError:
        return None
    return (date.text, intern(date.start.isoformat()), intern(date.end.isoformat()),
            intern(date.precision))


def _main_row(spec: TableSpec, record: Record) -> dict[str, Any]:
    row: dict[str, Any] = {}
    fields = record.fields
    for column in spec.fields:
        name = column.name
        if not column.derived:
            value = fields.get(name)
            row[name] = _cell(value)
            if column.partial_date and value is not None:
                try:
                    cells = _date_cells(value)
                except TypeError:  # a list or a mapping, which no date is
                    cells = None
                if cells is None:
                    continue
                start, end, precision = _suffixed(name)
                row[name], row[start], row[end], row[precision] = cells
        else:
            row.setdefault(name, None)
    if "low" in row and "qualifier" in fields:
        row["low"], row["best"], row["high"] = _bounds(
            fields.get("qualifier"), fields.get("value"), fields.get("value_high"))
    return row


RecordKey = tuple[str, str]  # a record's file and version (the file's hash and its place)
Rows = list[dict[str, Any]]
Origins = list[tuple[Record, int | None]]


@dataclass
class _Part:
    """One table of a collection: its rows and origins, and where each record's rows start."""

    rows: Rows
    origins: Origins
    starts: array[int] | None  # a link table's: record i has rows starts[i]:starts[i + 1]


@dataclass
class _Group:
    """One collection's tables as the last build assembled them."""

    records: list[Record]  # the collection's records, in the order the load stage gave them
    places: dict[RecordKey, int]  # each record's place among the tables' records (by id)
    parts: list[_Part]


@dataclass
class TableCache:
    """The rows each record version gave its collection's tables in the last build.

    Rows depend only on a record's fields and on the tables' columns, so a record whose file
    and version are unchanged gives the same rows again; they are kept while the shape of
    the tables (`shape`) stays the same. A collection whose records are the very ones of the
    last build (the load stage hands out the same records for unchanged files) keeps its
    tables as they were. Rows are shared between builds: nothing may change them.
    """

    shape: Any = None
    groups: dict[str, _Group] = field(default_factory=dict)
    made: int = 0  # how many records' rows the last build made rather than reused


def _shape(catalog: Catalog) -> tuple[Any, ...]:
    """Everything besides a record that its rows depend on."""
    return tuple((spec.name, tuple(spec.fields), spec.link) for spec in catalog.tables.values())


def _link_rows(link: Link, record: Record) -> Rows:
    items = record.fields.get(link.field)
    if not isinstance(items, list):
        return []
    return [{link.key: record.id, link.value: _cell(item), "position": index + 1}
            for index, item in enumerate(items)]


def _by_id(members: list[Record]) -> list[Record]:
    """Records sorted by id, records with the same id in file order."""
    ids = [record.id for record in members]
    return [members[i] for i in sorted(range(len(members)), key=ids.__getitem__)]


def _same(records: list[Record], group: _Group) -> bool:
    """Whether these are the very records the group was assembled from."""
    return same_items(records, group.records)


def _part(spec: TableSpec, order: list[Record], olds: list[int | None],
          earlier: _Part | None) -> _Part:
    """One table of a collection, taking the rows of records it had from `earlier`."""
    link = spec.link
    if link is None:
        before = earlier.rows if earlier is not None else []
        rows = [before[old] if old is not None else _main_row(spec, record)
                for record, old in zip(order, olds, strict=True)]
        return _Part(rows, [(record, None) for record in order], None)
    if earlier is not None and earlier.starts is not None:
        before, starts = earlier.rows, earlier.starts
        chunks = [before[starts[old]:starts[old + 1]] if old is not None
                  else _link_rows(link, record) for record, old in zip(order, olds, strict=True)]
    else:
        chunks = [_link_rows(link, record) for record in order]
    return _Part([row for chunk in chunks for row in chunk],
                 [(record, i) for record, chunk in zip(order, chunks, strict=True)
                  for i in range(len(chunk))],
                 array("q", accumulate(map(len, chunks), initial=0)))


def _assemble(specs: list[TableSpec], members: list[Record], known: _Group | None
              ) -> tuple[_Group, int]:
    """A collection's tables, with rows made only for records whose version is new."""
    order = _by_id(members)
    keys = [(record.path, record.version) for record in order]
    places = known.places if known is not None else {}
    olds = [places.get(key) if key[1] else None for key in keys]
    earlier: list[_Part | None] = list(known.parts) if known is not None else [None] * len(specs)
    parts = [_part(spec, order, olds, before)
             for spec, before in zip(specs, earlier, strict=True)]
    made = {key: place for place, key in enumerate(keys) if key[1]}
    return _Group(list(members), made, parts), olds.count(None)


def _patch(specs: list[TableSpec], members: list[Record], group: _Group
           ) -> tuple[_Group, int] | None:
    """The group with the rows of a few records remade, when each stands where an earlier
    record with the same id stood (so that the rows keep their order); else None."""
    earlier = group.records
    changed = changed_at(members, earlier)
    if changed is None or len(changed) > PATCH_LIMIT:
        return None
    places = dict(group.places)
    moves: list[tuple[int, Record]] = []
    for i in changed:
        before, after = earlier[i], members[i]
        place = places.pop((before.path, before.version), None)
        if place is None or not after.version or after.id != before.id:
            return None
        places[(after.path, after.version)] = place
        moves.append((place, after))
    if len(places) != len(members):
        return None
    parts = []
    for spec, part in zip(specs, group.parts, strict=True):
        rows, origins = list(part.rows), list(part.origins)
        starts = array("q", part.starts) if part.starts is not None else None
        for place, record in moves:
            if spec.link is None or starts is None:
                rows[place] = _main_row(spec, record)
                origins[place] = (record, None)
                continue
            chunk = _link_rows(spec.link, record)
            start, end = starts[place], starts[place + 1]
            rows[start:end] = chunk
            origins[start:end] = [(record, i) for i in range(len(chunk))]
            shift = len(chunk) - (end - start)
            if shift:
                for k in range(place + 1, len(starts)):
                    starts[k] += shift
        parts.append(_Part(rows, origins, starts))
    return _Group(list(members), places, parts), len(moves)


def build_tables(records: Records, catalog: Catalog,
                 cache: TableCache | None = None) -> dict[str, Table]:
    """Every table of the catalog, rows sorted by id (and list position) for stable output.

    With a cache from the previous build, only records whose version is new make rows; the
    cache is updated in place.
    """
    shape = _shape(catalog)
    known: dict[str, _Group] = {}
    if cache is not None and cache.shape == shape:
        known = cache.groups
    groups: dict[str, list[TableSpec]] = {}
    for spec in catalog.tables.values():
        groups.setdefault(spec.name if spec.link is None else spec.link.collection, []).append(spec)
    kept: dict[str, _Group] = {}
    made = 0
    tables: dict[str, Table] = {}
    for collection, specs in groups.items():
        members = records.of(collection)
        group = known.get(collection)
        if group is None or not _same(members, group):
            patched = _patch(specs, members, group) if group is not None else None
            group, remade = patched or _assemble(specs, members, group)
            made += remade
        kept[collection] = group
        for spec, part in zip(specs, group.parts, strict=True):
            tables[spec.name] = Table(spec, [f.name for f in spec.fields], list(part.rows),
                                      list(part.origins))
    if cache is not None:
        cache.shape, cache.groups, cache.made = shape, kept, made
    return {name: tables[name] for name in catalog.tables}
