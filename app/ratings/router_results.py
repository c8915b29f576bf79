"""Results endpoints: compute, the results list and a member's breakdown, approval (the secretary's
for members, the committee's for branches), a changed level with its reason, publication,
corrections, the 十佳 honours with their candidates, and export.xlsx.

ETags: a period's version (compute of the whole period, publish), a result's version (approve one,
change, correct, a branch's own approval), and a branch's results version — the sum of its member
results' versions, sent as the ETag of the results list filtered to that branch — for approving the
branch's members in bulk, so a secretary never approves figures recomputed since they looked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse

from app.core.db import SessionDep, end_read_phase
from app.core.downloads import disposition
from app.core.errors import PreconditionFailed
from app.core.idempotency import Idempotency, IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.permissions import Actor
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.org import service as org_service
from app.org.models import UnitKind
from app.ratings import approval, export, honours, periods, results, scope
from app.ratings.dependencies import IfMatchDep, OptionalIfMatchDep, PeriodBranch, VisiblePeriod, WritablePeriod
from app.ratings.models import DecisionKind, HonourKind, RatingResult, SubjectKind
from app.ratings.schemas_results import (
    ApproveBody,
    ApproveRead,
    BreakdownRead,
    CandidateRead,
    ComputeBody,
    ComputeRead,
    HonourRead,
    LevelBody,
    NominateBody,
    PublishBody,
    PublishRead,
    ResultRead,
    SecretaryNominateBody,
    SelectBody,
)

router = APIRouter(tags=["ratings"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _result_response(
    idem: Idempotency | None, session: SessionDep, actor: Actor, result: RatingResult, *, status_code: int = 200
) -> Response:
    period, _unit = scope.visible_period(session, actor, result.period_id)
    (read,) = results.reads(session, [result])
    decisions = results.decisions_of(session, [result.id or 0]).get(result.id or 0, [])
    full = BreakdownRead(
        **read.model_dump(), period_title=period.title, decisions=[results.decision_read(d) for d in decisions]
    )
    headers = {"ETag": f'"{result.version}"'}
    if idem is None:
        return JSONResponse(full.model_dump(mode="json"), status_code=status_code, headers=headers)
    return idem.respond(session, full, status_code=status_code, headers=headers)


# ---------------------------------------------------------------- compute and reading


@router.post("/rating-periods/{period_id}/compute", response_model=ComputeRead)
def compute(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: ActorDep,
    located: WritablePeriod,
    expected: OptionalIfMatchDep,
    body: ComputeBody | None = None,
) -> Response:
    """核算：整个测评周期（党委，须 If-Match，组织考评中 → 已核算，已核算时可重新核算），或只核算一个党支部
    （支部书记，branch_id；该支部党员星级审定前可反复核算）。"""
    period, unit = located
    done = approval.compute(
        session,
        actor=actor,
        period=period,
        unit=unit,
        branch_id=body.branch_id if body else None,
        expected_version=expected,
    )
    read = ComputeRead(
        members=done.members,
        branches=done.branches,
        skipped_branches=done.skipped_branches,
        period_status=period.status,
        period_version=period.version,
    )
    return idem.respond(session, read, headers={"ETag": periods.etag(period)})


@router.get("/rating-periods/{period_id}/results", response_model=Page[ResultRead])
def list_results(
    session: SessionDep,
    actor: ActorDep,
    located: VisiblePeriod,
    paging: PageDep,
    unit_id: Annotated[Id | None, Query(description="该组织（党支部、党小组）及其下级的结果")] = None,
    stars: Annotated[int | None, Query(ge=1, le=5, description="星级（已审定的，否则建议的）")] = None,
    kind: Annotated[SubjectKind | None, Query(description="member 党员；branch 党支部")] = None,
    undecided: Annotated[bool | None, Query(description="true 只看未审定的")] = None,
) -> Response:
    """核算结果（分页）：支部书记看本支部，党委看全部。

    按党支部筛选时，ETag 为该支部结果的版本（整支部审定时放入 If-Match）。"""
    period, unit = located
    page = results.list_results(
        session,
        actor=actor,
        period=period,
        unit=unit,
        params=paging,
        unit_id=unit_id,
        stars=stars,
        kind=kind,
        undecided=undecided,
    )
    headers = {}
    if unit_id is not None:
        target = org_service.get_unit(session, unit_id)
        if target.kind == UnitKind.branch:
            headers["ETag"] = f'"{approval.branch_results_version(session, period, unit_id)}"'
    return JSONResponse(page.model_dump(mode="json"), headers=headers)


@router.get("/rating-periods/{period_id}/results/{member_id}/breakdown", response_model=BreakdownRead)
def breakdown(session: SessionDep, actor: ActorDep, located: VisiblePeriod, member_id: Id) -> Response:
    """一名党员的得分明细和星级决定记录：本人（发布后）、本支部书记、党委可看；没有他人给的单项互评分。"""
    read = results.breakdown(session, actor=actor, period=located[0], member_id=member_id)
    return JSONResponse(read.model_dump(mode="json"), headers={"ETag": f'"{read.version}"'})


@router.get("/rating-results/{result_id}", response_model=BreakdownRead)
def read_result(session: SessionDep, actor: ActorDep, result_id: Id) -> Response:
    """一条结果（党员或党支部）的明细和决定记录（支部书记、党委）。"""
    result, _period, _unit = results.result_for_decision(session, actor=actor, result_id=result_id, lock=False)
    return _result_response(None, session, actor, result)


# ---------------------------------------------------------------- approval


@router.post("/rating-periods/{period_id}/branches/{branch_id}/approve", response_model=ApproveRead)
def approve_members(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: ActorDep,
    located: WritablePeriod,
    branch: PeriodBranch,
    expected: IfMatchDep,
    body: ApproveBody | None = None,
) -> Response:
    """支部书记审定本支部党员的星级：全部（不给 result_ids），或逐个；If-Match 为该支部结果的版本。
    已调整的星级保持调整后的等级。"""
    period, unit = located
    current = approval.branch_results_version(session, period, branch.id or 0)
    if expected != current:
        raise PreconditionFailed(
            "核算结果已更新，请刷新后再审定", code="stale_version", extra={"current_version": current}
        )
    done = approval.approve_members(
        session,
        actor=actor,
        period=period,
        unit=unit,
        branch_id=branch.id or 0,
        result_ids=body.result_ids if body else None,
    )
    read = ApproveRead(approved=done.approved, members_approved=done.members_approved, period_status=done.period_status)
    return idem.respond(
        session, read, headers={"ETag": f'"{approval.branch_results_version(session, period, branch.id or 0)}"'}
    )


@router.post("/rating-results/{result_id}/approve", response_model=BreakdownRead)
def approve_one(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, result_id: Id, expected: IfMatchDep
) -> Response:
    """审定一条结果（党员：支部书记；党支部：党委，在其党员审定之后）；If-Match 为结果的版本。"""
    result, period, unit = results.result_for_decision(session, actor=actor, result_id=result_id)
    approval.require_decider(session, actor, unit, result)
    approval.check_result_version(result, expected)
    if result.subject_kind == SubjectKind.member:
        approval.approve_members(
            session, actor=actor, period=period, unit=unit, branch_id=result.branch_id, result_ids=[result_id]
        )
    else:
        approval.approve_branch(session, actor=actor, period=period, unit=unit, branch_id=result.branch_id)
    session.refresh(result)
    return _result_response(idem, session, actor, result)


@router.post("/rating-results/{result_id}/change", response_model=BreakdownRead)
def change_level(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, result_id: Id, expected: IfMatchDep, body: LevelBody
) -> Response:
    """调整星级（审定前）：须写明原因，记录调整人和时间，并与建议星级并列显示。"""
    return _decide_level(idem, session, actor, result_id, expected, body, DecisionKind.change)


@router.post("/rating-results/{result_id}/corrections", response_model=BreakdownRead, status_code=201)
def correct(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, result_id: Id, expected: IfMatchDep, body: LevelBody
) -> Response:
    """更正已发布的星级：一条新的决定记录（须写明原因），创星榜上标明“已更正”。"""
    return _decide_level(idem, session, actor, result_id, expected, body, DecisionKind.correct, status_code=201)


def _decide_level(
    idem: Idempotency | None,
    session: SessionDep,
    actor: Actor,
    result_id: int,
    expected: int | None,
    body: LevelBody,
    kind: DecisionKind,
    *,
    status_code: int = 200,
) -> Response:
    result, period, unit = results.result_for_decision(session, actor=actor, result_id=result_id)
    approval.decide_level(
        session,
        actor=actor,
        kind=kind,
        period=period,
        unit=unit,
        result=result,
        stars=body.stars,
        reason=body.reason,
        expected_version=expected,
    )
    return _result_response(idem, session, actor, result, status_code=status_code)


@router.post("/rating-periods/{period_id}/publish", response_model=PublishRead)
def publish(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: ActorDep,
    located: WritablePeriod,
    expected: IfMatchDep,
    body: PublishBody | None = None,
) -> Response:
    """发布（党委）：给出的党支部，或整个测评周期（须每个党支部都已审定）；最后一个支部发布后周期即为已发布。"""
    period, unit = located
    done = approval.publish(
        session,
        actor=actor,
        period=period,
        unit=unit,
        expected_version=expected,
        branch_ids=body.branch_ids if body else None,
    )
    read = PublishRead(published_branch_ids=done, period_status=period.status, period_version=period.version)
    return idem.respond(session, read, headers={"ETag": periods.etag(period)})


@router.post("/rating-periods/{period_id}/approve", response_model=PublishRead)
def approve_period(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, located: WritablePeriod, expected: IfMatchDep
) -> Response:
    """审定整个测评周期（党委）：每个党支部的党员和支部星级都已审定时（最后一个支部审定时也会自动完成）。"""
    period, unit = located
    approval.approve_period(session, actor=actor, period=period, unit=unit, expected_version=expected)
    read = PublishRead(published_branch_ids=[], period_status=period.status, period_version=period.version)
    return idem.respond(session, read, headers={"ETag": periods.etag(period)})


@router.post("/rating-periods/{period_id}/branches/{branch_id}/approve-branch", response_model=BreakdownRead)
def approve_branch(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: ActorDep,
    located: WritablePeriod,
    branch: PeriodBranch,
    expected: IfMatchDep,
) -> Response:
    """党委审定党支部的星级（该支部党员星级审定之后）；If-Match 为该党支部结果的版本。"""
    period, unit = located
    approval.approve_branch(
        session, actor=actor, period=period, unit=unit, branch_id=branch.id or 0, expected_version=expected
    )
    result = approval.branch_result(session, period, branch.id or 0)
    session.refresh(result)
    return _result_response(idem, session, actor, result)


# ---------------------------------------------------------------- honours and candidates


@router.get("/rating-honours", response_model=Page[HonourRead])
def list_honours(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    unit_id: Annotated[Id | None, Query()] = None,
    kind: HonourKind | None = None,
    selected: Annotated[bool | None, Query(description="true 只看已评选的十佳")] = None,
) -> Page[HonourRead]:
    """十佳承诺的推荐和评选（分页，已评选的在前）。"""
    return honours.list_honours(
        session, actor=actor, params=paging, year=year, unit_id=unit_id, kind=kind, selected=selected
    )


@router.post("/rating-honours", response_model=HonourRead, status_code=201)
def nominate(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: NominateBody) -> Response:
    """推荐十佳承诺（支部书记）：本支部已销诺、已兑现的承诺。"""
    honour = honours.nominate(session, actor=actor, pledge_id=body.pledge_id, year=body.year, reason=body.reason)
    (read,) = honours.honour_reads(session, [honour])
    return idem.respond(session, read, status_code=201, headers={"Location": f"/api/v1/rating-honours/{read.id}"})


@router.post("/rating-honours/secretaries", response_model=HonourRead, status_code=201)
def nominate_secretary(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: SecretaryNominateBody
) -> Response:
    """推荐十佳支书（党委）：现任党支部书记；评选、撤销与十佳承诺相同。"""
    honour = honours.nominate_secretary(
        session, actor=actor, member_id=body.member_id, branch_id=body.branch_id, year=body.year, reason=body.reason
    )
    (read,) = honours.honour_reads(session, [honour])
    return idem.respond(session, read, status_code=201, headers={"Location": f"/api/v1/rating-honours/{read.id}"})


def _select(
    idem: Idempotency,
    session: SessionDep,
    actor: Actor,
    honour_id: int,
    body: SelectBody,
    expected: int,
    *,
    selected: bool,
) -> Response:
    honour = honours.select_honour(
        session, actor=actor, honour_id=honour_id, reason=body.reason, expected_version=expected, selected=selected
    )
    (read,) = honours.honour_reads(session, [honour])
    return idem.respond(session, read, headers={"ETag": f'"{read.version}"'})


@router.post("/rating-honours/{honour_id}/select", response_model=HonourRead)
def select_honour(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, honour_id: Id, expected: IfMatchDep, body: SelectBody
) -> Response:
    """评选为十佳（党委，须写明理由；每年每类最多 10 项）；If-Match 为推荐的版本号（列表中的 version）。"""
    return _select(idem, session, actor, honour_id, body, expected, selected=True)


@router.post("/rating-honours/{honour_id}/unselect", response_model=HonourRead)
def unselect_honour(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, honour_id: Id, expected: IfMatchDep, body: SelectBody
) -> Response:
    """撤销十佳评选（党委，须写明理由）；If-Match 为推荐的版本号。"""
    return _select(idem, session, actor, honour_id, body, expected, selected=False)


@router.get("/rating-honours/candidates", response_model=Page[CandidateRead])
def candidates(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    unit_id: Annotated[Id, Query(description="党委")],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> Page[CandidateRead]:
    """评先选优重点对象：该年最近一次发布的星级中，三星及以上或晋星的党员。"""
    return honours.candidates(session, actor=actor, params=paging, unit_id=unit_id, year=year)


# ---------------------------------------------------------------- export


@router.get("/rating-periods/{period_id}/export.xlsx", response_class=StreamingResponse)
def export_xlsx(session: SessionDep, actor: ActorDep, located: VisiblePeriod) -> StreamingResponse:
    """导出结果台账（Excel）：每名党员一行，含各项得分、权重、建议和审定星级；另一页为党支部。"""
    period, _unit = located
    handle = export.build(session, actor=actor, period=period)
    end_read_phase(session)
    headers = {"Content-Disposition": disposition(export.filename(period), fallback=f"ratings-{period.id}.xlsx")}
    return StreamingResponse(export.chunks(handle), media_type=XLSX, headers=headers)
