"""What every chart shares: the palette, the look, number wording, and the draft a builder returns.

Record text only ever travels in data values and plain title strings: nothing here builds a
Vega expression, so a claimant called `datum.x || alert(1)` stays a string.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import altair as alt
from altair.utils.schemapi import debug_mode

from site_gen.config import SiteConfig

# Okabe-Ito hues, darkened where needed: each has at least 3:1 contrast on white and on #1e1e1e.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8C6D00", "#7570B3", "#999933",
           "#E31A1C")
# Claimant shapes; triangle-up/-down and arrow are kept for the bound marks.
SHAPES = ("circle", "square", "diamond", "cross", "triangle-right", "triangle-left")
INK = "#222222"
MUTED = "#666666"
WIDTH = 560
ALT_ITEMS = 20  # items listed in a text alternative before "and N more"
SLOT = "\x00"  # starts a placeholder in a chart template, set per chart by finish()

# The shared look: a white card (readable in light and dark pages), dark ink, a quiet grid.
CONFIG: dict[str, Any] = {
    "background": "white",
    "font": "sans-serif",
    "view": {"stroke": None},
    "axis": {"labelColor": INK, "titleColor": INK, "domainColor": MUTED, "tickColor": MUTED,
             "gridColor": "#e4e4e4", "labelFontSize": 11, "titleFontSize": 12},
    "legend": {"labelColor": INK, "titleColor": INK, "labelFontSize": 11, "titleFontSize": 12,
               "labelLimit": 260},
    "title": {"color": INK, "subtitleColor": MUTED, "fontSize": 15, "subtitleFontSize": 11,
              "anchor": "start", "subtitleLineHeight": 15},
}


@dataclass
class Draft:
    """A chart before output: what pages need to know about it, and its Vega-Lite spec."""

    id: str
    kind: str
    title: str
    spec: dict[str, Any]
    columns: tuple[tuple[str, str], ...]
    rows: tuple[dict[str, Any], ...]
    alt: str
    group: str | None = None
    metric: str | None = None
    figure_ids: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Plan:
    """A chart before its draft: the id it asks for and everything its draft is made from.

    `make(config, *inputs)` reads nothing else, so equal inputs under an equal config give
    an equal draft; a long-lived build keeps the drafts of the last one by their inputs.
    The id is given out separately, in plan order, since two plans may ask for the same one.
    """

    wanted: str
    make: Callable[..., Draft]
    inputs: tuple[Any, ...]

    def draft(self, config: SiteConfig, chart_id: str) -> Draft:
        return replace(self.make(config, *self.inputs), id=chart_id)


def to_dict(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """Altair's dict of a chart, without schema validation (the tests validate every spec)."""
    with debug_mode(False):
        return chart.to_dict(validate=False)


def finish(template: dict[str, Any], title: str, subtitle: list[str], values: dict[str, Any],
           slots: dict[str, Any] | None = None) -> dict[str, Any]:
    """A chart's spec: its named data filled in inline, placeholders set, a plain title.

    Charts are drawn by Altair on named data (`alt.NamedData("rows")`) and filled in here:
    Altair copies a chart, data included, on every method call, which otherwise makes
    inline data, and repeated chart building, the main costs of a build.
    """
    spec = _fill(template, values, slots or {})
    spec["config"] = _fill(CONFIG, {}, {})  # a copy: specs share nothing mutable
    spec["title"] = {"text": title, "subtitle": subtitle} if subtitle else {"text": title}
    return spec


def _fill(node: Any, values: dict[str, Any], slots: dict[str, Any]) -> Any:
    """A copy of `node` with data and placeholders filled; the values are not walked."""
    if isinstance(node, list):
        return [_fill(item, values, slots) for item in node]
    if isinstance(node, str):
        return slots[node] if node.startswith(SLOT) else node
    if not isinstance(node, dict):
        return node
    out = {}
    for key, item in node.items():
        if key == "data" and isinstance(item, dict) and item.get("name") in values:
            out[key] = {k: v for k, v in item.items() if k != "name"}
            out[key]["values"] = values[item["name"]]
        else:
            out[key] = _fill(item, values, slots)
    return out


def number(value: float | int) -> str:
    """836000 → "836,000"; 2.50 → "2.5"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}"


def listing(items: list[str], more: str = "more") -> str:
    """At most ALT_ITEMS items joined with "; ", then how many were left out."""
    shown = "; ".join(items[:ALT_ITEMS])
    left = len(items) - ALT_ITEMS
    return f"{shown}; and {left} {more} (see the data table)" if left > 0 else shown


def slug(text: str) -> str:
    return text.replace("_", "-")


def unique_id(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`… when another chart already has that id."""
    candidate, count = wanted, 1
    while candidate in taken:
        count += 1
        candidate = f"{wanted}-{count}"
    taken.add(candidate)
    return candidate
