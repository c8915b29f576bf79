"""The actor carries the member: `members.dependencies.ActorDep` on every route from members up;
members' services with the SYSTEM actor and with an actor holding no grant."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.core.errors import NotFound
from app.core.pagination import PageParams
from app.core.permissions import SYSTEM, Actor, Role
from app.core.security import create_access_token
from app.members import dependencies as members_dependencies
from app.members import service as members_service
from app.members.models import MemberStatus
from app.members.schemas import MemberCreate
from app.org import dependencies as org_dependencies
from app.org import service as org_service
from app.org.models import RoleGrant
from tests.factories import World, create_member, next_phone, password_hash

NOBODY = Actor(account_id=1)  # a signed-in account without any grant


# ---------------------------------------------------------------- the actor of a request


@pytest.fixture
def probe(db: Session) -> Iterator[TestClient]:
    """A bare app with one route taking the members-level actor, on the test database."""
    app = FastAPI()

    @app.get("/probe")
    def who(actor: members_dependencies.ActorDep) -> dict[str, Any]:
        return {"account_id": actor.account_id, "member_id": actor.member_id, "grants": len(actor.grants)}

    with TestClient(app) as client:
        yield client


def test_the_actor_carries_the_member(probe: TestClient, world: World) -> None:
    for persona in (world.member, world.secretary, world.committee_admin, world.outsider):
        body = probe.get("/probe", headers=persona.headers).json()
        assert body["account_id"] == persona.account_id
        assert body["member_id"] == persona.member_id
        assert body["grants"] >= 1


def test_a_member_off_the_roll_acts_as_no_member(probe: TestClient, db: Session, world: World) -> None:
    member = members_service.get_member(db, world.member.member_id or 0)
    member.status = MemberStatus.inactive  # the account itself is left enabled here
    db.add(member)
    db.flush()
    assert probe.get("/probe", headers=world.member.headers).json()["member_id"] is None


def test_an_account_without_a_member_has_no_member_id(probe: TestClient, db: Session, world: World) -> None:
    account = auth_service.create_account(
        db, phone=next_phone(), display_name="管理员", password_hash=password_hash(), must_change_password=False
    )
    org_service.grant_role(
        db, actor=SYSTEM, account_id=account.id or 0, role=Role.committee_admin, unit_id=world.town.id or 0
    )
    token = create_access_token(account.id or 0, account.token_version)
    body = probe.get("/probe", headers={"Authorization": f"Bearer {token}"}).json()
    assert body == {"account_id": account.id, "member_id": None, "grants": 1}


def _calls(dependant: Any) -> set[Any]:
    out = set()
    for sub in dependant.dependencies:
        out.add(sub.call)
        out |= _calls(sub)
    return out


# Routes of the packages whose owners still take org's actor (grants only): to leave this list once
# they take members.dependencies.ActorDep.
NOT_YET = ("app.boards.", "app.ratings.")


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "app", None)  # included, mounted
        if inner is not None and hasattr(inner, "routes"):
            yield from _api_routes(inner.routes)


def test_every_route_above_org_takes_the_actor_with_the_member(app_instance: FastAPI) -> None:
    """org's own routes take org's actor (org knows no members); every other route that builds an
    actor builds it through members.dependencies.current_actor."""
    checked = []
    for route in _api_routes(app_instance.routes):
        calls = _calls(route.dependant)
        module = route.endpoint.__module__ + "."
        if org_dependencies.current_actor not in calls or module.startswith(("app.org.", *NOT_YET)):
            continue
        checked.append(f"{sorted(route.methods)} {route.path}")
        assert members_dependencies.current_actor in calls, f"{route.path}: the actor lacks the member"
    assert len(checked) >= 15  # the members and evaluations routes, at least


# ---------------------------------------------------------------- services and the SYSTEM actor


def test_an_actor_without_grants_registers_and_opens_nothing(db: Session, world: World) -> None:
    """Where `actor=None` used to skip every check, an actor of its own is checked like anyone."""
    with pytest.raises(NotFound):
        members_service.create_member(db, actor=NOBODY, data=MemberCreate(name="越权", branch_id=world.branch.id or 0))
    member = create_member(db, branch=world.branch, name="待开通")
    with pytest.raises(NotFound):
        members_service.open_account(db, actor=NOBODY, member=member, password_hash=password_hash())
    assert member.account_id is None


def test_system_registers_a_member_and_opens_the_account(db: Session, world: World) -> None:
    member = members_service.create_member(
        db, actor=SYSTEM, data=MemberCreate(name="系统登记", branch_id=world.other_branch.id or 0, phone=next_phone())
    )
    members_service.open_account(db, actor=SYSTEM, member=member, password_hash=password_hash())
    grants = db.execute(select(RoleGrant).where(col(RoleGrant.account_id) == member.account_id)).scalars().all()
    assert [(g.role, g.unit_id, g.granted_by_account_id) for g in grants] == [
        (Role.member, world.other_branch.id, None)
    ]


def test_system_lists_every_member_with_phones(db: Session, world: World) -> None:
    page = members_service.list_members(db, actor=SYSTEM, params=PageParams(size=100))
    assert page.total == 6  # the world's personas, in three branches
    assert all(m.phone for m in page.items)


def test_a_secretary_sees_phones_in_their_branch_only(db: Session, world: World) -> None:
    secretary = org_service.actor_for(db, world.secretary.account_id or 0)
    other = create_member(db, branch=world.other_branch, name="邻支部")
    admin = org_service.actor_for(db, world.committee_admin.account_id or 0)
    page = members_service.list_members(db, actor=admin, params=PageParams(size=100))
    phones = {m.id: m.phone for m in page.items}
    assert phones[other.id] is not None
    page = members_service.list_members(db, actor=secretary, params=PageParams(size=100))
    shown = {m.id: m.phone is not None for m in page.items}
    assert other.id not in shown
    assert shown[world.member.member_id] is True


def test_none_is_no_actor(db: Session, world: World) -> None:
    """`actor=None` no longer means "skip the checks": it fails before anything is written."""
    member = create_member(db, branch=world.branch, name="待开通")
    with pytest.raises(AttributeError):
        members_service.open_account(db, actor=None, member=member, password_hash=password_hash())  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        members_service.create_member(db, actor=None, data=MemberCreate(name="无主", branch_id=world.branch.id or 0))  # type: ignore[arg-type]
    assert member.account_id is None
