"""The committee's quarter view of 季度自评: every branch it manages with its self-evaluation's status
and points beside the committee's own assessment of it (ratings' 组织考评), two queries a page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.appraisal.models import SelfEvaluation
from app.appraisal.schemas import SelfEvaluationSummary
from app.appraisal.self_evaluation import assessments
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind


def overview(
    session: Session, *, actor: Actor, params: PageParams, year: int, quarter: int, unit_id: int | None = None
) -> Page[SelfEvaluationSummary]:
    paths = org_service.scope_for(session, actor, Permission.rating_admin, unit_id)
    stmt = (
        select(OrgUnit)
        .where(org_service.path_filter(paths), col(OrgUnit.kind) == UnitKind.branch, col(OrgUnit.archived_at).is_(None))
        .order_by(col(OrgUnit.path))
    )

    def transform(rows: Any) -> list[SelfEvaluationSummary]:
        ids = [int(u.id) for u in rows]
        evs = {
            e.branch_id: e
            for e in session.execute(
                select(SelfEvaluation).where(
                    col(SelfEvaluation.branch_id).in_(ids),
                    col(SelfEvaluation.year) == year,
                    col(SelfEvaluation.quarter) == quarter,
                )
            ).scalars()
        }
        assessed = assessments(session, ids, year, quarter)
        out = []
        for u in rows:
            ev = evs.get(u.id)
            a = assessed.get(int(u.id))
            out.append(
                SelfEvaluationSummary(
                    branch_id=int(u.id),
                    branch_name=u.name,
                    status=ev.status if ev else None,
                    points=float(sum(float(v) for v in ev.items.values() if v is not None)) if ev else None,
                    submitted_at=ev.submitted_at if ev else None,
                    assessment_points=a[0] if a else None,
                    assessment_max=a[1] if a else None,
                )
            )
        return out

    return paginate(session, stmt, params, transform)
