"""The write stage: a complete new tree swapped in, unchanged files kept, strangers refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from site_gen.write import MARKER, OutputError, check_output, write_tree


def test_write_then_rewrite_keeps_unchanged_files(tmp_path: Path) -> None:
    out = tmp_path / "build"
    first = write_tree(out, {"index.html": b"home", "a/index.html": b"a", "old.txt": b"x"})
    assert (first.written, first.kept, first.removed) == (3, 0, 0)
    inode = (out / "index.html").stat().st_ino
    second = write_tree(out, {"index.html": b"home", "a/index.html": b"changed"})
    assert (second.written, second.kept, second.removed) == (1, 1, 1)
    assert (out / "index.html").stat().st_ino == inode, "unchanged file was rewritten"
    assert (out / "a/index.html").read_bytes() == b"changed"
    assert not (out / "old.txt").exists(), "a file of a deleted record survived"
    assert (out / MARKER).is_file()
    assert not any(p.name.startswith(".build.") for p in tmp_path.iterdir())


def test_unchanged_rebuild_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "build"
    files = {f"p{i}/index.html": f"page {i}".encode() for i in range(20)}
    write_tree(out, files)
    stats = write_tree(out, files)
    assert stats.written == 0 and stats.kept == 20 and stats.removed == 0


def test_leftover_staging_from_a_killed_build_is_ignored(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, {"index.html": b"good"})
    staging = tmp_path / ".build.new"
    staging.mkdir()
    (staging / "index.html").write_bytes(b"half-written")
    write_tree(out, {"index.html": b"good", "b.html": b"b"})
    assert (out / "index.html").read_bytes() == b"good"
    assert not staging.exists()


@pytest.mark.parametrize("name", ["", "content", "templates", "datasets", "content/events"])
def test_output_may_not_be_the_project_or_its_sources(tmp_path: Path, name: str) -> None:
    for folder in ("content/events", "templates", "datasets"):
        (tmp_path / folder).mkdir(parents=True)
    with pytest.raises(OutputError, match="refusing"):
        check_output(tmp_path, tmp_path / name if name else tmp_path)


def test_output_may_not_contain_the_project(tmp_path: Path) -> None:
    project = tmp_path / "site"
    (project / "content").mkdir(parents=True)
    with pytest.raises(OutputError):
        check_output(project, tmp_path)


def test_foreign_non_empty_folder_is_refused_ours_is_accepted(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="not made by site-gen"):
        check_output(project, foreign)
    ours = tmp_path / "out"
    write_tree(ours, {"index.html": b"x"})
    check_output(project, ours)
    check_output(project, tmp_path / "new-folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    check_output(project, empty)


def test_swap_leaves_no_moment_without_a_site(tmp_path: Path) -> None:
    """The new tree replaces the old one by a rename: the old folder's inode is gone."""
    out = tmp_path / "build"
    write_tree(out, {"index.html": b"one"})
    before = os.stat(out).st_ino
    write_tree(out, {"index.html": b"two"})
    assert os.stat(out).st_ino != before
    assert (out / "index.html").read_bytes() == b"two"
