"""A demo board in the real browser: Chromium (headless, no JavaScript needed) against the live server."""

from __future__ import annotations

import json
import subprocess
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from PIL import Image

from tests.live import CHROMIUM_FLAGS, LiveServer, chromium_path


def _api(server: LiveServer, path: str, token: str) -> dict:  # type: ignore[type-arg]
    req = urllib.request.Request(f"{server.base_url}{path}", headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310  (loopback)
        return json.loads(r.read())  # type: ignore[no-any-return]


def _secretary_token(server: LiveServer) -> str:
    secretary = server.account("secretary")
    form = urllib.parse.urlencode({"username": secretary["phone"], "password": secretary["password"]}).encode()
    with urllib.request.urlopen(f"{server.base_url}/api/v1/auth/token", data=form, timeout=10) as r:  # noqa: S310
        return str(json.loads(r.read())["access_token"])


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    profile = tempfile.mkdtemp(prefix="ln-chromium-")
    return subprocess.run(
        [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=390,844", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_demo_group_board_renders_in_chromium(server: LiveServer, tmp_path: Path) -> None:
    token = _secretary_token(server)
    boards = _api(server, "/api/v1/boards?size=100", token)["items"]
    board = next(b for b in boards if b["unit_name"] == "司山党小组")

    dom = _chromium("--dump-dom", board["public_url"])
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert board["title"] in html
    assert "党员亮身份 · 作承诺" in html
    assert "群众意见建议" in html

    shot = tmp_path / "board.png"
    result = _chromium(f"--screenshot={shot}", f"{board['public_url']}?big=1")
    assert result.returncode == 0, result.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (390, 844)
    # the red header is there (the inline stylesheet was allowed by the CSP)
    red = image.getpixel((10, 10))
    assert red[0] > 150 > red[1], red
