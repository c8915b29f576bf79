"""Helpers of the import tests: files built with openpyxl or as CSV text, and the API calls."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook

API = "/api/v1"
MEMBER_HEADERS = [
    "姓名",
    "性别",
    "手机号",
    "党支部",
    "党小组",
    "岗位",
    "公示职务",
    "入党日期",
    "角色",
    "同意公示",
    "状态",
]
UNIT_HEADERS = ["名称", "类型", "上级组织", "排序"]


def xlsx(rows: Sequence[Sequence[Any]], headers: Sequence[str] = MEMBER_HEADERS, merge: Sequence[str] = ()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for cells in merge:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_text(rows: Sequence[Sequence[Any]], headers: Sequence[str] = MEMBER_HEADERS) -> str:
    lines = [",".join(headers)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def member_row(
    name: str, phone: str, branch: str = "大洼社区党支部", group: str = "司山党小组", **kw: Any
) -> list[Any]:
    values = {
        "gender": "男",
        "post": "环境卫生监督岗",
        "title": "",
        "joined": "2001-07-01",
        "role": "党员",
        "consent": "是",
        "status": "在册",
    }
    values.update(kw)
    return [
        name,
        values["gender"],
        phone,
        branch,
        group,
        values["post"],
        values["title"],
        values["joined"],
        values["role"],
        values["consent"],
        values["status"],
    ]


def post_file(
    client: TestClient,
    headers: dict[str, str],
    data: bytes,
    *,
    action: str = "check",
    kind: str = "members",
    unit_id: int | None = None,
    name: str = "名册.xlsx",
    key: str | None = None,
) -> Any:
    query = f"?unit_id={unit_id}" if unit_id is not None else ""
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"{API}/imports/{kind}/{action}{query}",
        headers={**headers, **extra},
        files={"file": (name, data, "application/octet-stream")},
    )


def problems(body: dict[str, Any]) -> list[tuple[int | None, str | None, str]]:
    report = body.get("report", body)
    return [(p["row"], p["column"], p["code"]) for p in report["problems"]]
