"""Branch tiers by 五好 and their 整顿 plans (the committee decides; a secretary reads their branch's
and marks its steps done). State changes take If-Match (the tier's or the step's version)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.appraisal import tiers, tiers_reads, tiers_steps
from app.appraisal.models_tiers import Tier, TierStatus
from app.appraisal.schemas_tiers import (
    ReasonBody,
    StepCreate,
    TierDecisionBody,
    TierEventRead,
    TierItemsBody,
    TierProposeBody,
    TierProposeRead,
    TierRead,
)
from app.appraisal.tiers_states import StepAction, TierAction
from app.core.db import SessionDep
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.permissions import Actor
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.ratings.dependencies import IfMatchDep

router = APIRouter(tags=["appraisal"])


def _answer(session: SessionDep, actor: Actor, tier_id: int) -> Response:
    located = tiers.locate(session, actor, tier_id)
    (read,) = tiers_reads.reads(session, actor, [located.tier])
    return JSONResponse(jsonable_encoder(read), headers={"ETag": f'"{read.version}"'})


@router.get("/branch-tiers", response_model=Page[TierRead])
def list_tiers(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    unit_id: Annotated[Id | None, Query(description="组织（党委或党支部）")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    branch_id: Annotated[Id | None, Query(description="只看一个党支部的历年分类")] = None,
    tier: Tier | None = None,
    status: TierStatus | None = None,
) -> Page[TierRead]:
    """党支部分类（先进、一般、后进）：分页，年度新的在前。"""
    return tiers.list_tiers(
        session,
        actor=actor,
        params=paging,
        unit_id=unit_id,
        year=year,
        branch_id=branch_id,
        tier=tier,
        status=status,
        transform=lambda rows: tiers_reads.reads(session, actor, rows),
    )


@router.post("/branch-tiers/propose", response_model=TierProposeRead)
def propose(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: TierProposeBody) -> Response:
    """按年度星级和五好标准提出各党支部的分类建议（党委；已审定的不变）。"""
    count = tiers.propose(session, actor=actor, committee_id=body.unit_id, year=body.year)
    return idem.respond(session, TierProposeRead(proposed=count))


@router.get("/branch-tiers/{tier_id}", response_model=TierRead)
def get_tier(session: SessionDep, actor: ActorDep, tier_id: Id) -> Response:
    """一个党支部的年度分类，含五好评定、整顿步骤和可做的操作。"""
    return _answer(session, actor, tier_id)


@router.put("/branch-tiers/{tier_id}/items", response_model=TierRead)
def set_items(session: SessionDep, actor: ActorDep, tier_id: Id, expected: IfMatchDep, body: TierItemsBody) -> Response:
    """评定五好（党委，待审定时）；建议随之更新。"""
    located = tiers.locate(session, actor, tier_id, lock=True)
    tiers.set_items(session, actor=actor, located=located, items=body.items, expected_version=expected)
    return _answer(session, actor, tier_id)


def _decide(
    session: SessionDep, actor: Actor, tier_id: int, expected: int, action: TierAction, body: TierDecisionBody
) -> Response:
    located = tiers.locate(session, actor, tier_id, lock=True)
    tiers.transition(
        session,
        actor=actor,
        located=located,
        action=action,
        expected_version=expected,
        reason=body.reason,
        tier=body.tier,
    )
    return _answer(session, actor, tier_id)


@router.post("/branch-tiers/{tier_id}/approve", response_model=TierRead)
def approve(
    session: SessionDep, actor: ActorDep, tier_id: Id, expected: IfMatchDep, body: TierDecisionBody
) -> Response:
    """审定分类（党委）：不填 tier 即按建议；与建议不同须写明理由。"""
    return _decide(session, actor, tier_id, expected, TierAction.approve, body)


@router.post("/branch-tiers/{tier_id}/change", response_model=TierRead)
def change(session: SessionDep, actor: ActorDep, tier_id: Id, expected: IfMatchDep, body: TierDecisionBody) -> Response:
    """调整已审定的分类（动态升级或降级，须写明理由）。"""
    return _decide(session, actor, tier_id, expected, TierAction.change, body)


@router.post("/branch-tiers/{tier_id}/reopen", response_model=TierRead)
def reopen(session: SessionDep, actor: ActorDep, tier_id: Id, expected: IfMatchDep, body: TierDecisionBody) -> Response:
    """退回待审定（须写明理由）。"""
    return _decide(session, actor, tier_id, expected, TierAction.reopen, body)


@router.post("/branch-tiers/{tier_id}/rectify", response_model=TierRead)
def rectify(
    session: SessionDep, actor: ActorDep, tier_id: Id, expected: IfMatchDep, body: TierDecisionBody
) -> Response:
    """后进党支部开始整顿。"""
    return _decide(session, actor, tier_id, expected, TierAction.rectify, body)


@router.post("/branch-tiers/{tier_id}/lift", response_model=TierRead)
def lift(session: SessionDep, actor: ActorDep, tier_id: Id, expected: IfMatchDep, body: TierDecisionBody) -> Response:
    """摘帽子（整顿步骤全部完成或取消后，须写明理由）：本年度分类改为一般，后进记录保留。"""
    return _decide(session, actor, tier_id, expected, TierAction.lift, body)


@router.get("/branch-tiers/{tier_id}/events", response_model=list[TierEventRead])
def tier_events(session: SessionDep, actor: ActorDep, tier_id: Id) -> list[TierEventRead]:
    """分类的全部记录：建议、五好评定、审定、调整、整顿步骤、摘帽。"""
    located = tiers.locate(session, actor, tier_id)
    return tiers_reads.event_reads(tiers.events(session, located.tier.id or 0))


@router.post("/branch-tiers/{tier_id}/steps", response_model=TierRead, status_code=201)
def add_step(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, tier_id: Id, body: StepCreate) -> Response:
    """添加整顿步骤（党委）：内容和完成期限。"""
    located = tiers.locate(session, actor, tier_id, lock=True)
    tiers_steps.add_step(session, actor=actor, located=located, title=body.title, due_on=body.due_on)
    (read,) = tiers_reads.reads(session, actor, [located.tier])
    return idem.respond(session, read, status_code=201)


def _step(
    session: SessionDep, actor: Actor, tier_id: int, step_id: int, expected: int, action: StepAction, body: ReasonBody
) -> Response:
    subject = tiers_steps.locate_step(session, actor, tier_id, step_id)
    tiers_steps.transition(
        session, actor=actor, subject=subject, action=action, expected_version=expected, reason=body.reason
    )
    return _answer(session, actor, tier_id)


@router.post("/branch-tiers/{tier_id}/steps/{step_id}/complete", response_model=TierRead)
def complete_step(
    session: SessionDep, actor: ActorDep, tier_id: Id, step_id: Id, expected: IfMatchDep, body: ReasonBody
) -> Response:
    """整顿步骤完成（支部书记或党委，写明完成情况）；If-Match 为步骤的版本号。"""
    return _step(session, actor, tier_id, step_id, expected, StepAction.complete, body)


@router.post("/branch-tiers/{tier_id}/steps/{step_id}/undo", response_model=TierRead)
def undo_step(
    session: SessionDep, actor: ActorDep, tier_id: Id, step_id: Id, expected: IfMatchDep, body: ReasonBody
) -> Response:
    """撤销步骤的完成（须写明原因）。"""
    return _step(session, actor, tier_id, step_id, expected, StepAction.undo, body)


@router.post("/branch-tiers/{tier_id}/steps/{step_id}/drop", response_model=TierRead)
def drop_step(
    session: SessionDep, actor: ActorDep, tier_id: Id, step_id: Id, expected: IfMatchDep, body: ReasonBody
) -> Response:
    """取消整顿步骤（党委，须写明原因）。"""
    return _step(session, actor, tier_id, step_id, expected, StepAction.drop, body)
