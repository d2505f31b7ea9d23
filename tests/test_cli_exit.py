"""The program ends without the collector's last pass over what a build left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from golden.support import SITE

SCRIPT = """
import atexit, gc, sys
from site_gen.cli import run
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count()))
sys.argv = ["site-gen", *sys.argv[1:]]
run()
"""


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SITE_GEN_CACHE": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], env=env, text=True,
                          capture_output=True, timeout=300, check=False)


def test_a_build_leaves_its_objects_to_the_exit(tmp_path: Path) -> None:
    done = _run(tmp_path, "build", str(SITE), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "Built 19 records" in done.stdout
    frozen = int(done.stdout.rsplit("frozen at exit:", 1)[1])
    assert frozen > 10_000  # every object alive, the build's garbage included


def test_a_failing_command_exits_as_before(tmp_path: Path) -> None:
    done = _run(tmp_path, "build", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "does not exist" in done.stderr
    assert "frozen at exit:" in done.stdout and "Traceback" not in done.stderr


def test_the_installed_program_is_run() -> None:
    (script,) = entry_points(group="console_scripts", name="site-gen")
    assert script.value == "site_gen.cli:run"
