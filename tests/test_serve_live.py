"""`site-gen serve` as an editor uses it: a real process, real edits, real HTTP and SSE."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from conftest import largest_file, make_project

START_TIMEOUT = 60.0  # the first build starts vl-convert and renders every chart
EVENT_TIMEOUT = 20.0  # one rebuild of the tiny project after an edit
EVENT_FILE = "content/events/kyiv-strike.yaml"
EVENT_PAGE = "/events/kyiv-strike/"
DEPENDENTS = ("/", "/events/", "/timeline/", "/figures/kyiv-killed/", "/places/kyiv/",
              "/sources/wire-report/", "/data/events.csv", "/feed.xml")
SERVING = re.compile(r"^Serving .+ at http://(?P<host>[^:/]+):(?P<port>\d+)/")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and paths")


@dataclass
class Served:
    """A running `site-gen serve` process and everything it has said so far."""

    process: subprocess.Popen[str]
    project: Path
    host: str = ""
    port: int = 0
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)

    def said(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)


def _collect(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def start(project: Path, *args: str, file_limit: int | None = None) -> Served:
    """Start the server on a free port and wait until it prints where it listens; with
    `file_limit`, no file it writes may grow past that many bytes (as a full disk stops a
    write)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "site_gen", "serve", str(project), "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        cwd=project, preexec_fn=None if file_limit is None else largest_file(file_limit),
    )
    served = Served(process, project)
    for stream, lines in ((process.stdout, served.stdout), (process.stderr, served.stderr)):
        reader = threading.Thread(target=_collect, args=(stream, lines), daemon=True)
        reader.start()
        served.readers.append(reader)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for line in list(served.stdout):
            if match := SERVING.match(line):
                served.host, served.port = match["host"], int(match["port"])
                return served
        if process.poll() is not None:
            break
        time.sleep(0.05)
    stop(served)
    pytest.fail(f"serve did not report its address; it said:\n{served.said()}")


def stop(served: Served) -> None:
    """Kill the process if it still runs and take the rest of what it said."""
    if served.process.poll() is None:
        served.process.kill()
    served.process.wait(timeout=10)
    for reader in served.readers:
        reader.join(timeout=5)


def get(served: Served, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


class EventStream:
    """A reader of /__site-gen/events on its own thread; events land in a queue."""

    def __init__(self, served: Served) -> None:
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.connected = threading.Event()
        self.conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        self.conn.request("GET", "/__site-gen/events")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()
        assert self.connected.wait(10), "the event stream sent nothing"

    def _read(self) -> None:
        name, data = "message", []
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith(":"):
                    self.connected.set()
                elif line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    data.append(line.split(":", 1)[1].strip())
                elif not line and data:
                    self.events.put((name, "\n".join(data)))
                    name, data = "message", []
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def drain(self) -> None:
        while not self.events.empty():
            self.events.get_nowait()

    def wait_for(self, name: str, timeout: float = EVENT_TIMEOUT) -> str:
        """The data of the next event, which must be `name`."""
        try:
            got, data = self.events.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no '{name}' event within {timeout}s")
        assert got == name, f"expected '{name}', got '{got}': {data}"
        return data

    def close(self) -> None:
        self.conn.close()


def edit(project: Path, rel: str, **changes: str) -> None:
    """Set top-level keys of a record file, replacing it the way editors save (rename)."""
    path = project / rel
    text = path.read_text(encoding="utf-8")
    for key, value in changes.items():
        text, count = re.subn(rf"(?m)^{key}:.*$", f"{key}: {value}", text)
        assert count == 1, f"{key} not in {rel}"
    hidden = path.with_name(f".{path.name}.tmp")
    hidden.write_text(text, encoding="utf-8")
    os.replace(hidden, path)


def wait_until(condition: Callable[[], bool], timeout: float = EVENT_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    project = make_project(tmp_path_factory.mktemp("serve-live"))
    running = start(project)
    try:
        yield running
    finally:
        stop(running)


def test_prints_the_loopback_address_it_listens_on(served: Served) -> None:
    assert served.host == "127.0.0.1"
    assert served.port > 0


def test_home_page_carries_the_live_reload_script(served: Served) -> None:
    status, body = get(served, "/")
    assert status == 200
    assert "Base fact base" in body
    assert '<script src="/__site-gen/reload.js"></script>' in body
    status, script = get(served, "/__site-gen/reload.js")
    assert status == 200 and "/__site-gen/events" in script


def test_does_not_listen_beyond_loopback(served: Served) -> None:
    """A wildcard bind would also answer on 127.0.0.2 and on the machine's own address."""
    others = {"127.0.0.2"}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing address
            others.add(probe.getsockname()[0])
        except OSError:
            pass
    others.discard("127.0.0.1")
    for address in sorted(others):
        with pytest.raises(OSError), socket.create_connection((address, served.port), 2):
            pass
    assert get(served, "/")[0] == 200


def test_edits_reload_and_bad_edits_keep_the_last_good_build(served: Served) -> None:
    stream = EventStream(served)
    try:
        assert "Missile hits Kyiv TV tower" in get(served, EVENT_PAGE)[1]

        edit(served.project, EVENT_FILE, title="Tower struck again at dusk")
        stream.wait_for("reload")
        status, page = get(served, EVENT_PAGE)
        assert status == 200 and "Tower struck again at dusk" in page
        for path in DEPENDENTS:  # pages of other records that show the event's title
            status, page = get(served, path)
            assert status == 200 and "Tower struck again at dusk" in page, path
            assert "Missile hits Kyiv TV tower" not in page, path

        edit(served.project, EVENT_FILE, title="Half-finished edit", date="2022-02-30")
        lines = json.loads(stream.wait_for("problems"))
        located = [line for line in lines if line.startswith(f"{EVENT_FILE}:2:7: error[")]
        assert located, lines
        status, page = get(served, EVENT_PAGE)
        assert status == 200
        assert "Tower struck again at dusk" in page and "Half-finished edit" not in page
        assert wait_until(lambda: located[0] in "".join(served.stderr)), served.said()
        late = EventStream(served)  # a page opened now shows the problems at once
        try:
            assert json.loads(late.wait_for("problems", timeout=5)) == lines
        finally:
            late.close()

        stream.drain()
        edit(served.project, EVENT_FILE, title="Tower struck twice", date="2022-03-01")
        stream.wait_for("reload")
        status, page = get(served, EVENT_PAGE)
        assert status == 200 and "Tower struck twice" in page
    finally:
        stream.close()
    assert served.process.poll() is None, served.said()
    assert "Traceback" not in served.said()


def test_broken_yaml_is_reported_with_its_position(served: Served) -> None:
    stream = EventStream(served)
    path = served.project / EVENT_FILE
    good = path.read_text(encoding="utf-8")
    try:
        edit(served.project, EVENT_FILE, places="[kyiv")
        lines = json.loads(stream.wait_for("problems"))
        assert any(re.match(rf"{re.escape(EVENT_FILE)}:\d+:\d+: error\[", line)
                   for line in lines), lines
        assert get(served, "/")[0] == 200
        path.with_name(".restore.tmp").write_text(good, encoding="utf-8")
        os.replace(path.with_name(".restore.tmp"), path)
        stream.wait_for("reload")
    finally:
        stream.close()


def test_added_and_removed_records_appear_and_go(served: Served) -> None:
    stream = EventStream(served)
    path = served.project / "content/events/talks-open.yaml"
    hidden = path.with_name(".talks-open.yaml.tmp")
    try:
        hidden.write_text("id: talks-open\ndate: 2022-03-02\ntitle: Talks open at the border\n"
                          "type: diplomacy\nstatus: claimed\nsources: [wire-report]\n",
                          encoding="utf-8")
        os.replace(hidden, path)
        stream.wait_for("reload")
        status, page = get(served, "/events/talks-open/")
        assert status == 200 and "Talks open at the border" in page
        assert "Talks open at the border" in get(served, "/events/")[1]

        path.unlink()
        stream.wait_for("reload")
        assert get(served, "/events/talks-open/")[0] == 404
        assert "Talks open at the border" not in get(served, "/events/")[1]
    finally:
        stream.close()


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    running = start(make_project(tmp_path))
    try:
        assert get(running, "/")[0] == 200
        running.process.send_signal(signal.SIGINT)
        assert running.process.wait(timeout=10) == 0
        stop(running)
        assert "Traceback" not in running.said()
        assert "KeyboardInterrupt" not in running.said()
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", running.port), 2):
            pass
    finally:
        stop(running)


def test_a_rebuild_that_cannot_write_keeps_serving_the_last_site(tmp_path: Path) -> None:
    """An edit whose pages outgrow what the process may write (the largest file of the
    first build is the 0.9 MB Vega bundle): an error line, no traceback, the last site."""
    project = make_project(tmp_path)
    running = start(project, file_limit=1 << 20)
    try:
        status, before = get(running, EVENT_PAGE)
        assert status == 200
        edit(project, EVENT_FILE, title="Missile hits Kyiv TV tower " + "and more " * 150_000)
        assert wait_until(lambda: "still serving the last good build" in running.said()), \
            running.said()
        said = running.said()
        assert "Traceback" not in said
        assert re.search(r"(?m)^error: .*(File too large|SQLite)", said), said
        assert running.process.poll() is None
        assert get(running, EVENT_PAGE) == (200, before)
    finally:
        stop(running)
