"""The member roster (党员花名册) of a unit's subtree as a spreadsheet, in the import template's columns
(姓名, 性别, 手机号, 党支部 as a full path, 党小组, 岗位, 公示职务, 入党日期, 同意公示, 状态), so an
exported roster can be edited and imported again.

Who: Permission.member_read on the unit (anyone who may list these members). Phones follow the one
rule of the members domain (`members_service.can_see_phone`: one's own, or member.read_private on the
member's branch — the secretary and the committee); for everyone else the cell is empty. One SELECT
of members in batches, the units in two more.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.permissions import Actor, Permission
from app.members import service as members_service
from app.members.models import GENDER_LABELS, MEMBER_STATUS_LABELS, Gender, Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit

HEADER = ["姓名", "性别", "手机号", "党支部", "党小组", "岗位", "公示职务", "入党日期", "同意公示", "状态"]
WIDTHS = [12, 8, 16, 40, 16, 18, 12, 13, 10, 10]
BATCH = 2000


def unit_for(session: Session, *, actor: Actor, unit_id: int | None) -> tuple[OrgUnit, list[str]]:
    paths = org_service.scope_for(session, actor, Permission.member_read, unit_id)
    if unit_id is not None:
        return org_service.get_unit(session, unit_id), paths
    root = org_service.first_root(session) if paths == ["/"] else None
    unit = root or org_service.get_unit(session, int(paths[0].strip("/").rsplit("/", 1)[-1]))
    return unit, [unit.path]


def _full_names(session: Session, units: dict[int, OrgUnit]) -> dict[int, str]:
    """unit id → 平山镇党委/大洼社区党支部 (the import's way of naming a branch)."""
    ids = {int(p) for u in units.values() for p in u.path.strip("/").split("/") if p}
    names = {i: u.name for i, u in org_service.units_by_id(session, ids).items()}
    return {i: "/".join(names.get(int(p), "") for p in u.path.strip("/").split("/") if p) for i, u in units.items()}


def rows(session: Session, *, actor: Actor, paths: list[str]) -> Iterator[list[Any]]:
    units = {
        u.id: u
        for u in session.execute(select(OrgUnit).where(col(OrgUnit.id).in_(org_service.subtree_ids(paths)))).scalars()
        if u.id is not None
    }
    # a group's roster: its branch lies above the subtree
    above = {int(p) for path in paths for p in path.strip("/").split("/") if p and int(p) not in units}
    units |= org_service.units_by_id(session, above)
    full = _full_names(session, units)
    stmt = (
        select(Member)
        .where(members_service.in_subtrees_sql(session, paths))
        .order_by(col(Member.branch_id), col(Member.group_id), col(Member.name), col(Member.id))
        .execution_options(yield_per=BATCH)
    )
    for member in session.execute(stmt).scalars():
        branch = units.get(member.branch_id)
        show = branch is not None and members_service.can_see_phone(actor, member, branch.path)
        group = units.get(member.group_id) if member.group_id else None
        yield [
            member.name,
            GENDER_LABELS[Gender(member.gender)] if member.gender else "",
            member.phone if show else "",
            full.get(member.branch_id, ""),
            group.name if group else "",
            member.post,
            member.public_title,
            member.joined_date,
            "是" if member.board_consent else "否",
            MEMBER_STATUS_LABELS[MemberStatus(member.status)],
        ]
