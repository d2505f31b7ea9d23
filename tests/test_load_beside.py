"""A one-off load has a forked child read part of the files: the same records and problems,
in the same order, as one process reading them all."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from traceback import extract_stack
from typing import Any

import pytest
from golden.support import SITE
from test_render_fork import _counted_forks

from site_gen import fork, load_walk
from site_gen import load as load_module
from site_gen.load import LoadMemo, load

pytestmark = pytest.mark.skipif(not fork.worth_forking(10**6, None),
                                reason="forks only on Linux with two or more cores")

BROKEN = {  # the last files in path order, so that the child reads them
    "content/quotes/zz-not-mapping.yaml": "- just a string\n- id: zz-q\n  text: Said.\n",
    "content/sources/zz-empty-list.yaml": "[]\n",
    "content/sources/zz-tab.yaml": "id: zz-tab\ntitle:\tTabbed\n",
}


def _project(tmp_path: Path) -> Path:
    """The golden site's project, with files that give problems of each kind."""
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    for rel, text in BROKEN.items():
        (project / rel).write_text(text, encoding="utf-8")
    old = os.stat(project).st_mtime - 3600  # not so new that a load must read it again
    for path in project.rglob("*.yaml"):
        os.utime(path, (old, old))
    return project


def _seen(project: Path, **options: Any) -> tuple[list[tuple[Any, ...]], list[Any]]:
    records, problems = load(project, **options)
    rows = [(r.collection, r.fields, r.path, r.marks.tolist(), r.version)
            for collection in records.by_collection.values() for r in collection]
    return rows, [*problems, records.files, records.newest]


def test_a_child_reads_part_of_the_files_and_nothing_differs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    monkeypatch.setenv("SITE_GEN_PROCESSES", "1")
    alone = _seen(project)
    monkeypatch.delenv("SITE_GEN_PROCESSES")
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    forks = _counted_forks(monkeypatch)
    cache: load_module.LoadCache = {}
    shared = _seen(project, cache=cache)
    assert forks == [1]
    assert shared == alone
    codes = {getattr(problem, "code", "") for problem in alone[1]}
    assert len(alone[0]) > 10 and {"record-empty-list", "record-not-mapping", "yaml-tab"} <= codes
    # The cache holds every file, those the child read included: the next load reads none.
    assert sorted(cache) == sorted(alone[1][-2])
    assert _seen(project, cache=cache) == alone and forks == [1]


def test_what_the_child_read_is_read_here_if_it_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    expected = _seen(project)
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    here = os.getpid()
    real_read = load_module._read

    def failing_in_a_child(*args: Any) -> Any:
        if os.getpid() != here:
            raise OSError("read error in the child")
        return real_read(*args)

    monkeypatch.setattr(load_module, "_read", failing_in_a_child)
    forks = _counted_forks(monkeypatch)
    assert _seen(project) == expected
    assert forks == [1]


def test_a_file_this_process_cannot_read_leaves_no_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    here = os.getpid()
    real_read = load_module._read

    def unreadable_here(found: tuple[str, str, str], key: Any) -> Any:
        if os.getpid() == here and found[1] == "content/actors/actors.yaml":
            raise PermissionError(13, "Permission denied", found[2])
        return real_read(found, key)

    monkeypatch.setattr(load_module, "_read", unreadable_here)
    pids: list[int] = []
    real_fork = os.fork

    def fork_seen() -> int:
        pid = real_fork()
        pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork_seen)
    with pytest.raises(PermissionError):
        load(project)
    assert len(pids) == 1
    with pytest.raises(ChildProcessError):  # ended and waited for, not left to write on
        os.waitpid(pids[0], os.WNOHANG)


def test_a_long_lived_load_reads_every_file_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    forks = _counted_forks(monkeypatch)
    memo = LoadMemo()
    rows, _ = _seen(project, cache={}, memo=memo)
    assert forks == [] and memo.last is not None and len(rows) > 10


def test_a_few_files_are_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    forks = _counted_forks(monkeypatch)
    _seen(project)  # far fewer files than fork.MIN_ITEMS
    assert forks == []


def _reads_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that gets the path of each file this process reads (not a child)."""
    done: list[str] = []
    here = os.getpid()
    real_read = load_module._read

    def read(found: tuple[str, str, str], key: Any) -> Any:
        if os.getpid() == here:
            done.append(found[1])
        return real_read(found, key)

    monkeypatch.setattr(load_module, "_read", read)
    return done


def _order(project: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> list[str]:
    """What this process did, in order: each file it read, and the call of `meanwhile`,
    which must come once, and in this process only."""
    done = _reads_here(monkeypatch)
    here = os.getpid()
    calls = project.parent / "meanwhile-calls"

    def meanwhile() -> None:
        with calls.open("a") as handle:  # a child's call would show up here too
            handle.write(f"{os.getpid()}\n")
        done.append("meanwhile")

    load(project, meanwhile=meanwhile, **options)
    assert calls.read_text().split() == [str(here)]
    calls.unlink()
    return done


def test_meanwhile_comes_once_the_files_are_read_when_a_child_shares_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    done = _order(_project(tmp_path), monkeypatch)
    assert done[-1] == "meanwhile" and len(done) > 2


def _refused() -> int:
    raise BlockingIOError(11, "Resource temporarily unavailable")


@pytest.mark.parametrize("how", ["alone", "few", "refused", "long-lived", "long-lived again"])
def test_meanwhile_comes_first_when_this_process_reads_alone(
        how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    if how in ("alone", "refused"):
        monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    if how == "alone":
        monkeypatch.setenv("SITE_GEN_PROCESSES", "1")
    if how == "refused":
        monkeypatch.setattr(os, "fork", _refused)
    options: dict[str, Any] = {}
    if how.startswith("long-lived"):
        options = {"cache": {}, "memo": LoadMemo()}
    if how == "long-lived again":  # the walk and the files' stats of the last load, reused
        monkeypatch.setattr(load_walk, "RACY_NS", 0)
        monkeypatch.setattr(load_module, "RACY_NS", 0)
        _order(project, monkeypatch, **options)
        (project / "content/sources/zz-tab.yaml").write_text("id: zz-tab\n", encoding="utf-8")
    done = _order(project, monkeypatch, **options)
    assert done[0] == "meanwhile" and len(done) > 1
    if how == "long-lived again":
        assert done == ["meanwhile", "content/sources/zz-tab.yaml"]
    else:
        assert len(done) > 10


def test_a_cold_one_off_build_asks_for_the_vega_bundle_once_its_records_are_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from site_gen.build import Builder
    from site_gen.chart_output import Drawing

    project = _project(tmp_path)
    for rel in BROKEN:
        (project / rel).unlink()
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fork, "MIN_ITEMS", 1)
    done = _reads_here(monkeypatch)
    real_bundle = Drawing.bundle

    def bundle(self: Drawing) -> None:
        asked_by = {(frame.name, Path(frame.filename).name) for frame in extract_stack()}
        done.append("bundle, by the load" if ("load", "load.py") in asked_by else "bundle")
        real_bundle(self)

    monkeypatch.setattr(Drawing, "bundle", bundle)
    Builder(project, tmp_path / "out", long_lived=False).build()
    # The load asks first, after its reads; the chart stage asks again (by then it draws).
    first = done.index("bundle, by the load")
    assert first > 2 and done.count("bundle, by the load") == 1
    assert all(step.startswith("bundle") for step in done[first:]) and "bundle" in done[first:]
    assert (tmp_path / "out/assets/vega/vega-bundle.js").read_bytes().startswith(b"(function")
