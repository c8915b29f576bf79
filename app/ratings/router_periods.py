"""Rating policies and periods: the policy editor, creating and editing periods, the lifecycle
actions that belong to the period itself, its history and every branch's progress.

Compute, approval and publication (and their period moves) are in router_results.py.
Every period response carries its version as the ETag; PATCH and the actions need it as If-Match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from app.core.db import SessionDep
from app.core.idempotency import Idempotency, IdempotencyDep
from app.core.lifecycle import EventRead
from app.core.pagination import Page, PageDep
from app.core.permissions import Actor
from app.members.dependencies import ActorDep
from app.org.dependencies import VisibleUnit
from app.ratings import periods, policy, progress
from app.ratings.dependencies import IfMatchDep, Located, OptionalIfMatchDep, VisiblePeriod, WritablePeriod
from app.ratings.models import PeriodStatus
from app.ratings.rules import PolicyRules
from app.ratings.schemas import (
    BranchProgress,
    PeriodActionBody,
    PeriodCreate,
    PeriodRead,
    PeriodUpdate,
    PolicyRead,
)
from app.ratings.states import Action

router = APIRouter(tags=["ratings"])


def _policy_response(read: PolicyRead) -> Response:
    return JSONResponse(read.model_dump(mode="json"), headers={"ETag": f'"{read.version}"'})


@router.get("/rating-policies", response_model=Page[PolicyRead])
def list_policies(
    session: SessionDep, actor: ActorDep, paging: PageDep, unit_id: Annotated[int | None, Query(ge=1)] = None
) -> Page[PolicyRead]:
    """各组织自己设定的星级评定规则（党委管理员）。"""
    return policy.list_policies(session, actor=actor, params=paging, unit_id=unit_id)


@router.get("/rating-policies/{unit_id}", response_model=PolicyRead)
def read_policy(session: SessionDep, actor: ActorDep, unit: VisibleUnit) -> Response:
    """该组织生效的星级评定规则（自有的，或沿用上级的）；ETag 为自有规则的版本号。"""
    return _policy_response(policy.read_policy(session, actor=actor, unit=unit))


@router.put("/rating-policies/{unit_id}", response_model=PolicyRead)
def set_policy(
    session: SessionDep, actor: ActorDep, unit: VisibleUnit, expected: OptionalIfMatchDep, body: PolicyRules
) -> Response:
    """设定该组织的星级评定规则：权重之和须为 100，分数线须依次降低。已开始的测评周期不受影响。"""
    read = policy.set_policy(session, actor=actor, unit=unit, rules=body, expected_version=expected)
    return _policy_response(read)


@router.delete("/rating-policies/{unit_id}", response_model=PolicyRead)
def clear_policy(session: SessionDep, actor: ActorDep, unit: VisibleUnit, expected: IfMatchDep) -> Response:
    """删除该组织自有的规则，改为沿用上级的规则。"""
    return _policy_response(policy.clear_policy(session, actor=actor, unit=unit, expected_version=expected))


def _period_response(
    idem: Idempotency | None, session: SessionDep, actor: Actor, located: Located, *, status_code: int = 200
) -> Response:
    period, unit = located
    read = periods.to_read(session, actor, period, unit)
    headers = {"ETag": periods.etag(period)}
    if status_code == 201:
        headers["Location"] = f"/api/v1/rating-periods/{read.id}"
    if idem is None:
        return JSONResponse(read.model_dump(mode="json"), status_code=status_code, headers=headers)
    return idem.respond(session, read, status_code=status_code, headers=headers)


@router.post("/rating-periods", response_model=PeriodRead, status_code=201)
def create_period(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: PeriodCreate) -> Response:
    """创建测评周期（草稿）：季度或年度，默认日期为该季度（年度）的起止日。"""
    located = periods.create_period(session, actor=actor, data=body)
    return _period_response(idem, session, actor, located, status_code=201)


@router.get("/rating-periods", response_model=Page[PeriodRead])
def list_periods(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    unit_id: Annotated[int | None, Query(ge=1)] = None,
    status: PeriodStatus | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Page[PeriodRead]:
    """我参加或管理的测评周期，最近的在前。"""
    return periods.list_periods(session, actor=actor, params=paging, unit_id=unit_id, status=status, year=year)


@router.get("/rating-periods/{period_id}", response_model=PeriodRead)
def read_period(session: SessionDep, actor: ActorDep, located: VisiblePeriod) -> Response:
    """一个测评周期（响应头 ETag 为版本号）。"""
    return _period_response(None, session, actor, located)


@router.patch("/rating-periods/{period_id}", response_model=PeriodRead)
def update_period(
    session: SessionDep, actor: ActorDep, located: WritablePeriod, expected: IfMatchDep, body: PeriodUpdate
) -> Response:
    """修改测评周期：草稿可改名称和日期；开始后只能改截止日期。"""
    period, unit = located
    periods.update_period(session, actor=actor, period=period, unit=unit, data=body, expected_version=expected)
    return _period_response(None, session, actor, located)


_ACTIONS: dict[Action, tuple[str, str]] = {
    Action.open: ("open", "开始：冻结评定规则，开始自评和党员互评。"),
    Action.reopen: ("reopen", "退回草稿：须写明原因。"),
    Action.close_reviews: ("close_reviews", "结束互评，进入组织考评：找出可能的人情分，按承诺践诺情况自动计分。"),
    Action.back_to_reviews: ("back_to_reviews", "退回自评互评：须写明原因。"),
    Action.back_to_assessing: ("back_to_assessing", "退回组织考评：须写明原因；重新核算后结果才再有效。"),
    Action.unapprove: ("unapprove", "撤销审定：须写明原因；书记可再修改星级，发布时重新审定。已有支部公布时不能撤销。"),
}


def _action_endpoint(action: Action) -> Callable[..., Response]:
    def endpoint(
        idem: IdempotencyDep,
        session: SessionDep,
        actor: ActorDep,
        located: WritablePeriod,
        expected: IfMatchDep,
        body: PeriodActionBody | None = None,
    ) -> Response:
        body = body or PeriodActionBody()
        periods.transition(session, located[0], action, actor=actor, expected_version=expected, reason=body.reason)
        return _period_response(idem, session, actor, located)

    endpoint.__name__ = f"rating_period_{action.value}"
    endpoint.__doc__ = _ACTIONS[action][1]
    return endpoint


for _action, (_slug, _doc) in _ACTIONS.items():
    router.add_api_route(
        f"/rating-periods/{{period_id}}/{_slug}",
        _action_endpoint(_action),
        methods=["POST"],
        response_model=PeriodRead,
        summary=_doc.split("：", 1)[0],
        description=_doc,
    )


@router.get("/rating-periods/{period_id}/events", response_model=Page[EventRead])
def list_events(located: VisiblePeriod, session: SessionDep, paging: PageDep) -> Page[EventRead]:
    """测评周期的全过程记录：每一步由谁、何时、为何办理。"""
    return periods.list_events(session, period=located[0], params=paging)


@router.get("/rating-periods/{period_id}/branches", response_model=Page[BranchProgress])
def branch_progress(
    session: SessionDep,
    actor: ActorDep,
    located: VisiblePeriod,
    paging: PageDep,
    late: Annotated[bool, Query(description="只看有逾期未完成步骤的党支部")] = False,
) -> Page[BranchProgress]:
    """各党支部的进度（只有人数，没有分数）和逾期未完成的步骤。"""
    period, unit = located
    return progress.branch_progress(
        session, actor=actor, period=period, period_unit=unit, params=paging, late_only=late
    )
