"""The chart stage: tables → Vega-Lite specs, with an SVG, a CSV and a text alternative each.

Every chart ships four ways so that every reader gets it: the SVG (shown without JavaScript),
the spec (drawn by vega-embed when JavaScript runs), the CSV of exactly the plotted rows
(also the HTML data table) and alt text generated from the same rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from altair.utils.schemapi import debug_mode

from site_gen.chart_draw import Drawer
from site_gen.chart_events import event_plans
from site_gen.chart_figures import figure_plans
from site_gen.chart_map import map_plans
from site_gen.chart_memo import ChartMemo, Made, plan_key
from site_gen.chart_output import Drawing, csv_bytes, spec_bytes
from site_gen.chart_style import Draft, Plan, unique_id
from site_gen.config import SiteConfig
from site_gen.tables import Table

log = logging.getLogger(__name__)

# The tags a page needs once, before any chart figure; paths are relative to the site root.
SCRIPTS = ("assets/vega/vega-bundle.js", "assets/charts.js")


@dataclass(frozen=True)
class Chart:
    """One chart and everything a page needs to show it accessibly."""

    id: str
    kind: str  # figures | events | map
    title: str
    group: str | None
    metric: str | None
    figure_ids: tuple[str, ...]
    alt: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[dict[str, Any], ...]
    spec_path: str
    svg_path: str
    csv_path: str
    note: str = ""  # e.g. which events are not shown and why; also the chart's subtitle


@dataclass
class Charts:
    """All charts of a build and their files (specs, SVGs, CSVs, the Vega JavaScript)."""

    charts: list[Chart] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    def by_id(self, chart_id: str) -> Chart | None:
        return next((c for c in self.charts if c.id == chart_id), None)

    def for_figure(self, figure_id: str) -> list[Chart]:
        return [c for c in self.charts if figure_id in c.figure_ids]

    def of_kind(self, kind: str) -> list[Chart]:
        return [c for c in self.charts if c.kind == kind]


def plans(tables: dict[str, Table], memo: ChartMemo | None = None) -> list[Plan]:
    """Every chart to make, in the order their ids are given out (with the counts of events
    a long-lived builder's `memo` keeps, only the rows an edit changed are counted)."""
    counts = memo.events if memo is not None else None
    return [*figure_plans(tables), *event_plans(tables, counts), *map_plans(tables)]


def drafts(tables: dict[str, Table], config: SiteConfig) -> list[Draft]:
    """Every chart's spec, built once; Altair validates in the tests, not in the build."""
    taken: set[str] = set()
    with debug_mode(False):
        return [plan.draft(config, unique_id(plan.wanted, taken)) for plan in plans(tables)]


def _make(plan: Plan, config: SiteConfig) -> Made:
    draft = plan.draft(config, "")
    # The text alternative also labels the SVG that Vega draws, for screen readers.
    spec = spec_bytes({**draft.spec, "description": draft.alt})
    return Made(replace(draft, spec={}), spec, csv_bytes(draft.columns, draft.rows))


def _chart(chart_id: str, draft: Draft) -> Chart:
    base = f"charts/{chart_id}"
    return Chart(id=chart_id, kind=draft.kind, title=draft.title, group=draft.group,
                 metric=draft.metric, figure_ids=draft.figure_ids, alt=draft.alt,
                 columns=draft.columns, rows=draft.rows, spec_path=f"{base}.vl.json",
                 svg_path=f"{base}.svg", csv_path=f"{base}.csv", note=draft.note)


def make_charts(tables: dict[str, Table], config: SiteConfig, cache_dir: Path,
                drawing: Drawing | None = None, memo: ChartMemo | None = None,
                site: str = "") -> Charts:
    """Build the charts of the published tables and every file they ship with.

    With a `drawing`, SVGs and the Vega bundle not in the cache are left to its worker and
    come with `drawing.files()`; without one they are drawn here, before this returns.
    With a `memo` from the last build (under the same site fingerprint `site` and config),
    only charts whose inputs changed are made again, and known SVGs are not read again."""
    charts = Charts()
    specs: dict[str, bytes] = {}
    svg_paths: dict[str, str] = {}
    before = memo.start(site, config) if memo is not None else {}
    shown = memo.charts if memo is not None else {}
    kept: dict[str, Made] = {}
    kept_charts: dict[str, Chart] = {}
    taken: set[str] = set()
    remade = 0
    with debug_mode(False):
        for plan in plans(tables, memo):
            # Ids are given out in plan order whether or not a chart is reused.
            chart_id = unique_id(plan.wanted, taken)
            key = plan_key(plan) if memo is not None else None
            made = before.get(key) if key is not None else None
            if made is None:
                made, remade = _make(plan, config), remade + 1
            chart = shown.get(key) if key is not None and made is before.get(key) else None
            if chart is None or chart.id != chart_id:
                chart = _chart(chart_id, made.draft)
            if key is not None:
                kept[key], kept_charts[key] = made, chart
            specs[chart.id] = made.spec
            svg_paths[chart.id] = chart.svg_path
            charts.charts.append(chart)
            charts.files[chart.spec_path] = made.spec
            charts.files[chart.csv_path] = made.csv
    if memo is not None:
        memo.finish(kept, remade, kept_charts)
    log.info("%d charts, %d made anew", len(charts.charts), remade)
    checked = memo.svgs if memo is not None else None
    if drawing is not None:
        drawing.bundle()
        drawing.svgs(svg_paths, specs, checked)
        return charts
    drawer = Drawer()
    try:
        own = Drawing(cache_dir, drawer)
        own.bundle()
        own.svgs(svg_paths, specs, checked)
        charts.files.update(own.files())
    finally:
        drawer.close()
    return charts
