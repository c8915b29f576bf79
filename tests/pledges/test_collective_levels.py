"""Collective pledges of every level (issue 13, divergence 5; 002 "全区各级党组织……作出承诺",
"十佳党组织承诺"): a general branch (党总支) and a committee (党委) pledge too, vetted by the level itself
(whoever holds pledge.review on it: the committee's admins, a general branch's secretary), and a
committee's pledges show on a board on the committee (the town board)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.boards import public
from app.org.models import UnitKind
from tests.factories import World, create_unit

API = "/api/v1"


def _etag(client: TestClient, pid: int, headers: dict[str, str]) -> str:
    return client.get(f"{API}/pledges/{pid}", headers=headers).headers["etag"]


def _walk(client: TestClient, pid: int, headers: dict[str, str]) -> None:
    for action in ("submit", "approve", "publish"):
        r = client.post(
            f"{API}/pledges/{pid}/{action}", json={}, headers={**headers, "If-Match": _etag(client, pid, headers)}
        )
        assert r.status_code == 200, (action, r.text)


def test_a_committee_pledges_vets_and_shows_it_on_the_town_board(client: TestClient, db: Session, world: World) -> None:
    public.clear_caches()
    admin = world.committee_admin.headers
    body = {"title": "全镇道路硬化三公里", "content": "年内完成三条村道硬化。", "category": "collective"}
    r = client.post(f"{API}/pledges", json={**body, "unit_id": world.town.id}, headers=admin)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    _walk(client, pid, admin)
    # a branch's secretary may neither draft for the committee nor vet its pledge
    other = client.post(f"{API}/pledges", json={**body, "unit_id": world.town.id}, headers=world.secretary.headers)
    assert other.status_code in (403, 404), other.text

    board = client.post(f"{API}/boards", json={"unit_id": world.town.id}, headers=admin)
    assert board.status_code == 201, board.text
    html = client.get(board.json()["public_url"].split("127.0.0.1:8000")[-1]).text
    assert "全镇道路硬化三公里" in html
    assert "测试镇党委集体承诺" in html
    assert "暂无公示的党员承诺" not in html  # a committee's board lists its pledges, not members

    # a later change to the committee's pledge shows on its board (its content version moves)
    r = client.post(
        f"{API}/pledges/{pid}/progress",
        data={"text": "第一条村道已完工"},
        headers={**admin, "Idempotency-Key": "k-progress-1"},
    )
    assert r.status_code in (200, 201), r.text
    assert "第一条村道已完工" in client.get(board.json()["public_url"].split("127.0.0.1:8000")[-1]).text


def test_a_general_branch_pledges_vetted_by_the_committee(client: TestClient, db: Session, world: World) -> None:
    """A secretary's role stands on a branch only, so a 党总支's collective pledge is drafted and vetted by
    the committee's admins, whose grant covers it; the PWA is told where to offer 起草集体承诺."""
    general = create_unit(db, kind=UnitKind.general_branch, name="城关党总支", parent=world.town)
    db.flush()
    headers = world.committee_admin.headers
    body = {"title": "总支结对共建", "content": "与驻地单位结对共建。", "category": "collective", "unit_id": general.id}
    r = client.post(f"{API}/pledges", json=body, headers=headers)
    assert r.status_code == 201, r.text
    _walk(client, r.json()["id"], headers)
    me = client.get(f"{API}/auth/me", headers=headers).json()
    offered = [(u["unit_name"], u["kind_label"]) for u in me["collective_units"]]
    assert offered[:2] == [("测试镇党委", "党委"), ("城关党总支", "党总支")], offered
    secretary = client.get(f"{API}/auth/me", headers=world.secretary.headers).json()
    assert [u["unit_id"] for u in secretary["collective_units"]] == [world.branch.id]
    leader = client.get(f"{API}/auth/me", headers=world.group_leader.headers).json()
    assert [u["unit_id"] for u in leader["collective_units"]] == [world.group.id]
    member = client.get(f"{API}/auth/me", headers=world.member.headers).json()
    assert member["collective_units"] == []


def test_a_units_own_collective_pledges_are_listed_apart(client: TestClient, world: World) -> None:
    admin = world.committee_admin.headers
    body = {"content": "年内完成。", "category": "collective"}
    for unit, title in ((world.town, "党委的承诺"), (world.branch, "支部的承诺")):
        r = client.post(f"{API}/pledges", json={**body, "title": title, "unit_id": unit.id}, headers=admin)
        assert r.status_code == 201, r.text
    own = client.get(f"{API}/pledges", params={"owner_unit_id": world.town.id}, headers=admin).json()["items"]
    assert [p["title"] for p in own] == ["党委的承诺"]
    subtree = client.get(f"{API}/pledges", params={"unit_id": world.town.id}, headers=admin).json()["items"]
    assert {p["title"] for p in subtree} >= {"党委的承诺", "支部的承诺"}
    hidden = client.get(f"{API}/pledges", params={"owner_unit_id": world.town.id}, headers=world.outsider.headers)
    assert hidden.status_code in (403, 404)
