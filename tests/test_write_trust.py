"""What the write stage takes on trust between builds, and that nothing stale is trusted: most
tests change the output between two builds the way a person or another process could, and
check that the build noticed (the spare tree was not used, or the live file was not kept)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_write_spare import build, builds, spare_of, tree, version

from site_gen import write, write_spare
from site_gen.write import SPARE_STATE, StaleOutput, write_tree
from site_gen.write_spare import SpareRecord


def spare_used(out: Path, n: int, before: dict[str, bytes]) -> bool:
    """Run build n; whether it brought the spare tree up to date (rather than making a
    whole new tree), known from the inode of the folder that went live."""
    spare_root = os.stat(spare_of(out)).st_ino if spare_of(out).is_dir() else None
    build(out, n, before)
    assert tree(out) == version(n)
    return os.stat(out).st_ino == spare_root


def test_a_spare_folder_whose_times_alone_were_touched_is_not_trusted(tmp_path: Path) -> None:
    """Setting a folder's mtime back to what it was leaves only its ctime changed."""
    out = tmp_path / "site"
    before = builds(out, 3)
    folder = spare_of(out) / "pages/p9"
    info = os.stat(folder)
    os.utime(folder, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert os.stat(folder).st_mtime_ns == info.st_mtime_ns
    assert not spare_used(out, 3, before)
    assert spare_used(out, 4, version(3)), "the spare was not trusted again"


# -- the record of the spare, kept in memory by a long-lived process --------------------------

def three_builds(out: Path) -> None:
    """Builds 1 to 3 of a two-page site, b.html kept since the first."""
    write_tree(out, {"a.html": b"1", "b.html": b"b"}, build_id="1")
    for n in (2, 3):
        write_tree(out, {"a.html": str(n).encode()}, {"b.html"}, str(n))


def rename_in_record(spare: Path, old: bytes, new: bytes) -> bytes:
    """The spare's record file with one path of the live site renamed (same size)."""
    data = (spare / SPARE_STATE).read_bytes()
    header, _, body = data.partition(b"\n")
    assert body.count(old) == 1
    return header + b"\n" + body.replace(old, new)


def test_the_remembered_record_is_the_one_in_the_file(tmp_path: Path) -> None:
    out = tmp_path / "site"
    builds(out, 4)
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(spare_of(out) / SPARE_STATE, copy / SPARE_STATE)
    from_disk = SpareRecord.load(copy)
    assert str(spare_of(out)) in write_spare._saved
    assert from_disk is not None and SpareRecord.load(spare_of(out)) == from_disk


@pytest.mark.parametrize("how", ["in place", "replaced"])
def test_a_record_rewritten_by_another_process_is_read_again(tmp_path: Path, how: str) -> None:
    """Another process writes a record of the same size that does not list b.html among the
    files of the live site: keeping b.html is then a stale output, as the file says."""
    out = tmp_path / "site"
    three_builds(out)
    state = spare_of(out) / SPARE_STATE
    forged = rename_in_record(spare_of(out), b"b.html", b"c.html")
    if how == "in place":
        with open(state, "r+b") as handle:
            handle.write(forged)
    else:
        (tmp_path / "forged").write_bytes(forged)
        os.replace(tmp_path / "forged", state)
    with pytest.raises(StaleOutput):
        write_tree(out, {"a.html": b"4"}, {"b.html"}, "4")
    write_tree(out, {"a.html": b"4", "b.html": b"b"}, build_id="4")
    assert tree(out) == {"a.html": b"4", "b.html": b"b"}


def test_an_older_record_put_back_is_not_trusted(tmp_path: Path) -> None:
    out = tmp_path / "site"
    before = builds(out, 3)
    older = (spare_of(out) / SPARE_STATE).read_bytes()
    build(out, 3, before)
    (tmp_path / "older").write_bytes(older)
    os.replace(tmp_path / "older", spare_of(out) / SPARE_STATE)
    assert not spare_used(out, 4, version(3))
    assert spare_used(out, 5, version(4)), "the spare was not trusted again"


def test_another_process_building_in_between_is_noticed(tmp_path: Path) -> None:
    out = tmp_path / "site"
    builds(out, 3)
    tests = str(Path(__file__).parent)
    child = ("import sys; from pathlib import Path; sys.path[:0] = [sys.argv[1]]; "
             "from test_write_spare import build, version; build(Path(sys.argv[2]), 3, "
             "version(2))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    subprocess.run([sys.executable, "-c", child, tests, str(out)], env=env, check=True)
    assert tree(out) == version(3)
    for n in range(4, 7):
        build(out, n, version(n - 1))
        assert tree(out) == version(n) and tree(spare_of(out)) == version(n - 1), n
    assert spare_used(out, 7, version(6))


def test_a_record_is_taken_from_memory_once(tmp_path: Path) -> None:
    """Whoever takes it may change it: a second load reads the file."""
    out = tmp_path / "site"
    three_builds(out)
    first = SpareRecord.load(spare_of(out))
    assert first is not None
    first.live_paths.add("../elsewhere")
    second = SpareRecord.load(spare_of(out))
    assert second is not None and second is not first
    assert "../elsewhere" not in second.live_paths


# -- a live file kept when it holds what the build made ---------------------------------------

def big(size: int) -> bytes:
    return bytes(range(251)) * (size // 251) + bytes(size % 251)


@pytest.mark.parametrize("where", ["first", "chunk end", "next chunk", "last"])
def test_a_live_file_of_the_same_size_is_kept_only_if_every_byte_is_the_same(
        tmp_path: Path, where: str) -> None:
    out = tmp_path / "site"
    size = 3 * write._CHUNK + 5
    at = {"first": 0, "chunk end": write._CHUNK - 1, "next chunk": write._CHUNK,
          "last": size - 1}[where]
    data = big(size)
    changed = bytearray(data)
    changed[at] ^= 1
    write_tree(out, {"data.bin": data, "x.html": b"1"}, build_id="1")
    stats = write_tree(out, {"data.bin": bytes(changed), "x.html": b"2"}, build_id="2")
    assert (stats.written, stats.kept) == (2, 0)
    assert (out / "data.bin").read_bytes() == changed
    stats = write_tree(out, {"data.bin": bytes(changed), "x.html": b"3"}, build_id="3")
    assert (stats.written, stats.kept) == (1, 1)


@pytest.mark.parametrize("size", [0, 10, write._CHUNK, 2 * write._CHUNK + 1])
def test_a_file_reads_as_the_bytes_only_to_its_very_end(tmp_path: Path, size: int) -> None:
    """A file may grow between its size being read and its bytes: it must end where they do."""
    data = big(size)
    third = size // 3
    shorter = [(data[:-1], False)] if data else []
    for on_disk, same in [(data, True), (data + b"x", False), *shorter]:
        path = tmp_path / "file"
        path.write_bytes(on_disk)
        # whole, and in parts as the zip is staged (an empty part among them)
        for parts in [(data,), (data[:third], b"", data[third:2 * third], data[2 * third:])]:
            handle = os.open(path, os.O_RDONLY)
            try:
                assert write._reads_as(handle, parts) is same, (size, len(on_disk), len(parts))
            finally:
                os.close(handle)


# -- names like the record's ----------------------------------------------------------------

@pytest.mark.parametrize("where", ["site", "spare"])
@pytest.mark.parametrize("name", [f"{SPARE_STATE}.tmp", f"{SPARE_STATE}-mine"])
@pytest.mark.parametrize("kind", ["link", "file"])
def test_what_is_put_in_a_tree_under_a_name_like_the_records_does_not_survive(
        tmp_path: Path, where: str, name: str, kind: str) -> None:
    """Not published, and a link is not written through when the record is saved."""
    out, victim = tmp_path / "site", tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    for n in range(3):
        write_tree(out, {"a.html": str(n).encode()}, build_id=str(n))
    planted = (out if where == "site" else spare_of(out)) / name
    if kind == "link":
        planted.symlink_to(victim)
    else:
        planted.write_bytes(b"mine")
    for n in range(3, 7):
        write_tree(out, {"a.html": str(n).encode()}, build_id=str(n))
        assert sorted(os.listdir(out)) == [".site-gen", "a.html"], n
    assert victim.read_bytes() == b"precious"
