"""The site model of the last build, updated in place for the records an edit changed.

Building the model walks every record; an edit changes a few. Entries of changed records
are taken out (with their backlinks on the records they named) and made again from their
new rows; the records that named them resolve their names again. Every list is kept in the
order a fresh build gives it (SORT_KEYS, total since they end with the id), so the model
equals one built from nothing. Anything the update cannot be sure of (another catalog,
duplicate or unversioned records, many changes, names that found no record) makes the
caller build the model from nothing instead.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field
from typing import Any

from site_gen import collector
from site_gen.config import SiteConfig
from site_gen.identity import changed_at
from site_gen.records import COLLECTIONS
from site_gen.schemas import Catalog
from site_gen.site_model import (
    SORT_KEYS,
    Entry,
    SiteModel,
    make_entry,
    reference_fields,
    resolve,
    table_rows,
    unique,
)
from site_gen.tables import Table

Key = tuple[str, str]
LIMIT = 64  # past this many changed records, building from nothing costs about the same


@dataclass
class Changes:
    """The records an edit added, changed or removed: the new rows by key, and the keys."""

    rows: dict[Key, tuple[dict[str, Any], Any]] = field(default_factory=dict)
    keys: set[Key] = field(default_factory=set)


def find_changes(model: SiteModel, tables: dict[str, Table], catalog: Catalog) -> Changes | None:
    """What changed since `model` was built, or None when it cannot be updated in place.

    A row that is the very row the model was made from at the same place is unchanged
    (SiteModel.rows): only the others are read, when a collection has as many rows as
    before. Otherwise every row of the collection is compared with the entries."""
    if model.catalog is not catalog and model.catalog != catalog:
        return None
    changes = Changes()
    for collection in COLLECTIONS:
        members = model.entries.get(collection, {})
        table = tables.get(collection)
        if table is None:
            return None
        before = model.rows.get(collection)
        found = None
        if before is not None and len(before) == len(table.rows) == len(members):
            found = _changed_rows(collection, members, table, before, changes)
        if found is None:
            found = _all_rows(collection, members, table, changes)
        if not found or len(changes.keys) > LIMIT:
            return None
    added = any(key[1] not in model.entries.get(key[0], {}) for key in changes.rows)
    if added and model.missing:
        return None  # the added record may be one that a record names
    return changes


def _note(collection: str, row: dict[str, Any], record: Any, old: Entry | None,
          changes: Changes) -> None:
    if old is None or old.version != record.version:
        key = (collection, str(row["id"]))
        changes.rows[key] = (row, record)
        changes.keys.add(key)


def _all_rows(collection: str, members: dict[str, Entry], table: Table,
              changes: Changes) -> bool:
    """Compare every row with the entry of its id; False when ids repeat or a record has
    no version (it may have changed in any way)."""
    ids: set[str] = set()
    for row, (record, _) in zip(table.rows, table.origins, strict=True):
        record_id = str(row["id"])
        ids.add(record_id)
        if not record.version:
            return False
        _note(collection, row, record, members.get(record_id), changes)
    if len(ids) != len(table.rows):
        return False
    changes.keys.update((collection, record_id) for record_id in members.keys() - ids)
    return True


def _changed_rows(collection: str, members: dict[str, Entry], table: Table,
                  before: list[dict[str, Any]], changes: Changes) -> bool | None:
    """Compare only the rows that are not the very rows of `before` at the same place with
    the entries of their ids. The other rows keep their ids, which with the new ones must be
    all different; an id only the old rows had is a record removed. None when too many rows
    moved to tell them this way (a record removed and another added shift those between)."""
    positions = changed_at(table.rows, before)
    if positions is None or len(positions) > LIMIT:
        return None
    old_ids = {str(before[i]["id"]) for i in positions}
    new_ids: set[str] = set()
    for i in positions:
        row, (record, _) = table.rows[i], table.origins[i]
        record_id = str(row["id"])
        if not record.version or record_id in new_ids or (
                record_id in members and record_id not in old_ids):
            return False  # no version, or an id two rows have
        new_ids.add(record_id)
        _note(collection, row, record, members.get(record_id), changes)
    changes.keys.update((collection, record_id) for record_id in old_ids - new_ids)
    return True


def _detach(entry: Entry) -> None:
    """Take the entry out of the backlinks of the records it names."""
    for name, value in entry.ref.items():
        targets = [value] if isinstance(value, Entry) else unique(value or [])
        for target in targets:
            members = target.back.get((entry.collection, name))
            if members is None:
                continue
            members[:] = [member for member in members if member is not entry]
            if not members:
                del target.back[(entry.collection, name)]


def _attach(entry: Entry, model: SiteModel) -> None:
    """Resolve the entry's names and put it, in order, into the backlinks of what it names."""
    scalar, listed = reference_fields(model.catalog, entry.collection, model.entries)
    entry.ref = {}
    backlinks, missing = resolve(entry, scalar, listed, model.entries)
    model.missing += missing
    key = SORT_KEYS[entry.collection]
    for name, target in backlinks:
        insort(target.back.setdefault((entry.collection, name), []), entry, key=key)


def apply_changes(model: SiteModel, changes: Changes, tables: dict[str, Table],
                  catalog: Catalog, config: SiteConfig) -> None:
    """Update the model in place for `changes` (from find_changes on the same tables)."""
    with collector.paused():
        _apply(model, changes, tables, catalog, config)


def _apply(model: SiteModel, changes: Changes, tables: dict[str, Table], catalog: Catalog,
           config: SiteConfig) -> None:
    model.config = config
    model.catalog = catalog
    namers: dict[int, Entry] = {}  # unchanged records that named a changed one
    for collection, record_id in changes.keys:
        old = model.entries[collection].get(record_id)
        if old is None:
            continue
        for members in old.back.values():
            for namer in members:
                if (namer.collection, namer.id) not in changes.keys:
                    namers[id(namer)] = namer
        _detach(old)
        model.ordered[collection].remove(old)
        del model.entries[collection][record_id]
    made = []
    for (collection, _), (row, record) in changes.rows.items():
        links = list(model.catalog.links_of(collection))
        entry = make_entry(collection, row, record, links, config)
        model.entries[collection][entry.id] = entry
        insort(model.ordered[collection], entry, key=SORT_KEYS[collection])
        made.append(entry)
    for collection in {key[0] for key in changes.rows}:
        members = model.entries[collection]  # in the tables' order, as a fresh build has it
        model.entries[collection] = {str(row["id"]): members[str(row["id"])]
                                     for row in tables[collection].rows}
    for namer in namers.values():
        _detach(namer)
    for entry in [*made, *namers.values()]:
        _attach(entry, model)
    model.rows = table_rows(tables)
