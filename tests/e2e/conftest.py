"""Fixtures of the browser suite: one Chromium, one built and served site, one set of visits.

Chromium is Debian's (/usr/bin/chromium, or $SITE_GEN_CHROMIUM); Playwright never downloads
a browser. Without Chromium, or without npm for axe-core, the tests skip and say why.
Screenshots go to $SITE_GEN_SCREENSHOTS, else a folder in the system's temporary directory;
the run prints where.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .axe import Axe, locate
from .browser import CHROMIUM, launch_args
from .site import Site, serve
from .visits import Visit, visit_all

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SCREENSHOTS = Path(os.environ.get("SITE_GEN_SCREENSHOTS")
                   or Path(tempfile.gettempdir()) / "site-gen-e2e-screenshots")
_SHOTS_KEY = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright; skips when either is missing."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"Chromium not found at {CHROMIUM} (install Debian's `chromium` package, "
                    "or set SITE_GEN_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=launch_args())
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The example site, built once into a temporary folder and served on 127.0.0.1."""
    built = serve(tmp_path_factory.mktemp("e2e") / "site")
    yield built
    built.server.stop()


@pytest.fixture(scope="session")
def axe() -> Axe:
    """axe.min.js from the npm registry (cached), or the reason it could not be had."""
    return locate()


@pytest.fixture
def axe_script(axe: Axe) -> Path:
    """The path of axe.min.js; skips the test when axe-core could not be fetched."""
    if axe.script is None:
        pytest.skip(f"axe-core unavailable: {axe.problem}")
    return axe.script


@pytest.fixture(scope="session")
def visits(browser: Browser, site: Site, axe: Axe) -> dict[tuple[str, str], Visit]:
    """Every page type, light on a desktop and dark on a phone, each visited once."""
    return visit_all(browser, site, axe.script)


@pytest.fixture(scope="session")
def screenshot_dir(request: pytest.FixtureRequest) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    request.config.stash[_SHOTS_KEY] = SCREENSHOTS
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    """Say where the screenshots are, for a person to look at."""
    folder = config.stash.get(_SHOTS_KEY, None)
    if folder is not None:
        terminalreporter.write_line(f"e2e screenshots: {folder}")
