"""自评 and 党员互评: my self statement, my review sheet and scores; the secretary's progress view
(counts only) and the 人情分 flags to decide on.

Scores go in through PUT (one peer; naturally idempotent) or POST (a batch, with Idempotency-Key):
the PWA's outbox may send either again; a second score of the same peer replaces the first.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.ratings import reviews
from app.ratings.dependencies import QueryBranch, SheetPageDep, VisiblePeriod, WritablePeriod
from app.ratings.schemas import (
    FlagDiscard,
    FlagRead,
    ProgressPage,
    ReviewBatch,
    ReviewSaved,
    ReviewSheet,
    ReviewWrite,
    StatementRead,
    StatementWrite,
)

router = APIRouter(tags=["ratings"])


@router.get("/rating-periods/{period_id}/self-statement", response_model=StatementRead)
def read_statement(session: SessionDep, actor: ActorDep, located: VisiblePeriod) -> StatementRead:
    """我的自评（还没写时为 404）。"""
    period, unit = located
    member, _branch = reviews.reviewer(session, actor, unit)
    own = reviews.my_statement(session, period.id or 0, member.id or 0)
    if own is None:
        raise NotFound("还没有写自评", code="statement_missing")
    return StatementRead(period_id=own.period_id, member_id=own.member_id, text=own.text, updated_at=own.updated_at)


@router.put("/rating-periods/{period_id}/self-statement", response_model=StatementRead)
def write_statement(
    session: SessionDep, actor: ActorDep, located: VisiblePeriod, body: StatementWrite
) -> StatementRead:
    """写或修改我的自评（不超过 300 字），互评期间本支部党员评分时可以看到。"""
    period, unit = located
    return reviews.write_statement(session, actor=actor, period=period, period_unit=unit, text=body.text)


@router.get("/rating-periods/{period_id}/peer-reviews/mine", response_model=ReviewSheet)
def my_review_sheet(session: SessionDep, actor: ActorDep, located: VisiblePeriod, paging: SheetPageDep) -> ReviewSheet:
    """我要评的同支部党员（含他们的自评和我已给的评分）和进度“已评 12 / 15”。"""
    period, unit = located
    return reviews.sheet(session, actor=actor, period=period, period_unit=unit, params=paging)


@router.put("/rating-periods/{period_id}/peer-reviews/{member_id}", response_model=ReviewSaved)
def review_peer(
    session: SessionDep, actor: ActorDep, located: VisiblePeriod, member_id: Id, body: ReviewWrite
) -> ReviewSaved:
    """给一名同支部党员评分（再次评分即修改）；不能给自己评分，互评结束后不能再改。"""
    period, unit = located
    return reviews.save_reviews(session, actor=actor, period=period, period_unit=unit, values={member_id: body.value})


@router.post("/rating-periods/{period_id}/peer-reviews", response_model=ReviewSaved)
def review_peers(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, located: VisiblePeriod, body: ReviewBatch
) -> Response:
    """一次给多名同支部党员评分（全部成功或全部不保存）。"""
    period, unit = located
    values: dict[int, int] = {}
    for item in body.reviews:
        values[item.member_id] = item.value  # the last score of a peer in the batch wins
    saved = reviews.save_reviews(session, actor=actor, period=period, period_unit=unit, values=values)
    return idem.respond(session, saved)


@router.get("/rating-periods/{period_id}/peer-reviews/progress", response_model=ProgressPage)
def review_progress(
    session: SessionDep, actor: ActorDep, located: VisiblePeriod, branch: QueryBranch, paging: PageDep
) -> ProgressPage:
    """本支部谁已评完、谁还没有评（只有人数，看不到谁给谁打了多少分）。"""
    return reviews.progress(session, actor=actor, period=located[0], branch=branch, params=paging)


@router.get("/rating-periods/{period_id}/peer-flags", response_model=Page[FlagRead])
def list_flags(
    session: SessionDep, actor: ActorDep, located: VisiblePeriod, branch: QueryBranch, paging: PageDep
) -> Page[FlagRead]:
    """可能的人情分：给所有人打同样分的，互打最高分而给他人较低分的。"""
    return reviews.list_flags(session, actor=actor, period=located[0], branch=branch, params=paging)


@router.post("/rating-periods/{period_id}/peer-flags/{flag_id}/discard", response_model=FlagRead)
def discard_flag(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, located: WritablePeriod, flag_id: Id, body: FlagDiscard
) -> Response:
    """不计入：该提示涉及的评分不计入得分（须写明原因）。"""
    period, unit = located
    read = reviews.discard_flag(
        session, actor=actor, period=period, period_unit=unit, flag_id=flag_id, reason=body.reason
    )
    return idem.respond(session, read)
