"""Chart files: deterministic spec JSON, CSVs, SVGs cached by spec hash, and the Vega bundle.

vl-convert costs ~0.4 s to start and ~30–150 ms per SVG, and the JavaScript bundle ~1.1 s;
both are drawn by a worker process (chart_draw) and kept in the cache directory, so a
rebuild with unchanged charts never calls vl-convert.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import logging
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert

from site_gen.chart_draw import Drawer
from site_gen.chart_notice import NOTICE
from site_gen.json_text import compact

log = logging.getLogger(__name__)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SVG_TAGS = frozenset({"svg", "g", "path", "rect", "line", "text", "tspan", "clipPath", "defs",
                      "circle", "ellipse", "polygon", "polyline", "title", "desc"})
URL_REF = re.compile(r"url\(#[A-Za-z0-9_-]+\)")
BUNDLE_PATH = "assets/vega/vega-bundle.js"
NOTICE_PATH = "assets/vega/NOTICE.txt"


@functools.cache
def vegalite_version() -> str | None:
    """The Vega-Lite version Altair writes specs for, as vl-convert names it (e.g. "6.4");
    asked for each chart's cache key and drawing, so worked out once."""
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vl_convert.get_vegalite_versions() else None


def spec_bytes(spec: dict[str, Any]) -> bytes:
    """Deterministic JSON of a spec: sorted keys, no whitespace to spare, UTF-8."""
    return compact(spec, sort_keys=True) + b"\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    # A spreadsheet would run this cell as a formula; a leading quote keeps it text.
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(columns: Iterable[tuple[str, str]], rows: Iterable[dict[str, Any]]) -> bytes:
    """The plotted rows as CSV: a header of keys, one line per row, formulas neutralised."""
    keys = [key for key, _ in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key in keys])
    return buffer.getvalue().encode("utf-8")


def _store(path: Path, data: bytes) -> None:
    """Write a cache file atomically, so a killed build never leaves half an SVG behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except OSError as error:
        log.warning("chart cache not written (%s): %s", path, error)


def svg_key(spec: bytes) -> str:
    """Cache key of a spec's SVG: its bytes and the renderer that draws them."""
    tag = f"vl-convert {vl_convert.__version__} vega-lite {vegalite_version()}\n".encode()
    return hashlib.sha256(tag + spec).hexdigest()


def svg_cache_path(cache_dir: Path, spec: bytes) -> Path:
    return cache_dir / "svg" / f"{svg_key(spec)}.svg"


def plain_svg(data: bytes) -> bool:
    """True for an SVG of shapes and text only: what vl-convert draws, never script or links.

    The cache lives in the project folder, where a committed file could pose as a cached
    chart; one that could run or fetch anything is drawn again instead of published.
    """
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return False
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return False
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag.rsplit("}", 1)[-1] not in SVG_TAGS:
            return False
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or local.endswith("href") or local == "style":
                return False
            if "url(" in value and not URL_REF.fullmatch(value):
                return False
    return True


def cached_svgs(specs: dict[str, bytes], cache_dir: Path,
                checked: dict[bytes, bytes] | None = None) -> dict[str, bytes]:
    """The SVGs of the specs drawn before (found in the cache and plain), by chart id.

    `checked` holds the SVGs a long-lived build found before, by spec: those are neither
    read nor parsed again. It is left holding this call's, so it never outgrows one build."""
    found: dict[str, bytes] = {}
    kept: dict[bytes, bytes] = {}
    for chart_id, spec in specs.items():
        if checked is not None and spec in checked:
            found[chart_id] = kept[spec] = checked[spec]
            continue
        path = svg_cache_path(cache_dir, spec)
        try:
            cached = path.read_bytes()
        except OSError:
            continue
        if plain_svg(cached):
            found[chart_id] = kept[spec] = cached
        else:
            log.warning("chart cache file %s is not a plain chart SVG; drawing it again", path)
    if checked is not None:
        checked.clear()
        checked.update(kept)
    return found


def bundle_cache_path(cache_dir: Path) -> Path:
    version = vegalite_version()
    return cache_dir / "vega" / f"vega-bundle-{vl_convert.__version__}-{version}-wrapped.js"


def vega_notice() -> bytes:
    """The licence notice of the Vega bundle, naming the versions it holds."""
    notice = NOTICE.format(vlc=vl_convert.__version__, vega=vl_convert.get_vega_version(),
                           vl=vegalite_version() or "latest",
                           embed=vl_convert.get_vega_embed_version())
    return notice.encode("utf-8")


class Drawing:
    """Chart files being drawn by the worker: each is stored in the cache when it arrives.

    The Vega, Vega-Lite and Vega-Embed JavaScript are served by the site itself (no CDN);
    the bundle, like every SVG, is kept in the cache directory, so a rebuild with unchanged
    charts never calls vl-convert."""

    def __init__(self, cache_dir: Path, drawer: Drawer) -> None:
        self.cache_dir, self.drawer = cache_dir, drawer
        self.pending: dict[str, tuple[Path, Future[bytes]]] = {}
        self.ready: dict[str, bytes] = {}

    def bundle(self) -> None:
        """Start on the Vega bundle unless the cache has it (it needs no records)."""
        if BUNDLE_PATH in self.pending or BUNDLE_PATH in self.ready:
            return
        path = bundle_cache_path(self.cache_dir)
        try:
            self.ready[BUNDLE_PATH] = path.read_bytes()
        except OSError:
            self.pending[BUNDLE_PATH] = (path, self.drawer.submit_bundle(vegalite_version()))
        self.ready[NOTICE_PATH] = vega_notice()

    def svgs(self, paths: dict[str, str], specs: dict[str, bytes],
             checked: dict[bytes, bytes] | None = None) -> None:
        """Each chart's SVG (output path by chart id), from the cache or drawn anew; `checked`
        as for cached_svgs."""
        found = cached_svgs(specs, self.cache_dir, checked)
        missing = [chart_id for chart_id in specs if chart_id not in found]
        if missing:
            log.info("drawing %d of %d chart SVGs", len(missing), len(specs))
        for chart_id, svg in found.items():
            self.ready[paths[chart_id]] = svg
        for chart_id in missing:
            spec = specs[chart_id]
            future = self.drawer.submit_svg(spec, vegalite_version())
            self.pending[paths[chart_id]] = (svg_cache_path(self.cache_dir, spec), future)

    def files(self) -> dict[str, bytes]:
        """Every file drawn or found, waiting for the worker where it is still drawing."""
        for out_path, (cache_path, future) in sorted(self.pending.items()):
            self.ready[out_path] = future.result()
            _store(cache_path, self.ready[out_path])
        self.pending.clear()
        return dict(self.ready)
