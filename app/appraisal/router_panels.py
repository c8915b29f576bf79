"""Panels of representatives and their monthly slips: the secretary's (own branch) and the
committee's (its branches) screens. Printing returns the PDF at once: its codes are nowhere else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.appraisal import panels, slip_sheet, slips
from app.appraisal.dependencies import ManagedBranch
from app.appraisal.schemas import (
    BranchPanel,
    RepresentativeCreate,
    RepresentativeRead,
    RepresentativeUpdate,
    SlipIssue,
    SlipMonthCount,
)
from app.core.db import SessionDep
from app.core.pagination import Page, PageDep
from app.core.time import today_local
from app.core.validation import Id
from app.members.dependencies import ActorDep

router = APIRouter(prefix="/appraisal", tags=["appraisal"])


@router.get("/branches", response_model=Page[BranchPanel])
def branch_panels(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    unit_id: Annotated[int | None, Query(ge=1, description="只看该组织下的党支部")] = None,
) -> Page[BranchPanel]:
    """各党支部的代表人数和本月测评票（已发、已用）。"""
    return panels.overview(session, actor=actor, params=paging, unit_id=unit_id)


@router.get("/branches/{branch_id}/representatives", response_model=Page[RepresentativeRead])
def list_representatives(
    session: SessionDep, actor: ActorDep, branch: ManagedBranch, paging: PageDep, active: bool | None = None
) -> Page[RepresentativeRead]:
    """党支部的党员代表和群众代表名单（仅书记和党委可见）。"""
    return panels.list_panel(session, actor=actor, branch=branch, params=paging, active=active)


@router.post("/branches/{branch_id}/representatives", response_model=RepresentativeRead, status_code=201)
def add_representative(
    session: SessionDep, actor: ActorDep, branch: ManagedBranch, body: RepresentativeCreate
) -> RepresentativeRead:
    """添加一名代表（无须账号）。"""
    return panels.add(session, actor=actor, branch=branch, data=body)


@router.patch("/representatives/{representative_id}", response_model=RepresentativeRead)
def update_representative(
    session: SessionDep, actor: ActorDep, representative_id: Id, body: RepresentativeUpdate
) -> RepresentativeRead:
    """修改代表的姓名、类别，或停用（不再发测评票）。"""
    return panels.update(session, actor=actor, representative_id=representative_id, data=body)


@router.post(
    "/branches/{branch_id}/slips",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "测评票（A4，可裁剪）"}},
)
def issue_slips(session: SessionDep, actor: ActorDep, branch: ManagedBranch, body: SlipIssue) -> Response:
    """打印一个月的测评票（每名在册代表一张）；重新打印则旧票作废。测评码只在这份 PDF 里，不另保存。"""
    issued = slips.issue(session, actor=actor, branch=branch, year=body.year, month=body.month)
    data = slip_sheet.pdf(int(branch.id or 0), branch.name, issued.year, issued.month, issued.codes)
    name = f"{branch.name}{issued.year}年{issued.month}月测评票.pdf"
    return slip_sheet.response(data, name, count=len(issued.codes), voided=issued.voided)


@router.get("/branches/{branch_id}/slip-counts", response_model=list[SlipMonthCount])
def slip_counts(
    session: SessionDep,
    actor: ActorDep,
    branch: ManagedBranch,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年份（默认今年）")] = None,
) -> list[SlipMonthCount]:
    """各月测评票的张数：已发、已用、作废，以及当月满意度（只有人数和比例，没有任何人的答卷）。"""
    return slips.month_counts(session, actor=actor, branch=branch, year=year or today_local().year)
