"""What every HTTP answer looks like: security headers, problem+json errors, CORS, the docs toggle."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings, settings
from app.main import create_app
from tests.factories import World

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "code", "errors"}
    assert body["status"] == status
    assert body["type"].endswith(body["code"])
    if code is not None:
        assert body["code"] == code
    # the person reads Chinese; the program reads the code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["title"]), body["title"]
    assert body["code"].isascii()
    return body


# ---------------------------------------------------------------- security headers


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/auth/me", "/api/v1/units/999999", "/no-such-page"])
def test_security_headers_on_every_response(client: TestClient, world: World, path: str) -> None:
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp or "default-src 'none'" in csp
    assert response.headers["referrer-policy"]
    assert "geolocation=()" in response.headers["permissions-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert len(response.headers["x-request-id"]) >= 8
    assert "server" not in response.headers or "uvicorn" not in response.headers["server"].lower()


def test_authenticated_responses_are_not_cached(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/units", headers=world.secretary.headers)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_hsts_only_over_https(world: World, app_instance: FastAPI) -> None:
    with TestClient(app_instance, base_url="https://testserver") as secure:
        assert "max-age=" in secure.get("/healthz").headers["strict-transport-security"]
    with TestClient(app_instance, base_url="http://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/healthz").headers


def test_request_id_is_echoed_when_safe(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc12345-req"}).headers["x-request-id"] == "abc12345-req"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert forged.headers["x-request-id"] != "<script>alert(1)</script>"


# ---------------------------------------------------------------- problem+json


def test_401_problem(client: TestClient, world: World) -> None:
    body = assert_problem(client.get("/api/v1/units"), 401, "unauthorized")
    assert body["detail"] == "请先登录"


def test_403_problem(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/units",
        headers=world.secretary.headers,
        json={"kind": "group", "name": "新组", "parent_id": world.branch.id},
    )
    body = assert_problem(response, 403)
    assert body["code"].startswith("forbidden")


def test_404_problem_for_a_hidden_object(client: TestClient, world: World) -> None:
    body = assert_problem(client.get(f"/api/v1/units/{world.branch.id}", headers=world.outsider.headers), 404)
    assert body["code"] == "not_found"


def test_404_problem_for_an_unknown_route(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_405_problem(client: TestClient) -> None:
    response = client.delete("/api/v1/auth/me")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_422_problem_lists_the_fields(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/members",
        headers=world.secretary.headers,
        json={"name": "", "branch_id": "abc", "phone": "12345", "surprise": 1},
    )
    body = assert_problem(response, 422, "validation_error")
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"name", "branch_id", "phone", "surprise"}
    assert fields["name"] == "请填写姓名"
    assert fields["branch_id"] == "党支部应为整数"
    assert fields["phone"] == "手机号格式不正确，应为 11 位数字"
    assert fields["surprise"] == "不认识的内容：surprise"
    assert body["detail"] == "提交的内容有误：姓名、手机号、党支部、surprise"


def test_422_problem_for_bad_json(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/members",
        headers={**world.secretary.headers, "Content-Type": "application/json"},
        content=b"{not json",
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["detail"] == "提交的内容不是有效的 JSON"
    assert body["errors"][0]["field"] == "body"


def test_422_problem_for_a_bad_query(client: TestClient, world: World) -> None:
    body = assert_problem(client.get("/api/v1/members?size=1000", headers=world.secretary.headers), 422)
    assert body["errors"][0]["field"] == "size"
    assert body["errors"][0]["message"] == "每页条数不能大于 100"
    assert body["detail"] == "每页条数不能大于 100"


def test_500_problem(db: Session) -> None:
    from app.org.dependencies import current_actor

    app = create_app(check_schema_on_start=False)

    def boom() -> None:
        raise RuntimeError("the unexpected")

    app.dependency_overrides[current_actor] = boom
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/api/v1/units")
    body = assert_problem(response, 500, "internal_error")
    assert "unexpected" not in response.text
    assert body["detail"] == "服务器出了点问题，请稍后再试"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


# ---------------------------------------------------------------- CORS and docs


def test_cors_is_closed_by_default(client: TestClient, world: World) -> None:
    assert settings.cors_origins == []
    preflight = client.options(
        "/api/v1/units",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get("/api/v1/units", headers={**world.member.headers, "Origin": "https://elsewhere.example"})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


@pytest.fixture
def configured_app(monkeypatch: pytest.MonkeyPatch, db: Session) -> pytest.MonkeyPatch:
    """Settings are read when the app is built: patch them, then build a fresh app."""
    return monkeypatch


def test_cors_opens_only_for_configured_origins(configured_app: pytest.MonkeyPatch) -> None:
    configured_app.setattr(settings, "cors_origins", ["https://app.example"])
    with TestClient(create_app(check_schema_on_start=False)) as c:
        ok = c.options(
            "/api/v1/units", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
        )
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        other = c.options(
            "/api/v1/units", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in other.headers


def test_docs_are_on_by_default(client: TestClient) -> None:
    assert settings.docs_enabled is True
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/auth/token" in schema.json()["paths"]


def test_docs_can_be_switched_off(configured_app: pytest.MonkeyPatch) -> None:
    configured_app.setattr(settings, "docs_enabled", False)
    with TestClient(create_app(check_schema_on_start=False)) as c:
        assert_problem(c.get("/api/docs"), 404)
        assert_problem(c.get("/api/openapi.json"), 404)
        assert c.get("/healthz").status_code == 200


def test_docs_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANGNUO_DOCS_ENABLED", "false")
    monkeypatch.setenv("LIANGNUO_CORS_ORIGINS", '["https://app.example"]')
    fresh = Settings(_env_file=None)  # type: ignore[call-arg]
    assert fresh.docs_enabled is False
    assert fresh.cors_origins == ["https://app.example"]


def test_every_route_has_a_summary(client: TestClient) -> None:
    """Routes carry a one-line docstring (the OpenAPI summary a person reads)."""
    schema = client.get("/api/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, op in operations.items()
        if not op.get("description") and not op.get("summary")
    ]
    assert missing == []
