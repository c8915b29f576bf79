from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import register_labels
from app.core.permissions import ROLE_LABELS, Role
from app.core.validation import Id, Name
from app.org.models import UNIT_KIND_LABELS, UnitKind


class OrgUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: UnitKind
    name: Name
    parent_id: Id
    sort_order: int = Field(default=0, ge=0, le=100_000)


class OrgUnitUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    sort_order: int | None = Field(default=None, ge=0, le=100_000)


class OrgUnitMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parent_id: Id


class OrgUnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: UnitKind
    name: str
    parent_id: int | None
    path: str
    sort_order: int
    archived: bool = False

    @classmethod
    def of(cls, unit: object) -> OrgUnitRead:
        read = cls.model_validate(unit)
        read.archived = getattr(unit, "archived_at", None) is not None
        return read


class OrgTreeNode(OrgUnitRead):
    children: list[OrgTreeNode] = Field(default_factory=list)
    # what the caller may do here (org.editing): create, rename, move, archive
    allowed_actions: list[str] = Field(default_factory=list)
    child_kinds: list[UnitKind] = Field(default_factory=list, description="可在其下新建的组织类型")
    parent_kinds: list[UnitKind] = Field(default_factory=list, description="可移到其下的上级组织类型")


class GrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: Id
    role: Role
    unit_id: Id


class GrantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    account_id: Id
    role: Role
    unit_id: Id
    unit_name: str = ""
    created_at: datetime
    revoked_at: datetime | None = None


register_labels(
    {
        "unit_id": "组织",
        "root_id": "组织",
        "parent_id": "上级组织",
        "sort_order": "排序",
        "include_archived": "含已撤销的组织",
        "account_id": "账号",
        "role": "角色",
        "grant_id": "授权",
    },
    values={**UNIT_KIND_LABELS, **ROLE_LABELS},
)
register_labels({"name": "名称", "kind": "组织类别"}, prefix="/api/v1/units")
