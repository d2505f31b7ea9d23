"""Search stage: a static Pagefind index of the record pages, built in memory.

Pages are sent to Pagefind's indexing service (the `pagefind` Python package's binary) over
its stdin/stdout protocol, and the bundle comes back as files for `pagefind/`. The package's
own asyncio client waits a tenth of a second per reply, which would make a 10,000-page site
take minutes; this client streams every page and reads the replies as they arrive.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import subprocess
import threading
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import IO, Any

log = logging.getLogger(__name__)

BUNDLE = "pagefind/"
MARKER = b"data-pagefind-body"
TIMEOUT = 600.0  # seconds for the whole index; only a hung binary gets near it


class SearchIndexError(RuntimeError):
    """The search index could not be built (binary missing, or Pagefind reported an error)."""


def _executable() -> str:
    try:
        from pagefind.service import get_executable
    except ImportError as error:
        raise SearchIndexError("the search index needs Pagefind: "
                               "pip install 'pagefind[extended]'") from error
    binary = get_executable()
    if binary is None:
        raise SearchIndexError("no Pagefind binary found: pip install 'pagefind[extended]' "
                               "or set PAGEFIND_BINARY_PATH")
    return str(binary)


def _encode(message_id: int, payload: dict[str, Any]) -> bytes:
    data = json.dumps({"message_id": message_id, "payload": payload}).encode("utf-8")
    return base64.b64encode(data) + b","


def _replies(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Decode the service's comma-separated base64 JSON replies as they arrive."""
    pending = b""
    while True:
        chunk = stream.read1(1 << 20) if hasattr(stream, "read1") else stream.read(1 << 20)
        if not chunk:
            return
        pending += chunk
        *complete, pending = pending.split(b",")
        for part in complete:
            if part.strip():
                yield json.loads(base64.b64decode(part))


class _Service:
    """One Pagefind service process, spoken to in order: one request, one reply each."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [_executable(), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.errors: list[bytes] = []
        self._stderr = threading.Thread(target=self._drain, daemon=True)
        self._stderr.start()
        self._timer = threading.Timer(TIMEOUT, self.process.kill)
        self._timer.start()
        assert self.process.stdout is not None
        self.replies = _replies(self.process.stdout)

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.errors.append(line)

    def send(self, messages: Iterable[bytes]) -> None:
        """Write requests from a thread, so that replies are read while pages are sent."""
        def write() -> None:
            assert self.process.stdin is not None
            try:
                for message in messages:
                    self.process.stdin.write(message)
                self.process.stdin.flush()
            except (BrokenPipeError, OSError):
                pass

        threading.Thread(target=write, daemon=True).start()

    def receive(self, count: int) -> list[dict[str, Any]]:
        payloads = []
        for _ in range(count):
            reply = next(self.replies, None)
            if reply is None:
                detail = b"".join(self.errors).decode("utf-8", "replace").strip()
                raise SearchIndexError(f"Pagefind stopped before it finished: {detail}")
            payload = reply.get("payload", {})
            if payload.get("type") == "Error":
                raise SearchIndexError(f"Pagefind: {payload.get('message')}")
            payloads.append(payload)
        return payloads

    def close(self) -> None:
        self._timer.cancel()
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def build_bundle(pages: dict[str, str]) -> dict[str, bytes]:
    """Index HTML pages (path -> text) and return Pagefind's bundle (path -> bytes)."""
    service = _Service()
    try:
        service.send([_encode(1, {"type": "NewIndex", "config": None})])
        (created,) = service.receive(1)
        index_id = created["index_id"]
        ordered = sorted(pages.items())
        last = len(ordered) + 2
        adds = (_encode(number, {"type": "AddFile", "index_id": index_id, "file_path": path,
                                 "url": None, "file_contents": text})
                for number, (path, text) in enumerate(ordered, start=2))
        service.send(chain(adds, [_encode(last, {"type": "GetFiles", "index_id": index_id})]))
        *_, bundle = service.receive(len(ordered) + 1)
    finally:
        service.close()
    return {file["path"]: base64.b64decode(file["content"]) for file in bundle["files"]}


def searchable(html: str) -> str:
    """The part of a page Pagefind reads: the <html> tag, the <title> and the <main> element.

    Only the marked body is indexed, so the header, navigation and footer are left out
    before the page is sent: that nearly halves the indexing time of a large site. A page
    whose marked body is outside <main> is sent whole.
    """
    opening = html.find("<html")
    head_end = html.find(">", opening)
    start, end = html.find("<main"), html.rfind("</main>")
    if opening < 0 or start < 0 or end < start or MARKER.decode() not in html[start:end]:
        return html
    title_start, title_end = html.find("<title>"), html.find("</title>")
    title = html[title_start:title_end + len("</title>")] if 0 <= title_start < title_end else ""
    return (f"<!doctype html>{html[opening:head_end + 1]}<head><meta charset=\"utf-8\">{title}"
            f"</head><body>{html[start:end + len('</main>')]}</body></html>")


def index_pages(files: dict[str, bytes]) -> dict[str, bytes]:
    """The search bundle for every HTML page that marks its content for search."""
    pages = {path: searchable(content.decode("utf-8")) for path, content in files.items()
             if path.endswith(".html") and MARKER in content}
    if not pages:
        log.info("no page marked with %s: no search index", MARKER.decode())
        return {}
    bundle = build_bundle(pages)
    log.info("search index: %d pages, %d files", len(pages), len(bundle))
    return {BUNDLE + path: content for path, content in sorted(bundle.items())}
