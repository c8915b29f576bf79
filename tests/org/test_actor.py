"""org's services with the SYSTEM actor and with an actor holding no grant; the one scope helper."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.core.errors import Forbidden, NotFound
from app.core.pagination import PageParams
from app.core.permissions import ROOT_PATH, SYSTEM, Actor, Permission, Role
from app.org import service as org_service
from app.org.models import UnitKind
from tests.factories import World, create_member, create_unit

NOBODY = Actor(account_id=1)  # a signed-in account without any grant


def test_system_creates_units_and_grants_recording_no_account(db: Session, world: World) -> None:
    unit = org_service.create_unit(db, actor=SYSTEM, kind=UnitKind.group, name="新小组", parent_id=world.branch.id or 0)
    assert unit.path == f"{world.branch.path}{unit.id}/"
    grant = org_service.grant_role(
        db, actor=SYSTEM, account_id=world.member.account_id or 0, role=Role.group_leader, unit_id=unit.id or 0
    )
    assert grant.granted_by_account_id is None  # done by 系统, not by an account


def test_an_actor_without_grants_creates_and_grants_nothing(db: Session, world: World) -> None:
    """Where `actor=None` used to skip every check, an actor of its own is checked like anyone."""
    with pytest.raises(NotFound):
        org_service.create_unit(db, actor=NOBODY, kind=UnitKind.group, name="越权", parent_id=world.branch.id or 0)
    for role in Role:
        with pytest.raises(NotFound):
            org_service.grant_role(
                db, actor=NOBODY, account_id=world.member.account_id or 0, role=role, unit_id=world.branch.id or 0
            )


def test_a_grant_records_who_gave_it(db: Session, world: World) -> None:
    admin = org_service.actor_for(db, world.committee_admin.account_id or 0)
    grant = org_service.grant_role(
        db, actor=admin, account_id=world.member.account_id or 0, role=Role.supervisor, unit_id=world.branch.id or 0
    )
    assert grant.granted_by_account_id == world.committee_admin.account_id


def test_the_scope_of_system_is_the_whole_tree(db: Session, world: World) -> None:
    assert org_service.scope_for(db, SYSTEM, Permission.grant_read) == [ROOT_PATH]
    assert org_service.scope_for(db, SYSTEM, Permission.member_read, world.other_group.id) == [world.other_group.path]
    top = org_service.tree(db, SYSTEM)
    assert [node.id for node in top] == [world.town.id]
    grants = org_service.list_grants(db, actor=SYSTEM, params=PageParams(page=1, size=100))
    assert grants.total == org_service.list_grants(db, actor=_admin(db, world), params=PageParams()).total
    assert grants.total >= 11  # every persona's member grant and role


def test_the_scope_of_an_actor_without_grants_is_nothing(db: Session, world: World) -> None:
    with pytest.raises(Forbidden) as refused:
        org_service.scope_for(db, NOBODY, Permission.grant_read)
    assert refused.value.code == "forbidden.grant.read"
    with pytest.raises(NotFound):
        org_service.scope_for(db, NOBODY, Permission.grant_read, world.branch.id)
    assert org_service.scope_for(db, NOBODY, Permission.unit_read, empty_ok=True) == []
    assert org_service.tree(db, NOBODY) == []  # the tree is empty, not refused


def test_scope_for_one_unit_is_404_outside_and_403_without_the_permission(db: Session, world: World) -> None:
    member = org_service.actor_for(db, world.member.account_id or 0)
    with pytest.raises(NotFound):
        org_service.scope_for(db, member, Permission.member_read, world.other_branch.id)
    with pytest.raises(Forbidden):
        org_service.scope_for(db, member, Permission.grant_read, world.branch.id)
    assert org_service.scope_for(db, member, Permission.member_read, world.group.id) == [world.group.path]


def test_system_sees_every_unit_and_an_actor_without_grants_none(db: Session, world: World) -> None:
    branch = create_unit(db, kind=UnitKind.branch, name="新支部", parent=world.town)
    create_member(db, branch=branch, name="新党员")
    assert org_service.visible_unit(db, SYSTEM, branch.id or 0).id == branch.id
    with pytest.raises(NotFound):
        org_service.visible_unit(db, NOBODY, branch.id or 0)


def _admin(db: Session, world: World) -> Actor:
    return org_service.actor_for(db, world.committee_admin.account_id or 0)


def test_none_is_no_actor(db: Session, world: World) -> None:
    """`actor=None` no longer means "skip the checks": it fails before anything is written."""
    before = org_service.list_grants(db, actor=SYSTEM, params=PageParams(size=100)).total
    with pytest.raises(AttributeError):
        org_service.grant_role(
            db,
            actor=None,  # type: ignore[arg-type]
            account_id=world.member.account_id or 0,
            role=Role.committee_admin,
            unit_id=world.town.id or 0,
        )
    with pytest.raises(AttributeError):
        org_service.create_unit(db, actor=None, kind=UnitKind.group, name="无主", parent_id=world.branch.id or 0)  # type: ignore[arg-type]
    assert org_service.list_grants(db, actor=SYSTEM, params=PageParams(size=100)).total == before
