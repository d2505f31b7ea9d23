"""Data stage: publish the tables as open data under data/, with the codebook page.

Every table becomes a CSV and a JSON file; together they become a Data Package descriptor,
a SQLite database with Datasette metadata and a zip with a README and a citation. Each
table's row count is checked against the records at every step: nothing is dropped silently.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from site_gen import collector, dataset_archive
from site_gen.codebook import Download, TableView, table_views
from site_gen.codebook_page import PAGE, Coverage, coverage, render_codebook
from site_gen.dataset_archive import TooLarge, archive_parts, zipfile_bytes
from site_gen.dataset_cache import DataCache, TableOutput
from site_gen.dataset_count import count_rows
from site_gen.dataset_csv import PublishError
from site_gen.dataset_deflate import Deflater, Member
from site_gen.dataset_meta import DatasetInfo, citation_cff, dataset_info, license_descriptor
from site_gen.dataset_sqlite import datasette_metadata
from site_gen.dataset_table import publish_table
from site_gen.dataset_zip import readme
from site_gen.json_text import indented
from site_gen.schemas import RESERVED_NAMES
from site_gen.tables import Table
from site_gen.validate import Gathered
from site_gen.write import Staging

if TYPE_CHECKING:
    from site_gen.chart import Charts

log = logging.getLogger(__name__)

DATA = "data/"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
WORKERS = min(4, os.cpu_count() or 1)  # threads that compress zip members

__all__ = ["Codebook", "DataCache", "PublishError", "make_data", "publish_data", "stage_data"]


def _check_names(tables: dict[str, Table], info: DatasetInfo) -> None:
    for name in tables:
        if name in RESERVED_NAMES or name == info.name or "/" in name or name.startswith("."):
            raise PublishError(f"table name '{name}' would clash with another file in data/")


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


def _table_downloads(table: Table, sizes: dict[str, int]) -> list[Download]:
    name, title, count = table.name, table.spec.title, len(table.rows)
    return [
        Download(f"{name}.csv", "CSV", "text/csv", sizes[f"{name}.csv"],
                 f"{title}: {count} rows as CSV"),
        Download(f"{name}.json", "JSON", "application/json", sizes[f"{name}.json"],
                 f"{title}: {count} rows as JSON objects with typed values"),
    ]


def _package_downloads(sizes: dict[str, int], database: str) -> list[Download]:
    return [
        Download("datapackage.json", "Data Package", "application/json",
                 sizes["datapackage.json"],
                 "Frictionless Data Package descriptor: table schemas, sizes and SHA-256 "
                 "hashes of the CSV files"),
        Download(database, "SQLite", "application/vnd.sqlite3", sizes[database],
                 "every table in one SQLite database with primary and foreign keys"),
        Download("metadata.json", "Datasette metadata", "application/json",
                 sizes["metadata.json"],
                 "titles and descriptions of the tables and columns for Datasette: "
                 f"datasette {database} -m metadata.json"),
    ]


class _Output:
    """Where the data stage puts each file as soon as it is made: a dict that holds them, or
    the build's staging folder, which writes each to disk (then the stage keeps no file's
    bytes longer than it needs them: at 100,000 records the tables' files, the database and
    the zip are ~270 MB). Only the sizes are kept here."""

    def __init__(self, files: MutableMapping[str, bytes]) -> None:
        self.files = files
        self.sizes: dict[str, int] = {}

    def put(self, name: str, data: bytes) -> None:
        self.files[DATA + name] = data
        self.sizes[name] = len(data)

    def put_parts(self, name: str, parts: list[bytes]) -> None:
        if isinstance(self.files, Staging):
            self.files.put_parts(DATA + name, parts)
        else:
            self.files[DATA + name] = b"".join(parts)
        self.sizes[name] = sum(map(len, parts))

    def new_file(self, name: str) -> str | None:
        """Where to write `name` in the staging folder, if files go to one, else None."""
        return self.files.new_file(DATA + name) if isinstance(self.files, Staging) else None

    def written(self, name: str, path: str) -> None:
        self.sizes[name] = os.path.getsize(path)

    def read(self, names: Iterable[str]) -> dict[str, bytes]:
        return {name: self.files[DATA + name] for name in names}


@dataclass(frozen=True)
class Codebook:
    """What the codebook page (data/index.html) shows of the data files, made with them; the
    page itself is rendered once the charts, whose data it links to, are made too."""

    info: DatasetInfo
    views: list[TableView]
    package_files: list[Download]
    covered: Coverage

    def page(self, env: jinja2.Environment, gathered: Gathered, charts: Charts) -> bytes:
        return render_codebook(env, gathered, self.info, self.views, self.package_files,
                               charts, self.covered)


def publish_data(gathered: Gathered, charts: Charts, env: jinja2.Environment,
                 cache: DataCache | None = None) -> dict[str, bytes]:
    """Every file under data/: CSV, JSON, datapackage.json, SQLite, zip and the codebook.

    With a cache kept from the last build, only the runs of rows that changed are encoded
    again, only the rows that changed are written to the working database, its compact copy
    is made again only when a table changed, and only the pieces of zip members whose bytes
    changed are compressed again. Without one (a one-off build) nothing is keyed or kept.
    The copy of the database, the longest step, is made on a worker while the tables' files
    are compressed and the descriptors written (without a cache, each table's files are
    compressed as soon as they are made)."""
    files, codebook = make_data(gathered, cache)
    files[PAGE] = codebook.page(env, gathered, charts)
    return files


def make_data(gathered: Gathered, cache: DataCache | None = None
              ) -> tuple[dict[str, bytes], Codebook]:
    """Every file under data/ but the codebook page, and what that page shows of them: no
    template is rendered, so a long-lived build makes them on a thread while it charts and
    renders, the page once the charts are made."""
    files: dict[str, bytes] = {}
    _, codebook = _run(gathered, cache, files)
    return files, codebook


def stage_data(gathered: Gathered, charts: Charts, env: jinja2.Environment,
               files: MutableMapping[str, bytes]) -> list[str]:
    """Put every file under data/ into `files` (a one-off build's staging folder) as soon as
    it is made, and list their paths: the same files as publish_data() without a cache, but
    none held longer than it takes to compress it, and the zip written from its pieces
    rather than joined."""
    paths, codebook = _run(gathered, None, files)
    files[PAGE] = codebook.page(env, gathered, charts)
    return sorted([*paths, PAGE])


def _run(gathered: Gathered, cache: DataCache | None,
         files: MutableMapping[str, bytes]) -> tuple[list[str], Codebook]:
    """The paths of the files put into `files`, and what the codebook page shows of them."""
    own = cache is None
    cache = cache if cache is not None else DataCache()
    output = _Output(files)
    try:
        with collector.frozen(), ThreadPoolExecutor(max_workers=WORKERS) as pool:
            deflater = Deflater(pool, cache.members, cache.pieces, dataset_archive.LIMIT // 2)
            codebook = _publish(gathered, cache, deflater, output, reuse=not own)
    finally:
        if own:
            cache.database.close()
    return sorted(DATA + name for name in output.sizes), codebook


def _publish(gathered: Gathered, cache: DataCache, deflater: Deflater, output: _Output,
             reuse: bool) -> Codebook:
    """Publish the data into `output`. Without `reuse` (a one-off build) nothing is left in
    the cache, and the bytes of each file are let go as soon as they are compressed."""
    assert gathered.config is not None
    info = dataset_info(gathered.config, gathered.built)
    tables = gathered.tables
    _check_names(tables, info)

    def add(name: str, data: bytes, key: str | None = None) -> None:
        output.put(name, data)
        deflater.add(name, data, key if reuse else None)

    counts = {name: count_rows(gathered.records, table, cache.counts.get(name))
              for name, table in tables.items()}
    outputs: dict[str, TableOutput] = {}
    rows: dict[str, list[tuple[Any, ...]]] = {}
    keys: dict[str, str] = {}
    resources = []

    def compress_table(name: str, made: TableOutput) -> None:
        add(f"{name}.csv", made.csv, made.csv_hash)
        add(f"{name}.json", made.json, made.json_hash if reuse else None)

    def one_table(name: str, table: Table) -> None:
        made = publish_table(gathered.records, table, cache.tables.get(name), reuse,
                             counts[name].total)
        rows[name], keys[name] = made.rows, made.key
        resources.append(_resource(table, f"{name}.csv", made))
        if reuse:
            outputs[name] = made
        else:  # compressed on the workers while the next tables are made, then let go
            compress_table(name, made)

    for name, table in tables.items():
        one_table(name, table)
    cache.database.update(tables, rows, keys)
    rows.clear()  # the working database holds them while it needs them
    database = f"{info.name}.sqlite"
    # The copy of the database, the longest step, is made on a worker; in a one-off build
    # straight into the staging folder, and compressed from there. With a cache, the
    # tables' files go to the workers after it, so that it waits for none of them (an edit
    # in `serve` took 14 ms longer the other way round).
    place = None if reuse else output.new_file(database)
    copying = (deflater.pool.submit(cache.database.copy) if place is None
               else deflater.pool.submit(cache.database.copy_into, place))
    for name, made in outputs.items():
        compress_table(name, made)
    add("datapackage.json", indented(datapackage(info, resources)))
    metadata = indented(datasette_metadata(info, info.name, tables))
    table_files = {name: _table_downloads(table, output.sizes) for name, table in tables.items()}
    views = table_views(tables, gathered.config, table_files)
    covered = coverage(tables)
    copied: bytes | None = copying.result()
    if not reuse:
        cache.database.close()  # its pages and rows, before the copy is compressed
    if place is None:
        output.put(database, copied)
        deflater.add(database, copied, text=False, like=cache.sqlite)
    else:
        output.written(database, place)
        deflater.add_file(database, place)
    add("metadata.json", metadata)

    package_files = _package_downloads(output.sizes, database)
    downloads = package_files + [d for name in tables for d in table_files[name]]
    extra = {"README.md": readme(info, views, downloads).encode("utf-8"),
             "CITATION.cff": citation_cff(info).encode("utf-8")}
    for name, data in extra.items():
        deflater.add(name, data)
    archive = f"{info.name}.zip"
    try:
        members, kept, pieces = deflater.members()
        sqlite: tuple[bytes, Member] | None = (
            (copied, members[database]) if reuse and copied is not None else None)
        del copied
        output.put_parts(archive, archive_parts(info.name, members, info.created))
    except TooLarge:  # Zip64: written by zipfile, every member compressed again
        kept, pieces, sqlite = {}, {}, None
        output.put(archive, zipfile_bytes(info.name, {**output.read(output.sizes), **extra},
                                          info.created))
    if reuse:
        cache.tables, cache.counts, cache.members, cache.pieces = outputs, counts, kept, pieces
        cache.sqlite = sqlite
    package_files.insert(0, Download(
        archive, "Zip", "application/zip", output.sizes[archive],
        "every file of the dataset, with a README.md and a CITATION.cff"))
    log.info("data: %d tables, %d files before the codebook page", len(tables),
             len(output.sizes))
    return Codebook(info, views, package_files, covered)
