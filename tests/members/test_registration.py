"""双报到 (issue 13): a member of one branch registers in a community branch; the community's secretary
accepts; pledges made to the community are vetted there and the member's own branch keeps the rest.

In the world, the member belongs to `branch`; `other_branch` plays the community, whose secretary is
the persona "outsider"."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.boards import service as boards_service
from app.boards.schemas import BoardCreate
from app.members.models_registration import RegistrationEvent
from app.org import service as org_service
from tests.boards.conftest import _fresh_process_state, board_path  # noqa: F401  (fixtures)
from tests.factories import World
from tests.matrix import Case, check, params
from tests.pledges.api import API, act, ok


def _request(client: TestClient, world: World, **body: Any) -> dict[str, Any]:
    return ok(
        client.post(
            f"{API}/registrations", json={"branch_id": world.other_branch.id, **body}, headers=world.member.headers
        ),
        201,
    )


def _move(client: TestClient, who: Any, reg: dict[str, Any], action: str, **body: Any):  # type: ignore[no-untyped-def]
    return client.post(
        f"{API}/registrations/{reg['id']}/{action}",
        json=body or None,
        headers={**who.headers, "If-Match": f'"{reg["version"]}"'},
    )


def _accepted(client: TestClient, world: World) -> dict[str, Any]:
    reg = _request(client, world)
    return ok(_move(client, world.outsider, reg, "accept"))


def test_member_requests_and_the_community_secretary_accepts(client: TestClient, world: World) -> None:
    reg = _request(client, world, note="在县水务局上班，周末可参加志愿服务")
    assert reg["status"] == "requested"
    assert reg["status_label"] == "待社区确认"
    assert reg["since"] is None
    assert reg["allowed_actions"] == ["withdraw"]
    assert reg["may_pledge"] is False
    # the community's secretary sees the request in the community's list (paged) and may accept it
    listed = ok(
        client.get(f"{API}/registrations?branch_id={world.other_branch.id}&size=5", headers=world.outsider.headers)
    )
    assert listed["total"] == 1
    assert listed["items"][0]["member_name"] == "党员甲"
    assert listed["items"][0]["home_branch_name"] == world.branch.name
    assert listed["items"][0]["allowed_actions"] == ["accept", "decline"]
    # the member's own secretary may not accept for the community
    assert _move(client, world.secretary, reg, "accept").status_code == 403
    # no If-Match: 428; a stale one: 412
    no_version = client.post(f"{API}/registrations/{reg['id']}/accept", headers=world.outsider.headers)
    assert no_version.status_code == 428
    assert _move(client, world.outsider, {**reg, "version": 9}, "accept").status_code == 412
    accepted = ok(_move(client, world.outsider, reg, "accept"))
    assert accepted["status"] == "active"
    assert accepted["since"] is not None
    assert accepted["version"] == reg["version"] + 1
    # accepted twice: 409 with what may be done now
    again = _move(client, world.outsider, reg, "accept")
    assert again.status_code == 412
    again = _move(client, world.outsider, accepted, "accept")
    assert again.status_code == 409
    assert again.json()["code"] == "registration_wrong_state"
    mine = ok(client.get(f"{API}/registrations", headers=world.member.headers))
    assert [(r["id"], r["may_pledge"]) for r in mine["items"]] == [(reg["id"], True)]
    # the events: the request and the acceptance, by whom
    assert world.db is not None
    events = world.db.execute(
        select(RegistrationEvent.action, RegistrationEvent.from_status, RegistrationEvent.to_status)
        .where(col(RegistrationEvent.registration_id) == reg["id"])
        .order_by(col(RegistrationEvent.id))
    ).all()
    assert [tuple(e) for e in events] == [("request", None, "requested"), ("accept", "requested", "active")]


def test_decline_needs_a_reason_withdraw_is_the_members_and_open_ones_are_unique(
    client: TestClient, world: World
) -> None:
    reg = _request(client, world)
    duplicate = client.post(
        f"{API}/registrations", json={"branch_id": world.other_branch.id}, headers=world.member.headers
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "registration_exists"
    no_reason = _move(client, world.outsider, reg, "decline")
    assert no_reason.status_code == 422
    assert _move(client, world.outsider, reg, "withdraw").status_code == 403
    withdrawn = ok(_move(client, world.member, reg, "withdraw"))
    assert withdrawn["status"] == "withdrawn"
    # a new request is possible once the old one is closed; declined with the reason
    second = _request(client, world)
    declined = ok(_move(client, world.outsider, second, "decline", reason="本社区暂不接收该单位党员"))
    assert declined["status"] == "declined"
    # registering in one's own branch is refused
    own = client.post(f"{API}/registrations", json={"branch_id": world.branch.id}, headers=world.member.headers)
    assert own.status_code == 422
    assert own.json()["code"] == "registration_own_branch"
    # a group is not a community branch
    bad = client.post(f"{API}/registrations", json={"branch_id": world.other_group.id}, headers=world.member.headers)
    assert bad.status_code == 422


def test_either_secretary_registers_a_member_directly_and_either_side_ends_it(client: TestClient, world: World) -> None:
    by_home = ok(
        client.post(
            f"{API}/registrations",
            json={"branch_id": world.other_branch.id, "member_id": world.group_leader.member_id},
            headers=world.secretary.headers,
        ),
        201,
    )
    assert by_home["status"] == "active"
    by_community = ok(
        client.post(
            f"{API}/registrations",
            json={"branch_id": world.other_branch.id, "member_id": world.member.member_id},
            headers=world.outsider.headers,
        ),
        201,
    )
    assert by_community["status"] == "active"
    # the community secretary cannot register someone of a third branch they cannot see... nor can a member
    assert (
        client.post(
            f"{API}/registrations",
            json={"branch_id": world.other_branch.id, "member_id": world.secretary.member_id},
            headers=world.member.headers,
        ).status_code
        == 403
    )
    ended = ok(_move(client, world.secretary, by_community, "end"))
    assert ended["status"] == "ended"
    ended = ok(_move(client, world.group_leader, by_home, "end"))
    assert ended["status"] == "ended"


def test_pledge_to_the_community_is_vetted_there_and_the_own_branch_keeps_the_rest(
    client: TestClient, world: World
) -> None:
    reg = _request(client, world)
    body = {
        "title": "每月参加一次社区环境整治",
        "content": "每月第一个周六到社区参加环境卫生整治。",
        "category": "public_service",
    }
    early = client.post(f"{API}/registrations/{reg['id']}/pledges", json=body, headers=world.member.headers)
    assert early.status_code == 409, early.text  # not accepted yet
    ok(_move(client, world.outsider, reg, "accept"))
    # only the member pledges to the community
    assert (
        client.post(f"{API}/registrations/{reg['id']}/pledges", json=body, headers=world.outsider.headers).status_code
        == 403
    )
    pledge = ok(client.post(f"{API}/registrations/{reg['id']}/pledges", json=body, headers=world.member.headers), 201)
    assert pledge["branch_id"] == world.other_branch.id
    own = ok(
        client.post(
            f"{API}/pledges",
            json={"title": "岗位承诺", "content": "做好本职。", "category": "post_duty"},
            headers=world.member.headers,
        ),
        201,
    )
    for pid in (pledge["id"], own["id"]):
        ok(act(client, world.member, pid, "submit"))
    # the community's secretary vets the community pledge; the member's own secretary does not see it
    assert client.get(f"{API}/pledges/{pledge['id']}", headers=world.secretary.headers).status_code == 404
    assert act(client, world.outsider, own["id"], "approve").status_code == 404
    ok(act(client, world.outsider, pledge["id"], "approve"))
    ok(act(client, world.outsider, pledge["id"], "publish"))
    ok(act(client, world.secretary, own["id"], "approve"))
    queue = ok(client.get(f"{API}/pledges?status=submitted", headers=world.outsider.headers))
    assert own["id"] not in [p["id"] for p in queue["items"]]
    # the member sees both in their own list
    mine = ok(client.get(f"{API}/pledges?mine=true", headers=world.member.headers))
    assert {pledge["id"], own["id"]} <= {p["id"] for p in mine["items"]}


def test_the_home_secretary_lists_and_registers_a_member(client: TestClient, world: World) -> None:
    """The secretary's 双报到 screen (MemberRegistration.vue): the communities the member may register in
    (not the member's own branch), the member's registrations, registering them directly (active)."""
    mid = world.member.member_id
    options = ok(client.get(f"{API}/registrations/communities?member_id={mid}", headers=world.secretary.headers))
    ids = {c["id"] for c in options["items"]}
    assert world.other_branch.id in ids
    assert world.branch.id not in ids
    assert ok(client.get(f"{API}/registrations?member_id={mid}", headers=world.secretary.headers))["total"] == 0
    made = ok(
        client.post(
            f"{API}/registrations",
            json={"branch_id": world.other_branch.id, "member_id": mid, "note": "县水务局"},
            headers=world.secretary.headers,
        ),
        201,
    )
    assert made["status"] == "active"
    listed = ok(client.get(f"{API}/registrations?member_id={mid}", headers=world.secretary.headers))
    assert [(r["id"], r["branch_name"], r["status"]) for r in listed["items"]] == [
        (made["id"], world.other_branch.name, "active")
    ]
    assert "end" in listed["items"][0]["allowed_actions"]
    # the other branch's secretary cannot read this member's list (outside their sight)
    hidden = client.get(f"{API}/registrations?member_id={mid}", headers=world.outsider.headers)
    assert hidden.status_code == 404
    assert "未找到" in hidden.json()["detail"]


def test_a_community_pledge_names_its_community(client: TestClient, world: World) -> None:
    reg = _accepted(client, world)
    body = {"title": "每月参加一次社区环境整治", "content": "每月第一个周六到社区。", "category": "public_service"}
    pledge = ok(client.post(f"{API}/registrations/{reg['id']}/pledges", json=body, headers=world.member.headers), 201)
    assert pledge["registration_id"] == reg["id"]
    read = ok(client.get(f"{API}/pledges/{pledge['id']}", headers=world.member.headers))
    assert (read["registration_id"], read["unit_name"]) == (reg["id"], world.other_branch.name)
    own = ok(
        client.post(
            f"{API}/pledges",
            json={"title": "岗位承诺", "content": "做好本职。", "category": "post_duty"},
            headers=world.member.headers,
        ),
        201,
    )
    assert own["registration_id"] is None


def test_the_public_pledge_page_names_the_community(
    client: TestClient,
    world: World,
    db: Session,
) -> None:
    reg = _accepted(client, world)
    body = {"title": "每周到社区值守一次", "content": "每周六上午到社区服务站值守。", "category": "public_service"}
    pledge = ok(client.post(f"{API}/registrations/{reg['id']}/pledges", json=body, headers=world.member.headers), 201)
    ok(act(client, world.member, pledge["id"], "submit"))
    ok(act(client, world.outsider, pledge["id"], "approve"))
    ok(act(client, world.outsider, pledge["id"], "publish"))
    community_secretary = org_service.actor_for(db, world.outsider.account_id or 0)
    board = boards_service.create_board(db, actor=community_secretary, data=BoardCreate(unit_id=world.other_branch.id))
    db.flush()
    page = client.get(f"{board_path(board)}/p/{pledge['id']}").text
    assert f"双报到：向{world.other_branch.name}作的承诺" in page


def test_the_community_list_is_paged_and_for_its_secretaries_only(client: TestClient, world: World) -> None:
    _request(client, world)
    ok(
        client.post(
            f"{API}/registrations",
            json={"branch_id": world.other_branch.id, "member_id": world.group_leader.member_id},
            headers=world.secretary.headers,
        ),
        201,
    )
    page = ok(
        client.get(f"{API}/registrations?branch_id={world.other_branch.id}&size=1", headers=world.outsider.headers)
    )
    assert (page["total"], page["pages"], len(page["items"])) == (2, 2, 1)
    active = ok(
        client.get(
            f"{API}/registrations?branch_id={world.other_branch.id}&status=active", headers=world.outsider.headers
        )
    )
    assert [r["member_name"] for r in active["items"]] == ["组长"]
    town = ok(client.get(f"{API}/registrations?branch_id={world.town.id}", headers=world.committee_admin.headers))
    assert town["total"] == 2
    communities = ok(client.get(f"{API}/registrations/communities", headers=world.member.headers))
    names = [c["name"] for c in communities["items"]]
    assert world.other_branch.name in names
    assert world.branch.name not in names


def _reg_id(w: World, status: str = "requested") -> int:
    """A registration of the member in other_branch, made through the service as the member."""
    from app.core.permissions import SYSTEM
    from app.members import registration
    from app.members.models_registration import RegistrationStatus
    from app.members.schemas_registration import RegistrationCreate

    assert w.db is not None
    assert w.member.member_id is not None
    located = registration.create(
        w.db,
        actor=SYSTEM,
        data=RegistrationCreate(branch_id=w.other_branch.id or 0, member_id=w.member.member_id),
    )
    if status == "requested":
        located.registration.status = RegistrationStatus.requested
        w.db.add(located.registration)
        w.db.flush()
    return int(located.registration.id or 0)


REG = "/registrations"
CASES = [
    Case(
        "GET",
        lambda w: f"{API}{REG}/communities",
        name="GET /registrations/communities",
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor", "outsider"],
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}{REG}",
        name="GET /registrations (mine)",
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor", "outsider"],
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}{REG}?branch_id={w.other_branch.id}",
        name="GET /registrations?branch_id (community)",
        allowed=["committee_admin", "outsider"],
        hidden_404=["secretary", "group_leader", "member", "supervisor"],
    ),
    Case(
        "GET",
        lambda w: f"{API}{REG}?member_id={w.member.member_id}",
        name="GET /registrations?member_id (the member's, for their secretary)",
        allowed=["committee_admin", "secretary", "member"],
        denied_403=["group_leader", "supervisor"],
        hidden_404=["outsider"],
    ),
    Case(
        "GET",
        lambda w: f"{API}{REG}/communities?member_id={w.member.member_id}",
        name="GET /registrations/communities?member_id",
        allowed=["committee_admin", "secretary", "member"],
        denied_403=["group_leader", "supervisor"],
        hidden_404=["outsider"],
    ),
    Case(
        "POST",
        lambda w: f"{API}{REG}",
        name="POST /registrations (for the member)",
        allowed=["committee_admin", "secretary", "outsider", "member"],
        denied_403=["group_leader", "supervisor"],
        hidden_404=(),
        body_factory=lambda w: {"branch_id": w.other_branch.id, "member_id": w.member.member_id},
        expect=201,
    ),
    Case(
        "GET",
        lambda w: f"{API}{REG}/{_reg_id(w)}",
        name="GET /registrations/{id}",
        allowed=["committee_admin", "secretary", "member", "outsider"],
        hidden_404=["group_leader", "supervisor"],
    ),
    Case(
        "POST",
        lambda w: f"{API}{REG}/{_reg_id(w)}/accept",
        name="POST /registrations/{id}/accept",
        allowed=["committee_admin", "outsider"],
        denied_403=["secretary", "member"],
        hidden_404=["group_leader", "supervisor"],
        headers_factory=lambda w: {"If-Match": '"1"'},
    ),
    Case(
        "POST",
        lambda w: f"{API}{REG}/{_reg_id(w)}/withdraw",
        name="POST /registrations/{id}/withdraw",
        allowed=["member"],
        denied_403=["committee_admin", "outsider", "secretary"],
        hidden_404=["group_leader", "supervisor"],
        headers_factory=lambda w: {"If-Match": '"1"'},
    ),
    Case(
        "POST",
        lambda w: f"{API}{REG}/{_reg_id(w, 'active')}/end",
        name="POST /registrations/{id}/end",
        allowed=["committee_admin", "outsider", "secretary", "member"],
        hidden_404=["group_leader", "supervisor"],
        headers_factory=lambda w: {"If-Match": '"1"'},
    ),
    Case(
        "POST",
        lambda w: f"{API}{REG}/{_reg_id(w, 'active')}/pledges",
        name="POST /registrations/{id}/pledges",
        allowed=["member"],
        denied_403=["committee_admin", "outsider", "secretary"],
        hidden_404=["group_leader", "supervisor"],
        body_factory=lambda w: {"title": "社区服务", "content": "每月一次。", "category": "public_service"},
        expect=201,
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
