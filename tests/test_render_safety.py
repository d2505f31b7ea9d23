"""Hostile text in any field comes out inert: in pages, in JSON-LD, in record JSON, in the feed."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from golden.support import SITE, StandInChart, StandInCharts, build_env, parse, shared_cache

from site_gen.render import render_site, site_model
from site_gen.search import build_search
from site_gen.theme import make_env
from site_gen.validate import gather

PAYLOAD = "Kyiv</script><img src=x onerror=alert(1)>\"' onmouseover=alert(2) \u2028<!--"
QUOTED = json.dumps(PAYLOAD)  # a YAML double-quoted scalar too

# Text fields that pages show; every one of them carries the payload.
FIELDS = {
    "events/kyiv-strike.yaml": ("title", "summary", "note"),
    "sources/wire-report.yaml": ("title",),
    "sources/ministry-statement.yaml": ("note",),
}


def _hostile_project(tmp_path: Path) -> Path:
    project = tmp_path / "hostile"
    shutil.copytree(SITE, project)
    config = (project / "site.yaml").read_text()
    config = config.replace("title: Golden fact base", f"title: {QUOTED}")
    config = config.replace("publisher: Golden Desk", f"publisher: {QUOTED}")
    config = config.replace("strike: Strike", f"strike: {QUOTED}")
    config = config.replace("killed: People killed", f"killed: {QUOTED}")
    (project / "site.yaml").write_text(config)
    content = project / "content"
    for rel, names in FIELDS.items():
        lines = (content / rel).read_text().splitlines()
        kept = [line for line in lines if not line.startswith(tuple(f"{n}:" for n in names))]
        kept += [f"{name}: {QUOTED}" for name in names]
        (content / rel).write_text("\n".join(kept) + "\n")
    text = (content / "actors/actors.yaml").read_text()
    text = text.replace("name: Russian Ministry of Defence", f"name: {QUOTED}")
    text = text.replace("role: Mayor of Kharkiv", f"role: {QUOTED}")
    text = text.replace("aliases: [Russian MoD]", f"aliases: [{QUOTED}]")
    (content / "actors/actors.yaml").write_text(text)
    text = (content / "places/places.yaml").read_text()
    text = text.replace("region: Kharkiv Oblast", f"region: {QUOTED}")
    text = text.replace("name: Kyiv", f"name: {QUOTED}")
    (content / "places/places.yaml").write_text(text)
    text = (content / "figures/figures.yaml").read_text()
    for line in ("value_text: at least five", "unit: people", "subject: civilians in Kyiv",
                 "note: The ministry denied any civilian casualties without giving a number."):
        text = text.replace(line, f"{line.split(':')[0]}: {QUOTED}")
    (content / "figures/figures.yaml").write_text(text)
    text = (content / "quotes/quotes.yaml").read_text()
    for old in ("text: The city stands.", "context: speaking on national television",
                "venue: Kharkiv city hall"):
        text = text.replace(old, f"{old.split(':')[0]}: {QUOTED}")
    (content / "quotes/quotes.yaml").write_text(text)
    return project


def _hostile_charts() -> StandInCharts:
    rows = ({"label": PAYLOAD, "value": 5},)
    return StandInCharts([
        StandInChart("claims", "figures", PAYLOAD, PAYLOAD, ("kyiv-killed-ministry",),
                     "kyiv-killed", "killed", rows=rows, note=PAYLOAD),
        StandInChart("places-map", "map", PAYLOAD, PAYLOAD, rows=rows),
    ])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The render and search stages on hostile content (the chart stage is stood in for)."""
    project = _hostile_project(tmp_path_factory.mktemp("hostile"))
    gathered = gather(project)
    assert gathered.ok, gathered.problems
    with build_env(shared_cache(tmp_path_factory)):
        model = site_model(gathered)
        files = render_site(gathered, _hostile_charts(), make_env(project), model)
    files.update(build_search(model))
    return files


def _pages(site: dict[str, bytes]) -> dict[str, bytes]:
    return {p: d for p, d in site.items() if p.endswith(".html")}


def test_the_payload_reaches_the_pages(site: dict[str, bytes]) -> None:
    for path in ("events/kyiv-strike/index.html", "actors/russia-mod/index.html",
                 "places/kyiv/index.html", "quotes/mayor-city-stands/index.html",
                 "figures/index.html", "index.html"):
        assert " ".join(PAYLOAD.split()) in parse(site[path]).text, path


def test_no_element_or_attribute_comes_from_the_payload(site: dict[str, bytes]) -> None:
    for path, html in _pages(site).items():
        page = parse(html)
        for tag, attrs in page.tags:
            assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
            assert not (tag == "img" and attrs.get("src") == "x"), path
            assert "alert(" not in " ".join(attrs), (path, tag, attrs)
        for attrs, text in page.scripts:
            assert attrs.get("src") or attrs.get("type") == "application/ld+json", path
            if attrs.get("type") == "application/ld+json":
                assert "</script" not in text.lower() and "<!--" not in text, path
                assert "\u2028" not in text and "\u2029" not in text, path


def test_attributes_keep_the_payload_whole(site: dict[str, bytes]) -> None:
    page = parse(site["index.html"])
    alts = [attrs["alt"] for attrs in page.all("img")]
    assert any("Russian MoD" not in alt and " ".join(PAYLOAD.split()) in " ".join(alt.split())
               for alt in alts if alt)
    meta = [attrs for attrs in parse(site["events/kyiv-strike/index.html"]).all("meta")]
    assert all(set(attrs) <= {"charset", "name", "content"} for attrs in meta)


def test_json_ld_still_parses_and_holds_the_payload_as_text(site: dict[str, bytes]) -> None:
    for _path, html in _pages(site).items():
        for attrs, text in parse(html).scripts:
            if attrs.get("type") == "application/ld+json":
                json.loads(text)
    scripts = [text for attrs, text in parse(site["events/kyiv-strike/index.html"]).scripts
               if attrs.get("type") == "application/ld+json"]
    event = json.loads(scripts[0])
    assert event["name"] == PAYLOAD and event["location"][0]["name"] == PAYLOAD


def test_record_json_holds_the_payload_as_data(site: dict[str, bytes]) -> None:
    event = json.loads(site["events/kyiv-strike.json"])
    assert event["fields"]["title"] == PAYLOAD
    assert event["fields"]["summary"] == PAYLOAD
    assert event["references"]["places"][0]["label"] == PAYLOAD


def test_feed_and_sitemap_stay_well_formed(site: dict[str, bytes]) -> None:
    feed = ET.fromstring(site["feed.xml"])
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title")
              for e in feed.findall("{http://www.w3.org/2005/Atom}entry")]
    assert PAYLOAD in titles
    ET.fromstring(site["sitemap.xml"])
