"""Secretaries' side of villager evaluations: the moderation queue, flagged ratings, summaries.

The villagers' side (rating and suggestion forms) is on the public board pages, in app/boards.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.core.db import SessionDep
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.evaluations import satisfaction, service
from app.evaluations.branch import BranchSatisfaction
from app.evaluations.models import RatingStatus, SuggestionStatus
from app.evaluations.periods import PERIOD_PATTERN, Period
from app.evaluations.satisfaction import PledgeSatisfaction
from app.evaluations.schemas import (
    MemberEvaluationSummary,
    PledgeEvaluationSummary,
    PledgeSuggestion,
    RatingRead,
    RatingReview,
    SuggestionModerate,
    SuggestionRead,
    SuggestionReply,
)
from app.members.dependencies import ActorDep

router = APIRouter(prefix="/evaluations", tags=["evaluations"])

PeriodQuery = Annotated[Period | None, Query(pattern=PERIOD_PATTERN, description="考评季度，如 2026Q4；不填为全部")]


@router.get("/suggestions", response_model=Page[SuggestionRead])
def list_suggestions(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    status: SuggestionStatus | None = SuggestionStatus.pending,
    unit_id: int | None = None,
) -> Page[SuggestionRead]:
    """群众意见建议审核队列（默认待审核，最早的在前）。"""
    return service.suggestion_queue(session, actor=actor, params=paging, status=status, unit_id=unit_id)


@router.post("/suggestions/{suggestion_id}/moderate", response_model=SuggestionRead)
def moderate_suggestion(
    session: SessionDep, actor: ActorDep, suggestion_id: int, body: SuggestionModerate
) -> SuggestionRead:
    """公开（手机号、身份证号自动打码）或不公开一条意见建议。"""
    suggestion = service.moderate(
        session, actor=actor, suggestion_id=suggestion_id, approve=body.approve, reason=body.reason
    )
    return SuggestionRead.model_validate(suggestion)


@router.post("/suggestions/{suggestion_id}/reply", response_model=SuggestionRead)
def reply_suggestion(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, suggestion_id: Id, body: SuggestionReply
) -> Response:
    """答复一条已公开的意见建议（显示在公示牌上这条意见下面；手机号、身份证号自动打码）；再次答复即修改。"""
    suggestion = service.reply(session, actor=actor, suggestion_id=suggestion_id, text=body.text)
    return idem.respond(session, SuggestionRead.model_validate(suggestion))


@router.get("/pledges/{pledge_id}/suggestions", response_model=Page[PledgeSuggestion])
def pledge_suggestions(session: SessionDep, actor: ActorDep, paging: PageDep, pledge_id: Id) -> Page[PledgeSuggestion]:
    """一项承诺收到的已公开的群众意见建议和支部的答复（与公示牌上一样），最新的在前。"""
    return service.pledge_suggestions(session, actor=actor, pledge_id=pledge_id, params=paging)


@router.get("/ratings", response_model=Page[RatingRead])
def list_ratings(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    status: RatingStatus | None = RatingStatus.flagged,
    unit_id: int | None = None,
    pledge_id: int | None = None,
) -> Page[RatingRead]:
    """群众测评记录（默认只列出短时间内集中提交、待复核的）。"""
    return service.rating_list(session, actor=actor, params=paging, status=status, unit_id=unit_id, pledge_id=pledge_id)


@router.post("/ratings/{rating_id}/review", response_model=RatingRead)
def review_rating(session: SessionDep, actor: ActorDep, rating_id: int, body: RatingReview) -> RatingRead:
    """复核一条待复核的测评：计入或作废。"""
    return RatingRead.model_validate(
        service.review_rating(session, actor=actor, rating_id=rating_id, accept=body.accept)
    )


@router.get("/pledges/{pledge_id}/satisfaction", response_model=PledgeSatisfaction)
def pledge_satisfaction(session: SessionDep, actor: ActorDep, pledge_id: int) -> PledgeSatisfaction:
    """一项承诺的群众满意度（各季度合计，供销诺时参考）。"""
    return satisfaction.pledge_satisfaction(session, actor=actor, pledge_id=pledge_id)


@router.get("/branches/{branch_id}/satisfaction", response_model=BranchSatisfaction)
def branch_satisfaction(
    session: SessionDep,
    actor: ActorDep,
    branch_id: Id,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年度，默认今年")] = None,
) -> BranchSatisfaction:
    """本支部群众满意度：该年度对本支部全部承诺（含集体承诺）的评价，每台手机算一人，与公示牌同一口径。"""
    return service.branch_satisfaction(session, actor=actor, branch_id=branch_id, year=year)


@router.get("/summary/pledges", response_model=Page[PledgeEvaluationSummary])
def pledge_summaries(
    session: SessionDep, actor: ActorDep, paging: PageDep, unit_id: int | None = None, period: PeriodQuery = None
) -> Page[PledgeEvaluationSummary]:
    """按承诺汇总的群众测评结果。"""
    return service.pledge_summaries(session, actor=actor, params=paging, unit_id=unit_id, period=period)


@router.get("/summary/members", response_model=Page[MemberEvaluationSummary])
def member_summaries(
    session: SessionDep, actor: ActorDep, paging: PageDep, unit_id: int | None = None, period: PeriodQuery = None
) -> Page[MemberEvaluationSummary]:
    """按党员汇总的群众测评结果（供星级评定使用）。"""
    return service.member_summaries(session, actor=actor, params=paging, unit_id=unit_id, period=period)
