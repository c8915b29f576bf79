"""Members: the roll, phone privacy, creating and editing, moving between branches, accounts."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Account
from tests.factories import World, create_member, create_unit, login

MEMBERS = "/api/v1/members"


def _roles(client: TestClient, headers: dict[str, str]) -> set[tuple[str, int]]:
    me = client.get("/api/v1/auth/me", headers=headers).json()
    return {(g["role"], g["unit_id"]) for g in me["grants"]}


# ---------------------------------------------------------------- phone privacy


@pytest.mark.parametrize(
    ("persona", "sees_phone"),
    [
        ("member", True),  # their own
        ("secretary", True),
        ("committee_admin", True),
        ("group_leader", False),
        ("supervisor", False),
    ],
)
def test_phone_visibility_on_one_member(client: TestClient, world: World, persona: str, sees_phone: bool) -> None:
    response = client.get(f"{MEMBERS}/{world.member.member_id}", headers=getattr(world, persona).headers)
    assert response.status_code == 200
    assert response.json()["phone"] == (world.member.phone if sees_phone else None)


@pytest.mark.parametrize(
    ("persona", "sees_phones"),
    [("secretary", True), ("committee_admin", True), ("group_leader", False), ("supervisor", False)],
)
def test_phone_visibility_in_the_roll(client: TestClient, world: World, persona: str, sees_phones: bool) -> None:
    page = client.get(f"{MEMBERS}?unit_id={world.branch.id}&size=100", headers=getattr(world, persona).headers).json()
    viewer = getattr(world, persona)
    for item in page["items"]:
        if item["id"] == viewer.member_id:
            assert item["phone"] is not None  # one's own number is always shown
        elif sees_phones:
            assert item["phone"] is not None
        else:
            assert item["phone"] is None


def test_members_see_their_own_phone_only(client: TestClient, world: World) -> None:
    page = client.get(f"{MEMBERS}?size=100", headers=world.member.headers).json()
    phones = {item["id"]: item["phone"] for item in page["items"]}
    assert phones[world.member.member_id] == world.member.phone
    assert all(phone is None for member_id, phone in phones.items() if member_id != world.member.member_id)
    me = client.get("/api/v1/auth/me", headers=world.member.headers).json()
    assert me["member"]["phone"] == world.member.phone


def test_the_other_secretary_cannot_see_our_member(client: TestClient, world: World) -> None:
    assert client.get(f"{MEMBERS}/{world.member.member_id}", headers=world.outsider.headers).status_code == 404
    page = client.get(f"{MEMBERS}?size=100", headers=world.outsider.headers).json()
    assert world.member.member_id not in {item["id"] for item in page["items"]}


# ---------------------------------------------------------------- the roll


def test_roll_paging_and_search(client: TestClient, world: World, db: Session) -> None:
    for name in ("程建国", "程建华", "汪秀兰", "100%张"):
        create_member(db, branch=world.branch, group=world.group, name=name)
    everyone = client.get(f"{MEMBERS}?unit_id={world.branch.id}&size=100", headers=world.secretary.headers).json()
    total = everyone["total"]
    assert total == len(everyone["items"]) == 8  # four personas' members + four
    page = client.get(f"{MEMBERS}?unit_id={world.branch.id}&size=3&page=3", headers=world.secretary.headers).json()
    assert (page["page"], page["size"], page["pages"], page["total"]) == (3, 3, 3, total)
    assert len(page["items"]) == 2
    found = client.get(f"{MEMBERS}?q=程建", headers=world.secretary.headers).json()
    assert sorted(i["name"] for i in found["items"]) == ["程建华", "程建国"]
    literal = client.get(f"{MEMBERS}?q=%25", headers=world.secretary.headers).json()  # "%" is not a wildcard
    assert [i["name"] for i in literal["items"]] == ["100%张"]
    assert client.get(f"{MEMBERS}?q=不存在", headers=world.secretary.headers).json()["total"] == 0


def test_roll_of_a_group_and_filters(client: TestClient, world: World, db: Session) -> None:
    create_member(db, branch=world.branch, group=None, name="不在组里", consent=False, status="inactive")
    in_group = client.get(f"{MEMBERS}?unit_id={world.group.id}&size=100", headers=world.secretary.headers).json()
    assert "不在组里" not in {i["name"] for i in in_group["items"]}
    assert {i["group_id"] for i in in_group["items"]} == {world.group.id}
    inactive = client.get(f"{MEMBERS}?status=inactive", headers=world.secretary.headers).json()
    assert [i["name"] for i in inactive["items"]] == ["不在组里"]
    no_consent = client.get(f"{MEMBERS}?board_consent=false", headers=world.secretary.headers).json()
    assert [i["name"] for i in no_consent["items"]] == ["不在组里"]


def test_roll_for_a_group_leader_with_only_a_group_grant(client: TestClient, world: World, db: Session) -> None:
    """A grant on a group shows that group's members, and each of them can be opened."""
    from app.org import service as org_service

    assert world.group_leader.account_id is not None
    for grant in org_service.grants_of(db, world.group_leader.account_id):
        if grant.role == "member":
            org_service.revoke_grant(
                db, actor=org_service.actor_for(db, world.committee_admin.account_id or 0), grant_id=grant.id
            )
    page = client.get(f"{MEMBERS}?size=100", headers=world.group_leader.headers).json()
    assert page["total"] >= 1
    for item in page["items"]:
        assert item["group_id"] == world.group.id
        assert client.get(f"{MEMBERS}/{item['id']}", headers=world.group_leader.headers).status_code == 200


# ---------------------------------------------------------------- creating


def test_create_a_member(client: TestClient, world: World) -> None:
    response = client.post(
        MEMBERS,
        headers=world.secretary.headers,
        json={
            "name": " 程秀英 ",
            "gender": "female",
            "phone": "+86 139-0000-1111",
            "branch_id": world.branch.id,
            "group_id": world.group.id,
            "post": "环境卫生监督岗",
            "public_title": "党员先锋岗",
            "joined_date": "1998-07-01",
            "board_consent": True,
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "程秀英"
    assert body["phone"] == "13900001111"
    assert body["status"] == "active"
    assert body["has_account"] is False
    assert body["version"] == 1


def test_new_members_do_not_appear_publicly_without_consent(client: TestClient, world: World) -> None:
    body = client.post(
        MEMBERS, headers=world.secretary.headers, json={"name": "甲", "branch_id": world.branch.id}
    ).json()
    assert body["board_consent"] is False


def test_create_with_an_account(client: TestClient, world: World) -> None:
    response = client.post(
        MEMBERS,
        headers=world.secretary.headers,
        json={
            "name": "有账号",
            "phone": "13900002222",
            "branch_id": world.branch.id,
            "initial_password": "Start-Here-2026",
        },
    )
    assert response.status_code == 201
    assert response.json()["has_account"] is True
    pair = login(client, "13900002222", "Start-Here-2026").json()
    assert pair["must_change_password"] is True


def test_create_with_a_weak_initial_password_creates_nothing(client: TestClient, world: World) -> None:
    response = client.post(
        MEMBERS,
        headers=world.secretary.headers,
        json={"name": "弱密码", "phone": "13900003333", "branch_id": world.branch.id, "initial_password": "12345678"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"
    found = client.get(f"{MEMBERS}?q=弱密码", headers=world.secretary.headers).json()
    assert found["total"] == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "甲", "branch_id": "group"}, 422, "member_bad_branch"),
        ({"name": "甲", "branch_id": "town"}, 422, "member_bad_branch"),
        ({"name": "甲", "branch_id": "branch", "group_id": "other_group"}, 422, "member_bad_group"),
        ({"name": "甲", "branch_id": "branch", "phone": "member"}, 409, "phone_taken"),
        ({"name": "甲", "branch_id": "branch", "phone": "12345"}, 422, "validation_error"),
        ({"name": "甲", "branch_id": "branch", "gender": "unknown"}, 422, "validation_error"),
        ({"name": "甲", "branch_id": "branch", "status": "active"}, 422, "validation_error"),
        ({"name": "甲", "branch_id": "branch", "id": 5}, 422, "validation_error"),
        ({"branch_id": "branch"}, 422, "validation_error"),
    ],
)
def test_create_refusals(client: TestClient, world: World, body: dict[str, Any], status: int, code: str) -> None:
    resolved = dict(body)
    for key in ("branch_id", "group_id"):
        if isinstance(resolved.get(key), str):
            resolved[key] = getattr(world, resolved[key]).id
    if resolved.get("phone") == "member":
        resolved["phone"] = world.member.phone
    response = client.post(MEMBERS, headers=world.committee_admin.headers, json=resolved)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def test_create_in_an_archived_branch(client: TestClient, world: World, db: Session) -> None:
    old = create_unit(db, kind=world.branch.kind, name="撤销的支部", parent=world.town)  # type: ignore[arg-type]
    client.post(f"/api/v1/units/{old.id}/archive", headers=world.committee_admin.headers)
    response = client.post(MEMBERS, headers=world.committee_admin.headers, json={"name": "甲", "branch_id": old.id})
    assert response.status_code == 409


# ---------------------------------------------------------------- editing


def test_update_a_member(client: TestClient, world: World) -> None:
    response = client.patch(
        f"{MEMBERS}/{world.member.member_id}",
        headers=world.secretary.headers,
        json={"post": "治安巡逻岗", "public_title": "党员先锋岗", "board_consent": False, "status": "inactive"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["post"], body["public_title"], body["board_consent"], body["status"]) == (
        "治安巡逻岗",
        "党员先锋岗",
        False,
        "inactive",
    )
    assert body["version"] == 2
    assert body["name"] == "党员甲"  # untouched fields stay


@pytest.mark.parametrize("field", ["name", "post", "public_title", "status", "board_consent"])
def test_update_cannot_blank_a_required_field(client: TestClient, world: World, field: str) -> None:
    response = client.patch(f"{MEMBERS}/{world.member.member_id}", headers=world.secretary.headers, json={field: None})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_update_checks_group_and_phone(client: TestClient, world: World) -> None:
    url = f"{MEMBERS}/{world.member.member_id}"
    bad_group = client.patch(url, headers=world.secretary.headers, json={"group_id": world.other_group.id})
    assert bad_group.status_code == 422
    taken = client.patch(url, headers=world.secretary.headers, json={"phone": world.secretary.phone})
    assert taken.status_code == 409
    out_of_group = client.patch(url, headers=world.secretary.headers, json={"group_id": None})
    assert out_of_group.json()["group_id"] is None


def test_changing_a_members_phone_changes_the_login(client: TestClient, world: World) -> None:
    url = f"{MEMBERS}/{world.member.member_id}"
    response = client.patch(url, headers=world.secretary.headers, json={"phone": "13900004444"})
    assert response.status_code == 200
    assert response.json()["phone"] == "13900004444"
    assert login(client, "13900004444").status_code == 200
    assert login(client, world.member.phone).status_code == 401


def test_a_phone_used_by_another_account_cannot_be_given(client: TestClient, world: World, db: Session) -> None:
    from app.auth import service as auth_service

    auth_service.create_account(db, phone="13900005555", display_name="别人", password="Some-Strong-2026")
    response = client.patch(
        f"{MEMBERS}/{world.member.member_id}", headers=world.secretary.headers, json={"phone": "13900005555"}
    )
    assert response.status_code == 409
    assert login(client, world.member.phone).status_code == 200


# ---------------------------------------------------------------- moving


def test_committee_admin_moves_a_member_and_the_grants_follow(client: TestClient, world: World) -> None:
    response = client.post(
        f"{MEMBERS}/{world.group_leader.member_id}/move",
        headers=world.committee_admin.headers,
        json={"branch_id": world.other_branch.id, "group_id": world.other_group.id},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["branch_id"], body["group_id"]) == (world.other_branch.id, world.other_group.id)
    assert body["version"] == 2
    # the member role moved; leading the old group ended
    assert _roles(client, world.group_leader.headers) == {("member", world.other_branch.id)}
    # the old secretary no longer sees them; the new one does
    url = f"{MEMBERS}/{world.group_leader.member_id}"
    assert client.get(url, headers=world.secretary.headers).status_code == 404
    assert client.get(url, headers=world.outsider.headers).json()["phone"] == world.group_leader.phone
    # and their own view of the tree is the new branch
    tree = client.get("/api/v1/units", headers=world.group_leader.headers).json()
    assert [n["id"] for n in tree] == [world.other_branch.id]


def test_branch_roles_end_with_a_move(client: TestClient, world: World) -> None:
    response = client.post(
        f"{MEMBERS}/{world.supervisor.member_id}/move",
        headers=world.committee_admin.headers,
        json={"branch_id": world.other_branch.id},
    )
    assert response.status_code == 200
    assert _roles(client, world.supervisor.headers) == {("member", world.other_branch.id)}


def test_committee_roles_survive_a_move(client: TestClient, world: World) -> None:
    response = client.post(
        f"{MEMBERS}/{world.committee_admin.member_id}/move",
        headers=world.committee_admin.headers,
        json={"branch_id": world.branch.id},
    )
    assert response.status_code == 200
    assert ("committee_admin", world.town.id) in _roles(client, world.committee_admin.headers)


def test_secretary_moves_within_the_branch_only(client: TestClient, world: World, db: Session) -> None:
    url = f"{MEMBERS}/{world.member.member_id}/move"
    other = client.post(url, headers=world.secretary.headers, json={"branch_id": world.other_branch.id})
    assert other.status_code == 404
    second_group = create_unit(db, kind=world.group.kind, name="第二党小组", parent=world.branch)  # type: ignore[arg-type]
    within = client.post(
        url, headers=world.secretary.headers, json={"branch_id": world.branch.id, "group_id": second_group.id}
    )
    assert within.status_code == 200
    assert within.json()["group_id"] == second_group.id
    assert _roles(client, world.member.headers) == {("member", world.branch.id)}


def test_a_secretary_of_both_branches_can_move_between_them(client: TestClient, world: World, db: Session) -> None:
    from app.core.permissions import SYSTEM, Role
    from app.org import service as org_service

    org_service.grant_role(
        db,
        actor=SYSTEM,
        account_id=world.secretary.account_id or 0,
        role=Role.secretary,
        unit_id=world.other_branch.id or 0,
    )
    response = client.post(
        f"{MEMBERS}/{world.member.member_id}/move",
        headers=world.secretary.headers,
        json={"branch_id": world.other_branch.id},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ({"branch_id": "group"}, "member_bad_branch"),
        ({"branch_id": "other_branch", "group_id": "group"}, "member_bad_group"),
    ],
)
def test_move_refusals(client: TestClient, world: World, target: dict[str, str], code: str) -> None:
    body = {key: getattr(world, value).id for key, value in target.items()}
    response = client.post(f"{MEMBERS}/{world.member.member_id}/move", headers=world.committee_admin.headers, json=body)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert _roles(client, world.member.headers) == {("member", world.branch.id)}


def test_move_to_an_archived_branch(client: TestClient, world: World, db: Session) -> None:
    old = create_unit(db, kind=world.branch.kind, name="撤销的支部", parent=world.town)  # type: ignore[arg-type]
    client.post(f"/api/v1/units/{old.id}/archive", headers=world.committee_admin.headers)
    response = client.post(
        f"{MEMBERS}/{world.member.member_id}/move", headers=world.committee_admin.headers, json={"branch_id": old.id}
    )
    assert response.status_code == 409


# ---------------------------------------------------------------- accounts


def test_open_an_account(client: TestClient, world: World, db: Session) -> None:
    member = create_member(db, branch=world.branch, group=world.group, name="新开通")
    url = f"{MEMBERS}/{member.id}/account"
    response = client.post(url, headers=world.secretary.headers, json={"initial_password": "Start-Here-2026"})
    assert response.status_code == 201
    assert response.json()["has_account"] is True
    again = client.post(url, headers=world.secretary.headers, json={"initial_password": "Start-Here-2026"})
    assert again.status_code == 409
    db.refresh(member)
    account = db.get(Account, member.account_id)
    assert account is not None
    assert account.must_change_password is True
    assert account.phone == member.phone


def test_open_an_account_needs_a_phone_and_a_good_password(client: TestClient, world: World, db: Session) -> None:
    member = create_member(db, branch=world.branch, name="无手机")
    member.phone = None
    db.add(member)
    db.flush()
    response = client.post(
        f"{MEMBERS}/{member.id}/account", headers=world.secretary.headers, json={"initial_password": "Start-Here-2026"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "phone_required"
    other = create_member(db, branch=world.branch, name="弱")
    weak = client.post(
        f"{MEMBERS}/{other.id}/account", headers=world.secretary.headers, json={"initial_password": "password"}
    )
    assert weak.status_code == 422
    assert weak.json()["code"] == "weak_password"


def test_me_without_a_member(client: TestClient, world: World, db: Session) -> None:
    from app.auth import service as auth_service
    from app.core.security import create_access_token

    account = auth_service.create_account(
        db, phone="13900006666", display_name="只有账号", password="Some-Strong-2026", must_change_password=False
    )
    token = create_access_token(account.id or 0, account.token_version)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["member"] is None
    assert me["grants"] == []
    assert me["account"]["display_name"] == "只有账号"
    # no grants: an empty tree and an empty roll, never someone else's data
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}).json() == []
    assert client.get(MEMBERS, headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_leading_a_group_ends_when_leaving_it(client: TestClient, world: World, db: Session) -> None:
    second_group = create_unit(db, kind=world.group.kind, name="第二党小组", parent=world.branch)  # type: ignore[arg-type]
    response = client.post(
        f"{MEMBERS}/{world.group_leader.member_id}/move",
        headers=world.secretary.headers,
        json={"branch_id": world.branch.id, "group_id": second_group.id},
    )
    assert response.status_code == 200
    assert _roles(client, world.group_leader.headers) == {("member", world.branch.id)}


def test_the_roll_and_the_tree_cost_a_fixed_number_of_queries(
    client: TestClient, world: World, db: Session, query_counter: list[str]
) -> None:
    """No N+1: listing 4 or 24 members (or 6 or 26 units) runs the same number of queries."""

    def count(path: str) -> int:
        query_counter.clear()
        assert client.get(path, headers=world.committee_admin.headers).status_code == 200
        return len(query_counter)

    roll, tree = f"{MEMBERS}?size=100", "/api/v1/units"
    few = (count(roll), count(tree))
    for i in range(20):
        create_member(db, branch=world.other_branch, group=world.other_group, name=f"党员{i}")
        create_unit(db, kind=world.group.kind, name=f"小组{i}", parent=world.other_branch)  # type: ignore[arg-type]
    many = (count(roll), count(tree))
    assert many == few
