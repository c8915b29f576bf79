"""The signed-in actor with their member id, and the member loader (404 outside scope).

org builds the actor from the account's grants but cannot know members (core ← auth ← org ←
members), so the member id is added here: every route from members up takes this `ActorDep`;
only org's own routes take `app.org.dependencies.ActorDep` (grants only).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep
from app.core.permissions import Actor
from app.core.validation import Id
from app.members import service
from app.members.models import Member
from app.org.dependencies import ActorDep as GrantsActorDep


def current_actor(session: SessionDep, actor: GrantsActorDep) -> Actor:
    """The actor, with the member their account belongs to while that member is active (someone who
    left the roll — 转出, 不在册 — acts as no member): one indexed lookup."""
    return dataclasses.replace(actor, member_id=service.active_member_id(session, actor.account_id))


ActorDep = Annotated[Actor, Depends(current_actor)]


def visible_member(member_id: Id, session: SessionDep, actor: ActorDep) -> Member:
    return service.visible_member(session, actor, member_id)[0]


VisibleMember = Annotated[Member, Depends(visible_member)]
