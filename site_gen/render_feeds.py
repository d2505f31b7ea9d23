"""Site furniture outside the page tree: the Atom feed, sitemap, robots.txt and the 404 page.

These are the only outputs with absolute URLs, and they take them from base_url alone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, overload
from urllib.parse import urlsplit

from jinja2 import Environment
from markupsafe import Markup

from site_gen.config import SiteConfig
from site_gen.filters import date_label, url_of
from site_gen.memo import Memo, digest
from site_gen.site_model import Entry, SiteModel
from site_gen.theme import base_context

log = logging.getLogger(__name__)

EXTRA_PAGES = ("data/index.html",)  # rendered by the data stage, listed in the sitemap
FEED_ENTRY = "includes/feed_entry.xml"
UPDATED = "\x00updated\x00"  # stands in for the feed time in cached entries


def atom_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(config: SiteConfig, path: str) -> str:
    """A permanent Atom id: the absolute URL, or a name-based UUID when there is no base_url."""
    if config.base_url:
        return config.base_url + path
    return uuid.uuid5(uuid.NAMESPACE_URL, f"site-gen:{config.dataset.name}:{path}").urn


def feed_entry(config: SiteConfig, event: Entry) -> dict[str, Any]:
    fields = event.fields
    parts = [date_label(fields.get("date")), config.label("event_types", str(fields["type"])),
             str(fields.get("status") or "")]
    summary = " · ".join(p for p in parts if p)
    if fields.get("summary"):
        summary += f". {fields['summary']}"
    claimed = [a.label for a in event.ref.get("claimed_by", [])]
    disputed = [a.label for a in event.ref.get("disputed_by", [])]
    if claimed:
        summary += f" Claimed by {', '.join(claimed)}."
    if disputed:
        summary += f" Disputed by {', '.join(disputed)}."
    return {
        "id": entry_id(config, event.path),
        "title": fields.get("title") or event.id,
        "url": (config.base_url + event.path) if config.base_url else event.path,
        "summary": summary,
        "categories": [fields["type"], *fields.get("tags", [])],
    }


class FeedEntries(Sequence[dict[str, Any]]):
    """The feed's entries as dicts, made only if a project's own feed.xml loops over them."""

    def __init__(self, config: SiteConfig, events: list[Entry]) -> None:
        self.config, self.events = config, events

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [feed_entry(self.config, event) for event in self.events[index]]
        return feed_entry(self.config, self.events[index])

    def __len__(self) -> int:
        return len(self.events)


def entries_markup(config: SiteConfig, env: Environment, events: list[Entry],
                   updated: str) -> Markup:
    """Every event's <entry>, each rendered once per record version and kept with the
    record's other components (Entry.rendered), so an edit renders only its own.

    The feed time changes with every edit, so entries are rendered with a stand-in for it
    that no text can contain (the xml filter drops NUL) and it is put in afterwards."""
    template = env.get_template(FEED_ENTRY)
    key = (FEED_ENTRY, "")
    parts = []
    for event in events:
        markup = event.rendered.get(key)
        if markup is None:
            markup = event.rendered[key] = template.render(entry=feed_entry(config, event),
                                                           updated=UPDATED)
        parts.append(markup)
    return Markup("".join(parts).replace(UPDATED, updated))


def render_feeds(model: SiteModel, env: Environment, pages: Iterable[str],
                 built: datetime, memo: Memo | None = None,
                 fingerprint: str = "") -> dict[str, bytes]:
    """feed.xml, robots.txt, 404.html and, when the site has a base_url, sitemap.xml of the
    `pages` (every output path so far, in any order).

    With a memo, a sitemap of the same pages under the same site (`fingerprint`, which
    holds the base URL and the templates) is left out and kept from the last build."""
    config = model.config
    files: dict[str, bytes] = {}
    events = list(reversed(model.ordered["events"]))
    updated = atom_time(built)
    files["feed.xml"] = env.get_template("feed.xml").render(
        site=config, updated=updated, feed_id=entry_id(config, ""),
        entries=FeedEntries(config, events),
        entries_markup=entries_markup(config, env, events, updated)).encode("utf-8")

    sitemap = ""
    if config.base_url:
        html = sorted({*(p for p in pages if p.endswith(".html") and p != "404.html"),
                       *EXTRA_PAGES})
        key = "sitemap.xml:" + digest([fingerprint, "\n".join(html)])
        if memo is None or not memo.keep("sitemap.xml", key):
            urls = [config.base_url + url_of(path) for path in html]
            files["sitemap.xml"] = env.get_template("sitemap.xml").render(
                urls=urls).encode("utf-8")
        sitemap = config.base_url + "sitemap.xml"
    else:
        log.info("no base_url: sitemap.xml needs absolute URLs, so it is not written")
    files["robots.txt"] = env.get_template("robots.txt").render(sitemap=sitemap).encode("utf-8")

    # The 404 page is served at any depth: its links start from the site's own path.
    context = base_context(config, "404.html")
    context["root"] = (urlsplit(config.base_url).path or "/") if config.base_url else "/"
    context["canonical"] = ""
    files["404.html"] = env.get_template("404.html").render(context).encode("utf-8")
    return files
