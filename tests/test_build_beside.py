"""A long-lived build makes an edit's data files on a thread while it charts and renders,
and the codebook page after. A failure on either side ends the build with its own error and
publishes nothing; the next build gives the bytes of a clean build."""

from __future__ import annotations

import threading
import time
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


def test_a_codebook_page_that_fails_is_a_problem_and_publishes_nothing(
        golden_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    builder = Builder(golden_project, out)
    builder.build()
    before = tree(out)
    change_figure_value(golden_project)  # the data changes as well as the pages
    broken = _break(golden_project, "data.html")
    with pytest.raises(ProblemsFound) as raised:
        builder.build()
    assert [p.path for p in raised.value.problems] == ["templates/data.html"]
    assert tree(out) == before
    assert ".site.new" not in _spare_and_staging(out)
    broken.unlink()
    builder.build()
    assert tree(out) == _clean_copy(golden_project, tmp_path / "clean")


def test_a_page_that_fails_while_the_data_is_made_publishes_nothing(
        golden_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    builder = Builder(golden_project, out)
    builder.build()
    before = tree(out)
    change_figure_value(golden_project)
    broken = _break(golden_project, "timeline.html")
    with pytest.raises(ProblemsFound) as raised:
        builder.build()
    assert [p.path for p in raised.value.problems] == ["templates/timeline.html"]
    assert tree(out) == before
    assert ".site.new" not in _spare_and_staging(out)
    # The data made beside the failed render is not taken for what the site holds.
    broken.unlink()
    edit_event_title(golden_project)
    builder.build()
    assert tree(out) == _clean_copy(golden_project, tmp_path / "clean")


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
    out = tmp_path / "site"
    builder = Builder(golden_project, out)
    builder.build()
    before = tree(out)
    failure = PublishError("data/events.csv: made to fail")
    _slowed(monkeypatch, "make_data", 0.0, failure)
    change_figure_value(golden_project)
    with pytest.raises(PublishError) as raised:
        builder.build()
    assert raised.value is failure
    assert tree(out) == before
    assert ".site.new" not in _spare_and_staging(out)
    monkeypatch.undo()
    edit_event_title(golden_project)
    builder.build()
    assert tree(out) == _clean_copy(golden_project, tmp_path / "clean")


def test_charts_that_fail_while_the_data_is_made_fail_the_build_with_their_error(
        golden_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    builder = Builder(golden_project, out)
    builder.build()
    before = tree(out)
    _slowed(monkeypatch, "make_data", 0.5)
    _slowed(monkeypatch, "make_charts", 0.0, RuntimeError("the chart stage failed"))
    change_figure_value(golden_project)
    with pytest.raises(RuntimeError, match="the chart stage failed"):
        builder.build()
    assert tree(out) == before
    assert ".site.new" not in _spare_and_staging(out)
    monkeypatch.undo()
    builder.build()
    assert tree(out) == _clean_copy(golden_project, tmp_path / "clean")
