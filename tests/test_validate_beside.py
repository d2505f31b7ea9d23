"""A one-off build of many rows validates the package in a forked child while it charts and
renders; the problems, the rows it remembers and the site are those of a build that waits."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from test_invalid_cases import case_project
from test_render_fork import _children, _counted_forks, _project, _tree

from site_gen import fork, package
from site_gen.build import Builder
from site_gen.fork import Beside
from site_gen.problems import ProblemsFound
from site_gen.validate import gather

pytestmark = pytest.mark.skipif(not fork.can_fork(),
                                reason="forks only on Linux with two or more cores")


def test_the_value_comes_from_a_child() -> None:
    later = Beside(os.getpid)
    assert later.forked and later.result() != os.getpid()
    assert _children() == set()


def test_a_call_that_fails_in_the_child_is_made_again_here(tmp_path: Path) -> None:
    calls = tmp_path / "calls"

    def failing() -> int:
        with calls.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        raise LookupError("no value")

    with pytest.raises(LookupError, match="no value"):
        Beside(failing).result()
    made = calls.read_text().split()
    assert len(made) == 2 and made[1] == str(os.getpid()) != made[0]


def test_a_refused_fork_makes_the_call_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(fork.os, "fork", no_fork)
    fds = len(os.listdir("/proc/self/fd"))
    later = Beside(os.getpid)
    assert len(os.listdir("/proc/self/fd")) == fds
    assert not later.forked and later.result() == os.getpid()


def test_cancel_ends_the_child() -> None:
    later = Beside(lambda: time.sleep(60))
    assert len(_children()) == 1
    later.cancel()
    assert _children() == set()


def _validated_in(monkeypatch: pytest.MonkeyPatch, record: Path) -> None:
    """Have each Frictionless pass write the pid of the process that makes it to `record`."""
    checked = package._checked

    def recording(*args: Any) -> Any:
        with record.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return checked(*args)

    monkeypatch.setattr(package, "_checked", recording)


def _problems(project: Path, out: Path, long_lived: bool) -> list[str]:
    with pytest.raises(ProblemsFound) as raised:
        Builder(project, out, long_lived=long_lived).build()
    return [problem.text() for problem in raised.value.problems]


def _case(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """The invalid case's project, validated beside from one row on, and the problems a
    build that waits for its validation reports."""
    project = case_project(case, tmp_path)
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(package, "BESIDE_ROWS", 1)
    return project, _problems(project, tmp_path / "waited", long_lived=True)


@pytest.mark.parametrize("case", ["schema-maximum", "schema-pattern", "type-text-for-number",
                                  "id-duplicate", "many-problems"])
def test_the_problems_are_those_of_a_build_that_waits(
        case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, waited = _case(case, tmp_path, monkeypatch)
    record = tmp_path / "validated-in"
    _validated_in(monkeypatch, record)
    assert _problems(project, tmp_path / "beside", long_lived=False) == waited
    assert not (tmp_path / "beside").exists() and _children() == set()
    if case.startswith("schema-"):  # only Frictionless finds these: it ran in a child
        assert [int(pid) for pid in record.read_text().split()] != [os.getpid()]
        assert len(record.read_text().split()) == 1


def test_a_child_that_dies_is_made_good_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child ends without a report: the parent validates, on records still whole."""
    project, waited = _case("schema-maximum", tmp_path, monkeypatch)
    parent, checked = os.getpid(), package._checked

    def dying(*args: Any) -> Any:
        if os.getpid() != parent:
            os._exit(3)
        return checked(*args)

    monkeypatch.setattr(package, "_checked", dying)
    assert _problems(project, tmp_path / "beside", long_lived=False) == waited
    assert _children() == set()


def test_a_refused_fork_validates_before_the_build_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, waited = _case("schema-maximum", tmp_path, monkeypatch)

    def no_fork() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(fork.os, "fork", no_fork)
    gathered = gather(project, None, long_lived=False, later=True)
    assert gathered.pending is None and not gathered.ok
    assert _problems(project, tmp_path / "beside", long_lived=False) == waited


@pytest.mark.parametrize("stop", [RuntimeError, KeyboardInterrupt])
def test_a_build_that_stops_leaves_no_child(
        stop: type[BaseException], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import site_gen.build as build_module

    project = _project(tmp_path, monkeypatch)
    monkeypatch.setattr(package, "BESIDE_ROWS", 1)

    def stopping(*args: Any) -> Any:
        assert len(_children()) == 1  # the validation runs meanwhile
        raise stop("stopped while charting")

    monkeypatch.setattr(build_module, "make_charts", stopping)
    with pytest.raises(stop, match="stopped while charting"):
        Builder(project, tmp_path / "out", long_lived=False).build()
    assert _children() == set() and not (tmp_path / "out").exists()


def test_bad_data_is_reported_rather_than_the_failure_it_causes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A template that fails while the child validates: the data's problem is the one
    reported, as a build that waits for the validation would."""
    project = case_project("schema-maximum", tmp_path)
    (project / "templates").mkdir()
    (project / "templates/home.html").write_text("{{ no_such_name.deeper }}\n")
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(package, "BESIDE_ROWS", 1)
    forks = _counted_forks(monkeypatch)
    problems = _problems(project, tmp_path / "out", long_lived=False)
    assert len(forks) == 1
    assert [line.split(": ")[1] for line in problems] == ["error[schema-constraint]"]


def test_a_valid_site_and_its_remembered_rows_are_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path, monkeypatch)
    monkeypatch.setattr(package, "BESIDE_ROWS", 1)
    record = tmp_path / "validated-in"
    _validated_in(monkeypatch, record)
    beside = Builder(project, tmp_path / "beside", long_lived=False)
    result = beside.build()
    assert [int(pid) for pid in record.read_text().split()] != [os.getpid()]
    assert "validation" in result.timings
    monkeypatch.setenv("SITE_GEN_PROCESSES", "1")
    waited = Builder(project, tmp_path / "waited", long_lived=False)
    assert "validation" not in waited.build().timings
    assert _tree(tmp_path / "beside") == _tree(tmp_path / "waited")
    assert beside.state.gather.rows == waited.state.gather.rows != {}


def test_a_report_from_a_child_that_did_not_exit_0_is_not_trusted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a child that has written its whole report exits 0: one killed while writing it
    exits otherwise, and the call is made here."""
    real_exit = os._exit
    monkeypatch.setattr(fork.os, "_exit", lambda code: real_exit(7))
    assert Beside(os.getpid).result() == os.getpid()
    assert _children() == set()
