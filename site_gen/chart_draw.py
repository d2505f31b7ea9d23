"""Drawing charts with vl-convert in a worker process, while the build goes on.

SVGs and the Vega bundle are the slowest part of a cold build (~30–150 ms an SVG, ~1.1 s the
bundle) and nothing but the written site needs them: pages link to the SVG files rather
than embed them. So they are drawn by one worker process while this one renders pages, data
and the search index, and collected just before the write stage. The worker is a new
process, never a fork: a process forked after vl-convert has run hangs. This module imports
only vl-convert, so the worker starts in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import pickle
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import BinaryIO

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


JOBS: dict[str, Callable[[bytes, str | None], bytes]] = {
    "svg": draw_svg,
    "bundle": lambda _, vl_version: draw_bundle(vl_version),
}


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """The worker's loop: (number, job, payload, version) in, (number, bytes or error) out."""
    while True:
        try:
            number, job, payload, vl_version = pickle.load(requests)
        except EOFError:
            return
        try:
            reply: tuple[int, bytes | None, str] = (number, JOBS[job](payload, vl_version), "")
        except Exception as error:  # reported to the build, which stops with it
            reply = (number, None, f"{type(error).__name__}: {error}")
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


class Drawer:
    """One worker process (`python -m site_gen.chart_draw`), started on the first job and
    stopped by `close`. A plain subprocess rather than multiprocessing: it never imports
    the caller's main module, whatever script runs the build."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._jobs: queue.SimpleQueue[tuple[int, str, bytes, str | None] | None] = (
            queue.SimpleQueue())
        self._futures: dict[int, Future[bytes]] = {}
        self._threads: list[threading.Thread] = []
        self._count = 0

    def submit_svg(self, spec: bytes, vl_version: str | None) -> Future[bytes]:
        return self._submit("svg", spec, vl_version)

    def submit_bundle(self, vl_version: str | None) -> Future[bytes]:
        return self._submit("bundle", b"", vl_version)

    def _submit(self, job: str, payload: bytes, vl_version: str | None) -> Future[bytes]:
        if self._process is None:
            self._start()
        self._count += 1
        future: Future[bytes] = Future()
        self._futures[self._count] = future
        self._jobs.put((self._count, job, payload, vl_version))
        return future

    def _start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "site_gen.chart_draw"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE)
        # Separate threads feed and drain the pipes, so neither side ever waits on a full one.
        self._threads = [threading.Thread(target=self._feed, daemon=True),
                         threading.Thread(target=self._drain, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _feed(self) -> None:
        assert self._process is not None and self._process.stdin is not None
        stream = self._process.stdin
        try:
            while (job := self._jobs.get()) is not None:
                pickle.dump(job, stream, protocol=pickle.HIGHEST_PROTOCOL)
                stream.flush()
        except OSError:
            pass  # the worker is gone; _drain reports it
        finally:
            with contextlib.suppress(OSError):
                stream.close()

    def _drain(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stream = self._process.stdout
        while True:
            try:
                number, data, error = pickle.load(stream)
            except (EOFError, OSError, pickle.UnpicklingError):
                break
            future = self._futures.pop(number)
            if error:
                future.set_exception(RuntimeError(f"drawing a chart failed: {error}"))
            else:
                future.set_result(data)
        status = self._process.wait()
        for future in self._futures.values():
            if not future.done():
                future.set_exception(RuntimeError(
                    f"the chart drawing process stopped (exit status {status})"))

    def close(self) -> None:
        """Stop the worker once it has finished the jobs it was given."""
        if self._process is None:
            return
        self._jobs.put(None)
        for thread in self._threads:
            thread.join()
        self._process.wait()
        self._process = None


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
