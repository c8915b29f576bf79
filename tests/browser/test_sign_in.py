"""Signing in and out of the PWA."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_wrong_password_shows_the_servers_chinese_message(page: Any, server: LiveServer, screenshots: Path) -> None:
    page.goto(server.base_url + "/")
    page.wait_for_url("**/login")
    page.fill("input[name=phone]", server.account("supervisor")["phone"])
    page.fill("input[name=password]", "wrong-password-1")
    page.click("button[type=submit]")
    error = page.get_by_test_id("login-error")
    error.wait_for()
    assert error.inner_text() == "手机号或密码不正确"
    page.screenshot(path=str(screenshots / "login-error.png"))


def test_member_signs_in_sees_home_and_signs_out(page: Any, server: LiveServer, screenshots: Path) -> None:
    member = server.account("member")
    page.goto(server.base_url + "/pledges?mine=1")  # a deep link: signs in first, then comes back
    page.wait_for_url(re.compile(r".*/login\?next="))
    page.screenshot(path=str(screenshots / "login.png"))
    page.fill("input[name=phone]", member["phone"])
    page.fill("input[name=password]", member["password"])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path == "/pledges")
    page.goto(server.base_url + "/")  # a full reload: the refresh token restores the sign-in
    page.get_by_text(f"，{member['name']}").wait_for()
    page.get_by_role("heading", name="我的承诺").wait_for()
    page.goto(server.base_url + "/me")
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login")
    assert page.evaluate("localStorage.getItem('ln.refresh')") is None
