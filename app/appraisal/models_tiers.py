"""Tables of the branch tiers by 五好 (先进 / 一般 / 后进), the 整顿 plans of 后进 branches, and the
publication decisions of the public 比学赶超 ranking.

- `branch_tier`: one row per branch and year — proposed from the year's star level (tiers.py), decided
  by the committee (tiers_states.py), a 后进 branch rectified and its 帽子 taken off (摘帽子). The
  history of a branch's tier is its rows by year and their events.
- `rectification_step`: a step of a 后进 branch's 整顿 plan, with a due date, done with a note.
- `branch_tier_event`: every accepted action on a tier or on one of its steps (`step_id`), one hash
  chain per tier (app.core.chain, like a rating period's events).
- `ranking_publication`: the committee's decision to publish (or withdraw) a year's ranking of its
  branches; the token is the public page's address (/r/{token}); `ranking_event` its decisions.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.chain import LifecycleEvent
from app.core.db import UTCDateTime
from app.core.time import utcnow


class Tier(StrEnum):
    advanced = "advanced"  # 先进
    ordinary = "ordinary"  # 一般
    backward = "backward"  # 后进


class TierStatus(StrEnum):
    proposed = "proposed"  # 待审定
    approved = "approved"  # 已审定
    rectifying = "rectifying"  # 整顿中
    lifted = "lifted"  # 已摘帽


class StepStatus(StrEnum):
    planned = "planned"  # 未完成
    done = "done"  # 已完成
    dropped = "dropped"  # 已取消


class RankingStatus(StrEnum):
    published = "published"  # 已公布
    withdrawn = "withdrawn"  # 已撤下


TIER_LABELS: dict[Tier, str] = {Tier.advanced: "先进", Tier.ordinary: "一般", Tier.backward: "后进"}
TIER_STATUS_LABELS: dict[TierStatus, str] = {
    TierStatus.proposed: "待审定",
    TierStatus.approved: "已审定",
    TierStatus.rectifying: "整顿中",
    TierStatus.lifted: "已摘帽",
}
STEP_STATUS_LABELS: dict[StepStatus, str] = {
    StepStatus.planned: "未完成",
    StepStatus.done: "已完成",
    StepStatus.dropped: "已取消",
}
RANKING_STATUS_LABELS: dict[RankingStatus, str] = {
    RankingStatus.published: "已公布",
    RankingStatus.withdrawn: "已撤下",
}

# the 五好 standard, in the seed's order (002: 领导班子、党员干部队伍、支部工作机制、发展经济业绩、农民群众反映)
FIVE_GOOD: dict[str, str] = {
    "team": "领导班子好",
    "cadres": "党员干部队伍好",
    "mechanism": "支部工作机制好",
    "economy": "发展经济业绩好",
    "masses": "农民群众反映好",
}


class BranchTier(SQLModel, table=True):
    """A branch's tier of a year: the proposal (from the year appraisal and the policy's lines),
    the committee's decision, the 整顿 and the 摘帽."""

    __tablename__ = "branch_tier"
    __table_args__ = (
        UniqueConstraint("branch_id", "year"),
        Index("ix_branch_tier_committee_id_year", "committee_id", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(foreign_key="org_unit.id")  # whose classification it is
    branch_id: int = Field(foreign_key="org_unit.id")
    year: int
    status: TierStatus = Field(default=TierStatus.proposed, sa_type=String(12))
    proposed_tier: Tier = Field(sa_type=String(10))
    tier: Tier | None = Field(default=None, sa_type=String(10))  # decided; None until approved
    # what the proposal came from: the year period's result of the branch
    period_id: int | None = Field(default=None, foreign_key="rating_period.id")
    stars: int | None = Field(default=None)
    score: float | None = Field(default=None)  # the year's star score
    # the year's 述职评议 (0–100, None without one) and the year appraisal score the proposal read its
    # level from (app/appraisal/year_appraisal.py)
    debrief_score: float | None = Field(default=None)
    appraisal_score: float | None = Field(default=None)
    # the committee's 五好 marks: key of FIVE_GOOD → true (好) / false (不好); a missing key is unmarked
    items: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    explanation: str = Field(default="", sa_type=Text)
    reason: str | None = Field(default=None, max_length=500)  # of the latest decision
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RectificationStep(SQLModel, table=True):
    """One step of a 后进 branch's 整顿 plan: what, by when, done (with a note) or dropped."""

    __tablename__ = "rectification_step"

    id: int | None = Field(default=None, primary_key=True)
    tier_id: int = Field(foreign_key="branch_tier.id", index=True)
    branch_id: int = Field(foreign_key="org_unit.id")
    title: str = Field(max_length=100)
    due_on: date
    status: StepStatus = Field(default=StepStatus.planned, sa_type=String(10))
    note: str | None = Field(default=None, max_length=500)  # how it was done (or why dropped)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BranchTierEvent(LifecycleEvent, table=True):
    """One accepted action on a tier or one of its steps (`step_id`); one hash chain per tier."""

    __tablename__ = "branch_tier_event"
    __table_args__ = (UniqueConstraint("tier_id", "seq", name="uq_branch_tier_event_tier_id_seq"),)

    tier_id: int = Field(foreign_key="branch_tier.id", index=True)
    step_id: int | None = Field(default=None, foreign_key="rectification_step.id")
    actor_account_id: int | None = Field(default=None, foreign_key="account.id")


class RankingPublication(SQLModel, table=True):
    """The committee's decision to show a year's 比学赶超 ranking of its branches at /r/{token}."""

    __tablename__ = "ranking_publication"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id")  # the committee (town)
    year: int
    title: str = Field(max_length=60)
    # the public address: 192 random bits, URL-safe (as a board's)
    token: str = Field(max_length=64, unique=True)
    status: RankingStatus = Field(default=RankingStatus.published, sa_type=String(10))
    version: int = Field(default=1)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RankingEvent(LifecycleEvent, table=True):
    """Publish and withdraw decisions of a ranking; one hash chain per publication."""

    __tablename__ = "ranking_event"
    __table_args__ = (UniqueConstraint("publication_id", "seq", name="uq_ranking_event_publication_id_seq"),)

    publication_id: int = Field(foreign_key="ranking_publication.id", index=True)
    actor_account_id: int | None = Field(default=None, foreign_key="account.id")
