"""Request and response shapes of the 承诺书 (a member's pledges of a year as one document) and of the
branch's post coverage (which catalogue posts have no pledge this year)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.pledges.models import PledgeCategory, PledgeStatus
from app.pledges.schemas import Reason


class DocumentVetting(BaseModel):
    """The branch's last decision on a pledge of the document (定诺 or 退回): who, when, why."""

    action: Literal["approve", "return"]
    label: str
    actor_name: str
    at: datetime
    reason: str | None = None


class DocumentPledge(BaseModel):
    id: int
    title: str
    content: str
    category: PledgeCategory
    category_label: str
    post: str
    post_id: int | None
    post_duties: str = ""
    pioneer_post: bool = False
    due_date: date
    status: PledgeStatus
    status_label: str
    version: int
    vetting: DocumentVetting | None = None


class DocumentSignature(BaseModel):
    signed_on: date
    recorded_by_name: str
    recorded_at: datetime
    has_photo: bool


class PledgeDocumentRead(BaseModel):
    """A member's 承诺书 of a year: who (member, branch, group, post), the pledges, the branch's vetting
    of each, and whether the paper was signed. `allowed_actions`: vet (some pledge waits for the
    branch), sign, print."""

    member_id: int
    year: int
    name: str
    branch_id: int
    branch_name: str
    group_name: str | None
    post: str
    post_duties: str = ""
    pioneer_post: bool = False
    pledges: list[DocumentPledge]
    submitted_count: int = Field(description="待支部审核的承诺数")
    signature: DocumentSignature | None = None
    allowed_actions: list[str] = Field(default_factory=list)


class DocumentVetItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pledge_id: int = Field(ge=1)
    version: int = Field(ge=1, description="该承诺的版本号（即它的 If-Match）")


class DocumentVet(BaseModel):
    """Vet the whole document at once: approve (定诺) or return (退回, with a reason) every pledge listed
    — the submitted pledges the secretary saw, each with its version."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "return"]
    reason: Reason | None = Field(default=None, description="退回的原因（退回时必填）")
    pledges: list[DocumentVetItem] = Field(min_length=1, max_length=50)


class DocumentVetResult(BaseModel):
    decided: list[int]
    document: PledgeDocumentRead


class DocumentRow(BaseModel):
    """One member's line in the branch's list of 承诺书."""

    member_id: int
    name: str
    group_name: str | None
    post: str
    pledge_count: int
    submitted_count: int
    signed_on: date | None


class PostCoverageRow(BaseModel):
    """A catalogue post and how many pledges of the year were made for it (0: 该岗位今年还没有承诺)."""

    post_id: int
    name: str
    pioneer: bool
    member_count: int
    pledge_count: int
