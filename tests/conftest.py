"""Shared test helpers: tiny projects made from a dict of files on top of a valid base.

Use `make_project(tmp_path, files={...})` from any test module (`from conftest import
make_project`). The base is `tests/invalid/_base/`: the smallest valid project, with a
site.yaml (event types strike and diplomacy, metrics killed and refugees) and one record of
each collection: source `wire-report`, actors `wire-agency`, `ukraine-ministry` and
`city-mayor`, place `kyiv`, event `kyiv-strike`, figure `kyiv-killed` and quote
`mayor-city-stands`. The invalid cases in tests/invalid/ overlay the same base.

`--regen` rewrites committed expected outputs (tests/invalid/*/expected.txt) from what the
code produces now, so that a change of message or position is reviewed as a diff.
"""

from __future__ import annotations

import resource
import shutil
import signal
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from site_gen.cli import main

TESTS = Path(__file__).parent
BASE = TESTS / "invalid" / "_base"
"""The smallest valid project, shared by make_project and the invalid cases."""


def make_project(
    tmp_path: Path,
    files: Mapping[str, str | bytes | None] | None = None,
    *,
    base: bool = True,
    name: str = "project",
) -> Path:
    """Write a project into tmp_path/name and return its folder.

    `files` maps a path relative to the project (e.g. "content/events/x.yaml" or
    "site.yaml") to its text or bytes; None removes that file of the base. With
    base=False the project holds only `files`.
    """
    project = tmp_path / name
    if base:
        shutil.copytree(BASE, project)
    else:
        project.mkdir(parents=True)
    for rel, data in (files or {}).items():
        path = project / rel
        if data is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return project


def templates_project(tmp_path: Path, templates: Mapping[str, str]) -> Path:
    """A project folder (tmp_path) holding only its own `templates/`, for make_env."""
    for name, text in templates.items():
        path = tmp_path / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def largest_file(size: int) -> Callable[[], None]:
    """For a child process (`preexec_fn`): no file it writes may grow past `size` bytes, so
    that a write fails with EFBIG as a full disk fails it with ENOSPC."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def run_cli(*args: str) -> Result:
    """Run `site-gen ARGS` in this process, the way a user would on a terminal."""
    return CliRunner().invoke(main, list(args))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen",
        action="store_true",
        default=False,
        help="rewrite expected outputs (tests/invalid/*/expected.txt) from the current code",
    )


@pytest.fixture
def regen(request: pytest.FixtureRequest) -> bool:
    """True when the run should rewrite expected outputs instead of comparing with them."""
    return bool(request.config.getoption("--regen"))


@pytest.fixture
def golden_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the golden site (tests/golden/site) to edit, with a cache of its own."""
    target = tmp_path / "project"
    shutil.copytree(TESTS / "golden" / "site", target)
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    return target
