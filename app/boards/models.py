"""Public boards, reached by an unguessable token: a pledge board (公示牌, /b/) per villager group,
community or branch, and a star board (创星榜, /s/) per unit whose published star levels it shows.

A star board is a kind of board: the same token rules (192 bits, a rotation or taking down → 410),
view counts, posters and secretary API, with another page."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import utcnow


class BoardKind(StrEnum):
    pledges = "pledges"  # 公示牌: members and their pledges (/b/)
    stars = "stars"  # 创星榜: published star levels of a unit's subtree (/s/)


BOARD_KIND_LABELS = {BoardKind.pledges: "公示牌", BoardKind.stars: "创星榜"}


class Board(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: BoardKind = Field(
        default=BoardKind.pledges, sa_type=String(10), sa_column_kwargs={"server_default": BoardKind.pledges.value}
    )
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    title: str = Field(max_length=60)
    note: str = Field(default="", max_length=200)
    # the public token in the URL and on the printed QR code: 192 random bits, URL-safe
    token: str = Field(max_length=64, unique=True)
    # False: every member of the unit who consented; True: only the members listed in board_member
    selected_members: bool = Field(default=False)
    # bumped on every edit of the board itself; with the unit's content_version it keys the page cache
    version: int = Field(default=1)
    created_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BoardMember(SQLModel, table=True):
    """The members a board shows when the secretary chose them one by one (in this order)."""

    __tablename__ = "board_member"

    board_id: int = Field(foreign_key="board.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)
    sort_order: int = Field(default=0)


class RetiredBoardToken(SQLModel, table=True):
    """A token replaced by a rotation (stolen or damaged poster): its URL answers 410. Stored hashed."""

    __tablename__ = "retired_board_token"

    token_digest: str = Field(max_length=64, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    retired_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BoardViewDay(SQLModel, table=True):
    """How often a board's public page was opened, per calendar day (China time)."""

    __tablename__ = "board_view_day"
    __table_args__ = (Index("ix_board_view_day_day", "day"),)

    board_id: int = Field(foreign_key="board.id", primary_key=True)
    day: date = Field(primary_key=True)
    views: int = Field(default=0)
