"""The pairing register (结对帮扶, 003 "327名党员结对贫困户771户"): a member paired with a household.

The household's name, village group and needs are PRIVATE: read by the member, their branch's
pledge.private holders (the secretary) and the committee only, never by a public page or a `…Public`
schema (app/pledges/pairing.py). Pairing pledges point at their pairing (`Pledge.pairing_id`); visits
are progress reports on such a pledge."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import utcnow


class Pairing(SQLModel, table=True):
    __tablename__ = "pairing"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    branch_id: int = Field(foreign_key="org_unit.id", index=True)  # the member's branch when paired
    household_name: str = Field(max_length=40)  # private
    village_group: str = Field(default="", max_length=40)  # private
    needs: str = Field(default="", max_length=500)  # private
    since: date
    ended_on: date | None = None
    version: int = Field(default=1)
    created_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
