"""Star ratings (三评定星): policies, periods and their events, the three evaluations, results,
level decisions, per-branch progress and the year's 十佳 honours.

- `rating_policy` belongs to an org unit and is inherited by its subtree (policy.py); a period
  freezes a JSON snapshot of it when it opens, so a later policy change never touches a period.
- `rating_period` moves through ratings/states.py; every accepted action is a `rating_period_event`.
- `peer_review` rows are secret: only compute (aggregates) and the reviewer themself read them.
  A review the secretary discarded as 人情分 has `discarded_at` set and is not counted.
- `rating_result` is one row per member and per branch of a period (written by compute);
  `stars` is the decided level, `rating_decision` the history of every decision about it; a result
  is public only once `published_at` is set.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.chain import Chained, LifecycleEvent
from app.core.db import UTCDateTime
from app.core.time import utcnow


class PeriodKind(StrEnum):
    quarter = "quarter"
    year = "year"


class PeriodStatus(StrEnum):
    draft = "draft"  # 草稿
    open = "open"  # 自评互评中
    assessing = "assessing"  # 组织考评中
    computed = "computed"  # 已核算，待审定
    approved = "approved"  # 已审定，待发布
    published = "published"  # 已发布


class SubjectKind(StrEnum):
    member = "member"
    branch = "branch"


class PeerCombine(StrEnum):
    mean = "mean"
    trimmed = "trimmed"  # 去掉一个最高分和一个最低分 (when ≥ 5 reviewers)


class PeerScale(StrEnum):
    stars = "stars"  # Vant Rate 1–5 → 0/25/50/75/100
    points = "points"  # 0–100


class YearCombine(StrEnum):
    sum = "sum"  # four quarterly scores added (0–400), with the policy's year thresholds
    mean = "mean"  # the quarters' mean, with the quarter thresholds


class FlagKind(StrEnum):
    uniform = "uniform"  # gave every peer the same score
    mutual_top = "mutual_top"  # two members gave each other the top score, others less


class DecisionKind(StrEnum):
    approve = "approve"  # the proposed (or current) level accepted
    change = "change"  # a different level before publication, with a reason
    correct = "correct"  # a published level corrected, with a reason (shown as corrected)


class HonourKind(StrEnum):
    member_pledge = "member_pledge"  # 十佳党员承诺
    org_pledge = "org_pledge"  # 十佳党组织承诺
    secretary = "secretary"  # 十佳支书: a branch secretary (member_id), no pledge


class RatingPolicy(SQLModel, table=True):
    """The rules of rating in a unit's subtree (validated in policy.py; see PolicyRules there)."""

    __tablename__ = "rating_policy"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id", unique=True)
    # the rules as one validated JSON document (policy.PolicyRules): weights, thresholds, rubric …
    rules: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    version: int = Field(default=1)
    updated_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RatingPeriod(SQLModel, table=True):
    """A quarter or a year of rating in a unit's subtree (usually the committee's)."""

    __tablename__ = "rating_period"
    __table_args__ = (
        Index("ix_rating_period_unit_id_year", "unit_id", "year"),
        CheckConstraint(
            "(kind = 'quarter' AND quarter >= 1 AND quarter <= 4) OR (kind = 'year' AND quarter IS NULL)",
            name="quarter_of_kind",
        ),
        CheckConstraint("starts_on <= ends_on", name="dates_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id")
    kind: PeriodKind = Field(sa_type=String(10))
    year: int
    quarter: int | None = Field(default=None)  # 1–4 for a quarter, None for a year
    title: str = Field(max_length=60)  # e.g. 2026年第三季度
    starts_on: date
    ends_on: date
    status: PeriodStatus = Field(default=PeriodStatus.draft, sa_type=String(12), index=True)
    # deadlines of the steps (optional): self statements and peer reviews, assessments, approval
    review_due: date | None = Field(default=None)
    assessment_due: date | None = Field(default=None)
    approval_due: date | None = Field(default=None)
    # the policy it runs under: the unit's effective policy, frozen at opening (policy.PolicyRules)
    policy_unit_id: int | None = Field(default=None, foreign_key="org_unit.id")
    policy_snapshot: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    version: int = Field(default=1)  # bumped by every change; the ETag
    created_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RatingPeriodEvent(LifecycleEvent, table=True):
    """One accepted action on a period: who, what, from which status to which, why, when (the columns
    of app.core.chain.LifecycleEvent). `seq` and `hash` link it into the period's hash chain
    (app.ratings.history, docs/history.md)."""

    __tablename__ = "rating_period_event"
    __table_args__ = (UniqueConstraint("period_id", "seq", name="uq_rating_period_event_period_id_seq"),)

    period_id: int = Field(foreign_key="rating_period.id", index=True)
    actor_account_id: int | None = Field(default=None, foreign_key="account.id")  # None for SYSTEM


class RatingBranchStatus(SQLModel, table=True):
    """A branch's progress through a period: its members' levels approved by its secretary, its own
    level approved by the committee, published (the committee may publish branch by branch)."""

    __tablename__ = "rating_branch_status"
    __table_args__ = (UniqueConstraint("period_id", "branch_id"),)

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="rating_period.id")
    branch_id: int = Field(foreign_key="org_unit.id", index=True)
    members_approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    members_approved_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    branch_approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    branch_approved_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SelfStatement(SQLModel, table=True):
    """A member's self statement (自评) of a period, seen by their branch peers while reviewing."""

    __tablename__ = "self_statement"
    __table_args__ = (UniqueConstraint("period_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="rating_period.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    branch_id: int = Field(foreign_key="org_unit.id")
    text: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PeerReview(SQLModel, table=True):
    """One member's score of a peer of their branch (党员互评). Secret from the reviewed member."""

    __tablename__ = "peer_review"
    __table_args__ = (
        UniqueConstraint("period_id", "reviewer_member_id", "reviewee_member_id"),
        Index("ix_peer_review_period_id_reviewee_member_id", "period_id", "reviewee_member_id"),
        Index("ix_peer_review_period_id_branch_id", "period_id", "branch_id"),
        CheckConstraint("reviewer_member_id <> reviewee_member_id", name="not_self"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="rating_period.id")
    branch_id: int = Field(foreign_key="org_unit.id")
    reviewer_member_id: int = Field(foreign_key="member.id")
    reviewee_member_id: int = Field(foreign_key="member.id")
    score: int  # 0–100 (stars mapped: 1→0, 2→25, 3→50, 4→75, 5→100)
    stars: int | None = Field(default=None)  # what the reviewer tapped, on the stars scale
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # set when the secretary discards a 人情分 flag covering this review: not counted
    discarded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PeerFlag(SQLModel, table=True):
    """A possible 人情分, found when the period leaves open; counted unless the secretary discards it
    (with a reason), which discards the reviews it covers (a uniform reviewer's every review; a
    mutual pair's two reviews of each other)."""

    __tablename__ = "peer_flag"
    __table_args__ = (Index("ix_peer_flag_period_id_branch_id", "period_id", "branch_id"),)

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="rating_period.id")
    branch_id: int = Field(foreign_key="org_unit.id")
    kind: FlagKind = Field(sa_type=String(12))
    reviewer_member_id: int = Field(foreign_key="member.id")
    partner_member_id: int | None = Field(default=None, foreign_key="member.id")  # mutual_top only
    detail: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    discarded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    discarded_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    discard_reason: str | None = Field(default=None, max_length=500)


class Assessment(SQLModel, table=True):
    """组织考评 of a member (by their secretary) or of a branch (by the committee), item by item.

    `items` holds the points given per rubric key; `auto_items` what was filled automatically
    (承诺践诺 from pledge outcomes); `overrides` the reason for each auto item changed by hand.
    `points` is the sum over the rubric (an item not scored counts 0), `max_points` the rubric's
    sum; `complete` when every rubric item has a value."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("period_id", "subject_kind", "subject_id"),
        Index("ix_assessment_period_id_branch_id", "period_id", "branch_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="rating_period.id")
    subject_kind: SubjectKind = Field(sa_type=String(10))
    subject_id: int  # member.id or org_unit.id, by subject_kind
    branch_id: int = Field(foreign_key="org_unit.id")  # the member's branch, or the branch itself
    items: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    auto_items: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    overrides: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    points: float = Field(default=0)
    max_points: float = Field(default=0)
    complete: bool = Field(default=False)
    scored_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RatingResult(SQLModel, table=True):
    """The computed result of one member or branch in a period, and its decided level.

    Parts: peer review, villager evaluation, assessment — and for a branch, its members' mean
    (`members_*`). Each part: `*_raw` (the combined value on 0–100 before weighting), `*_count`
    (how many reviews / ratings / assessments), `*_weight` (the weight used after any spreading),
    `*_score` (raw × weight / 100). `score` is the sum; `proposed_stars` from the thresholds;
    `stars` the decided level (approval, change or correction)."""

    __tablename__ = "rating_result"
    __table_args__ = (
        UniqueConstraint("period_id", "subject_kind", "subject_id"),
        Index("ix_rating_result_period_id_branch_id", "period_id", "branch_id"),
        Index("ix_rating_result_subject_kind_subject_id", "subject_kind", "subject_id"),
        CheckConstraint("proposed_stars >= 1 AND proposed_stars <= 5", name="proposed_stars_range"),
        CheckConstraint("stars IS NULL OR (stars >= 1 AND stars <= 5)", name="stars_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="rating_period.id")
    subject_kind: SubjectKind = Field(sa_type=String(10))
    subject_id: int  # member.id or org_unit.id
    branch_id: int = Field(foreign_key="org_unit.id")
    unit_id: int = Field(foreign_key="org_unit.id")  # the member's group (else branch), or the branch
    peer_raw: float | None = Field(default=None)
    peer_count: int = Field(default=0)
    peer_weight: float = Field(default=0)
    peer_score: float = Field(default=0)
    villager_raw: float | None = Field(default=None)
    villager_count: int = Field(default=0)
    villager_weight: float = Field(default=0)
    villager_score: float = Field(default=0)
    assessment_raw: float | None = Field(default=None)
    assessment_count: int = Field(default=0)
    assessment_weight: float = Field(default=0)
    assessment_score: float = Field(default=0)
    members_raw: float | None = Field(default=None)
    members_count: int = Field(default=0)
    members_weight: float = Field(default=0)
    members_score: float = Field(default=0)
    score: float = Field(default=0)
    proposed_stars: int
    stars: int | None = Field(default=None)  # decided level; None until approved
    previous_stars: int | None = Field(default=None)  # the previous published period's level
    explanation: str = Field(default="", sa_type=Text)  # Chinese: how it came out, what 晋星 needs
    details: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # e.g. a year's quarters
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    corrected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)


class RatingDecision(Chained, table=True):
    """Every decision about a result's level, kept: approve, change (with reason), correct. `seq` and
    `hash` link it into the result's hash chain (app.ratings.history, docs/history.md)."""

    __tablename__ = "rating_decision"
    __table_args__ = (
        CheckConstraint("stars >= 1 AND stars <= 5", name="stars_range"),
        UniqueConstraint("result_id", "seq", name="uq_rating_decision_result_id_seq"),
    )

    result_id: int = Field(foreign_key="rating_result.id", index=True)
    kind: DecisionKind = Field(sa_type=String(10))
    from_stars: int | None = Field(default=None)
    stars: int
    reason: str | None = Field(default=None, max_length=500)
    by_account_id: int | None = Field(default=None, foreign_key="account.id")  # None for SYSTEM
    by_name: str = Field(default="", max_length=40)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Honour(SQLModel, table=True):
    """A pledge nominated for the year's 十佳 (by a secretary) and perhaps selected (by the committee)."""

    __tablename__ = "honour"
    __table_args__ = (
        UniqueConstraint("year", "kind", "pledge_id"),
        UniqueConstraint("year", "kind", "member_id"),
        Index("ix_honour_unit_id_year", "unit_id", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id")  # the committee whose 十佳 it is
    year: int
    kind: HonourKind = Field(sa_type=String(14))
    pledge_id: int | None = Field(default=None, foreign_key="pledge.id")  # None for a 十佳支书
    member_id: int | None = Field(default=None, foreign_key="member.id")  # the secretary of a 十佳支书
    branch_id: int = Field(foreign_key="org_unit.id")
    nominated_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    nominated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    nomination_reason: str | None = Field(default=None, max_length=500)
    selected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    selected_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    reason: str | None = Field(default=None, max_length=500)


PERIOD_STATUS_LABELS: dict[PeriodStatus, str] = {
    PeriodStatus.draft: "草稿",
    PeriodStatus.open: "自评互评中",
    PeriodStatus.assessing: "组织考评中",
    PeriodStatus.computed: "已核算，待审定",
    PeriodStatus.approved: "已审定，待发布",
    PeriodStatus.published: "已发布",
}

PERIOD_KIND_LABELS: dict[PeriodKind, str] = {PeriodKind.quarter: "季度", PeriodKind.year: "年度"}

FLAG_KIND_LABELS: dict[FlagKind, str] = {
    FlagKind.uniform: "给所有人打同样的分",
    FlagKind.mutual_top: "互打最高分而给他人较低分",
}

HONOUR_KIND_LABELS: dict[HonourKind, str] = {
    HonourKind.member_pledge: "十佳党员承诺",
    HonourKind.org_pledge: "十佳党组织承诺",
    HonourKind.secretary: "十佳支书",
}

STAR_LABELS: dict[int, str] = {5: "五星", 4: "四星", 3: "三星", 2: "二星", 1: "一星"}
