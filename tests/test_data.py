"""The open data under data/: valid for Frictionless, exact, neutralised in CSV, reproducible."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from site_gen.dataset import PublishError, publish_data
from site_gen.dataset_csv import allows, csv_cell, neutralise
from site_gen.theme import make_env
from site_gen.validate import Gathered, gather
from site_gen.write import write_tree

EPOCH = "1646265600"  # 2022-03-03T00:00:00Z
FORMULA = '=HYPERLINK("http://x")'
QUOTE = 'First line, "quoted".\nSecond line, in Ukrainian: Київ.\n'
SITE = """\
title: Test facts
description: A tiny fact base for the data tests.
base_url: https://example.org/facts/
license: CC-BY-4.0
publisher: Test Desk
dataset: {name: test-facts, version: "2.1.0"}
vocabularies:
  event_types: {strike: Strike, claim: Territorial claim}
  metrics: {killed: People killed, balance: Balance}
"""
CONTENT = {
    "actors/actors.yaml": """\
- id: zelenskyy
  name: Володимир Зеленський
  kind: person
  country: UA
  aliases: [Zelenskyy, Зеленський]
- id: nrk
  name: NRK
  kind: organization
  country: NO
  note: "@nrk on social media"
- id: kremlin
  name: Kremlin
  kind: government
  role: "-5 degrees"
""",
    "places/places.yaml": """\
- id: zurich
  name: Zürich
  country: CH
  lat: 47.3769
  lon: 8.5417
- id: london
  name: London
  lat: 51.5072
  lon: -0.1276
""",
    "sources/s1.yaml": """\
id: s1
title: A report
publisher: nrk
url: https://example.org/a
published: 2022-03-02
contributors: [nrk]
""",
    "events/events.yaml": """\
- id: e1
  date: 2022-03-01
  title: '=HYPERLINK("http://x")'
  type: strike
  status: reported
  places: [zurich, london]
  actors: [kremlin]
  sources: [s1]
  tags: [war, tag]
- id: e2
  date: 2022-02
  title: Claim
  type: claim
  status: claimed
  claimed_by: [kremlin]
  sources: [s1]
""",
    "figures/figures.yaml": """\
- id: f1
  metric: balance
  value: -5
  qualifier: exact
  value_text: "-5 °C"
  unit: degrees
  as_of: 2022-03-02
  claimant: kremlin
  source: s1
  projection: false
  event: e1
  place: london
- id: f2
  metric: killed
  value: 1.5
  value_high: 3000
  qualifier: range
  as_of: 2022-02-24/2022-03-01
  claimant: zelenskyy
  source: s1
  projection: true
""",
    "quotes/q1.yaml": """\
id: q1
text: |
  First line, "quoted".
  Second line, in Ukrainian: Київ.
kind: direct
speaker: zelenskyy
said_on: 2022-03-01
source: s1
audience: [nrk]
event: e1
translated: true
""",
}
ROWS = {"sources": 1, "actors": 3, "places": 2, "events": 2, "figures": 2, "quotes": 1,
        "source_contributors": 1, "actor_aliases": 2, "place_aliases": 0, "event_places": 2,
        "event_actors": 1, "event_claimed_by": 1, "event_disputed_by": 0, "event_sources": 2,
        "event_tags": 2, "quote_audience": 1}
DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE",
                "boolean": "BOOLEAN", "date": "DATE"}


@dataclass
class Chart:
    id: str
    title: str
    csv_path: str


@dataclass
class Charts:
    """The two attributes of the chart stage's result that the data stage reads."""

    charts: list[Chart] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)


CHARTS = Charts([Chart("killed", "People killed over time", "charts/killed.csv")],
                {"charts/killed.csv": b"as_of,value\r\n2022-03-01,3000\r\n"})


def make_project(root: Path, site: str = SITE) -> Path:
    (root / "site.yaml").write_text(site, encoding="utf-8")
    for rel, text in CONTENT.items():
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def publish(project: Path, charts: Charts = CHARTS) -> tuple[Gathered, dict[str, bytes]]:
    gathered = gather(project)
    assert gathered.ok, gathered.problems
    return gathered, publish_data(gathered, charts, make_env(project))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Gathered, dict[str, bytes], Path]:
    root = tmp_path_factory.mktemp("data")
    (root / "project").mkdir()
    project = make_project(root / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        gathered, files = publish(project)
    out = root / "out"
    write_tree(out, files)
    return gathered, files, out / "data"


def test_frictionless_command_line_finds_the_package_valid(built: Any) -> None:
    _, _, data = built
    done = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json",
                           str(data / "datapackage.json")],
                          capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(done.stdout)
    assert report["valid"], done.stdout
    assert done.returncode == 0
    assert len(report["tasks"]) == len(ROWS)


def test_descriptor_has_package_metadata_and_true_sizes_and_hashes(built: Any) -> None:
    _, files, data = built
    package = json.loads(files["data/datapackage.json"])
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert package["name"] == "test-facts" and package["version"] == "2.1.0"
    assert package["created"] == "2022-03-03T00:00:00Z"
    assert package["licenses"] == [{"name": "CC-BY-4.0",
                                    "path": "https://creativecommons.org/licenses/by/4.0/",
                                    "title": "Creative Commons Attribution 4.0 International"}]
    assert package["contributors"] == [{"title": "Test Desk", "roles": ["publisher"]}]
    assert package["sources"][0]["path"] == "https://example.org/facts/"
    assert [r["name"] for r in package["resources"]] == list(ROWS)
    for resource in package["resources"]:
        raw = (data / resource["path"]).read_bytes()
        assert resource["bytes"] == len(raw)
        assert resource["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest()
        assert resource["mediatype"] == "text/csv" and resource["encoding"] == "utf-8"
    events = next(r for r in package["resources"] if r["name"] == "events")
    kind = next(f for f in events["schema"]["fields"] if f["name"] == "type")
    assert kind["constraints"]["enum"] == ["strike", "claim"]
    assert kind["vocabulary"] == "event_types"
    links = next(r for r in package["resources"] if r["name"] == "event_places")
    assert links["schema"]["link"]["field"] == "places"


def test_sqlite_declares_keys_and_indexes_and_holds_every_row(built: Any) -> None:
    gathered, _, data = built
    con = sqlite3.connect(data / "test-facts.sqlite")
    con.execute("PRAGMA foreign_keys = ON")
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    sql = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    for name, table in gathered.tables.items():
        (count,) = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        assert count == ROWS[name]
        declared = {(row[3], row[2], row[4]) for row in
                    con.execute(f'PRAGMA foreign_key_list("{name}")')}
        for fk in table.spec.schema.get("foreignKeys", []):
            target = fk["reference"]["resource"] or name
            assert (fk["fields"][0], target, "id") in declared
            assert "REFERENCES" in sql[name]
            indexes = [row[1] for row in con.execute(f'PRAGMA index_list("{name}")')]
            covered = [con.execute(f'PRAGMA index_info("{i}")').fetchone()[2] for i in indexes]
            assert fk["fields"][0] in covered
    assert "NOT NULL" in sql["events"] and 'PRIMARY KEY ("event_id", "position")' in sql[
        "event_places"]


def _expected_csv_cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "string":
        return neutralise(value)
    return value


def test_every_csv_reads_back_in_duckdb_with_declared_types(built: Any) -> None:
    gathered, _, data = built
    for name, table in gathered.tables.items():
        types = {f.name: DUCKDB_TYPES[f.type] for f in table.spec.fields}
        relation = duckdb.read_csv(str(data / f"{name}.csv"), header=True, columns=types,
                                   quotechar='"', escapechar='"', delimiter=",")
        rows = relation.fetchall()
        expected = [tuple(_expected_csv_cell(row.get(c), table.spec.field(c).type)
                          for c in table.columns) for row in table.rows]
        assert rows == expected, name
        assert len(rows) == ROWS[name]


def _sqlite_value(con: sqlite3.Connection, table: str, column: str, key: str) -> Any:
    return con.execute(f'SELECT "{column}" FROM "{table}" WHERE id = ?', (key,)).fetchone()[0]


def _csv_rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    text = files[f"data/{name}.csv"].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_formula_text_is_neutralised_in_csv_only(built: Any) -> None:
    _, files, data = built
    assert files["data/events.csv"].count(b"'=HYPERLINK(\"\"http://x\"\")") == 1
    events = {row["id"]: row for row in _csv_rows(files, "events")}
    assert events["e1"]["title"] == "'" + FORMULA
    figures = {row["id"]: row for row in _csv_rows(files, "figures")}
    assert figures["f1"]["value"] == "-5" and figures["f1"]["low"] == "-5"
    assert figures["f1"]["value_text"] == "'-5 °C"
    actors = {row["id"]: row for row in _csv_rows(files, "actors")}
    assert actors["nrk"]["note"] == "'@nrk on social media"
    assert actors["kremlin"]["role"] == "'-5 degrees"
    assert json.loads(files["data/events.json"])[0]["title"] == FORMULA
    assert json.loads(files["data/figures.json"])[0]["value"] == -5
    con = sqlite3.connect(data / "test-facts.sqlite")
    assert _sqlite_value(con, "events", "title", "e1") == FORMULA
    assert _sqlite_value(con, "figures", "value", "f1") == -5
    assert _sqlite_value(con, "actors", "role", "kremlin") == "-5 degrees"


def test_norway_unicode_and_multiline_text_survive_everywhere(built: Any) -> None:
    _, files, data = built
    con = sqlite3.connect(data / "test-facts.sqlite")
    actors = {row["id"]: row for row in _csv_rows(files, "actors")}
    actors_json = {row["id"]: row for row in json.loads(files["data/actors.json"])}
    places_json = {row["id"]: row for row in json.loads(files["data/places.json"])}
    assert actors["nrk"]["country"] == actors_json["nrk"]["country"] == "NO"
    assert _sqlite_value(con, "actors", "country", "nrk") == "NO"
    name = "Володимир Зеленський"
    assert actors["zelenskyy"]["name"] == actors_json["zelenskyy"]["name"] == name
    assert _sqlite_value(con, "actors", "name", "zelenskyy") == name
    assert places_json["zurich"]["name"] == _sqlite_value(con, "places", "name", "zurich")
    assert _csv_rows(files, "places")[1]["name"] == "Zürich"
    assert places_json["london"]["lon"] == -0.1276
    assert _csv_rows(files, "quotes")[0]["text"] == QUOTE
    assert json.loads(files["data/quotes.json"])[0]["text"] == QUOTE
    assert _sqlite_value(con, "quotes", "text", "q1") == QUOTE
    assert json.loads(files["data/quotes.json"])[0]["translated"] is True
    assert json.loads(files["data/figures.json"])[0]["projection"] is False


def test_json_and_csv_row_counts_match_the_records(built: Any) -> None:
    _, files, _ = built
    for name, count in ROWS.items():
        assert len(json.loads(files[f"data/{name}.json"])) == count
        assert len(_csv_rows(files, name)) == count
        ids = [row.get("id") for row in json.loads(files[f"data/{name}.json"])]
        assert ids == sorted(ids, key=lambda i: i or "")


def test_a_row_lost_between_records_and_tables_stops_the_build(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    gathered = gather(project)
    gathered.tables["event_places"].rows.pop()
    with pytest.raises(PublishError, match="event_places"):
        publish_data(gathered, CHARTS, make_env(project))


def test_two_builds_give_identical_bytes(built: Any, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _, files, _ = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    _, again = publish(make_project(tmp_path))
    assert sorted(again) == sorted(files)
    for path, data in files.items():
        assert again[path] == data, path


def test_zip_holds_everything_with_fixed_times_and_modes(built: Any) -> None:
    _, files, _ = built
    archive = zipfile.ZipFile(io.BytesIO(files["data/test-facts.zip"]))
    names = archive.namelist()
    assert names == sorted(names)
    published = {p.removeprefix("data/") for p in files} - {"index.html", "test-facts.zip"}
    assert {n.removeprefix("test-facts/") for n in names} == published | {"README.md",
                                                                          "CITATION.cff"}
    for info in archive.infolist():
        assert info.date_time == (2022, 3, 3, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
    for path in published:
        assert archive.read(f"test-facts/{path}") == files[f"data/{path}"]
    readme = archive.read("test-facts/README.md").decode("utf-8")
    for name in ROWS:
        assert f"### {name}:" in readme
    assert "apostrophe" in readme and "CC-BY-4.0" in readme
    cff = yaml.safe_load(archive.read("test-facts/CITATION.cff"))
    assert cff["cff-version"] == "1.2.0" and cff["version"] == "2.1.0"
    assert cff["date-released"] == "2022-03-03"
    assert cff["authors"] == [{"name": "Test Desk"}] and cff["license"] == "CC-BY-4.0"
    assert cff["url"] == "https://example.org/facts/data/"


def test_datasette_metadata_documents_every_table_and_column(built: Any) -> None:
    gathered, files, _ = built
    metadata = json.loads(files["data/metadata.json"])
    assert metadata["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata["source_url"] == "https://example.org/facts/"
    tables = metadata["databases"]["test-facts"]["tables"]
    assert list(tables) == list(gathered.tables)
    for name, table in gathered.tables.items():
        assert set(tables[name]["columns"]) == set(table.columns)


class _Page(HTMLParser):
    """Collects what the accessibility and link checks need from the codebook page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.headings: list[int] = []
        self.tables = self.captions = 0
        self.th_without_scope = 0
        self.scripts: list[str] = []
        self.codes: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if tag == "a" and found.get("href") is not None:
            self.hrefs.append(found["href"] or "")
        if tag in ("h1", "h2", "h3", "h4"):
            self.headings.append(int(tag[1]))
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.th_without_scope += tag == "th" and "scope" not in found
        if tag == "script" and found.get("type") == "application/ld+json":
            self._in = "script"
            self.scripts.append("")
        if tag == "code":
            self._in = "code"
            self.codes.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "code"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "code":
            self.codes[-1] += data


def test_codebook_lists_every_table_and_field_accessibly(built: Any) -> None:
    gathered, files, _ = built
    page = _Page()
    page.feed(files["data/index.html"].decode("utf-8"))
    for name, table in gathered.tables.items():
        assert f"table-{name}" in page.ids
        for column in table.columns:
            assert f"table-{name}-{column}" in page.ids
    assert page.tables == page.captions > len(ROWS)
    assert page.th_without_scope == 0
    assert page.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False))
    html = files["data/index.html"].decode("utf-8")
    assert "<code>strike</code> Strike" in html and "<code>claim</code> Territorial claim" in html
    assert '<a href="#table-places">places</a>' in html
    assert "Test Desk (2022). Test facts (version 2.1.0) [Data set]. " \
           "https://example.org/facts/data/." in html
    assert "apostrophe" in html


def test_codebook_links_are_relative_and_reach_every_file(built: Any) -> None:
    _, files, _ = built
    page = _Page()
    page.feed(files["data/index.html"].decode("utf-8"))
    internal = [h for h in page.hrefs if not h.startswith("https://creativecommons.org/")]
    assert all("://" not in h and not h.startswith("/") for h in internal)
    for href in internal:
        if href.startswith("#"):
            assert href[1:] in page.ids
    downloads = {p.removeprefix("data/") for p in files} - {"index.html"}
    assert downloads <= set(internal)
    assert "../charts/killed.csv" in internal


def test_codebook_json_ld_is_a_dataset_with_one_download_per_file(built: Any) -> None:
    _, files, _ = built
    page = _Page()
    page.feed(files["data/index.html"].decode("utf-8"))
    (script,) = page.scripts
    jsonld = json.loads(script)
    assert jsonld["@type"] == "Dataset" and jsonld["version"] == "2.1.0"
    assert jsonld["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert jsonld["creator"] == {"@type": "Organization", "name": "Test Desk",
                                 "url": "https://example.org/facts/"}
    assert jsonld["temporalCoverage"] == "2022-02-01/2022-03-02"
    assert jsonld["spatialCoverage"]["geo"]["box"] == "47.3769 -0.1276 51.5072 8.5417"
    downloads = jsonld["distribution"]
    published = sorted(p.removeprefix("data/") for p in files if p != "data/index.html")
    assert sorted(d["name"] for d in downloads) == published
    assert all(d["@type"] == "DataDownload" for d in downloads)
    assert all(d["contentUrl"] == "https://example.org/facts/data/" + d["name"]
               for d in downloads)


def test_without_base_url_downloads_stay_relative(tmp_path: Path) -> None:
    site = SITE.replace("base_url: https://example.org/facts/\n", "")
    _, files = publish(make_project(tmp_path, site), Charts())
    package = json.loads(files["data/datapackage.json"])
    assert "homepage" not in package and "path" not in package["sources"][0]
    page = _Page()
    page.feed(files["data/index.html"].decode("utf-8"))
    jsonld = json.loads(page.scripts[0])
    assert all(d["contentUrl"] == d["name"] for d in jsonld["distribution"])
    assert "url" not in jsonld
    assert "chart-data" not in page.ids


@pytest.mark.parametrize(("text", "csv_text"), [
    ("=1+1", "'=1+1"), ("+31 20", "'+31 20"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), ("NO", "NO"), (" =x", " =x"),
])
def test_neutralise_prefixes_only_formula_starts(text: str, csv_text: str) -> None:
    assert neutralise(text) == csv_text


def test_csv_cells_keep_numbers_and_the_columns_own_rules() -> None:
    assert csv_cell(-5, "number") == "-5" and csv_cell(-0.5, "number") == "-0.5"
    assert csv_cell("-5", "string") == "'-5"
    assert csv_cell(False, "boolean") == "false" and csv_cell(None, "string") == ""
    assert csv_cell("2022-03-01", "date") == "2022-03-01"
    signed = allows({"pattern": "[-+]?[0-9]+"})
    assert csv_cell("-5", "string", signed) == "-5"
    assert csv_cell("=5", "string", allows({"enum": ["=5", "'=5"]})) == "'=5"
    assert csv_cell("=5", "string", allows({"maxLength": 2})) == "=5"
    assert csv_cell("=5", "string", allows({"maxLength": 3})) == "'=5"
