"""What each page shows, computed from the site model: groupings, roles and page contexts.

Templates only loop and test; every grouping, order and choice is made here.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from site_gen.filters import humanize
from site_gen.identity import same_items
from site_gen.site_model import SORT_KEYS, Entry, SiteModel, unique

EVENT_ROLES = (("actors", "involved"), ("claimed_by", "claims"), ("disputed_by", "disputes"))
LATEST = 5
HEADLINE_CHARTS = 3
# The other claims of its group that a figure page shows in full. A quantity tracked daily
# by several claimants gathers hundreds of claims, and a page listing them all makes the
# figure pages grow with the square of the group; ten neighbours in time are enough to
# compare, and the figures index lists the whole group.
NEAREST_CLAIMS = 10
COLLECTION_TITLES = {"events": "Events", "figures": "Figures", "quotes": "Quotes",
                     "actors": "Actors", "places": "Places", "sources": "Sources"}


class ChartIndex:
    """The build's charts by figure id and by kind, so that no page scans every chart."""

    def __init__(self, charts: Any) -> None:
        self.by_figure: dict[str, list[Any]] = {}
        self.by_kind: dict[str, list[Any]] = {}
        for chart in charts.charts:
            self.by_kind.setdefault(chart.kind, []).append(chart)
            for figure_id in chart.figure_ids:
                self.by_figure.setdefault(figure_id, []).append(chart)

    def for_figure(self, figure_id: str) -> list[Any]:
        return self.by_figure.get(figure_id, [])

    def of_kind(self, kind: str) -> list[Any]:
        return self.by_kind.get(kind, [])


def nearest_claims(group: list[Entry], entry: Entry,
                   bound: int = NEAREST_CLAIMS) -> list[Entry]:
    """Up to `bound` members of a group (sorted by SORT_KEYS["figures"]) other than `entry`:
    those just before and just after it by date, in the group's order."""
    if len(group) <= bound + 1:
        return [member for member in group if member is not entry]
    key = SORT_KEYS["figures"]
    at = bisect_left(group, key(entry), key=key)
    start = min(max(at - bound // 2, 0), len(group) - bound - 1)
    return [member for member in group[start:start + bound + 1] if member is not entry]


def group_chart(charts: list[Any], slug: str) -> Any:
    """The first of a figure's charts that plots its whole group, or None."""
    return next((chart for chart in charts if getattr(chart, "group", None) == slug), None)


def figure_charts(charts: ChartIndex, figures: Iterable[Entry]) -> list[Any]:
    return unique(chart for figure in figures for chart in charts.for_figure(figure.id))


@dataclass
class FigureGroup:
    """Figures measuring the same quantity, shown side by side with their charts."""

    slug: str
    title: str
    figures: list[Entry]
    charts: list[Any] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"group-{self.slug}"


@dataclass
class MetricSection:
    slug: str
    label: str
    groups: list[FigureGroup]
    ungrouped: list[Entry]
    ungrouped_charts: list[Any] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"metric-{self.slug}"


def group_title(figures: list[Entry], slug: str, charts: list[Any]) -> str:
    for chart in charts:
        if getattr(chart, "group", None) == slug and getattr(chart, "title", ""):
            return str(chart.title)
    subjects = unique(f.fields.get("subject") for f in figures if f.fields.get("subject"))
    return str(subjects[0]) if len(subjects) == 1 else humanize(slug)


def metric_sections(model: SiteModel, charts: ChartIndex) -> list[MetricSection]:
    """Figures per metric (site.yaml's order) and per group, competing claims together."""
    by_metric: dict[str, dict[str | None, list[Entry]]] = {}
    for figure in model.ordered["figures"]:
        metric = str(figure.fields.get("metric"))
        by_metric.setdefault(metric, {}).setdefault(figure.fields.get("group"), []).append(figure)
    vocabulary = list(model.config.vocabularies.get("metrics", {}))
    order = [m for m in vocabulary if m in by_metric] + sorted(set(by_metric) - set(vocabulary))
    sections = []
    for metric in order:
        groups = []
        for slug, figures in sorted(by_metric[metric].items(), key=lambda kv: kv[0] or ""):
            if slug is None:
                continue
            found = figure_charts(charts, figures)
            groups.append(FigureGroup(slug, group_title(figures, slug, found), figures, found))
        ungrouped = by_metric[metric].get(None, [])
        sections.append(MetricSection(metric, model.config.label("metrics", metric), groups,
                                      ungrouped, figure_charts(charts, ungrouped)))
    return sections


def group_members(model: SiteModel) -> dict[str, list[Entry]]:
    groups: dict[str, list[Entry]] = {}
    for figure in model.ordered["figures"]:
        slug = figure.fields.get("group")
        if slug:
            groups.setdefault(str(slug), []).append(figure)
    return groups


@dataclass
class FigureViews:
    """The views made from the figures and the charts alone: the figures of each group, and
    the figures index's sections. A long-lived builder keeps them while the figures and the
    charts are the very same objects in the same order under the same site (`fingerprint`):
    an edited record gets a new entry, and a chart made again a new chart."""

    fingerprint: str
    figures: list[Entry]
    charts: list[Any]
    groups: dict[str, list[Entry]]
    sections: list[MetricSection] | None = None

    @staticmethod
    def of(model: SiteModel, charts: Any, fingerprint: str,
           last: FigureViews | None = None) -> FigureViews:
        figures = list(model.ordered["figures"])
        made = list(getattr(charts, "charts", []))
        if last is not None and last.fingerprint == fingerprint \
                and same_items(figures, last.figures) and same_items(made, last.charts):
            return last
        return FigureViews(fingerprint, figures, made, group_members(model))

    def metric_sections(self, model: SiteModel, charts: ChartIndex) -> list[MetricSection]:
        if self.sections is None:
            self.sections = metric_sections(model, charts)
        return self.sections


def actor_events(actor: Entry) -> list[tuple[Entry, list[str]]]:
    """The events an actor is in, each with the actor's roles (involved, claims, disputes)."""
    roles: dict[int, tuple[Entry, list[str]]] = {}
    for field_name, role in EVENT_ROLES:
        for event in actor.cited_by("events", field_name):
            roles.setdefault(id(event), (event, []))[1].append(role)
    return sorted(roles.values(), key=lambda pair: SORT_KEYS["events"](pair[0]))


def date_range(events: list[Entry]) -> str:
    """The span the events cover as a date text ("2022-02-24/2022-03-02"), or ""."""
    if not events:
        return ""
    first = min(events, key=lambda e: (e.fields.get("date_start") or "", e.id))
    last = max(events, key=lambda e: (e.fields.get("date_end") or "", e.id))
    start = str(first.fields["date"]).split("/")[0]
    end = str(last.fields["date"]).split("/")[-1]
    return start if start == end else f"{start}/{end}"


def headline(model: SiteModel, charts: ChartIndex,
             groups: dict[str, list[Entry]]) -> list[tuple[Any, list[Entry]]]:
    """The figure charts with the most claims, each with its group's figures (or its own)."""
    ranked = sorted(charts.of_kind("figures"), key=lambda c: (-len(c.figure_ids), c.id))
    result = []
    for chart in ranked[:HEADLINE_CHARTS]:
        if chart.group and chart.group in groups:
            figures = groups[chart.group]
        else:
            found = [model.get("figures", i) for i in chart.figure_ids]
            figures = sorted((f for f in found if f is not None), key=SORT_KEYS["figures"])
        result.append((chart, figures))
    return result


def home_context(model: SiteModel, charts: ChartIndex,
                 groups: dict[str, list[Entry]] | None = None) -> dict[str, Any]:
    """The home page's context; `groups` are group_members(model), when already known."""
    events = model.ordered["events"]
    return {
        "counts": [(c, COLLECTION_TITLES[c], len(model.entries[c])) for c in COLLECTION_TITLES],
        "date_range": date_range(events),
        "latest_events": list(reversed(events[-LATEST:])),
        "headline": headline(model, charts,
                             group_members(model) if groups is None else groups),
        "recent_quotes": list(reversed(model.ordered["quotes"][-LATEST:])),
    }


def timeline_context(model: SiteModel) -> dict[str, Any]:
    """Events grouped by their date at its precision, plus per-type and per-status sections."""
    days: list[tuple[str, list[Entry]]] = []
    for event in model.ordered["events"]:
        text = str(event.fields["date"])
        if days and days[-1][0] == text:
            days[-1][1].append(event)
        else:
            days.append((text, [event]))
    types = list(model.config.vocabularies.get("event_types", {}))
    by_type: dict[str, list[Entry]] = {}
    by_status: dict[str, list[Entry]] = {}
    for event in model.ordered["events"]:
        by_type.setdefault(str(event.fields["type"]), []).append(event)
        by_status.setdefault(str(event.fields["status"]), []).append(event)
    statuses = ["reported", "claimed", "disputed", "confirmed", "denied"]
    return {
        "days": days,
        "by_type": [(t, by_type[t]) for t in types + sorted(set(by_type) - set(types))
                    if t in by_type],
        "by_status": [(s, by_status[s]) for s in statuses + sorted(set(by_status) - set(statuses))
                      if s in by_status],
    }


def actors_by_kind(model: SiteModel) -> list[tuple[str, list[Entry]]]:
    kinds: dict[str, list[Entry]] = {}
    for actor in model.ordered["actors"]:
        kinds.setdefault(str(actor.fields.get("kind")), []).append(actor)
    order = ["government", "organization", "group", "person"]
    return [(k, kinds[k]) for k in order + sorted(set(kinds) - set(order)) if k in kinds]


def record_context(model: SiteModel, charts: ChartIndex, entry: Entry,
                   groups: dict[str, list[Entry]]) -> dict[str, Any]:
    """The extra lists a record's page shows beside its own fields."""
    if entry.collection == "events":
        return {"figures": entry.cited_by("figures", "event"),
                "quotes": entry.cited_by("quotes", "event")}
    if entry.collection == "figures":
        return figure_context(charts, entry, groups)
    if entry.collection == "actors":
        return {"quotes": entry.cited_by("quotes", "speaker"),
                "addressed": entry.cited_by("quotes", "audience"),
                "figures": entry.cited_by("figures", "claimant"),
                "events": actor_events(entry),
                "published": entry.cited_by("sources", "publisher"),
                "contributed": entry.cited_by("sources", "contributors"),
                "members": entry.cited_by("actors", "affiliation")}
    if entry.collection == "places":
        return {"events": entry.cited_by("events", "places"),
                "figures": entry.cited_by("figures", "place"),
                "charts": list(charts.of_kind("map"))[:1]}
    if entry.collection == "sources":
        return {"events": entry.cited_by("events", "sources"),
                "figures": entry.cited_by("figures", "source"),
                "quotes": entry.cited_by("quotes", "source")}
    return {}


def figure_context(charts: ChartIndex, entry: Entry,
                   groups: dict[str, list[Entry]]) -> dict[str, Any]:
    """A figure page's lists: what supersedes it, its charts, and the nearest other claims of
    its group with the size of the group when not all are shown."""
    slug = entry.fields.get("group")
    group = groups.get(str(slug), []) if slug else []
    competing = nearest_claims(group, entry)
    own_charts = list(charts.for_figure(entry.id))
    more = len(competing) < len(group) - 1
    return {"superseded_by": entry.cited_by("figures", "supersedes"),
            "competing": competing, "charts": own_charts,
            "group_size": len(group) if more else 0,
            "group_chart": group_chart(own_charts, str(slug)) if more else None}
