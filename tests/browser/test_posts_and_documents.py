"""设岗定责 and the 承诺书 walked at 390 px on the demo town: the secretary's 岗位管理 (add a pioneer
post, the posts without a pledge this year), the member's post picker in the pledge form, the
branch's list of 承诺书, one member's document vetted at once, its signature recorded with a photo,
the A4 PDF rendered to a picture; the board's pledge line shows the post's public duties.
Screenshots in var/screenshots/posts-*.png and document-*.png."""

from __future__ import annotations

import re
import subprocess
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.pledges.demo_posts import DUTIES
from tests.browser.helpers import Api, sign_in, small_jpeg
from tests.live import LiveServer

pytestmark = pytest.mark.browser
YEAR = date.today().year


def _shot(page: Any, shots: Path, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_secretary_posts_member_picks_a_post_and_the_document_is_vetted_signed_and_printed(
    server: LiveServer, context: Any, browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    secretary = context.new_page()
    sign_in(secretary, server, "secretary")
    secretary.goto(server.base_url + "/posts")
    secretary.locator("[data-testid^=post-]").filter(has_text="在岗").first.wait_for()
    _shot(secretary, screenshots, "posts-1-catalogue")
    # a new pioneer post with its duties
    secretary.get_by_test_id("post-new").click()
    secretary.locator("input[name=name]").fill("巡河护河岗")
    secretary.locator("textarea[name=duties]").fill("每周沿河巡查一次，劝阻倾倒垃圾和电鱼。")
    secretary.get_by_test_id("post-pioneer").click()
    _shot(secretary, screenshots, "posts-2-new")
    secretary.get_by_test_id("post-save").click()
    new_post = secretary.locator("[data-testid^=post-]").filter(has_text="巡河护河岗")
    new_post.wait_for()
    assert "党员先锋岗" in new_post.inner_text()
    secretary.get_by_test_id("posts-uncovered").click()
    secretary.get_by_test_id("uncovered").filter(has_text="巡河护河岗").wait_for()
    _shot(secretary, screenshots, "posts-3-without-pledge")

    # the member drafts a pledge for that post, chosen from the list
    member_context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="block",
        has_touch=True,
        is_mobile=True,
    )
    member_context.set_default_timeout(10_000)
    member = member_context.new_page()
    sign_in(member, server, "member")
    member.goto(server.base_url + "/pledges/new")
    picker = member.get_by_test_id("post-picker")
    picker.wait_for()
    member.locator("label, .van-radio").filter(has_text="巡河护河岗").first.click()
    member.get_by_text("岗位职责：每周沿河巡查一次").wait_for()
    member.locator("textarea[name=title]").fill("每周巡河一次")
    member.locator("textarea[name=content]").fill("每周日上午沿河巡查，发现垃圾及时清理、报告。")
    _shot(member, screenshots, "posts-4-picker")
    member.get_by_test_id("save-submit").click()
    member.wait_for_url(re.compile(r".*/pledges/\d+$"))
    pledge_id = int(member.url.rstrip("/").rsplit("/", 1)[-1])
    pledge = Api(server, "member").get(f"/pledges/{pledge_id}")
    assert pledge["post"] == "巡河护河岗"
    assert pledge["post_id"] is not None
    member_id = pledge["member_id"]

    # the branch's list of documents, then the member's document
    secretary.goto(server.base_url + "/documents")
    row = secretary.get_by_test_id(f"doc-{member_id}")
    row.wait_for()
    _shot(secretary, screenshots, "document-1-branch-list")
    row.click()
    secretary.get_by_test_id("document").wait_for()
    secretary.get_by_test_id(f"doc-pledge-{pledge_id}").wait_for()
    assert "巡河护河岗" in secretary.get_by_test_id("document").inner_text()
    _shot(secretary, screenshots, "document-2-to-vet")
    secretary.get_by_test_id("doc-approve").click()
    secretary.locator(".van-dialog").get_by_role("button", name="整份通过").click()
    secretary.get_by_test_id(f"doc-pledge-{pledge_id}").filter(has_text="支部审核通过").wait_for()
    assert secretary.get_by_test_id("doc-approve").count() == 0
    # the signature, with a photo of the signed paper
    photo = tmp_path / "signed.jpg"
    photo.write_bytes(small_jpeg("#f4f1ea"))
    secretary.get_by_test_id("doc-photo-input").locator("input[type=file]").set_input_files(str(photo))
    secretary.get_by_text("已选 1 张").wait_for()
    secretary.get_by_test_id("doc-sign").click()
    secretary.get_by_text("已于").wait_for()
    secretary.get_by_test_id("doc-show-photo").click()
    secretary.locator("img.signed-photo").wait_for()
    _shot(secretary, screenshots, "document-3-vetted-signed")
    doc = Api(server, "secretary").get(f"/members/{member_id}/pledge-documents/{YEAR}")
    assert doc["signature"]["has_photo"] is True
    assert all(p["status"] != "submitted" for p in doc["pledges"])

    # the member reads their own document from 我的
    member.goto(server.base_url + "/me")
    member.get_by_test_id("me-my-document").click()
    member.get_by_test_id("document").wait_for()
    assert member.get_by_test_id("doc-approve").count() == 0
    _shot(member, screenshots, "document-4-member")

    # the A4 PDF, rendered to a picture to look at
    api = Api(server, "secretary")
    req = urllib.request.Request(  # noqa: S310
        f"{api.base}/members/{member_id}/pledge-documents/{YEAR}.pdf", headers={"Authorization": f"Bearer {api.token}"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310
        pdf = r.read()
    assert pdf.startswith(b"%PDF")
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "/usr/bin/pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "doc.pdf"),
            str(screenshots / "document-5-pdf"),
        ],
        check=True,
    )

    # the board's pledge line shows the post and its public duties once the pledge is published
    api.act(pledge_id, "publish")
    boards = Api(server, "committee_admin").get(f"/boards?unit_id={pledge['unit_id']}&kind=pledges")["items"]
    board = next(b["public_url"] for b in boards if b["kind"] == "pledges" and b["unit_id"] == pledge["unit_id"])
    board_page = context.new_page()
    board_page.goto(f"{board}/p/{pledge_id}")
    text = board_page.locator("main").inner_text()
    assert "依岗承诺：巡河护河岗（党员先锋岗）" in text
    assert "岗位职责：每周沿河巡查一次" in text
    _shot(board_page, screenshots, "posts-5-board-pledge")
    # private duties never reach a public page: the demo keeps 帮扶济困岗's private; crawl the board
    board_page.goto(board)
    html = board_page.content()
    assert "依岗承诺" in html
    assert DUTIES["帮扶济困岗"] not in html
    for href in board_page.locator("a.pt").evaluate_all("els => els.map((e) => e.href)")[:15]:
        board_page.goto(href)
        assert DUTIES["帮扶济困岗"] not in board_page.content()
    member_context.close()
