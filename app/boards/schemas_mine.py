"""Bodies of `boards.mine`: a board's public address as the people on it see it, and a member's own
boards with their public card (built from the board's own view model, `MemberCard`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.boards.models import BoardKind
from app.boards.schemas import MemberCard


class BoardLink(BaseModel):
    """A board's public address and QR code: what is printed on its poster anyway."""

    kind: BoardKind
    kind_label: str
    title: str
    unit_name: str
    public_url: str
    qr_svg_url: str
    qr_png_url: str
    public_url_warning: str | None = Field(
        default=None, description="对外地址无法从村民手机打开时的提示（此时二维码不能给村民扫）"
    )
    shown: bool | None = Field(default=None, description="（我的公示牌）这块公示牌上有没有我的姓名（亮身份）")
    note: str = Field(default="", description="为什么没有我")


class MyBoards(BaseModel):
    member_id: int
    consent: bool = Field(description="是否同意上公示牌（亮身份）")
    consent_note: str = ""
    has_photo: bool
    photo_url: str | None = Field(default=None, description="本人的亮身份照片（须登录）")
    card: MemberCard | None = Field(
        description="公示牌上我的样子；没有同意公示时只显示“一名党员”、岗位和已公示的承诺（named 为 false）"
    )
    boards: list[BoardLink] = Field(description="我所在党小组和党支部的公示牌（最多几块，不分页）")
    stars: BoardLink | None = Field(description="我所在组织的创星榜")
