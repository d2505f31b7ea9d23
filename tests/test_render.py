"""The render stage on the golden site: pages, labels, dates, claims, feed, sitemap, JSON-LD."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from golden.support import EPOCH_ATOM, SITE, build_site, parse, read_tree, shared_cache

from site_gen.memo import Memo
from site_gen.render import site_model
from site_gen.render_feeds import render_feeds
from site_gen.theme import make_env
from site_gen.validate import gather

BASE_URL = "https://example.org/golden/"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("golden")
    return read_tree(build_site(SITE, folder / "out", shared_cache(tmp_path_factory)))


def page_text(site: dict[str, bytes], path: str) -> str:
    return parse(site[path]).text


def test_every_record_has_a_page_and_its_json(site: dict[str, bytes]) -> None:
    records = gather(SITE).records
    assert records.count() == 19
    for record in records.all():
        page = site[f"{record.collection}/{record.id}/index.html"]
        data = json.loads(site[f"{record.collection}/{record.id}.json"])
        assert data["id"] == record.id and data["collection"] == record.collection
        assert b'<link rel="alternate" type="application/json" href="../../' \
               + f"{record.collection}/{record.id}.json".encode() + b'">' in page
    for collection in ("events", "figures", "quotes", "actors", "places", "sources"):
        assert f"{collection}/index.html" in site
    for path in ("index.html", "timeline/index.html", "search/index.html", "404.html",
                 "feed.xml", "sitemap.xml", "robots.txt"):
        assert path in site


def test_dates_show_at_their_precision(site: dict[str, bytes]) -> None:
    month = site["events/kharkiv-claim/index.html"].decode()
    assert '<time datetime="2022-03">March 2022</time>' in month
    assert "1 March 2022" not in month
    interval = page_text(site, "events/first-week/index.html")
    assert "24 February – 2 March 2022" in interval
    assert '<time datetime="2022-03-01">1 March 2022</time>' in \
        site["events/kyiv-strike/index.html"].decode()


def test_disputed_and_claimed_events_say_who_claims_and_who_disputes(
        site: dict[str, bytes]) -> None:
    assert ("Claimed by Ministry of Health of Ukraine; disputed by Russian Ministry of Defence."
            in page_text(site, "events/kyiv-strike/index.html"))
    assert "Claimed by Russian Ministry of Defence." in page_text(
        site, "events/kharkiv-claim/index.html")
    timeline = page_text(site, "timeline/index.html")
    assert "Claimed by Ministry of Health of Ukraine; disputed by" in timeline


def test_vocabulary_slugs_show_as_labels(site: dict[str, bytes]) -> None:
    claim = page_text(site, "events/kharkiv-claim/index.html")
    assert "Territorial claim" in claim and "Claimed" in claim
    assert "People killed" in page_text(site, "figures/index.html")
    assert "Government" in page_text(site, "actors/russia-mod/index.html")


def test_competing_claims_stand_side_by_side_with_their_claimants(
        site: dict[str, bytes]) -> None:
    html = site["figures/index.html"].decode()
    group = html[html.index('id="group-kyiv-killed"'):html.index("</section>",
                                                                  html.index('id="group-kyiv')):]
    text = parse(group).text
    assert text.count("per Ministry of Health of Ukraine") == 2
    assert text.count("per Russian Ministry of Defence") == 1
    assert "more than 2,000 people" in text and "As reported: more than 2,000" in text
    assert "Superseded by People killed: more than 2,000 people" in text
    assert 'href="../figures/kyiv-killed-ministry-update/"' in group
    assert "Projection" in page_text(site, "figures/refugees-projection/index.html")
    figure = page_text(site, "figures/kyiv-killed-ministry/index.html")
    assert "Other claims about the same quantity" in figure
    assert "As of 1 March 2022" in page_text(site, "figures/index.html")


def test_an_actor_page_gathers_quotes_claims_events_and_sources(
        site: dict[str, bytes]) -> None:
    text = page_text(site, "actors/russia-mod/index.html")
    assert "said its strikes did not target civilians" in text
    assert "Figures claimed (1)" in text and "no number given" in text
    assert "Missile hits Kyiv TV tower (involved, disputes)" in text
    assert "Russia claims the outskirts of Kharkiv (claims)" in text
    agency = page_text(site, "actors/wire-agency/index.html")
    assert "Russia escalates attacks" in agency and "(publisher)" in agency
    assert "(contributor)" in agency
    ministry = page_text(site, "actors/ukraine-ministry/index.html")
    assert "Members" in ministry and "Ihor Terekhov" in ministry


def test_place_and_source_pages_list_what_points_at_them(site: dict[str, bytes]) -> None:
    kyiv = site["places/kyiv/index.html"].decode()
    assert "Missile hits Kyiv TV tower" in kyiv and "First week of the invasion" in kyiv
    assert "at least 5 people" in kyiv
    assert 'data-vl-spec="../../charts/' in kyiv
    report = page_text(site, "sources/wire-report/index.html")
    for cited in ("Missile hits Kyiv TV tower", "at least 5 people", "The city stands."):
        assert cited in report
    statement = page_text(site, "sources/ministry-statement/index.html")
    assert "Russia claims the outskirts of Kharkiv" in statement


def test_record_pages_show_notes_and_cite_their_sources(site: dict[str, bytes]) -> None:
    text = page_text(site, "events/kharkiv-claim/index.html")
    assert "The report gives only the month." in text
    assert "Sources" in text and "Statement on casualties" in text
    quote = site["quotes/mayor-city-stands/index.html"].decode()
    assert '<a class="external" href="https://example.org/news/report" ' \
           'rel="noopener noreferrer">' in quote


def test_home_page_says_what_the_fact_base_covers(site: dict[str, bytes]) -> None:
    text = page_text(site, "index.html")
    assert "A small fact base whose built site" in text
    assert "Events from 24 February – March 2022" in text
    assert "4 Events" in text and "5 Actors" in text
    assert "Latest events" in text and "Headline figures" in text and "Recent quotes" in text
    assert b'src="charts/' in site["index.html"]


def test_json_ld_describes_events_claims_and_quotations(site: dict[str, bytes]) -> None:
    def ld(path: str) -> dict:
        scripts = [text for attrs, text in parse(site[path]).scripts
                   if attrs.get("type") == "application/ld+json"]
        assert len(scripts) == 1
        return json.loads(scripts[0])

    event = ld("events/kyiv-strike/index.html")
    assert event["@type"] == "Event" and event["startDate"] == "2022-03-01"
    assert event["location"][0]["name"] == "Kyiv"
    assert event["url"] == BASE_URL + "events/kyiv-strike/"
    claim = ld("figures/kyiv-killed-mod/index.html")
    assert claim["@type"] == "Claim"
    assert claim["author"]["name"] == "Russian Ministry of Defence"
    assert claim["claimInterpreter"]["name"] == "Golden Desk"
    assert claim["appearance"]["sameAs"] == "https://example.org/news/report"
    quotation = ld("quotes/mayor-city-stands/index.html")
    assert quotation["@type"] == "Quotation" and quotation["text"] == "The city stands."
    assert quotation["spokenByCharacter"]["name"] == "Ihor Terekhov"


def test_record_json_has_fields_derived_columns_and_references(site: dict[str, bytes]) -> None:
    figure = json.loads(site["figures/kyiv-killed-ministry-update.json"])
    assert figure["fields"]["as_of_start"] == "2022-03-01"
    assert figure["fields"]["as_of_end"] == "2022-03-31"
    assert figure["fields"]["low"] == 2000 and figure["fields"]["high"] is None
    assert figure["references"]["claimant"]["label"] == "Ministry of Health of Ukraine"
    assert figure["references"]["supersedes"]["path"] == "figures/kyiv-killed-ministry/"
    event = json.loads(site["events/kyiv-strike.json"])
    assert [p["id"] for p in event["references"]["places"]] == ["kyiv"]
    assert event["cited_by"]["figures.event"] == ["kyiv-killed-ministry"]


def test_atom_feed_has_one_entry_per_event(site: dict[str, bytes]) -> None:
    feed = ET.fromstring(site["feed.xml"])
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 4
    assert feed.findtext(f"{ATOM}updated") == EPOCH_ATOM
    assert {e.findtext(f"{ATOM}updated") for e in entries} == {EPOCH_ATOM}
    ids = {e.findtext(f"{ATOM}id") for e in entries}
    assert BASE_URL + "events/kyiv-strike/" in ids
    links = {e.find(f"{ATOM}link").get("href") for e in entries}
    assert all(link.startswith(BASE_URL) for link in links)


def test_sitemap_lists_every_page_with_absolute_urls(site: dict[str, bytes]) -> None:
    urlset = ET.fromstring(site["sitemap.xml"])
    locs = {e.text for e in urlset.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    pages = {path for path in site if path.endswith(".html")}
    assert len(locs) == len(pages) - 1  # every page but 404.html
    assert BASE_URL + "events/kyiv-strike/" in locs and BASE_URL + "data/" in locs
    assert f"Sitemap: {BASE_URL}sitemap.xml" in site["robots.txt"].decode()


def test_404_page_links_from_the_site_path(site: dict[str, bytes]) -> None:
    page = parse(site["404.html"])
    hrefs = [attrs["href"] for attrs in page.all("a") if attrs["href"] != "#main"] + [
        attrs["href"] for attrs in page.all("link") if attrs.get("rel") == "stylesheet"]
    assert hrefs and all(href.startswith("/golden/") for href in hrefs)


def test_search_index_covers_every_record_and_loads_relatively(site: dict[str, bytes]) -> None:
    page = parse(site["search/index.html"])
    sources = [attrs["src"] for attrs, _ in page.scripts if attrs.get("src")]
    assert "../assets/search.js" in sources
    form = next(attrs for attrs in page.all("form"))
    assert form["data-index"] == "../search-index/"
    meta = json.loads(site["search-index/meta.json"])
    assert meta["docs"] == 19
    docs = [doc for path, data in sorted(site.items()) if path.startswith("search-index/docs/")
            for doc in json.loads(data)]
    assert len(docs) == 19 and all(not doc[0].startswith(("/", "http")) for doc in docs)
    kyiv = next(n for n, doc in enumerate(docs) if doc[0] == "events/kyiv-strike/")
    for shard in meta["shards"]:
        assert f"search-index/terms/{shard}.json" in site
    kyiv_terms = json.loads(site["search-index/terms/6b-79.json"])
    assert kyiv in kyiv_terms["kyiv"]


def test_a_site_without_base_url_has_no_sitemap_and_no_absolute_urls(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    config = (SITE / "site.yaml").read_text()
    (project / "site.yaml").write_text(config.replace("base_url: https://example.org/golden/\n",
                                                      ""))
    site = read_tree(build_site(project, tmp_path / "out", shared_cache(tmp_path_factory)))
    assert "sitemap.xml" not in site
    assert "Sitemap:" not in site["robots.txt"].decode()
    feed = ET.fromstring(site["feed.xml"])
    assert all(e.findtext(f"{ATOM}id").startswith("urn:uuid:")
               for e in feed.findall(f"{ATOM}entry"))
    event = site["events/kyiv-strike/index.html"]
    assert b"https://example.org/golden/" not in event and b'rel="canonical"' not in event
    assert all(a["href"].startswith(("/", "#")) for a in parse(site["404.html"]).all("a"))


def test_rendering_twice_gives_the_same_bytes(tmp_path: Path, site: dict[str, bytes],
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    again = read_tree(build_site(SITE, tmp_path / "out", shared_cache(tmp_path_factory)))
    assert again.keys() == site.keys()
    assert [p for p in site if site[p] != again[p]] == []


def test_a_sitemap_of_the_same_pages_is_kept_from_the_last_build() -> None:
    """Every edit renders the feeds, but the sitemap only changes with the list of pages (or
    the site): otherwise it is left to the write stage to keep."""
    gathered = gather(SITE)
    model = site_model(gathered)
    env = make_env(SITE)
    pages = ["index.html", "events/index.html", "events/kyiv-strike/index.html"]

    def feeds(memo: Memo, listed: list[str], site: str = "site") -> dict[str, bytes]:
        return render_feeds(model, env, listed, gathered.built, memo, site)

    first = Memo()
    made = feeds(first, pages)
    assert b"events/kyiv-strike/" in made["sitemap.xml"] and "sitemap.xml" not in first.kept
    same = first.next()
    again = feeds(same, [*pages, "events/kyiv-strike.json"])  # not a page
    assert "sitemap.xml" not in again and "sitemap.xml" in same.kept
    assert again["feed.xml"] == made["feed.xml"]
    for changed, site in (([*pages, "quotes/index.html"], "site"), (pages[1:], "site"),
                          (pages, "templates changed")):
        memo = same.next()
        remade = feeds(memo, changed, site)
        assert "sitemap.xml" not in memo.kept
        assert remade["sitemap.xml"] == render_feeds(model, env, changed,
                                                     gathered.built)["sitemap.xml"]
    assert b"quotes/" not in made["sitemap.xml"]
