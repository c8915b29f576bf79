"""Statistics for the dashboard, and the ledger export."""

from __future__ import annotations

from typing import IO, Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from app.core.db import SessionDep
from app.core.validation import Id
from app.evaluations.periods import FIRST_YEAR, LAST_YEAR, Period
from app.members.dependencies import ActorDep
from app.reports import dossier, dossier_branch, ledger, roster, sheets, stats
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


FormatQuery = Annotated[sheets.Format, Query(description="xlsx（默认）或 csv（UTF-8，带 BOM）")]


def _download(handle: IO[bytes], fmt: sheets.Format, filename: str) -> StreamingResponse:
    return StreamingResponse(
        sheets.file_chunks(handle),
        media_type=sheets.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": sheets.disposition(filename)},
    )


@router.get(
    "/exports/ledger",
    response_class=StreamingResponse,
    responses={200: {"content": {sheets.MEDIA_TYPES["xlsx"]: {}, "text/csv": {}}}},
)
def export_ledger(
    session: SessionDep,
    actor: ActorDep,
    unit_id: UnitQuery = None,
    year: YearQuery = None,
    period: PeriodQuery = None,
    format: FormatQuery = "xlsx",
) -> StreamingResponse:
    """导出承诺台账（本单位及下级、一个年度或季度，每项承诺一行）：xlsx 或 csv。"""
    unit, sel = ledger.selection(session, actor=actor, unit_id=unit_id, year=year, period=period)
    handle = sheets.write(format, "承诺台账", ledger.HEADER, ledger.rows(session, sel), ledger.WIDTHS)
    return _download(handle, format, ledger.filename(unit, sel, format))


@router.get(
    "/exports/roster",
    response_class=StreamingResponse,
    responses={200: {"content": {sheets.MEDIA_TYPES["xlsx"]: {}, "text/csv": {}}}},
)
def export_roster(
    session: SessionDep,
    actor: ActorDep,
    unit_id: UnitQuery = None,
    format: FormatQuery = "xlsx",
) -> StreamingResponse:
    """导出党员花名册（与导入模板同样的列；手机号只给有权查看的人）：xlsx 或 csv。"""
    unit, paths = roster.unit_for(session, actor=actor, unit_id=unit_id)
    handle = sheets.write(
        format, "党员花名册", roster.HEADER, roster.rows(session, actor=actor, paths=paths), roster.WIDTHS
    )
    return _download(handle, format, f"{unit.name}党员花名册.{format}")


@router.get(
    "/exports/dossier/members/{member_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def export_member_dossier(session: SessionDep, actor: ActorDep, member_id: Id, year: YearQuery = None) -> Response:
    """党员年度承诺档案（A4 PDF）：公开身份、当年承诺及其过程和结果、群众测评、星级记录。"""
    title, data = dossier.member_pdf(session, actor=actor, member_id=member_id, year=year)
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": sheets.disposition(f"{title}.pdf")}
    )


@router.get(
    "/exports/dossier/units/{unit_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def export_branch_dossier(session: SessionDep, actor: ActorDep, unit_id: Id, year: YearQuery = None) -> Response:
    """党支部年度承诺档案（A4 PDF）：年度概况、每名党员的承诺与兑现、集体承诺、群众测评、星级。"""
    title, data = dossier_branch.branch_pdf(session, actor=actor, unit_id=unit_id, year=year)
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": sheets.disposition(f"{title}.pdf")}
    )
