"""One visit of every page type, light on a desktop and dark on a phone, audited by axe.

Each page is loaded, its charts settle (and search shows results), then axe runs inside it.
Running pages side by side measured no faster on two cores: axe and Vega keep both busy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .axe import RUN
from .browser import DESKTOP, PHONE, Guard, close, guarded_page, unwatch, watch
from .site import MISSING, PAGE_TYPES, Site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SCHEMES = (("light", DESKTOP), ("dark", PHONE))
QUERY = "Kherson"
SEARCH_BOX = "#search-input"
RESULT_LINK = ".search-result-link"
# Boxes that scroll sideways, and whether the keyboard can reach them.
SCROLLERS = """() => [...document.querySelectorAll(".table-scroll, .chart-view")]
  .filter(box => box.scrollWidth > box.clientWidth + 1)
  .map(box => ({box: box.className, tabindex: box.getAttribute("tabindex"),
                role: box.getAttribute("role"), label: box.getAttribute("aria-label")}))"""
CHARTS = """() => [...document.querySelectorAll("[data-vl-spec]")].map(holder => ({
  spec: holder.getAttribute("data-vl-spec"),
  state: holder.getAttribute("data-vl-state"),
  view: Boolean(holder.querySelector(".chart-interactive svg, .chart-interactive canvas")),
}))"""
SETTLED = """() => [...document.querySelectorAll("[data-vl-spec]")].every(
  holder => ["drawn", "image"].includes(holder.getAttribute("data-vl-state")))"""
# Audit what a reader can open too: the data tables of the charts.
OPEN_DETAILS = """() => new Promise(done => {
  document.querySelectorAll("details").forEach(details => { details.open = true; });
  requestAnimationFrame(() => requestAnimationFrame(done));
})"""
# Elements that stick out of the viewport without a scrolling box around them.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => ["auto", "scroll", "hidden", "clip"]
    .includes(getComputedStyle(el).overflowX);
  const inScroller = el => { for (let up = el.parentElement; up && up !== document.body;
                                   up = up.parentElement) { if (scrolls(up)) return true; }
                             return false; };
  const wide = [...document.body.querySelectorAll("*")].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && !inScroller(el);
  }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : "")
                       + " right=" + Math.round(el.getBoundingClientRect().right));
  return {scroll: document.documentElement.scrollWidth - width, wide};
}"""


@dataclass
class Visit:
    """What one page did and what axe found on it."""

    page_type: str
    scheme: str
    width: int
    url: str
    status: int | None = None
    guard: Guard | None = None
    charts: list[dict[str, Any]] = field(default_factory=list)
    overflow: dict[str, Any] = field(default_factory=dict)
    scrollers: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the visit itself went wrong
    audited: bool = False  # axe ran on the page


def _visit(page: Page, guard: Guard, site: Site, axe_script: Path | None, page_type: str,
           scheme: str, width: int) -> Visit:
    url = site.page_url(page_type)
    visit = Visit(page_type=page_type, scheme=scheme, width=width, url=url, guard=guard)
    guard.expected_404 = site.url + MISSING if page_type == "404" else None
    try:
        response = page.goto(url, wait_until="load")
        visit.status = response.status if response else None
        _settle(page, visit)
        page.evaluate(OPEN_DETAILS)
        visit.charts = page.evaluate(CHARTS)
        visit.overflow = page.evaluate(OVERFLOW)
        visit.scrollers = page.evaluate(SCROLLERS)
        if axe_script is not None:
            page.add_script_tag(path=str(axe_script))
            visit.violations = page.evaluate(RUN)
            visit.audited = True
    except Exception as error:  # recorded, so that one broken page fails only its own tests
        visit.problems.append(f"visit failed: {error}")
    return visit


def _settle(page: Page, visit: Visit) -> None:
    """Wait until every chart is drawn (or fell back to its image) and search has results."""
    try:
        page.wait_for_function(SETTLED, timeout=15_000)
    except Exception as error:  # the chart test reports each chart's state
        visit.problems.append(f"charts did not settle: {error}")
    if visit.page_type == "search":  # audit the results too, not only the empty form
        page.fill(SEARCH_BOX, QUERY)
        page.wait_for_selector(RESULT_LINK, timeout=15_000)


def visit_all(browser: Browser, site: Site,
              axe_script: Path | None) -> dict[tuple[str, str], Visit]:
    """Every page type in both colour schemes, keyed by (page type, scheme).

    One page per scheme goes from page type to page type (a fresh context costs more than
    the visit); each visit gets a guard of its own.
    """
    visits: dict[tuple[str, str], Visit] = {}
    for scheme, viewport in SCHEMES:
        page, first = guarded_page(browser, site.netloc, scheme=scheme, viewport=viewport)
        unwatch(page, first)
        try:
            for page_type in PAGE_TYPES:
                guard = Guard(netloc=site.netloc)
                watch(page, guard)
                visits[page_type, scheme] = _visit(page, guard, site, axe_script, page_type,
                                                   scheme, viewport["width"])
                unwatch(page, guard)
        finally:
            close(page)
    return visits
