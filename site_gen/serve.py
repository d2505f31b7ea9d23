"""The dev server: build, serve the output on loopback, rebuild on change, reload pages.

Only files under the output folder are served, with no directory listings; a foreign Host
header gets 403. A bad edit keeps the last good build online and shows the problems as an
overlay in open pages and in the terminal.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import posixpath
import queue
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

EVENTS_PATH = "/__site-gen/events"
SCRIPT_PATH = "/__site-gen/reload.js"
RELOAD_JS = b"""(function () {
  var source = new EventSource("/__site-gen/events");
  var overlay = null;
  function show(problems) {
    if (!overlay) {
      overlay = document.createElement("pre");
      overlay.id = "site-gen-problems";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:50vh;overflow:auto;" +
        "margin:0;padding:1em;background:#3b0d0c;color:#fff;font:14px/1.4 monospace;" +
        "z-index:2147483647;white-space:pre-wrap";
      document.body.appendChild(overlay);
    }
    overlay.textContent = "The last edit has problems; showing the last good build.\\n\\n" +
      problems.join("\\n");
  }
  source.addEventListener("reload", function () { location.reload(); });
  source.addEventListener("problems", function (event) { show(JSON.parse(event.data)); });
})();
"""
SNIPPET = f'<script src="{SCRIPT_PATH}"></script>'.encode()


class Broadcaster:
    """Fan-out of server-sent events to every open page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: list[queue.Queue[tuple[str, str]]] = []
        self.last_problems: list[str] = []

    def subscribe(self) -> queue.Queue[tuple[str, str]]:
        client: queue.Queue[tuple[str, str]] = queue.Queue()
        with self._lock:
            self._clients.append(client)
        if self.last_problems:
            client.put(("problems", json.dumps(self.last_problems)))
        return client

    def unsubscribe(self, client: queue.Queue[tuple[str, str]]) -> None:
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)

    def send(self, event: str, data: str) -> None:
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.put((event, data))

    def reload(self) -> None:
        self.last_problems = []
        self.send("reload", "{}")

    def problems(self, lines: list[str]) -> None:
        self.last_problems = lines
        self.send("problems", json.dumps(lines))


def resolve(root: Path, raw_path: str) -> Path | None:
    """Map a request path to a file under root, or None for anything outside or odd."""
    path = unquote(urlsplit(raw_path).path)
    if "\x00" in path or "\\" in path or not path.startswith("/"):
        return None
    parts = path.split("/")
    if any(part in ("..", ".") for part in parts):
        return None
    normal = posixpath.normpath(path)
    candidate = (root / normal.lstrip("/")).resolve()
    if not candidate.is_relative_to(root):
        return None
    if candidate.is_dir():
        if not path.endswith("/"):
            return candidate  # caller redirects to the slash form
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def make_handler(root: Path, hosts: set[str], events: Broadcaster,
                 live: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "site-gen"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s - %s", self.address_string(), format % args)

        def _host_ok(self) -> bool:
            host = (self.headers.get("Host") or "").strip().lower()
            return host in hosts

        def _send(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8",
                  extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            try:
                self._get()
            except (BrokenPipeError, ConnectionResetError):
                log.debug("client went away")

        def _get(self) -> None:
            if not self._host_ok():
                self._send(HTTPStatus.FORBIDDEN, b"Forbidden: unexpected Host header\n")
                return
            path = urlsplit(self.path).path
            if live and path == SCRIPT_PATH:
                self._send(HTTPStatus.OK, RELOAD_JS, "text/javascript; charset=utf-8")
                return
            if live and path == EVENTS_PATH:
                self._stream()
                return
            target = resolve(root, self.path)
            if target is not None and target.is_dir():
                self._send(HTTPStatus.MOVED_PERMANENTLY, b"", extra={"Location": path + "/"})
                return
            if target is None:
                missing = root / "404.html"
                body = missing.read_bytes() if missing.is_file() else b"Not found\n"
                self._send(HTTPStatus.NOT_FOUND, self._inject(body), "text/html; charset=utf-8")
                return
            body = target.read_bytes()
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype in ("application/javascript",
                                                      "application/json"):
                ctype += "; charset=utf-8"
            if target.suffix == ".html":
                body = self._inject(body)
            self._send(HTTPStatus.OK, body, ctype)

        def _inject(self, body: bytes) -> bytes:
            if not live:
                return body
            index = body.rfind(b"</body>")
            return body[:index] + SNIPPET + body[index:] if index != -1 else body + SNIPPET

        def _stream(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            client = events.subscribe()
            try:
                self.wfile.write(b": connected\n\n")
                self.wfile.flush()
                while not getattr(self.server, "stopping", False):
                    try:
                        event, data = client.get(timeout=1.0)
                    except queue.Empty:
                        self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
                        continue
                    self.wfile.write(f"event: {event}\ndata: {data}\n\n".encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass
            finally:
                events.unsubscribe(client)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # browsers open many connections at once on a reload


class DevServer:
    """A threaded HTTP server on loopback serving one output folder."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000,
                 live: bool = True) -> None:
        self.root = root.resolve()
        self.events = Broadcaster()
        names = {host, "localhost", "127.0.0.1", "[::1]"}
        self.httpd = _Server((host, port), BaseHTTPRequestHandler)
        self.port = self.httpd.server_address[1]
        hosts = {f"{name}:{self.port}" for name in names} | names
        self.httpd.RequestHandlerClass = make_handler(self.root, hosts, self.events, live)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.stopping = True  # type: ignore[attr-defined]
        self.httpd.shutdown()
        self.httpd.server_close()


WATCHED = ("content", "templates", "datasets", "site.yaml")


def watch(project: Path, on_change: Callable[[set[str]], None], stop: threading.Event) -> None:
    """Call on_change after each burst of edits to content/, templates/, datasets/, site.yaml."""
    from watchfiles import watch as watch_files

    project = project.resolve()
    roots = [project / name for name in WATCHED]

    def wanted(_change: object, path: str) -> bool:
        here = Path(path)
        return any(here == root or here.is_relative_to(root) for root in roots) and not any(
            part.startswith(".") for part in here.relative_to(project).parts)

    for changes in watch_files(project, watch_filter=wanted, stop_event=stop, debounce=150,
                               step=50, rust_timeout=500, yield_on_timeout=False):
        on_change({path for _, path in changes})
