"""The member photo (亮身份): who may set it, and that decoding it holds no transaction open."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from app.core import images
from tests.factories import World

MEMBERS = "/api/v1/members"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def test_the_photo_is_decoded_outside_the_transaction(
    client: TestClient, world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = db.connection()
    outer = connection.get_nested_transaction()
    in_transaction: list[bool] = []
    real = images.process_upload

    def watched(*args: object, **kwargs: object) -> images.ProcessedImage:
        in_transaction.append(connection.get_nested_transaction() is not outer)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(images, "process_upload", watched)
    files = {"photo": ("me.jpg", _jpeg(), "image/jpeg")}
    r = client.put(f"{MEMBERS}/{world.member.member_id}/photo", files=files, headers=world.member.headers)
    assert r.status_code == 200, r.text
    assert r.json()["has_photo"] is True
    assert in_transaction == [False]
    photo = client.get(f"{MEMBERS}/{world.member.member_id}/photo", headers=world.secretary.headers)
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"


def test_photo_refusals(client: TestClient, world: World) -> None:
    files = {"photo": ("me.jpg", _jpeg(), "image/jpeg")}
    url = f"{MEMBERS}/{world.member.member_id}/photo"
    assert client.put(url, files=files, headers=world.supervisor.headers).status_code == 403  # sees, may not set
    assert client.put(url, files=files, headers=world.outsider.headers).status_code == 404
    assert client.get(url, headers=world.member.headers).json()["code"] == "photo_missing"
    too_big = {"photo": ("big.jpg", b"\xff\xd8\xff" + b"\0" * images.MAX_BYTES, "image/jpeg")}
    r = client.put(url, files=too_big, headers=world.member.headers)
    assert r.status_code == 413
    assert r.json()["code"] == "image_too_large"
