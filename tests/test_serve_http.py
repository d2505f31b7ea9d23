"""The dev server, spoken to over real HTTP on loopback."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_gen.serve import DevServer

SECRET = b"not for the web"


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve")


@pytest.fixture(scope="module")
def server(site_root: Path) -> Iterator[DevServer]:
    tmp_path = site_root
    root = tmp_path / "build"
    (root / "events" / "x").mkdir(parents=True)
    (root / "index.html").write_bytes(b"<html><body>home</body></html>")
    (root / "events" / "x" / "index.html").write_bytes(b"<html><body>event</body></html>")
    (root / "404.html").write_bytes(b"<html><body>missing</body></html>")
    (root / "data.csv").write_bytes(b"id\na\n")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    dev = DevServer(root, port=0)
    dev.start()
    yield dev
    dev.stop()


def request(dev: DevServer, path: str, host: str | None = None) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=5)
    conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", f"127.0.0.1:{dev.port}" if host is None else host)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    headers = dict(response.getheaders())
    conn.close()
    return response.status, body, headers


def test_binds_loopback_only(server: DevServer) -> None:
    assert server.httpd.server_address[0] == "127.0.0.1"


def test_serves_pages_with_live_reload_script(server: DevServer) -> None:
    status, body, headers = request(server, "/events/x/")
    assert status == 200
    assert b"event" in body and b"/__site-gen/reload.js" in body
    assert headers["Content-Type"].startswith("text/html")
    status, body, _ = request(server, "/data.csv")
    assert status == 200 and body == b"id\na\n"


def test_directory_without_slash_redirects(server: DevServer) -> None:
    status, _, headers = request(server, "/events/x")
    assert status == 301 and headers["Location"] == "/events/x/"


def test_no_directory_listing(server: DevServer) -> None:
    status, body, _ = request(server, "/events/")
    assert status == 404 and b"x/" not in body


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/events/../../secret.txt",
    "/..%2fsecret.txt", "/%252e%252e/secret.txt", "//etc/passwd", "/..\\secret.txt",
    "/%00index.html", "http://127.0.0.1/../secret.txt",
])
def test_traversal_is_refused(server: DevServer, path: str) -> None:
    status, body, _ = request(server, path)
    assert status in (400, 404)
    assert SECRET not in body


def test_absolute_path_request_is_refused(server: DevServer, site_root: Path) -> None:
    status, body, _ = request(server, str(site_root / "secret.txt"))
    assert status == 404 and SECRET not in body


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example:80", ""])
def test_foreign_host_header_gets_403(server: DevServer, host: str) -> None:
    status, _, _ = request(server, "/", host=host)
    assert status == 403


def test_survives_client_that_disconnects_mid_response(server: DevServer) -> None:
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(f"GET /data.csv HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n"
                         .encode())
            sock.shutdown(socket.SHUT_RDWR)
    assert request(server, "/")[0] == 200


def test_many_concurrent_requests(server: DevServer) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def fetch() -> None:
        status = request(server, "/index.html")[0]
        with lock:
            results.append(status)

    threads = [threading.Thread(target=fetch) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results.count(200) == 200
