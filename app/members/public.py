"""A member's public identity (亮身份): who a public page may name, and what it shows of the others.

One rule, for SQL and Python (`NAMED`): a page names a member who is on the roll (active) and has
consented to the boards. Every other member whose pledges are public (nothing shown publicly is taken
back: 003 "全体共产党员……作出公开承诺并进行公示") is shown as ANONYMOUS_NAME with the post, and
nothing else — no name, no photo, no public title (docs/boards.md, "Consent").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlmodel import Session, col

from app.members.models import Member, MemberStatus
from app.members.schemas import MemberPublic
from app.org.models import OrgUnit, UnitKind

ANONYMOUS_NAME = "一名党员"


def named_sql() -> ColumnElement[bool]:
    """A public page may name this member: on the roll and consenting to the boards."""
    return and_(col(Member.status) == MemberStatus.active, col(Member.board_consent).is_(True))


def is_named(member: Member) -> bool:
    """`named_sql()` for a loaded row (the same two conditions)."""
    return member.status == MemberStatus.active and bool(member.board_consent)


def to_public(member: Member) -> MemberPublic:
    """What a public page may show of a member: everything of their public profile when named, else
    ANONYMOUS_NAME and the post only."""
    assert member.id is not None
    if is_named(member):
        return MemberPublic(
            id=member.id,
            name=member.name,
            post=member.post,
            public_title=member.public_title,
            photo_key=member.photo_key,
        )
    return MemberPublic(id=member.id, name=ANONYMOUS_NAME, post=member.post, public_title="", named=False)


def public_members(
    session: Session, *, unit: OrgUnit, member_ids: Sequence[int] | None = None, unnamed: bool = False
) -> list[MemberPublic]:
    """Members a public board of `unit` may name (`named_sql`) in the unit (its group, or its branch).
    With `unnamed`, also every other member of the unit (whatever their consent or status), shown
    anonymously (`to_public`), after the named ones: a board lists those only with public pledges.
    With `member_ids`, only those and in that order. One query."""
    in_unit = col(Member.group_id) == unit.id if unit.kind == UnitKind.group else col(Member.branch_id) == unit.id
    stmt: Any = select(Member).where(in_unit)
    if not unnamed:
        stmt = stmt.where(named_sql())
    if member_ids is not None:
        if not member_ids:
            return []
        stmt = stmt.where(col(Member.id).in_(set(member_ids)))
    rows = list(session.execute(stmt.order_by(col(Member.id))).scalars())
    if member_ids is not None:
        order = {m: i for i, m in enumerate(member_ids)}
        rows.sort(key=lambda m: (not is_named(m), order.get(m.id or 0, 0)))
    else:
        # leaders first (those with a public title), then by name as on a paper board; the unnamed last
        rows.sort(key=lambda m: (not is_named(m), m.public_title == "", m.name if is_named(m) else "", m.id or 0))
    return [to_public(m) for m in rows]
