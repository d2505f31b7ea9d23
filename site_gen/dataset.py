"""Data stage: publish the tables as open data under data/, with the codebook page.

Every table becomes a CSV and a JSON file; together they become a Data Package descriptor,
a SQLite database with Datasette metadata and a zip with a README and a citation. Each
table's row count is checked against the records at every step: nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import jinja2

from site_gen import collector, dataset_archive
from site_gen.codebook import Download, table_views
from site_gen.codebook_page import coverage, render_codebook
from site_gen.dataset_archive import TooLarge, archive_bytes, zipfile_bytes
from site_gen.dataset_cache import DataCache, TableOutput
from site_gen.dataset_count import count_rows
from site_gen.dataset_csv import PublishError
from site_gen.dataset_deflate import Deflater, Member
from site_gen.dataset_meta import DatasetInfo, citation_cff, dataset_info, license_descriptor
from site_gen.dataset_sqlite import datasette_metadata
from site_gen.dataset_table import publish_table
from site_gen.dataset_zip import readme
from site_gen.schemas import RESERVED_NAMES
from site_gen.tables import Table
from site_gen.validate import Gathered

if TYPE_CHECKING:
    from site_gen.chart import Charts

log = logging.getLogger(__name__)

DATA = "data/"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
WORKERS = min(4, os.cpu_count() or 1)  # threads that compress zip members

__all__ = ["DataCache", "PublishError", "publish_data"]


def _check_names(tables: dict[str, Table], info: DatasetInfo) -> None:
    for name in tables:
        if name in RESERVED_NAMES or name == info.name or "/" in name or name.startswith("."):
            raise PublishError(f"table name '{name}' would clash with another file in data/")


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _resource(table: Table, path: str, output: TableOutput) -> dict[str, Any]:
    spec = table.spec
    return {
        "name": spec.name,
        "type": "table",
        "path": path,
        "title": spec.title,
        "description": spec.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(output.csv),
        "hash": output.csv_hash,
        "schema": spec.schema,  # written out at once, never changed
    }


def datapackage(info: DatasetInfo, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The Data Package v2 descriptor of the CSV files."""
    package: dict[str, Any] = {"$schema": PROFILE, "name": info.name, "title": info.title}
    if info.description:
        package["description"] = info.description
    package.update(version=info.version, created=info.created_iso)
    if info.data_url:
        package["homepage"] = info.data_url
    package["licenses"] = [license_descriptor(info)]
    source: dict[str, str] = {"title": info.source_title}
    if info.base_url:
        source["path"] = info.base_url
    package["sources"] = [source]
    if info.publisher:
        package["contributors"] = [{"title": info.publisher, "roles": ["publisher"]}]
    package["resources"] = resources
    return package


def _table_downloads(table: Table, files: dict[str, bytes]) -> list[Download]:
    name, title, count = table.name, table.spec.title, len(table.rows)
    return [
        Download(f"{name}.csv", "CSV", "text/csv", len(files[f"{name}.csv"]),
                 f"{title}: {count} rows as CSV"),
        Download(f"{name}.json", "JSON", "application/json", len(files[f"{name}.json"]),
                 f"{title}: {count} rows as JSON objects with typed values"),
    ]


def _package_downloads(files: dict[str, bytes], database: str) -> list[Download]:
    return [
        Download("datapackage.json", "Data Package", "application/json",
                 len(files["datapackage.json"]),
                 "Frictionless Data Package descriptor: table schemas, sizes and SHA-256 "
                 "hashes of the CSV files"),
        Download(database, "SQLite", "application/vnd.sqlite3", len(files[database]),
                 "every table in one SQLite database with primary and foreign keys"),
        Download("metadata.json", "Datasette metadata", "application/json",
                 len(files["metadata.json"]),
                 "titles and descriptions of the tables and columns for Datasette: "
                 f"datasette {database} -m metadata.json"),
    ]


def publish_data(gathered: Gathered, charts: Charts, env: jinja2.Environment,
                 cache: DataCache | None = None) -> dict[str, bytes]:
    """Every file under data/: CSV, JSON, datapackage.json, SQLite, zip and the codebook.

    With a cache kept from the last build, only the runs of rows that changed are encoded
    again, only the rows that changed are written to the working database, its compact copy
    is made again only when a table changed, and only the pieces of zip members whose bytes
    changed are compressed again. Without one (a one-off build) nothing is keyed or kept.
    The copy of the database, the longest step, is made on a worker while the tables' files
    are compressed and the descriptors written."""
    own = cache is None
    cache = cache if cache is not None else DataCache()
    try:
        with collector.frozen(), ThreadPoolExecutor(max_workers=WORKERS) as pool:
            deflater = Deflater(pool, cache.members, cache.pieces, dataset_archive.LIMIT // 2)
            files = _publish(gathered, charts, env, cache, deflater, reuse=not own)
    finally:
        if own:
            cache.database.close()
    return {DATA + name: data for name, data in files.items()}


def _publish(gathered: Gathered, charts: Charts, env: jinja2.Environment, cache: DataCache,
             deflater: Deflater, reuse: bool) -> dict[str, bytes]:
    assert gathered.config is not None
    info = dataset_info(gathered.config, gathered.built)
    tables = gathered.tables
    _check_names(tables, info)
    files: dict[str, bytes] = {}

    def add(name: str, data: bytes, key: str | None = None) -> None:
        files[name] = data
        deflater.add(name, data, key)

    counts = {name: count_rows(gathered.records, table, cache.counts.get(name))
              for name, table in tables.items()}
    outputs = {name: publish_table(gathered.records, table, cache.tables.get(name), reuse,
                                   counts[name].total) for name, table in tables.items()}
    cache.database.update(tables, {name: o.rows for name, o in outputs.items()},
                          {name: o.key for name, o in outputs.items()})
    copying = deflater.pool.submit(cache.database.copy)  # the longest step: on a worker
    resources = []
    for name, table in tables.items():
        output = outputs[name]
        add(f"{name}.csv", output.csv, output.csv_hash)
        add(f"{name}.json", output.json, output.json_hash)
        resources.append(_resource(table, f"{name}.csv", output))
    add("datapackage.json", _json(datapackage(info, resources)))
    metadata = _json(datasette_metadata(info, info.name, tables))
    table_files = {name: _table_downloads(table, files) for name, table in tables.items()}
    views = table_views(tables, gathered.config, table_files)
    covered = coverage(tables)
    database = f"{info.name}.sqlite"
    files[database] = copying.result()
    deflater.add(database, files[database], text=False, like=cache.sqlite)
    add("metadata.json", metadata)

    package_files = _package_downloads(files, database)
    downloads = package_files + [d for name in tables for d in table_files[name]]
    extra = {"README.md": readme(info, views, downloads).encode("utf-8"),
             "CITATION.cff": citation_cff(info).encode("utf-8")}
    for name, data in extra.items():
        deflater.add(name, data)
    archive = f"{info.name}.zip"
    try:
        members, kept, pieces = deflater.members()
        files[archive] = archive_bytes(info.name, members, info.created)
        sqlite: tuple[bytes, Member] | None = (files[database], members[database])
    except TooLarge:  # Zip64: written by zipfile, every member compressed again
        kept, pieces, sqlite = {}, {}, None
        files[archive] = zipfile_bytes(info.name, {**files, **extra}, info.created)
    cache.tables, cache.counts, cache.members, cache.pieces = outputs, counts, kept, pieces
    cache.sqlite = sqlite if reuse else None
    package_files.insert(0, Download(
        archive, "Zip", "application/zip", len(files[archive]),
        "every file of the dataset, with a README.md and a CITATION.cff"))
    files["index.html"] = render_codebook(env, gathered, info, views, package_files, charts,
                                          covered)
    log.info("data: %d tables, %d files", len(tables), len(files))
    return files
