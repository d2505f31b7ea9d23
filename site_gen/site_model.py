"""The site model: every record by id, its references resolved and its backlinks gathered.

Built once per build with dict indexes, so that a page never scans a collection: an actor's
quotes, claims and events, a place's events and figures and a source's citations are all
ready before the first page renders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from site_gen import collector
from site_gen.config import SiteConfig
from site_gen.filters import figure_value
from site_gen.records import COLLECTIONS
from site_gen.schemas import Catalog
from site_gen.tables import Table

QUOTE_LABEL_LENGTH = 80


class Entry:
    """One record as pages see it: its published fields, resolved references and backlinks.

    Templates read fields as attributes (`event.title`; `entry.fields["x"]` for a field
    named like one of the attributes below), resolved references through `ref`
    (`figure.ref.claimant`) and backlinks through `cited_by("quotes", "speaker")`. Fields
    live in the instance dict so that a template's attribute lookup costs one dict access:
    the instance dict is `fields` itself (at 100,000 records a copy took about 100 MB), and
    everything else is a slot, which wins over a field of the same name as a copy did.
    """

    __slots__ = ("__dict__", "back", "collection", "fields", "id", "json_path", "label", "links",
                 "path", "ref", "rendered", "version")

    def __init__(self, collection: str, record_id: str, fields: dict[str, Any]) -> None:
        self.__dict__ = fields
        self.collection = collection
        self.id = record_id
        self.fields = fields
        self.label = ""
        self.version = ""  # the source record's version: its file's hash and index
        self.path = f"{collection}/{record_id}/"  # the page's URL from the site root
        self.json_path = f"{collection}/{record_id}.json"
        self.ref: dict[str, Any] = {}
        self.back: dict[tuple[str, str], list[Entry]] = {}
        self.links: dict[str, Any] = {}  # link markup by root prefix, made once per depth
        # Components made once per record: markup by (template, root), JSON by (kind, shape).
        self.rendered: dict[tuple[str, str], Any] = {}

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def __reduce__(self) -> Any:
        # A copy or an unpickled entry would get an instance dict of its own, apart from
        # its fields; an entry belongs to one build's model and is never copied.
        raise TypeError("an Entry is neither copied nor pickled")

    def __repr__(self) -> str:
        return f"Entry({self.collection}/{self.id})"

    def referenced(self) -> list[Entry]:
        """The records this one names, field by field (a record named twice comes twice)."""
        found: list[Entry] = []
        for value in self.ref.values():
            if isinstance(value, Entry):
                found.append(value)
            elif isinstance(value, list):
                found.extend(value)
        return found

    def cited_by(self, collection: str, field_name: str) -> list[Entry]:
        """Records of `collection` whose `field_name` points at this record, in order."""
        return self.back.get((collection, field_name), [])


def _date_key(fields: dict[str, Any], name: str) -> tuple[str, str]:
    return (fields.get(f"{name}_start") or "", fields.get(f"{name}_end") or "")


SORT_KEYS: dict[str, Callable[[Entry], Any]] = {
    "events": lambda e: (*_date_key(e.fields, "date"), e.id),
    "figures": lambda e: (*_date_key(e.fields, "as_of"), e.id),
    "quotes": lambda e: (*_date_key(e.fields, "said_on"), e.id),
    "sources": lambda e: (*_date_key(e.fields, "published"), e.id),
    "actors": lambda e: (e.label.casefold(), e.id),
    "places": lambda e: (e.label.casefold(), e.id),
}


def _short(text: str, length: int) -> str:
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


def entry_label(collection: str, fields: dict[str, Any], config: SiteConfig) -> str:
    """The name a record goes by in links and headings."""
    if collection in ("actors", "places"):
        return str(fields.get("name") or fields.get("id"))
    if collection in ("events", "sources"):
        return str(fields.get("title") or fields.get("id"))
    if collection == "quotes":
        return f"“{_short(str(fields.get('text') or ''), QUOTE_LABEL_LENGTH)}”"
    if collection == "figures":
        metric = config.label("metrics", str(fields.get("metric")))
        return f"{metric}: {figure_value(fields)}"
    return str(fields.get("id"))


@dataclass
class SiteModel:
    """All entries by collection and id, each collection also in its natural order."""

    config: SiteConfig
    catalog: Catalog
    entries: dict[str, dict[str, Entry]]
    ordered: dict[str, list[Entry]]
    # Names of records that no record has (a valid fact base has none); while there are any,
    # a record added later may be what one names, so the model is not updated in place.
    missing: int = 0
    # The rows each collection's entries were made from, in table order: the tables stage
    # hands out the very same rows for an unchanged record, so an edit finds its rows by
    # identity (site_model_update.find_changes) without reading every entry.
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def get(self, collection: str, record_id: Any) -> Entry | None:
        if not isinstance(record_id, str):
            return None
        return self.entries.get(collection, {}).get(record_id)

    def count(self) -> int:
        return sum(len(members) for members in self.entries.values())


def unique(items: Iterable[Any]) -> list[Any]:
    """Items in first-seen order, each once (records and charts compare by identity)."""
    seen: dict[int, Any] = {}
    for item in items:
        seen.setdefault(id(item), item)
    return list(seen.values())


def build_model(tables: dict[str, Table], catalog: Catalog, config: SiteConfig) -> SiteModel:
    """Index every record once, then resolve references and backlinks with dict lookups."""
    with collector.paused():
        return _build_model(tables, catalog, config)


def make_entry(collection: str, row: dict[str, Any], record: Any, links: list[Any],
               config: SiteConfig) -> Entry:
    """One record's entry, without its references resolved."""
    fields = dict(row)
    for link in links:
        items = record.fields.get(link.field)
        fields[link.field] = list(items) if isinstance(items, list) else []
    entry = Entry(collection, str(row["id"]), fields)
    entry.version = record.version
    entry.label = entry_label(collection, fields, config)
    return entry


def reference_fields(catalog: Catalog, collection: str, entries: dict[str, Any]
                     ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A collection's fields that name one record and fields that list records, with the
    collection each points to."""
    scalar = [(f.name, f.reference) for f in catalog.main(collection).fields
              if f.reference in entries and not f.derived]
    listed = [(link.field, link.reference) for link in catalog.links_of(collection)
              if link.reference in entries]
    return scalar, listed


def resolve(entry: Entry, scalar: list[tuple[str, str]], listed: list[tuple[str, str]],
            entries: dict[str, dict[str, Entry]]) -> tuple[list[tuple[str, Entry]], int]:
    """Set the entry's references; the (field, record) backlinks to add, each record once per
    field, and how many names found no record."""
    backlinks: list[tuple[str, Entry]] = []
    missing = 0
    for name, target in scalar:
        value = entry.fields.get(name)
        found = entries[target].get(value) if isinstance(value, str) else None
        entry.ref[name] = found
        if found is not None:
            backlinks.append((name, found))
        elif isinstance(value, str):
            missing += 1
    for name, target in listed:
        items = entry.fields.get(name, [])
        found_all = [entries[target][item] for item in items
                     if isinstance(item, str) and item in entries[target]]
        entry.ref[name] = found_all
        missing += sum(1 for item in items if isinstance(item, str)) - len(found_all)
        backlinks.extend((name, found) for found in unique(found_all))
    return backlinks, missing


def _build_model(tables: dict[str, Table], catalog: Catalog, config: SiteConfig) -> SiteModel:
    entries: dict[str, dict[str, Entry]] = {}
    for collection in COLLECTIONS:
        links = [link for link in catalog.links_of(collection)]
        members: dict[str, Entry] = {}
        table = tables[collection]
        for row, (record, _) in zip(table.rows, table.origins, strict=True):
            entry = make_entry(collection, row, record, links, config)
            members[entry.id] = entry
        entries[collection] = members

    # Walking each collection in its own order appends every backlink list already sorted
    # (the sort keys end with the id, so the order is total).
    ordered = {c: sorted(members.values(), key=SORT_KEYS[c]) for c, members in entries.items()}
    missing = 0
    for collection in COLLECTIONS:
        scalar, listed = reference_fields(catalog, collection, entries)
        for entry in ordered[collection]:
            backlinks, unfound = resolve(entry, scalar, listed, entries)
            missing += unfound
            for name, found in backlinks:
                found.back.setdefault((collection, name), []).append(entry)
    return SiteModel(config, catalog, entries, ordered, missing, table_rows(tables))


def table_rows(tables: dict[str, Table]) -> dict[str, list[dict[str, Any]]]:
    """A copy of the list of rows of each collection's table (SiteModel.rows)."""
    return {collection: list(tables[collection].rows) for collection in COLLECTIONS}
