"""Helpers shared by the render tests: build a project, read its output, parse its HTML."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_gen.build import build

GOLDEN = Path(__file__).parent
SITE = GOLDEN / "site"
EXPECTED = GOLDEN / "expected"
EPOCH = "1646265600"  # 2022-03-03T00:00:00Z: the build time of every test build
EPOCH_ATOM = "2022-03-03T00:00:00Z"

# Output left out of the golden tree: bundles made by other programs (Pagefind, the Vega
# JavaScript), copies of the theme's static files, binaries, and chart SVGs, whose bytes
# depend on the fonts of the machine that drew them.
UNCOMPARED_DIRS = ("assets/",)
UNCOMPARED_SUFFIXES = (".svg", ".zip", ".sqlite", ".db", ".png")
UNCOMPARED_FILES = (".site-gen",)


@contextmanager
def build_env(cache: Path) -> Iterator[None]:
    """A fixed build time and a private chart cache, for builds made outside a test function."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        patch.setenv("SITE_GEN_CACHE", str(cache))
        yield


def shared_cache(factory: pytest.TempPathFactory) -> Path:
    """One chart cache for the whole test session: the Vega bundle and SVGs are made once."""
    return factory.getbasetemp() / "site-gen-cache"


def build_site(project: Path, out: Path, cache: Path, base_url: str | None = None) -> Path:
    with build_env(cache):
        build(project, out, base_url=base_url)
    return out


def read_tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def compared(files: dict[str, bytes]) -> dict[str, bytes]:
    """The part of a build's output that the golden test compares byte for byte."""
    return {path: data for path, data in files.items()
            if not path.startswith(UNCOMPARED_DIRS) and not path.endswith(UNCOMPARED_SUFFIXES)
            and path not in UNCOMPARED_FILES}


@dataclass(frozen=True)
class StandInChart:
    """A chart as render_site sees it, for tests that must not depend on the chart stage."""

    id: str
    kind: str
    title: str
    alt: str
    figure_ids: tuple[str, ...] = ()
    group: str | None = None
    metric: str | None = None
    columns: tuple[tuple[str, str], ...] = (("label", "Label"), ("value", "Value"))
    rows: tuple[dict[str, object], ...] = ()
    note: str = ""

    @property
    def spec_path(self) -> str:
        return f"charts/{self.id}.vl.json"

    @property
    def svg_path(self) -> str:
        return f"charts/{self.id}.svg"

    @property
    def csv_path(self) -> str:
        return f"charts/{self.id}.csv"


@dataclass
class StandInCharts:
    charts: list[StandInChart] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    def for_figure(self, figure_id: str) -> list[StandInChart]:
        return [c for c in self.charts if figure_id in c.figure_ids]

    def of_kind(self, kind: str) -> list[StandInChart]:
        return [c for c in self.charts if c.kind == kind]


@dataclass
class Page:
    """What html.parser sees in a page: every start tag with its attributes, scripts' text."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    scripts: list[tuple[dict[str, str | None], str]] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._script: dict[str, str | None] | None = None
        self._script_text: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script, self._script_text = dict(attrs), []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.page.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)
        else:
            self._text.append(data)


def parse(html: bytes | str) -> Page:
    parser = _Parser()
    parser.feed(html.decode("utf-8") if isinstance(html, bytes) else html)
    parser.close()
    parser.page.text = " ".join("".join(parser._text).split())
    return parser.page


def urls(page: Page) -> list[tuple[str, str, dict[str, str | None]]]:
    """Every URL a page refers to: (tag, url, attributes) for href, src and data-vl-spec."""
    found = []
    for tag, attrs in page.tags:
        for name in ("href", "src", "data-vl-spec"):
            value = attrs.get(name)
            if value is not None:
                found.append((tag, value, attrs))
    return found
