"""axe-core finds no serious or critical violation on any page type, light or dark."""

from __future__ import annotations

import pytest

from .axe import RUN, describe, serious
from .browser import close, guarded_page
from .site import PAGE_TYPES
from .visits import Visit

# Low contrast, an image without a text alternative, headings out of order, no landmarks.
BROKEN = """<!doctype html><html lang="en"><title>broken</title>
<h1>Title</h1><h4>Skipped levels</h4>
<p style="color:#aaaaaa;background:#ffffff">Hard to read</p><img src="data:,">"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_no_serious_violations(visits: dict[tuple[str, str], Visit], axe_script,
                               page_type: str, scheme: str) -> None:
    visit = visits[page_type, scheme]
    assert visit.audited, visit.problems
    found = serious(visit.violations)
    assert found == [], f"{visit.url} ({scheme}, {visit.width}px):\n{describe(found)}"


def test_axe_finds_what_is_broken(browser, site, axe_script) -> None:
    """The audit above can fail: the same run flags a page built to break the rules."""
    page, _ = guarded_page(browser, site.netloc)
    try:
        page.set_content(BROKEN)
        page.add_script_tag(path=str(axe_script))
        found = {v["id"] for v in page.evaluate(RUN)}
    finally:
        close(page)
    assert {"color-contrast", "image-alt", "heading-order", "region"} <= found
