"""Hostile text in every text field comes out inert in every output of a real build.

The base project is built twice by the real pipeline (charts by vl-convert, data, search):
once with plain words in every free-text field and label, once with a payload made of markup,
script breakers, Vega and Jinja expressions and spreadsheet formulas. Every page of the
hostile build must hold exactly the elements and attributes of the plain build, and every
other output (JSON-LD, record JSON, feed, sitemap, chart specs compiled to Vega, SVGs, CSV,
JSON, SQLite, zip, search index) must carry the payload as inert text or data.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import vl_convert
from conftest import BASE, run_cli
from golden.support import build_env, read_tree, shared_cache

from site_gen.build import build
from site_gen.chart_output import vegalite_version
from site_gen.config import read_config
from site_gen.schemas import FieldSpec, Link, read_catalog
from site_gen.search import FOLDER as SEARCH_FOLDER
from site_gen.yamlstrict import read_yaml

PAYLOAD = ("=1+1</script><img src=x onerror=alert(1)>\"' onmouseover=alert(2) \u2028\u2029 "
           "datum.x || alert(1) ${alert(1)} {{ 7*7 }} {% raw %} ]]> <!-- "
           "<svg onload=alert(3)> javascript:alert(4) \u202eevil")
PLAIN = "Plain words"
MARKERS = ("alert(", "7*7", "onerror", "javascript:")  # none of these is in any template
EXPRESSION_KEYS = ("expr", "signal", "calculate", "filter", "test", "update", "init")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def yaml_json(value: Any) -> str:
    """JSON that is also YAML: every string a double-quoted scalar with escapes, and the
    characters past U+FFFF as YAML's \\U escapes (YAML has no surrogate pairs)."""
    def astral(match: re.Match[str]) -> str:
        high, low = int(match[1], 16), int(match[2], 16)
        return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"

    return PAIR.sub(astral, json.dumps(value, indent=1))


def _free_text(spec: FieldSpec | Link) -> bool:
    """A field an editor fills with their own words (not a code, slug, date or reference)."""
    if isinstance(spec, Link):
        return spec.reference is None and spec.field != "tags"
    return (spec.type == "string" and spec.name not in ("id", "url") and not spec.pattern
            and spec.enum is None and spec.vocabulary is None and spec.reference is None
            and not spec.partial_date)


def write_project(root: Path, text: str) -> Path:
    """The base project with `text` in every free-text field of every record and in site.yaml."""
    project = root / "project"
    shutil.copytree(BASE, project)
    config, _ = read_config(project)
    assert config is not None
    catalog, _ = read_catalog(project, config)
    assert catalog is not None
    for path in sorted((project / "content").rglob("*.yaml")):
        value = read_yaml(path.name, path.read_bytes())[0].value
        records = value if isinstance(value, list) else [value]
        fields = catalog.record_fields(path.parent.name)
        for record in records:
            for name, spec in fields.items():
                if _free_text(spec):
                    record[name] = [text] if isinstance(spec, Link) else text
        # Non-ASCII as escapes: libyaml folds the spaces around a raw U+2028 like a line break.
        path.write_text(yaml_json(records if isinstance(value, list) else records[0]),
                        encoding="utf-8")
    site = read_yaml("site.yaml", (project / "site.yaml").read_bytes())[0].value
    site.update(title=text, description=text, publisher=text)
    for terms in site["vocabularies"].values():
        for slug in terms:
            terms[slug] = text
    (project / "site.yaml").write_text(yaml_json(site), encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """The plain and the hostile build, each as {output path: bytes}."""
    trees = {}
    for name, text in (("plain", PLAIN), ("hostile", PAYLOAD)):
        root = tmp_path_factory.mktemp(name)
        project = write_project(root, text)
        with build_env(shared_cache(tmp_path_factory)):
            build(project, root / "out", incremental=False)
        trees[name] = read_tree(root / "out")
    return trees


@pytest.fixture(scope="module")
def site(builds: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    return builds["hostile"]


class Shape(HTMLParser):
    """What a page is made of: its tags with attribute names, comments, scripts and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: Counter[tuple[str, tuple[str, ...]]] = Counter()
        self.attributes: list[tuple[str, str, str]] = []
        self.comments: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._script: dict[str, str | None] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements[(tag, tuple(sorted(name for name, _ in attrs)))] += 1
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)


def _pages(site: dict[str, bytes]) -> Iterator[tuple[str, Shape]]:
    for path, data in sorted(site.items()):
        if path.endswith(".html"):
            yield path, Shape(data.decode("utf-8"))


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


def _flat(text: str) -> str:
    return " ".join(text.split())


# -- pages -----------------------------------------------------------------------------------

def test_the_payload_reaches_the_pages_as_text(site: dict[str, bytes]) -> None:
    shown = {path: _flat("".join(page.text)) for path, page in _pages(site)}
    for path in ("index.html", "events/kyiv-strike/index.html", "actors/city-mayor/index.html",
                 "places/kyiv/index.html", "figures/kyiv-killed/index.html",
                 "sources/wire-report/index.html", "data/index.html", "timeline/index.html"):
        assert _flat(PAYLOAD) in shown[path], path
    assert "{{ 7*7 }} {% raw %}" in shown["events/kyiv-strike/index.html"]  # not evaluated


def test_every_page_has_exactly_the_elements_of_the_plain_build(
        builds: dict[str, dict[str, bytes]]) -> None:
    plain = dict(_pages(builds["plain"]))
    hostile = dict(_pages(builds["hostile"]))
    assert sorted(plain) == sorted(hostile)
    for path, page in hostile.items():
        assert page.elements == plain[path].elements, path


def test_no_attribute_or_comment_holds_live_payload(site: dict[str, bytes]) -> None:
    for path, page in _pages(site):
        for tag, name, value in page.attributes:
            assert not name.startswith("on"), (path, tag, name)
            if name in ("href", "src", "action", "formaction", "data-vl-spec"):
                assert not value.strip().lower().startswith(("javascript:", "data:")), path
                assert not any(marker in value for marker in MARKERS), (path, tag, name)
        for comment in page.comments:
            assert not any(marker in comment for marker in MARKERS), path


def test_scripts_are_external_or_json_ld_that_keeps_the_payload_as_data(
        site: dict[str, bytes]) -> None:
    found = 0
    for path, page in _pages(site):
        for attrs, text in page.scripts:
            if attrs.get("type") != "application/ld+json":
                assert attrs.get("src") and not text.strip(), path
                continue
            assert "</script" not in text.lower() and "<!--" not in text, path
            assert "\u2028" not in text and "\u2029" not in text, path
            found += PAYLOAD in _strings(json.loads(text))
    assert found
    event = json.loads(next(text for attrs, text in Shape(
        site["events/kyiv-strike/index.html"].decode()).scripts
        if attrs.get("type") == "application/ld+json"))
    assert event["name"] == PAYLOAD and event["description"] == PAYLOAD


# -- machine-readable outputs ----------------------------------------------------------------

def test_record_json_holds_the_exact_text(site: dict[str, bytes]) -> None:
    event = json.loads(site["events/kyiv-strike.json"])
    assert event["fields"]["title"] == PAYLOAD and event["fields"]["note"] == PAYLOAD
    actor = json.loads(site["actors/city-mayor.json"])
    assert actor["label"] == PAYLOAD and actor["fields"]["aliases"] == [PAYLOAD]


def test_feed_and_sitemap_are_well_formed_xml_with_the_text(site: dict[str, bytes]) -> None:
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.fromstring(site["feed.xml"])
    assert (feed.findtext(f"{atom}title") or "").startswith(PAYLOAD)
    entry = feed.find(f"{atom}entry")
    assert entry is not None and entry.findtext(f"{atom}title") == PAYLOAD
    assert PAYLOAD in (entry.findtext(f"{atom}summary") or entry.findtext(f"{atom}content") or "")
    urls = [e.text for e in ET.fromstring(site["sitemap.xml"]).iter() if e.tag.endswith("loc")]
    assert urls and all(u and u.startswith("https://example.org/base/") for u in urls)


def _expressions(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in EXPRESSION_KEYS and isinstance(value, str):
                yield (*path, key), value
            yield from _expressions(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _expressions(value, (*path, str(index)))


def test_chart_specs_compiled_to_vega_hold_no_payload_in_any_expression(
        site: dict[str, bytes]) -> None:
    specs = {p: d for p, d in site.items() if p.endswith(".vl.json")}
    assert len(specs) >= 3
    for path, data in specs.items():
        spec = json.loads(data)
        assert any(PAYLOAD in text for text in _strings(spec)), f"{path}: no payload as data"
        vega = vl_convert.vegalite_to_vega(spec, vl_version=vegalite_version())
        vega = json.loads(vega) if isinstance(vega, str) else vega
        for where, text in [*_expressions(spec), *_expressions(vega)]:
            assert not any(marker in text for marker in MARKERS), (path, where, text[:200])


def test_svgs_are_xml_without_scripts_handlers_or_javascript_links(
        site: dict[str, bytes]) -> None:
    svgs = {p: d for p, d in site.items() if p.endswith(".svg") and p.startswith("charts/")}
    assert len(svgs) >= 3
    for path, data in svgs.items():
        root = ET.fromstring(data)
        for element in root.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            assert tag not in ("script", "foreignObject", "iframe", "image", "a"), (path, tag)
            assert not [a for a in element.attrib if a.lower().startswith("on")], path
            for name, value in element.attrib.items():
                if name.endswith("href"):
                    assert not value.strip().lower().startswith("javascript"), path
    assert any("alert(1)" in "".join(ET.fromstring(d).itertext()) for d in svgs.values())


def _csv_cells(data: bytes) -> Iterator[str]:
    for row in list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1:]:
        yield from row


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_every_csv_cell_that_a_spreadsheet_would_run_is_neutralised(
        site: dict[str, bytes]) -> None:
    tables = {p: d for p, d in site.items() if p.endswith(".csv")}
    assert any(p.startswith("charts/") for p in tables) and "data/events.csv" in tables
    seen = 0
    for path, data in tables.items():
        for cell in _csv_cells(data):
            assert not cell.startswith(FORMULA_STARTS) or _is_number(cell), (path, cell[:40])
            seen += cell == "'" + PAYLOAD
    assert seen >= 10


def test_json_sqlite_and_zip_keep_the_exact_text(site: dict[str, bytes],
                                                 tmp_path: Path) -> None:
    events = json.loads(site["data/events.json"])
    assert events[0]["title"] == PAYLOAD and events[0]["summary"] == PAYLOAD
    database = tmp_path / "facts.sqlite"
    database.write_bytes(site["data/base-facts.sqlite"])
    con = sqlite3.connect(database)
    try:
        assert con.execute("SELECT title FROM events").fetchone()[0] == PAYLOAD
        assert con.execute("SELECT name FROM actors WHERE id = 'city-mayor'"
                           ).fetchone()[0] == PAYLOAD
        assert con.execute("SELECT alias FROM actor_aliases LIMIT 1").fetchone()[0] == PAYLOAD
    finally:
        con.close()
    with zipfile.ZipFile(io.BytesIO(site["data/base-facts.zip"])) as archive:
        assert archive.read("base-facts/events.json") == site["data/events.json"]
        assert archive.testzip() is None


def test_search_index_loads_and_holds_the_payload_as_data(site: dict[str, bytes]) -> None:
    index = {p: d for p, d in site.items() if p.startswith(SEARCH_FOLDER)}
    meta = json.loads(index[f"{SEARCH_FOLDER}meta.json"])
    for key in meta["shards"]:
        json.loads(index[f"{SEARCH_FOLDER}terms/{key}.json"])
    docs = [doc for path, data in index.items() if "/docs/" in path
            for doc in json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)]
    assert len(docs) == meta["docs"] == 8
    assert any(doc[1] == PAYLOAD for doc in docs)
    assert all(not doc[0].startswith(("javascript:", "/", "http")) for doc in docs)


# -- base URL --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    'https://example.org/"><script>alert(1)</script>/', "https://example.org/a b/",
    "https://example.org/\nDisallow: /", "javascript:alert(1)//", "https://example.org/?q=1",
])
def test_a_base_url_that_could_break_out_is_refused_in_site_yaml(tmp_path: Path,
                                                                  url: str) -> None:
    project = tmp_path / "project"
    shutil.copytree(BASE, project)
    text = (project / "site.yaml").read_text(encoding="utf-8")
    (project / "site.yaml").write_text(
        text.replace("base_url: https://example.org/base/", f"base_url: {json.dumps(url)}"),
        encoding="utf-8")
    result = run_cli("validate", str(project))
    assert result.exit_code == 1, result.output
    assert "error[config-base-url]" in result.output


@pytest.mark.parametrize("url", ['https://example.org/"><script>/', "https://x.org/\nDisallow: /"])
def test_a_base_url_that_could_break_out_is_refused_on_the_command_line(
        tmp_path: Path, url: str) -> None:
    project = tmp_path / "project"
    shutil.copytree(BASE, project)
    result = run_cli("build", str(project), "--out", str(tmp_path / "out"), "--base-url", url)
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()
