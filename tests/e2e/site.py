"""The example site under test: built once into a temporary folder and served on loopback."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from site_gen.serve import DevServer

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = ("events", "figures", "quotes", "actors", "places", "sources")
RECORD_NAMES = {"events": "event", "figures": "figure", "quotes": "quote", "actors": "actor",
                "places": "place", "sources": "source"}
MISSING = "no-such-page/"
# Every page type of the site, by the name the tests are parametrized with.
PAGE_TYPES = ("home", "timeline", "search", "data", "404",
              *COLLECTIONS, *(RECORD_NAMES[c] for c in COLLECTIONS))
# Page types of the example site that show at least one chart.
CHART_PAGES = ("home", "events", "figures", "figure", "places", "place")


@dataclass(frozen=True)
class Site:
    """A built site and the loopback server that serves it."""

    root: Path
    server: DevServer
    paths: dict[str, str]  # page type → path relative to the site root

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def page_url(self, page_type: str) -> str:
        return self.url + self.paths[page_type]


def build(out: Path, base_url: str) -> None:
    """`site-gen build --out`, in a process of its own, as a user would run it."""
    command = [sys.executable, "-m", "site_gen", "build", str(REPO), "--out", str(out),
               "--base-url", base_url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"site-gen build failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")


def richest_record(root: Path, collection: str) -> str:
    """The collection's largest record page: the one that shows the most components."""
    pages = sorted(root.glob(f"{collection}/*/index.html"),
                   key=lambda page: (-page.stat().st_size, page.as_posix()))
    if not pages:
        raise RuntimeError(f"the example site has no {collection} record pages")
    return pages[0].parent.relative_to(root).as_posix() + "/"


def page_paths(root: Path) -> dict[str, str]:
    """The path of one page of every page type."""
    paths = {"home": "", "timeline": "timeline/", "search": "search/", "data": "data/",
             "404": MISSING}
    for collection in COLLECTIONS:
        paths[collection] = f"{collection}/"
        paths[RECORD_NAMES[collection]] = richest_record(root, collection)
    return paths


def serve(root: Path) -> Site:
    """Bind a free loopback port, build the site for that address, then start serving."""
    server = DevServer(root, port=0, live=False)
    try:
        build(root, server.url)
        server.start()
    except BaseException:
        server.httpd.server_close()
        raise
    return Site(root=root, server=server, paths=page_paths(root))
