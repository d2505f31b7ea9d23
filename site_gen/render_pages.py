"""The HTML pages: home, timeline, search, an index per collection and a page per record.

Each record also gets its JSON twin at `<collection>/<id>.json`, linked from its page.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, MutableMapping
from typing import Any

from jinja2 import Environment, Template

from site_gen.fork import in_two
from site_gen.jsonld import record_json, record_ld
from site_gen.memo import Memo, digest, entry_key
from site_gen.memory import give_back
from site_gen.render_scope import (
    Before,
    LastRender,
    Scope,
    chart_infos,
    chart_keys,
    edit_scope,
)
from site_gen.site_model import Entry, SiteModel, unique
from site_gen.theme import base_context
from site_gen.views import (
    ChartIndex,
    FigureViews,
    actors_by_kind,
    home_context,
    record_context,
    timeline_context,
)

RECORD_TEMPLATES = {"events": "event.html", "figures": "figure.html", "quotes": "quote.html",
                    "actors": "actor.html", "places": "place.html", "sources": "source.html"}


_VERSION = operator.attrgetter("version")
SHALLOW = "../"  # the root of a page one folder deep, as base_context gives it

# Backlinks that a record's card shows wherever it appears (includes/figure_card.html lists
# the figures that supersede a figure); a page showing the card depends on them too.
CARD_BACKLINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "figures": (("figures", "supersedes"),),
}


def everything_key(model: SiteModel, fingerprint: str, chart_keys: dict[str, str],
                   content: str = "") -> str:
    """The key of the pages about the whole fact base: the site, every chart and every
    record. `content` is the records' fingerprint (Records.fingerprint: every record file's
    path and bytes), when known; else the version of every record, by collection in page
    order, stands for them (a version names the record's file bytes and its place there)."""
    versions = [content] if content else [
        f"{collection}\x00" + "\x00".join(map(_VERSION, members))
        for collection, members in model.ordered.items()]
    return digest([fingerprint, *versions, *sorted(chart_keys.values())])


class PageWriter:
    """Renders pages into the output mapping with the context base.html needs.

    With a memo, a page whose key (its template and the versions of what it shows) matches
    the previous build's is not rendered again: the write stage keeps the previous file.
    """

    def __init__(self, model: SiteModel, env: Environment, files: MutableMapping[str, bytes],
                 memo: Memo | None = None, fingerprint: str = "",
                 chart_keys: dict[str, str] | None = None, content: str = "",
                 views: FigureViews | None = None) -> None:
        self.model = model
        self.env = env
        self.files = files
        self.memo = memo
        self.fingerprint = fingerprint
        self.chart_keys = chart_keys or {}
        self.everything = everything_key(model, fingerprint, self.chart_keys,
                                         content) if memo else ""
        self._templates: dict[str, Template] = {}
        self._near_cache: dict[int, frozenset[int]] = {}
        self._signatures: dict[int, int] = {}
        self._card_keys: dict[int, str] = {}
        # With a scope, only its records' pages are walked; the rest keep their last keys.
        self.scope: Scope | None = None
        self.one_off = False  # no later render in this process: none keeps what it makes
        # Called while the record pages are made (fork.in_two), once, if given.
        self.meanwhile: Callable[[], None] | None = None
        # The figures of each group and the figures index's sections, worked out once per
        # render (or kept from the last one) for every page that needs them.
        self.views = views or FigureViews.of(model, None, fingerprint)
        self.groups = self.views.groups
        # In a long-lived builder: the key of each record's page and JSON, by path, for the
        # next render (`last`), and the last render's (`last_records`), with a scope.
        self.last: LastRender | None = None
        self.records: dict[str, str] = {}
        self.last_records: dict[str, str] = {}

    def template(self, name: str) -> Template:
        if name not in self._templates:
            self._templates[name] = self.env.get_template(name)
        return self._templates[name]

    def unchanged(self, path: str, template: str, shown: list[str] | None) -> bool:
        """Whether the previous build's `path` was made from the same template and records."""
        if self.memo is None:
            return False
        base = self.everything if shown is None else digest([self.fingerprint, *shown])
        return self.memo.keep(path, f"{template}:{base}")

    def shown(self, entry: Entry, context: dict[str, Any]) -> list[str]:
        """Versions of what a record's page shows: the record, the records it names and
        that name it, and the names those cards show in turn; its charts; and the counts and
        words its context gives beside them."""
        signatures: set[int] = set(self._near(entry))
        charts: set[str] = set()
        plain: list[str] = []
        for name, value in context.items():
            if isinstance(value, int | str):
                plain.append(f"{name}={value}")
                continue
            for item in value if isinstance(value, list) else [value]:
                target = item[0] if isinstance(item, tuple) else item
                if isinstance(target, Entry):
                    signatures |= self._near(target)
                elif hasattr(target, "spec_path"):
                    charts.add(self.chart_keys.get(target.id, target.id))
        # An order-free sum of 64-bit signatures: one number for the set, cheap to make.
        total = sum(signatures) % (1 << 64)
        return [f"{total:016x}/{len(signatures)}", *sorted(charts), *plain]

    def reuse_components(self) -> None:
        """Give each record the component markup that the previous render made from the same
        site, the same record and the same records its card shows."""
        if self.memo is None:
            return
        previous = self.memo.components
        if previous:
            for members in self.model.ordered.values():
                for entry in members:
                    found = previous.get(self._card_key(entry))
                    if found is not None:
                        entry.rendered = found

    def carry_components(self, last: SiteModel, scope: Scope) -> None:
        """Give each record outside the scope's cards the component markup of the same
        record in the last render: its card shows the same records as then."""
        for collection, members in self.model.entries.items():
            before = last.entries.get(collection, {})
            for record_id, entry in members.items():
                old = before.get(record_id)
                if old is not None and (collection, record_id) not in scope.cards:
                    entry.rendered = old.rendered

    def keep_components(self) -> None:
        """Leave this render's component markup in the memo, for the next render (a scoped
        render leaves the last full one's: its keys name the content, so none goes stale)."""
        if self.memo is None or self.scope is not None:
            return
        self.memo.components = {self._card_key(entry): entry.rendered
                                for members in self.model.ordered.values()
                                for entry in members if entry.rendered}

    def _card_key(self, entry: Entry) -> str:
        key = self._card_keys.get(id(entry))
        if key is None:
            near = self._near(entry)
            key = f"{self.fingerprint}/{entry_key(entry)}/{sum(near) % (1 << 64):016x}/{len(near)}"
            self._card_keys[id(entry)] = key
        return key

    def _near(self, entry: Entry) -> frozenset[int]:
        """Signatures of what a record's card shows: the record, the records it names and
        the records those name, and the backlinks the card lists (CARD_BACKLINKS)."""
        cached = self._near_cache.get(id(entry))
        if cached is None:
            found = {id(entry): entry}
            for collection, field_name in CARD_BACKLINKS.get(entry.collection, ()):
                for later in entry.cited_by(collection, field_name):
                    found[id(later)] = later
            for second in entry.referenced():
                found[id(second)] = second
                for third in second.referenced():
                    found[id(third)] = third
            cached = frozenset(self._signature(e) for e in found.values())
            self._near_cache[id(entry)] = cached
        return cached

    def _signature(self, entry: Entry) -> int:
        signature = self._signatures.get(id(entry))
        if signature is None:
            key = entry_key(entry).encode("utf-8", "surrogatepass")
            signature = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
            self._signatures[id(entry)] = signature
        return signature

    def keep_outside(self, scope: Scope, last: dict[str, str]) -> list[tuple[str, Entry]]:
        """Keep the last build's page and JSON of each record outside the scope's pages,
        under their last keys (`last`, by path: Memo.keep with the key it had); the records
        of the scope's pages, to make.

        Every record is kept on every edit, so this works on the last render's keys as one
        dict rather than record by record: at 10,000 records, reading a path off each
        record alone took longer. A record outside the scope is in the last model too (one
        added or removed is changed, so its pages are in the scope), under the same path."""
        assert self.memo is not None
        keys = dict(last)
        items = []
        for collection, record_id in sorted(scope.pages):
            keys.pop(f"{collection}/{record_id}/index.html", None)
            keys.pop(f"{collection}/{record_id}.json", None)
            entry = self.model.entries.get(collection, {}).get(record_id)
            if entry is not None:
                items.append((RECORD_TEMPLATES[collection], entry))
        self.memo.current.update(keys)
        self.memo.kept.update(keys)
        self.records = keys
        return items

    def page(self, path: str, template: str, shown: list[str] | None = None,
             **context: Any) -> None:
        if not self.unchanged(path, template, shown):
            self.render(path, template, **context)

    def render(self, path: str, template: str, **context: Any) -> None:
        data = base_context(self.model.config, path)
        data.update(context)
        self.files[path] = self.template(template).render(data).encode("utf-8")


def collection_pages(writer: PageWriter, charts: ChartIndex) -> None:
    """The index page of each collection."""
    model = writer.model
    events_charts = list(charts.of_kind("events"))
    writer.page("events/index.html", "list_events.html",
                events=model.ordered["events"], charts=events_charts)
    sections = writer.views.metric_sections(model, charts)
    writer.page("figures/index.html", "list_figures.html", sections=sections,
                figures_count=len(model.ordered["figures"]),
                has_charts=any(s.ungrouped_charts or any(g.charts for g in s.groups)
                               for s in sections))
    writer.page("quotes/index.html", "list_quotes.html", quotes=model.ordered["quotes"])
    writer.page("actors/index.html", "list_actors.html", kinds=actors_by_kind(model),
                count=len(model.ordered["actors"]))
    writer.page("places/index.html", "list_places.html", places=model.ordered["places"],
                charts=unique(charts.of_kind("map")))
    writer.page("sources/index.html", "list_sources.html", sources=model.ordered["sources"])


def record_pages(writer: PageWriter, charts: ChartIndex) -> None:
    """A page and a JSON file per record; a cold build renders them in two processes."""
    model, config, memo = writer.model, writer.model.config, writer.memo
    groups = writer.groups

    def make(item: tuple[str, Entry]) -> list[str]:
        template, entry = item
        context = record_context(model, charts, entry, groups)
        # The page and its JSON twin show the same records: one key serves both.
        base = "" if memo is None else digest([writer.fingerprint,
                                               *writer.shown(entry, context)])
        page = f"{entry.path}index.html"
        if memo is None or not memo.keep(page, f"{template}:{base}"):
            writer.render(page, template, entry=entry, jsonld=record_ld(config, entry),
                          **context)
        if memo is None or not memo.keep(entry.json_path, f"record.json:{base}"):
            writer.files[entry.json_path] = record_json(config, entry)
        return [page, entry.json_path]

    if writer.scope is not None and writer.last_records:
        items = writer.keep_outside(writer.scope, writer.last_records)
    else:
        items = [(template, entry) for collection, template in RECORD_TEMPLATES.items()
                 for entry in model.ordered[collection]]
    in_two(items, make, writer.files, memo, stay=not writer.one_off, meanwhile=writer.meanwhile)
    if memo is not None and writer.last is not None:  # a long-lived builder keeps them
        current = memo.current
        writer.records.update((path, current[path]) for _, entry in items
                              for path in (f"{entry.path}index.html", entry.json_path))


def site_pages(writer: PageWriter, charts: ChartIndex) -> None:
    writer.page("index.html", "home.html", **home_context(writer.model, charts,
                                                             writer.groups))
    writer.page("timeline/index.html", "timeline.html", **timeline_context(writer.model))
    writer.page("search/index.html", "search.html")


def drop_shallow_cards(model: SiteModel) -> None:
    """In a one-off build, let go of the cards that the pages one folder deep (the indexes)
    showed before the record pages, two deep, are made: those show other cards, and no later
    render in this process reuses these. At 100,000 records they hold about 75 MB, which the
    forked renderer would otherwise start with."""
    for members in model.ordered.values():
        for entry in members:
            if entry.rendered:
                entry.rendered = {key: value for key, value in entry.rendered.items()
                                  if key[1] != SHALLOW}
    give_back()


PAGE_GROUPS: tuple[Callable[[PageWriter, ChartIndex], None], ...] = (
    site_pages, collection_pages, record_pages)


def render_pages(model: SiteModel, charts: Any, env: Environment, memo: Memo | None = None,
                 fingerprint: str = "",
                 files: MutableMapping[str, bytes] | None = None,
                 last: list[LastRender | None] | None = None,
                 before: Before | None = None, content: str = "", one_off: bool = False,
                 meanwhile: Callable[[], None] | None = None) -> MutableMapping[str, bytes]:
    """Every HTML page of the site and every record's JSON, keyed by output path, put into
    `files` (which may write each to disk as it comes) or a new dict.

    With a memo, pages whose inputs are unchanged are left out of the result and listed in
    `memo.kept`. With `last` (a one-item list: the last render of a long-lived builder, or
    None), only the record pages an edit can reach are walked (render_scope), and the item
    is replaced by this render, for the next; `before` comes with a model updated in place
    (render_model), whose records already carry the markup they may keep. `content` is
    the fingerprint of the records the model was made from (Records.fingerprint). With
    `one_off`, no later render reuses the cards: those of the pages one folder deep go
    before the record pages are made. `meanwhile` is called once while children make the
    record pages, or after them if none is forked."""
    files = {} if files is None else files
    made = chart_keys(charts, last[0] if last is not None else None) if memo is not None else {}
    keys = {chart_id: key for chart_id, (_, key) in made.items()}
    previous = last[0] if last is not None else None
    views = FigureViews.of(model, charts, fingerprint,
                           previous.figure_views if previous is not None else None)
    writer = PageWriter(model, env, files, memo, fingerprint, keys, content, views)
    writer.one_off, writer.meanwhile = one_off, meanwhile
    if last is not None and memo is not None:
        infos = chart_infos(charts, keys)
        writer.scope = edit_scope(last[0], memo, fingerprint, model, infos,
                                  writer.groups, before)
        if writer.scope is not None and last[0] is not None:
            writer.last_records = last[0].records
            if before is None:
                writer.carry_components(last[0].model, writer.scope)
        last[0] = writer.last = LastRender(model, fingerprint, infos, chart_keys=made,
                                           figure_views=views)
    if writer.scope is None:
        writer.reuse_components()
    index = ChartIndex(charts)
    for group in PAGE_GROUPS:
        if group is record_pages and one_off:
            drop_shallow_cards(model)
        group(writer, index)
    if writer.last is not None:
        writer.last.records = writer.records
    writer.keep_components()
    return files
