"""What boards show of 述职评议: the reports the committee published on a branch's board — the round's
title, the report's text passed through `mask_personal`, when it was published. No attachment, no score,
no author beyond what the board already names. Publishing or withdrawing one touches the branch, so the
board's cached page and ETag move (app.appraisal.debrief_reports.set_published)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from app.appraisal.models_debrief import DebriefReport, DebriefRound
from app.appraisal.schemas_debrief import DebriefPublic
from app.core.privacy import mask_personal

SHOWN = 3  # the latest published reports on a board


def published_reports(session: Session, branch_id: int, *, limit: int = SHOWN) -> list[DebriefPublic]:
    """The branch's published 述职 reports, newest first (one query)."""
    rows = session.execute(
        select(col(DebriefRound.title), col(DebriefReport.text), col(DebriefReport.published_at))
        .join(DebriefRound, col(DebriefRound.id) == col(DebriefReport.round_id))
        .where(col(DebriefReport.branch_id) == branch_id, col(DebriefReport.published_at).is_not(None))
        .order_by(col(DebriefReport.published_at).desc(), col(DebriefReport.id).desc())
        .limit(limit)
    ).all()
    return [DebriefPublic(round_title=t, text=mask_personal(text), published_at=at) for t, text, at in rows]
