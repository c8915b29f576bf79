"""A branch's panel of representatives (党员代表, 群众代表/联户代表): kept by its secretary and the
committee (rating.manage). A representative need not have an account; the name and kind are seen
by those managers only, and nothing a representative answers is ever linked back to them (slips.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from app.appraisal.models import Representative, RepresentativeKind, Slip, SlipBatch
from app.appraisal.schemas import BranchPanel, RepresentativeCreate, RepresentativeRead, RepresentativeUpdate
from app.core.errors import NotFound
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, require
from app.core.time import today_local, utcnow
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind

KIND_LABELS = {RepresentativeKind.party: "党员代表", RepresentativeKind.masses: "群众代表"}


def read(r: Representative) -> RepresentativeRead:
    return RepresentativeRead(
        id=int(r.id or 0),
        branch_id=r.branch_id,
        name=r.name,
        kind=r.kind,
        kind_label=KIND_LABELS[RepresentativeKind(r.kind)],
        active=r.active,
        updated_at=r.updated_at,
    )


def list_panel(
    session: Session, *, actor: Actor, branch: OrgUnit, params: PageParams, active: bool | None = None
) -> Page[RepresentativeRead]:
    """The branch's representatives: those in office first, 党员代表 before 群众代表, by name."""
    require(actor, Permission.rating_manage, branch)
    stmt = select(Representative).where(col(Representative.branch_id) == branch.id)
    if active is not None:
        stmt = stmt.where(col(Representative.active) == active)
    stmt = stmt.order_by(
        col(Representative.active).desc(),
        col(Representative.kind).desc(),
        col(Representative.name),
        col(Representative.id),
    )
    return paginate(session, stmt, params, lambda rows: [read(r) for r in rows])


def active_count(session: Session, branch_id: int) -> int:
    stmt = select(func.count()).where(col(Representative.branch_id) == branch_id, col(Representative.active))
    return int(session.execute(stmt).scalar_one())


def add(session: Session, *, actor: Actor, branch: OrgUnit, data: RepresentativeCreate) -> RepresentativeRead:
    require(actor, Permission.rating_manage, branch)
    now = utcnow()
    rep = Representative(
        branch_id=int(branch.id or 0), name=data.name.strip(), kind=data.kind, created_at=now, updated_at=now
    )
    session.add(rep)
    session.flush()
    return read(rep)


def get_managed(session: Session, *, actor: Actor, representative_id: int) -> Representative:
    """The representative, 404 when missing or in a branch the actor does not see; 403 without rating.manage."""
    rep = session.get(Representative, representative_id)
    unit = session.get(OrgUnit, rep.branch_id) if rep is not None else None
    if rep is None or unit is None:
        raise NotFound("未找到该代表", code="representative_not_found")
    org_service.visible_unit(session, actor, unit.id or 0)
    require(actor, Permission.rating_manage, unit)
    return rep


def update(session: Session, *, actor: Actor, representative_id: int, data: RepresentativeUpdate) -> RepresentativeRead:
    rep = get_managed(session, actor=actor, representative_id=representative_id)
    if data.name is not None:
        rep.name = data.name.strip()
    if data.kind is not None:
        rep.kind = data.kind
    if data.active is not None:
        rep.active = data.active
    rep.updated_at = utcnow()
    session.add(rep)
    session.flush()
    return read(rep)


def overview(session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None) -> Page[BranchPanel]:
    """The committee's view: every branch it manages with its panel's size and this month's slips
    (issued in the batch in force, used), from two GROUP BY queries for the page's branches."""
    paths = org_service.scope_for(session, actor, Permission.rating_manage, unit_id)
    stmt = (
        select(OrgUnit)
        .where(org_service.path_filter(paths), col(OrgUnit.kind) == UnitKind.branch, col(OrgUnit.archived_at).is_(None))
        .order_by(col(OrgUnit.path))
    )
    today = today_local()

    def transform(rows: Any) -> list[BranchPanel]:
        ids = [u.id for u in rows]
        panels = {
            int(b): (int(p or 0), int(m or 0))
            for b, p, m in session.execute(
                select(
                    col(Representative.branch_id),
                    func.sum(case((col(Representative.kind) == RepresentativeKind.party.value, 1), else_=0)),
                    func.sum(case((col(Representative.kind) == RepresentativeKind.masses.value, 1), else_=0)),
                )
                .where(col(Representative.branch_id).in_(ids), col(Representative.active))
                .group_by(col(Representative.branch_id))
            ).all()
        }
        slips = {
            int(b): (int(i or 0), int(u or 0))
            for b, i, u in session.execute(
                select(
                    col(Slip.branch_id),
                    func.sum(case((col(SlipBatch.live).is_(True), 1), else_=0)),
                    func.sum(case((col(Slip.used).is_(True), 1), else_=0)),
                )
                .join(SlipBatch, col(SlipBatch.id) == col(Slip.batch_id))
                .where(col(Slip.branch_id).in_(ids), col(Slip.year) == today.year, col(Slip.month) == today.month)
                .group_by(col(Slip.branch_id))
            ).all()
        }
        return [
            BranchPanel(
                branch_id=int(u.id),
                branch_name=u.name,
                party=panels.get(u.id, (0, 0))[0],
                masses=panels.get(u.id, (0, 0))[1],
                issued=slips.get(u.id, (0, 0))[0],
                used=slips.get(u.id, (0, 0))[1],
            )
            for u in rows
        ]

    return paginate(session, stmt, params, transform)
