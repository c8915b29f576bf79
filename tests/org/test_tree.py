"""The org tree: create, rename, move (never under itself), archive; subtree queries are exact."""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import Conflict
from app.core.permissions import SYSTEM, Actor, Grant, Role
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from tests.factories import World, create_unit

UNITS = "/api/v1/units"


def _flatten(nodes: list[dict[str, Any]], depth: int = 0) -> list[tuple[int, str]]:
    out = []
    for node in nodes:
        out.append((depth, node["name"]))
        out += _flatten(node["children"], depth + 1)
    return out


def _admin_actor(world: World) -> Actor:
    assert world.db is not None
    assert world.committee_admin.account_id is not None
    return org_service.actor_for(world.db, world.committee_admin.account_id)


# ---------------------------------------------------------------- reading


def test_tree_for_the_committee_admin(client: TestClient, world: World) -> None:
    tree = client.get(UNITS, headers=world.committee_admin.headers).json()
    assert len(tree) == 1
    assert _flatten(tree) == [
        (0, "测试镇党委"),
        (1, "大洼社区党支部"),
        (2, "司山党小组"),
        (1, "花车村党支部"),
        (2, "花车党小组"),
        (1, "机关党支部"),
    ]
    assert tree[0]["kind"] == "committee"
    assert tree[0]["path"] == f"/{world.town.id}/"


@pytest.mark.parametrize("persona", ["secretary", "group_leader", "member", "supervisor"])
def test_tree_within_the_branch(client: TestClient, world: World, persona: str) -> None:
    tree = client.get(UNITS, headers=getattr(world, persona).headers).json()
    assert _flatten(tree) == [(0, "大洼社区党支部"), (1, "司山党小组")]


def test_tree_for_another_branch(client: TestClient, world: World) -> None:
    tree = client.get(UNITS, headers=world.outsider.headers).json()
    assert _flatten(tree) == [(0, "花车村党支部"), (1, "花车党小组")]


def test_tree_from_a_root(client: TestClient, world: World) -> None:
    tree = client.get(f"{UNITS}?root_id={world.branch.id}", headers=world.committee_admin.headers).json()
    assert _flatten(tree) == [(0, "大洼社区党支部"), (1, "司山党小组")]
    hidden = client.get(f"{UNITS}?root_id={world.town.id}", headers=world.secretary.headers)
    assert hidden.status_code == 404


def _nodes(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for node in nodes for n in (node, *_nodes(node["children"]))]


def test_each_unit_says_what_the_caller_may_do_to_it(client: TestClient, world: World) -> None:
    """The org editor shows only what the server allows (org.editing): what is offered succeeds, what
    is not is refused by the same rules."""
    h = world.committee_admin.headers
    by_name = {n["name"]: n for n in _nodes(client.get(UNITS, headers=h).json())}
    town, branch, group = by_name["测试镇党委"], by_name["大洼社区党支部"], by_name["司山党小组"]
    assert (town["allowed_actions"], town["parent_kinds"]) == (["create", "rename"], [])
    assert town["child_kinds"] == ["branch", "general_branch", "committee"]
    assert branch["allowed_actions"] == ["create", "rename", "move"]  # its group first, then archive
    assert (branch["child_kinds"], branch["parent_kinds"]) == (["group"], ["committee", "general_branch"])
    assert (group["allowed_actions"], group["child_kinds"], group["parent_kinds"]) == (["rename", "archive"], [], [])
    assert by_name["机关党支部"]["allowed_actions"] == ["create", "rename", "move", "archive"]

    refused = client.post(f"{UNITS}/{branch['id']}/archive", headers=h)
    assert (refused.status_code, refused.json()["code"]) == (409, "unit_has_children")
    assert client.post(f"{UNITS}/{by_name['机关党支部']['id']}/archive", headers=h).status_code == 200
    for persona in ("secretary", "group_leader", "member", "supervisor", "outsider"):
        for node in _nodes(client.get(UNITS, headers=getattr(world, persona).headers).json()):
            assert (node["allowed_actions"], node["child_kinds"], node["parent_kinds"]) == ([], [], []), persona


def test_tree_follows_sort_order(client: TestClient, world: World, db: Session) -> None:
    for name, order in (("丙组", 3), ("甲组", 1), ("乙组", 2)):
        unit = create_unit(db, kind=UnitKind.group, name=name, parent=world.other_branch)
        unit.sort_order = order
    db.flush()
    tree = client.get(f"{UNITS}?root_id={world.other_branch.id}", headers=world.outsider.headers).json()
    assert [c["name"] for c in tree[0]["children"]] == ["花车党小组", "甲组", "乙组", "丙组"]


def test_read_one_unit(client: TestClient, world: World) -> None:
    body = client.get(f"{UNITS}/{world.group.id}", headers=world.member.headers).json()
    assert body["name"] == "司山党小组"
    assert body["parent_id"] == world.branch.id
    assert body["archived"] is False
    assert client.get(f"{UNITS}/999999", headers=world.committee_admin.headers).status_code == 404


# ---------------------------------------------------------------- creating and renaming


def test_create_a_group(client: TestClient, world: World) -> None:
    response = client.post(
        UNITS,
        headers=world.committee_admin.headers,
        json={"kind": "group", "name": "  新屋党小组 ", "parent_id": world.branch.id, "sort_order": 5},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "新屋党小组"
    assert body["path"] == f"{world.branch.path}{body['id']}/"
    # the branch's secretary sees it at once
    tree = client.get(UNITS, headers=world.secretary.headers).json()
    assert "新屋党小组" in [c["name"] for c in tree[0]["children"]]


@pytest.mark.parametrize(
    ("kind", "parent", "code"),
    [
        ("group", "town", "unit_bad_parent"),
        ("branch", "branch", "unit_bad_parent"),
        ("general_branch", "branch", "unit_bad_parent"),
        ("group", "group", "unit_bad_parent"),
        ("committee", "branch", "unit_bad_parent"),
    ],
)
def test_create_checks_the_kind_of_parent(client: TestClient, world: World, kind: str, parent: str, code: str) -> None:
    response = client.post(
        UNITS,
        headers=world.committee_admin.headers,
        json={"kind": kind, "name": "新组织", "parent_id": getattr(world, parent).id},
    )
    assert response.status_code == 409
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "group", "name": "", "parent_id": 1},
        {"kind": "group", "name": "  ", "parent_id": 1},
        {"kind": "group", "name": "长" * 61, "parent_id": 1},
        {"kind": "village", "name": "某村", "parent_id": 1},
        {"kind": "group", "name": "某组"},
        {"kind": "group", "name": "某组", "parent_id": 1, "id": 99},
        {"kind": "group", "name": "某组", "parent_id": 1, "sort_order": -1},
    ],
)
def test_create_validates_the_body(client: TestClient, world: World, body: dict[str, Any]) -> None:
    response = client.post(UNITS, headers=world.committee_admin.headers, json=body)
    assert response.status_code == 422
    assert response.json()["errors"]


def test_create_under_a_missing_parent(client: TestClient, world: World) -> None:
    response = client.post(
        UNITS, headers=world.committee_admin.headers, json={"kind": "group", "name": "某组", "parent_id": 999999}
    )
    assert response.status_code == 404


def test_rename_and_reorder(client: TestClient, world: World) -> None:
    response = client.patch(
        f"{UNITS}/{world.branch.id}", headers=world.committee_admin.headers, json={"name": "大洼社区第一党支部"}
    )
    assert response.status_code == 200
    assert response.json()["name"] == "大洼社区第一党支部"
    assert response.json()["sort_order"] == 0
    response = client.patch(f"{UNITS}/{world.branch.id}", headers=world.committee_admin.headers, json={"sort_order": 7})
    assert response.json()["name"] == "大洼社区第一党支部"
    assert response.json()["sort_order"] == 7
    assert (
        client.patch(f"{UNITS}/{world.branch.id}", headers=world.committee_admin.headers, json={"name": ""}).status_code
        == 422
    )
    assert (
        client.patch(
            f"{UNITS}/{world.branch.id}", headers=world.committee_admin.headers, json={"kind": "group"}
        ).status_code
        == 422
    )


# ---------------------------------------------------------------- moving


def test_move_a_branch_with_its_subtree(client: TestClient, world: World, db: Session) -> None:
    general = create_unit(db, kind=UnitKind.general_branch, name="机关党总支", parent=world.town)
    response = client.post(
        f"{UNITS}/{world.branch.id}/move", headers=world.committee_admin.headers, json={"parent_id": general.id}
    )
    assert response.status_code == 200, response.text
    assert response.json()["parent_id"] == general.id
    assert response.json()["path"] == f"/{world.town.id}/{general.id}/{world.branch.id}/"
    db.expire_all()
    group = db.get(OrgUnit, world.group.id)
    assert group is not None
    assert group.path == f"/{world.town.id}/{general.id}/{world.branch.id}/{world.group.id}/"
    # the secretary's grant moved with the branch: they still see it all
    tree = client.get(UNITS, headers=world.secretary.headers).json()
    assert _flatten(tree) == [(0, "大洼社区党支部"), (1, "司山党小组")]


def test_a_unit_cannot_move_under_itself(client: TestClient, world: World) -> None:
    response = client.post(
        f"{UNITS}/{world.town.id}/move", headers=world.committee_admin.headers, json={"parent_id": world.town.id}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "unit_cycle"


def test_a_unit_cannot_become_its_own_ancestor(client: TestClient, world: World, db: Session) -> None:
    sub = create_unit(db, kind=UnitKind.committee, name="片区党委", parent=world.town)
    deeper = create_unit(db, kind=UnitKind.committee, name="更深的党委", parent=sub)
    for target in (sub, deeper):
        response = client.post(
            f"{UNITS}/{world.town.id}/move", headers=world.committee_admin.headers, json={"parent_id": target.id}
        )
        assert response.status_code == 409
        assert response.json()["code"] == "unit_cycle"
    response = client.post(
        f"{UNITS}/{sub.id}/move", headers=world.committee_admin.headers, json={"parent_id": deeper.id}
    )
    assert response.json()["code"] == "unit_cycle"
    # nothing changed
    db.expire_all()
    assert [u.path for u in org_service.subtree(db, world.town)][:1] == [f"/{world.town.id}/"]


def test_move_checks_the_kind_of_parent(client: TestClient, world: World) -> None:
    response = client.post(
        f"{UNITS}/{world.branch.id}/move",
        headers=world.committee_admin.headers,
        json={"parent_id": world.other_branch.id},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "unit_bad_parent"


def test_a_group_stays_in_its_branch(client: TestClient, world: World) -> None:
    response = client.post(
        f"{UNITS}/{world.group.id}/move",
        headers=world.committee_admin.headers,
        json={"parent_id": world.other_branch.id},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "unit_group_move"


def test_move_under_an_invisible_parent_is_404(client: TestClient, world: World, db: Session) -> None:
    # an admin of one sub-committee cannot move things into another's
    a = create_unit(db, kind=UnitKind.committee, name="甲片区", parent=world.town)
    b = create_unit(db, kind=UnitKind.committee, name="乙片区", parent=world.town)
    branch = create_unit(db, kind=UnitKind.branch, name="甲片区支部", parent=a)
    assert world.member.account_id is not None
    org_service.grant_role(
        db, actor=SYSTEM, account_id=world.member.account_id, role=Role.committee_admin, unit_id=a.id or 0
    )
    response = client.post(f"{UNITS}/{branch.id}/move", headers=world.member.headers, json={"parent_id": b.id})
    assert response.status_code == 404


# ---------------------------------------------------------------- archiving


def test_archive_a_group(client: TestClient, world: World) -> None:
    response = client.post(f"{UNITS}/{world.group.id}/archive", headers=world.committee_admin.headers)
    assert response.status_code == 200
    assert response.json()["archived"] is True
    tree = client.get(UNITS, headers=world.secretary.headers).json()
    assert _flatten(tree) == [(0, "大洼社区党支部")]
    with_archived = client.get(f"{UNITS}?include_archived=true", headers=world.secretary.headers).json()
    assert _flatten(with_archived) == [(0, "大洼社区党支部"), (1, "司山党小组")]
    # history stays readable, and archiving twice is harmless
    assert client.get(f"{UNITS}/{world.group.id}", headers=world.secretary.headers).json()["archived"] is True
    assert client.post(f"{UNITS}/{world.group.id}/archive", headers=world.committee_admin.headers).status_code == 200
    # nothing new goes under an archived unit
    response = client.post(
        UNITS, headers=world.committee_admin.headers, json={"kind": "group", "name": "x组", "parent_id": world.group.id}
    )
    assert response.status_code == 409


def test_archive_needs_the_children_gone_first(client: TestClient, world: World) -> None:
    response = client.post(f"{UNITS}/{world.branch.id}/archive", headers=world.committee_admin.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "unit_has_children"
    client.post(f"{UNITS}/{world.group.id}/archive", headers=world.committee_admin.headers)
    assert client.post(f"{UNITS}/{world.branch.id}/archive", headers=world.committee_admin.headers).status_code == 200


def test_the_root_cannot_be_archived(client: TestClient, world: World) -> None:
    response = client.post(f"{UNITS}/{world.town.id}/archive", headers=world.committee_admin.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "unit_root"


def test_nothing_moves_under_an_archived_unit(client: TestClient, world: World, db: Session) -> None:
    general = create_unit(db, kind=UnitKind.general_branch, name="旧党总支", parent=world.town)
    client.post(f"{UNITS}/{general.id}/archive", headers=world.committee_admin.headers)
    response = client.post(
        f"{UNITS}/{world.branch.id}/move", headers=world.committee_admin.headers, json={"parent_id": general.id}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "unit_parent_archived"


# ---------------------------------------------------------------- subtree queries


def _reference_subtree(units: dict[int, OrgUnit], root: int) -> set[int]:
    """The subtree by walking parent links, independent of the materialised paths."""
    out = set()
    for unit_id in units:
        cursor: int | None = unit_id
        while cursor is not None:
            if cursor == root:
                out.add(unit_id)
                break
            cursor = units[cursor].parent_id
    return out


def _check_paths_and_subtrees(db: Session) -> None:
    db.expire_all()
    units = {u.id: u for u in db.execute(select(OrgUnit)).scalars() if u.id is not None}
    for unit in units.values():
        parent_path = units[unit.parent_id].path if unit.parent_id else "/"
        assert unit.path == f"{parent_path}{unit.id}/"
    for unit_id, unit in units.items():
        got = {u.id for u in org_service.subtree(db, unit, include_archived=True)}
        assert got == _reference_subtree(units, unit_id), unit.name
        via_ids = set(db.execute(org_service.subtree_ids([unit.path])).scalars())
        assert via_ids == got


def test_subtree_queries_are_exact(db: Session, world: World) -> None:
    """Ids that are prefixes of each other: "/1/5/" must not match "/1/51/"."""
    base = max(u.id for u in db.execute(select(OrgUnit)).scalars() if u.id is not None) + 1000
    for unit_id in (base, base * 10 + 1, base * 100 + 12):
        db.add(
            OrgUnit(
                id=unit_id,
                kind=UnitKind.branch,
                name=f"支部{unit_id}",
                parent_id=world.town.id,
                path=f"{world.town.path}{unit_id}/",
            )
        )
    db.flush()
    for unit_id in (base, base * 10 + 1, base * 100 + 12):
        create_unit(db, kind=UnitKind.group, name="小组", parent=db.get(OrgUnit, unit_id))
    _check_paths_and_subtrees(db)
    prefix_unit = db.get(OrgUnit, base)
    assert prefix_unit is not None
    assert len(org_service.subtree(db, prefix_unit)) == 2


def test_random_moves_keep_paths_consistent(db: Session, world: World) -> None:
    rng = random.Random(2026)
    actor = _admin_actor(world)
    committees = [world.town]
    for i in range(4):
        committees.append(create_unit(db, kind=UnitKind.committee, name=f"片区{i}", parent=rng.choice(committees)))
    generals = [
        create_unit(db, kind=UnitKind.general_branch, name=f"总支{i}", parent=rng.choice(committees)) for i in range(3)
    ]
    branches = [
        create_unit(db, kind=UnitKind.branch, name=f"支部{i}", parent=rng.choice(committees + generals))
        for i in range(8)
    ]
    for i in range(10):
        create_unit(db, kind=UnitKind.group, name=f"小组{i}", parent=rng.choice(branches))
    _check_paths_and_subtrees(db)
    moved = 0
    refusals: set[str] = set()
    for _ in range(40):
        unit = rng.choice(committees[1:] + generals + branches)
        db.refresh(unit)
        target = rng.choice(committees + generals)
        db.refresh(target)
        try:
            org_service.move_unit(db, actor=actor, unit=unit, parent_id=target.id)  # type: ignore[arg-type]
            moved += 1
        except Conflict as exc:  # cycles and wrong kinds are refused
            refusals.add(exc.code)
        _check_paths_and_subtrees(db)
    assert moved > 10
    assert refusals
    assert refusals <= {"unit_cycle", "unit_bad_parent"}


def test_actor_scope_and_require() -> None:
    from app.core.errors import Forbidden, NotFound
    from app.core.permissions import Permission, require

    actor = Actor(account_id=1, grants=(Grant(Role.secretary, 2, "/1/2/"), Grant(Role.member, 23, "/1/23/")))
    assert actor.can_see("/1/2/5/")
    assert not actor.can_see("/1/")
    assert actor.scope_paths() == ["/1/2/", "/1/23/"]
    assert actor.scope_paths(Permission.member_manage) == ["/1/2/"]
    require(actor, Permission.member_manage, "/1/2/5/")
    with pytest.raises(Forbidden):
        require(actor, Permission.member_manage, "/1/23/")
    with pytest.raises(NotFound):
        require(actor, Permission.member_read, "/1/3/")
    nested = Actor(account_id=1, grants=(Grant(Role.member, 2, "/1/2/"), Grant(Role.committee_admin, 1, "/1/")))
    assert nested.scope_paths() == ["/1/"]


def _versions(db: Session, *units: OrgUnit) -> list[int]:
    return [org_service.content_version(db, u.id) for u in units]  # type: ignore[arg-type]


def test_touch_bumps_the_group_and_its_branch_never_the_committee_above(db: Session, world: World) -> None:
    units = (world.town, world.branch, world.group, world.other_branch)
    before = _versions(db, *units)
    org_service.touch(db, [world.group.id])
    town, branch, group, other_branch = (a - b for a, b in zip(_versions(db, *units), before, strict=True))
    assert (town, branch, group, other_branch) == (0, 1, 1, 0)
    org_service.touch(db, [world.other_branch.id, None])
    town, branch, group, other_branch = (a - b for a, b in zip(_versions(db, *units), before, strict=True))
    assert (town, branch, group, other_branch) == (0, 1, 1, 1)
    # touched itself (a change to its own collective pledges, shown on its board: issue 13), it moves
    org_service.touch(db, [world.town.id])
    town, branch, group, other_branch = (a - b for a, b in zip(_versions(db, *units), before, strict=True))
    assert (town, branch, group, other_branch) == (1, 1, 1, 1)


def test_a_general_branch_is_not_bumped_either(db: Session, world: World) -> None:
    general = create_unit(db, kind=UnitKind.general_branch, name="总支", parent=world.town)
    branch = create_unit(db, kind=UnitKind.branch, name="下属支部", parent=general)
    group = create_unit(db, kind=UnitKind.group, name="下属小组", parent=branch)
    before = _versions(db, world.town, general, branch, group)
    org_service.touch(db, [group.id])
    after = _versions(db, world.town, general, branch, group)
    assert [a - b for a, b in zip(after, before, strict=True)] == [0, 0, 1, 1]


def test_touch_locks_rows_in_id_order(db: Session, world: World, query_counter: list[str]) -> None:
    org_service.touch(db, [world.other_group.id, world.group.id])
    locking = [s for s in query_counter if "FOR UPDATE" in s.upper()]
    if db.get_bind().dialect.name == "postgresql":
        assert len(locking) == 1
        assert "ORDER BY org_unit.id" in locking[0]


@pytest.mark.parametrize("action", ["rename", "move", "archive"])
def test_tree_changes_bump_every_board_below(client: TestClient, world: World, db: Session, action: str) -> None:
    """A group's board shows its branch's name: renaming, moving or archiving the branch makes it stale."""
    admin = world.committee_admin.headers
    general = create_unit(db, kind=UnitKind.general_branch, name="总支", parent=world.town)
    empty_group = create_unit(db, kind=UnitKind.group, name="空小组", parent=world.other_branch)
    watched = (world.branch, world.group, world.other_branch, world.town)
    before = _versions(db, *watched)
    if action == "rename":
        r = client.patch(f"{UNITS}/{world.branch.id}", json={"name": "新名字党支部"}, headers=admin)
        changed = (1, 1, 0, 0)
    elif action == "move":
        r = client.post(f"{UNITS}/{world.branch.id}/move", json={"parent_id": general.id}, headers=admin)
        changed = (1, 1, 0, 0)
    else:
        r = client.post(f"{UNITS}/{empty_group.id}/archive", headers=admin)
        changed = (0, 0, 1, 0)  # the archived group's branch; the group itself is checked below
    assert r.status_code == 200, r.text
    db.expire_all()
    after = _versions(db, *watched)
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == changed
    if action == "archive":
        assert org_service.content_version(db, empty_group.id) == 2  # type: ignore[arg-type]


def test_units_are_never_deleted(db: Session, world: World, client: TestClient) -> None:
    client.post(f"{UNITS}/{world.group.id}/archive", headers=world.committee_admin.headers)
    assert db.execute(select(col(OrgUnit.id)).where(col(OrgUnit.id) == world.group.id)).scalar_one() == world.group.id
