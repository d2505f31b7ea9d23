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


def test_the_stages_times_add_up_to_no_more_than_the_build_took(
        golden_project: Path, tmp_path: Path) -> None:
    """`site-gen serve` reports their sum: the data stage counts only what the build waited
    for it, not the time its thread worked while the build charted and rendered."""
    builder = Builder(golden_project, tmp_path / "site")
    builder.build()
    for edit in (change_figure_value, edit_event_title):
        edit(golden_project)
        clock = time.perf_counter()
        result = builder.build()
        took = time.perf_counter() - clock
        assert "data" in result.timings
        assert sum(result.timings.values()) <= took, (result.timings, took)
