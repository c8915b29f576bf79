"""Signing in and out of the PWA."""

from __future__ import annotations

import random
import re
import urllib.error
import urllib.parse
import urllib.request
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


def test_too_many_failures_show_the_wait(page: Any, server: LiveServer) -> None:
    phone = "137" + "".join(random.choice("0123456789") for _ in range(8))  # unknown: throttled all the same
    form = urllib.parse.urlencode({"username": phone, "password": "wrong-password-1"}).encode()
    for _ in range(5):
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(server.base_url + "/api/v1/auth/token", data=form, timeout=10)  # noqa: S310
        assert failed.value.code == 401
    page.goto(server.base_url + "/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", "wrong-password-1")
    button = page.locator("button[type=submit]")
    button.click()
    page.get_by_test_id("login-error").filter(has_text="登录失败次数过多").wait_for()
    assert "后再试" in button.inner_text()
    assert button.is_disabled()
