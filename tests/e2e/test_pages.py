"""Every page type loads cleanly in Chromium: no errors, nothing fetched from elsewhere."""

from __future__ import annotations

import pytest

from .browser import close, guarded_page
from .site import CHART_PAGES, PAGE_TYPES
from .visits import Visit

SCHEMES = ("light", "dark")


def _visit(visits: dict[tuple[str, str], Visit], page_type: str, scheme: str) -> Visit:
    visit = visits[page_type, scheme]
    assert visit.guard is not None
    assert not [p for p in visit.problems if p.startswith("visit failed")], visit.problems
    return visit


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_no_console_or_page_errors(visits, page_type: str, scheme: str) -> None:
    visit = _visit(visits, page_type, scheme)
    assert visit.status == (404 if page_type == "404" else 200), visit.url
    assert visit.guard.console_errors == []
    assert visit.guard.page_errors == []


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_no_request_leaves_the_site(visits, page_type: str, scheme: str) -> None:
    assert _visit(visits, page_type, scheme).guard.foreign_requests == []


def test_foreign_requests_are_caught(browser, site) -> None:
    """The guard of the tests above sees and blocks a request to another host."""
    page, guard = guarded_page(browser, site.netloc)
    try:
        page.goto(site.url)
        page.evaluate("""() => new Promise(done => {
            const image = new Image();
            image.onload = image.onerror = done;
            image.src = "https://example.org/pixel.png";
        })""")
    finally:
        close(page)
    assert guard.foreign_requests == ["https://example.org/pixel.png"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_every_chart_is_drawn_by_vega_embed(visits, page_type: str, scheme: str) -> None:
    visit = _visit(visits, page_type, scheme)
    if page_type in CHART_PAGES:
        assert visit.charts, f"{visit.url} shows no chart"
    not_drawn = [c for c in visit.charts if c["state"] != "drawn" or not c["view"]]
    assert not_drawn == [], visit.problems


@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_nothing_sticks_out_sideways_on_a_phone(visits, page_type: str) -> None:
    """At 390 px nothing makes the page scroll sideways; wide tables scroll in their box."""
    visit = _visit(visits, page_type, "dark")
    assert visit.width == 390
    assert visit.overflow == {"scroll": 0, "wide": []}


@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_boxes_that_scroll_sideways_are_keyboard_regions(visits, page_type: str) -> None:
    """On a phone a wide chart or table scrolls in its box; the keyboard can reach the box.

    Charts are redrawn to the phone's width where they can be (events per day fits); the
    map keeps its size and scrolls.
    """
    visit = _visit(visits, page_type, "dark")
    charts = [box for box in visit.scrollers if "chart-view" in box["box"]]
    if page_type == "places":
        assert charts, visit.scrollers
    if page_type == "events":
        assert charts == []
    unreachable = [box for box in visit.scrollers
                   if box["tabindex"] != "0" or box["role"] != "region" or not box["label"]]
    assert unreachable == []
