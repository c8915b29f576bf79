"""述职评议 (debrief): a committee's half-yearly or year-end round in which each branch secretary
reports (述职) and is scored by the committee (and, through one-time slips, by representatives).

- `debrief_round` belongs to a committee (or general branch) and covers the branches under it; it moves
  through appraisal/debrief_states.py on the house's lifecycle engine; each accepted action (and each
  report published or withdrawn from a board) is a `debrief_round_event` in the round's hash chain.
- `debrief_report` is one per branch of a round, made when the round opens: the secretary's text,
  when it was submitted and whether it was late (saved after the report deadline), and when the
  committee published it on the branch's board (its text only, masked; attachments never).
- `debrief_attachment` is a photo of a report, re-encoded (EXIF gone) like a pledge's progress photos;
  always private.
- `debrief_score` is one per scorer and report (a second replaces the first): the rubric items' points
  and their total (0–100). Only the scorer reads their own row back; everyone else reads aggregates.
- `debrief_slip_answer` is one representative's score of a report through a one-time slip (purpose
  `debrief`, app/appraisal/debrief_slips.py): the round, the report, the points and their total — no
  slip, no time of day, nothing that leads to a representative. Only aggregates are ever read.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.chain import LifecycleEvent
from app.core.db import UTCDateTime
from app.core.time import utcnow


class DebriefKind(StrEnum):
    half = "half"  # 半年述职
    year = "year"  # 年终述职


class DebriefStatus(StrEnum):
    draft = "draft"  # 草稿
    open = "open"  # 收取述职报告
    scheduled = "scheduled"  # 已安排述职会
    scoring = "scoring"  # 评议打分中
    closed = "closed"  # 已结束


DEBRIEF_KIND_LABELS = {DebriefKind.half: "半年述职", DebriefKind.year: "年终述职"}
DEBRIEF_STATUS_LABELS = {
    DebriefStatus.draft: "草稿",
    DebriefStatus.open: "收取述职报告",
    DebriefStatus.scheduled: "已安排述职会",
    DebriefStatus.scoring: "评议打分中",
    DebriefStatus.closed: "已结束",
}


class DebriefRound(SQLModel, table=True):
    """One round of 述职评议 of a unit's branches (the rubric is frozen when it opens)."""

    __tablename__ = "debrief_round"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "kind"),
        CheckConstraint("representative_weight >= 0 AND representative_weight <= 100", name="weight_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    kind: DebriefKind = Field(sa_type=String(10))
    year: int
    title: str = Field(max_length=60)
    report_due: date  # reports saved after this day (China time) are marked late
    session_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # 述职会
    session_place: str | None = Field(default=None, max_length=100)
    rubric: list[dict[str, Any]] = Field(sa_type=JSON)  # [{"key", "label", "max"}], maxima sum to 100
    # the representatives' share of the combined score, in per cent (the committee's is the rest)
    representative_weight: int = Field(default=30, ge=0, le=100)
    status: DebriefStatus = Field(default=DebriefStatus.draft, sa_type=String(20))
    version: int = 1
    created_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DebriefRoundEvent(LifecycleEvent, table=True):
    """One accepted action on a round (app.core.chain.LifecycleEvent's columns), chained per round."""

    __tablename__ = "debrief_round_event"
    __table_args__ = (UniqueConstraint("round_id", "seq", name="uq_debrief_round_event_round_id_seq"),)

    round_id: int = Field(foreign_key="debrief_round.id", index=True)
    actor_account_id: int | None = Field(default=None, foreign_key="account.id")


class DebriefReport(SQLModel, table=True):
    """A branch secretary's 述职 report in a round."""

    __tablename__ = "debrief_report"
    __table_args__ = (UniqueConstraint("round_id", "branch_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="debrief_round.id", index=True)
    branch_id: int = Field(foreign_key="org_unit.id", index=True)
    text: str = Field(default="", sa_type=Text)
    author_account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    author_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # first submission
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last save
    late: bool = False  # saved after the round's report_due
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # on the branch's board
    published_by_account_id: int | None = Field(default=None, foreign_key="account.id")


class DebriefAttachment(SQLModel, table=True):
    """A photo attached to a report (re-encoded, EXIF stripped, thumbnailed); never public."""

    __tablename__ = "debrief_attachment"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="debrief_report.id", index=True)
    key: str = Field(max_length=80)
    thumb_key: str = Field(max_length=80)
    content_type: str = Field(max_length=40)
    width: int
    height: int
    size_bytes: int
    sort_order: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DebriefScore(SQLModel, table=True):
    """One committee member's score of one report (a second save replaces the first)."""

    __tablename__ = "debrief_score"
    __table_args__ = (
        UniqueConstraint("report_id", "scorer_account_id"),
        CheckConstraint("total >= 0 AND total <= 100", name="total_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="debrief_report.id", index=True)
    scorer_account_id: int = Field(foreign_key="account.id")
    items: dict[str, float] = Field(sa_type=JSON)
    total: float
    scored_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DebriefSlipAnswer(SQLModel, table=True):
    """One representative's score of a report through a one-time slip: anonymous by construction (no
    slip, no time, no column leading to a person)."""

    __tablename__ = "debrief_slip_answer"
    __table_args__ = (CheckConstraint("total >= 0 AND total <= 100", name="total_range"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="debrief_round.id")
    report_id: int = Field(foreign_key="debrief_report.id", index=True)
    items: dict[str, float] = Field(sa_type=JSON)
    total: float
