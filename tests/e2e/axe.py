"""axe-core, fetched from the npm registry at test time and kept in tests/e2e/.cache."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).parent / ".cache"
SPEC = "axe-core@4"
# Runs every rule axe enables by default (WCAG A/AA and best practices such as heading-order,
# region and the landmark rules) and returns only what failed, small enough to pass back.
RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + ": " + (n.failureSummary || "")),
  }));
}"""
SERIOUS = ("serious", "critical")


class AxeUnavailable(Exception):
    """axe-core could not be fetched; the message says why."""


@dataclass(frozen=True)
class Axe:
    """Where axe.min.js is, or why there is none."""

    script: Path | None
    problem: str = ""


def locate() -> Axe:
    try:
        return Axe(fetch())
    except AxeUnavailable as error:
        return Axe(None, str(error))


def _version(script: Path) -> tuple[int, ...]:
    numbers = script.parent.name.removeprefix("axe-core-").split(".")
    return tuple(int(n) if n.isdigit() else -1 for n in numbers)


def cached() -> Path | None:
    """The newest axe-core 4 fetched before, if any."""
    found = sorted(CACHE.glob("axe-core-4.*/axe.min.js"), key=_version)
    return found[-1] if found else None


def fetch() -> Path:
    """The path of axe.min.js: from the cache, else `npm pack axe-core@4` into the cache."""
    script = cached()
    if script is not None:
        return script
    npm = shutil.which("npm")
    if npm is None:
        raise AxeUnavailable("npm is not installed, so axe-core cannot be fetched")
    with tempfile.TemporaryDirectory() as temp:
        result = subprocess.run(
            [npm, "pack", SPEC, "--json", "--pack-destination", temp],
            capture_output=True, text=True, timeout=180, check=False)
        if result.returncode != 0:
            raise AxeUnavailable(f"`npm pack {SPEC}` failed: {result.stderr.strip()[-500:]}")
        try:
            packed = json.loads(result.stdout)[0]
        except (ValueError, IndexError, KeyError) as error:
            raise AxeUnavailable(f"`npm pack {SPEC}` said something unexpected: {error}") from error
        target = CACHE / f"axe-core-{packed['version']}"
        with tarfile.open(Path(temp) / packed["filename"]) as archive:
            files = {name: archive.extractfile(f"package/{name}").read()
                     for name in ("LICENSE", "axe.min.js")}
    target.mkdir(parents=True, exist_ok=True)
    (target / "LICENSE").write_bytes(files["LICENSE"])
    # Written under another name and renamed, so a killed run never leaves half a script.
    (target / "axe.min.js.part").write_bytes(files["axe.min.js"])
    (target / "axe.min.js.part").replace(target / "axe.min.js")
    return target / "axe.min.js"


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in SERIOUS]


def describe(violations: list[dict]) -> str:
    """One line per violation and a few of its nodes, for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines += [f"    {node}".replace("\n", " ") for node in violation["nodes"][:5]]
    return "\n".join(lines)
