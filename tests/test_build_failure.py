"""A build the system stops (here: files larger than the process may write, as a full disk
stops it) says what failed and where, exits 1 without a traceback, and leaves the output
folder holding the last site that was built whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import largest_file, make_project
from test_incremental import tree


def _build(project: Path, out: Path, cache: Path, limit: int | None = None
           ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SITE_GEN_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-m", "site_gen", "build", str(project), "--out",
                           str(out)], env=env, capture_output=True, text=True, timeout=300,
                          check=False, preexec_fn=None if limit is None else largest_file(limit))


def _failed_cleanly(run: subprocess.CompletedProcess[str], reason: str) -> None:
    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.stderr.startswith("error: ") and reason in run.stderr, run.stderr
    assert "the output folder holds the last site that was built whole" in run.stderr


def test_a_first_build_that_cannot_write_publishes_nothing(tmp_path: Path) -> None:
    project, out = make_project(tmp_path), tmp_path / "out"
    run = _build(project, out, tmp_path / "cache", limit=64 * 1024)
    # The database of the data downloads is the first file to outgrow the limit.
    _failed_cleanly(run, "the SQLite database of the data downloads: disk I/O error")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_an_edit_that_cannot_write_leaves_the_last_site(tmp_path: Path) -> None:
    project, out, cache = make_project(tmp_path), tmp_path / "out", tmp_path / "cache"
    assert _build(project, out, cache).returncode == 0
    before = tree(out)
    event = project / "content/events/kyiv-strike.yaml"
    event.write_text(event.read_text(encoding="utf-8").replace("title: ", "title: New ", 1),
                     encoding="utf-8")
    run = _build(project, out, cache, limit=4096)  # a record page is larger
    _failed_cleanly(run, "File too large")
    assert f"error: {tmp_path}/" in run.stderr  # the file that could not be written
    assert tree(out) == before
    assert _build(project, out, cache).returncode == 0  # and the next build mends it all
    assert tree(out) != before
