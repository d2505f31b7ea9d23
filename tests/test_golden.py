"""The golden site: tests/golden/site/ built by the real pipeline must equal tests/golden/expected/.

`pytest tests/test_golden.py --regen` rewrites tests/golden/expected/ from the current code;
review the diff before committing it (see tests/golden/README.md).
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from golden.support import EXPECTED, SITE, build_site, compared, read_tree, shared_cache


def _diff(path: str, expected: bytes, actual: bytes) -> str:
    try:
        lines = difflib.unified_diff(expected.decode().splitlines(), actual.decode().splitlines(),
                                     f"expected/{path}", f"built/{path}", lineterm="", n=2)
    except UnicodeDecodeError:
        return f"{path}: binary content differs"
    return "\n".join(list(lines)[:60])


def test_golden_site_matches_expected_output(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, regen: bool) -> None:
    built = compared(read_tree(build_site(SITE, tmp_path / "out", shared_cache(tmp_path_factory))))
    if regen:
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for path, data in built.items():
            target = EXPECTED / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    expected = read_tree(EXPECTED)
    assert sorted(built) == sorted(expected), (
        f"missing: {sorted(set(expected) - set(built))}; new: {sorted(set(built) - set(expected))}"
        "; run `pytest tests/test_golden.py --regen` if the change is intended")
    changed = [path for path in built if built[path] != expected[path]]
    assert not changed, (f"{len(changed)} files differ; first:\n"
                         + _diff(changed[0], expected[changed[0]], built[changed[0]]))


def test_golden_expected_output_covers_every_record() -> None:
    expected = read_tree(EXPECTED)
    for folder in sorted((SITE / "content").iterdir()):
        for record_file in folder.glob("*.yaml"):
            for line in record_file.read_text().splitlines():
                if line.startswith(("id: ", "- id: ")):
                    record_id = line.split("id: ", 1)[1].strip()
                    assert f"{folder.name}/{record_id}/index.html" in expected
                    assert f"{folder.name}/{record_id}.json" in expected
