"""The fast lane: answers that are already known, sent before the app's middleware and routing run.

A villager's repeat of a public page the process has just answered (the boards' PageMemo), or the
liveness probe, needs none of what the app does per request — Starlette's error layers, the body
limit, input hygiene, compression, ~200 route patterns, dependency solving. `FastLane` is the
outermost pure-ASGI layer: for a GET it asks the responder registered for the path (an exact
path, or the first segment) and, when the responder knows the answer, sends it with what every
answer carries (`middleware.finish_headers`: security headers, request id) and logs the same access
line the app would (`logging.access`). A responder that does not know (a miss, a query string it
does not expect, anything unusual) answers None and the request goes through the app as usual —
which is also where every error is answered: the lane never answers one.

Responders are registered by create_app (core imports no domain): an `Answer` is the status, the
headers (without content-length, added here), the body, the route template for the access log and,
optionally, work to start after the answer is sent (the boards' view-count flush).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.logging import access
from app.core.middleware import finish_headers, is_authenticated, request_id_of

log = logging.getLogger("liangnuo.fastlane")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: str
    after: Callable[[], Awaitable[object]] | None = None


Responder = Callable[[Scope], Awaitable[Answer | None]]

_NO_BODY = (204, 304)


class FastLane:
    def __init__(self, app: ASGIApp, *, exact: dict[str, Responder], prefixes: dict[str, Responder]) -> None:
        """`exact`: a path → its responder ("/healthz"); `prefixes`: a first segment with its slashes
        ("/b/") → the responder for every path under it."""
        self.app = app
        self.exact = exact
        self.prefixes = prefixes
        self._pending: set[asyncio.Task[object]] = set()  # the `after` work under way (kept from the GC)

    def _responder(self, path: str) -> Responder | None:
        found = self.exact.get(path)
        if found is not None:
            return found
        second = path.find("/", 1)
        return self.prefixes.get(path[: second + 1]) if second > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            responder = self._responder(scope["path"])
            if responder is not None:
                started = time.perf_counter()
                try:
                    answer = await responder(scope)
                except Exception:  # the app answers it (and its errors) as usual
                    log.warning("fast lane responder failed", exc_info=True)
                    answer = None
                if answer is not None:
                    await self._send(scope, send, answer, started)
                    return
        await self.app(scope, receive, send)

    async def _send(self, scope: Scope, send: Send, answer: Answer, started: float) -> None:
        request_id = request_id_of(scope)
        headers = answer.headers
        if answer.status not in _NO_BODY:
            headers = [*headers, (b"content-length", str(len(answer.body)).encode())]
        headers = finish_headers(headers, scope, request_id, is_authenticated(scope))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        body = b"" if answer.status in _NO_BODY else answer.body
        await send({"type": "http.response.body", "body": body, "more_body": False})
        access(scope["method"], answer.route, answer.status, started, None, request_id)
        if answer.after is not None:
            task = asyncio.ensure_future(answer.after())
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
