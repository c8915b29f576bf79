from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.appraisal.schemas_debrief import DebriefPublic
from app.boards.models import BOARD_KIND_LABELS, BoardKind
from app.core.errors import register_labels
from app.evaluations import formula

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class BoardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: BoardKind = Field(
        default=BoardKind.pledges, description="pledges：党员承诺公示牌；stars：创星榜（该组织及下级已发布的星级）"
    )
    unit_id: int = Field(description="所属党小组（村民组）、社区或党支部；创星榜可设在任一组织")
    title: Title | None = Field(default=None, description="不填为“{组织名称}党员公开承诺公示牌”")
    note: Note = ""
    member_ids: list[int] | None = Field(
        default=None, max_length=500, description="只展示这些党员（按此顺序）；不填为本组织全部同意公示的党员"
    )


class BoardUpdate(BaseModel):
    """Only the fields sent change; `member_ids: null` switches back to all consenting members."""

    model_config = ConfigDict(extra="forbid")
    unit_id: int | None = None
    title: Title | None = None
    note: Note | None = None
    member_ids: list[int] | None = Field(default=None, max_length=500)


class BoardRead(BaseModel):
    id: int
    kind: BoardKind
    unit_id: int
    unit_name: str
    title: str
    note: str
    member_ids: list[int] | None = Field(description="选定的党员；null 表示本组织全部同意公示的党员")
    version: int
    public_url: str
    qr_svg_url: str
    qr_png_url: str
    poster_url: str
    poster_pdf_url: str
    public_url_warning: str | None = Field(
        default=None, description="对外地址无法从村民手机打开时的提示（此时海报和二维码不能张贴）"
    )
    created_at: datetime
    updated_at: datetime


class BoardViewsDay(BaseModel):
    day: date
    views: int


class BoardViews(BaseModel):
    board_id: int
    total: int
    days: list[BoardViewsDay]


# ---------------------------------------------------------------- the public page's view model
# Built from the other domains' …Public schemas only: nothing here can carry a phone or an address.


class PhotoView(BaseModel):
    """A pledge photo re-addressed under the board's public URL."""

    url: str
    thumb_url: str
    width: int
    height: int


class ProgressView(BaseModel):
    text: str
    at: datetime
    percent: int | None = None
    photos: list[PhotoView] = Field(default_factory=list)


class SatisfactionView(BaseModel):
    satisfied: int
    basic: int
    unsatisfied: int
    total: int
    satisfied_percent: int


class PledgeCard(BaseModel):
    id: int
    title: str
    content: str
    status: str
    status_label: str
    post: str = ""  # the post the pledge was made for (依岗承诺), not the member's current one
    post_duties: str = ""  # its catalogue post's duties, when public (设岗定责)
    pioneer_post: bool = False  # 党员先锋岗
    due_date: date | None = None
    outcome_label: str | None = None  # the secretary's closing comment is in the pledge page's timeline
    percent: int | None = None
    latest: ProgressView | None = None
    satisfaction: SatisfactionView | None = None
    url: str = ""
    rateable: bool = False
    past: bool = False  # of a past year: read only (its board states that year)
    term: str = ""  # 任期承诺: its term, from its start to its last day (pledges.terms)
    community: str = ""  # 双报到: the community branch the pledge was made to


class LevelView(BaseModel):
    """A published star level beside a name (from ratings' LevelPublic: the level only, no score)."""

    stars: int
    label: str  # 四星
    period_title: str  # 2026年第三季度
    trend: str = ""  # ↑ 晋星, ↓ against the previous period, "" otherwise
    trend_word: str = ""
    corrected: bool = False


class MemberCard(BaseModel):
    name: str
    post: str
    public_title: str
    photo_url: str | None = None
    level: LevelView | None = None  # the member's current published star level
    pledges: list[PledgeCard] = Field(default_factory=list)
    named: bool = True  # False: 一名党员 and the post only (members.public)
    pairings: int = 0  # 结对帮扶 N 户: a count only, never a household
    registered_from: str = ""  # 双报到: a 报到党员's own branch, on the community's board


class SuggestionView(BaseModel):
    text: str
    day: str
    reply: str = ""  # the branch's answer (答复), masked
    reply_day: str = ""


class YearSummary(BaseModel):
    """Last year's outcome beside the new year's pledges in January (003's 创星榜 shows 上一年度)."""

    year: int
    pledges: int
    kept: int


class BoardView(BaseModel):
    title: str
    unit_name: str
    branch_name: str
    note: str
    year: int
    members: list[MemberCard]
    registered: list[MemberCard] = Field(default_factory=list)  # 双报到: members registered in the community
    collective: list[PledgeCard]
    pledges: int
    kept: int
    in_progress: int
    updated_at: datetime
    suggestions: list[SuggestionView] = Field(default_factory=list)
    image_keys: list[str] = Field(default_factory=list)
    branch_level: LevelView | None = None  # the branch's current published star level
    stars_url: str | None = None  # the star board (创星榜) this board links to
    current_year: int = 0  # the year the board shows by default; `year` below it: a past year (往年)
    years: list[int] = Field(default_factory=list)  # past years with public pledges, newest first
    previous: YearSummary | None = None  # in January: last year's outcome
    has_members: bool = True  # a group's or branch's board; a committee's shows its collective pledges only
    satisfaction_formula: str = formula.TEXT  # stated on the page (evaluations.formula)
    debriefs: list[DebriefPublic] = Field(default_factory=list)  # 述职报告 the committee published
    # a branch's board: villagers' satisfaction across all the branch's pledges (evaluations.branch)
    branch_satisfaction: SatisfactionView | None = None


# the Chinese names of fields in validation messages (core.errors)
register_labels(
    {
        "title": "标题",
        "note": "说明",
        "member_ids": "党员",
        "unit_id": "组织",
        "board_id": "公示牌",
        "days": "天数",
        "kind": "类型",
    },
    values=BOARD_KIND_LABELS,
)
