from __future__ import annotations

from fastapi import APIRouter, Response

from app.core.db import SessionDep
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.org import service
from app.org.dependencies import ActorDep, VisibleUnit
from app.org.schemas import GrantRead, OrgTreeNode, OrgUnitCreate, OrgUnitMove, OrgUnitRead, OrgUnitUpdate

router = APIRouter(tags=["org"])


@router.get("/units", response_model=list[OrgTreeNode])
def read_tree(
    session: SessionDep, actor: ActorDep, root_id: Id | None = None, include_archived: bool = False
) -> list[OrgTreeNode]:
    """组织树：您有权查看的各级组织。"""
    return service.tree(session, actor, root_id=root_id, include_archived=include_archived)


@router.get("/units/{unit_id}", response_model=OrgUnitRead)
def read_unit(actor: ActorDep, unit: VisibleUnit) -> OrgUnitRead:
    """一个组织的信息。"""
    return service.read_unit(actor, unit)


@router.post("/units", response_model=OrgUnitRead, status_code=201)
def create_unit(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: OrgUnitCreate) -> Response:
    """新建下级组织（党委管理员）。"""
    unit = service.create_unit(
        session, actor=actor, kind=body.kind, name=body.name, parent_id=body.parent_id, sort_order=body.sort_order
    )
    return idem.respond(session, OrgUnitRead.of(unit), status_code=201)


@router.patch("/units/{unit_id}", response_model=OrgUnitRead)
def update_unit(session: SessionDep, actor: ActorDep, unit: VisibleUnit, body: OrgUnitUpdate) -> OrgUnitRead:
    """修改组织名称或排序（党委管理员）。"""
    return OrgUnitRead.of(
        service.update_unit(session, actor=actor, unit=unit, name=body.name, sort_order=body.sort_order)
    )


@router.post("/units/{unit_id}/move", response_model=OrgUnitRead)
def move_unit(session: SessionDep, actor: ActorDep, unit: VisibleUnit, body: OrgUnitMove) -> OrgUnitRead:
    """把组织（连同下级）移到另一个上级之下（党委管理员）。"""
    return OrgUnitRead.of(service.move_unit(session, actor=actor, unit=unit, parent_id=body.parent_id))


@router.post("/units/{unit_id}/archive", response_model=OrgUnitRead)
def archive_unit(session: SessionDep, actor: ActorDep, unit: VisibleUnit) -> OrgUnitRead:
    """撤销组织（保留历史，不删除）。"""
    return OrgUnitRead.of(service.archive_unit(session, actor=actor, unit=unit))


@router.get("/grants", response_model=Page[GrantRead])
def list_grants(
    session: SessionDep, actor: ActorDep, paging: PageDep, unit_id: Id | None = None, account_id: Id | None = None
) -> Page[GrantRead]:
    """角色授权列表。"""
    return service.list_grants(session, actor=actor, params=paging, unit_id=unit_id, account_id=account_id)


# POST /grants lives in members.router: a local role may go only to a member of the branch.


@router.delete("/grants/{grant_id}", status_code=204)
def revoke_grant(session: SessionDep, actor: ActorDep, grant_id: Id) -> Response:
    """收回角色（记录保留）。"""
    service.revoke_grant(session, actor=actor, grant_id=grant_id)
    return Response(status_code=204)
