"""Search finds a record by a place name and links to the record's page."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from .browser import close, guarded_page
from .site import COLLECTIONS
from .visits import QUERY, RESULT_LINK, SEARCH_BOX

RECORD_PATH = re.compile(rf"^/({'|'.join(COLLECTIONS)})/[a-z0-9][a-z0-9-]*/$")


def test_search_finds_a_record_by_place_name(browser, site) -> None:
    page, guard = guarded_page(browser, site.netloc)
    try:
        page.goto(site.page_url("search"))
        page.fill(SEARCH_BOX, QUERY)
        page.wait_for_selector(RESULT_LINK, timeout=15_000)
        links = page.eval_on_selector_all(RESULT_LINK,
                                          "links => links.map(a => a.getAttribute('href'))")
        records = [href for href in links
                   if RECORD_PATH.match(urlsplit(urljoin(page.url, href)).path)]
        assert records, f"no result links to a record page: {links}"
        page.click(f"{RESULT_LINK}[href='{records[0]}']")
        page.wait_for_load_state("load")
        heading = page.inner_text("main h1")
        body = page.inner_text("main")
    finally:
        close(page)
    assert heading
    assert QUERY in body
    assert guard.console_errors == [] and guard.foreign_requests == []
