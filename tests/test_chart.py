"""The chart stage: valid Vega-Lite, claims drawn as claimed, inert text, honest CSVs, a cache."""

from __future__ import annotations

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import pytest
from conftest import make_project

from site_gen.chart import Charts, make_charts
from site_gen.chart_draw import Drawer, draw_svg
from site_gen.chart_geo import Frame, extent, spaced_labels
from site_gen.chart_map import BASEMAP
from site_gen.chart_output import (
    Drawing,
    csv_bytes,
    spec_bytes,
    svg_cache_path,
    vegalite_version,
)
from site_gen.schemas import DEFAULTS
from site_gen.validate import Gathered, gather

SCRIPT = "</script><img src=x onerror=alert(1)>"
EXPRESSION = "datum.x || alert(1)"
FILES = {
    "site.yaml": f"""\
title: Chart test
vocabularies:
  event_types: {{strike: Strike, talks: "Talks {SCRIPT}"}}
  metrics: {{killed: "Killed {EXPRESSION}", refugees: Refugees}}
""",
    "content/actors/actors.yaml": f"""\
- {{id: unhcr, name: UNHCR, kind: organization}}
- {{id: evil, name: "{SCRIPT}", kind: group}}
- {{id: expr, name: "{EXPRESSION}", kind: group}}
""",
    "content/sources/report.yaml": "id: report\ntitle: A report\npublished: 2022-03-02\n",
    "content/places/places.yaml": """\
- {id: kyiv, name: Kyiv, country: UA, lat: 50.45, lon: 30.52}
- {id: lviv, name: "=HYPERLINK(\\"http://x\\") <b onmouseover=alert(1)>", lat: 49.84, lon: 24.03}
""",
    "content/events/events.yaml": """\
- {id: strike-1, date: 2022-03-01, title: One, type: strike, status: reported, sources: [report]}
- {id: strike-2, date: 2022-03-01, title: Two, type: strike, status: reported, sources: [report]}
- {id: talks-1, date: 2022-03-02, title: Talks, type: talks, status: claimed, sources: [report]}
- {id: strikes-march, date: 2022-03, title: March, type: strike, status: reported,
   sources: [report]}
- {id: talks-week, date: 2022-02-24/2022-03-02, title: Week, type: talks, status: reported,
   sources: [report]}
""",
    "content/figures/refugees.yaml": """\
- {id: refugees-early, metric: refugees, value: 500000, qualifier: about, as_of: 2022-03-01,
   claimant: unhcr, source: report, group: ukraine-refugees}
- {id: refugees-unhcr, metric: refugees, value: 836000, qualifier: at_least,
   value_text: "at least 836,000 people", unit: people, as_of: 2022-03-02, claimant: unhcr,
   source: report, group: ukraine-refugees, supersedes: refugees-early}
- {id: refugees-projection, metric: refugees, value: 4000000, qualifier: exact,
   as_of: 2022-03-02, claimant: unhcr, source: report, group: ukraine-refugees,
   projection: true}
""",
    "content/figures/killed.yaml": """\
- {id: killed-range, metric: killed, value: 10, value_high: 20, qualifier: range, as_of: 2022-03,
   claimant: evil, source: report, subject: "=cmd|' /C calc'!A0"}
- {id: killed-up-to, metric: killed, value: 50, qualifier: up_to, value_text: "-50 or fewer",
   as_of: 2022-03-02, claimant: expr, source: report}
- {id: killed-unknown, metric: killed, qualifier: unquantified, value_text: dozens,
   as_of: 2022-03-02, claimant: unhcr, source: report}
- {id: wounded-unknown, metric: killed, qualifier: unquantified, as_of: 2022-03-02,
   claimant: unhcr, source: report, group: wounded}
""",
}
REFUGEE_ROWS = [
    {"id": "refugees-early", "claimant": "UNHCR", "claim": "about 500,000",
     "label": "about 500,000 (superseded)", "value": 500000, "value_high": None,
     "qualifier": "about", "unit": None, "value_text": None, "as_of": "1 March 2022",
     "as_of_start": "2022-03-01", "as_of_end": "2022-03-01", "as_of_precision": "day",
     "status": "superseded", "subject": None, "metric": "Refugees"},
    {"id": "refugees-projection", "claimant": "UNHCR", "claim": "4,000,000",
     "label": "4,000,000 (projection)", "value": 4000000, "value_high": None,
     "qualifier": "exact", "unit": None, "value_text": None, "as_of": "2 March 2022",
     "as_of_start": "2022-03-02", "as_of_end": "2022-03-02", "as_of_precision": "day",
     "status": "projection", "subject": None, "metric": "Refugees"},
    {"id": "refugees-unhcr", "claimant": "UNHCR", "claim": "at least 836,000 people",
     "label": "at least 836,000 people", "value": 836000, "value_high": None,
     "qualifier": "at_least", "unit": "people", "value_text": "at least 836,000 people",
     "as_of": "2 March 2022", "as_of_start": "2022-03-02", "as_of_end": "2022-03-02",
     "as_of_precision": "day", "status": "reported", "subject": None, "metric": "Refugees"},
]
# (mark, filled, shape, yOffset) of each layer the refugees chart needs, in drawing order.
REFUGEE_LAYERS = [
    ["point", False, "circle", None],  # the ring of "about"
    ["point", True, None, None],  # solid: exact and about, not projections
    ["point", False, None, None],  # open: bounds, ranges, projections
    ["point", True, "arrow", -16],  # the upward arrow of a lower bound
    ["text", None, None, None],  # direct labels
]


@dataclass
class Built:
    gathered: Gathered
    cache: Path
    charts: Charts

    def spec(self, chart_id: str) -> dict[str, Any]:
        chart = self.charts.by_id(chart_id)
        assert chart is not None, chart_id
        return json.loads(self.charts.files[chart.spec_path])


def _build(project: Path, cache: Path) -> tuple[Gathered, Charts]:
    gathered = gather(project)
    assert gathered.ok, gathered.problems
    assert gathered.config is not None
    return gathered, make_charts(gathered.tables, gathered.config, cache)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("charts")
    gathered, charts = _build(make_project(root, FILES, base=False), root / "cache")
    return Built(gathered, root / "cache", charts)


def _fresh_cache(built: Built, tmp_path: Path) -> Path:
    """An empty SVG cache that reuses the Vega bundle already made (it takes a second)."""
    cache = tmp_path / "cache"
    shutil.copytree(built.cache / "vega", cache / "vega")
    return cache


def _plotted(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["hconcat"][0]["data"]["values"] if "hconcat" in spec else spec["data"]["values"]


def _matches(predicate: dict[str, Any], row: dict[str, Any]) -> bool:
    """Evaluate the field predicates the chart filters use (and nothing else)."""
    if "and" in predicate:
        return all(_matches(p, row) for p in predicate["and"])
    if "not" in predicate:
        return not _matches(predicate["not"], row)
    if "oneOf" in predicate:
        return row.get(predicate["field"]) in predicate["oneOf"]
    if "equal" in predicate:
        return row.get(predicate["field"]) == predicate["equal"]
    raise AssertionError(f"unexpected predicate {predicate}")


def _drawn_by(layer: dict[str, Any], row: dict[str, Any]) -> bool:
    return all(_matches(t["filter"], row) for t in layer.get("transform", []))


def _strings(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def test_one_chart_per_quantified_group_plus_events_and_map(built: Built) -> None:
    charts = built.charts
    assert [c.id for c in charts.charts] == [
        "figures-ukraine-refugees", "figures-killed", "events-per-day", "places-map"]
    refugees = charts.by_id("figures-ukraine-refugees")
    assert refugees is not None
    assert (refugees.kind, refugees.group, refugees.metric) == (
        "figures", "ukraine-refugees", "refugees")
    assert refugees.figure_ids == ("refugees-early", "refugees-projection", "refugees-unhcr")
    assert refugees.alt.startswith("Ukraine refugees, by claimant. UNHCR: about 500,000 as of "
                                   "1 March 2022 (superseded);")
    killed = charts.by_id("figures-killed")
    assert killed is not None and killed.group == "killed"  # no group: grouped by metric
    assert "killed-unknown" not in killed.figure_ids
    assert "Not plotted, no number given: UNHCR: dozens as of 2 March 2022." in killed.alt
    assert charts.for_figure("refugees-unhcr") == [refugees]
    assert charts.for_figure("wounded-unknown") == []  # its group has no number: no chart
    assert [c.id for c in charts.of_kind("map")] == ["places-map"]
    for chart in charts.charts:
        assert chart.spec_path == f"charts/{chart.id}.vl.json"
        for path in (chart.spec_path, chart.svg_path, chart.csv_path):
            assert charts.files[path], path


def test_every_spec_validates_against_the_vega_lite_schema(built: Built) -> None:
    for chart in built.charts.charts:
        spec = built.spec(chart.id)
        kind = (alt.HConcatChart if "hconcat" in spec else
                alt.LayerChart if "layer" in spec else alt.Chart)
        kind.from_dict(spec, validate=True)  # raises on any schema error
    broken = built.spec("events-per-day")
    broken["mark"] = {"type": "no-such-mark"}
    with pytest.raises(Exception, match="no-such-mark"):
        alt.Chart.from_dict(broken, validate=True)


def test_spec_is_sorted_json_with_the_plotted_rows_inline(built: Built) -> None:
    raw = built.charts.files["charts/figures-ukraine-refugees.vl.json"]
    spec = json.loads(raw)
    assert raw == spec_bytes(spec), "spec file is not sorted, compact JSON"
    plot = spec["hconcat"][0]
    assert json.dumps(plot["data"]["values"], sort_keys=True) == json.dumps(
        REFUGEE_ROWS, sort_keys=True)
    layers = [[layer["mark"]["type"], layer["mark"].get("filled"), layer["mark"].get("shape"),
               layer["mark"].get("yOffset")] for layer in plot["layer"]]
    assert layers == REFUGEE_LAYERS
    assert spec["hconcat"][1]["data"]["values"] == [{"claimant": "UNHCR"}]
    assert spec["title"]["text"] == "Ukraine refugees"
    assert plot["layer"][0]["encoding"]["y"]["title"] == "Refugees (people)"
    assert spec["description"] == built.charts.charts[0].alt


def test_same_input_gives_the_same_bytes(built: Built, tmp_path: Path) -> None:
    _, again = _build(built.gathered.project, _fresh_cache(built, tmp_path))
    assert again.files == built.charts.files


def test_bounds_are_never_drawn_as_exact_marks(built: Built) -> None:
    for chart_id in ("figures-ukraine-refugees", "figures-killed"):
        layers = built.spec(chart_id)["hconcat"][0]["layer"]
        for row in built.charts.by_id(chart_id).rows:  # type: ignore[union-attr]
            drawn = [layer["mark"] for layer in layers if _drawn_by(layer, row)]
            points = [m for m in drawn if m["type"] == "point" and m.get("shape") != "arrow"]
            arrows = [m for m in drawn if m.get("shape") == "arrow"]
            solid = [m for m in points if m.get("filled")]
            if row["qualifier"] in ("at_least", "more_than"):
                assert not solid and points and [a["yOffset"] for a in arrows] == [-16], row
            elif row["qualifier"] in ("nearly", "up_to"):
                assert not solid and points and [a.get("angle") for a in arrows] == [180], row
            elif row["qualifier"] == "range":
                assert not solid and len(points) == 2 and not arrows, row
                assert any(m["type"] == "rule" for m in drawn)
            elif row["status"] == "projection":
                assert not solid and points and not arrows, row
            else:
                assert solid and not arrows, row


def test_csv_holds_exactly_the_plotted_rows(built: Built) -> None:
    for chart in built.charts.charts:
        spec = built.spec(chart.id)
        assert _plotted(spec) == list(chart.rows)
        text = built.charts.files[chart.csv_path].decode("utf-8")
        table = list(csv.reader(io.StringIO(text, newline="")))
        assert table[0] == [key for key, _ in chart.columns]
        assert len(table) - 1 == len(chart.rows)
        for line, row in zip(table[1:], chart.rows, strict=True):
            for cell, (key, _) in zip(line, chart.columns, strict=True):
                value = row[key]
                expected = "" if value is None else str(value)
                assert cell in (expected, "'" + expected), (chart.id, key, cell)
        if chart.kind == "figures":
            assert tuple(r["id"] for r in chart.rows) == chart.figure_ids


def test_formula_like_cells_are_neutralised_and_numbers_are_not(built: Built) -> None:
    killed = list(csv.DictReader(io.StringIO(
        built.charts.files["charts/figures-killed.csv"].decode("utf-8"), newline="")))
    by_id = {row["id"]: row for row in killed}
    assert by_id["killed-range"]["subject"] == "'=cmd|' /C calc'!A0"
    assert by_id["killed-up-to"]["value_text"] == "'-50 or fewer"
    places = built.charts.files["charts/places-map.csv"].decode("utf-8")
    assert "\r\nlviv,\"'=HYPERLINK(\"\"http://x\"\")" in places
    assert csv_bytes([("n", "N"), ("s", "S")], [{"n": -5, "s": "@x"}]) == b"n,s\r\n-5,'@x\r\n"
    assert csv_bytes([("s", "S")], [{"s": "\tx"}, {"s": "+1"}]) == b"s\r\n'\tx\r\n'+1\r\n"
    chart = built.charts.by_id("figures-killed")
    assert chart is not None and chart.rows[1]["subject"] == "=cmd|' /C calc'!A0"  # raw for HTML


def test_hostile_text_is_inert_data_in_spec_and_escaped_in_svg(built: Built) -> None:
    for chart in built.charts.charts:
        spec = built.spec(chart.id)
        assert not {"expr", "calculate", "signal", "labelExpr", "url"} & set(_keys(spec))
        hits = [path for path, text in _strings(spec) if "alert(1)" in text]
        if chart.id != "figures-ukraine-refugees":
            assert hits, f"{chart.id}: the fixture's hostile text is missing"
        for path in hits:
            plain_title = path[-1] in ("title", "text", "description") or "subtitle" in path
            assert "values" in path or plain_title, (chart.id, path)
        svg = built.charts.files[chart.svg_path]
        root = ET.fromstring(svg)
        for element in root.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            assert tag not in ("script", "foreignObject", "iframe", "image"), (chart.id, tag)
            assert not [a for a in element.attrib if a.lower().startswith("on")], chart.id
            href = element.get("href") or element.get("{http://www.w3.org/1999/xlink}href")
            assert href is None or not href.lower().startswith("javascript"), chart.id
        assert b"<img" not in svg and b"<b " not in svg and b"</script>" not in svg
    assert b"&lt;/script&gt;&lt;img" in built.charts.files["charts/figures-killed.svg"]


def test_svg_cache_is_hit_on_the_second_run(built: Built, tmp_path: Path) -> None:
    cache = _fresh_cache(built, tmp_path)
    project = built.gathered.project
    _, first = _build(project, cache)
    drawn = {p.name: p.stat().st_mtime_ns for p in (cache / "svg").iterdir()}
    assert len(drawn) == len(first.charts) == 4
    _, second = _build(project, cache)
    assert {p.name: p.stat().st_mtime_ns for p in (cache / "svg").iterdir()} == drawn
    assert second.files == first.files
    edited = project / "content/figures/killed.yaml"
    edited.write_text(edited.read_text().replace("value: 50,", "value: 60,"))
    try:
        _, third = _build(project, cache)
    finally:
        edited.write_text(edited.read_text().replace("value: 60,", "value: 50,"))
    now = {p.name: p.stat().st_mtime_ns for p in (cache / "svg").iterdir()}
    assert len(now) == 5, "only the edited chart is drawn again"
    assert {name: now[name] for name in drawn} == drawn
    assert third.files["charts/figures-killed.svg"] != first.files["charts/figures-killed.svg"]


def test_events_per_day_leave_out_dates_coarser_than_a_day(built: Built) -> None:
    chart = built.charts.by_id("events-per-day")
    assert chart is not None
    assert list(chart.rows) == [
        {"date": "2022-03-01", "day": "1 March 2022", "type": "strike", "type_label": "Strike",
         "events": 2},
        {"date": "2022-03-02", "day": "2 March 2022", "type": "talks",
         "type_label": f"Talks {SCRIPT}", "events": 1},
    ]
    assert chart.note == ("Not shown: 2 events not dated to a single day "
                          "(1 dated to a month, 1 dated to a span of days).")
    assert chart.note in chart.alt
    assert built.spec("events-per-day")["title"]["subtitle"] == [chart.note]


def test_map_draws_on_the_shipped_basemap_fitted_to_the_places(built: Built) -> None:
    assert BASEMAP.stat().st_size < 200_000
    assert (DEFAULTS / "basemap" / "README.md").is_file()
    spec = built.spec("places-map")
    land = spec["layer"][1]["data"]
    assert land["format"] == {"type": "topojson", "feature": "countries"}
    assert land["values"]["type"] == "Topology" and "countries" in land["values"]["objects"]
    points = spec["projection"]["fit"]["geometry"]["coordinates"]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    assert min(lons) < 24.03 < 30.52 < max(lons) and min(lats) < 49.84 < 50.45 < max(lats)
    assert max(lons) - min(lons) < 20, "the map shows the places, not the world"
    assert [(r["id"], r["label"]) for r in _plotted(spec)] == [("kyiv", "right"),
                                                               ("lviv", "right")]


def test_map_names_only_places_whose_names_do_not_collide() -> None:
    places = [("kyiv", "Kyiv", 30.52, 50.45), ("tower", "Kyiv TV Tower", 30.52, 50.45),
              ("lviv", "Lviv", 24.03, 49.84), ("dc", "Washington", -77.04, 38.9)]
    frame = Frame.fit(extent((lon, lat) for _, _, lon, lat in places), 560)
    assert 140 <= frame.height < 300, "a wide extent makes a low map"
    west, east = frame.pixel(-77.04, 38.9), frame.pixel(30.52, 50.45)
    assert west[0] < 100 < 460 < east[0] and east[1] < west[1], "north is up, west is left"
    assert spaced_labels(places, frame) == {"kyiv": "right", "lviv": "left", "dc": "right"}
    crowded = [("a", "A long place name", 30.0, 50.0), ("b", "B", 30.9, 50.0)]
    sides = spaced_labels(crowded, Frame.fit(extent((30.0, 50.0) for _ in range(2)), 560))
    assert sides["a"] == "left", "a name that would cover a dot moves to the other side"


def test_svgs_are_white_cards_and_the_vega_script_is_served_locally(built: Built) -> None:
    root = ET.fromstring(built.charts.files["charts/places-map.svg"])
    assert root[0].tag.endswith("rect") and root[0].get("fill") == "white"
    bundle = built.charts.files["assets/vega/vega-bundle.js"].decode("utf-8")
    assert bundle.startswith("(function () {") and "window.vegaEmbed=" in bundle
    assert "https://cdn" not in bundle.split("window.vegaEmbed=")[-1]
    assert b"BSD" in built.charts.files["assets/vega/NOTICE.txt"]
    script = (DEFAULTS / "templates" / "assets" / "charts.js").read_text(encoding="utf-8")
    assert "data-vl-spec" in script and "window.vegaEmbed(" in script


def test_no_records_no_charts(built: Built, tmp_path: Path) -> None:
    assert built.gathered.config is not None
    charts = make_charts({}, built.gathered.config, _fresh_cache(built, tmp_path))
    assert charts.charts == [] and "assets/vega/vega-bundle.js" in charts.files


def test_the_worker_draws_what_this_process_would_and_fills_the_cache(
        built: Built, tmp_path: Path) -> None:
    cache = _fresh_cache(built, tmp_path)
    specs = {c.id: built.charts.files[c.spec_path] for c in built.charts.charts}
    paths = {c.id: c.svg_path for c in built.charts.charts}
    drawer = Drawer()
    try:
        drawing = Drawing(cache, drawer)
        drawing.svgs(paths, specs)
        assert len(drawing.pending) == len(specs), "nothing was cached: all go to the worker"
        files = drawing.files()
    finally:
        drawer.close()
    for chart_id, spec in specs.items():
        here = draw_svg(spec, vegalite_version())
        assert files[paths[chart_id]] == here == built.charts.files[paths[chart_id]]
        assert svg_cache_path(cache, spec).read_bytes() == here


def test_a_spec_the_worker_cannot_draw_fails_the_build_with_the_reason() -> None:
    drawer = Drawer()
    try:
        bad = drawer.submit_svg(b'{"mark": "bar", "data": {"url": "https://example.org/x.csv"},'
                                b' "encoding": {"x": {"field": "a"}}}', vegalite_version())
        good = drawer.submit_svg(b'{"mark": "bar", "data": {"values": [{"a": 1}]},'
                                 b' "encoding": {"x": {"field": "a"}}}', vegalite_version())
        with pytest.raises(RuntimeError, match="drawing a chart failed"):
            bad.result(timeout=60)
        assert good.result(timeout=60).startswith(b"<svg")
    finally:
        drawer.close()


def test_a_worker_that_dies_fails_what_it_was_drawing() -> None:
    drawer = Drawer()
    try:
        first = drawer.submit_bundle(vegalite_version())
        assert drawer._process is not None
        drawer._process.kill()
        with pytest.raises(RuntimeError, match="stopped"):
            first.result(timeout=60)
    finally:
        drawer.close()
