"""What the write stage takes on trust between builds, and that nothing stale is trusted: each
test changes the output between two builds the way a person or another process could, and
checks that the build noticed (the spare tree was not used, or the live file was not kept)."""

from __future__ import annotations

import os
from pathlib import Path

from test_write_spare import build, builds, spare_of, tree, version


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
