"""The PWA stays small for rural mobile networks, and loads nothing from outside the server."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.browser.conftest import DIST_INDEX

DIST = DIST_INDEX.parent
FIRST_SCREEN_BUDGET = 150 * 1024  # gzipped JS + CSS that the login / home screen needs


def _dist() -> Path:
    if not DIST_INDEX.exists():
        pytest.fail("frontend/dist/index.html is missing: build the PWA first with `make frontend` (make test does it)")
    return DIST


def first_screen_files(dist: Path) -> set[str]:
    """index.html's scripts and styles and every chunk they import statically."""
    html = (dist / "index.html").read_text(encoding="utf-8")
    todo = set(re.findall(r'(?:src|href)="/(assets/[^"]+\.(?:js|css))"', html))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name.endswith(".js"):
            source = (dist / name).read_text(encoding="utf-8")
            todo |= {"assets/" + m for m in re.findall(r'(?:from|import)\s*"\./([^"]+\.js)"', source)}
    return seen


def test_first_screen_fits_the_budget() -> None:
    dist = _dist()
    files = first_screen_files(dist)
    assert any(f.endswith(".js") for f in files)
    size = sum(len(gzip.compress((dist / f).read_bytes(), 9)) for f in files)
    assert size <= FIRST_SCREEN_BUDGET, f"first screen is {size / 1024:.1f} KB gzipped: {sorted(files)}"


def test_nothing_is_loaded_from_a_cdn() -> None:
    dist = _dist()
    for path in [*dist.glob("assets/*.css"), *dist.glob("assets/*.js"), dist / "index.html"]:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"url\((?:https?:)?//", text), f"{path.name} loads a file from another host"
        assert "data:font" not in text, f"{path.name} inlines a font (the CSP allows fonts from the server only)"


def _wire(client: TestClient, path: str, accept_encoding: str) -> tuple[int, str | None]:
    """Bytes on the wire for one answer (status line and headers included) and its encoding."""
    headers = {"Accept-Encoding": accept_encoding, "Accept": "text/html" if path == "/" else "*/*"}
    with client.stream("GET", path, headers=headers) as r:
        assert r.status_code == 200, path
        body = b"".join(r.iter_raw())
        head = len("HTTP/1.1 200 OK\r\n") + sum(len(k) + len(v) + 4 for k, v in r.headers.raw) + 2
        return head + len(body), r.headers.get("content-encoding")


@pytest.mark.parametrize(("accept_encoding", "expected"), [("gzip, deflate, br", "br"), ("gzip, deflate", "gzip")])
def test_first_screen_on_the_wire(client: TestClient, accept_encoding: str, expected: str) -> None:
    """What a phone downloads for the first screen, measured through the app as it serves it: the
    shell and its statically imported JS and CSS, each sent pre-compressed at build time."""
    dist = _dist()
    paths = ["/", *(f"/{name}" for name in sorted(first_screen_files(dist)))]
    total = 0
    for path in paths:
        size, encoding = _wire(client, path, accept_encoding)
        tiny = path != "/" and (dist / path.lstrip("/")).stat().st_size < 1024  # not worth compressing
        assert encoding == (None if tiny else expected), f"{path} went as {encoding}"
        total += size
    print(f"first screen on the wire ({expected}): {total / 1024:.1f} KB in {len(paths)} answers")
    assert total <= FIRST_SCREEN_BUDGET, f"first screen is {total / 1024:.1f} KB on the wire ({expected})"
