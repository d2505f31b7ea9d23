"""Which record pages and cards an edit can change, so that a long-lived builder walks those
alone and keeps every other record page's key from the last build.

A record page shows (render_pages.PageWriter.shown) the cards of its record and of the
records its context lists: its backlinks and, for a figure, the other claims of its group,
the figures that supersede it and its charts. A card shows its record, the records that
record names, the records those name, and (CARD_BACKLINKS) the figures that supersede it.
So a changed record C can reach only the cards of C, of the records C's card backlinks
point to, of the records naming C and of those naming them; and only the pages of those
records, of the records they name and of their group's other claims. Both the last
model and this one are walked, so that links an edit removed count as well as links it
added. A chart that changed reaches the pages of the figures it plots, and a map, every
place's page (views.record_context). Anything else (the site fingerprint, the order of the
charts) falls back to walking every record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from site_gen.memo import Memo, chart_key
from site_gen.site_model import Entry, SiteModel
from site_gen.views import group_members

Key = tuple[str, str]  # (collection, id)
ChartInfo = tuple[str, str, str, tuple[str, ...]]  # id, key, kind, figure ids
CARD_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    # A changed figure reaches the cards of the figures it supersedes (their cards list it).
    "figures": (("supersedes", "figures"),),
}
# Past this share of the records, the scope saves little over walking them all.
MOST = 0.5


@dataclass
class LastRender:
    """What the last successful render was made from, for the next build to compare."""

    model: SiteModel
    fingerprint: str
    charts: list[ChartInfo]
    memo: Memo | None = None  # the memo of the build after it; set once the build succeeded
    # Each chart's key by id, with the chart it was made from: a chart stage that keeps a
    # chart hands out the same (frozen) object again, whose key needs no second digest.
    chart_keys: dict[str, tuple[Any, str]] = field(default_factory=dict)
    # The key of every record's page and JSON, by path: what the next render keeps, in one
    # dict operation, for the records outside its scope.
    records: dict[str, str] = field(default_factory=dict)
    # The views made from its figures and charts alone (views.FigureViews).
    figure_views: Any = None


@dataclass
class Before:
    """The changed records, and the cards and pages that showed them in the last model."""

    changed: set[Key]
    cards: set[Key]
    pages: set[Key]


@dataclass
class Scope:
    """The records whose cards and whose pages an edit may have changed."""

    cards: set[Key] = field(default_factory=set)
    pages: set[Key] = field(default_factory=set)


def _key(entry: Entry) -> Key:
    return (entry.collection, entry.id)


def _versions(model: SiteModel) -> dict[Key, str]:
    return {(c, i): e.version for c, members in model.entries.items() for i, e in members.items()}


def changed_records(old: SiteModel, new: SiteModel) -> set[Key]:
    """Records added, removed or of another version."""
    before, after = _versions(old), _versions(new)
    found = {key for key, version in after.items() if before.get(key) != version}
    found.update(key for key in before if key not in after)
    return found


def _backs(entry: Entry) -> Iterable[Entry]:
    for members in entry.back.values():
        yield from members


def card_holders(entry: Entry) -> set[Key]:
    """The records whose card shows `entry`: itself, the records naming it and those naming
    them, and the records whose card lists it as a backlink (CARD_SOURCES)."""
    found = {_key(entry)}
    for field_name, collection in CARD_SOURCES.get(entry.collection, ()):
        value = entry.ref.get(field_name)
        for target in [value] if isinstance(value, Entry) else value or []:
            if target.collection == collection:
                found.add(_key(target))
    for first in _backs(entry):
        found.add(_key(first))
        for second in _backs(first):
            found.add(_key(second))
    return found


def page_holders(model: SiteModel, cards: set[Key], groups: dict[str, list[Entry]]) -> set[Key]:
    """The records whose page shows one of `cards`: each card's own record, the records it
    names (the card is among their backlinks) and a figure's other claims of its group."""
    found: set[Key] = set()
    for collection, record_id in cards:
        entry = model.entries.get(collection, {}).get(record_id)
        if entry is None:
            continue
        found.add((collection, record_id))
        found.update(_key(target) for target in entry.referenced())
        slug = entry.fields.get("group") if collection == "figures" else None
        if slug:
            found.update(_key(member) for member in groups.get(str(slug), []))
    return found


def chart_keys(charts: Any, last: LastRender | None) -> dict[str, tuple[Any, str]]:
    """Each chart's key (memo.chart_key) by id, with the chart, reusing the last render's for
    the very same chart objects."""
    known = last.chart_keys if last is not None else {}
    found: dict[str, tuple[Any, str]] = {}
    for chart in getattr(charts, "charts", []):
        hit = known.get(chart.id)
        found[chart.id] = hit if hit is not None and hit[0] is chart else (chart, chart_key(chart))
    return found


def chart_infos(charts: Any, keys: dict[str, str]) -> list[ChartInfo]:
    return [(c.id, keys.get(c.id, ""), c.kind, tuple(c.figure_ids))
            for c in getattr(charts, "charts", [])]


def _chart_pages(model: SiteModel, old: list[ChartInfo], new: list[ChartInfo]
                 ) -> set[Key] | None:
    """The pages a chart added, removed or changed reaches: the figures it plots, and every
    place for a map. None when charts kept on both sides changed their order."""
    before, after = {info[0]: info for info in old}, {info[0]: info for info in new}
    if [i for i in before if i in after] != [i for i in after if i in before]:
        return None
    found: set[Key] = set()
    for chart_id in before.keys() | after.keys():
        infos = [info for info in (before.get(chart_id), after.get(chart_id)) if info]
        if len(infos) == 2 and infos[0] == infos[1]:
            continue
        for _, _, kind, figure_ids in infos:
            found.update(("figures", figure_id) for figure_id in figure_ids)
            if kind == "map":
                found.update(("places", place_id) for place_id in model.entries.get("places", {}))
    return found


def usable(last: LastRender | None, memo: Memo | None, fingerprint: str) -> bool:
    """Whether the last render is the one the memo's keys came from, with the same site."""
    return (last is not None and memo is not None and last.memo is memo
            and bool(memo.previous) and last.fingerprint == fingerprint)


def cards_of(model: SiteModel, changed: Iterable[Key]) -> set[Key]:
    """The records whose cards show one of the changed records, in `model`."""
    cards: set[Key] = set()
    for collection, record_id in changed:
        entry = model.entries.get(collection, {}).get(record_id)
        if entry is not None:
            cards |= card_holders(entry)
    return cards


def old_side(model: SiteModel, changed: set[Key]) -> Before:
    """The cards and pages that showed the changed records in the last model, before it is
    updated in place. The pages of a card only the new model shows are its pages there
    (page_holders): the record is unchanged, so it names the same records, and a figure
    that left its group is itself changed, its old group among its old pages."""
    cards = cards_of(model, changed)
    groups = group_members(model) if any(c == "figures" for c, _ in cards) else {}
    return Before(changed, cards, page_holders(model, cards, groups))


def edit_scope(last: LastRender | None, memo: Memo | None, fingerprint: str, model: SiteModel,
               charts: list[ChartInfo], groups: dict[str, list[Entry]],
               before: Before | None = None) -> Scope | None:
    """The scope of the edit since the last render, or None when every record must be walked
    (no last render, another build since, another fingerprint, charts reordered, or so many
    records reached that a scope saves nothing). `before` is the last model's side, taken
    (by render_model, which checked the last render was usable) before the model was
    updated in place; without it the last model is compared whole."""
    if last is None or (before is None and not usable(last, memo, fingerprint)):
        return None
    chart_pages = _chart_pages(model, last.charts, charts)
    if chart_pages is None:
        return None
    if before is None:
        if last.model is model:
            return None
        before = old_side(last.model, changed_records(last.model, model))
    scope = Scope(before.cards | cards_of(model, before.changed))
    scope.pages = before.pages | page_holders(model, scope.cards, groups) | chart_pages
    if len(scope.pages) > MOST * model.count():
        return None
    return scope
