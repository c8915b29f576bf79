"""The org tree (one table, materialised paths) and role grants on it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import utcnow


class UnitKind(StrEnum):
    committee = "committee"
    general_branch = "general_branch"
    branch = "branch"
    group = "group"


UNIT_KIND_LABELS = {
    UnitKind.committee: "党委",
    UnitKind.general_branch: "党总支",
    UnitKind.branch: "党支部",
    UnitKind.group: "党小组",
}

# which kinds may sit directly under which
ALLOWED_PARENTS: dict[UnitKind, set[UnitKind | None]] = {
    UnitKind.committee: {None, UnitKind.committee},
    UnitKind.general_branch: {UnitKind.committee},
    UnitKind.branch: {UnitKind.committee, UnitKind.general_branch},
    UnitKind.group: {UnitKind.branch},
}


class OrgUnit(SQLModel, table=True):
    __tablename__ = "org_unit"
    # pattern ops: PostgreSQL uses the index for `path LIKE '/1/4/%'` whatever the collation
    __table_args__ = (Index("ix_org_unit_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),)

    id: int | None = Field(default=None, primary_key=True)
    kind: UnitKind = Field(sa_type=String(20))
    parent_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True)
    name: str = Field(max_length=60)
    # "/1/4/17/": this unit and its ancestors; a subtree is one indexed prefix query
    path: str = Field(default="", max_length=400)
    sort_order: int = Field(default=0)
    # bumped whenever something a public board of this unit shows changes (members, pledges,
    # progress, ratings, a unit's name): on groups and branches only, where boards stand (see
    # org.service.touch); boards cache their pages by it
    content_version: int = Field(default=1)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoleGrant(SQLModel, table=True):
    """An account holds a role on a unit and everything under it. Revoked grants are kept."""

    __tablename__ = "role_grant"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    role: str = Field(sa_type=String(20))
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    granted_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
