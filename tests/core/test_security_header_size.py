"""A request head over the cap is refused 431 by a real `liangnuo serve`, as it streams in: the
server never reads a 64 MB header (it used to, for seconds, and then answered 200)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from app.core.server import MAX_HEAD_BYTES
from tests.live import LiveServer, live_server


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server(seed=False) as s:
        yield s


def _connect(server: LiveServer) -> socket.socket:
    url = urlsplit(server.base_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    return sock


def _status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def _request(extra: bytes = b"", body: bytes = b"", method: bytes = b"GET", path: bytes = b"/healthz") -> bytes:
    length = b"content-length: %d\r\n" % len(body) if body else b""
    return method + b" " + path + b" HTTP/1.1\r\nhost: 127.0.0.1\r\n" + length + extra + b"\r\n" + body


def test_an_ordinary_request_passes(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_request(b"x-pad: " + b"a" * 8000 + b"\r\n"))
        assert _status(sock) == 200


def test_a_head_over_the_cap_is_431(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_request(b"x-pad: " + b"a" * (MAX_HEAD_BYTES + 1000) + b"\r\n"))
        assert _status(sock) == 431


def test_many_headers_over_the_cap_are_431(server: LiveServer) -> None:
    headers = b"".join(b"x-h%d: %s\r\n" % (i, b"b" * 100) for i in range(MAX_HEAD_BYTES // 100 + 10))
    with _connect(server) as sock:
        sock.sendall(_request(headers))
        assert _status(sock) == 431


def test_a_streamed_64_mb_header_is_refused_early(server: LiveServer) -> None:
    started = time.monotonic()
    sent = 0
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ")
        chunk = b"a" * 65536
        try:
            while sent < 64 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server closed the connection: what we want
        status = _status(sock)
    assert status == 431
    assert sent < 8 * 1024 * 1024, sent  # refused long before the end
    assert time.monotonic() - started < 5


def test_a_large_body_is_not_a_large_head(server: LiveServer) -> None:
    body = b'{"username": "' + b"1" * 200_000 + b'"}'
    with _connect(server) as sock:
        sock.sendall(_request(b"content-type: application/json\r\n", body, b"POST", b"/api/v1/auth/token"))
        assert _status(sock) not in (431, 500)


def test_keep_alive_requests_each_get_their_own_cap(server: LiveServer) -> None:
    with _connect(server) as sock:
        for _ in range(5):
            sock.sendall(_request(b"x-pad: " + b"a" * (MAX_HEAD_BYTES // 2) + b"\r\n"))
            assert _status(sock) == 200
            # drain the rest of the small response
            sock.settimeout(0.5)
            try:
                while sock.recv(65536):
                    pass
            except TimeoutError:
                pass
            sock.settimeout(10)
