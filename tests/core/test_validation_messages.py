"""Validation errors name fields and choices in Chinese (labels registered by each domain)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.errors import field_label, register_labels
from tests.factories import World

API = "/api/v1"


def _problem(r: Any) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == "validation_error"
    text = body["detail"] + "".join(e["message"] for e in body["errors"])
    assert " or " not in text  # no pydantic English left
    assert "Input should" not in text
    return body


def _messages(body: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body["errors"]}


def test_empty_required_texts_say_what_to_fill_in(client: TestClient, world: World) -> None:
    body = _problem(
        client.post(
            f"{API}/pledges", json={"title": " ", "content": "", "category": "other"}, headers=world.member.headers
        )
    )
    assert _messages(body) == {"title": "请填写标题", "content": "请填写内容"}
    assert body["detail"] == "提交的内容有误：标题、内容"
    assert [e["label"] for e in body["errors"]] == ["标题", "内容"]


def test_one_error_is_the_detail(client: TestClient, world: World) -> None:
    body = _problem(
        client.post(
            f"{API}/units",
            json={"kind": "group", "name": "", "parent_id": world.branch.id},
            headers=world.committee_admin.headers,
        )
    )
    assert body["detail"] == "请填写名称"  # an org unit's name (registered for /api/v1/units)
    body = _problem(
        client.post(f"{API}/members", json={"name": "", "branch_id": world.branch.id}, headers=world.secretary.headers)
    )
    assert body["detail"] == "请填写姓名"  # a member's


@pytest.mark.parametrize(
    ("method", "path", "payload", "field", "message"),
    [
        (
            "POST",
            "/pledges",
            {"title": "修路", "content": "修好村口的路", "category": "bogus"},
            "category",
            "类别应为岗位承诺、公益服务、结对帮扶、集体承诺或其他",
        ),
        ("PATCH", "/members/{member}", {"status": "gone"}, "status", "状态应为在册、已转出或不在册"),
        ("PATCH", "/members/{member}", {"gender": "x"}, "gender", "性别应为男或女"),
        (
            "POST",
            "/units",
            {"kind": "village", "name": "新村", "parent_id": 1},
            "kind",
            "组织类别应为党委、党总支、党支部或党小组",
        ),
        (
            "POST",
            "/grants",
            {"account_id": 1, "role": "king", "unit_id": 1},
            "role",
            "角色应为党员、党小组长、支部书记、监督小组成员或党委管理员",
        ),
        ("PATCH", "/members/{member}", {"joined_date": "yesterday"}, "joined_date", "入党日期应为日期，如 2026-12-31"),
        ("POST", "/units", {"kind": "group", "name": "x" * 41, "parent_id": 1}, "name", "名称太长了（最多 40 个字）"),
        ("POST", "/units", {"kind": "group", "name": "新组", "parent_id": 2**40}, "parent_id", "上级组织编号不正确"),
    ],
)
def test_messages_name_the_field_and_the_choices(
    client: TestClient, world: World, method: str, path: str, payload: dict[str, Any], field: str, message: str
) -> None:
    url = API + path.format(member=world.member.member_id)
    body = _problem(client.request(method, url, json=payload, headers=world.committee_admin.headers))
    assert _messages(body)[field] == message


def test_path_and_query_ids(client: TestClient, world: World) -> None:
    body = _problem(client.get(f"{API}/members/{2**63}", headers=world.committee_admin.headers))
    assert body["detail"] == "党员编号不正确"
    body = _problem(client.get(f"{API}/pledges?status=nope", headers=world.committee_admin.headers))
    assert "草稿" in body["detail"]
    assert "或已取消" in body["detail"]


def test_login_form_fields(client: TestClient) -> None:
    body = _problem(client.post(f"{API}/auth/token", data={}))
    assert _messages(body) == {"username": "请填写手机号", "password": "请填写密码"}


def test_labels_by_path_prefix_and_unknown_fields() -> None:
    register_labels({"zz_test_field": "通用"})
    register_labels({"zz_test_field": "专用"}, prefix="/api/v1/zz-test")
    assert field_label("zz_test_field", "/api/v1/other") == "通用"
    assert field_label("zz_test_field", "/api/v1/zz-test/1") == "专用"
    assert field_label("never_registered") == "never_registered"
