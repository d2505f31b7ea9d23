"""The build: gather (load, check, package), then chart, render, data, search and write.

Reads like a table of contents; each stage is timed and nothing is written unless every
earlier stage succeeded.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from site_gen.chart import make_charts
from site_gen.dataset import publish_data
from site_gen.problems import ProblemsFound
from site_gen.render import render_site, site_model
from site_gen.search import build_search
from site_gen.theme import assets, make_env
from site_gen.validate import gather
from site_gen.write import WriteStats, check_output, write_tree

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    out: Path
    records: int
    files: int
    stats: WriteStats
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    clock = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - clock
    log.info("%s: %.2fs", stage, timings[stage])


def cache_dir(project: Path) -> Path:
    return Path(os.environ.get("SITE_GEN_CACHE", project / ".cache" / "site-gen"))


def build(project: Path, out: Path | None = None, base_url: str | None = None,
          progress: Callable[[str], None] | None = None) -> BuildResult:
    """Build the site of `project` into `out`; raise ProblemsFound and write nothing on error."""
    out = out or project / "build"
    check_output(project, out)
    say = progress or (lambda stage: None)
    say("load, check, package")
    gathered = gather(project)
    timings = dict(gathered.timings)
    if not gathered.ok:
        raise ProblemsFound(gathered.problems)
    assert gathered.config is not None and gathered.catalog is not None
    if base_url:
        gathered.config = gathered.config.with_base_url(base_url)
    env = make_env(project)
    say("chart")
    with _timed(timings, "chart"):
        charts = make_charts(gathered.tables, gathered.config, cache_dir(project))
    say("render")
    with _timed(timings, "render"):
        model = site_model(gathered)
        files = render_site(gathered, charts, env, model)
    say("data")
    with _timed(timings, "data"):
        files.update(publish_data(gathered, charts, env))
    say("search")
    with _timed(timings, "search"):
        files.update(build_search(model))
    files.update(charts.files)
    files.update(assets(project))
    say("write")
    with _timed(timings, "write"):
        stats = write_tree(out, files)
    return BuildResult(out, gathered.records.count(), len(files), stats, timings)
