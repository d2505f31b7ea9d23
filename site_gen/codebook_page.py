"""The data page (data/index.html): codebook, downloads, citation and schema.org Dataset JSON-LD."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from site_gen.codebook import CSV_RULES, Download, TableView, human_size
from site_gen.dataset_meta import DatasetInfo
from site_gen.render_errors import template_problems
from site_gen.tables import Table
from site_gen.theme import base_context
from site_gen.validate import Gathered

if TYPE_CHECKING:
    from site_gen.chart import Charts

PAGE = "data/index.html"
TEMPLATE = "data.html"
COVERAGE_TABLES = ("events", "figures")  # tables whose dates say what period the data covers


@dataclass(frozen=True)
class ChartData:
    """The CSV of the rows one chart plots, linked from the codebook."""

    title: str
    href: str
    size: str


def temporal_coverage(tables: dict[str, Table]) -> str:
    """First to last day of the events and figures, as an ISO 8601 interval."""
    days: list[str] = []
    for name in COVERAGE_TABLES:
        table = tables.get(name)
        if table is None:
            continue
        columns = [f.name for f in table.spec.fields if f.type == "date"]
        days += [row[c] for row in table.rows for c in columns if row.get(c)]
    if not days:
        return ""
    first, last = min(days), max(days)
    return first if first == last else f"{first}/{last}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def spatial_coverage(tables: dict[str, Table]) -> dict[str, Any] | None:
    """A schema.org Place whose GeoShape box spans every place's coordinates."""
    places = tables.get("places")
    if places is None:
        return None
    points = [(float(row["lat"]), float(row["lon"])) for row in places.rows
              if _is_number(row.get("lat")) and _is_number(row.get("lon"))]
    if not points:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    box = f"{min(lats)!r} {min(lons)!r} {max(lats)!r} {max(lons)!r}"
    return {"@type": "Place", "geo": {"@type": "GeoShape", "box": box}}


@dataclass(frozen=True)
class Coverage:
    """The period and the area the data covers. Made from the rows alone, so the data stage
    works it out while the database is copied, before the sizes of the files are known."""

    temporal: str
    spatial: dict[str, Any] | None


def coverage(tables: dict[str, Table]) -> Coverage:
    return Coverage(temporal_coverage(tables), spatial_coverage(tables))


def dataset_jsonld(info: DatasetInfo, language: str, covered: Coverage,
                   downloads: list[Download]) -> dict[str, Any]:
    """schema.org Dataset with one DataDownload per published file."""
    jsonld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": info.title,
        "description": info.description or info.title,
        "version": info.version,
        "dateModified": info.created_iso,
        "license": info.license_url or info.license,
        "isAccessibleForFree": True,
        "inLanguage": language,
    }
    if info.data_url:
        jsonld["url"] = info.data_url
    if info.publisher:
        organization: dict[str, Any] = {"@type": "Organization", "name": info.publisher}
        if info.base_url:
            organization["url"] = info.base_url
        jsonld["creator"] = organization
        jsonld["publisher"] = organization
    if covered.temporal:
        jsonld["temporalCoverage"] = covered.temporal
    if covered.spatial:
        jsonld["spatialCoverage"] = covered.spatial
    jsonld["distribution"] = [{
        "@type": "DataDownload",
        "name": d.name,
        "description": d.description,
        "encodingFormat": d.mediatype,
        "contentUrl": info.data_url + d.path if info.data_url else d.path,
        "contentSize": d.human_size,
    } for d in downloads]
    return jsonld


def chart_data(charts: Charts, root: str) -> list[ChartData]:
    """Links to each chart's plotted rows, with sizes when the chart stage made the file."""
    files = getattr(charts, "files", {})
    found = []
    for chart in charts.charts:
        data = files.get(chart.csv_path)
        found.append(ChartData(chart.title, root + chart.csv_path,
                               human_size(len(data)) if data is not None else ""))
    return found


def render_codebook(env: jinja2.Environment, gathered: Gathered, info: DatasetInfo,
                    tables: list[TableView], package_files: list[Download],
                    charts: Charts, covered: Coverage | None = None) -> bytes:
    """Render data.html; every download, table and chart CSV gets a relative link.
    `covered` is the coverage of the tables, when already worked out."""
    assert gathered.config is not None
    context = base_context(gathered.config, PAGE)
    downloads = package_files + [d for view in tables for d in view.files]
    context.update(
        info=info,
        tables=tables,
        package_files=package_files,
        charts=chart_data(charts, context["root"]),
        csv_rules=CSV_RULES,
        citation=info.citation(),
        jsonld=dataset_jsonld(info, gathered.config.language,
                              covered or coverage(gathered.tables), downloads),
    )
    with template_problems(gathered.project):
        return env.get_template(TEMPLATE).render(context).encode("utf-8")
