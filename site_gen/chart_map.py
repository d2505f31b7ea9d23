"""A map of the places, drawn on a world basemap shipped with the package (no tiles, no network).

The basemap travels inside the spec as inline TopoJSON so that the SVG renderer and the
browser draw the same map without fetching anything; the projection is fitted to the places.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

import altair as alt

from site_gen.chart_geo import Frame, extent, spaced_labels
from site_gen.chart_style import INK, PALETTE, WIDTH, Draft, Plan, finish, listing, to_dict
from site_gen.config import SiteConfig
from site_gen.schemas import DEFAULTS
from site_gen.tables import Table

BASEMAP = DEFAULTS / "basemap" / "countries-110m.json"
COLUMNS = (("id", "Place"), ("name", "Name"), ("country", "Country"), ("region", "Region"),
           ("lat", "Latitude"), ("lon", "Longitude"), ("label", "Name shown (side)"))
TITLE = "Map of places"
LAND, BORDER, SEA = "#e8e8e4", "#b9b9b2", "#f2f6fa"


@cache
def basemap() -> dict[str, Any]:
    """Natural Earth 1:110m countries as TopoJSON (world-atlas 2.0.2), read once per process."""
    return json.loads(BASEMAP.read_text(encoding="utf-8"))


def _priority(tables: dict[str, Table]) -> Counter[str]:
    """How often each place is referred to: the most cited places are named first."""
    cited: Counter[str] = Counter()
    for name, column in (("event_places", "place_id"), ("figures", "place")):
        table = tables.get(name)
        if table is not None:
            cited.update(row[column] for row in table.rows if row.get(column))
    return cited


def _alt_text(rows: list[dict[str, Any]]) -> str:
    names = [f"{r['name']} ({r['country']})" if r.get("country") else r["name"] for r in rows]
    noun = "place" if len(rows) == 1 else "places"
    return f"{TITLE}: {len(rows)} {noun} on a world map. {listing(names)}."


def _spec(rows: list[dict[str, Any]], corners: list[tuple[float, float]],
          frame: Frame) -> dict[str, Any]:
    projection = alt.Projection(type="equalEarth", fit={
        "type": "Feature", "properties": {},
        "geometry": {"type": "MultiPoint", "coordinates": [list(p) for p in corners]}})
    sea = alt.Chart(alt.SphereGenerator(sphere=True)).mark_geoshape(
        fill=SEA, stroke=None, clip=True, aria=False, tooltip=None)
    land = alt.Chart(alt.NamedData("basemap", format=alt.DataFormat(
        type="topojson", feature="countries"))).mark_geoshape(
        fill=LAND, stroke=BORDER, strokeWidth=0.6, clip=True, aria=False, tooltip=None)
    position = {"longitude": alt.Longitude("lon:Q"), "latitude": alt.Latitude("lat:Q")}
    tooltip = [alt.Tooltip("name:N", title="Name"), alt.Tooltip("country:N", title="Country"),
               alt.Tooltip("region:N", title="Region"), alt.Tooltip("lat:Q", title="Latitude"),
               alt.Tooltip("lon:Q", title="Longitude")]
    places = alt.Chart()  # the layer's own data: the rows
    layers = [
        sea,
        land,
        places.mark_point(filled=True, size=60, color=PALETTE[0], opacity=1, stroke="white",
                          strokeWidth=1).encode(**position, tooltip=tooltip),
    ]
    for side, align, dx in (("right", "left", 7), ("left", "right", -7)):
        text = {"align": align, "baseline": "middle", "dx": dx, "fontSize": 11, "color": INK}
        named = alt.FieldEqualPredicate(field="label", equal=side)
        layers += [  # a white halo under each name, then the name
            places.mark_text(**text, stroke="white", strokeWidth=3, strokeOpacity=0.85,
                             aria=False).encode(**position, text="name:N").transform_filter(named),
            places.mark_text(**text).encode(**position, text="name:N", tooltip=tooltip)
            .transform_filter(named),
        ]
    chart = alt.layer(*layers, data=alt.NamedData("rows")).properties(
        width=frame.width, height=frame.height, projection=projection)
    return finish(to_dict(chart), TITLE, [], {"rows": rows, "basemap": basemap()})


def map_plans(tables: dict[str, Table]) -> list[Plan]:
    """The places map, when there is at least one place with coordinates; its inputs are
    those places and how often each is cited."""
    places = tables.get("places")
    if places is None:
        return []
    rows = [{"id": r["id"], "name": r.get("name") or r["id"], "country": r.get("country"),
             "region": r.get("region"), "lat": r["lat"], "lon": r["lon"]}
            for r in places.rows
            if isinstance(r.get("lat"), int | float) and isinstance(r.get("lon"), int | float)]
    if not rows:
        return []
    cited = _priority(tables)
    return [Plan("places-map", _draft, (rows, [cited[r["id"]] for r in rows]))]


def _draft(config: SiteConfig, places: list[dict[str, Any]], cited: list[int]) -> Draft:
    corners = extent((r["lon"], r["lat"]) for r in places)
    frame = Frame.fit(corners, WIDTH)
    times = {r["id"]: count for r, count in zip(places, cited, strict=True)}
    order = sorted(places, key=lambda r: (-times[r["id"]], r["id"]))
    sides = spaced_labels([(r["id"], r["name"], r["lon"], r["lat"]) for r in order], frame)
    rows = [{**r, "label": sides.get(r["id"])} for r in places]
    return Draft(id="", kind="map", title=TITLE, spec=_spec(rows, corners, frame),
                 columns=COLUMNS, rows=tuple(rows), alt=_alt_text(rows))
