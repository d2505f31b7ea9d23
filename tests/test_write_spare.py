"""The spare tree: each build brings the site of the build before last up to date and swaps it
in, touching only what differs; anything it cannot trust makes a complete tree instead."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from site_gen import write, write_spare
from site_gen.write import MARKER, SPARE_STATE, StaleOutput, read_build_id, write_tree


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root but the marker and the spare's own record."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in (MARKER, SPARE_STATE)}


def folders(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


def version(n: int) -> dict[str, bytes]:
    """Build n of a small site: pages come and go, some change, most stay."""
    files = {f"pages/p{i}/index.html": f"page {i}".encode() for i in range(40)
             if (i + n) % 7 != 0}
    files.update({f"pages/p{i}.json": f"{{{i}}}".encode() for i in range(40) if i % 3})
    files[f"pages/p{n % 40}/index.html"] = f"page {n % 40} edited in build {n}".encode()
    files["index.html"] = f"home {n // 3}".encode()
    if n % 4 == 1:
        files[f"only/in/build{n}/x.html"] = b"brief"
    return files


def build(out: Path, n: int, before: dict[str, bytes] | None) -> write.WriteStats:
    """Write build n as the renderer would: changed files made, unchanged ones kept."""
    files = version(n)
    kept = {rel for rel, data in files.items() if before is not None and before.get(rel) == data
            and not rel.endswith(".json")}
    made = {rel: data for rel, data in files.items() if rel not in kept}
    return write_tree(out, made, kept, f"b{n}")


def builds(out: Path, count: int) -> dict[str, bytes]:
    """Builds 0 to count - 1 into out, each keeping what the one before made; the files of
    the last."""
    before: dict[str, bytes] | None = None
    for n in range(count):
        build(out, n, before)
        before = version(n)
    assert before is not None
    return before


def spare_of(out: Path) -> Path:
    return out.parent / f".{out.name}.old"


def test_builds_alternate_two_trees_and_equal_a_clean_write(tmp_path: Path) -> None:
    out = tmp_path / "site"
    roots = []
    before: dict[str, bytes] | None = None
    for n in range(14):
        stats = build(out, n, before)
        expected = version(n)
        assert tree(out) == expected, n
        clean = tmp_path / f"clean{n}"
        write_tree(clean, expected)
        assert folders(out) == folders(clean), f"build {n}: empty or missing folders"
        assert read_build_id(out) == f"b{n}"
        if before is not None:
            assert tree(spare_of(out)) == before, f"build {n}: the spare is not the last site"
            changed = {rel for rel, data in expected.items() if before.get(rel) != data}
            assert stats.written == len(changed)
            assert stats.removed == len(set(before) - set(expected))
        roots.append(os.stat(out).st_ino)
        shutil.rmtree(clean)
        before = expected
    assert len(set(roots[1:])) == 2 and roots[2::2] == [roots[2]] * len(roots[2::2]), \
        "the two trees did not take turns"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.old", "site"]


def test_an_edit_leaves_unchanged_files_untouched(tmp_path: Path) -> None:
    """Linking a file changes its ctime: unchanged files keep theirs, so none was linked."""
    out = tmp_path / "site"
    files = {f"p{i}/index.html": f"page {i}".encode() for i in range(300)}
    write_tree(out, files, build_id="1")
    write_tree(out, {"p0/index.html": b"edit one"}, set(files) - {"p0/index.html"}, "2")
    before = {rel: os.stat(out / rel) for rel in files}
    stats = write_tree(out, {"p1/index.html": b"edit two"}, set(files) - {"p1/index.html"}, "3")
    assert (stats.written, stats.kept, stats.removed) == (1, 299, 0)
    after = {rel: os.stat(out / rel) for rel in files}
    unchanged = [rel for rel in files if rel not in ("p0/index.html", "p1/index.html")]
    assert all(after[rel].st_ino == before[rel].st_ino for rel in unchanged)
    assert all(after[rel].st_ctime_ns == before[rel].st_ctime_ns for rel in unchanged)
    assert (out / "p0/index.html").read_bytes() == b"edit one"
    assert (out / "p1/index.html").read_bytes() == b"edit two"


def test_a_kept_file_deleted_from_the_site_is_restored(tmp_path: Path) -> None:
    out = tmp_path / "site"
    before = builds(out, 2)
    (out / "pages/p22/index.html").unlink()  # kept by build 2, unchanged for long
    for n in range(2, 5):
        build(out, n, before)
        assert tree(out) == version(n), n
        before = version(n)


def test_a_kept_file_missing_where_it_must_be_linked_from_is_stale(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_tree(out, {"a.html": b"a1", "b.html": b"b"}, build_id="1")
    write_tree(out, {"a.html": b"a2"}, {"b.html"}, "2")  # the spare holds a1
    (out / "a.html").unlink()
    live = tree(out)
    with pytest.raises(StaleOutput):
        write_tree(out, {"b.html": b"b3"}, {"a.html"}, "3")
    assert tree(out) == live and read_build_id(out) == "2"
    assert not (tmp_path / ".site.new").exists()
    write_tree(out, {"a.html": b"a2", "b.html": b"b3"}, build_id="3")
    assert tree(out) == {"a.html": b"a2", "b.html": b"b3"}
    write_tree(out, {"c.html": b"c"}, {"a.html", "b.html"}, "4")
    assert tree(out) == {"a.html": b"a2", "b.html": b"b3", "c.html": b"c"}


def test_a_kept_file_the_last_site_did_not_have_is_stale(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_tree(out, {"a.html": b"a"}, build_id="1")
    write_tree(out, {"a.html": b"a2"}, build_id="2")
    with pytest.raises(StaleOutput):
        write_tree(out, {}, {"a.html", "never.html"}, "3")
    assert tree(out) == {"a.html": b"a2"}


def test_files_added_to_the_site_by_hand_do_not_survive(tmp_path: Path) -> None:
    out = tmp_path / "site"
    before = builds(out, 2)
    (out / "stray.txt").write_bytes(b"mine")
    (out / "pages/p5/stray.txt").write_bytes(b"mine")
    (out / "newdir").mkdir()
    (out / "pages/p7.json").write_bytes(b"{7}")  # by hand, and what the build makes
    for n in range(2, 6):
        build(out, n, before)
        assert tree(out) == version(n), n
        before = version(n)


def damage_missing_file(spare: Path) -> None:
    (spare / "pages/p22/index.html").unlink()


def damage_added_file(spare: Path) -> None:
    (spare / "pages/p22/extra.html").write_bytes(b"x")


def damage_replaced_folder(spare: Path) -> None:
    shutil.rmtree(spare / "pages/p23")
    (spare / "pages/p23").mkdir()
    (spare / "pages/p23/index.html").write_bytes(b"page 23, by hand")


def damage_top_level(spare: Path) -> None:
    (spare / "extra.html").write_bytes(b"x")


def damage_marker(spare: Path) -> None:
    (spare / MARKER).write_bytes(b"build someone-else\n")


def damage_state(spare: Path) -> None:
    data = (spare / SPARE_STATE).read_bytes()
    (spare / SPARE_STATE).write_bytes(data[: len(data) // 2])


def damage_no_state(spare: Path) -> None:
    (spare / SPARE_STATE).unlink()


def damage_spare_gone(spare: Path) -> None:
    shutil.rmtree(spare)


@pytest.mark.parametrize("damage", [
    damage_missing_file, damage_added_file, damage_replaced_folder, damage_top_level,
    damage_marker, damage_state, damage_no_state, damage_spare_gone])
def test_a_spare_touched_since_is_not_trusted(tmp_path: Path, damage: object) -> None:
    out = tmp_path / "site"
    before = builds(out, 3)
    damage(spare_of(out))  # type: ignore[operator]
    for n in range(3, 6):
        build(out, n, before)
        assert tree(out) == version(n), (damage, n)
        assert tree(spare_of(out)) == before
        before = version(n)


def test_the_live_site_replaced_by_hand_is_not_trusted(tmp_path: Path) -> None:
    out = tmp_path / "site"
    builds(out, 3)
    shutil.copytree(out, tmp_path / "copy")
    shutil.rmtree(out)
    (tmp_path / "copy").rename(out)
    (out / "pages/p22/index.html").unlink()
    write_tree(out, version(3), build_id="b3")
    assert tree(out) == version(3)


def test_a_forged_record_cannot_reach_outside_the_spare(tmp_path: Path) -> None:
    out = tmp_path / "site"
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    write_tree(out, {"a.html": b"1"}, build_id="1")
    write_tree(out, {"a.html": b"2"}, build_id="2")
    spare = spare_of(out)
    pair = write_spare.SpareRecord.load(spare)
    assert pair is not None
    for forge in ("differ", "live_paths", "folders"):
        pair.save(spare)
        forged = write_spare.SpareRecord.load(spare)
        assert forged is not None
        if forge == "folders":
            forged.live.folders.append("../outside")
            forged.live.keys.extend([1, 2, 3])
        else:
            setattr(forged, forge, [*getattr(forged, forge), "../victim.txt"])
        forged.save(spare)
        assert write_spare.SpareRecord.load(spare) is None, forge
    pair.save(spare)
    assert write_spare.SpareRecord.load(spare) is not None
    pair.differ = [*pair.differ, "../victim.txt"]
    pair.save(spare)
    write_tree(out, {"a.html": b"3"}, build_id="3")
    assert victim.read_bytes() == b"precious" and tree(out) == {"a.html": b"3"}


def test_a_path_may_turn_from_file_to_folder_and_back(tmp_path: Path) -> None:
    out = tmp_path / "site"
    shapes = [{"a": b"file", "b/c": b"1"}, {"a/index.html": b"folder", "b": b"2"},
              {"a": b"file again", "b/c/d": b"3"}, {"a/index.html": b"folder", "b": b"4"}]
    for n, files in enumerate(shapes * 2):
        write_tree(out, files, build_id=str(n))
        assert tree(out) == files


def test_without_renameat2_the_trees_still_take_turns(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A system without renameat2: the swap is three renames."""
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    out = tmp_path / "site"
    before = None
    roots = []
    for n in range(6):
        build(out, n, before)
        assert tree(out) == version(n)
        roots.append(os.stat(out).st_ino)
        before = version(n)
    assert roots[2] == roots[4] and roots[3] == roots[5] and roots[2] != roots[3]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.old", "site"]


# -- what a user may do to the output between builds -----------------------------------------

def write_as_build(out: Path, files: dict[str, bytes], kept: set[str], build_id: str) -> None:
    """As the build does: keep what it can, and make everything when the output is stale."""
    try:
        write_tree(out, {rel: data for rel, data in files.items() if rel not in kept}, kept,
                   build_id)
    except StaleOutput:
        write_tree(out, files, build_id=build_id)


def test_folders_made_in_the_site_by_hand_do_not_survive(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_tree(out, {"a/x.html": b"1", "b.html": b"b"}, build_id="1")
    (out / "empty/deeper").mkdir(parents=True)
    (out / "a/empty").mkdir()
    roots = []
    for n in range(2, 7):
        files = {"a/x.html": str(n).encode(), "b.html": b"b"}
        write_tree(out, files, build_id=str(n))
        assert tree(out) == files and folders(out) == {"a"}, n
        roots.append(os.stat(out).st_ino)
    assert roots[1] == roots[3] and roots[2] == roots[4], "a spare was not trusted again"


def test_a_link_to_a_folder_put_in_the_site_is_removed_not_written_through(
        tmp_path: Path) -> None:
    out, victim = tmp_path / "site", tmp_path / "victim"
    victim.mkdir()
    write_tree(out, {"p/x.html": b"1"}, build_id="1")
    (out / "p/evil").symlink_to(victim)
    for n in range(2, 7):
        files = {"p/x.html": str(n).encode()}
        if n >= 4:
            files["p/evil/index.html"] = b"a page where the link was"
        write_tree(out, files, build_id=str(n))
        assert tree(out) == files and not (out / "p/evil").is_symlink(), n
    assert not any(victim.iterdir()), "a file was written through a link in the spare"


@pytest.mark.parametrize("shape", ["link", "folder"])
@pytest.mark.parametrize("spare_trusted", [True, False])
@pytest.mark.parametrize("then", ["kept", "written"])
def test_a_kept_file_turned_into_a_link_or_a_folder_is_not_published(
        tmp_path: Path, shape: str, spare_trusted: bool, then: str) -> None:
    out, victim = tmp_path / "site", tmp_path / "secret.txt"
    victim.write_bytes(b"secret")
    for n in range(3):
        write_tree(out, {"a.html": str(n).encode(), "b.html": b"b"}, build_id=str(n))
    (out / "b.html").unlink()
    if shape == "link":
        (out / "b.html").symlink_to(victim)
    else:
        (out / "b.html").mkdir()
    if not spare_trusted:
        (spare_of(out) / SPARE_STATE).unlink()
    files = {"a.html": b"3", "b.html": b"b"}
    write_as_build(out, files, {"b.html"}, "3")
    assert tree(out) == files and (out / "b.html").stat().st_ino != victim.stat().st_ino
    b4 = b"b" if then == "kept" else b"b4"
    write_as_build(out, {"a.html": b"4", "b.html": b4}, {"b.html"} if then == "kept" else set(),
                   "4")
    assert tree(out) == {"a.html": b"4", "b.html": b4}
    write_as_build(out, {"a.html": b"5", "b.html": b4}, {"b.html"}, "5")
    assert tree(out) == {"a.html": b"5", "b.html": b4}


def test_a_folder_of_the_site_turned_into_a_link_is_not_read_through(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    files = {"p/x.html": b"x", "q.html": b"1"}
    write_tree(out, files, build_id="1")
    shutil.copytree(out / "p", elsewhere)
    shutil.rmtree(out / "p")
    (out / "p").symlink_to(elsewhere)
    for n in range(2, 5):
        files = {"p/x.html": b"x", "q.html": str(n).encode()}
        write_tree(out, files, build_id=str(n))
        assert tree(out) == files and not (out / "p").is_symlink()
        assert (out / "p/x.html").stat().st_ino != (elsewhere / "x.html").stat().st_ino, \
            "the site shares a file with a folder outside it"


def test_a_top_level_file_replaced_by_hand_does_not_come_back(tmp_path: Path) -> None:
    """Its folder's times are not kept (they change on every swap): its inode is."""
    out = tmp_path / "site"
    for n in range(2):
        write_tree(out, {"index.html": b"home", "a/x.html": str(n).encode()}, build_id=str(n))
    (tmp_path / "edited").write_bytes(b"edited by hand")
    os.replace(tmp_path / "edited", out / "index.html")  # as an editor saves a file
    write_tree(out, {"a/x.html": b"2"}, {"index.html"}, "2")  # made from the spare
    assert (out / "index.html").read_bytes() == b"home"
    for n in range(3, 6):
        write_tree(out, {"a/x.html": str(n).encode()}, {"index.html"}, str(n))
        assert (out / "index.html").read_bytes() == b"home", n


def test_a_file_put_back_by_hand_with_the_bytes_the_build_makes_is_used(
        tmp_path: Path) -> None:
    """As a checkout of a committed output leaves it: other inodes, the bytes of another
    build, and the build now makes those bytes too."""
    out = tmp_path / "site"
    write_tree(out, {"p/x.html": b"old", "q.html": b"1"}, build_id="1")
    for n in range(2, 4):
        write_tree(out, {"p/x.html": b"new", "q.html": str(n).encode()}, build_id=str(n))
    (out / "p/x.html").unlink()
    (out / "p/x.html").write_bytes(b"old")
    for n in range(4, 7):
        files = {"p/x.html": b"old", "q.html": str(n).encode()}
        write_tree(out, files, build_id=str(n))
        assert tree(out) == files, n


def test_a_spare_replaced_by_a_link_is_not_followed(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    before = builds(out, 3)
    spare_of(out).rename(elsewhere)
    spare_of(out).symlink_to(elsewhere)
    moved = tree(elsewhere)
    build(out, 3, before)
    assert tree(out) == version(3) and not out.is_symlink() and not spare_of(out).is_symlink()
    assert tree(elsewhere) == moved


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_an_output_deleted_or_renamed_by_hand_is_made_again(tmp_path: Path, how: str) -> None:
    out = tmp_path / "site"
    builds(out, 3)
    if how == "deleted":
        shutil.rmtree(out)
    else:
        out.rename(tmp_path / "moved")
    write_tree(out, version(3), build_id="b3")
    assert tree(out) == version(3) and not spare_of(out).exists()
    if how == "renamed":
        assert tree(tmp_path / "moved") == version(2)
    build(out, 4, version(3))
    assert tree(out) == version(4)


# -- a killed build -------------------------------------------------------------------------

def test_an_interrupted_staging_leaves_the_site_and_the_spare(tmp_path: Path) -> None:
    out = tmp_path / "site"
    before = builds(out, 3)
    live, spare_root = tree(out), os.stat(spare_of(out)).st_ino
    staging = write.Staging(out, "never")
    staging["pages/p1/index.html"] = b"half a build"  # and the process dies here
    assert (tmp_path / ".site.new/pages/p1/index.html").is_file()
    assert tree(out) == live
    build(out, 3, before)
    assert tree(out) == version(3) and os.stat(out).st_ino == spare_root, \
        "the spare was not used after an interrupted staging"
    assert not (tmp_path / ".site.new").exists()


def test_a_spare_changed_halfway_is_rebuilt(tmp_path: Path) -> None:
    """As a build killed while bringing the spare up to date leaves it."""
    out = tmp_path / "site"
    before = builds(out, 3)
    spare = spare_of(out)
    (spare / SPARE_STATE).unlink()
    (spare / "pages/p2/index.html").unlink()
    (spare / "pages/p3/index.html").write_bytes(b"half")
    for n in range(3, 6):
        build(out, n, before)
        assert tree(out) == version(n)
        before = version(n)


def test_a_build_killed_in_the_middle_of_a_swap_without_renameat2_keeps_the_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without renameat2 the live site is aside for a moment; the next build puts it back."""
    out = tmp_path / "site"
    before = builds(out, 3)
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    rename = os.rename
    calls = []

    def killed_after_one(a: object, b: object) -> None:
        calls.append(a)
        if len(calls) > 1:
            raise KeyboardInterrupt
        rename(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(write.os, "rename", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        build(out, 3, before)
    monkeypatch.setattr(write.os, "rename", rename)
    assert not out.exists()
    write.Staging(out, "next").abort()
    assert tree(out) == version(2) and read_build_id(out) == "b2"
    build(out, 3, before)
    assert tree(out) == version(3)


CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path[:0] = [{tests!r}]
    from test_write_spare import build, version
    from site_gen.write import read_build_id
    out = Path(sys.argv[1])
    last = read_build_id(out)
    n = int(last[1:]) + 1 if last else 0
    before = version(n - 1) if last else None
    while True:
        build(out, n, before)
        before, n = version(n), n + 1
""")


def test_sigkilled_builds_leave_a_whole_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(tests=str(Path(__file__).parent)))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    for when in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7):
        child = subprocess.Popen([sys.executable, str(script), str(out)], env=env,
                                 start_new_session=True)
        time.sleep(when)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        build_id = read_build_id(out)
        if build_id:
            assert tree(out) == version(int(build_id[1:])), f"killed after {when}s"
    last = int(read_build_id(out)[1:])
    assert last > 2, "the builds did not get far enough to use the spare"
    build(out, last + 1, version(last))
    assert tree(out) == version(last + 1)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == [
        ".site.old"]


# -- whole builds ----------------------------------------------------------------------------

def test_builds_into_two_trees_equal_a_clean_build(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from site_gen.build import Builder

    project = tmp_path / "project"
    shutil.copytree(Path(__file__).parent / "golden" / "site", project)
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    event = project / "content/events/kyiv-strike.yaml"
    original = event.read_text(encoding="utf-8")
    out = tmp_path / "out"
    builder = Builder(project, out)
    builder.build()
    roots = []
    for n in range(4):
        event.write_text(original.replace("Missile hits Kyiv TV tower", f"Edit {n}"),
                         encoding="utf-8")
        if n == 2:
            (out / "places/kyiv/index.html").unlink()  # by hand, between builds
        builder.build()
        roots.append(os.stat(out).st_ino)
    clean = tmp_path / "clean"
    Builder(project, clean).build()
    assert tree(out) == tree(clean)
    assert roots[0] == roots[2] != roots[1], "the two trees did not take turns"
    assert roots[3] not in roots[:3], "the tree changed by hand was brought up to date"
