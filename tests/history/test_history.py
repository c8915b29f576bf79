"""The history of every change (变更记录, app/core/changes.py): each write point records exactly the
fields it changed, secrets never, the moved member's history follows them, a roster batch writes its
history in a fixed number of statements."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.changes import ChangeEvent, ChangeKind
from app.members import service as members_service
from app.members.schemas import MemberCreate
from app.org import service as org_service
from app.ratings.rules import PolicyRules
from tests.factories import World, create_member

API = "/api/v1"


def _history(client: TestClient, path: str, who: Any, **params: Any) -> list[dict[str, Any]]:
    r = client.get(f"{API}/{path}/history", headers=who.headers, params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def _fields(entry: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["field"]: (c["old"], c["new"]) for c in entry["changes"]}


def _rows(db: Session, kind: ChangeKind, object_id: int) -> list[ChangeEvent]:
    stmt = select(ChangeEvent).where(col(ChangeEvent.kind) == kind.value, col(ChangeEvent.object_id) == object_id)
    return list(db.execute(stmt.order_by(col(ChangeEvent.id))).scalars())


def test_a_member_edit_records_exactly_the_changed_fields(client: TestClient, world: World, db: Session) -> None:
    member = create_member(db, branch=world.branch, group=world.group, name="王五", post="治安巡逻岗")
    r = client.patch(
        f"{API}/members/{member.id}",
        json={"name": "王小五", "post": "治安巡逻岗", "phone": "13911112222", "reason": "更正登记"},
        headers=world.secretary.headers,
    )
    assert r.status_code == 200, r.text
    [entry] = _history(client, f"members/{member.id}", world.secretary)
    assert entry["action"] == "update"
    assert entry["action_label"] == "修改"
    assert entry["actor_name"] == "书记"
    assert entry["reason"] == "更正登记"
    old_phone = member.phone
    assert _fields(entry) == {"name": ("王五", "王小五"), "phone": (old_phone, "13911112222")}  # post unchanged
    # a PATCH that changes nothing records nothing
    client.patch(f"{API}/members/{member.id}", json={"name": "王小五"}, headers=world.secretary.headers)
    assert len(_rows(db, ChangeKind.member, member.id or 0)) == 1
    # the group and the consent: names in the answer, not ids
    client.patch(
        f"{API}/members/{member.id}", json={"group_id": None, "board_consent": False}, headers=world.secretary.headers
    )
    latest = _history(client, f"members/{member.id}", world.secretary)[0]
    assert _fields(latest) == {"group_id": ("司山党小组", "（无）"), "board_consent": ("是", "否")}


def test_who_reads_a_members_history(client: TestClient, world: World, db: Session) -> None:
    path = f"{API}/members/{world.member.member_id}/history"
    for persona, status in [
        (world.secretary, 200),
        (world.committee_admin, 200),
        (world.member, 200),  # their own
        (world.group_leader, 403),
        (world.supervisor, 403),
        (world.outsider, 404),
    ]:
        assert client.get(path, headers=persona.headers).status_code == status, persona.label
    assert client.get(path).status_code == 401
    assert client.get(f"{API}/members/999999/history", headers=world.committee_admin.headers).status_code == 404


def test_a_moved_members_history_follows_them(client: TestClient, world: World, db: Session) -> None:
    """Keyed by the member: the new branch's secretary reads all of it, the entries of the old
    branch's time too; the old branch's secretary no longer sees the member (404)."""
    member = create_member(db, branch=world.branch, group=world.group, name="赵六")
    client.patch(f"{API}/members/{member.id}", json={"post": "环境卫生监督岗"}, headers=world.secretary.headers)
    r = client.post(
        f"{API}/members/{member.id}/move",
        json={"branch_id": world.other_branch.id, "group_id": world.other_group.id, "reason": "工作调动"},
        headers=world.committee_admin.headers,
    )
    assert r.status_code == 200, r.text
    entries = _history(client, f"members/{member.id}", world.outsider)  # the new branch's secretary
    assert [e["action"] for e in entries] == ["move", "update"]
    assert entries[0]["reason"] == "工作调动"
    assert entries[0]["actor_name"] == "管委员"
    assert _fields(entries[0]) == {
        "branch_id": ("大洼社区党支部", "花车村党支部"),
        "group_id": ("司山党小组", "花车党小组"),
    }
    assert _fields(entries[1]) == {"post": ("（无）", "环境卫生监督岗")}
    assert client.get(f"{API}/members/{member.id}/history", headers=world.secretary.headers).status_code == 404


def test_accounts_record_no_secret(client: TestClient, world: World, db: Session) -> None:
    member = create_member(db, branch=world.branch, name="钱七")
    r = client.post(
        f"{API}/members/{member.id}/account",
        json={"initial_password": "Kq7-mzx2-pd9b"},
        headers=world.secretary.headers,
    )
    assert r.status_code == 201, r.text
    db.refresh(member)
    assert member.account_id is not None
    assert client.post(f"{API}/members/{member.id}/password-reset", headers=world.secretary.headers).status_code == 201
    client.patch(f"{API}/members/{member.id}", json={"status": "inactive"}, headers=world.secretary.headers)
    r = client.get(f"{API}/accounts/{member.account_id}/history", headers=world.secretary.headers)
    assert r.status_code == 200
    assert "argon2" not in r.text
    assert "Kq7-mzx2-pd9b" not in r.text
    entries = r.json()["items"]
    assert [e["action"] for e in entries] == ["disable", "password_reset", "create"]
    assert entries[1]["action_label"] == "密码已重置"
    assert entries[1]["changes"] == []
    assert _fields(entries[0]) == {"disabled": ("否", "是")}
    assert _fields(entries[2]) == {"phone": ("（无）", member.phone), "display_name": ("（无）", "钱七")}
    # the member's own history shows their account's entries too (the same readers)
    timeline = _history(client, f"members/{member.id}", world.secretary)
    assert [(e["kind"], e["action"]) for e in timeline] == [
        ("member", "update"),
        ("account", "disable"),
        ("account", "password_reset"),
        ("member", "open_account"),
        ("account", "create"),
    ]
    assert _fields(timeline[0]) == {"status": ("在册", "不在册")}
    assert _fields(timeline[3]) == {"account": ("否", "是")}
    # the member role that came with the account: granted, then revoked when they left the roll
    grants = db.execute(select(ChangeEvent).where(col(ChangeEvent.kind) == "grant")).scalars().all()
    mine = [g for g in grants if g.action == "grant" and g.changes.get("account_id") == [None, member.account_id]]
    assert len(mine) == 1
    revoked = _history(client, f"grants/{mine[0].object_id}", world.secretary)
    assert [e["action"] for e in revoked] == ["revoke", "grant"]
    assert _fields(revoked[1]) == {"account_id": ("（无）", str(member.account_id)), "role": ("（无）", "党员"),
                                   "unit_id": ("（无）", "大洼社区党支部")}  # fmt: skip
    # the account's owner reads their own account's history; another branch's secretary does not
    assert (
        client.get(f"{API}/accounts/{world.member.account_id}/history", headers=world.member.headers).status_code == 200
    )
    assert client.get(f"{API}/accounts/{member.account_id}/history", headers=world.outsider.headers).status_code == 404


def test_own_password_change_is_recorded_without_values(client: TestClient, world: World) -> None:
    from tests.factories import PASSWORD

    r = client.post(
        f"{API}/auth/password",
        json={"current_password": PASSWORD, "new_password": "Brand-New-Pass-2026"},
        headers=world.member.headers,
    )
    assert r.status_code in (200, 204), r.text
    r = client.get(f"{API}/accounts/{world.member.account_id}/history", headers=world.secretary.headers)
    assert [(e["action"], e["actor_name"], e["changes"]) for e in r.json()["items"]] == [
        ("password_change", "党员甲", [])
    ]
    assert "Brand-New" not in r.text


def test_units_and_grants(client: TestClient, world: World, db: Session) -> None:
    admin = world.committee_admin
    r = client.post(
        f"{API}/units", json={"kind": "group", "name": "新党小组", "parent_id": world.branch.id}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    unit_id = r.json()["id"]
    client.patch(f"{API}/units/{unit_id}", json={"name": "东街党小组"}, headers=admin.headers)
    client.patch(f"{API}/units/{unit_id}", json={"name": "东街党小组", "sort_order": 0}, headers=admin.headers)
    assert client.post(f"{API}/units/{unit_id}/archive", headers=admin.headers).status_code == 200
    entries = _history(client, f"units/{unit_id}", world.secretary)  # unit.read on the branch
    assert [e["action"] for e in entries] == ["archive", "update", "create"]
    assert _fields(entries[0]) == {"archived": ("否", "是")}
    assert _fields(entries[1]) == {"name": ("新党小组", "东街党小组")}
    created = {"kind": "党小组", "name": "新党小组", "parent_id": "大洼社区党支部", "sort_order": "0"}
    assert _fields(entries[2]) == {k: ("（无）", v) for k, v in created.items()}
    assert client.get(f"{API}/units/{unit_id}/history", headers=world.outsider.headers).status_code == 404
    # a branch moved under another parent
    general = client.post(
        f"{API}/units",
        json={"kind": "general_branch", "name": "东片党总支", "parent_id": world.town.id},
        headers=admin.headers,
    ).json()
    assert (
        client.post(
            f"{API}/units/{world.other_branch.id}/move", json={"parent_id": general["id"]}, headers=admin.headers
        ).status_code
        == 200
    )
    [moved] = _history(client, f"units/{world.other_branch.id}", admin)
    assert _fields(moved) == {"parent_id": ("测试镇党委", "东片党总支")}
    # a grant given and revoked by the secretary
    r = client.post(
        f"{API}/grants",
        json={"account_id": world.member.account_id, "role": "supervisor", "unit_id": world.branch.id},
        headers=world.secretary.headers,
    )
    assert r.status_code == 201, r.text
    grant_id = r.json()["id"]
    assert client.delete(f"{API}/grants/{grant_id}", headers=world.secretary.headers).status_code == 204
    entries = _history(client, f"grants/{grant_id}", world.supervisor)  # grant.read
    assert [(e["action"], e["actor_name"]) for e in entries] == [("revoke", "书记"), ("grant", "书记")]
    assert _fields(entries[0]) == {"revoked": ("否", "是")}
    assert client.get(f"{API}/grants/{grant_id}/history", headers=world.member.headers).status_code == 403


def test_boards(client: TestClient, world: World, db: Session) -> None:
    sec = world.secretary
    r = client.post(f"{API}/boards", json={"unit_id": world.branch.id, "title": "大洼公示牌"}, headers=sec.headers)
    assert r.status_code == 201, r.text
    board = r.json()
    client.patch(
        f"{API}/boards/{board['id']}",
        json={"note": "每月更新", "member_ids": [world.member.member_id]},
        headers=sec.headers,
    )
    rotated = client.post(f"{API}/boards/{board['id']}/rotate", headers=sec.headers)
    assert rotated.status_code == 200
    assert client.delete(f"{API}/boards/{board['id']}", headers=sec.headers).status_code == 204
    r = client.get(f"{API}/boards/{board['id']}/history", headers=sec.headers)
    assert r.status_code == 200
    assert board["public_url"].rsplit("/", 1)[-1] not in r.text
    assert rotated.json()["public_url"].rsplit("/", 1)[-1] not in r.text
    entries = r.json()["items"]
    assert [e["action"] for e in entries] == ["take_down", "rotate_token", "update", "create"]
    assert _fields(entries[0]) == {"archived": ("否", "是")}
    assert entries[1]["changes"] == []
    assert _fields(entries[2]) == {"note": ("（无）", "每月更新"), "selected_members": ("否", "是"),
                                   "member_ids": ("（无）", "党员甲")}  # fmt: skip
    assert _fields(entries[3]) == {"kind": ("（无）", "公示牌"), "unit_id": ("（无）", "大洼社区党支部"),
                                   "title": ("（无）", "大洼公示牌")}  # fmt: skip
    assert client.get(f"{API}/boards/{board['id']}/history", headers=world.member.headers).status_code == 403
    assert client.get(f"{API}/boards/{board['id']}/history", headers=world.outsider.headers).status_code == 404


def test_rating_policies(client: TestClient, world: World) -> None:
    """Keyed by the unit; each rule that changed from what applied before (the inherited rules when
    the unit had none of its own), a group of rules by its member."""
    admin = world.committee_admin
    url = f"{API}/rating-policies/{world.branch.id}"
    rules = PolicyRules().model_dump(mode="json")
    assert client.put(url, json=rules, headers=admin.headers).status_code == 200  # the inherited rules, own now
    changed = {**rules, "villager_min_count": 5, "weights": {"peer": 30, "villager": 30, "assessment": 40}}
    assert client.put(url, json=changed, headers={**admin.headers, "If-Match": '"1"'}).status_code == 200
    assert client.put(url, json=changed, headers={**admin.headers, "If-Match": '"2"'}).status_code == 200  # same rules
    assert client.delete(url, headers={**admin.headers, "If-Match": '"3"'}).status_code == 200
    entries = _history(client, f"rating-policies/{world.branch.id}", world.secretary)
    assert [e["action"] for e in entries] == ["clear", "update", "set"]
    assert entries[2]["changes"] == []
    assert {c["label"]: (c["old"], c["new"]) for c in entries[1]["changes"]} == {
        "群众测评最少人数": ("3", "5"),
        "三评权重·党员互评": ("35", "30"),
        "三评权重·群众测评": ("25", "30"),
    }
    assert _fields(entries[0]) == {"villager_min_count": ("5", "3"), "weights.peer": ("30", "35"),
                                   "weights.villager": ("30", "25")}  # fmt: skip
    assert client.get(f"{url}/history", headers=world.outsider.headers).status_code == 404


def test_a_roster_batch_writes_its_history_in_fixed_statements(
    world: World, db: Session, query_counter: list[str]
) -> None:
    """members.service.create_members (the import's batch): the members', their accounts' and their
    member grants' first entries, one INSERT each, however many members."""
    secretary = org_service.actor_for(db, world.secretary.account_id or 0)

    def batch(n: int, start: int) -> int:
        data = [
            MemberCreate(name=f"批量{start + i}", phone=f"1391234{start + i:04d}", branch_id=world.branch.id)  # type: ignore[arg-type]
            for i in range(n)
        ]
        query_counter.clear()
        members = members_service.create_members(db, actor=secretary, data=data, password_hashes=["h"] * n)
        mine = [q for q in query_counter if "change_event" in q or "display_name \nFROM account" in q]
        statements = len(mine)
        for m in members:
            [entry] = _rows(db, ChangeKind.member, m.id or 0)
            assert entry.action == "create"
            assert entry.actor_name == "书记"
            assert entry.changes["name"] == [None, m.name]
            assert entry.changes["account"] == [None, True]
            assert len(_rows(db, ChangeKind.account, m.account_id or 0)) == 1
        return statements

    # one INSERT each for the members', accounts' and grants' entries, and the actor's name once
    assert batch(2, 0) == 4
    assert batch(40, 100) == 3  # the name is known in the session by now
    total = db.execute(
        select(func.count()).select_from(ChangeEvent).where(col(ChangeEvent.kind) == "member")
    ).scalar_one()
    assert total >= 42


def test_history_pages_cost_fixed_queries(
    client: TestClient, world: World, db: Session, query_counter: list[str]
) -> None:
    member = create_member(db, branch=world.branch, group=world.group, name="孙八")

    def page() -> int:
        query_counter.clear()
        r = client.get(f"{API}/members/{member.id}/history", headers=world.secretary.headers, params={"size": 100})
        assert r.status_code == 200
        return len(query_counter)

    client.patch(f"{API}/members/{member.id}", json={"post": "甲"}, headers=world.secretary.headers)
    one = page()
    for i in range(8):
        client.patch(
            f"{API}/members/{member.id}",
            json={"post": f"岗{i}", "group_id": None if i % 2 else world.group.id},
            headers=world.secretary.headers,
        )
    assert page() == one + 1  # the unit names the entries now mention: one query more, not one per entry


def test_a_catalogue_post_assigned_and_renamed(client: TestClient, world: World) -> None:
    """设岗定责: assigning a member to a post, and renaming the post (every holder's post text follows,
    one entry each, written in one INSERT)."""
    post = client.post(
        f"{API}/units/{world.branch.id}/posts", json={"name": "环境卫生监督岗"}, headers=world.secretary.headers
    ).json()
    member_id = world.member.member_id
    assert (
        client.put(
            f"{API}/members/{member_id}/post", json={"post_id": post["id"]}, headers=world.secretary.headers
        ).status_code
        == 200
    )
    assert (
        client.patch(
            f"{API}/posts/{post['id']}", json={"name": "人居环境监督岗"}, headers=world.secretary.headers
        ).status_code
        == 200
    )
    renamed, assigned = _history(client, f"members/{member_id}", world.secretary)[:2]
    assert (renamed["action_label"], _fields(renamed)) == ("设定岗位", {"post": ("环境卫生监督岗", "人居环境监督岗")})
    assert _fields(assigned) == {"post": ("（无）", "环境卫生监督岗")}
