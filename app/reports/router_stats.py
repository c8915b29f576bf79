"""Statistics for the dashboard, and the ledger export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.evaluations.periods import FIRST_YEAR, LAST_YEAR, Period
from app.members.dependencies import ActorDep
from app.reports import stats
from app.reports.schemas_stats import StatsRead

router = APIRouter(tags=["reports"])

UnitQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="单位 id；缺省为本人管辖的最上级单位")]
YearQuery = Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR, description="年度；缺省为今年")]
PeriodQuery = Annotated[Period | None, Query(description="季度，如 2026Q3；给出时按季度统计（代替 year）")]


@router.get("/stats", response_model=StatsRead)
def read_stats(
    session: SessionDep, actor: ActorDep, unit_id: UnitQuery = None, year: YearQuery = None, period: PeriodQuery = None
) -> StatsRead:
    """统计：党员参与率、承诺状态与类别、逾期、兑现率、办理天数、群众满意度、星级分布，并按下级单位（或党员）分行以便下钻。"""
    return stats.stats(session, actor=actor, unit_id=unit_id, year=year, period=period)
