"""Record pages in two processes: the same files, keys and errors as in one."""

from __future__ import annotations

import os
import shutil
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from golden.support import SITE

from site_gen import fork
from site_gen.build import Builder
from site_gen.fork import in_two
from site_gen.memo import Memo
from site_gen.write import Staging

pytestmark = pytest.mark.skipif(not fork.worth_forking(10**6, None),
                                reason="forks only on Linux with two or more cores")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the golden site's project, built with a cache of its own."""
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    return project


def _counted_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gets an item each time this process forks."""
    forks: list[int] = []
    real_fork = os.fork

    def counted_fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counted_fork)
    return forks


def test_items_are_shared_between_two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    files: dict[str, bytes] = {}
    memo = Memo()

    def make(item: int) -> list[str]:
        path = f"page-{item}.html"
        files[path] = str(os.getpid()).encode()
        memo.keep(path, f"key-{item}")
        return [path]

    in_two(list(range(10)), make, files, memo)
    assert sorted(files) == sorted(f"page-{i}.html" for i in range(10))
    assert len(set(files.values())) == 2  # half were made by another process
    assert memo.current == {f"page-{i}.html": f"key-{i}" for i in range(10)}


def test_a_staging_takes_the_files_the_child_wrote(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    out = tmp_path / "out"
    with Staging(out, "id") as staging:
        def make(item: int) -> list[str]:
            staging[f"records/{item}/index.html"] = f"record {item}".encode()
            return [f"records/{item}/index.html"]

        in_two(list(range(6)), make, staging, None)
        assert len(staging) == 6
        staging.commit()
    assert {path for path in _tree(out) if path.startswith("records/")} == {
        f"records/{i}/index.html" for i in range(6)}
    assert (out / "records/5/index.html").read_bytes() == b"record 5"


def test_a_forked_build_writes_the_bytes_of_a_single_process_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SITE_GEN_PROCESSES", "1")
    Builder(project, tmp_path / "one", long_lived=False).build()
    monkeypatch.delenv("SITE_GEN_PROCESSES")
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    forks = _counted_forks(monkeypatch)
    builder = Builder(project, tmp_path / "two")
    builder.build()
    assert forks  # the record pages were shared out
    assert _tree(tmp_path / "two") == _tree(tmp_path / "one")
    page = project / "content/events/kyiv-strike.yaml"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "Missile hits Kyiv TV tower", "Missile strikes the Kyiv TV tower"), encoding="utf-8")
    before = len(forks)
    result = builder.build()  # an edit: the keys of the forked build are all there
    assert len(forks) == before
    assert 0 < result.stats.written < 40


def test_a_template_error_in_the_child_names_its_template_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    (tmp_path / "page.html").write_text("fine\n{{ record.missing.deeper }}\n")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path)),
                             undefined=jinja2.StrictUndefined)

    def make(item: int) -> list[str]:
        if item == 3:  # in the child's half
            env.get_template("page.html").render(record={})
        return []

    with pytest.raises(jinja2.UndefinedError) as raised:
        in_two(list(range(6)), make, {}, None)
    frames = [f for f in traceback.extract_tb(raised.value.__traceback__)
              if f.filename.endswith("page.html")]
    assert frames and frames[-1].lineno == 2


def test_the_error_raised_is_the_first_in_item_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 1 (the child's) and item 2 (the parent's) both fail: as in one process, the
    error of item 1 is raised, whichever process failed first."""
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)

    def make(item: int) -> list[str]:
        if item in (1, 2):
            raise KeyError(f"no such record {item}")
        return []

    with pytest.raises(KeyError, match="no such record 1"):
        in_two(list(range(4)), make, {}, None)


def test_a_child_that_dies_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    parent = os.getpid()

    def make(item: int) -> list[str]:
        if item == 1 and os.getpid() != parent:
            os._exit(3)
        return []

    with pytest.raises(RuntimeError, match="ended without a report"):
        in_two(list(range(4)), make, {}, None)


def test_the_child_never_returns_into_the_caller(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)

    def broken_child(*args: object) -> None:
        raise MemoryError("while reporting")

    monkeypatch.setattr(fork, "_child", broken_child)
    cleaned = tmp_path / "cleaned-up-by"
    try:
        with pytest.raises(RuntimeError, match="ended without a report"):
            in_two(list(range(4)), lambda item: [], {}, None)
    finally:
        with cleaned.open("a") as handle:  # the caller's clean-up: the parent's alone
            handle.write(f"{os.getpid()}\n")
    assert cleaned.read_text().split() == [str(os.getpid())]


def test_an_error_in_the_parent_stops_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)

    def make(item: int) -> list[str]:
        if item == 0:
            raise ValueError("parent half")
        return []

    with pytest.raises(ValueError, match="parent half"):
        in_two(list(range(4)), make, {}, None)


def test_in_two_returns_every_path_the_parents_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    paths = in_two(list(range(5)), lambda item: [f"a/{item}", f"b/{item}"], {}, None)
    assert paths == [f"{x}/{i}" for i in (0, 2, 4, 1, 3) for x in "ab"]


def test_fork_says_whether_to_fork_whatever_the_count() -> None:
    files: dict[str, bytes] = {}

    def make(item: int) -> list[str]:
        files[str(item)] = str(os.getpid()).encode()
        return [str(item)]

    assert in_two([0, 1], make, files, None, fork=True) == ["0", "1"]
    assert files["1"] != files["0"] == str(os.getpid()).encode()
    assert in_two(list(range(10**4)), make, files, None, fork=False) == [
        str(i) for i in range(10**4)]
    assert set(files.values()) == {str(os.getpid()).encode()}


def _search_in_another_process(monkeypatch: pytest.MonkeyPatch, record: Path,
                               error: str = "") -> None:
    import site_gen.build as build_module

    search = build_module.build_search

    def recording(*args: object) -> dict[str, bytes]:
        with record.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        if error:
            raise ValueError(error)
        return search(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "BESIDE_RECORDS", 1)
    monkeypatch.setattr(build_module, "build_search", recording)


def test_a_one_off_build_makes_its_search_index_beside_the_data(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    record = tmp_path / "search-pids"
    _search_in_another_process(monkeypatch, record)
    builder = Builder(project, tmp_path / "beside", long_lived=False)
    result = builder.build()
    assert record.read_text().split() != [str(os.getpid())]
    made = _tree(tmp_path / "beside")
    assert builder.state.groups["search"] == sorted(p for p in made if p.startswith("search-"))
    assert builder.state.groups["data"] == sorted(p for p in made if p.startswith("data/"))
    assert {"data", "search"} <= set(result.timings)
    alone = Builder(project, tmp_path / "alone").build()  # long-lived: one process
    assert _tree(tmp_path / "beside") == _tree(tmp_path / "alone")
    assert result.files == alone.files
    monkeypatch.setenv("SITE_GEN_PROCESSES", "1")
    record.unlink()
    assert Builder(project, tmp_path / "one", long_lived=False).build().files == alone.files
    assert record.read_text().split() == [str(os.getpid())]


def test_an_error_in_the_search_process_is_raised_and_nothing_is_published(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    out = tmp_path / "out"
    Builder(project, out).build()
    before = _tree(out)
    (project / "content/events/kyiv-strike.yaml").write_text(
        (project / "content/events/kyiv-strike.yaml").read_text(encoding="utf-8").replace(
            "title: ", "title: Edited ", 1), encoding="utf-8")
    record = tmp_path / "search-pids"
    _search_in_another_process(monkeypatch, record, error="no index today")
    with pytest.raises(ValueError, match="no index today"):
        Builder(project, out, long_lived=False).build()
    assert str(os.getpid()) in record.read_text().split()  # made again here, to raise
    assert len(set(record.read_text().split())) == 2
    assert _tree(out) == before


def test_a_system_that_cannot_fork_makes_every_item_here(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(fork.os, "fork", no_fork)
    fds = len(os.listdir("/proc/self/fd"))
    files: dict[str, bytes] = {}

    def make(item: int) -> list[str]:
        files[str(item)] = str(os.getpid()).encode()
        return [str(item)]

    assert in_two([0, 1, 2], make, files, None, fork=True) == ["0", "1", "2"]
    assert set(files.values()) == {str(os.getpid()).encode()}
    assert len(os.listdir("/proc/self/fd")) == fds  # the pipe is closed


def test_when_only_the_child_fails_the_parents_first_item_is_not_made_again(
        tmp_path: Path) -> None:
    made = tmp_path / "made"
    parent = os.getpid()

    def make(item: int) -> list[str]:
        with made.open("a") as handle:
            handle.write(f"{item} {'parent' if os.getpid() == parent else 'child'}\n")
        if item == 1:
            raise LookupError("the child's item")
        return [str(item)]

    with pytest.raises(LookupError, match="the child's item"):
        in_two([0, 1], make, {}, None, fork=True)
    assert sorted(made.read_text().splitlines()) == ["0 parent", "1 child", "1 parent"]


def test_a_child_ends_when_the_build_is_killed(tmp_path: Path) -> None:
    """No orphan goes on writing into a staging folder that a later build remakes."""
    import subprocess
    import sys
    import time

    child = tmp_path / "child-pid"
    script = f"""
import os, signal, time
from site_gen.fork import in_two
parent = os.getpid()
def make(item):
    if os.getpid() == parent:
        while not os.path.exists({str(child)!r}):
            time.sleep(0.01)
        os.kill(parent, signal.SIGKILL)  # the build is killed while the child works
    with open({str(child)!r} + ".tmp", "w") as handle:
        handle.write(str(os.getpid()))
    os.rename({str(child)!r} + ".tmp", {str(child)!r})
    time.sleep(60)
    return []
in_two([0, 1], make, {{}}, None, fork=True)
"""
    errors = tmp_path / "stderr"
    with errors.open("wb") as stderr:  # not a pipe, which an orphan would hold open
        run = subprocess.run([sys.executable, "-c", script], stdout=subprocess.DEVNULL,
                             stderr=stderr, timeout=60)
    assert run.returncode == -9, errors.read_text()
    pid = int(child.read_text())
    for _ in range(200):  # the kernel ends it at once; allow it two seconds
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        os.kill(pid, 9)
        pytest.fail("the child outlived the killed build")


def test_without_staying_both_halves_are_made_in_children(tmp_path: Path) -> None:
    """A one-off build's own heap does not grow with the record pages: two children make
    them, and this process takes their files, keys and paths in the same order."""
    memo = Memo()
    out = tmp_path / "out"
    with Staging(out, "id") as staging:
        def make(item: int) -> list[str]:
            path = f"records/{item}/index.html"
            staging[path] = str(os.getpid()).encode()
            memo.keep(path, f"key-{item}")
            return [path]

        paths = in_two(list(range(7)), make, staging, memo, fork=True, stay=False)
        assert paths == [f"records/{i}/index.html" for i in (0, 2, 4, 6, 1, 3, 5)]
        assert memo.current == {f"records/{i}/index.html": f"key-{i}" for i in range(7)}
        makers = {staging[f"records/{i}/index.html"] for i in range(7)}
        staging.commit()
    assert len(makers) == 2 and str(os.getpid()).encode() not in makers
    assert {staging_path for staging_path in _tree(out) if staging_path.startswith("records/")
            } == {f"records/{i}/index.html" for i in range(7)}


@pytest.mark.parametrize(("failing", "raised"), [({3}, "3"), ({2, 5}, "2"), ({1, 4}, "1")])
def test_without_staying_the_error_raised_is_the_first_in_item_order(
        tmp_path: Path, failing: set[int], raised: str) -> None:
    made = tmp_path / "made"
    parent = os.getpid()

    def make(item: int) -> list[str]:
        with made.open("a") as handle:
            handle.write(f"{item} {'parent' if os.getpid() == parent else 'child'}\n")
        if item in failing:
            raise LookupError(f"item {item}")
        return [str(item)]

    with pytest.raises(LookupError, match=f"item {raised}"):
        in_two(list(range(6)), make, {}, None, fork=True, stay=False)
    again = [line.split()[0] for line in made.read_text().splitlines()
             if line.endswith("parent")]
    first = min(item % 2 for item in failing)  # the half whose first item is made again
    assert again == [str(i) for i in range(first, int(raised) + 1)]


def test_without_staying_a_refused_second_fork_makes_the_first_half_here(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_fork = os.fork
    forks: list[int] = []

    def once() -> int:
        if forks:
            raise OSError(11, "Resource temporarily unavailable")
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(fork.os, "fork", once)
    files: dict[str, bytes] = {}

    def make(item: int) -> list[str]:
        files[str(item)] = str(os.getpid()).encode()
        return [str(item)]

    fds = len(os.listdir("/proc/self/fd"))
    assert in_two(list(range(4)), make, files, None, fork=True, stay=False) == [
        "0", "2", "1", "3"]
    assert files["0"] == files["2"] == str(os.getpid()).encode() != files["1"] == files["3"]
    assert len(os.listdir("/proc/self/fd")) == fds  # the refused fork's pipe is closed


def test_a_one_off_build_makes_its_record_pages_in_two_children(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path, monkeypatch)
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    forks = _counted_forks(monkeypatch)
    Builder(project, tmp_path / "kept").build()  # long-lived: this process makes half
    assert len(forks) == 1
    Builder(project, tmp_path / "one-off", long_lived=False).build()
    assert len(forks) == 4  # one more child reads part of the record files (load.py)
    assert _tree(tmp_path / "one-off") == _tree(tmp_path / "kept")


def _children() -> set[int]:
    """The pids of this process's forks not yet waited for, ended or not (not the chart
    worker, which runs a command of its own)."""
    found = set()
    ours = Path("/proc/self/cmdline").read_bytes()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
                forked = Path(f"/proc/{name}/cmdline").read_bytes() == ours
            except OSError:
                continue
            if int(stat[1]) == os.getpid() and forked:
                found.add(int(name))
    return found


def _wait_for(found: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if found():
            return
        time.sleep(0.01)
    raise TimeoutError(f"waited 10 s for {what}")


def test_meanwhile_runs_here_while_the_children_make_the_items(tmp_path: Path) -> None:
    """Each child waits for a file that only `meanwhile` writes, once both have started: had
    it run after the children, they would time out and the build fail."""
    go = tmp_path / "go"
    called: list[int] = []

    def make(item: int) -> list[str]:
        (tmp_path / f"started-{os.getpid()}").touch()
        _wait_for(go.exists, "the parent's go")
        return [str(item)]

    def meanwhile() -> None:
        _wait_for(lambda: len(list(tmp_path.glob("started-*"))) == 2, "two children")
        called.append(os.getpid())
        go.touch()

    assert in_two(list(range(4)), make, {}, None, fork=True, stay=False,
                  meanwhile=meanwhile) == ["0", "2", "1", "3"]
    assert called == [os.getpid()]
    assert str(os.getpid()) not in {p.name.split("-")[1] for p in tmp_path.glob("started-*")}


def test_meanwhile_comes_after_the_items_when_nothing_is_forked() -> None:
    order: list[str] = []

    def make(item: int) -> list[str]:
        order.append(str(item))
        return [str(item)]

    in_two(list(range(3)), make, {}, None, fork=False, stay=False,
           meanwhile=lambda: order.append("meanwhile"))
    assert order == ["0", "1", "2", "meanwhile"]


def test_an_error_meanwhile_ends_the_children_and_is_raised(tmp_path: Path) -> None:
    def make(item: int) -> list[str]:
        (tmp_path / f"child-{os.getpid()}").touch()
        time.sleep(60)  # never ends by itself within the test
        return []

    def meanwhile() -> None:
        _wait_for(lambda: len(list(tmp_path.glob("child-*"))) == 2, "two children")
        raise KeyError("no data today")

    with pytest.raises(KeyError, match="no data today"):
        in_two(list(range(4)), make, {}, None, fork=True, stay=False, meanwhile=meanwhile)
    assert _children() == set()


def test_a_one_off_build_publishes_its_data_while_children_make_the_record_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import site_gen.build as build_module

    project = _project(tmp_path, monkeypatch)
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    stage_data = build_module.stage_data
    alive: list[int] = []

    def counting(*args: Any) -> list[str]:
        alive.append(len(_children()))
        return stage_data(*args)

    monkeypatch.setattr(build_module, "stage_data", counting)
    result = Builder(project, tmp_path / "one-off", long_lived=False).build()
    assert alive == [2]
    Builder(project, tmp_path / "kept").build()
    assert _tree(tmp_path / "one-off") == _tree(tmp_path / "kept")
    assert list(result.timings)[:6] == ["load", "check", "package", "chart", "render", "data"]


def test_an_interrupted_wait_for_the_reports_ends_the_other_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def make(item: int) -> list[str]:
        if item % 2:  # the second child's half: it would outlive the test
            time.sleep(60)
        return [str(item)]

    def interrupted(report: bytes) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(fork.pickle, "loads", interrupted)
    with pytest.raises(KeyboardInterrupt):
        in_two(list(range(4)), make, {}, None, fork=True, stay=False)
    assert _children() == set()
