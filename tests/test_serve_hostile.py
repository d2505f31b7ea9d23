"""The dev server against request tricks that test_serve_http.py does not send.

Overlong UTF-8, backslashes in many spellings, `;` parameters, odd dot segments, raw control
bytes and protocol-relative paths; links inside the output that point outside it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from site_gen.serve import DevServer

SECRET = b"SECRET-OUTSIDE-THE-BUILD"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    base = tmp_path_factory.mktemp("hostile-serve")
    root = base / "build"
    (root / "events" / "x").mkdir(parents=True)
    (root / "index.html").write_bytes(b"<html><body>home</body></html>")
    (root / "events" / "x" / "index.html").write_bytes(b"<html><body>event</body></html>")
    (base / "secret.txt").write_bytes(SECRET)
    (base / "private").mkdir()
    (base / "private" / "index.html").write_bytes(SECRET)
    (root / "secret-link.txt").symlink_to(base / "secret.txt")
    (root / "private-link").symlink_to(base / "private")
    (root / "inner-link.html").symlink_to(root / "index.html")
    dev = DevServer(root, port=0)
    dev.start()
    yield dev
    dev.stop()


def raw(dev: DevServer, target: bytes, host: bytes | None = None) -> tuple[int, bytes, bytes]:
    """Send one request line byte for byte (no client-side quoting); status, headers, body."""
    with socket.create_connection(("127.0.0.1", dev.port), timeout=5) as sock:
        host = host if host is not None else f"127.0.0.1:{dev.port}".encode()
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + host
                     + b"\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


@pytest.mark.parametrize("target", [
    b"/%c0%ae%c0%ae/secret.txt", b"/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afsecret.txt",
    b"/%e0%80%ae%e0%80%ae/secret.txt", b"/%c0%2e%c0%2e/secret.txt", b"/..%c0%afsecret.txt",
    b"/..%c1%9csecret.txt", b"/%u002e%u002e/secret.txt", b"/%252e%252e%252fsecret.txt",
    b"/..%5csecret.txt", b"/%5c..%5csecret.txt", b"/..\\secret.txt", b"/events\\..\\..\\secret.txt",
    b"/..%255csecret.txt", b"/..;/secret.txt", b"/events/x;/../../../secret.txt",
    b"/.%2e/secret.txt", b"/%2e./secret.txt", b"/events/%2e%2e/%2e%2e/secret.txt",
    b"/events/x/..%2F..%2F..%2Fsecret.txt", b"/....//secret.txt", b"/.../secret.txt",
    b"/%2e%2e%00/secret.txt", b"/index.html%00.txt", b"/\x00", b"/%0d%0a/../secret.txt",
    b"/./../secret.txt", b"//../secret.txt", b"///..//..//secret.txt",
    b"http://127.0.0.1/../secret.txt", b"/?x=/../secret.txt#/../",
])
def test_encoded_traversal_never_reaches_outside(server: DevServer, target: bytes) -> None:
    status, _, body = raw(server, target)
    assert SECRET not in body
    assert status in (200, 400, 404), status
    if status == 200:
        assert body.startswith(b"<html><body>home"), "only the home page may answer this"


@pytest.mark.parametrize("target", [b"/secret-link.txt", b"/private-link/",
                                    b"/private-link/index.html", b"/private-link"])
def test_a_link_inside_the_output_that_points_outside_is_not_served(server: DevServer,
                                                                     target: bytes) -> None:
    status, _, body = raw(server, target)
    assert status == 404 and SECRET not in body


def test_a_link_that_stays_inside_the_output_is_served(server: DevServer) -> None:
    status, _, body = raw(server, b"/inner-link.html")
    assert status == 200 and body.startswith(b"<html><body>home")


@pytest.mark.parametrize("target", [b"//events", b"///events", b"//events/x", b"/%2fevents",
                                    b"/\\events", b"/%5cevents/x"])
def test_redirects_stay_on_the_site(server: DevServer, target: bytes) -> None:
    status, head, _ = raw(server, target)
    assert status in (301, 404)
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"location:"):
            location = line.split(b":", 1)[1].strip()
            assert location.startswith(b"/") and not location.startswith((b"//", b"/\\"))


@pytest.mark.parametrize("host", [b"evil.example", b"127.0.0.1.nip.io", b"localhost.evil",
                                  b"evil@127.0.0.1", b"127.0.0.1:1", b"0.0.0.0",
                                  b"[::ffff:7f00:1]"])
def test_lookalike_host_headers_get_403(server: DevServer, host: bytes) -> None:
    status, _, body = raw(server, b"/", host=host)
    assert status == 403 and b"home" not in body


def test_a_request_header_cannot_be_split_into_the_response(server: DevServer) -> None:
    status, head, _ = raw(server, b"/events/x%0d%0aSet-Cookie:%20a=b")
    assert b"Set-Cookie" not in head and status in (301, 404)
