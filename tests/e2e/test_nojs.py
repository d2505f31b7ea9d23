"""Without JavaScript every chart is still there: the static SVG, loaded, with its alt text."""

from __future__ import annotations

import pytest

from .browser import close, guarded_page
from .site import CHART_PAGES

IMAGES = """() => [...document.querySelectorAll(".chart-view")].map(holder => {
  const image = holder.querySelector("img");
  return {state: holder.getAttribute("data-vl-state"),
          loaded: Boolean(image && image.complete && image.naturalWidth > 0),
          alt: image ? image.alt : ""};
})"""


@pytest.mark.parametrize("page_type", CHART_PAGES)
def test_svg_fallback_shows_without_javascript(browser, site, page_type: str) -> None:
    page, guard = guarded_page(browser, site.netloc, javascript=False)
    try:
        page.goto(site.page_url(page_type), wait_until="load")
        for image in page.locator(".chart-view img").all():
            image.scroll_into_view_if_needed()  # lazy images load once near the viewport
        page.wait_for_load_state("load")
        images = page.evaluate(IMAGES)
    finally:
        close(page)
    assert images, f"{page_type} shows no chart"
    assert [i for i in images if not i["loaded"] or i["state"] is not None or not i["alt"]] == []
    assert guard.foreign_requests == []
