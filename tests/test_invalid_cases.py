"""Every kind of invalid input is a tiny project in tests/invalid/<case>/ with its exact output.

A case folder holds the files it adds to (or replaces in) the valid base project
tests/invalid/_base/, and expected.txt: the problem lines `site-gen validate` prints, in
order, without the final count line. `pytest tests/test_invalid_cases.py --regen` rewrites
the expected files; review the diff before committing it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASE, run_cli

from site_gen.yamlstrict import MAX_BYTES

CASES_DIR = Path(__file__).parent / "invalid"
EXPECTED = "expected.txt"
PROBLEM_LINE = re.compile(r"^[^:]+:\d+:\d+: error\[[a-z0-9-]+\]: .+$")
COUNT_LINE = re.compile(r"^(\d+) errors? in (\d+) files?$")


def _oversize(project: Path) -> None:
    """A record file one line longer than the size limit, made here rather than committed."""
    head = b"id: huge\nname: Huge\nlat: 1\nlon: 1\nnote: "
    (project / "content/places/huge.yaml").write_bytes(head + b"x" * MAX_BYTES + b"\n")


GENERATED: dict[str, Callable[[Path], None]] = {"yaml-too-large": _oversize}
"""Cases whose input is too big to commit: the folder holds only expected.txt."""

CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir() and not p.name.startswith("_"))


def case_project(case: str, tmp_path: Path) -> Path:
    """The base project with the case's files laid over it."""
    project = tmp_path / case
    shutil.copytree(BASE, project)
    shutil.copytree(CASES_DIR / case, project, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(EXPECTED))
    if case in GENERATED:
        GENERATED[case](project)
    return project


def _expected(case: str) -> list[str]:
    path = CASES_DIR / case / EXPECTED
    if not path.is_file():
        pytest.fail(f"{path} is missing; run pytest tests/test_invalid_cases.py --regen")
    return path.read_text(encoding="utf-8").splitlines()


def _split(stdout: str) -> tuple[list[str], int]:
    """Problem lines and the error count announced by the last line."""
    lines = stdout.splitlines()
    assert lines, "validate printed nothing"
    count = COUNT_LINE.match(lines[-1])
    assert count, f"last line is not a count: {lines[-1]!r}"
    return lines[:-1], int(count[1])


def test_there_is_a_case_per_kind_of_invalid_input() -> None:
    assert len(CASES) >= 30
    assert set(GENERATED) <= set(CASES)


def test_base_project_is_valid(tmp_path: Path) -> None:
    project = tmp_path / "base"
    shutil.copytree(BASE, project)
    result = run_cli("validate", str(project))
    assert result.exit_code == 0, result.output
    assert result.stdout == "8 records valid.\n"


@pytest.mark.parametrize("case", CASES)
def test_invalid_case(case: str, tmp_path: Path, regen: bool) -> None:
    project = case_project(case, tmp_path)
    result = run_cli("validate", str(project))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    problems, count = _split(result.stdout)
    assert count == len(problems)
    if regen:
        (CASES_DIR / case / EXPECTED).write_text("\n".join(problems) + "\n", encoding="utf-8")
    assert problems == _expected(case)
    for line in problems:
        assert PROBLEM_LINE.match(line), line
        path, number = line.split(":")[:2]
        assert (project / path).exists(), f"{line}: no such file"
        if (project / path).is_file():
            lines = (project / path).read_bytes().count(b"\n") + 1
            assert 1 <= int(number) <= lines, f"{line}: the file has {lines} lines"


def test_problems_are_sorted_by_file_and_position() -> None:
    problems = _expected("many-problems")
    keys = []
    for line in problems:
        path, number, col = line.split(":")[:3]
        keys.append((path, int(number), int(col)))
    assert keys == sorted(keys)
    assert len({k[0] for k in keys}) >= 5, "the case should spread over several files"


@pytest.mark.parametrize("case", ["many-problems", "yaml-too-large"])
def test_invalid_case_in_a_real_process(case: str, tmp_path: Path) -> None:
    project = case_project(case, tmp_path)
    run = subprocess.run([sys.executable, "-m", "site_gen", "validate", str(project)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    problems, count = _split(run.stdout)
    assert problems == _expected(case)
    assert count == len(problems)
