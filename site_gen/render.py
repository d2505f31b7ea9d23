"""Render stage: the site model, then every page, feed and record file of the website."""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from typing import Any

from jinja2 import Environment

from site_gen import collector
from site_gen.memo import Memo
from site_gen.render_errors import template_problems
from site_gen.render_feeds import render_feeds
from site_gen.render_pages import render_pages
from site_gen.render_scope import Before, LastRender
from site_gen.site_model import SiteModel, build_model
from site_gen.validate import Gathered

log = logging.getLogger(__name__)


def site_model(gathered: Gathered) -> SiteModel:
    """The model every page is rendered from: records by id, references and backlinks."""
    assert gathered.config is not None and gathered.catalog is not None
    return build_model(gathered.tables, gathered.catalog, gathered.config)


def render_site(gathered: Gathered, charts: Any, env: Environment,
                model: SiteModel | None = None, memo: Memo | None = None,
                fingerprint: str = "",
                files: MutableMapping[str, bytes] | None = None,
                last: list[LastRender | None] | None = None,
                before: Before | None = None, one_off: bool = False,
                meanwhile: Callable[[], None] | None = None) -> MutableMapping[str, bytes]:
    """Every page of the site (HTML, record JSON, feed, sitemap, robots, 404) by output path,
    put into `files` (empty until now; it may write each page to disk as it comes and keep
    only the paths) or a new dict.

    With a memo, pages made from unchanged inputs are left out and listed in `memo.kept`;
    `last` lets a long-lived builder walk only the record pages an edit reaches (`before`:
    what its model showed before render_model updated it in place). `one_off`: no later
    render reuses this one's cards, so those of the index pages go before the record pages
    are made (render_pages.drop_shallow_cards). `meanwhile` is called once while children
    make the record pages, or after them if none is forked: in a one-off build, the data
    stage."""
    model = model or site_model(gathered)
    # Rendering allocates much and frees little: keep the collector off the model's objects.
    with collector.frozen(), template_problems(gathered.project):
        files = render_pages(model, charts, env, memo, fingerprint, files, last, before,
                             gathered.records.fingerprint, one_off, meanwhile)
        pages = [*files, *(memo.kept if memo is not None else ())]
        files.update(render_feeds(model, env, pages, gathered.built, memo, fingerprint))
    log.info("rendered %d files for %d records", len(files), model.count())
    return files


def release_cards(model: SiteModel, memo: Memo) -> None:
    """Free the component markup a render kept on each record (and in the memo) once no later
    render in this process can reuse it: at 100,000 records it holds over 200 MB that the
    data and search stages would otherwise carry."""
    memo.components = {}
    for members in model.ordered.values():
        for entry in members:
            entry.rendered = {}
            entry.links = {}
