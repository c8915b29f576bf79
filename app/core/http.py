"""Delivery: every text response compressed on one path — brotli where the client accepts it, else
gzip — by one pure-ASGI middleware, and the choice of encoding shared with what is compressed ahead
of time (the boards' cached pages, the PWA's files pre-compressed at build time).

- `negotiate(accept_encoding)` is the one choice of encoding (br before gzip; `q=0` refuses).
- `compress(body, encoding)` makes the stored form of a body that is sent many times (cached
  pages: the strongest settings, paid once per version).
- `GzipSplice(prefix, suffix)` is a page with one hole filled per request (a form token):
  compressed once around the hole, and filled in microseconds (`fill(middle)`) — no compression
  per request.
- `CompressionMiddleware` compresses what the app answered when it is text (HTML, JSON, JS, CSS,
  SVG, XML, plain text) of at least MINIMUM_SIZE bytes and not already encoded: an answer that
  carries a Content-Encoding (a cached board page, a pre-compressed file) passes through as its
  stored bytes, so nothing is compressed twice or per request when it need not be. Never for HEAD,
  204/206/304, `Cache-Control: no-transform`, images, fonts, PDFs or archives. Every answer whose
  encoding depended on the request's Accept-Encoding says `Vary: Accept-Encoding`.

ETags are left as the app set them: they name a version of a resource (the PWA's If-Match compares
them strongly), and `Vary` keeps caches from mixing the encodings.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache
from typing import Any

import brotli
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 1024
"""Bytes below which a body goes as it is (the headers alone are ~500 bytes; gzip's own ~20)."""

GZIP_LEVEL = 6
BROTLI_QUALITY = 5
"""Per-request settings: fast (a 40 KB page in well under a millisecond) and still ~4:1 on HTML."""

STORED_GZIP_LEVEL = 9
STORED_BROTLI_QUALITY = 11
"""For bodies compressed once and sent many times (cached pages)."""

THREAD_SIZE = 512 * 1024
"""A body at least this large is compressed in a worker thread, not on the event loop."""

ENCODINGS = ("br", "gzip")
FILE_SUFFIX = {"br": ".br", "gzip": ".gz"}

_TEXT_TYPES = (
    b"text/",
    b"application/json",
    b"application/problem+json",
    b"application/javascript",
    b"application/manifest+json",
    b"application/xml",
    b"image/svg+xml",
)


@lru_cache(maxsize=256)
def negotiate(accept_encoding: str, offered: tuple[str, ...] = ENCODINGS) -> str | None:
    """The encoding to answer in, of those `offered` ("br", "gzip"; in order of preference) or None
    (identity), by the client's Accept-Encoding.

    Cached: browsers send the same few header values over and over."""
    if not accept_encoding:
        return None
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        weights[name.strip()] = q
    star = weights.get("*")
    best: tuple[float, str] | None = None
    for encoding in offered:
        given = weights.get(encoding, weights.get("x-gzip") if encoding == "gzip" else None)
        weight = given if given is not None else (star or 0.0)
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, encoding)
    return best[1] if best else None


def accepted(scope: Scope, offered: tuple[str, ...] = ENCODINGS) -> str | None:
    """`negotiate()` for a request's scope."""
    for key, value in scope["headers"]:
        if key == b"accept-encoding":
            return negotiate(value.decode("latin-1"), offered)
    return None


def compress(body: bytes, encoding: str, *, stored: bool = True) -> bytes:
    """The body in `encoding` ("br" or "gzip"); `stored` for a form kept and sent many times."""
    if encoding == "br":
        quality = STORED_BROTLI_QUALITY if stored else BROTLI_QUALITY
        return bytes(brotli.compress(body, mode=brotli.MODE_TEXT, quality=quality))
    level = STORED_GZIP_LEVEL if stored else GZIP_LEVEL
    gz = zlib.compressobj(level, zlib.DEFLATED, 31)  # a gzip member with mtime 0: the same bytes every time
    return gz.compress(body) + gz.flush()


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, mtime 0, best compression


class GzipSplice:
    """gzip bytes of `prefix + middle + suffix` for any `middle` (under 64 KB), made without
    compressing anything per request.

    A gzip member is one deflate stream, and a deflate stream is a run of blocks: the prefix is
    compressed and flushed to a byte boundary (Z_SYNC_FLUSH: no block marked last), the middle goes
    in as a stored block (3 header bits, padding, its length and the length's complement, the bytes
    as they are), and the suffix is compressed on its own by a fresh compressor whose last block
    ends the stream. Only the trailer's CRC-32 (over the whole text) and length are made per
    request: a few microseconds for a page, against ~0.3 ms to compress it."""

    def __init__(self, prefix: bytes, suffix: bytes) -> None:
        head = zlib.compressobj(STORED_GZIP_LEVEL, zlib.DEFLATED, -15)
        self._head = _GZIP_HEADER + head.compress(prefix) + head.flush(zlib.Z_SYNC_FLUSH)
        tail = zlib.compressobj(STORED_GZIP_LEVEL, zlib.DEFLATED, -15)
        self._tail = tail.compress(suffix) + tail.flush()
        self._crc = zlib.crc32(prefix)
        self._suffix = suffix
        self._size = len(prefix) + len(suffix)

    def fill(self, middle: bytes) -> bytes:
        n = len(middle)
        if n > 0xFFFF:
            raise ValueError("a spliced part is at most 65,535 bytes (one stored block)")
        crc = zlib.crc32(self._suffix, zlib.crc32(middle, self._crc))
        stored = b"\x00" + struct.pack("<HH", n, n ^ 0xFFFF) + middle  # BFINAL 0, BTYPE 00, aligned
        trailer = struct.pack("<II", crc, (self._size + n) & 0xFFFFFFFF)
        return b"".join((self._head, stored, self._tail, trailer))


def is_text(content_type: bytes) -> bool:
    kind = content_type.split(b";", 1)[0].strip().lower()
    return kind.startswith(_TEXT_TYPES) or kind.endswith((b"+json", b"+xml"))


def add_vary(headers: list[tuple[bytes, bytes]]) -> None:
    """Add Accept-Encoding to the Vary header (once; never beside `*`)."""
    for i, (key, value) in enumerate(headers):
        if key.lower() == b"vary":
            if value.strip() == b"*" or b"accept-encoding" in value.lower():
                return
            headers[i] = (key, value + b", Accept-Encoding")
            return
    headers.append((b"vary", b"Accept-Encoding"))


class _Stream:
    """An incremental compressor for a body sent in several messages."""

    def __init__(self, encoding: str) -> None:
        self._br = brotli.Compressor(mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY) if encoding == "br" else None
        self._gz = None if self._br else zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)

    def chunk(self, data: bytes) -> bytes:
        if self._br is not None:
            return bytes(self._br.process(data)) if data else b""
        assert self._gz is not None
        return self._gz.compress(data) + self._gz.flush(zlib.Z_SYNC_FLUSH)  # each chunk readable at once

    def finish(self) -> bytes:
        if self._br is not None:
            return bytes(self._br.finish())
        assert self._gz is not None
        return self._gz.flush()


class CompressionMiddleware:
    """gzip or brotli for text answers (see the module's docstring). Pure ASGI: an answer it leaves
    alone costs one look at its headers."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_SIZE) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        encoding = accepted(scope)
        minimum = self.minimum_size
        start: Message | None = None  # held until the first body message says how big the body is
        passing = False
        stream: _Stream | None = None

        async def send_compressed(message: Message) -> None:
            nonlocal start, passing, stream
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                if not _may_compress(message, minimum):
                    passing = True
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body: bytes = message.get("body", b"")
            more: bool = message.get("more_body", False)
            if stream is not None:  # a streamed body, already started compressed
                data = stream.chunk(body)
                if not more:
                    data += stream.finish()
                if data or not more:
                    await send({"type": "http.response.body", "body": data, "more_body": more})
                return
            headers: list[tuple[bytes, bytes]] = list(start.get("headers", []))
            if not more and len(body) < minimum:
                passing = True
                await send(start)
                await send(message)
                return
            add_vary(headers)
            if encoding is None:
                passing = True
                await send({**start, "headers": headers})
                await send(message)
                return
            if not more:
                packed = await _compress_now(body, encoding)
                if len(packed) >= len(body):
                    passing = True
                    await send({**start, "headers": headers})
                    await send(message)
                    return
                headers = _encoded(headers, encoding, len(packed))
                passing = True
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": packed, "more_body": False})
                return
            stream = _Stream(encoding)
            await send({**start, "headers": _encoded(headers, encoding, None)})
            await send({"type": "http.response.body", "body": stream.chunk(body), "more_body": True})

        await self.app(scope, receive, send_compressed)


def _may_compress(start: Message, minimum: int) -> bool:
    status: int = start["status"]
    if status < 200 or status in (204, 206, 304):
        return False
    content_type = b""
    for key, value in start.get("headers", []):
        key = key.lower()
        if key == b"content-type":
            content_type = value
        elif key in (b"content-encoding", b"content-range"):
            return False
        elif key == b"content-length":
            try:
                if int(value) < minimum:
                    return False
            except ValueError:
                return False
        elif key == b"cache-control" and b"no-transform" in value.lower():
            return False
    return bool(content_type) and is_text(content_type)


def _encoded(headers: list[tuple[bytes, bytes]], encoding: str, length: int | None) -> list[tuple[bytes, bytes]]:
    out = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    out.append((b"content-encoding", encoding.encode()))
    if length is not None:
        out.append((b"content-length", str(length).encode()))
    return out


async def _compress_now(body: bytes, encoding: str) -> bytes:
    if len(body) >= THREAD_SIZE:
        return await to_thread.run_sync(lambda: compress(body, encoding, stored=False))
    return compress(body, encoding, stored=False)


__all__: list[Any] = ["CompressionMiddleware", "GzipSplice", "accepted", "add_vary", "compress", "is_text", "negotiate"]
