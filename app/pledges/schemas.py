"""Request and response shapes of pledges.

`…Public` schemas are the privacy boundary for public boards: they never carry the helped
household of a pairing pledge, supervision notes, return or cancellation reasons, account, member or
unit ids, or anyone's phone; their free text (title, content, progress, closing comment, revisions)
goes through `app.core.privacy.mask_personal`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.core.errors import register_labels
from app.core.validation import ShortText
from app.pledges.models import (
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    FlagStatus,
    OwnerKind,
    PledgeCategory,
    PledgeKind,
    PledgeOutcome,
    PledgeStatus,
    RevisionStatus,
)
from app.pledges.rules import owner_kind_for
from app.pledges.states import STATUS_LABELS

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Content = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Household = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Year = Annotated[int, Field(ge=2000, le=2100)]
ActionRole = Literal["owner", "on_behalf", "reviewer", "supervisor"]


# ---------------------------------------------------------------- requests


class PledgeCreate(BaseModel):
    """A new draft. Without `member_id` / `unit_id` it is the caller's own pledge; `unit_id` makes it a
    collective pledge of that group or branch; a secretary may give `member_id` to enter a member's
    pledge for them (from a paper form)."""

    model_config = ConfigDict(extra="forbid")
    title: Title
    content: Content
    category: PledgeCategory
    post: ShortText = ""
    post_id: int | None = Field(
        default=None, ge=1, description="岗位目录中的岗位（依岗承诺）；给出时 post 取岗位名称，post 自填只作后备"
    )
    year: Year | None = Field(default=None, description="承诺年度，默认今年")
    due_date: date | None = Field(default=None, description="完成时限，默认年度最后一天")
    member_id: int | None = None
    unit_id: int | None = Field(default=None, description="集体承诺：作出承诺的党小组或党支部")
    helped_household: Household | None = Field(default=None, description="结对帮扶的对象（仅支部内可见）")
    kind: PledgeKind = Field(
        default=PledgeKind.year,
        description="year 年度承诺；term 任期承诺（担任支部职务的党员，跨年度，term_start 起、due_date 止）",
    )
    term_start: date | None = Field(default=None, description="任期承诺：任期开始日期（默认今天）")

    @model_validator(mode="after")
    def _owner_and_category(self) -> PledgeCreate:
        if self.member_id is not None and self.unit_id is not None:
            raise ValueError("个人承诺和集体承诺只能选一种")
        collective = owner_kind_for(self.category) == OwnerKind.unit
        if self.unit_id is not None and not collective:
            raise ValueError("集体承诺的类别应为“集体承诺”")
        if self.unit_id is None and collective:
            raise ValueError("集体承诺须指明作出承诺的党小组或党支部")
        if self.helped_household is not None and self.category != PledgeCategory.pairing:
            raise ValueError("只有结对帮扶承诺才能填写帮扶对象")
        return self


class PledgeUpdate(BaseModel):
    """Changed fields of a draft (PATCH), or of a published pledge (a revision to approve)."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    content: Content | None = None
    category: PledgeCategory | None = None
    post: ShortText | None = None
    post_id: int | None = Field(default=None, ge=1, description="岗位目录中的岗位；只改 post 文字则不再对应目录岗位")
    year: Year | None = None
    due_date: date | None = None
    helped_household: Household | None = None


class PledgeAction(BaseModel):
    """The body of an action; which fields are required depends on the action (see states.py)."""

    model_config = ConfigDict(extra="forbid")
    reason: Reason | None = Field(
        default=None,
        validation_alias=AliasChoices("reason", "comment"),
        description="退回、取消、重新践诺的原因（必填）；撤回的原因（可不填）；销诺时的核实意见（也可写作 comment）",
    )
    outcome: PledgeOutcome | None = Field(default=None, description="销诺结果：已兑现、部分兑现、未兑现")


class BatchPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pledge_ids: list[int] | None = Field(
        default=None, max_length=1000, description="只公示这些承诺；不给则公示该组织下全部待公示的承诺"
    )


class CloseRow(BaseModel):
    """One row of a batch 销诺: the outcome and the comment the secretary set for it, and the version
    they saw (the row's own If-Match)."""

    model_config = ConfigDict(extra="forbid")
    pledge_id: int = Field(ge=1)
    version: int = Field(ge=1, description="该承诺的版本号（即它的 If-Match）")
    outcome: PledgeOutcome = Field(description="销诺结果：每一行由书记自己选择，没有默认值")
    comment: Reason = Field(validation_alias=AliasChoices("comment", "reason"), description="核实意见")


class CloseBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[CloseRow] = Field(min_length=1, max_length=100)


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Reason


# ---------------------------------------------------------------- public (boards)


class PhotoPublic(BaseModel):
    """A photo as anyone may see it: URLs of the display image and the thumbnail (no metadata)."""

    url: str
    thumb_url: str
    width: int
    height: int
    thumb_width: int
    thumb_height: int


class ProgressPublic(BaseModel):
    id: int
    text: str
    percent: int | None
    created_at: datetime
    photos: list[PhotoPublic] = Field(default_factory=list)


class PledgePublic(BaseModel):
    """What a public board shows of a pledge (亮诺): no internal ids of its owner or units — who owns it
    is told by where it stands in `service.PublicPledges` (by member, by unit). Free text is masked
    (phone and ID numbers)."""

    id: int
    owner_kind: OwnerKind
    title: str
    content: str
    category: PledgeCategory
    category_label: str
    post: str
    post_duties: str = ""  # the catalogue post's duties, only when they are public
    pioneer_post: bool = False  # 党员先锋岗
    year: int
    due_date: date
    kind: PledgeKind = PledgeKind.year  # 任期承诺 (term): from term_start to due_date, across years
    term_start: date | None = None
    community: str = ""  # 双报到: the community branch it was made to (a unit's name is public)
    status: PledgeStatus
    status_label: str
    outcome: PledgeOutcome | None
    outcome_label: str | None
    percent: int | None
    progress_count: int
    last_progress_at: datetime | None
    published_at: datetime | None
    closed_at: datetime | None
    revision_count: int
    revised_at: datetime | None
    overdue: bool
    latest_progress: ProgressPublic | None = None


class TimelineEntryPublic(BaseModel):
    """One entry of a pledge's public history: a lifecycle step (`event`) or a progress report."""

    kind: Literal["event", "progress"]
    at: datetime
    action: str | None = None
    label: str
    outcome: PledgeOutcome | None = None
    comment: str | None = None  # the secretary's verification comment when closed
    changes: dict[str, Any] | None = None  # a revision: {field: {"from": old, "to": new}}
    text: str | None = None
    percent: int | None = None
    photos: list[PhotoPublic] = Field(default_factory=list)


# ---------------------------------------------------------------- staff views


class PhotoRead(PhotoPublic):
    id: int
    key: str
    thumb_key: str


class ProgressRead(BaseModel):
    id: int
    pledge_id: int
    text: str
    percent: int | None
    author_name: str
    created_at: datetime
    photos: list[PhotoRead] = Field(default_factory=list)


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    pledge_id: int
    text: str
    author_name: str
    created_at: datetime


class MyNoteRead(NoteRead):
    """One of the caller's own supervision notes, with the pledge it is on (my notes)."""

    pledge_title: str = ""
    member_name: str | None = None
    pledge_status: PledgeStatus | None = None


class RevisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    status: RevisionStatus
    changes: dict[str, Any]
    previous: dict[str, Any]
    created_at: datetime
    decided_at: datetime | None
    reason: str | None


class PledgeRead(BaseModel):
    """A pledge as its branch sees it. `helped_household` is null unless the caller holds
    Permission.pledge_private; `allowed_actions` are what the caller may do now."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    owner_kind: OwnerKind
    member_id: int | None
    member_name: str | None = None
    unit_id: int
    unit_name: str = ""
    branch_id: int
    title: str
    content: str
    category: PledgeCategory
    category_label: str = ""
    post: str
    post_id: int | None = None
    year: int
    due_date: date
    kind: PledgeKind = PledgeKind.year
    term_start: date | None = None
    registration_id: int | None = Field(
        default=None, description="双报到：向所报到的社区作的承诺（unit_name 即该社区党支部）"
    )
    reviewed_at: datetime | None = Field(default=None, description="任期承诺：最近一次回头看的时间")
    review_opens_on: date | None = Field(
        default=None,
        description="任期承诺：下一次回头看最早可在哪天进行（任期过三分之一后；做过一次后须满一年）；"
        "null：不是任期承诺，或本任期已不能再回头看",
    )
    review_closes_on: date | None = Field(default=None, description="任期承诺：回头看最晚可在哪天进行（任期最后一天）")
    review_rule: str = Field(default="", description="任期承诺：回头看何时可以进行（服务器的规则，原样显示）")
    status: PledgeStatus
    status_label: str = ""
    outcome: PledgeOutcome | None
    outcome_label: str | None = None
    outcome_comment: str | None
    helped_household: str | None = None
    has_helped_household: bool = False
    percent: int | None
    progress_count: int
    last_progress_at: datetime | None
    revision_count: int
    revised_at: datetime | None
    version: int
    overdue: bool = False
    created_by_account_id: int | None
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    published_at: datetime | None
    closed_at: datetime | None
    allowed_actions: list[str] = Field(default_factory=list)
    action_roles: dict[str, ActionRole] = Field(
        default_factory=dict,
        description="allowed_actions 中每个操作是以什么身份办理：owner 本人；on_behalf 书记代未开通账号的党员办理；"
        "reviewer 审核人；supervisor 监督",
    )
    acting_for_member: bool = Field(
        default=False, description="读者可以代承诺人办理（书记代未开通账号的党员）：本人的操作应标明“代办”"
    )
    pending_revision: RevisionRead | None = None


class TimelineEntry(BaseModel):
    """One entry of a pledge's full history (staff): an event, a progress report or a supervision note."""

    kind: Literal["event", "progress", "note", "flag", "flag_answer"]
    id: int
    at: datetime
    action: str | None = None
    label: str
    from_status: str | None = None
    to_status: str | None = None
    actor_name: str = ""
    reason: str | None = None
    data: dict[str, Any] | None = None
    text: str | None = None
    percent: int | None = None
    photos: list[PhotoRead] = Field(default_factory=list)


class BatchPublishResult(BaseModel):
    published: list[int]
    skipped: list[int] = Field(default_factory=list, description="给出但不处于待公示状态的承诺")


class CloseRowResult(BaseModel):
    """What happened to one row: closed (with the new version), or refused with the status, code and
    reason it would have had alone (403, 404, 409 pledge_wrong_state, 412 with current_version)."""

    pledge_id: int
    closed: bool
    status: int
    code: str | None = None
    detail: str | None = None
    version: int | None = None
    current_version: int | None = None
    pledge_status: str | None = None


class CloseBatchResult(BaseModel):
    items: list[CloseRowResult]
    closed: int
    refused: int


class CloseBrief(BaseModel):
    """The close dialog's facts (villagers' satisfaction: GET /evaluations/pledges/{id}/satisfaction).
    Nothing is preselected: `outcome_preselected` is always null, the secretary chooses."""

    pledge_id: int
    title: str
    status: PledgeStatus
    percent: int | None
    progress_count: int
    due_date: date
    overdue: bool
    requested_close_at: datetime | None
    last_report: ProgressRead | None
    photos: list[PhotoRead] = Field(default_factory=list, description="最近的照片（最多 9 张，各次进展合计）")
    outcome_preselected: None = None


class ReviewCounts(BaseModel):
    """How many wait in each tab of the review queue, over all of them (not one page)."""

    review: int
    close: int
    revision: int
    total: int


class PledgeCounts(BaseModel):
    total: int
    overdue: int
    by_status: dict[str, int]


class ActionWord(BaseModel):
    """An action's label, and what it needs besides the click (lifecycle actions only)."""

    label: str
    lifecycle: bool = Field(description="表中的流转动作（否则是编辑、进展、监督意见等）")
    who: str | None = Field(default=None, description="owner 承诺人（或代办的书记）；reviewer 审核人")
    reason_required: bool = False
    reason_asked: bool = Field(default=False, description="对话框请写原因（reason_required 时必填，否则可不填）")
    reason_label: str | None = Field(default=None, description="原因一栏的名称，如“核实意见”")
    outcome_required: bool = False
    destructive: bool = Field(default=False, description="不能恢复的操作（撤回、取消）：须按 confirm 的原话确认")
    confirm: str = Field(default="", description="确认对话框的原话：操作名和它的后果")


class TransitionWord(BaseModel):
    source: PledgeStatus
    action: str
    target: PledgeStatus
    who: str
    reason_required: bool
    outcome_required: bool


class PledgeVocabulary(BaseModel):
    """The server's words for its codes, for the PWA (it copies no table): status, action, category
    and outcome labels, which actions need a reason or an outcome, the transition table, and the
    sets of statuses the rules use. The same for everyone; changes only with a new server version."""

    statuses: dict[str, str]
    actions: dict[str, ActionWord]
    categories: dict[str, str]
    outcomes: dict[str, str]
    reason_required: list[str]
    outcome_required: list[str]
    transitions: list[TransitionWord]
    status_sets: dict[str, list[PledgeStatus]] = Field(
        description="public 公示牌上可见；active 可报告进展；due 计算逾期；editable 可直接修改；"
        "awaiting_review 待审核；final 已结束"
    )


# the Chinese names of fields and choices in validation messages (core.errors)
register_labels(
    {
        "title": "标题",
        "content": "内容",
        "category": "类别",
        "post": "岗位",
        "year": "年度",
        "due_date": "完成期限",
        "member_id": "党员",
        "unit_id": "组织",
        "helped_household": "帮扶对象",
        "reason": "原因",
        "outcome": "兑现情况",
        "pledge_ids": "承诺",
        "pledge_id": "承诺",
        "text": "内容",
        "percent": "完成百分比",
        "photos": "照片",
        "status": "状态",
        "overdue": "是否逾期",
        "mine": "只看我的",
    },
    values={**CATEGORY_LABELS, **OUTCOME_LABELS, **STATUS_LABELS},
)


# ---------------------------------------------------------------- supervisors' flags


class FlagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, description="提请书记关注的原因")


class FlagAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=500, description="书记的答复；答复后提请即办结")


class FlagRead(BaseModel):
    """A supervisor's flag (提请书记关注) with the pledge it is on; never public."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    pledge_id: int
    branch_id: int
    reason: str
    status: FlagStatus
    status_label: str = ""
    raised_by_name: str
    raised_at: datetime
    answer: str
    answered_by_name: str
    answered_at: datetime | None
    pledge_title: str = ""
    pledge_status: PledgeStatus | None = None
    member_name: str | None = None
