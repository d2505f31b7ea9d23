"""A one-off build of many rows validates the package in a forked child while it charts and
renders; the problems, the rows it remembers and the site are those of a build that waits."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from golden.support import SITE
from test_invalid_cases import case_project
from test_render_fork import _children, _counted_forks, _tree

from site_gen import fork, package
from site_gen.build import Builder
from site_gen.fork import Beside
from site_gen.problems import ProblemsFound

pytestmark = pytest.mark.skipif(not fork.can_fork(),
                                reason="forks only on Linux with two or more cores")


def test_the_value_comes_from_a_child() -> None:
    assert Beside(os.getpid).result() != os.getpid()


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
    assert later.result() == os.getpid()


def test_cancel_ends_the_child() -> None:
    later = Beside(lambda: time.sleep(60))
    assert len(_children()) == 1
    later.cancel()
    assert _children() == set()


def _problems(project: Path, out: Path, long_lived: bool) -> list[str]:
    with pytest.raises(ProblemsFound) as raised:
        Builder(project, out, long_lived=long_lived).build()
    return [problem.text() for problem in raised.value.problems]


@pytest.mark.parametrize("case", ["schema-maximum", "schema-pattern", "type-text-for-number",
                                  "id-duplicate", "many-problems"])
def test_the_problems_are_those_of_a_build_that_waits(
        case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = case_project(case, tmp_path)
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(package, "BESIDE_ROWS", 1)
    waited = _problems(project, tmp_path / "waited", long_lived=True)
    forks = _counted_forks(monkeypatch)
    assert _problems(project, tmp_path / "beside", long_lived=False) == waited
    assert not (tmp_path / "beside").exists() and _children() == set()
    if case.startswith("schema-"):  # only Frictionless finds these: it ran in a child
        assert len(forks) == 1


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
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(package, "BESIDE_ROWS", 1)
    forks = _counted_forks(monkeypatch)
    beside = Builder(project, tmp_path / "beside", long_lived=False)
    result = beside.build()
    assert len(forks) == 1  # the validation
    assert "validation" in result.timings
    monkeypatch.setenv("SITE_GEN_PROCESSES", "1")
    waited = Builder(project, tmp_path / "waited", long_lived=False)
    assert "validation" not in waited.build().timings
    assert _tree(tmp_path / "beside") == _tree(tmp_path / "waited")
    assert beside.state.gather.rows == waited.state.gather.rows != {}
