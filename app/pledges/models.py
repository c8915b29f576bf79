"""Pledges (承诺) and everything that hangs off them: the event log, progress updates with photos,
supervision notes and revisions of published pledges. Nothing here is ever deleted.

A pledge is owned by a member (individual) or by an org unit (a group's or branch's collective pledge).
`unit_id` is where the pledge lives in the org tree (the member's group, else their branch; for a
collective pledge the owning unit) and decides who can see it; `branch_id` is the branch that vets it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.chain import LifecycleEvent
from app.core.db import UTCDateTime
from app.core.time import utcnow


class PledgeStatus(StrEnum):
    draft = "draft"  # 草稿
    submitted = "submitted"  # 已报诺，待审核
    approved = "approved"  # 已定诺，待公示
    published = "published"  # 已亮诺，践诺中
    revising = "revising"  # 公示中，修改待审核
    closing = "closing"  # 申请销诺
    closed = "closed"  # 已销诺
    withdrawn = "withdrawn"  # 已撤回
    cancelled = "cancelled"  # 已取消


class PledgeCategory(StrEnum):
    post_duty = "post_duty"
    public_service = "public_service"
    pairing = "pairing"
    collective = "collective"
    other = "other"


class PledgeOutcome(StrEnum):
    kept = "kept"
    partly_kept = "partly_kept"
    not_kept = "not_kept"


class PledgeKind(StrEnum):
    year = "year"  # 年度承诺: a year's promise (the default)
    term = "term"  # 任期承诺: a cadre's promise for their term, across years, with a mid-term 回头看


class OwnerKind(StrEnum):
    member = "member"
    unit = "unit"


class RevisionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    returned = "returned"


class Pledge(SQLModel, table=True):
    __table_args__ = (
        Index("ix_pledge_member_id_year", "member_id", "year"),
        Index("ix_pledge_unit_id_year", "unit_id", "year"),
        Index("ix_pledge_branch_id_status", "branch_id", "status"),
        # the lists' order (newest change first): a committee's county-wide page is read backwards off
        # this index and stops at the page, instead of sorting every pledge
        Index("ix_pledge_status_changed_at_id", "status_changed_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_kind: OwnerKind = Field(sa_type=String(10))
    member_id: int | None = Field(default=None, foreign_key="member.id")
    unit_id: int = Field(foreign_key="org_unit.id")
    branch_id: int = Field(foreign_key="org_unit.id")
    title: str = Field(max_length=60)
    content: str = Field(max_length=1000)
    category: PledgeCategory = Field(sa_type=String(20), index=True)
    post: str = Field(default="", max_length=60)  # the post (岗位) it is tied to
    # the catalogue post it was made for (依岗承诺); `post` keeps its name, or free text without one
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    year: int = Field(index=True)
    due_date: date = Field(index=True)
    # 任期承诺 (kind term): `year` is the term's first year, `term_start` its first day, `due_date` its last
    # day (years later); it stays on the boards through every year of the term (rules.IN_YEAR)
    kind: PledgeKind = Field(default=PledgeKind.year, sa_type=String(10), sa_column_kwargs={"server_default": "year"})
    term_start: date | None = Field(default=None)
    # the last 回头看 of a term pledge (states.Action.review); terms.review_window opens the next one a year on
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: PledgeStatus = Field(default=PledgeStatus.draft, sa_type=String(20), index=True)
    outcome: PledgeOutcome | None = Field(default=None, sa_type=String(20))
    outcome_comment: str | None = Field(default=None, max_length=500)
    # pairing (结对帮扶): the household helped; private to the branch (Permission.pledge_private)
    helped_household: str | None = Field(default=None, max_length=40)
    # 结对帮扶: the pairing this pledge is for (app/pledges/pairing.py); the household stays private there
    pairing_id: int | None = Field(default=None, foreign_key="pairing.id", index=True)
    # 双报到: made to the community the member registered in; unit_id and branch_id are then that
    # community branch, which vets it and shows it on its board (app/pledges/community.py)
    registration_id: int | None = Field(default=None, foreign_key="community_registration.id", index=True)
    # denormalised from progress updates and revisions, so lists and boards need no aggregate query
    percent: int | None = Field(default=None)
    progress_count: int = Field(default=0)
    last_progress_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revision_count: int = Field(default=0)
    revised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # optimistic concurrency: bumped by every edit and transition; sent as the ETag
    version: int = Field(default=1)
    created_by_account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PledgeEvent(LifecycleEvent, table=True):
    """One accepted action on a pledge: who, what, from which status to which, why, when (the columns
    of app.core.chain.LifecycleEvent).

    `seq` and `hash` link it into the pledge's hash chain (app.core.chain, docs/history.md): written
    with the row by app.pledges.history.append, never changed."""

    __tablename__ = "pledge_event"
    __table_args__ = (UniqueConstraint("pledge_id", "seq", name="uq_pledge_event_pledge_id_seq"),)

    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    actor_account_id: int | None = Field(default=None, foreign_key="account.id")


class HistoryDigest(SQLModel, table=True):
    """A branch's daily digest (记录校验码): a Merkle root over the heads of its chains (pledges, and
    rating periods when they chain), linked to the branch's previous digest (docs/history.md)."""

    __tablename__ = "history_digest"
    __table_args__ = (UniqueConstraint("branch_id", "day", name="uq_history_digest_branch_id_day"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="org_unit.id")
    day: date
    chains: int = Field(default=0)  # how many chains the root covers
    upto_event_id: int = Field(default=0)  # the heads are each chain's last event with id <= this
    # the same for the other chains it covers (app.core.chain.SOURCES: {"period": id, "result": id});
    # None on digests made before the rating chains (migration 0009): their root covers pledges only
    upto: dict[str, int] | None = Field(default=None, sa_type=JSON)
    root: str = Field(max_length=64)
    prev_digest: str = Field(max_length=64)
    digest: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PledgeProgress(SQLModel, table=True):
    """A progress report (践诺): text, an optional percentage and up to nine photos."""

    __tablename__ = "pledge_progress"

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    author_account_id: int | None = Field(default=None, foreign_key="account.id")
    author_name: str = Field(default="", max_length=40)
    text: str = Field(max_length=500)
    percent: int | None = Field(default=None)
    photo_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PledgePhoto(SQLModel, table=True):
    """A photo of a progress update: a re-encoded display image and a thumbnail, by content hash."""

    __tablename__ = "pledge_photo"

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    progress_id: int = Field(foreign_key="pledge_progress.id", index=True)
    key: str = Field(max_length=80, index=True)
    thumb_key: str = Field(max_length=80, index=True)
    content_type: str = Field(max_length=30)
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    size_bytes: int
    sort_order: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PledgeNote(SQLModel, table=True):
    """A supervision note (监督意见) by the supervision group; seen inside the branch, not on boards."""

    __tablename__ = "pledge_note"

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    author_account_id: int | None = Field(default=None, foreign_key="account.id")
    author_name: str = Field(default="", max_length=40)
    text: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FlagStatus(StrEnum):
    open = "open"
    answered = "answered"


FLAG_STATUS_LABELS = {FlagStatus.open: "待答复", FlagStatus.answered: "已答复"}


class PledgeFlag(SQLModel, table=True):
    """A supervisor's flag (提请书记关注): a reason the branch's secretary must answer; answering closes
    it. On the pledge's timeline for the branch and the supervision, never on boards."""

    __tablename__ = "pledge_flag"
    __table_args__ = (Index("ix_pledge_flag_branch_id_status", "branch_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    branch_id: int = Field(foreign_key="org_unit.id")  # the pledge's branch: whose secretary answers
    reason: str = Field(max_length=500)
    status: FlagStatus = Field(default=FlagStatus.open, sa_type=String(10))
    raised_by_account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    raised_by_name: str = Field(default="", max_length=40)
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answer: str = Field(default="", max_length=500)
    answered_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    answered_by_name: str = Field(default="", max_length=40)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PledgeRevision(SQLModel, table=True):
    """A proposed change to a published pledge; the board keeps the approved text until it is approved.

    `changes` holds the proposed values of the changed fields, `previous` their values before."""

    __tablename__ = "pledge_revision"

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    status: RevisionStatus = Field(default=RevisionStatus.pending, sa_type=String(10))
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    previous: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=500)


class PledgeDocument(SQLModel, table=True):
    """A member's 承诺书 of a year: their pledges of the year in one document (app/pledges/document.py).
    The row exists once it was signed on paper: who recorded it, the day signed, an optional private
    photo of the signed paper (EXIF stripped)."""

    __tablename__ = "pledge_document"
    __table_args__ = (UniqueConstraint("member_id", "year", name="uq_pledge_document_member_id_year"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    year: int
    signed_on: date | None = None
    recorded_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    recorded_by_name: str = Field(default="", max_length=40)
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    photo_key: str | None = Field(default=None, max_length=80)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


CATEGORY_LABELS: dict[PledgeCategory, str] = {
    PledgeCategory.post_duty: "岗位承诺",
    PledgeCategory.public_service: "公益服务",
    PledgeCategory.pairing: "结对帮扶",
    PledgeCategory.collective: "集体承诺",
    PledgeCategory.other: "其他",
}

OUTCOME_LABELS: dict[PledgeOutcome, str] = {
    PledgeOutcome.kept: "已兑现",
    PledgeOutcome.partly_kept: "部分兑现",
    PledgeOutcome.not_kept: "未兑现",
}
