"""The secretaries' board API: create, edit, list, rotate (→ 410), views, QR codes, posters, photos."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from app.boards import service
from app.core.config import settings
from tests.boards.conftest import Maker, board_path, jpeg, member_of
from tests.factories import World
from tests.matrix import Case, check, params


def _create(client: TestClient, world: World, **body: object) -> dict:  # type: ignore[type-arg]
    r = client.post("/api/v1/boards", json={"unit_id": world.group.id, **body}, headers=world.secretary.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_create_edit_list(client: TestClient, world: World) -> None:
    board = _create(client, world)
    assert board["title"] == "司山党小组党员公开承诺公示牌"
    assert board["member_ids"] is None
    token = board["public_url"].rsplit("/", 1)[-1]
    assert board["public_url"] == f"{settings.public_base_url}/b/{token}"
    assert len(token) >= 22  # ≥ 128 bits, URL-safe
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)

    r = client.patch(
        f"/api/v1/boards/{board['id']}",
        json={"title": "司山村民组公示牌", "note": "欢迎监督", "member_ids": [world.member.member_id]},
        headers=world.secretary.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["member_ids"] == [world.member.member_id]
    assert r.json()["version"] == board["version"] + 1
    back = client.patch(f"/api/v1/boards/{board['id']}", json={"member_ids": None}, headers=world.secretary.headers)
    assert back.json()["member_ids"] is None

    outside = client.patch(
        f"/api/v1/boards/{board['id']}",
        json={"member_ids": [world.supervisor.member_id]},
        headers=world.secretary.headers,
    )
    assert outside.status_code == 422
    assert outside.json()["code"] == "board_member_outside"
    # every level pledges (issue 13): a pledge board may stand on the committee too (the town board)
    town = client.post("/api/v1/boards", json={"unit_id": world.town.id}, headers=world.committee_admin.headers)
    assert town.status_code == 201, town.text
    assert town.json()["title"] == "测试镇党委公开承诺公示牌"

    _create(client, world, unit_id=world.branch.id)
    listed = client.get("/api/v1/boards", headers=world.secretary.headers).json()
    assert listed["total"] == 2
    assert client.get("/api/v1/boards", headers=world.outsider.headers).json()["total"] == 0


def test_create_and_rotate_retried_with_one_key_do_the_work_once(client: TestClient, world: World) -> None:
    """A secretary's phone on a weak network resends: the same Idempotency-Key creates one board and
    rotates its token once (a second rotation would void the poster just printed)."""
    headers = {**world.secretary.headers, "Idempotency-Key": "board-create-1"}
    body = {"unit_id": world.group.id}
    first = client.post("/api/v1/boards", json=body, headers=headers)
    again = client.post("/api/v1/boards", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert client.get("/api/v1/boards", headers=world.secretary.headers).json()["total"] == 1
    path = f"/api/v1/boards/{first.json()['id']}/rotate"
    rotate_headers = {**world.secretary.headers, "Idempotency-Key": "board-rotate-1"}
    rotated = client.post(path, headers=rotate_headers)
    replayed = client.post(path, headers=rotate_headers)
    assert rotated.status_code == replayed.status_code == 200
    assert replayed.json()["public_url"] == rotated.json()["public_url"] != first.json()["public_url"]
    current = client.get(f"/api/v1/boards/{first.json()['id']}", headers=world.secretary.headers).json()
    assert current["public_url"] == rotated.json()["public_url"]


def test_rotate_token_old_url_gone(client: TestClient, world: World) -> None:
    board = _create(client, world)
    old = board["public_url"].removeprefix(settings.public_base_url)
    assert client.get(old).status_code == 200
    r = client.post(f"/api/v1/boards/{board['id']}/rotate", headers=world.secretary.headers)
    assert r.status_code == 200
    new = r.json()["public_url"].removeprefix(settings.public_base_url)
    assert new != old
    gone = client.get(old)
    assert gone.status_code == 410
    assert "公示牌已搬家" in gone.text
    assert "大洼社区党支部书记" in gone.text
    assert client.get(f"{old}/qr.png").status_code == 410
    assert client.get(new).status_code == 200

    assert client.delete(f"/api/v1/boards/{board['id']}", headers=world.secretary.headers).status_code == 204
    down = client.get(new)
    assert down.status_code == 410
    assert "已撤下" in down.text


def test_views_per_day(client: TestClient, world: World) -> None:
    board = _create(client, world)
    path = board["public_url"].removeprefix(settings.public_base_url)
    for _ in range(3):
        client.get(path)
    etag = client.get(path).headers["etag"]
    client.get(path, headers={"If-None-Match": etag})  # a 304 is a view too
    r = client.get(f"/api/v1/boards/{board['id']}/views", headers=world.secretary.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 5
    assert [d["views"] for d in body["days"]] == [5]


def _token(board: dict) -> str:  # type: ignore[type-arg]
    return str(board["public_url"]).rsplit("/", 1)[-1]


def test_qr_png_decodes_to_the_public_url(client: TestClient, world: World) -> None:
    from pyzbar.pyzbar import decode

    board = _create(client, world)
    r = client.get(f"/b/{_token(board)}/qr.png", params={"size": 300})
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(r.content))
    assert image.size[0] <= 300
    (found,) = decode(image)
    assert found.data.decode() == board["public_url"]
    assert found.quality > 0
    svg = client.get(f"/b/{_token(board)}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")


def test_qr_error_correction_is_q_with_quiet_zone() -> None:
    from app.boards import qr

    matrix = qr._matrix("http://testserver/b/abc")
    assert not any(matrix[0])
    assert not any(row[0] for row in matrix)
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
    code.add_data("http://testserver/b/abc")
    code.make(fit=True)
    assert len(matrix) == len(code.get_matrix())


def _pdftotext(data: bytes, tmp_path: Path) -> tuple[str, str]:
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils is missing (scripts/system-deps.sh installs it)")
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return text, fonts


def test_poster_html_and_pdf_with_embedded_font(client: TestClient, world: World, make: Maker, tmp_path: Path) -> None:
    make.pledge(member=member_of(make.db, world.member), title="关爱空巢老人")
    board = make.board(title="司山村民组公示牌")
    html = client.get(f"/api/v1/boards/{board.id}/poster", headers=world.secretary.headers)
    assert html.status_code == 200
    assert "扫码查看党员承诺 · 欢迎监督评价" in html.text
    assert "<svg" in html.text
    assert "@page{size:A4" in html.text
    # opened in a browser, its stylesheet is allowed by hash (the API's default CSP would block it)
    style = re.search(r"<style>(.*?)</style>", html.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style[1].encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in html.headers["content-security-policy"]

    r = client.get(f"/api/v1/boards/{board.id}/poster.pdf", headers=world.secretary.headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    text, fonts = _pdftotext(r.content, tmp_path)
    assert "司山村民组公示牌" in text
    assert "关爱空巢老人" in text
    assert "扫码查看党员承诺" in text
    font_rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert font_rows
    assert all(" yes " in line for line in font_rows), fonts  # every font embedded
    assert any("CJK" in line for line in font_rows), fonts


def test_batch_posters_for_a_branch(client: TestClient, world: World, make: Maker, tmp_path: Path) -> None:
    make.board(title="司山村民组公示牌")
    make.board(world.branch, title="大洼社区公示牌")
    r = client.get("/api/v1/boards/posters.pdf", params={"branch_id": world.branch.id}, headers=world.secretary.headers)
    assert r.status_code == 200
    text, _ = _pdftotext(r.content, tmp_path)
    assert "司山村民组公示牌" in text
    assert "大洼社区公示牌" in text
    assert text.count("\f") >= 2  # one poster per page at least
    none = client.get(
        "/api/v1/boards/posters.pdf", params={"branch_id": world.other_branch.id}, headers=world.outsider.headers
    )
    assert none.status_code == 404


def test_member_photo_on_board_only_with_consent(client: TestClient, db: Session, world: World, make: Maker) -> None:
    board = make.board()
    photo = {"photo": ("me.jpg", jpeg((10, 120, 30), (400, 300)), "image/jpeg")}
    r = client.put(f"/api/v1/members/{world.member.member_id}/photo", files=photo, headers=world.member.headers)
    assert r.status_code == 200, r.text
    assert r.json()["has_photo"] is True
    html = client.get(board_path(board)).text
    (src,) = re.findall(r'<img class="ph" src="([^"]+)"', html)
    img = client.get(src)
    assert img.status_code == 200
    assert max(Image.open(io.BytesIO(img.content)).size) <= 320
    # the secretary may set it too; an unrelated member may not
    assert (
        client.put(
            f"/api/v1/members/{world.member.member_id}/photo", files=photo, headers=world.secretary.headers
        ).status_code
        == 200
    )
    assert (
        client.put(
            f"/api/v1/members/{world.member.member_id}/photo", files=photo, headers=world.group_leader.headers
        ).status_code
        == 403
    )
    bad = client.put(
        f"/api/v1/members/{world.member.member_id}/photo",
        files={"photo": ("x.jpg", b"not an image", "image/jpeg")},
        headers=world.member.headers,
    )
    assert bad.status_code == 415
    # withdrawing consent takes the member's name and photo off the board
    client.patch(
        f"/api/v1/members/{world.member.member_id}", json={"board_consent": False}, headers=world.secretary.headers
    )
    html = client.get(board_path(board)).text
    assert "党员甲" not in html
    assert client.get(src).status_code == 404


def test_pledge_page_shows_whole_public_timeline(client: TestClient, world: World, make: Maker) -> None:
    m = member_of(make.db, world.member)
    pid = make.pledge(member=m, title="结对帮扶困难户", progress="送去米和油", photos=2, helped_household="王小二家")
    board = make.board()
    r = client.get(f"{board_path(board)}/p/{pid}")
    assert r.status_code == 200
    for text in ("结对帮扶困难户", "公开承诺（亮诺）", "送去米和油", "党员甲"):
        assert text in r.text, text
    assert "王小二" not in r.text  # the helped household never appears
    photos = re.findall(r'<img src="(/b/[^"]+/p/\d+/img/[0-9a-f]{64}\.jpg)"', r.text)
    assert len(photos) == 2
    assert client.get(photos[0]).status_code == 200
    assert "王小二" not in client.get(board_path(board)).text


def _board_id(w: World) -> int:
    assert w.db is not None
    return service.create_board(w.db, actor=_secretary(w), data=service.BoardCreate(unit_id=w.group.id or 0)).id or 0


def _secretary(w: World):  # type: ignore[no-untyped-def]
    from app.org import service as org_service

    assert w.db is not None
    return org_service.actor_for(w.db, w.secretary.account_id or 0)


_MANAGERS = ["secretary", "committee_admin"]
_OTHERS = ["group_leader", "member", "supervisor"]
CASES = [
    Case("GET", lambda w: "/api/v1/boards", name="GET /boards", allowed=[*_MANAGERS, "outsider"], denied_403=_OTHERS,
         hidden_404=()),
    Case("POST", lambda w: "/api/v1/boards", name="POST /boards", allowed=_MANAGERS, denied_403=_OTHERS,
         body_factory=lambda w: {"unit_id": w.group.id}, expect=201),
    Case("GET", lambda w: f"/api/v1/boards/{_board_id(w)}", name="GET /boards/{id}", allowed=_MANAGERS,
         denied_403=_OTHERS),
    Case("PATCH", lambda w: f"/api/v1/boards/{_board_id(w)}", name="PATCH /boards/{id}", allowed=_MANAGERS,
         denied_403=_OTHERS, body_factory=lambda w: {"note": "欢迎监督"}),
    Case("POST", lambda w: f"/api/v1/boards/{_board_id(w)}/rotate", name="POST /boards/{id}/rotate",
         allowed=_MANAGERS, denied_403=_OTHERS),
    Case("DELETE", lambda w: f"/api/v1/boards/{_board_id(w)}", name="DELETE /boards/{id}", allowed=_MANAGERS,
         denied_403=_OTHERS, expect=204),
    Case("GET", lambda w: f"/api/v1/boards/{_board_id(w)}/views", name="GET /boards/{id}/views", allowed=_MANAGERS,
         denied_403=_OTHERS),
    Case("GET", lambda w: f"/api/v1/boards/{_board_id(w)}/poster", name="GET /boards/{id}/poster",
         allowed=_MANAGERS, denied_403=_OTHERS),
    Case("PUT", lambda w: f"/api/v1/members/{w.member.member_id}/photo", name="PUT /members/{id}/photo",
         allowed=["secretary", "committee_admin", "member"], denied_403=["group_leader", "supervisor"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    if case.method == "PUT":
        r = client.put(
            case.path_factory(world),
            files={"photo": ("me.jpg", jpeg(), "image/jpeg")},
            headers=getattr(world, persona).headers if persona != "anonymous" else {},
        )
        expected = dict(case.expectations())[persona]
        assert r.status_code == (expected or 200), r.text
        return
    check(client, world, case, persona)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000/", True),
        ("http://[::1]:8000", True),
        ("http://0.0.0.0", True),
        ("http://app.localhost", True),
        ("", True),
        ("https://dangjian.example.cn", False),
        ("http://192.168.1.20:8000", False),  # a village LAN address: reachable on the village Wi-Fi
        ("http://testserver", False),
    ],
)
def test_public_url_problem(url: str, loopback: bool) -> None:
    problem = service.public_url_problem(url)
    assert (problem is not None) == loopback
    if problem:
        assert "LIANGNUO_PUBLIC_BASE_URL" in problem


def test_loopback_public_address_is_flagged_on_posters_api_and_check(
    client: TestClient, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Left at the default, the public address is the server's own loopback: a printed QR code would lead
    nowhere. Posters say so on the paper itself, the API says so, and `liangnuo check` warns."""
    board = make.board(title="司山村民组公示牌")
    ok = client.get(f"/api/v1/boards/{board.id}/poster", headers=world.secretary.headers)
    assert "请勿张贴" not in ok.text
    assert (
        client.get(f"/api/v1/boards/{board.id}", headers=world.secretary.headers).json()["public_url_warning"] is None
    )

    monkeypatch.setattr(settings, "public_base_url", "http://127.0.0.1:8000")
    html = client.get(f"/api/v1/boards/{board.id}/poster", headers=world.secretary.headers).text
    assert "请勿张贴：对外地址仍是 http://127.0.0.1:8000" in html
    read = client.get(f"/api/v1/boards/{board.id}", headers=world.secretary.headers).json()
    assert "村民的手机打不开" in read["public_url_warning"]
    pdf = client.get(f"/api/v1/boards/{board.id}/poster.pdf", headers=world.secretary.headers)
    text, _ = _pdftotext(pdf.content, tmp_path)
    assert "请勿张贴" in text

    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, ["check"])
    assert "警告" in result.output
    assert "LIANGNUO_PUBLIC_BASE_URL" in result.output
