"""The group leader's view (党小组情况): who has pledged this year and reported this month; see
`pledges.group_status`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.core.pagination import PageDep
from app.core.validation import Id
from app.pledges import group_status
from app.pledges.dependencies import PledgeActorDep
from app.pledges.schemas_group import GroupStatusPage

router = APIRouter(tags=["pledges"])


@router.get("/units/{unit_id}/pledge-status", response_model=GroupStatusPage)
def read_group_status(
    session: SessionDep,
    actor: PledgeActorDep,
    paging: PageDep,
    unit_id: Id,
    missing: Annotated[
        group_status.Missing | None,
        Query(description="pledge 该年度未报诺；report 本月未报告进展；published 该年度没有公示承诺"),
    ] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年度，默认今年")] = None,
) -> GroupStatusPage:
    """党小组情况：本组（或本支部）在册党员今年是否已报诺、本月是否报告过进展（还没做的在前，分页）。"""
    return group_status.group_status(session, actor=actor, unit_id=unit_id, params=paging, missing=missing, year=year)
