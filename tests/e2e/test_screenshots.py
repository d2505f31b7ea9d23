"""Full-page screenshots of the home, a figure and the data page on a phone and a desktop,
light and dark, for a person to look at (the run prints the folder)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from .browser import DESKTOP, PHONE, close, guarded_page
from .visits import SETTLED

PAGES = ("home", "figure", "data")
SIZES = {"phone": PHONE, "desktop": DESKTOP}


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES)
def test_screenshots(browser, site, screenshot_dir: Path, size: str, scheme: str) -> None:
    viewport = SIZES[size]
    shots = []
    for page_type in PAGES:
        page, guard = guarded_page(browser, site.netloc, scheme=scheme, viewport=viewport)
        try:
            page.goto(site.page_url(page_type), wait_until="load")
            page.wait_for_function(SETTLED, timeout=15_000)
            path = screenshot_dir / f"{page_type}-{size}-{scheme}.png"
            page.screenshot(path=str(path), full_page=True)
            height = page.evaluate("() => document.documentElement.scrollHeight")
        finally:
            close(page)
        assert guard.console_errors == []
        shots.append((path, height))
    for path, height in shots:
        assert png_size(path) == (viewport["width"], height), path
