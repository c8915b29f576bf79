"""Bodies of the import API: the report of a checked (or confirmed) file, and the slips."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.core.validation import Id


class ImportKind(StrEnum):
    members = "members"
    units = "units"


class RowAction(StrEnum):
    create = "create"
    update = "update"
    unchanged = "unchanged"


ROW_ACTION_LABELS = {RowAction.create: "新增", RowAction.update: "更新", RowAction.unchanged: "无变化"}


class ImportProblem(BaseModel):
    """One problem of the file: the row and column (as Excel shows them) and what is wrong, in Chinese."""

    row: int | None = Field(description="文件中的行号（表头为第 1 行）；整个文件的问题为空")
    column: str | None = Field(description="列名（表头文字）")
    cell: str | None = Field(default=None, description="单元格位置，如 C5")
    code: str
    message: str


class FieldChange(BaseModel):
    field: str = Field(description="列名")
    before: str
    after: str


class ImportRow(BaseModel):
    row: int
    action: RowAction
    name: str
    key: str = Field(description="党员的手机号，或组织的完整路径")
    changes: list[FieldChange] = []
    member_id: int | None = None
    unit_id: int | None = None


class Slip(BaseModel):
    """A new account's login slip. `initial_password` is in clear in the confirming answer only."""

    member_id: int
    name: str
    unit_name: str
    login: str
    initial_password: str | None


class ImportReport(BaseModel):
    kind: ImportKind
    file_name: str
    file_sha256: str
    file_format: str
    encoding: str | None = None
    unit_id: int
    unit_name: str
    rows: int = Field(description="数据行数（不含表头和示例行）")
    ok: bool = Field(description="没有任何问题，可以确认导入")
    committed: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    accounts: int = Field(default=0, description="将开通（或已开通）的登录账号数")
    message: str
    problems: list[ImportProblem] = []
    items: list[ImportRow] = []
    notes: list[str] = []
    slips: list[Slip] = []
    slips_withheld: bool = Field(
        default=False, description="重放的应答不含初始密码（服务器只保存其散列）；如未打印凭条，请为这些党员重置密码"
    )
    checked_at: datetime


class SlipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member_id: Id
    initial_password: str = Field(min_length=1, max_length=64)


class SlipsPdfRequest(BaseModel):
    """The slips of a confirmed import, sent back to be laid out for printing (nothing is stored)."""

    model_config = ConfigDict(extra="forbid")
    slips: list[SlipRequest] = Field(min_length=1, max_length=10_000)


class SlipsReissueRequest(BaseModel):
    """Members of a confirmed import whose slips were lost before they were printed."""

    model_config = ConfigDict(extra="forbid")
    member_ids: list[Id] = Field(min_length=1, max_length=10_000)
