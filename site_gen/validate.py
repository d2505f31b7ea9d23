"""Gather a project: load, check and package, collecting every problem before anything is built."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from site_gen import collector
from site_gen.check import CheckMemo, check
from site_gen.clock import build_time
from site_gen.config import SiteConfig, read_config
from site_gen.load import LoadCache, LoadMemo, load
from site_gen.package import Validation
from site_gen.package_seen import Passed, RowKeys
from site_gen.problems import Problem, ProblemsFound, has_errors, ordered
from site_gen.records import COLLECTIONS, Records
from site_gen.schemas import Catalog, catalog_sources, read_catalog
from site_gen.tables import Table, TableCache, build_tables


@dataclass
class Gathered:
    """Everything the later stages need, or the problems that stop them."""

    project: Path
    config: SiteConfig | None = None
    catalog: Catalog | None = None
    records: Records = field(default_factory=Records)
    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    built: datetime = field(default_factory=lambda: datetime.fromtimestamp(0, UTC))
    """The build's timestamp (clock.build_time), reproducible from the inputs."""
    pending: Validation | None = None
    """The package's validation, while it runs beside the later stages (gather's `later`)."""

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)

    def settle(self) -> None:
        """Wait for the validation left running, if any, add its problems, and raise
        ProblemsFound if there are errors among them."""
        pending, self.pending = self.pending, None
        if pending is not None:
            self.problems = ordered(_merge(self.problems, pending.problems()))
            if not self.ok:
                raise ProblemsFound(self.problems)
            self.release_records()

    def release_records(self) -> None:
        """Keep of the records only what later stages read (Records.release), once no
        problem can be reported at them any more."""
        if self.catalog is not None:
            self.records.release(_list_fields(self.catalog))

    def abandon(self) -> None:
        """End the validation left running, if any, when the build has failed otherwise."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.cancel()


def _merge(first: list[Problem], later: list[Problem]) -> list[Problem]:
    """Add later problems except where an earlier stage already reported the same spot.

    A value that the YAML reader refused (an alias, a tag) or the checks rejected is not
    reported again by a later stage as a missing or mistyped field.
    """
    seen = {(p.path, p.line, p.col) for p in first}
    return first + [p for p in later if (p.path, p.line, p.col) not in seen]


@dataclass
class CatalogMemo:
    """The last catalog read, and the settings and schema files it was read from."""

    catalog: Catalog | None = None
    inputs: Any = None


def _catalog(project: Path, config: SiteConfig, memo: CatalogMemo | None
             ) -> tuple[Catalog | None, list[Problem]]:
    """The catalog, read again only when site.yaml or a schema file changed.

    The files are looked at before they are read, so that a file changed while it is read
    is read again next time; after the list of schema files changes, the new catalog is
    kept for its names, and reused only from the build after.
    """
    if memo is None:
        return read_catalog(project, config)
    before = None
    if memo.catalog is not None:
        before = (config, catalog_sources(project, memo.catalog))
        if before == memo.inputs:
            return memo.catalog, []
    catalog, problems = read_catalog(project, config)
    same = catalog is not None and memo.catalog is not None \
        and list(catalog.files) == list(memo.catalog.files)
    memo.catalog, memo.inputs = catalog, before if same else None
    return catalog, problems


@dataclass
class GatherCache:
    """What a long-lived process keeps between builds: parsed files, the rows each record
    made, and the rows that passed validation.

    The command line saves only `rows` and `checks` between runs; the other parts are made
    again when a cache unpickled from an older state lacks them.
    """

    files: LoadCache = field(default_factory=dict)
    rows: RowKeys = field(default_factory=dict)
    checks: CheckMemo = field(default_factory=CheckMemo)
    tables: TableCache = field(default_factory=TableCache)
    passed: Passed = field(default_factory=Passed)
    catalog: CatalogMemo = field(default_factory=CatalogMemo)
    load: LoadMemo = field(default_factory=LoadMemo)


def _complete(cache: GatherCache) -> GatherCache:
    """The cache with every part; one saved by an older build may lack the newer ones, or
    know rows by their cells rather than by a digest of them."""
    for name, kind in (("checks", CheckMemo), ("tables", TableCache), ("passed", Passed),
                       ("catalog", CatalogMemo), ("load", LoadMemo)):
        if not isinstance(getattr(cache, name, None), kind):
            setattr(cache, name, kind())
    if not isinstance(cache.rows, dict) or any(
            not isinstance(next(iter(known), b""), bytes) for known in cache.rows.values()):
        cache.rows = {}
    return cache


def gather(project: Path, cache: GatherCache | None = None, long_lived: bool = True,
           later: bool = False, meanwhile: Callable[[], None] | None = None) -> Gathered:
    """Run load, check and package; every stage runs so that all problems are reported.

    A cache from the previous gather spares redoing what did not change; a process that
    gathers once (`long_lived=False`) uses and updates only the parts of it that are saved
    for the next run, keeps nothing else, and after a gather without errors keeps of the
    records only what later stages read (Records.release).

    With `later`, a one-off build's Frictionless pass over many rows, when nothing before it
    failed, runs in a forked child while the caller goes on: the result is then `ok` without
    it, and the caller must `settle` (or `abandon`) it before publishing anything. The
    records are released when it has passed, since its problems are placed by them.

    `meanwhile` is called once during the load: before the reading when this process reads
    alone, after it when a child shares it (load).
    """
    if cache is not None:
        cache = _complete(cache)
    with collector.paused():  # gathering makes the records that live to the end
        gathered = _gather(project, cache, cache if long_lived else None,
                           later and not long_lived, meanwhile)
    if not long_lived and gathered.ok and gathered.pending is None:
        gathered.release_records()  # else once the validation has passed (settle)
    return gathered


def _list_fields(catalog: Catalog) -> dict[str, frozenset[str]]:
    """The list fields of each collection: what the site model and the data stage still
    read from the records (every other field is in the tables' rows)."""
    return {collection: frozenset(link.field for link in catalog.links_of(collection))
            for collection in COLLECTIONS}


def _gather(project: Path, saved: GatherCache | None, cache: GatherCache | None,
            later: bool = False, meanwhile: Callable[[], None] | None = None) -> Gathered:
    result = Gathered(project)
    clock = time.perf_counter()
    config, problems = read_config(project)
    if cache is None:
        records, found = load(project, meanwhile=meanwhile)
    else:
        records, found = load(project, cache.files, cache.load, meanwhile)
    problems += found
    result.records = records
    result.built = build_time(project, records.newest)
    result.timings["load"] = time.perf_counter() - clock
    if config is None:
        result.problems = ordered(problems)
        return result
    result.config = config
    clock = time.perf_counter()
    catalog, found = _catalog(project, config, cache.catalog if cache is not None else None)
    problems += found
    if catalog is None:
        result.problems = ordered(problems)
        return result
    result.catalog = catalog
    problems = _merge(problems, check(records, catalog, config,
                                      saved.checks if saved is not None else None,
                                      keep_records=cache is not None))
    result.timings["check"] = time.perf_counter() - clock
    clock = time.perf_counter()
    result.tables = build_tables(records, catalog, cache.tables if cache is not None else None)
    validation = Validation(result.tables, saved.rows if saved is not None else None,
                            cache.passed if cache is not None else None, catalog,
                            beside=later and not has_errors(problems))
    if validation.beside:
        result.pending = validation
    else:
        problems = _merge(problems, validation.problems())
    result.timings["package"] = time.perf_counter() - clock
    result.problems = ordered(problems)
    return result
