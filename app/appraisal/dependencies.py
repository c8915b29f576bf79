"""Loaders of the appraisal routes: a branch whose appraisal the caller manages (rating.manage: its
secretary, the committee), 404 when missing, outside the caller's scope or not a branch."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.permissions import Actor, Permission, require
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind


def branch_for(
    session: Session, actor: Actor, branch_id: int, permission: Permission = Permission.rating_manage
) -> OrgUnit:
    unit = org_service.visible_unit(session, actor, branch_id)
    if unit.kind != UnitKind.branch or unit.archived_at is not None:
        raise NotFound("未找到该党支部，或不在您的管理范围内", code="branch_not_found")
    require(actor, permission, unit)
    return unit


def managed_branch(branch_id: Id, session: SessionDep, actor: ActorDep) -> OrgUnit:
    return branch_for(session, actor, branch_id)


ManagedBranch = Annotated[OrgUnit, Depends(managed_branch)]
