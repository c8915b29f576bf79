"""组织考评: the secretary's scoring screen (the branch's members, item by item, saved as they go)
and the committee's scoring of branches. PUT changes only the items sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.core.errors import Unprocessable
from app.core.pagination import Page
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.ratings import assessments, scope
from app.ratings.dependencies import SheetPageDep, VisiblePeriod
from app.ratings.models import SubjectKind
from app.ratings.schemas import AssessmentRead, AssessmentWrite

router = APIRouter(tags=["ratings"])


@router.get("/rating-periods/{period_id}/assessments", response_model=Page[AssessmentRead])
def assessment_sheet(
    session: SessionDep,
    actor: ActorDep,
    located: VisiblePeriod,
    paging: SheetPageDep,
    subject_kind: SubjectKind = SubjectKind.member,
    branch_id: Annotated[int | None, Query(ge=1, description="党员考评：哪个党支部的党员（必填）")] = None,
) -> Page[AssessmentRead]:
    """组织考评表：一个党支部的党员（书记），或全部党支部（党委）；每项得分，承诺践诺项按销诺结果自动计分。"""
    period, unit = located
    if subject_kind == SubjectKind.branch:
        return assessments.branch_sheet(session, actor=actor, period=period, period_unit=unit, params=paging)
    if branch_id is None:
        raise Unprocessable("请选择党支部", code="branch_required", errors=[{"field": "branch_id", "message": "必填"}])
    branch = scope.branch_in_period(session, actor, unit, branch_id)
    return assessments.member_sheet(session, actor=actor, period=period, branch=branch, params=paging)


@router.put("/rating-periods/{period_id}/assessments/member/{subject_id}", response_model=AssessmentRead)
def assess_member(
    session: SessionDep, actor: ActorDep, located: VisiblePeriod, subject_id: Id, body: AssessmentWrite
) -> AssessmentRead:
    """为一名党员评分（只改提交的项目）；修改自动计分的项目须写明原因；不能为自己评分。"""
    period, unit = located
    return assessments.save_member(
        session, actor=actor, period=period, period_unit=unit, member_id=subject_id, data=body
    )


@router.put("/rating-periods/{period_id}/assessments/branch/{subject_id}", response_model=AssessmentRead)
def assess_branch(
    session: SessionDep, actor: ActorDep, located: VisiblePeriod, subject_id: Id, body: AssessmentWrite
) -> AssessmentRead:
    """为一个党支部评分（党委；只改提交的项目）。"""
    period, unit = located
    return assessments.save_branch(
        session, actor=actor, period=period, period_unit=unit, branch_id=subject_id, data=body
    )
