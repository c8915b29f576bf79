from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep
from app.core.validation import Id
from app.members import service
from app.members.models import Member
from app.org.dependencies import ActorDep


def visible_member(member_id: Id, session: SessionDep, actor: ActorDep) -> Member:
    return service.visible_member(session, actor, member_id)[0]


VisibleMember = Annotated[Member, Depends(visible_member)]
