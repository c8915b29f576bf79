"""Secretaries' moderation of villager evaluations: the suggestion queue (approve → public, masked;
reject), flagged ratings (accept → counted; discard). Lists are drawn from the units where the actor
holds evaluation.moderate (`org_service.scope_for`); a decision touches the boards that show it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require
from app.core.privacy import mask_personal
from app.core.time import utcnow
from app.evaluations.intake import SUGGESTION_MAX_CHARS
from app.evaluations.models import PublicRating, RatingStatus, Suggestion, SuggestionStatus
from app.evaluations.schemas import RatingRead, SuggestionRead
from app.org import service as org_service


def suggestion_queue(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    status: SuggestionStatus | None = SuggestionStatus.pending,
    unit_id: int | None = None,
) -> Page[SuggestionRead]:
    """Suggestions in the branches the actor moderates; pending ones first by default, oldest first."""
    paths = org_service.scope_for(session, actor, Permission.evaluation_moderate, unit_id)
    stmt: Any = select(Suggestion).where(col(Suggestion.unit_id).in_(org_service.subtree_ids(paths)))
    if status is not None:
        stmt = stmt.where(col(Suggestion.status) == status)
    order = col(Suggestion.created_at) if status == SuggestionStatus.pending else col(Suggestion.created_at).desc()
    stmt = stmt.order_by(order, col(Suggestion.id))
    return paginate(session, stmt, params, lambda rows: [SuggestionRead.model_validate(s) for s in rows])


def get_suggestion(session: Session, *, actor: Actor, suggestion_id: int) -> Suggestion:
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise NotFound("未找到该意见建议")
    if not allowed(actor, Permission.unit_read, org_service.get_unit(session, suggestion.unit_id)):
        raise NotFound("未找到该意见建议")
    return suggestion


def moderate(session: Session, *, actor: Actor, suggestion_id: int, approve: bool, reason: str = "") -> Suggestion:
    """Approve (publish, masked) or reject a suggestion; a decision can be changed later."""
    suggestion = get_suggestion(session, actor=actor, suggestion_id=suggestion_id)
    require(actor, Permission.evaluation_moderate, org_service.get_unit(session, suggestion.unit_id))
    new_status = SuggestionStatus.approved if approve else SuggestionStatus.rejected
    was_public = suggestion.status == SuggestionStatus.approved
    suggestion.status = new_status
    suggestion.public_text = mask_personal(suggestion.text)[:SUGGESTION_MAX_CHARS]
    suggestion.reason = reason.strip()
    suggestion.moderated_by_account_id = actor.account_id
    suggestion.moderated_at = utcnow()
    session.add(suggestion)
    session.flush()
    if was_public or approve:
        org_service.touch(session, [suggestion.unit_id])
    return suggestion


REPLY_MAX_CHARS = 500


def reply(session: Session, *, actor: Actor, suggestion_id: int, text: str) -> Suggestion:
    """The branch's answer (答复) to an approved suggestion: shown under it on the boards (masked as the
    suggestion is). Replying again replaces the answer. 409 unless the suggestion is public."""
    suggestion = get_suggestion(session, actor=actor, suggestion_id=suggestion_id)
    require(actor, Permission.evaluation_moderate, org_service.get_unit(session, suggestion.unit_id))
    if suggestion.status != SuggestionStatus.approved:
        raise Conflict("只能答复已公开的意见建议，请先公开", code="suggestion_not_public")
    answer = text.strip()
    if not answer:
        raise Unprocessable(
            "请填写答复内容", code="reply_required", errors=[{"field": "text", "message": "请填写答复内容"}]
        )
    suggestion.reply = answer
    suggestion.public_reply = mask_personal(suggestion.reply)[:REPLY_MAX_CHARS]
    suggestion.replied_by_account_id = actor.recorded_account_id
    suggestion.replied_at = utcnow()
    session.add(suggestion)
    session.flush()
    org_service.touch(session, [suggestion.unit_id])
    return suggestion


def rating_list(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    status: RatingStatus | None = RatingStatus.flagged,
    unit_id: int | None = None,
    pledge_id: int | None = None,
) -> Page[RatingRead]:
    """Ratings in the branches the actor moderates (flagged ones by default), newest first."""
    paths = org_service.scope_for(session, actor, Permission.evaluation_moderate, unit_id)
    stmt: Any = select(PublicRating).where(col(PublicRating.unit_id).in_(org_service.subtree_ids(paths)))
    if status is not None:
        stmt = stmt.where(col(PublicRating.status) == status)
    if pledge_id is not None:
        stmt = stmt.where(col(PublicRating.pledge_id) == pledge_id)
    stmt = stmt.order_by(col(PublicRating.updated_at).desc(), col(PublicRating.id).desc())
    return paginate(session, stmt, params, lambda rows: [RatingRead.model_validate(r) for r in rows])


def review_rating(session: Session, *, actor: Actor, rating_id: int, accept: bool) -> PublicRating:
    """Accept a flagged rating (it counts) or discard it."""
    rating = session.get(PublicRating, rating_id)
    branch = org_service.get_unit(session, rating.branch_id) if rating is not None else None
    if rating is None or branch is None or not allowed(actor, Permission.unit_read, branch):
        raise NotFound("未找到该测评")
    require(actor, Permission.evaluation_moderate, branch)
    if rating.status == RatingStatus.counted and accept:
        raise Conflict("该测评已计入", code="rating_already_counted")
    rating.status = RatingStatus.counted if accept else RatingStatus.discarded
    rating.reviewed_by_account_id = actor.account_id
    rating.reviewed_at = utcnow()
    session.add(rating)
    session.flush()
    org_service.touch(session, [rating.unit_id])
    return rating
