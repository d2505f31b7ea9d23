"""How many rows the records make for each table, which every published table must have.

A link table has one row per item of a list field of its collection's records. Counting
them touches every record of the collection, the slowest part of publishing a table whose
rows are already encoded; in a long-lived build the last count is kept with the records it
was made from, and only the records that are not those very objects are counted again
(nothing changes a record's fields once it is read).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from site_gen.identity import changed_at
from site_gen.records import Record, Records
from site_gen.tables import Table


def _items(record: Record, name: str) -> int:
    value = record.fields.get(name)
    return len(value) if isinstance(value, list) else 0


def expected_rows(records: Records, table: Table) -> int:
    """How many rows the records make: one per record, or one per list item for link tables."""
    link = table.spec.link
    if link is None:
        return len(records.of(table.name))
    values = [r.fields.get(link.field) for r in records.of(link.collection)]
    return sum([len(value) for value in values if isinstance(value, list)])


@dataclass(frozen=True)
class Count:
    """How many rows a table must have and, for a link table, what that was counted from:
    the (collection, field) of its list items and the collection's records."""

    total: int
    source: tuple[str, str] | None = None
    records: list[Record] = field(default_factory=list)


def count_rows(records: Records, table: Table, last: Count | None = None) -> Count:
    """expected_rows, with what it was counted from; after `last`, the count of the same
    table in an earlier build, only the records that are not the very records it counted are
    counted again."""
    link = table.spec.link
    if link is None:
        return Count(len(records.of(table.name)))
    members = records.of(link.collection)
    source = (link.collection, link.field)
    if last is None or last.source != source:
        return Count(expected_rows(records, table), source, list(members))
    before = last.records
    changed = changed_at(members, before)
    if changed is None or len(changed) > len(members) // 2:  # cheaper counted whole
        return Count(expected_rows(records, table), source, list(members))
    if not changed:
        return last
    return Count(last.total + sum(_items(members[i], link.field) - _items(before[i], link.field)
                                  for i in changed), source, list(members))
