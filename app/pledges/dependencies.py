"""The actor with their member id, the pledge loader (404 outside scope), If-Match, optional sign-in."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends, Header, Request

from app.auth.dependencies import SignedIn, _signed_in, oauth2_scheme
from app.core.db import SessionDep
from app.core.errors import AppError, PreconditionFailed, PreconditionRequired
from app.core.permissions import Actor
from app.members import service as members_service
from app.org import service as org_service
from app.org.dependencies import ActorDep
from app.pledges import service
from app.pledges.service import Located


def pledge_actor(session: SessionDep, actor: ActorDep) -> Actor:
    """The actor, with the member record their account belongs to (pledges are owned by members)."""
    member = members_service.member_for_account(session, actor.account_id)
    return dataclasses.replace(actor, member_id=member.id if member else None)


PledgeActorDep = Annotated[Actor, Depends(pledge_actor)]


def visible_pledge(pledge_id: int, session: SessionDep, actor: PledgeActorDep) -> Located:
    return service.visible_pledge(session, actor, pledge_id)


VisiblePledge = Annotated[Located, Depends(visible_pledge)]


def writable_pledge(pledge_id: int, session: SessionDep, actor: PledgeActorDep) -> Located:
    """The pledge, locked for this request's transaction (see service.visible_pledge)."""
    return service.visible_pledge(session, actor, pledge_id, for_update=True)


WritablePledge = Annotated[Located, Depends(writable_pledge)]


def if_match(
    if_match: Annotated[str | None, Header(alias="If-Match", description='承诺的版本号（响应头 ETag），如 "3"')] = None,
) -> int:
    """The version the client last saw: 428 when the header is missing, 412 when it is not a version."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired()
    value = if_match.strip().removeprefix("W/").strip().strip('"')
    if not value.isdigit() or len(value) > 9:
        raise PreconditionFailed("If-Match 版本号格式不正确，请刷新后重试", code="stale_version")
    return int(value)


IfMatchDep = Annotated[int, Depends(if_match)]


def optional_actor(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Actor | None:
    """The signed-in actor, or None for anyone else (public media are served without signing in)."""
    if not token:
        return None
    try:
        signed: SignedIn = _signed_in(request, session, token)
    except AppError:
        return None
    assert signed.account.id is not None
    actor = org_service.actor_for(session, signed.account.id)
    member = members_service.member_for_account(session, signed.account.id)
    return dataclasses.replace(actor, member_id=member.id if member else None)


OptionalActorDep = Annotated[Actor | None, Depends(optional_actor)]
