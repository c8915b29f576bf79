"""Tables of the representatives' monthly evaluation (党员群众代表每月测评) and the branches' quarterly
self-evaluation (季度自评).

Anonymity by construction: a slip (`appraisal_slip`) and an answer (`appraisal_answer`) have no column
and no foreign key that leads to a representative; a slip keeps only a hash of its code, its branch,
its month, its batch and whether it was used; an answer keeps its branch, its month and its values, and
not even the slip it came from. The codes exist in clear only in the PDF made at issue time. A slip of
a 述职评议 round (purpose `debrief`) is the same row with the round instead of the month; its answer is
a `debrief_slip_answer` (app/appraisal/models_debrief.py): the round, the report and the points only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.chain import LifecycleEvent
from app.core.db import UTCDateTime
from app.core.time import utcnow


class SlipPurpose(StrEnum):
    month = "month"  # 每月测评: a month's branch work, answered 满意 / 基本满意 / 不满意
    debrief = "debrief"  # 述职评议: a round's 述职 report, scored on the round's rubric


class RepresentativeKind(StrEnum):
    party = "party"  # 党员代表
    masses = "masses"  # 群众代表（联户代表）


class SelfEvaluationStatus(StrEnum):
    draft = "draft"  # 填写中
    submitted = "submitted"  # 已提交


class Representative(SQLModel, table=True):
    """A member of a branch's panel: name and kind, seen only by the branch's secretary and the committee."""

    __tablename__ = "appraisal_representative"

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="org_unit.id", index=True)
    name: str = Field(max_length=30)
    kind: RepresentativeKind = Field(sa_type=String(10))
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# a slip is for a month (year and month set) or for a 述职评议 round (round_id set), never both
PURPOSE_SCOPE = (
    "(purpose = 'month' AND year IS NOT NULL AND month IS NOT NULL AND round_id IS NULL)"
    " OR (purpose = 'debrief' AND round_id IS NOT NULL AND year IS NULL AND month IS NULL)"
)


class SlipBatch(SQLModel, table=True):
    """One issue of a branch's slips, for a month or for a 述职评议 round (`purpose`); printing again
    voids the live batch and issues a new one.

    `live` is True for the one batch in force and NULL once voided, so the unique constraints allow one
    live batch per branch and month, and one per branch and round, on both databases (NULLs never
    collide: a round's batch has no month, a month's batch no round)."""

    __tablename__ = "appraisal_slip_batch"
    __table_args__ = (
        UniqueConstraint("branch_id", "year", "month", "live", name="uq_appraisal_slip_batch_live"),
        UniqueConstraint("round_id", "branch_id", "live", name="uq_appraisal_slip_batch_round_live"),
        CheckConstraint("month >= 1 AND month <= 12", name="month_range"),
        CheckConstraint(PURPOSE_SCOPE, name="purpose_scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="org_unit.id", index=True)
    purpose: SlipPurpose = Field(default=SlipPurpose.month, sa_type=String(10))
    round_id: int | None = Field(default=None, foreign_key="debrief_round.id")
    year: int | None = None
    month: int | None = None
    count: int
    live: bool | None = Field(default=True)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    issued_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Slip(SQLModel, table=True):
    """A one-time slip: the hash of its code, whose branch and month (or 述职评议 round) it is, and
    whether it was used."""

    __tablename__ = "appraisal_slip"
    __table_args__ = (
        Index("ix_appraisal_slip_branch_month", "branch_id", "year", "month"),
        Index("ix_appraisal_slip_round_branch", "round_id", "branch_id"),
        CheckConstraint(PURPOSE_SCOPE, name="purpose_scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="appraisal_slip_batch.id", index=True)
    branch_id: int = Field(foreign_key="org_unit.id")
    purpose: SlipPurpose = Field(default=SlipPurpose.month, sa_type=String(10))
    round_id: int | None = Field(default=None, foreign_key="debrief_round.id")
    year: int | None = None
    month: int | None = None
    code_hash: str = Field(max_length=64, unique=True)
    used: bool = Field(default=False)


class SlipAnswer(SQLModel, table=True):
    """One representative's answer, anonymous: the branch, the month and a choice per item
    (满意 / 基本满意 / 不满意 by the policy's appraisal items); no slip, no time of day."""

    __tablename__ = "appraisal_answer"
    __table_args__ = (Index("ix_appraisal_answer_branch_month", "branch_id", "year", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="org_unit.id")
    year: int
    month: int
    choices: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # the answer's 满意度 over its items (0–100), so aggregates stay in SQL
    score: float


class SelfEvaluation(SQLModel, table=True):
    """A branch's quarterly self-evaluation on the committee's rubric (policy.appraisal.self_rubric)."""

    __tablename__ = "appraisal_self_evaluation"
    __table_args__ = (
        UniqueConstraint("branch_id", "year", "quarter", name="uq_appraisal_self_evaluation_branch_quarter"),
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="org_unit.id", index=True)
    year: int
    quarter: int
    items: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # key → points
    notes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # key → short text
    status: SelfEvaluationStatus = Field(default=SelfEvaluationStatus.draft, sa_type=String(10))
    version: int = Field(default=1)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SelfEvaluationPhoto(SQLModel, table=True):
    """An evidence photo of a self-evaluation item: re-encoded without EXIF, as the pledges' photos."""

    __tablename__ = "appraisal_self_evaluation_photo"

    id: int | None = Field(default=None, primary_key=True)
    self_evaluation_id: int = Field(foreign_key="appraisal_self_evaluation.id", index=True)
    item_key: str = Field(max_length=30)
    key: str = Field(max_length=80)
    thumb_key: str = Field(max_length=80)
    content_type: str = Field(max_length=30)
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    size_bytes: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SelfEvaluationEvent(LifecycleEvent, table=True):
    """One accepted action on a self-evaluation (submit, return): who, when, from, to, why; one hash
    chain per self-evaluation, written by the lifecycle engine."""

    __tablename__ = "appraisal_self_evaluation_event"
    __table_args__ = (UniqueConstraint("self_evaluation_id", "seq", name="uq_appraisal_self_evaluation_event_seq"),)

    self_evaluation_id: int = Field(foreign_key="appraisal_self_evaluation.id", index=True)
    actor_account_id: int | None = Field(default=None, foreign_key="account.id")
