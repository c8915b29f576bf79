"""Every branch's progress through a period, in counts (never a score), and its late steps: what the
committee watches and chases, and what a secretary sees of their own branch."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.pagination import Page, PageParams, page_of
from app.core.permissions import Actor, Permission, allowed
from app.core.time import today_local
from app.members.models import Member, MemberStatus
from app.org.models import OrgUnit
from app.ratings import assessments, periods, scope, states
from app.ratings.models import PeerFlag, PeerReview, PeriodStatus, RatingBranchStatus, RatingPeriod, SelfStatement
from app.ratings.schemas import BranchProgress
from app.ratings.states import Who


def late_steps(period: RatingPeriod, row: BranchProgress, today: date | None = None) -> list[str]:
    """The steps a branch has not finished past their deadline."""
    today = today or today_local()
    s = period.status
    late: list[str] = []
    past = {
        "review": period.review_due is not None and today > period.review_due,
        "assessment": period.assessment_due is not None and today > period.assessment_due,
        "approval": period.approval_due is not None and today > period.approval_due,
    }
    if past["review"] and s == PeriodStatus.open and row.reviewers_done < row.members:
        late.append("自评互评")
    if past["assessment"] and s in states.ASSESSING and row.members_assessed < row.members:
        late.append("组织考评")
    if past["approval"] and s == PeriodStatus.computed and row.members_approved_at is None:
        late.append("审定")
    return late


def _count_by(session: Session, stmt: Any) -> dict[int, int]:
    return {int(k): int(n) for k, n in session.execute(stmt).all()}


def branch_progress(
    session: Session,
    *,
    actor: Actor,
    period: RatingPeriod,
    period_unit: OrgUnit,
    params: PageParams,
    late_only: bool = False,
) -> Page[BranchProgress]:
    """The branches the period covers where the actor manages ratings (the committee: all of them);
    403 for someone who manages none (a member)."""
    periods.authorize(actor, period_unit, Who.manager)
    branches = [b for b in scope.branches(session, period_unit) if allowed(actor, Permission.rating_manage, b)]
    ids = [b.id or 0 for b in branches]
    pid = period.id or 0
    members = _count_by(
        session,
        select(col(Member.branch_id), func.count())
        .where(col(Member.branch_id).in_(ids), col(Member.status) == MemberStatus.active)
        .group_by(col(Member.branch_id)),
    )
    statements = _count_by(
        session,
        select(col(SelfStatement.branch_id), func.count())
        .where(col(SelfStatement.period_id) == pid, col(SelfStatement.branch_id).in_(ids))
        .group_by(col(SelfStatement.branch_id)),
    )
    per_reviewer = session.execute(
        select(col(PeerReview.branch_id), col(PeerReview.reviewer_member_id), func.count())
        .where(col(PeerReview.period_id) == pid, col(PeerReview.branch_id).in_(ids))
        .group_by(col(PeerReview.branch_id), col(PeerReview.reviewer_member_id))
    ).all()
    given: dict[int, list[int]] = defaultdict(list)
    for branch_id, _reviewer, n in per_reviewer:
        given[int(branch_id)].append(int(n))
    flags = _count_by(
        session,
        select(col(PeerFlag.branch_id), func.count())
        .where(col(PeerFlag.period_id) == pid, col(PeerFlag.discarded_at).is_(None))
        .group_by(col(PeerFlag.branch_id)),
    )
    assessed = assessments.assessed_counts(session, pid)
    branch_done = assessments.branches_assessed(session, pid)
    status_rows = {
        r.branch_id: r
        for r in session.execute(select(RatingBranchStatus).where(col(RatingBranchStatus.period_id) == pid)).scalars()
    }
    out: list[BranchProgress] = []
    for b in branches:
        bid = b.id or 0
        n = members.get(bid, 0)
        st = status_rows.get(bid)
        row = BranchProgress(
            branch_id=bid,
            branch_name=b.name,
            members=n,
            statements=statements.get(bid, 0),
            reviewers_done=sum(1 for c in given.get(bid, []) if c >= n - 1) if n > 1 else n,
            reviews_given=sum(given.get(bid, [])),
            reviews_expected=n * (n - 1),
            members_assessed=assessed.get(bid, 0),
            branch_assessed=bid in branch_done,
            flags_open=flags.get(bid, 0),
            members_approved_at=st.members_approved_at if st else None,
            branch_approved_at=st.branch_approved_at if st else None,
            published_at=st.published_at if st else None,
            late=[],
        )
        row.late = late_steps(period, row)
        if row.late or not late_only:
            out.append(row)
    return page_of(out, params)
