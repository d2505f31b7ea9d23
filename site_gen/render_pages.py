"""The HTML pages: home, timeline, search, an index per collection and a page per record.

Each record also gets its JSON twin at `<collection>/<id>.json`, linked from its page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, Template

from site_gen.jsonld import record_json, record_ld
from site_gen.site_model import SiteModel, unique
from site_gen.theme import base_context
from site_gen.views import (
    ChartIndex,
    actors_by_kind,
    group_members,
    home_context,
    metric_sections,
    record_context,
    timeline_context,
)

RECORD_TEMPLATES = {"events": "event.html", "figures": "figure.html", "quotes": "quote.html",
                    "actors": "actor.html", "places": "place.html", "sources": "source.html"}


class PageWriter:
    """Renders pages into the output mapping with the context base.html needs."""

    def __init__(self, model: SiteModel, env: Environment, files: dict[str, bytes]) -> None:
        self.model = model
        self.env = env
        self.files = files
        self._templates: dict[str, Template] = {}

    def template(self, name: str) -> Template:
        if name not in self._templates:
            self._templates[name] = self.env.get_template(name)
        return self._templates[name]

    def page(self, path: str, template: str, **context: Any) -> None:
        data = base_context(self.model.config, path)
        data.update(context)
        self.files[path] = self.template(template).render(data).encode("utf-8")


def collection_pages(writer: PageWriter, charts: ChartIndex) -> None:
    """The index page of each collection."""
    model = writer.model
    events_charts = list(charts.of_kind("events"))
    writer.page("events/index.html", "list_events.html",
                events=model.ordered["events"], charts=events_charts)
    sections = metric_sections(model, charts)
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
    """A page and a JSON file per record."""
    model, config = writer.model, writer.model.config
    groups = group_members(model)
    for collection, template in RECORD_TEMPLATES.items():
        for entry in model.ordered[collection]:
            writer.page(f"{entry.path}index.html", template, entry=entry,
                        jsonld=record_ld(config, entry),
                        **record_context(model, charts, entry, groups))
            writer.files[entry.json_path] = record_json(config, entry)


def site_pages(writer: PageWriter, charts: ChartIndex) -> None:
    writer.page("index.html", "home.html", **home_context(writer.model, charts))
    writer.page("timeline/index.html", "timeline.html", **timeline_context(writer.model))
    writer.page("search/index.html", "search.html")


PAGE_GROUPS: tuple[Callable[[PageWriter, ChartIndex], None], ...] = (
    site_pages, collection_pages, record_pages)


def render_pages(model: SiteModel, charts: Any, env: Environment) -> dict[str, bytes]:
    """Every HTML page of the site and every record's JSON, keyed by output path."""
    files: dict[str, bytes] = {}
    writer = PageWriter(model, env, files)
    index = ChartIndex(charts)
    for group in PAGE_GROUPS:
        group(writer, index)
    return files
