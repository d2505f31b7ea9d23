"""The build: gather (load, check, package), then chart, render, data, search and write.

Reads like a table of contents; each stage is timed and nothing is written unless every
earlier stage succeeded. A Builder keeps what one build learnt (parsed files, validated
rows, the keys of every page) so that the next build redoes only what an edit touched; the
CLI saves that state in the project's cache between runs.

A one-off build of many records overlaps its stages on two cores (fork.py): a child reads
part of the record files while the build reads the rest, the package is validated in a
child while it charts and renders, the record pages are made by two children while it
publishes the data, and the search index by a third beside the data. Nothing is
published before the validation has passed. A long-lived build (site-gen serve) makes an
edit's data files on a thread while it charts and renders: most of that work is SQLite and
compression, which run without holding the interpreter.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import time
from collections.abc import Callable, Iterator, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from jinja2 import Environment

from site_gen import __version__
from site_gen.chart import Charts, make_charts
from site_gen.chart_draw import Drawer
from site_gen.chart_memo import ChartMemo
from site_gen.chart_output import Drawing
from site_gen.codebook_page import PAGE
from site_gen.dataset import Codebook, DataCache, make_data, stage_data
from site_gen.fork import in_two
from site_gen.memo import Memo, digest, site_fingerprint
from site_gen.memory import give_back
from site_gen.problems import ProblemsFound
from site_gen.render import release_cards, render_site
from site_gen.render_model import next_model
from site_gen.render_scope import LastRender
from site_gen.search import SearchCache, build_search
from site_gen.theme import assets, make_env
from site_gen.validate import GatherCache, Gathered, gather
from site_gen.write import Staging, StaleOutput, WriteStats, check_output, read_build_id

log = logging.getLogger(__name__)
MadeData = tuple[dict[str, bytes], Codebook, float]  # the data files, their codebook, seconds
STATE_VERSION = 6
BESIDE_RECORDS = 2000  # fewer, and a second process costs more than the search stage


@dataclass
class BuildResult:
    out: Path
    records: int
    files: int
    stats: WriteStats
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class BuildState:
    """What the last successful build into one output folder left for the next one."""

    build_id: str = ""
    inputs: str = ""  # site fingerprint, content fingerprint, build time, base URL
    gather: GatherCache = field(default_factory=GatherCache)
    memo: Memo = field(default_factory=Memo)
    # The files of the data and search stages, which the next build checks are still there.
    groups: dict[str, list[str]] = field(default_factory=dict)


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    clock = time.perf_counter()
    yield
    _took(timings, stage, time.perf_counter() - clock)


def _took(timings: dict[str, float], stage: str, seconds: float, note: str = "") -> None:
    timings[stage] = seconds
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log.info("%s: %.2fs%s (peak RSS so far %.0f MB)", stage, seconds, note, peak)


def cache_dir(project: Path) -> Path:
    """Where SVGs, the Vega bundle and the build state are kept between builds.

    Outside the project, so that nothing committed to a project (by a pull request, say)
    can pose as a cached file: $SITE_GEN_CACHE, else $XDG_CACHE_HOME/site-gen (~/.cache)."""
    if os.environ.get("SITE_GEN_CACHE"):
        return Path(os.environ["SITE_GEN_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "site-gen" / digest([str(project.resolve())])[:16]


class Builder:
    """Builds one project into one output folder, again and again, redoing only what changed."""

    def __init__(self, project: Path, out: Path | None = None, base_url: str | None = None,
                 state: BuildState | None = None, long_lived: bool = True) -> None:
        self.project = project
        self.out = (out or project / "build").resolve()
        self.base_url = base_url
        self.long_lived = long_lived  # a one-off build keeps nothing for a next one
        self.state = state or BuildState()
        # Each table's data files, remade only when its rows change; a one-off build has no
        # next build in this process to use them (at 100,000 records they hold ~200 MB).
        self.data = DataCache() if long_lived else None
        self.search = SearchCache() if long_lived else None  # the last search index
        # The compiled templates, kept while the site fingerprint (templates included) holds.
        self.env: tuple[str, Environment] | None = None
        self.charts = ChartMemo() if long_lived else None  # charts by what each plots
        # The last render's model, for the next to find the record pages an edit reaches.
        self.last_render: list[LastRender | None] | None = [None] if long_lived else None
        # The files the data and search stages gave the last build, under its build id.
        self.outputs: tuple[str, dict[str, bytes]] = ("", {})

    def build(self, progress: Callable[[str], None] | None = None) -> BuildResult:
        """Build the site; raise ProblemsFound and write nothing on error."""
        try:
            return self._build(progress, self._usable_state())
        except StaleOutput:
            log.info("the output folder changed since the last build: building it all")
            self.state = BuildState()
            return self._build(progress, self.state)

    def _usable_state(self) -> BuildState:
        if self.state.build_id and self.state.build_id != read_build_id(self.out):
            self.state = BuildState()
        return self.state

    def _build(self, progress: Callable[[str], None] | None, state: BuildState) -> BuildResult:
        check_output(self.project, self.out)
        drawer = Drawer()
        try:
            return self._stages(progress, state, Drawing(cache_dir(self.project), drawer))
        finally:
            drawer.close()

    def _stages(self, progress: Callable[[str], None] | None, state: BuildState,
                drawing: Drawing) -> BuildResult:
        say = progress or (lambda stage: None)
        say("load, check, package")
        # The bundle needs no records: the worker draws it while they load, on the core the
        # load leaves free (or once they are loaded, if a child shares the reading).
        gathered = gather(self.project, state.gather, self.long_lived, later=not self.long_lived,
                          meanwhile=None if state.build_id else drawing.bundle)
        timings = dict(gathered.timings)
        if not gathered.ok:
            raise ProblemsFound(gathered.problems)
        try:
            return self._after_gather(say, state, drawing, gathered, timings)
        except Exception:
            # Bad data explains a failure better than the failure does: wait for its problems.
            _settle(gathered, timings)
            raise
        finally:
            gathered.abandon()

    def _after_gather(self, say: Callable[[str], None], state: BuildState, drawing: Drawing,
                      gathered: Gathered, timings: dict[str, float]) -> BuildResult:
        """Every stage after gathering: chart, render, data, search and write."""
        project, out = self.project, self.out
        assert gathered.config is not None and gathered.catalog is not None
        if self.base_url:
            gathered.config = gathered.config.with_base_url(self.base_url)
        fingerprint = digest([site_fingerprint(project), gathered.config.base_url])
        inputs = digest([fingerprint, gathered.records.fingerprint,
                         gathered.built.isoformat()])
        if inputs == state.inputs and state.build_id:
            outputs = [*state.memo.previous,
                       *(path for paths in state.groups.values() for path in paths)]
            if not all(os.path.isfile(out / path) for path in outputs):
                raise StaleOutput("a file of the last build is missing")
            _settle(gathered, timings)
            kept = len(outputs)
            return BuildResult(out, gathered.records.count(), kept, WriteStats(0, kept, 0),
                               timings)
        memo = state.memo
        memo.current, memo.kept = {}, set()
        if self.env is None or self.env[0] != fingerprint:
            self.env = (fingerprint, make_env(project))
        env = self.env[1]
        # The id names the inputs, so that the same input gives the same bytes, marker included.
        build_id = inputs[:16]
        # Each file goes to disk as it is made; nothing reaches the output before commit().
        # The data thread, if any, ends before the staging folder can go.
        with Staging(out, build_id) as files, ThreadPoolExecutor(
                1, thread_name_prefix="site-gen-data") as thread:
            # Only where the render forks no child (fork.worth_forking: a build after one in
            # this process): a child forked amid a thread's work could inherit its locks held.
            early = (thread.submit(_make_data_timed, gathered, self.data)
                     if self.long_lived and memo.previous else None)
            say("chart")
            with _timed(timings, "chart"):
                charts = make_charts(gathered.tables, gathered.config, cache_dir(project),
                                     drawing, self.charts, fingerprint)
            say("render")
            clock = time.perf_counter()
            timings["render"] = 0.0  # in the order of the stages, though data comes within it
            last = self.last_render[0] if self.last_render is not None else None
            model, before = next_model(gathered, last, memo, fingerprint)
            # Made from the whole fact base whenever any input changed (an unchanged input
            # never gets this far); each keeps its own caches of what an edit leaves alone.
            outputs = self.outputs[1] if self.outputs[0] == state.build_id else {}
            made: dict[str, bytes] = {}

            def stage(name: str) -> list[str]:
                if name == "data" and not self.long_lived:  # each file to disk as it is made
                    return stage_data(gathered, charts, env, files)
                found = (_data_files(gathered, charts, env, self.data, early)
                         if name == "data" else build_search(model, self.search, fingerprint))
                if self.long_lived:  # not the zip: joined anew each build, it never matches
                    made.update((path, data) for path, data in found.items()
                                if not path.endswith(".zip"))
                return _add(files, found, memo.kept, outputs)

            # Beside each other only where no file is kept (a child's `kept` stays there).
            beside = (not self.long_lived and not outputs
                      and gathered.records.count() >= BESIDE_RECORDS)
            groups: dict[str, list[str]] = {}
            published: list[bool] = []

            def data_and_search() -> None:
                published.append(True)
                _settle(gathered, timings)  # nothing is published from data that failed
                if not self.long_lived:  # saved state never holds the cards
                    release_cards(model, memo)
                groups.update(_data_and_search(stage, files, timings, say, beside))
                if not self.long_lived:  # the children's reports come next, into a trim heap
                    give_back()

            # A one-off build publishes the data while children make the record pages; a
            # long-lived one renders half of them itself, and publishes after.
            render_site(gathered, charts, env, model, memo, fingerprint, files,
                        self.last_render, before, one_off=not self.long_lived,
                        meanwhile=None if self.long_lived else data_and_search)
            if not self.long_lived:  # and those of the feeds' entries, made after the data
                release_cards(model, memo)
            within = sum(timings.get(name, 0.0) for name in (*groups, "validation"))
            _took(timings, "render", time.perf_counter() - clock - within,
                  " more than the stages within it" if within else "")
            if not published:
                data_and_search()
            files.update(charts.files)
            files.update(assets(project))
            say("chart drawings")
            with _timed(timings, "drawings"):  # the worker has drawn since the chart stage
                files.update(drawing.files())
            say("write")
            with _timed(timings, "write"):
                stats = files.commit(memo.kept)
        self.state = BuildState(build_id, inputs, state.gather, memo.next(), groups)
        if self.long_lived:
            self.outputs = (build_id, made)
        if self.last_render is not None and self.last_render[0] is not None:
            self.last_render[0].memo = self.state.memo  # usable by the build after this one
        return BuildResult(out, gathered.records.count(), len(files) + len(memo.kept), stats,
                           timings)


def _settle(gathered: Gathered, timings: dict[str, float]) -> None:
    """Wait for the package's validation if it runs in a child, and raise its problems."""
    if gathered.pending is not None:
        clock = time.perf_counter()
        gathered.settle()
        _took(timings, "validation", time.perf_counter() - clock, " more, in a second process")


def _make_data_timed(gathered: Gathered, cache: DataCache | None) -> MadeData:
    """make_data(), and the seconds it took."""
    clock = time.perf_counter()
    files, codebook = make_data(gathered, cache)
    return files, codebook, time.perf_counter() - clock


def _data_files(gathered: Gathered, charts: Charts, env: Environment, cache: DataCache | None,
                early: Future[MadeData] | None) -> dict[str, bytes]:
    """Every file under data/, the codebook page last: made here, or taken from the thread
    that made them while this one charted and rendered (the stage's time is then only the
    wait for them and the page, so that the stages' times still add up to the build's)."""
    if early is None:
        files, codebook = make_data(gathered, cache)
    else:
        files, codebook, seconds = early.result()
        log.info("data files: %.2fs on a thread beside the chart and render stages", seconds)
    files[PAGE] = codebook.page(env, gathered, charts)
    return files


def _data_and_search(stage: Callable[[str], list[str]], files: MutableMapping[str, bytes],
                     timings: dict[str, float], say: Callable[[str], None],
                     beside: bool) -> dict[str, list[str]]:
    """The paths of the data and search stages' files, by stage.

    With `beside` (a one-off build of many records, whose stages keep no caches for a next
    build), the search index is made in a forked process while this one publishes the data:
    each takes seconds at 100,000 records. The search stage's time is then the wait for it
    once the data is published."""
    if not beside:
        groups: dict[str, list[str]] = {}
        for name in ("data", "search"):
            say(name)
            with _timed(timings, name):
                groups[name] = stage(name)
        return groups
    say("data, and search beside it")
    here: dict[str, tuple[float, list[str]]] = {}

    def timed(name: str) -> list[str]:
        clock = time.perf_counter()
        paths = stage(name)
        here[name] = (time.perf_counter() - clock, paths)
        return paths

    clock = time.perf_counter()
    paths = in_two(["data", "search"], timed, files, None, fork=True)
    took = time.perf_counter() - clock
    _took(timings, "data", here["data"][0])
    if "search" in here:  # not forked after all: one after the other
        _took(timings, "search", here["search"][0])
    else:
        _took(timings, "search", took - here["data"][0], " more, in a second process")
    data = here["data"][1]
    return {"data": data, "search": sorted(set(paths).difference(data))}


def _add(files: MutableMapping[str, bytes], made: dict[str, bytes], kept: set[str],
         last: dict[str, bytes]) -> list[str]:
    """Stage the files a stage made, and list their paths. A file that is the very bytes
    object the last build had at the same path (the data and search stages hand out their
    last output for what an edit left alone) is kept from the live site instead, as an
    unchanged page is, so that the write stage need not read it back to compare."""
    for path, data in made.items():
        if last.get(path) is data:
            kept.add(path)
        else:
            files[path] = data
    return sorted(made)


def _state_path(project: Path, out: Path) -> Path:
    return cache_dir(project) / f"state-{digest([str(out)])[:16]}.pickle"


def load_state(project: Path, out: Path) -> BuildState | None:
    """The state the last CLI build saved, if it was made by this version of site-gen for
    the output folder as it is now.

    The file starts with a header (the version and the build id) apart from the state, so
    that a state of no use (say, the output was removed) is never unpickled: at 100,000
    records that took seconds and raised the build's peak RSS by about 125 MB."""
    try:
        with _state_path(project, out).open("rb") as handle:
            header = pickle.load(handle)
            if header != ((STATE_VERSION, __version__), read_build_id(out)):
                return None
            state = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
        return None
    return state if isinstance(state, BuildState) and state.build_id == header[1] else None


def save_state(project: Path, out: Path, state: BuildState) -> None:
    """Save the state for the next command-line build, without the parsed records or the
    rendered cards: parsing 10,000 files again is faster than unpickling them, and the cards
    would triple the file."""
    state = replace(state, gather=GatherCache(files={}, rows=state.gather.rows,
                                              checks=state.gather.checks),
                    memo=replace(state.memo, components={}))
    path = _state_path(project, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as handle:
        pickle.dump(((STATE_VERSION, __version__), state.build_id), handle,
                    protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)


def build(project: Path, out: Path | None = None, base_url: str | None = None,
          progress: Callable[[str], None] | None = None, incremental: bool = True) -> BuildResult:
    """Build the site of `project` into `out`, reusing the last build's state when it fits."""
    target = (out or project / "build").resolve()
    state = load_state(project, target) if incremental else None
    builder = Builder(project, target, base_url, state, long_lived=False)
    result = builder.build(progress)
    if incremental:
        save_state(project, target, builder.state)
    return result
