"""The signed-in actor (account + role grants) and the unit loader."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import SignedInDep
from app.core.db import SessionDep
from app.core.permissions import Actor
from app.core.validation import Id
from app.org import service
from app.org.models import OrgUnit


def current_actor(session: SessionDep, signed: SignedInDep) -> Actor:
    assert signed.account.id is not None
    return service.actor_for(session, signed.account.id)


ActorDep = Annotated[Actor, Depends(current_actor)]


def visible_unit(unit_id: Id, session: SessionDep, actor: ActorDep) -> OrgUnit:
    return service.visible_unit(session, actor, unit_id)


VisibleUnit = Annotated[OrgUnit, Depends(visible_unit)]
