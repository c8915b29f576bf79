"""Small helpers for browser tests: the JSON API over urllib, and signing in through the PWA."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from tests.live import LiveServer


class Api:
    """A signed-in API client for setting up and checking what the browser did."""

    def __init__(self, server: LiveServer, role: str) -> None:
        self.base = server.base_url + "/api/v1"
        acc = server.account(role)
        form = urllib.parse.urlencode({"username": acc["phone"], "password": acc["password"]}).encode()
        with urllib.request.urlopen(self.base + "/auth/token", data=form, timeout=10) as r:  # noqa: S310
            self.token = json.loads(r.read())["access_token"]

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        data = json.dumps(body).encode() if body is not None else None
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **(headers or {})}
        if data is not None:
            h["Content-Type"] = "application/json"
        if method == "POST":
            h.setdefault("Idempotency-Key", uuid.uuid4().hex)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=15) as r:  # noqa: S310
                raw = r.read()
                return r.status, json.loads(raw) if raw else None, dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None, dict(e.headers)

    def get(self, path: str) -> Any:
        status, body, _ = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body

    def act(self, pledge_id: int, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A lifecycle action with the pledge's current ETag."""
        _, _, headers = self.call("GET", f"/pledges/{pledge_id}")
        etag = headers.get("ETag") or headers.get("etag") or ""
        status, out, _ = self.call("POST", f"/pledges/{pledge_id}/{action}", body or {}, {"If-Match": etag})
        assert status == 200, (action, status, out)
        return out


def published_pledge(server: LiveServer, title: str) -> int:
    """A pledge of the demo member, taken through submit → approve → publish over the API."""
    member = Api(server, "member")
    status, created, _ = member.call(
        "POST",
        "/pledges",
        {"title": title, "content": "每月走访一次，帮助解决实际困难。", "category": "public_service"},
    )
    assert status == 201, created
    pid = int(created["id"])
    member.act(pid, "submit")
    secretary = Api(server, "secretary")
    secretary.act(pid, "approve")
    secretary.act(pid, "publish")
    return pid


def sign_in(page: Any, server: LiveServer, role: str) -> None:
    acc = server.account(role)
    page.goto(server.base_url + "/login")
    page.fill("input[name=phone]", acc["phone"])
    page.fill("input[name=password]", acc["password"])
    page.click("button[type=submit]")
    page.wait_for_url(server.base_url + "/")


def small_jpeg(color: str = "#c8161d", size: tuple[int, int] = (640, 480)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, color)
    ImageDraw.Draw(img).rectangle((40, 40, size[0] - 40, size[1] - 40), outline="#ffd700", width=12)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()
