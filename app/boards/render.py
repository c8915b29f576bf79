"""Rendering public pages: Jinja2 (autoescaped), the inline stylesheet and its CSP hash, a small
in-process page cache, gzip and ETags.

The stylesheet is inlined (one request, readable in WeChat with JavaScript off) and allowed by its
SHA-256 in the Content-Security-Policy, so no other inline style or any script can run.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from app.core.http import GzipSplice, compress
from app.core.time import CHINA_TZ, as_utc, local_display

TEMPLATES = Path(__file__).parent / "templates"
CSS = " ".join(line.strip() for line in (TEMPLATES / "style.css").read_text(encoding="utf-8").splitlines())
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()

PUBLIC_CSP = (
    "default-src 'none'; img-src 'self'; "
    f"style-src 'sha256-{CSS_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PUBLIC_HEADERS = {
    "Content-Security-Policy": PUBLIC_CSP,
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}


def _when(value: datetime | None) -> str:
    return local_display(value)


def _day(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = as_utc(value).astimezone(CHINA_TZ).date()
    return f"{value.month}月{value.day}日"


env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
env.filters["when"] = _when
env.filters["day"] = _day
env.globals["css"] = Markup(CSS)  # noqa: S704  (our own stylesheet, hashed exactly as it appears)


def render(template: str, **context: Any) -> str:
    context.setdefault("big", False)
    return env.get_template(template).render(**context)


@dataclass(frozen=True)
class Rendered:
    """A rendered page, with a strong ETag over the content and its brotli and gzip forms (each made
    on first use, then sent as stored: pledge pages get their form token put in per request and are
    compressed per request by core's CompressionMiddleware instead)."""

    body: bytes
    etag: str
    image_keys: frozenset[str] = frozenset()

    @classmethod
    def of(cls, html: str, image_keys: frozenset[str] = frozenset()) -> Rendered:
        body = html.encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()[:32]
        return cls(body=body, etag=f'"{digest}"', image_keys=image_keys)

    @cached_property
    def gzipped(self) -> bytes:
        return compress(self.body, "gzip")

    @cached_property
    def brotli(self) -> bytes:
        return compress(self.body, "br")

    def gzip_around(self, hole: str) -> GzipSplice | None:
        """The page's gzip form around its one `hole` (a per-request form token), made once; None
        when the hole is not in the page exactly once."""
        found = self.__dict__.get("_gzip_around")
        if found is None or found[0] != hole:
            parts = self.body.split(hole.encode())
            found = (hole, GzipSplice(parts[0], parts[1]) if len(parts) == 2 else None)
            self.__dict__["_gzip_around"] = found  # (a frozen dataclass: its cache, as cached_property's)
        return found[1]

    def encoded(self, encoding: str | None) -> bytes:
        """The body as stored for an encoding chosen by `core.http.negotiate` (made once, then kept)."""
        if encoding == "br":
            return self.brotli
        return self.gzipped if encoding == "gzip" else self.body


class PageCache:
    """A small thread-safe LRU of rendered pages. Keys carry the versions the page depends on, so
    an entry is never invalidated: a change makes a new key and the old one ages out."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Rendered | None:
        with self._lock:
            page = self._items.get(key)
            if page is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return page

    def put(self, key: Hashable, page: Rendered) -> None:
        with self._lock:
            self._items[key] = page
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


def if_none_match(header: str | None, etag: str) -> bool:
    """Whether an If-None-Match header matches (weak comparison, as RFC 9110 asks for GET)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in header.split(","))
