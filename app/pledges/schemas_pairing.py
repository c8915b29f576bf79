"""Request and response shapes of the pairing register (app/pledges/pairing.py).

`PairingRead` carries the household's name, village group and needs: it is answered only to the
member, their branch's pledge.private holders and the committee. There is deliberately no
`PairingPublic`: a public page gets a count of households and nothing else."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.errors import register_labels
from app.core.validation import Id

Household = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Content = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
VisitText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=480)]


class PairingCreate(BaseModel):
    """Without `member_id`: the caller's own pairing; a secretary gives `member_id`."""

    model_config = ConfigDict(extra="forbid")
    member_id: Id | None = None
    household_name: Household = Field(description="帮扶对象（户名，不公开）")
    village_group: str = Field(default="", max_length=40, description="所在村民小组（不公开）")
    needs: str = Field(default="", max_length=500, description="困难和需求（不公开）")
    since: date | None = Field(default=None, description="结对日期，默认今天")


class PairingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    household_name: Household | None = None
    village_group: str | None = Field(default=None, max_length=40)
    needs: str | None = Field(default=None, max_length=500)
    ended_on: date | None = Field(default=None, description="结束结对的日期")


class PairingPledgeCreate(BaseModel):
    """A pairing pledge for this pairing (public: never the household's name)."""

    model_config = ConfigDict(extra="forbid")
    title: Title
    content: Content
    year: int | None = Field(default=None, ge=2000, le=2100)
    due_date: date | None = None


class VisitCreate(BaseModel):
    """A visit (走访), logged as a progress report on the pairing's pledge (public: never the name)."""

    model_config = ConfigDict(extra="forbid")
    text: VisitText = Field(description="走访情况（会公开，不写帮扶对象姓名）")
    percent: int | None = Field(default=None, ge=0, le=100)
    pledge_id: Id | None = Field(default=None, description="记在哪项结对帮扶承诺上，默认最近的一项")


class PairingRead(BaseModel):
    id: int
    member_id: int
    member_name: str
    branch_id: int
    branch_name: str
    household_name: str
    village_group: str
    needs: str
    since: date
    ended_on: date | None
    active: bool
    pledges: int = Field(description="与该结对关联的承诺数")
    visits: int = Field(description="走访（践诺记录）次数")
    last_visit_at: datetime | None
    version: int = Field(description="修改时作为 If-Match")
    may_edit: bool


class BranchPairingCounts(BaseModel):
    branch_id: int
    branch_name: str
    members: int = Field(description="结对的党员人数")
    households: int = Field(description="结对帮扶的户数（未结束的）")
    ended: int = Field(description="已结束的结对")
    visits: int = Field(description="走访次数")


register_labels(
    {"household_name": "帮扶对象", "village_group": "村民小组", "needs": "困难和需求", "ended_on": "结束日期"}
)
