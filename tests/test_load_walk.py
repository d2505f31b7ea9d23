"""The walk over content/: which files are records, in which order, and what is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import make_project

from site_gen.load import LoadCache, _read_bytes, load
from site_gen.load_walk import content_files

EVENT = "id: {id}\ndate: 2022-03-01\ntitle: T\ntype: strike\nstatus: reported\n" \
        "places: [kyiv]\nsources: [wire-report]\n"


def test_files_come_in_path_order_part_by_part(tmp_path: Path) -> None:
    # Compared part by part "a/b.yaml" comes before "a-b.yaml" and "a.yaml", although
    # as one string it would come after them.
    names = ["a.yaml", "a-b.yaml", "a/b.yaml", "B.yaml", "c.yml"]
    project = make_project(tmp_path, {f"content/events/{n}": EVENT.format(id=f"e{i}")
                                      for i, n in enumerate(names)})
    found, problems = content_files(project)
    assert problems == []
    events = [rel for collection, rel in found if collection == "events"]
    assert events == ["content/events/B.yaml", "content/events/a/b.yaml",
                      "content/events/a-b.yaml", "content/events/a.yaml",
                      "content/events/c.yml", "content/events/kyiv-strike.yaml"]


def test_hidden_names_and_other_files_are_left_out(tmp_path: Path) -> None:
    project = make_project(tmp_path, {
        "content/events/.draft.yaml": "id: [",
        "content/events/.drafts/x.yaml": "id: [",
        "content/events/sub/.y.yaml": "id: [",
        "content/events/notes.txt": "id: [",
        "content/events/x.yaml.bak": "id: [",
    })
    found, problems = content_files(project)
    assert problems == []
    assert [rel for _, rel in found if rel.startswith("content/events/")] == \
        ["content/events/kyiv-strike.yaml"]


def test_symbolic_links_inside_a_collection_are_reported_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text(EVENT.format(id="x"), encoding="utf-8")
    project = make_project(tmp_path)
    os.symlink(outside, project / "content" / "events" / "linked")
    os.symlink(outside / "x.yaml", project / "content" / "events" / "x.yaml")
    os.symlink(tmp_path / "missing.yaml", project / "content" / "events" / "y.yaml")
    found, problems = content_files(project)
    assert [rel for _, rel in found if "events" in rel] == ["content/events/kyiv-strike.yaml"]
    assert [(p.path, p.code, "folder" in p.message) for p in problems] == [
        ("content/events/linked", "content-symlink", True),
        ("content/events/x.yaml", "content-symlink", False),
        ("content/events/y.yaml", "content-symlink", False),
    ]


def test_unchanged_files_are_not_read_again(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"content/events/second.yaml": EVENT.format(id="second")})
    past = 1_600_000_000
    for rel in ("content/events/kyiv-strike.yaml", "content/events/second.yaml"):
        os.utime(project / rel, (past, past))
    cache: LoadCache = {}
    first, _ = load(project, cache)
    edited = project / "content/events/second.yaml"
    edited.write_text(EVENT.format(id="second").replace("title: T", "title: U"), "utf-8")
    os.utime(edited, (past + 10, past + 10))
    again, _ = load(project, cache)
    before = {r.id: r for r in first.of("events")}
    after = {r.id: r for r in again.of("events")}
    assert after["kyiv-strike"] is before["kyiv-strike"]
    assert after["second"] is not before["second"]
    assert after["second"].fields["title"] == "U"
    edited.unlink()
    load(project, cache)
    assert "content/events/second.yaml" not in cache


def test_the_content_fingerprint_says_which_file_holds_which_bytes(tmp_path: Path) -> None:
    """Every later stage is skipped while it holds: it changes with an edit, an added or
    removed file and with two files swapping their bytes."""
    one, two = EVENT.format(id="one"), EVENT.format(id="two")
    project = make_project(tmp_path, {"content/events/a.yaml": one,
                                      "content/events/b.yaml": two})
    first = load(project)[0].fingerprint
    assert load(project)[0].fingerprint == first
    (project / "content/events/a.yaml").write_text(two, encoding="utf-8")
    (project / "content/events/b.yaml").write_text(one, encoding="utf-8")
    swapped = load(project)[0].fingerprint
    (project / "content/events/c.yaml").write_text(EVENT.format(id="c"), encoding="utf-8")
    added = load(project)[0].fingerprint
    (project / "content/events/a.yaml").write_text(two.replace("T", "U"), encoding="utf-8")
    edited = load(project)[0].fingerprint
    assert len({first, swapped, added, edited}) == 4


@pytest.mark.parametrize("told", [0, 5, 99_999, 100_000, 100_001, 300_000])
def test_a_record_file_is_read_whole_whatever_size_stat_gave(tmp_path: Path, told: int) -> None:
    """A file that grew or shrank between its stat and its read is read to its end."""
    path = tmp_path / "record.yaml"
    data = bytes(range(256)) * 390 + b"end"  # 99,843 bytes
    path.write_bytes(data)
    assert _read_bytes(str(path), told) == data
