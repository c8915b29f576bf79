"""Structured logs: JSON lines with UTC time, request id, route, status, duration, account id;
security events for login failures, throttling and denials; never a password, token or phone."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.logging import JsonFormatter, scrub
from tests.factories import PASSWORD, World, login


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def events(self) -> list[str]:
        return [line["event"] for line in self.lines if "event" in line]


@pytest.fixture
def logs() -> Iterator[Captured]:
    """Everything the app logs (logger "liangnuo" and below) at INFO, as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("liangnuo")
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield Captured(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_failed_login_logs_no_phone_and_no_password(client: TestClient, world: World, logs: Captured) -> None:
    phone, password = world.member.phone or "", "Tr0ub4dor&3-secret"
    assert login(client, phone, password).status_code == 401
    assert login(client, "13912345678", password).status_code == 401
    assert logs.lines, "nothing was logged"
    assert phone not in logs.text
    assert "13912345678" not in logs.text
    assert password not in logs.text
    assert "login_failed" in logs.events()


def test_successful_login_and_use_log_no_token(client: TestClient, world: World, logs: Captured) -> None:
    pair = login(client, world.member.phone).json()
    client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    for secret in (pair["access_token"], pair["refresh_token"], PASSWORD, world.member.phone or ""):
        assert secret not in logs.text
    # a broken token is logged as an event, not as the token
    client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not.a-real.token"})
    assert "not.a-real.token" not in logs.text
    assert "token_invalid" in logs.events()


def test_throttling_and_denials_are_security_events(client: TestClient, world: World, logs: Captured) -> None:
    for _ in range(6):
        login(client, world.member.phone, "wrong-password-1")
    client.post(
        "/api/v1/units",
        headers=world.member.headers,
        json={"kind": "group", "name": "新组", "parent_id": world.branch.id},
    )
    events = logs.events()
    assert events.count("login_failed") == 5
    assert "login_throttled" in events
    assert "forbidden.unit.manage" in events
    denial = next(line for line in logs.lines if line.get("event") == "forbidden.unit.manage")
    assert denial["level"] == "WARNING"
    assert denial["status"] == 403


def test_access_log_line(client: TestClient, world: World, logs: Captured) -> None:
    response = client.get(f"/api/v1/units/{world.branch.id}", headers=world.secretary.headers)
    assert response.status_code == 200
    access = [line for line in logs.lines if line["logger"] == "liangnuo.access"]
    assert len(access) == 1
    line = access[0]
    assert line["route"] == "/api/v1/units/{unit_id}"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["account_id"] == world.secretary.account_id
    assert line["request_id"] == response.headers["x-request-id"]
    assert isinstance(line["duration_ms"], float | int)
    assert line["level"] == "INFO"
    when = datetime.fromisoformat(line["time"])
    assert when.utcoffset() is not None
    assert when.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_member_create_with_a_phone_logs_no_phone(client: TestClient, world: World, logs: Captured) -> None:
    response = client.post(
        "/api/v1/members",
        headers=world.secretary.headers,
        json={
            "name": "新党员",
            "branch_id": world.branch.id,
            "phone": "13577778888",
            "initial_password": "Start-2026x",
        },
    )
    assert response.status_code == 201
    assert "13577778888" not in logs.text
    assert "Start-2026x" not in logs.text


def test_formatter_masks_and_drops() -> None:
    record = logging.LogRecord(
        "liangnuo.x", logging.WARNING, __file__, 1, "call 13800138000 about %s", ("34052419800101001X",), None
    )
    record.password = "hunter2-secret"
    record.refresh_token = "abc"
    record.phone = "13800138000"
    record.account_id = 7
    line = json.loads(JsonFormatter().format(record))
    assert "13800138000" not in json.dumps(line, ensure_ascii=False)
    assert "34052419800101001X" not in line["message"]
    assert "password" not in line
    assert "refresh_token" not in line
    assert "phone" not in line
    assert line["account_id"] == 7


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13800138000", "[手机号已隐藏]"),
        ("tel:13800138000.", "tel:[手机号已隐藏]."),
        ("id 34052419800101001x", "id [身份证号已隐藏]"),
        ("order 1234567890123", "order 1234567890123"),
    ],
)
def test_scrub(raw: str, clean: str) -> None:
    assert scrub(raw) == clean
