"""自评 and 党员互评: self statements, peer reviews, the secretary's progress view, 人情分 flags.

Rules (each enforced here, the database backs the first two):
- a reviewer is an active member holding rating.review on their branch; they score every other
  active member of their own branch once (a second submit replaces), never themself;
- reviews are taken and changed only while the period is open;
- what one member gave another is never read back by anyone but the reviewer: the secretary sees
  counts, compute (R2) reads aggregates; a flag names who, never the scores;
- flags are found when the period leaves open; a flag discarded by the secretary (with a reason)
  discards the reviews it covers (`peer_review.discarded_at`), which compute does not count.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlmodel import Session, col

from app.core.db import insert_for
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, page_of
from app.core.permissions import Actor, Permission, require
from app.core.time import utcnow
from app.members import service as members_service
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit
from app.ratings import scope, states
from app.ratings.models import (
    FLAG_KIND_LABELS,
    FlagKind,
    PeerFlag,
    PeerReview,
    PeerScale,
    PeriodStatus,
    RatingPeriod,
    SelfStatement,
)
from app.ratings.rules import TOP_SCORE, PolicyRules
from app.ratings.schemas import (
    FlagRead,
    PeerToReview,
    ProgressPage,
    ReviewerProgress,
    ReviewSaved,
    ReviewSheet,
    StatementRead,
)

UNIFORM_MIN_REVIEWS = 3  # giving two peers the same score says little


def _rules(period: RatingPeriod) -> PolicyRules:
    return PolicyRules.model_validate(period.policy_snapshot or {})


def reviewer(session: Session, actor: Actor, period_unit: OrgUnit) -> tuple[Member, OrgUnit]:
    """The actor as a reviewer: an active member, of a branch the period covers, holding rating.review."""
    member = scope.active_member_of(session, actor)
    if member is None:
        raise Forbidden("只有在册党员才能参加自评互评", code="rating_not_member")
    branch = org_service.get_unit(session, member.branch_id)
    if not branch.path.startswith(period_unit.path):
        raise Forbidden("您所在的党支部不参加该测评周期", code="rating_not_in_period")
    require(actor, Permission.rating_review, branch)
    return member, branch


def _check_open(period: RatingPeriod, what: str) -> None:
    if period.status not in states.REVIEWING:
        raise Conflict(
            f"该测评周期当前为“{states.STATUS_LABELS[period.status]}”，不能{what}",
            code="rating_period_wrong_state",
            extra={"period_status": str(period.status)},
        )


# ---------------------------------------------------------------- self statements


def write_statement(
    session: Session, *, actor: Actor, period: RatingPeriod, period_unit: OrgUnit, text: str
) -> StatementRead:
    member, branch = reviewer(session, actor, period_unit)
    _check_open(period, "写自评")
    text = text.strip()
    if not text:
        raise Unprocessable("请填写自评", code="statement_empty", errors=[{"field": "text", "message": "必填"}])
    now = utcnow()
    table = SelfStatement.metadata.tables["self_statement"]
    stmt = insert_for(session)(table).values(
        period_id=period.id, member_id=member.id, branch_id=branch.id, text=text, created_at=now, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.period_id, table.c.member_id],
        set_={"text": stmt.excluded.text, "updated_at": stmt.excluded.updated_at},
    )
    session.execute(stmt)
    return StatementRead(period_id=period.id or 0, member_id=member.id or 0, text=text, updated_at=now)


def my_statement(session: Session, period_id: int, member_id: int) -> SelfStatement | None:
    return session.execute(
        select(SelfStatement).where(
            col(SelfStatement.period_id) == period_id, col(SelfStatement.member_id) == member_id
        )
    ).scalar_one_or_none()


# ---------------------------------------------------------------- reviews


def sheet(
    session: Session, *, actor: Actor, period: RatingPeriod, period_unit: OrgUnit, params: PageParams
) -> ReviewSheet:
    """The reviewer's sheet: every peer of their branch with their self statement and the reviewer's own value."""
    member, branch = reviewer(session, actor, period_unit)
    rules = _rules(period) if period.policy_snapshot else PolicyRules()
    everyone = [m for m in scope.active_members(session, branch.id or 0) if m.id != member.id]
    peers = everyone[params.offset : params.offset + params.size]
    ids = [m.id for m in peers]
    statements = dict(
        session.execute(
            select(col(SelfStatement.member_id), col(SelfStatement.text)).where(
                col(SelfStatement.period_id) == period.id, col(SelfStatement.member_id).in_(ids)
            )
        ).all()
    )
    mine: dict[int, tuple[int, int | None]] = {
        int(r[0]): (int(r[1]), r[2])
        for r in session.execute(
            select(col(PeerReview.reviewee_member_id), col(PeerReview.score), col(PeerReview.stars)).where(
                col(PeerReview.period_id) == period.id,
                col(PeerReview.reviewer_member_id) == member.id,
                col(PeerReview.reviewee_member_id).in_(ids),
            )
        ).all()
    }
    # over the whole sheet, not this page: the progress (已评 12 / 15) and which peers are done
    reviewed = sorted(
        int(i)
        for i in session.execute(
            select(col(PeerReview.reviewee_member_id)).where(
                col(PeerReview.period_id) == period.id,
                col(PeerReview.reviewer_member_id) == member.id,
                col(PeerReview.reviewee_member_id).in_([m.id for m in everyone]),
            )
        ).scalars()
    )
    stars = rules.peer_scale == PeerScale.stars

    def value(member_id: int) -> int | None:
        if member_id not in mine:
            return None
        score, tapped = mine[member_id]
        return tapped if stars and tapped is not None else score

    own = my_statement(session, period.id or 0, member.id or 0)
    return ReviewSheet(
        period_id=period.id or 0,
        branch_id=branch.id or 0,
        scale="stars" if stars else "points",
        open=period.status in states.REVIEWING,
        given=len(reviewed),
        expected=len(everyone),
        reviewed=reviewed,
        my_statement=own.text if own else None,
        peers=[
            PeerToReview(
                member_id=m.id or 0,
                name=m.name,
                public_title=m.public_title,
                statement=statements.get(m.id),
                value=value(m.id or 0),
            )
            for m in peers
        ],
        total=len(everyone),
        page=params.page,
        pages=(len(everyone) + params.size - 1) // params.size,
    )


def _points(rules: PolicyRules, value: int) -> tuple[int, int | None]:
    if rules.peer_scale == PeerScale.stars:
        if not 1 <= value <= 5:
            raise Unprocessable(
                "请选择 1 到 5 颗星", code="review_value", errors=[{"field": "value", "message": "请选择 1 到 5 颗星"}]
            )
        return rules.peer_points(value), value
    return value, None


def save_reviews(
    session: Session, *, actor: Actor, period: RatingPeriod, period_unit: OrgUnit, values: dict[int, int]
) -> ReviewSaved:
    """Score peers (a second score of the same peer replaces the first). All or nothing."""
    member, branch = reviewer(session, actor, period_unit)
    _check_open(period, "评分")
    if member.id in values:
        raise Forbidden("不能给自己评分", code="review_self")
    peers = {m.id for m in scope.active_members(session, branch.id or 0)} - {member.id}
    strangers = set(values) - peers
    if strangers:
        raise NotFound("只能给本支部在册的其他党员评分", code="review_not_peer")
    rules = _rules(period)
    now = utcnow()
    table = PeerReview.metadata.tables["peer_review"]
    rows = []
    for reviewee, value in sorted(values.items()):
        score, tapped = _points(rules, value)
        rows.append(
            {
                "period_id": period.id,
                "branch_id": branch.id,
                "reviewer_member_id": member.id,
                "reviewee_member_id": reviewee,
                "score": score,
                "stars": tapped,
                "created_at": now,
                "updated_at": now,
            }
        )
    stmt = insert_for(session)(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.period_id, table.c.reviewer_member_id, table.c.reviewee_member_id],
        set_={"score": stmt.excluded.score, "stars": stmt.excluded.stars, "updated_at": stmt.excluded.updated_at},
    )
    session.execute(stmt)
    given = session.execute(
        select(func.count()).where(
            col(PeerReview.period_id) == period.id,
            col(PeerReview.reviewer_member_id) == member.id,
            col(PeerReview.reviewee_member_id).in_(peers),
        )
    ).scalar_one()
    return ReviewSaved(period_id=period.id or 0, given=int(given), expected=len(peers))


def given_counts(session: Session, period_id: int, branch_id: int) -> dict[int, int]:
    """reviewer → how many current peers they have scored (one GROUP BY; never the scores)."""
    peer = col(PeerReview.reviewee_member_id).in_(
        select(col(Member.id)).where(col(Member.branch_id) == branch_id, col(Member.status) == "active")
    )
    rows = session.execute(
        select(col(PeerReview.reviewer_member_id), func.count())
        .where(col(PeerReview.period_id) == period_id, col(PeerReview.branch_id) == branch_id, peer)
        .group_by(col(PeerReview.reviewer_member_id))
    ).all()
    return {int(r): int(n) for r, n in rows}


def progress(
    session: Session, *, actor: Actor, period: RatingPeriod, branch: OrgUnit, params: PageParams
) -> ProgressPage:
    """Who has reviewed how many of their peers, and who wrote a self statement: the secretary's view."""
    require(actor, Permission.rating_manage, branch)
    members = scope.active_members(session, branch.id or 0)
    given = given_counts(session, period.id or 0, branch.id or 0)
    wrote = set(
        session.execute(
            select(col(SelfStatement.member_id)).where(
                col(SelfStatement.period_id) == period.id, col(SelfStatement.branch_id) == branch.id
            )
        ).scalars()
    )
    expected = max(len(members) - 1, 0)
    items = [
        ReviewerProgress(
            member_id=m.id or 0,
            name=m.name,
            given=given.get(m.id or 0, 0),
            expected=expected,
            done=given.get(m.id or 0, 0) >= expected,
            statement_written=m.id in wrote,
        )
        for m in members
    ]
    items.sort(key=lambda p: p.done)  # who still has reviews to give first: that is what is left to chase
    page = page_of(items, params)
    return ProgressPage(
        **page.model_dump(exclude={"items"}),
        items=page.items,
        finished=sum(1 for p in items if p.done),
        statements=len(wrote & {m.id for m in members}),
    )


# ---------------------------------------------------------------- 人情分 flags


def _find_flags(session: Session, period_id: int) -> dict[tuple[int, FlagKind, int | None], tuple[int, str]]:
    """(reviewer, kind, partner) → (branch, detail) of every possible 人情分 in the period (SQL aggregates)."""
    found: dict[tuple[int, FlagKind, int | None], tuple[int, str]] = {}
    r = PeerReview
    per_reviewer = session.execute(
        select(col(r.reviewer_member_id), col(r.branch_id), func.count(), func.min(r.score), func.max(r.score))
        .where(col(r.period_id) == period_id)
        .group_by(col(r.reviewer_member_id), col(r.branch_id))
    ).all()
    stats: dict[int, tuple[int, int, int, int]] = {}
    for reviewer_id, branch_id, n, low, high in per_reviewer:
        stats[int(reviewer_id)] = (int(branch_id), int(n), int(low), int(high))
        if n >= UNIFORM_MIN_REVIEWS and low == high:
            found[(int(reviewer_id), FlagKind.uniform, None)] = (int(branch_id), f"给全部 {n} 名党员打了相同的分")
    a, b = PeerReview.__table__.alias("a"), PeerReview.__table__.alias("b")  # type: ignore[attr-defined]
    pairs = session.execute(
        select(a.c.reviewer_member_id, a.c.reviewee_member_id, a.c.branch_id)
        .join(
            b,
            and_(
                b.c.period_id == a.c.period_id,
                b.c.reviewer_member_id == a.c.reviewee_member_id,
                b.c.reviewee_member_id == a.c.reviewer_member_id,
            ),
        )
        .where(a.c.period_id == period_id, a.c.score == TOP_SCORE, b.c.score == TOP_SCORE)
    ).all()
    # the best each reviewer gave anyone but the partner: "others less" means below the top
    others = session.execute(
        select(col(r.reviewer_member_id), col(r.reviewee_member_id), col(r.score)).where(
            col(r.period_id) == period_id,
            col(r.reviewer_member_id).in_({int(p[0]) for p in pairs}),
        )
    ).all()
    given: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for who, whom, score in others:
        given[int(who)].append((int(whom), int(score)))
    for reviewer_id, partner_id, branch_id in pairs:
        rest = [s for whom, s in given[int(reviewer_id)] if whom != partner_id]
        if rest and max(rest) < TOP_SCORE:
            found[(int(reviewer_id), FlagKind.mutual_top, int(partner_id))] = (
                int(branch_id),
                "与对方互打最高分，给其他党员的分都较低",
            )
    return found


def _covered(flag: PeerFlag) -> Any:
    """SQL: the reviews a flag covers (a uniform reviewer's all; a mutual pair's two)."""
    same = col(PeerReview.period_id) == flag.period_id
    if flag.kind == FlagKind.uniform:
        return and_(same, col(PeerReview.reviewer_member_id) == flag.reviewer_member_id)
    return and_(
        same,
        col(PeerReview.reviewer_member_id) == flag.reviewer_member_id,
        col(PeerReview.reviewee_member_id) == flag.partner_member_id,
    )


def refresh_flags(session: Session, *, period: RatingPeriod) -> int:
    """Find the flags again (when the period leaves open). A flag still found keeps its decision; one
    no longer found goes, and the reviews it had discarded count again. Returns the flags found."""
    found = _find_flags(session, period.id or 0)
    existing = list(session.execute(select(PeerFlag).where(col(PeerFlag.period_id) == period.id)).scalars())
    for flag in existing:
        key = (flag.reviewer_member_id, flag.kind, flag.partner_member_id)
        if key in found:
            found.pop(key)
            continue
        if flag.discarded_at is not None:
            session.execute(update(PeerReview).where(_covered(flag)).values(discarded_at=None))
        session.delete(flag)
    for (reviewer_id, kind, partner_id), (branch_id, detail) in found.items():
        session.add(
            PeerFlag(
                period_id=period.id or 0,
                branch_id=branch_id,
                kind=kind,
                reviewer_member_id=reviewer_id,
                partner_member_id=partner_id,
                detail=detail,
            )
        )
    session.flush()
    return int(session.execute(select(func.count()).where(col(PeerFlag.period_id) == period.id)).scalar_one())


def _flag_read(flag: PeerFlag, names: dict[int, str]) -> FlagRead:
    return FlagRead(
        id=flag.id or 0,
        kind=flag.kind,
        kind_label=FLAG_KIND_LABELS[flag.kind],
        reviewer_member_id=flag.reviewer_member_id,
        reviewer_name=names.get(flag.reviewer_member_id, ""),
        partner_member_id=flag.partner_member_id,
        partner_name=names.get(flag.partner_member_id) if flag.partner_member_id else None,
        detail=flag.detail,
        created_at=flag.created_at,
        discarded_at=flag.discarded_at,
        discard_reason=flag.discard_reason,
    )


def list_flags(
    session: Session, *, actor: Actor, period: RatingPeriod, branch: OrgUnit, params: PageParams
) -> Page[FlagRead]:
    require(actor, Permission.rating_manage, branch)
    flags = list(
        session.execute(
            select(PeerFlag)
            .where(col(PeerFlag.period_id) == period.id, col(PeerFlag.branch_id) == branch.id)
            .order_by(col(PeerFlag.id))
        ).scalars()
    )
    page = flags[params.offset : params.offset + params.size]
    ids = [f.reviewer_member_id for f in page] + [f.partner_member_id for f in page if f.partner_member_id]
    names = members_service.member_names(session, ids)
    return page_of([_flag_read(f, names) for f in page], params, total=len(flags))


DISCARDABLE = frozenset({PeriodStatus.assessing, PeriodStatus.computed})


def discard_flag(
    session: Session, *, actor: Actor, period: RatingPeriod, period_unit: OrgUnit, flag_id: int, reason: str
) -> FlagRead:
    """Do not count the reviews a flag covers (the secretary, with a reason; never about themself)."""
    flag = session.get(PeerFlag, flag_id)
    if flag is None or flag.period_id != period.id:
        raise NotFound("未找到该提示")
    branch = scope.branch_in_period(session, actor, period_unit, flag.branch_id)
    require(actor, Permission.rating_manage, branch)
    me = scope.active_member_of(session, actor)
    if me is not None and me.id in {flag.reviewer_member_id, flag.partner_member_id}:
        raise Forbidden("与自己有关的提示请由上级处理", code="flag_own")
    if period.status not in DISCARDABLE:
        raise Conflict(
            f"该测评周期当前为“{states.STATUS_LABELS[period.status]}”，不能处理人情分提示",
            code="rating_period_wrong_state",
        )
    if flag.discarded_at is not None:
        raise Conflict("该提示已处理", code="flag_discarded")
    now = utcnow()
    flag.discarded_at = now
    flag.discarded_by_account_id = None if actor.system else actor.account_id
    flag.discard_reason = reason.strip()
    session.add(flag)
    session.execute(update(PeerReview).where(_covered(flag)).values(discarded_at=now))
    session.flush()
    ids = [flag.reviewer_member_id] + ([flag.partner_member_id] if flag.partner_member_id else [])
    return _flag_read(flag, members_service.member_names(session, ids))
