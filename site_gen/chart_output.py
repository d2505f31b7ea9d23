"""Chart files: deterministic spec JSON, CSVs, SVGs cached by spec hash, and the Vega bundle.

vl-convert costs ~0.4 s to start and ~30 ms per SVG, and the JavaScript bundle ~1.1 s; both
are kept in the cache directory, so a rebuild with unchanged charts never calls vl-convert.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert

from site_gen.chart_notice import NOTICE

log = logging.getLogger(__name__)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CLIP_REF = re.compile(r'(id="clip|url\(#clip)(\d+)([")])')
SVG_TAGS = frozenset({"svg", "g", "path", "rect", "line", "text", "tspan", "clipPath", "defs",
                      "circle", "ellipse", "polygon", "polyline", "title", "desc"})
URL_REF = re.compile(r"url\(#[A-Za-z0-9_-]+\)")
BUNDLE_PATH = "assets/vega/vega-bundle.js"
NOTICE_PATH = "assets/vega/NOTICE.txt"


def vegalite_version() -> str | None:
    """The Vega-Lite version Altair writes specs for, as vl-convert names it (e.g. "6.4")."""
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vl_convert.get_vegalite_versions() else None


def spec_bytes(spec: dict[str, Any]) -> bytes:
    """Deterministic JSON of a spec: sorted keys, no whitespace to spare, UTF-8."""
    text = json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


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


def _cached(path: Path, make: Callable[[], bytes]) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        data = make()
        _store(path, data)
        return data


def svg_key(spec: bytes) -> str:
    """Cache key of a spec's SVG: its bytes and the renderer that draws them."""
    tag = f"vl-convert {vl_convert.__version__} vega-lite {vegalite_version()}\n".encode()
    return hashlib.sha256(tag + spec).hexdigest()


def svg_cache_path(cache_dir: Path, spec: bytes) -> Path:
    return cache_dir / "svg" / f"{svg_key(spec)}.svg"


def render_svg(spec: bytes) -> bytes:
    """Draw a spec with vl-convert; no URL may be fetched (all data is inline)."""
    svg = vl_convert.vegalite_to_svg(spec.decode("utf-8"), vl_version=vegalite_version(),
                                     allowed_base_urls=[])
    return _renumber(svg).encode("utf-8")


def _renumber(svg: str) -> str:
    """Number clip paths from 1 in each SVG: Vega counts on across a process's drawings,
    which would make an SVG depend on what was drawn before it."""
    numbers: dict[str, str] = {}

    def local(match: re.Match[str]) -> str:
        number = numbers.setdefault(match.group(2), str(len(numbers) + 1))
        return f"{match.group(1)}{number}{match.group(3)}"

    return CLIP_REF.sub(local, svg)


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


def svgs(specs: dict[str, bytes], cache_dir: Path) -> dict[str, bytes]:
    """The SVG of every spec, from the cache when the same spec was drawn before."""
    paths = {chart_id: svg_cache_path(cache_dir, spec) for chart_id, spec in specs.items()}
    found: dict[str, bytes] = {}
    missing = []
    for chart_id, path in paths.items():
        try:
            cached = path.read_bytes()
        except OSError:
            missing.append(chart_id)
            continue
        if plain_svg(cached):
            found[chart_id] = cached
        else:
            log.warning("chart cache file %s is not a plain chart SVG; drawing it again", path)
            missing.append(chart_id)
    if missing:
        log.info("drawing %d of %d chart SVGs", len(missing), len(specs))
    for chart_id in missing:  # one process: threads and worker processes measured no faster
        found[chart_id] = render_svg(specs[chart_id])
        _store(paths[chart_id], found[chart_id])
    return {chart_id: found[chart_id] for chart_id in specs}


def vega_assets(cache_dir: Path) -> dict[str, bytes]:
    """The Vega, Vega-Lite and Vega-Embed JavaScript, served by the site itself (no CDN).

    vl-convert writes the bundle as module code whose top-level names would clash with other
    classic scripts; wrapped in a function it loads as a plain script (also from file://)
    and leaves only window.vegaEmbed, window.vega and window.vegaLite behind.
    """
    version = vegalite_version()
    path = cache_dir / "vega" / f"vega-bundle-{vl_convert.__version__}-{version}-wrapped.js"

    def bundle() -> bytes:
        code = vl_convert.javascript_bundle(vl_version=version)
        return f'(function () {{\n"use strict";\n{code}\n}})();\n'.encode()

    notice = NOTICE.format(vlc=vl_convert.__version__, vega=vl_convert.get_vega_version(),
                           vl=version or "latest", embed=vl_convert.get_vega_embed_version())
    return {BUNDLE_PATH: _cached(path, bundle), NOTICE_PATH: notice.encode("utf-8")}

