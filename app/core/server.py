"""The HTTP protocol `liangnuo serve` runs: uvicorn's httptools protocol with a cap on the size of a
request's head (request line and headers), answered 431 as soon as it is passed.

uvicorn's httptools protocol reads a head of any size (a 64 MB header was read for seconds and then
answered); h11's `h11_max_incomplete_event_size` only applies to the h11 protocol and answers 400.
Here the bytes of a head are counted as they arrive, so a client cannot make the server buffer more
than MAX_HEAD_BYTES before it is refused and the connection closed.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 32 * 1024
"""A browser's request (cookies, a token, the usual headers) is a few KB; nginx allows 4 × 8 KB."""

_BODY = "请求头太大".encode()
_RESPONSE_431 = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _BODY
)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes = MAX_HEAD_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes: int | None = 0  # None while a body is being read
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._head_bytes is not None:
            self._head_bytes += len(data)
            # only what is still part of a head counts (a chunk may end the head and carry a body)
            if self._head_bytes > self.max_head_bytes and not self._head_may_end(data):
                self._refuse()
                return
        super().data_received(data)

    def _head_may_end(self, data: bytes) -> bool:
        return b"\r\n\r\n" in data and data.index(b"\r\n\r\n") <= self.max_head_bytes

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_head_bytes:
            self._refuse()
            return
        self._head_bytes = None
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        super().on_message_complete()
        self._head_bytes = 0

    def _refuse(self) -> None:
        self._refused = True
        if not self.transport.is_closing():
            self.transport.write(_RESPONSE_431)
            self.transport.close()


HTTP_PROTOCOL = f"{__name__}:LimitedHttpToolsProtocol"
