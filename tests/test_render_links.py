"""Links: nothing loads from another host, and every internal link works under a base path."""

from __future__ import annotations

import functools
import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from golden.support import SITE, build_site, parse, read_tree, shared_cache, urls

from site_gen.validate import gather

SUB_PATH = "/sub/path/"
ASSET_TAGS = ("script", "img", "iframe", "source", "video", "audio", "embed", "object")
OUTBOUND_REL = {"noopener", "noreferrer"}


def _content_urls() -> set[str]:
    """Outbound links the content itself gives: sources' URLs and actors' Wikidata pages."""
    records = gather(SITE).records
    found = {r.fields["url"] for r in records.of("sources") if r.fields.get("url")}
    found |= {f"https://www.wikidata.org/wiki/{r.fields['wikidata']}"
              for r in records.of("actors") if r.fields.get("wikidata")}
    return found


def _is_external(url: str) -> bool:
    return bool(urlsplit(url).scheme or url.startswith("//"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("links")
    return read_tree(build_site(SITE, folder / "out", shared_cache(tmp_path_factory)))


def test_no_page_loads_anything_from_another_host(site: dict[str, bytes]) -> None:
    allowed = _content_urls()
    assert allowed, "the golden site links to a source URL and a Wikidata page"
    outbound_seen = set()
    pages = [p for p in site if p.endswith(".html")]
    for path in pages:
        for tag, url, attrs in urls(parse(site[path])):
            if not _is_external(url):
                continue
            assert tag not in ASSET_TAGS, f"{path}: <{tag}> loads {url}"
            rel = set((attrs.get("rel") or "").split())
            if tag == "link":
                assert rel & {"canonical"} and url.startswith("https://example.org/golden/"), (
                    f"{path}: <link rel={rel}> to {url}")
            elif tag == "a" and not path.startswith("data/"):
                assert url in allowed, f"{path}: outbound link {url} not from content"
                assert rel >= OUTBOUND_REL, f"{path}: {url} lacks rel=noopener noreferrer"
                outbound_seen.add(url)
            else:
                assert tag == "a", f"{path}: <{tag}> refers to {url}"
    assert outbound_seen == allowed


def test_styles_and_scripts_request_nothing_outside_the_site(site: dict[str, bytes]) -> None:
    for path, data in site.items():
        if path.endswith(".css"):
            text = data.decode()
            assert "@import" not in text and "url(http" not in text and "url(//" not in text, path
    for path in ("assets/site.css", "assets/timeline.js", "assets/search.js"):
        assert b"http://" not in site[path] and b"https://" not in site[path], path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The golden site built with its base URL on a local server that maps SUB_PATH to it."""
    folder = tmp_path_factory.mktemp("served")
    out = folder / "out"

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            clean = path.split("?", 1)[0].split("#", 1)[0]
            if not clean.startswith(SUB_PATH):
                return str(folder / "outside-the-base-path")
            return super().translate_path("/" + clean[len(SUB_PATH):])

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}{SUB_PATH}"
    try:
        build_site(SITE, out, shared_cache(tmp_path_factory), base_url=base)
        yield base, out
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        return error.code, b"", ""


def test_every_internal_link_works_under_a_base_path(served: tuple[str, Path]) -> None:
    base, out = served
    queue, seen, broken = [base], {base}, []
    pages_reached = set()
    while queue:
        url = queue.pop()
        status, body, kind = _get(url)
        if status != 200:
            broken.append(url)
            continue
        if kind != "text/html":
            continue
        pages_reached.add(urlsplit(url).path)
        for _, link, _ in urls(parse(body)):
            target = urldefrag(urljoin(url, link))[0]
            if target.startswith(base) and target not in seen:
                seen.add(target)
                queue.append(target)
    assert broken == []
    html = [p for p in read_tree(out) if p.endswith("index.html")
           ]
    expected = {SUB_PATH + p[: -len("index.html")] for p in html}
    assert expected - pages_reached == set()
    assert len(expected) == 29  # every record's page, the indexes, home, timeline, search, data


def test_the_404_page_works_from_any_depth(served: tuple[str, Path]) -> None:
    base, _out = served
    status, body, _ = _get(base + "404.html")
    assert status == 200
    for _, link, _ in urls(parse(body)):
        if link.startswith("#"):
            continue
        assert link.startswith(SUB_PATH), link
        deep = urljoin(base + "no/such/page/", link)
        assert _get(deep)[0] == 200, link
