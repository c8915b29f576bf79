"""双报到 routes (app/members/registration.py): a member asks to register in a community branch, the
community's secretary accepts or declines, either secretary registers a member directly, the community
lists who registered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from app.core.db import SessionDep
from app.core.errors import PreconditionFailed, PreconditionRequired
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.members import registration
from app.members.dependencies import ActorDep
from app.members.models_registration import RegistrationStatus
from app.members.registration import Action
from app.members.schemas_registration import CommunityOption, RegistrationCreate, RegistrationMove, RegistrationRead

router = APIRouter(tags=["members"])


def if_match(
    if_match: Annotated[str | None, Header(alias="If-Match", description='报到记录的版本号（如 "2"）')] = None,
) -> int:
    """The version the client last saw: 428 when missing, 412 when not a version of ours."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired()
    text = if_match.strip().removeprefix("W/").strip().strip('"')
    if not text.isdigit() or len(text) > 9:
        raise PreconditionFailed("If-Match 版本号格式不正确，请刷新后重试", code="stale_version")
    return int(text)


IfMatchDep = Annotated[int, Depends(if_match)]


@router.get("/registrations/communities", response_model=Page[CommunityOption])
def list_communities(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    q: Annotated[str | None, Query(max_length=40, description="按名称搜索")] = None,
    member_id: Annotated[Id | None, Query(description="书记为本支部党员登记时：该党员可以报到的支部")] = None,
) -> Page[CommunityOption]:
    """可以报到的社区（村）党支部（本人或所给党员所在支部除外）。"""
    return registration.communities(session, actor=actor, params=paging, q=q, member_id=member_id)


@router.get("/registrations", response_model=Page[RegistrationRead])
def list_registrations(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    branch_id: Id | None = None,
    member_id: Id | None = None,
    status: RegistrationStatus | None = None,
) -> Page[RegistrationRead]:
    """给出 branch_id：在该社区报到的党员（社区书记、党委）；给出 member_id：该党员的报到记录（其所在支部的书记）；
    都不给：本人的报到记录。"""
    return registration.list_registrations(
        session, actor=actor, params=paging, branch_id=branch_id, member_id=member_id, status=status
    )


@router.post("/registrations", response_model=RegistrationRead, status_code=201)
def create_registration(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: RegistrationCreate
) -> Response:
    """申请到社区报到（待社区书记接收）；书记为党员登记时直接报到。"""
    located = registration.create(session, actor=actor, data=body)
    return idem.respond(session, registration.to_read(actor, located), status_code=201)


@router.get("/registrations/{registration_id}", response_model=RegistrationRead)
def read_registration(session: SessionDep, actor: ActorDep, registration_id: Id) -> RegistrationRead:
    """一条报到记录（本人、两边的支部书记可见）。"""
    return registration.to_read(actor, registration.visible_registration(session, actor, registration_id))


@router.post("/registrations/{registration_id}/{action}", response_model=RegistrationRead)
def move_registration(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: ActorDep,
    registration_id: Id,
    action: Action,
    expected: IfMatchDep,
    body: RegistrationMove | None = None,
) -> Response:
    """接收（accept）、不予接收（decline，须写原因）、撤回申请（withdraw）、结束报到（end）。"""
    located = registration.visible_registration(session, actor, registration_id)
    registration.act(
        session,
        actor=actor,
        located=located,
        action=action,
        expected_version=expected,
        reason=body.reason if body else None,
    )
    return idem.respond(session, registration.to_read(actor, located))
