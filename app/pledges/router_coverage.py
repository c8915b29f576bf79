"""Pledge coverage (承诺覆盖): rates per group / branch and the reminder; see `pledges.coverage`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.core.pagination import PageDep
from app.core.validation import Id
from app.pledges import coverage
from app.pledges.dependencies import PledgeActorDep
from app.pledges.schemas_coverage import CoveragePage, CoverageRemind, ReminderSent

router = APIRouter(tags=["pledges"])


@router.get("/units/{unit_id}/pledge-coverage", response_model=CoveragePage)
def read_coverage(
    session: SessionDep,
    actor: PledgeActorDep,
    paging: PageDep,
    unit_id: Id,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年度，默认今年")] = None,
) -> CoveragePage:
    """承诺覆盖：本单位在册党员该年度的报诺率、公示率，按党小组（支部）或按支部（党委、总支）分行，落后的在前。"""
    return coverage.coverage(session, actor=actor, unit_id=unit_id, year=year, params=paging)


@router.post("/units/{unit_id}/pledge-coverage/remind", response_model=ReminderSent)
def remind_uncovered(session: SessionDep, actor: PledgeActorDep, unit_id: Id, body: CoverageRemind) -> ReminderSent:
    """提醒本组（本支部）该年度未报诺或没有公示承诺的党员（站内消息，每人每天至多一次）。"""
    return coverage.remind(session, actor=actor, unit_id=unit_id, year=body.year, missing=body.missing)
