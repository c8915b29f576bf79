"""The built PWA is served at "/" with deep links, without shadowing the API or the boards."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("pwa_built")]

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, str, dict[str, str]]:
    req = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
            return r.status, r.headers.get("content-type", ""), r.read().decode("utf-8", "replace"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type", ""), e.read().decode("utf-8", "replace"), dict(e.headers)


def test_deep_link_gets_the_app_shell(server: LiveServer) -> None:
    status, ctype, body, headers = fetch(server.base_url + "/pledges/12", HTML)
    assert status == 200
    assert ctype.startswith("text/html")
    assert '<div id="app">' in body
    assert headers.get("cache-control") == "no-cache"


def test_api_and_boards_are_never_shadowed(server: LiveServer) -> None:
    status, ctype, body, _ = fetch(server.base_url + "/api/v1/no-such-thing", HTML)
    assert status == 404
    assert ctype.startswith("application/problem+json")
    assert json.loads(body)["status"] == 404
    status, _, body, _ = fetch(server.base_url + "/b/no-such-board", HTML)
    assert status == 404
    assert '<div id="app">' not in body


def test_missing_files_and_json_requests_stay_404(server: LiveServer) -> None:
    for path, headers in [("/assets/missing-file.js", HTML), ("/logo-missing.png", HTML), ("/pledges/12", {})]:
        status, _, body, _ = fetch(server.base_url + path, headers)
        assert status == 404, path
        assert '<div id="app">' not in body


def test_pwa_files(server: LiveServer) -> None:
    status, _, body, _ = fetch(server.base_url + "/manifest.webmanifest")
    assert status == 200
    manifest = json.loads(body)
    assert manifest["short_name"] == "亮诺"
    assert manifest["lang"] == "zh-CN"
    status, ctype, sw, _ = fetch(server.base_url + "/sw.js")
    assert status == 200
    assert "javascript" in ctype
    assert "index.html" in sw  # the app shell is precached
