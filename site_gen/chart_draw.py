"""Drawing charts with vl-convert in a worker process, while the build goes on.

SVGs and the Vega bundle are the slowest part of a cold build (~30–150 ms an SVG, ~1.1 s the
bundle) and nothing but the written site needs them: pages link to the SVG files rather
than embed them. So they are drawn by one worker process while this one renders pages, data
and the search index, and collected just before the write stage. The worker is spawned,
never forked: a process forked after vl-convert has run hangs. This module imports only
vl-convert, so the worker starts in a fraction of a second.
"""

from __future__ import annotations

import multiprocessing
import re
from concurrent.futures import Future, ProcessPoolExecutor

import vl_convert

CLIP_REF = re.compile(r'(id="clip|url\(#clip)(\d+)([")])')


def draw_svg(spec: bytes, vl_version: str | None) -> bytes:
    """Draw a spec with vl-convert; no URL may be fetched (all data is inline)."""
    svg = vl_convert.vegalite_to_svg(spec.decode("utf-8"), vl_version=vl_version,
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


def draw_bundle(vl_version: str | None) -> bytes:
    """vl-convert's Vega, Vega-Lite and Vega-Embed bundle, wrapped to load as a plain script:
    as module code its top-level names would clash with other classic scripts; wrapped in a
    function it leaves only window.vegaEmbed, window.vega and window.vegaLite behind."""
    code = vl_convert.javascript_bundle(vl_version=vl_version)
    return f'(function () {{\n"use strict";\n{code}\n}})();\n'.encode()


class Drawer:
    """One worker process, started on the first job and stopped by `close`."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def submit_svg(self, spec: bytes, vl_version: str | None) -> Future[bytes]:
        return self._start().submit(draw_svg, spec, vl_version)

    def submit_bundle(self, vl_version: str | None) -> Future[bytes]:
        return self._start().submit(draw_bundle, vl_version)

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
