"""The Vega-Lite drawing of figures over time: each claim drawn as what it says.

A lower bound is an open mark with an upward arrow, an upper bound one with a downward arrow,
a range a vertical bar between open marks, "about" a ringed solid mark; only exact and about
claims get a solid mark. Projections have a dashed outline and superseded figures are faded.
Claimants differ in colour and in shape, so the chart reads without colour.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

import altair as alt
from altair.utils.schemapi import debug_mode

from site_gen.chart_style import INK, PALETTE, SHAPES, SLOT, WIDTH, finish, to_dict

SOLID = ["exact", "about"]
LOWER = ["at_least", "more_than"]
UPPER = ["nearly", "up_to"]
STATUSES = ("reported", "projection", "superseded")
LABELLED = 8  # charts with more plotted figures than this get no direct labels
HEIGHT = 260
# What each layer of the template draws; a chart keeps only the layers its rows need.
LAYERS = ("span", "range", "about", "solid", "open", "range", "lower", "upper", "label")
EPOCH = date(1970, 1, 1)


def utc_ms(day: date) -> int:
    """Midnight UTC of a day in milliseconds, as Vega reads an ISO date."""
    return (day - EPOCH).days * 86_400_000


def x_slots(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The time axis of one chart: UTC days (no time-zone shift), a margin, readable ticks."""
    first = min(date.fromisoformat(r["as_of_start"]) for r in rows)
    last = max(date.fromisoformat(r["as_of_end"]) for r in rows)
    span = (last - first).days
    margin = timedelta(days=max(1, span // 12))
    one_year = first.year == last.year
    day = "%-d %b" if one_year else "%-d %b %Y"
    if span <= 14:
        ticks, label = {"interval": "day", "step": 1 + span // 7}, day
    elif span <= 120:
        ticks, label = {"interval": "week", "step": 1}, day
    elif span <= 1100:
        ticks, label = {"interval": "month", "step": 1 + span // 365}, "%b %Y"
    else:
        ticks, label = {"interval": "year", "step": 1 + span // 3650}, "%Y"
    return {
        SLOT + "x_from": utc_ms(first - margin), SLOT + "x_to": utc_ms(last + margin),
        SLOT + "x_ticks": ticks, SLOT + "x_format": label,
        SLOT + "x_title": f"As of ({first.year})" if one_year and span <= 120 else "As of",
    }


def mark_key(rows: list[dict[str, Any]]) -> list[str]:
    """What the marks mean, for the qualifiers and statuses this chart actually shows."""
    present = {r["qualifier"] for r in rows}
    parts = []
    if "exact" in present:
        parts.append("solid mark: exact")
    if "about" in present:
        parts.append("ringed solid mark: about")
    if present & set(LOWER):
        parts.append("open mark with ▲ arrow: at least / more than (a lower bound)")
    if present & set(UPPER):
        parts.append("open mark with ▼ arrow: nearly / up to (an upper bound)")
    if "range" in present:
        parts.append("vertical bar between open marks: a range")
    statuses = {r["status"] for r in rows}
    if "projection" in statuses:
        parts.append("dashed outline: projection")
    if "superseded" in statuses:
        parts.append("faded: superseded by a later figure")
    if any(r["as_of_precision"] != "day" for r in rows):
        parts.append("horizontal line: the days an as-of month, year or span covers")
    return _lines("Marks: " + "; ".join(parts) + ".")


def _lines(text: str, width: int = 96) -> list[str]:
    """Break a subtitle into lines no wider than the chart (Vega does not wrap titles)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _layers(color: alt.Color, shape: alt.Shape) -> list[alt.Chart]:
    tooltip = [alt.Tooltip("claimant:N", title="Claimant"),
               alt.Tooltip("value_text:N", title="As reported"),
               alt.Tooltip("claim:N", title="Claim"),
               alt.Tooltip("as_of:N", title="As of"),
               alt.Tooltip("status:N", title="Status")]
    x = alt.X("as_of_end:T", title=SLOT + "x_title",
              scale=alt.Scale(type="utc", domain=[SLOT + "x_from", SLOT + "x_to"]),
              axis=alt.Axis(format=SLOT + "x_format", tickCount=SLOT + "x_ticks",
                            labelAngle=0, labelOverlap=True))
    common: dict[str, Any] = {
        "x": x,
        "y": alt.Y("value:Q", title=SLOT + "y_title", axis=SLOT + "y_axis",
                   scale=alt.Scale(zero=True, nice=True)),
        "opacity": alt.Opacity("status:O", legend=None, scale=alt.Scale(
            type="ordinal", domain=list(STATUSES), range=[1.0, 1.0, 0.4])),
        "tooltip": tooltip,
        # Each mark's text for screen readers, looked up from data: Vega-Lite would otherwise
        # build it as an expression with the axis title (a metric label) written into it.
        "description": alt.Description("description:N"),
    }
    plain = {**common, "color": color}
    keyed = {**plain, "shape": shape, "strokeDash": alt.StrokeDash("status:N", legend=None,
             scale=alt.Scale(domain=list(STATUSES), range=[[1, 0], [3, 2], [1, 0]]))}
    solid = alt.LogicalAndPredicate(**{"and": [
        alt.FieldOneOfPredicate(field="qualifier", oneOf=SOLID),
        alt.FieldOneOfPredicate(field="status", oneOf=["reported", "superseded"])]})
    equal, among = alt.FieldEqualPredicate, alt.FieldOneOfPredicate
    hollow = {"size": 90, "strokeWidth": 1.8, "filled": False, "fill": "white"}
    base = alt.Chart()
    return [  # in the order of LAYERS
        base.mark_rule(strokeWidth=2, opacity=0.5).encode(**plain, x2="as_of_start:T")
        .transform_filter(among(field="as_of_precision", oneOf=["month", "year", "interval"])),
        base.mark_rule(strokeWidth=2).encode(**plain, y2="value_high:Q")
        .transform_filter(equal(field="qualifier", equal="range")),
        base.mark_point(shape="circle", size=320, strokeWidth=1.2, filled=False)
        .encode(**plain).transform_filter(equal(field="qualifier", equal="about")),
        base.mark_point(size=90, strokeWidth=1.6, filled=True).encode(**keyed)
        .transform_filter(solid),
        base.mark_point(**hollow).encode(**keyed)
        .transform_filter(alt.LogicalNotPredicate(**{"not": solid})),
        base.mark_point(**hollow).encode(**{**keyed, "y": alt.Y("value_high:Q")})
        .transform_filter(equal(field="qualifier", equal="range")),
        base.mark_point(shape="arrow", size=160, filled=True, yOffset=-16).encode(**plain)
        .transform_filter(among(field="qualifier", oneOf=LOWER)),
        base.mark_point(shape="arrow", angle=180, size=160, filled=True, yOffset=16)
        .encode(**plain).transform_filter(among(field="qualifier", oneOf=UPPER)),
        # Direct labels, last: dropped from charts with too many figures to label.
        base.mark_text(align="left", baseline="middle", dx=11, fontSize=11, color=INK)
        .encode(**common, text="label:N"),
    ]


def _claimant_key(color: alt.Color, shape: alt.Shape) -> alt.Chart:
    """The claimant legend as a small chart of its own, sharing the colour and shape scales.

    Vega-Lite merges a colour and a shape legend only when every layer draws both; drawing
    the key keeps claimant names in data values, where they cannot act as anything else.
    """
    key = alt.Chart(alt.NamedData("claimants"),
                    title=alt.Title("Claimant", anchor="start", fontSize=12))
    return key.mark_point(
        filled=True, size=90, strokeWidth=1.6, opacity=1).encode(
        y=alt.Y("claimant:N", title=None, sort="ascending", axis=alt.Axis(
            orient="right", domain=False, ticks=False, grid=False, labelFontSize=11,
            labelLimit=240, labelPadding=6)),
        color=color, shape=shape,
    ).properties(width=12, height=alt.Step(22))


@cache
def _template() -> dict[str, Any]:
    """The figures-over-time chart without its data, axis details or titles: built once."""
    color = alt.Color("claimant:N", scale=alt.Scale(range=list(PALETTE)), legend=None)
    shape = alt.Shape("claimant:N", scale=alt.Scale(range=list(SHAPES)), legend=None)
    with debug_mode(False):  # placeholders stand where the schema wants objects
        plot = alt.layer(*_layers(color, shape), data=alt.NamedData("rows")).transform_lookup(
            lookup="id", from_=alt.LookupData(data=alt.NamedData("descriptions"), key="id",
                                              fields=["description"])).properties(
            width=WIDTH, height=HEIGHT)
        chart = alt.hconcat(plot, _claimant_key(color, shape), spacing=24).resolve_scale(
            color="shared", shape="shared")
    return to_dict(chart)


def describe(row: dict[str, Any]) -> str:
    """What a screen reader says for one mark: who claimed what, as of when."""
    status = "" if row["status"] == "reported" else f" ({row['status']})"
    return f"{row['claimant']}: {row['claim']} as of {row['as_of']}{status}"


def _y_axis(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Whole-number ticks when every plotted number is whole (no "rank 1.5")."""
    numbers = [r["value"] for r in rows] + [r["value_high"] for r in rows if r["value_high"]]
    whole = all(float(n).is_integer() for n in numbers)
    return {"tickMinStep": 1} if whole else {}


def _needed(rows: list[dict[str, Any]]) -> set[str]:
    qualifiers = {r["qualifier"] for r in rows}
    solid = [r["qualifier"] in SOLID and r["status"] != "projection" for r in rows]
    needed = {name for name, wanted in (
        ("span", any(r["as_of_precision"] != "day" for r in rows)),
        ("range", "range" in qualifiers), ("about", "about" in qualifiers),
        ("solid", any(solid)), ("open", not all(solid)),
        ("lower", bool(qualifiers & set(LOWER))), ("upper", bool(qualifiers & set(UPPER))),
        ("label", len(rows) <= LABELLED)) if wanted}
    return needed


def claims_spec(name: str, y_title: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures-over-time spec of one group: the plot, its claimant key, the rows inline."""
    claimants = [{"claimant": c} for c in sorted({r["claimant"] for r in rows})]
    descriptions = [{"id": r["id"], "description": describe(r)} for r in rows]
    spec = finish(_template(), name, mark_key(rows),
                  {"rows": rows, "claimants": claimants, "descriptions": descriptions},
                  {**x_slots(rows), SLOT + "y_title": y_title, SLOT + "y_axis": _y_axis(rows)})
    needed = _needed(rows)
    plot = spec["hconcat"][0]
    plot["layer"] = [layer for layer, role in zip(plot["layer"], LAYERS, strict=True)
                     if role in needed]
    return spec
