"""Chromium pages that record what went wrong: console errors, page errors, foreign requests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route

CHROMIUM = Path(os.environ.get("SITE_GEN_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def launch_args() -> list[str]:
    """Chromium's flags; its sandbox cannot start as root, so root runs without it."""
    return ["--no-sandbox", *ARGS] if os.geteuid() == 0 else list(ARGS)


@dataclass
class Guard:
    """What a page did that it should not: filled in by event handlers while it runs."""

    netloc: str
    expected_404: str | None = None  # the one URL that is meant to answer 404
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def on_route(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == self.netloc:
            route.continue_()
        else:
            self.foreign_requests.append(url)
            route.abort("blockedbyclient")

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if (self.expected_404 and where == self.expected_404
                and "status of 404" in message.text):
            return  # the 404 page itself, announced by Chromium for the main document
        self.console_errors.append(f"{message.text} ({where})")

    def on_page_error(self, error: Exception) -> None:
        self.page_errors.append(str(error))


def guarded_page(browser: Browser, netloc: str, *, scheme: str = "light",
                 viewport: dict[str, int] | None = None, javascript: bool = True,
                 expected_404: str | None = None) -> tuple[Page, Guard]:
    """A page in a fresh context whose every request is routed: only `netloc` is reachable."""
    context: BrowserContext = browser.new_context(
        viewport=viewport or DESKTOP, java_script_enabled=javascript,
        service_workers="block")
    guard = Guard(netloc=netloc, expected_404=expected_404)
    page = context.new_page()
    page.emulate_media(color_scheme=scheme)
    watch(page, guard)
    return page, guard


def watch(page: Page, guard: Guard) -> None:
    """Report the page's console errors, page errors and requests to `guard`."""
    page.on("console", guard.on_console)
    page.on("pageerror", guard.on_page_error)
    page.context.route("**/*", guard.on_route)


def unwatch(page: Page, guard: Guard) -> None:
    page.remove_listener("console", guard.on_console)
    page.remove_listener("pageerror", guard.on_page_error)
    page.context.unroute("**/*", guard.on_route)


def close(page: Page) -> None:
    page.context.close()
