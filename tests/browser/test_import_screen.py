"""The roster import screen at phone size (issue 12), as the secretary: from 我的 to the screen, a file
with problems (listed by row and column), the fixed file's report, confirm, the slips on the phone and
as a PDF; what the screen says offline; no serious axe-core finding. Screenshots go to $LN_SHOTS
(default var/screenshots) for a person to look at."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from tests.browser.helpers import Api, sign_in
from tests.browser.test_axe import AXE, RUN
from tests.live import LiveServer

HEADERS = ["姓名", "性别", "手机号", "党支部", "党小组", "岗位", "公示职务", "入党日期", "角色", "同意公示", "状态"]


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _shots(default: Path) -> Path:
    out = Path(os.environ.get("LN_SHOTS") or default)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _file(page: Any, data: bytes, name: str) -> None:
    page.get_by_test_id("import-file").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(RUN)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_secretary_imports_a_roster_on_a_phone(server: LiveServer, browser: Any, screenshots: Path) -> None:
    shots = _shots(screenshots)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="block",
        has_touch=True,
        is_mobile=True,
        bypass_csp=True,  # axe-core is injected
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        api = Api(server, "secretary")
        branch = next(g for g in api.get("/auth/me")["grants"] if g["role"] == "secretary")["unit_name"]
        sign_in(page, server, "secretary")
        page.wait_for_url(server.base_url + "/")
        page.goto(server.base_url + "/me")
        page.get_by_test_id("me-import").click()
        page.wait_for_url("**/import")
        page.get_by_test_id("import-unit").get_by_text(branch).wait_for()
        page.screenshot(path=str(shots / "import-start.png"), full_page=True)

        bad = _xlsx(
            [
                ["", "女", "19900001001", branch, "", "", "", "", "党员", "否", ""],
                ["钱一", "男", "1990000", branch, "", "", "", "2001-02-30", "队长", "否", ""],
                ["钱二", "男", "19900001003", "花车村党支部", "", "", "", "", "", "否", ""],
            ]
        )
        _file(page, bad, "名册-有错.xlsx")
        page.get_by_test_id("import-file-name").get_by_text("名册-有错.xlsx").wait_for()
        page.get_by_test_id("import-check").click()
        problems = page.get_by_test_id("import-problems")
        problems.wait_for()
        text = problems.inner_text()
        assert "第 2 行 · 姓名（A2）：必填，不能为空" in text
        assert "第 3 行 · 手机号（C3）：手机号格式不正确" in text
        assert "第 3 行 · 入党日期（H3）" in text
        assert "第 3 行 · 角色（I3）：未知的角色“队长”" in text
        assert "第 4 行 · 党支部（D4）" in text
        assert page.get_by_test_id("import-confirm").count() == 0  # nothing to confirm while problems remain
        page.screenshot(path=str(shots / "import-problems.png"), full_page=True)
        assert _axe(page) == []

        good = _xlsx(
            [
                ["钱秀兰", "女", "19900001001", branch, "", "文明劝导岗", "", "1999-07-01", "党员", "否", ""],
                ["钱国栋", "男", "19900001002", branch, "", "", "", "2010/3/1", "监督小组成员", "否", ""],
            ]
        )
        _file(page, good, "名册.xlsx")
        page.get_by_test_id("import-check").click()
        report = page.get_by_test_id("import-report")
        report.get_by_text("检查通过").wait_for()
        assert "新增 2" in report.inner_text()
        assert "开通账号 2" in report.inner_text()
        page.screenshot(path=str(shots / "import-report.png"), full_page=True)

        # the connection drops after the server imported: the phone never hears the answer
        def drop_answer(route: Any) -> None:
            route.fetch()  # the server does the work ...
            route.abort("connectionreset")  # ... and the answer is lost

        page.route("**/api/v1/imports/members/confirm**", drop_answer)
        page.get_by_test_id("import-confirm").click()
        dialog = page.locator(".van-dialog").filter(has_text="确认导入")
        dialog.wait_for()
        assert "开通 2 个登录账号" in dialog.inner_text()
        dialog.get_by_role("button", name="确认导入").click()
        page.get_by_test_id("import-error").get_by_text("网络断了").wait_for()
        page.screenshot(path=str(shots / "import-dropped.png"), full_page=True)
        page.unroute("**/api/v1/imports/members/confirm**")
        # confirmed again with the same key: the first answer, without the passwords; nothing twice
        page.get_by_test_id("import-confirm").click()
        dialog.wait_for()
        dialog.get_by_role("button", name="确认导入").click()
        page.get_by_test_id("import-done").get_by_text("导入完成").wait_for()
        page.get_by_test_id("import-reissue").wait_for()
        page.wait_for_timeout(500)  # the dialog fades out
        page.screenshot(path=str(shots / "import-replayed.png"), full_page=True)
        page.get_by_test_id("import-reissue").click()
        again = page.locator(".van-dialog").filter(has_text="重新生成凭条")
        again.wait_for()
        again.get_by_role("button", name="重新生成").click()
        page.get_by_test_id("import-slips").wait_for()
        page.get_by_test_id("import-slips-toggle").click()
        slips = page.get_by_test_id("import-slip-list")
        slips.wait_for()
        assert "钱秀兰" in slips.inner_text()
        assert "19900001002" in slips.inner_text()
        page.screenshot(path=str(shots / "import-done.png"), full_page=True)
        assert _axe(page) == []

        # the slips as a PDF, in a new tab the phone can print or share
        with context.expect_page() as opened:
            page.get_by_test_id("import-slips").click()
        pdf_page = opened.value
        pdf_page.wait_for_url(lambda url: url.startswith("blob:"))

        members = api.get("/members?q=%E9%92%B1&size=100")["items"]  # q=钱
        imported = {m["phone"]: m for m in members if m["phone"] in ("19900001001", "19900001002")}
        assert set(imported) == {"19900001001", "19900001002"}
        assert imported["19900001001"]["post"] == "文明劝导岗"
        assert all(m["has_account"] for m in imported.values())
        assert len([m for m in members if m["phone"] == "19900001001"]) == 1  # imported once

        # offline: the screen says the import needs the network, and nothing is queued
        page.goto(server.base_url + "/import")
        page.get_by_test_id("import-check").wait_for()
        context.set_offline(True)
        notice = page.get_by_test_id("import-offline")
        notice.wait_for()
        assert "需要联网" in notice.inner_text()
        page.screenshot(path=str(shots / "import-offline.png"), full_page=True)
        context.set_offline(False)
    finally:
        context.close()
    assert not errors, errors


def test_committee_imports_org_units_and_gets_the_template(server: LiveServer, browser: Any, screenshots: Path) -> None:
    shots = _shots(screenshots)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="block",
        has_touch=True,
        is_mobile=True,
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        api = Api(server, "committee_admin")
        root = api.get("/units")[0]
        branch = next(u for u in root["children"] if u["kind"] == "branch")
        sign_in(page, server, "committee_admin")
        page.wait_for_url(server.base_url + "/")
        page.goto(server.base_url + "/import")
        page.get_by_role("radio", name="组织").click()
        page.get_by_test_id("import-unit").get_by_text(root["name"]).wait_for()
        with page.expect_download() as downloading:
            page.get_by_test_id("import-template").click()
        template = downloading.value
        assert template.suggested_filename == "组织导入模板.xlsx"
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(Path(template.path()).read_bytes())).worksheets[0]
        assert [c.value for c in sheet[1]][:3] == ["名称", "类型", "上级组织"]

        workbook = Workbook()
        units = workbook.active
        assert units is not None
        units.append(["名称", "类型", "上级组织", "排序"])
        units.append(["导入测试党小组", "党小组", f"{root['name']}/{branch['name']}", "9"])
        out = io.BytesIO()
        workbook.save(out)
        _file(page, out.getvalue(), "组织.xlsx")
        page.get_by_test_id("import-check").click()
        page.get_by_test_id("import-report").get_by_text("检查通过").wait_for()
        page.get_by_test_id("import-confirm").click()
        dialog = page.locator(".van-dialog").filter(has_text="确认导入")
        dialog.wait_for()
        dialog.get_by_role("button", name="确认导入").click()
        page.get_by_test_id("import-done").get_by_text("导入完成：新增 1 个").wait_for()
        page.wait_for_timeout(500)  # the dialog fades out
        page.screenshot(path=str(shots / "import-units-done.png"), full_page=True)
        tree = api.get(f"/units?root_id={branch['id']}")[0]
        assert "导入测试党小组" in [c["name"] for c in tree["children"]]
    finally:
        context.close()
    assert not errors, errors
