"""A long-lived build makes an edit's data files on a thread while it charts and renders,
and the codebook page after. A failure on either side ends the build with its own error and
publishes nothing; the next build gives the bytes of a clean build."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_incremental import change_figure_value, edit_event_title, tree

from site_gen import build as build_module
from site_gen.build import Builder
from site_gen.dataset import PublishError
from site_gen.problems import ProblemsFound


def _spare_and_staging(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _clean_copy(project: Path, out: Path) -> dict[str, bytes]:
    Builder(project, out, long_lived=False).build()
    return tree(out)


def _break(project: Path, name: str) -> Path:
    """A project template that fails while it renders (a name it does not have)."""
    path = project / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{{ no_such_name.deeper }}\n", encoding="utf-8")
    return path


def _fails(project: Path, tmp_path: Path, break_it: Callable[[], object],
           error: type[BaseException]) -> tuple[Builder, BaseException]:
    """After a first build and an edit of the data, `break_it` makes the next build fail with
    `error`: it publishes nothing and leaves no staging folder. The builder, and the error."""
    out = tmp_path / "site"
    builder = Builder(project, out)
    builder.build()
    before = tree(out)
    change_figure_value(project)  # the data changes as well as the pages
    break_it()
    with pytest.raises(error) as raised:
        builder.build()
    assert tree(out) == before
    assert ".site.new" not in _spare_and_staging(out)
    return builder, raised.value


def _mended(builder: Builder, project: Path, tmp_path: Path) -> None:
    """The next build gives a clean build's bytes: nothing the failed one made is taken for
    what the site holds."""
    builder.build()
    assert tree(builder.out) == _clean_copy(project, tmp_path / "clean")


def test_a_codebook_page_that_fails_is_a_problem_and_publishes_nothing(
        golden_project: Path, tmp_path: Path) -> None:
    broken = golden_project / "templates/data.html"
    builder, error = _fails(golden_project, tmp_path, lambda: _break(golden_project, "data.html"),
                            ProblemsFound)
    assert isinstance(error, ProblemsFound)
    assert [p.path for p in error.problems] == ["templates/data.html"]
    broken.unlink()
    _mended(builder, golden_project, tmp_path)


def test_a_page_that_fails_while_the_data_is_made_publishes_nothing(
        golden_project: Path, tmp_path: Path) -> None:
    broken = golden_project / "templates/timeline.html"
    builder, error = _fails(golden_project, tmp_path,
                            lambda: _break(golden_project, "timeline.html"), ProblemsFound)
    assert isinstance(error, ProblemsFound)
    assert [p.path for p in error.problems] == ["templates/timeline.html"]
    broken.unlink()
    edit_event_title(golden_project)
    _mended(builder, golden_project, tmp_path)


def test_an_edit_makes_the_data_files_on_a_thread_while_the_charts_are_made(
        golden_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beside the chart and render stages, but not in a build whose render may fork (the
    first): a child forked amid a thread's work could inherit the locks it holds."""
    seen: list[tuple[str, str]] = []  # (what happened, on which thread)
    make_data, make_charts = build_module.make_data, build_module.make_charts

    def spy_data(*args: Any) -> Any:
        seen.append(("data begins", threading.current_thread().name))
        return make_data(*args)

    def spy_charts(*args: Any) -> Any:
        made = make_charts(*args)
        seen.append(("charts made", threading.current_thread().name))
        return made

    monkeypatch.setattr(build_module, "make_data", spy_data)
    monkeypatch.setattr(build_module, "make_charts", spy_charts)
    builder = Builder(golden_project, tmp_path / "site")
    builder.build()
    main = threading.main_thread().name
    assert seen == [("charts made", main), ("data begins", main)]
    for edit in (change_figure_value, edit_event_title):
        seen.clear()
        edit(golden_project)
        builder.build()
        assert [what for what, _ in seen] == ["data begins", "charts made"], seen
        assert seen[0][1].startswith("site-gen-data") and seen[1][1] == main, seen
    assert tree(tmp_path / "site") == _clean_copy(golden_project, tmp_path / "clean")


def _slowed(monkeypatch: pytest.MonkeyPatch, name: str, seconds: float,
            error: Exception | None = None) -> None:
    """The build's `name` (make_data or make_charts) made to take longer, or to fail after."""
    real = getattr(build_module, name)

    def slow(*args: Any) -> Any:
        time.sleep(seconds)
        if error is not None:
            raise error
        return real(*args)

    monkeypatch.setattr(build_module, name, slow)


def test_the_data_stage_counts_only_the_wait_for_its_thread(
        golden_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`site-gen serve` reports the stages' sum as the rebuild's time: the data files made
    while the charts were made are not counted again."""
    builder = Builder(golden_project, tmp_path / "site")
    builder.build()
    _slowed(monkeypatch, "make_data", 0.3)
    _slowed(monkeypatch, "make_charts", 0.6)
    change_figure_value(golden_project)
    clock = time.perf_counter()
    result = builder.build()
    took = time.perf_counter() - clock
    assert result.timings["chart"] >= 0.6
    assert result.timings["data"] < 0.25, result.timings  # the page and the staging alone
    assert sum(result.timings.values()) <= took, (result.timings, took)


def test_data_that_fails_on_the_thread_fails_the_build_and_publishes_nothing(
        golden_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failure = PublishError("data/events.csv: made to fail")
    builder, error = _fails(golden_project, tmp_path,
                            lambda: _slowed(monkeypatch, "make_data", 0.0, failure),
                            PublishError)
    assert error is failure
    monkeypatch.undo()
    edit_event_title(golden_project)
    _mended(builder, golden_project, tmp_path)


def test_charts_that_fail_while_the_data_is_made_fail_the_build_with_their_error(
        golden_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def break_it() -> None:
        _slowed(monkeypatch, "make_data", 0.5)
        _slowed(monkeypatch, "make_charts", 0.0, RuntimeError("the chart stage failed"))

    builder, error = _fails(golden_project, tmp_path, break_it, RuntimeError)
    assert str(error) == "the chart stage failed"
    monkeypatch.undo()
    _mended(builder, golden_project, tmp_path)
