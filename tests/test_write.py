"""The write stage: a new tree swapped in, unchanged files kept, strangers refused."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from site_gen.write import MARKER, OutputError, Staging, check_output, write_tree


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
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".build.")) == [
        ".build.old"], "staging left behind"
    spare = tmp_path / ".build.old"
    assert (spare / "a/index.html").read_bytes() == b"a" and (spare / "old.txt").is_file()


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


# -- staging files as they are made ------------------------------------------------------------

def test_staging_writes_each_file_as_it_is_set_and_behaves_as_a_mapping(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, {"same.html": b"same", "gone.html": b"gone"}, build_id="1")
    with Staging(out, "2") as staging:
        staging["a/index.html"] = b"new page"
        assert (tmp_path / ".build.new/a/index.html").read_bytes() == b"new page"
        staging["same.html"] = b"same"
        assert not (tmp_path / ".build.new/same.html").exists(), "identical bytes were written"
        staging.update({"b.json": b"{}", "c.txt": b"c"})
        staging["c.txt"] = b"c, again"
        del staging["b.json"]
        assert not (tmp_path / ".build.new/b.json").exists()
        assert "a/index.html" in staging and "b.json" not in staging and "gone.html" not in staging
        assert len(staging) == 3 and sorted(staging) == ["a/index.html", "c.txt", "same.html"]
        assert staging["same.html"] == b"same" and staging["c.txt"] == b"c, again"
        assert (out / "gone.html").read_bytes() == b"gone", "the live site changed before commit"
        stats = staging.commit()
    assert (stats.written, stats.kept, stats.removed) == (2, 1, 1)
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name != MARKER} == {
        "a/index.html": b"new page", "c.txt": b"c, again", "same.html": b"same"}
    with pytest.raises(ValueError):
        staging["late.html"] = b"too late"


def test_staging_does_not_hold_the_pages_in_memory(tmp_path: Path) -> None:
    page = b"x" * 1_000_000
    tracemalloc.start()
    try:
        with Staging(tmp_path / "build") as staging:
            for i in range(60):
                staging[f"p{i}/index.html"] = page + str(i).encode()
            _, peak = tracemalloc.get_traced_memory()
            staging.commit()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, f"{peak} bytes held for 60 MB of pages"
    assert (tmp_path / "build/p59/index.html").read_bytes() == page + b"59"


def test_an_aborted_staging_leaves_the_site_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, {"index.html": b"good"}, build_id="1")
    before = os.stat(out / "index.html")
    with pytest.raises(RuntimeError), Staging(out, "2") as staging:
        staging["index.html"] = b"half"
        staging["other.html"] = b"half"
        raise RuntimeError("a later stage failed")
    assert (out / "index.html").read_bytes() == b"good" and not (out / "other.html").exists()
    assert os.stat(out / "index.html").st_ino == before.st_ino
    assert not (tmp_path / ".build.new").exists()
    staging = Staging(out, "3")
    staging["x.html"] = b"x"
    staging.abort()
    assert not (tmp_path / ".build.new").exists() and not (out / "x.html").exists()


def test_an_output_that_is_a_mount_point_is_refused(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The new tree is made beside the output and renamed: it cannot cross file systems."""
    out = tmp_path / "build"
    write_tree(out, {"index.html": b"one"})
    monkeypatch.setattr(os.path, "ismount", lambda path: Path(path) == out)
    with pytest.raises(OutputError, match="mount point"):
        write_tree(out, {"index.html": b"two"})
    assert (out / "index.html").read_bytes() == b"one"


def test_a_file_staged_in_parts_is_their_bytes_and_kept_when_the_site_has_them(
        tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, {"data/a.zip": b"head-body-tail"}, build_id="1")
    with Staging(out, "2") as staging:
        staging.put_parts("data/a.zip", [b"head-", b"", b"body-", b"tail"])
        assert not (tmp_path / ".build.new/data/a.zip").exists(), "identical bytes were written"
        staging.put_parts("data/b.zip", [b"new ", b"parts"])
        assert (tmp_path / ".build.new/data/b.zip").read_bytes() == b"new parts"
        staging.put_parts("data/c.zip", [b"head-body-tai", b"l!"])  # longer than the live file
        stats = staging.commit()
    assert (stats.written, stats.kept) == (2, 1)
    assert (out / "data/a.zip").read_bytes() == b"head-body-tail"
    assert (out / "data/c.zip").read_bytes() == b"head-body-tail!"


def test_a_file_the_caller_writes_into_the_staging_folder_is_published(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree(out, {"data/db.sqlite": b"same"}, build_id="1")
    with Staging(out, "2") as staging:
        staging["data/db.sqlite"] = b"other"
        path = staging.new_file("data/db.sqlite")
        assert not os.path.exists(path), "the file set before was left in its place"
        Path(path).write_bytes(b"same")
        assert staging["data/db.sqlite"] == b"same" and len(staging) == 1
        stats = staging.commit()
    assert (stats.written, stats.kept) == (1, 0)  # never compared with the live file
    assert (out / "data/db.sqlite").read_bytes() == b"same"
