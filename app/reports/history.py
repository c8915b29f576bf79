"""Reading the history of every change (变更记录, app/core/changes.py): who may read which object's
history, and each entry as the PWA shows it (field names, values and actions in Chinese).

Who reads: those who may read the object's private side, through the one `require()` on the unit the
object stands in now —

| kind | unit | permission |
|---|---|---|
| member | the member's current branch | `member.read_private` (their secretary, the committee); the member themself |
| account | its member's branch (as member); else its first grant's unit, `grant.read` | the owner too |
| grant | the grant's unit | `grant.read` |
| unit | the unit | `unit.read` |
| board | the board's unit | `board.manage` |
| rating_policy | the unit (the policy is keyed by its unit) | `unit.read` |

A moved member's history follows them: the new branch's secretary reads all of it (the entries from
the old branch's time too); the old branch's secretary no longer sees the member at all (404), as
for the member themself — the permission rules give the old branch nothing after the move.

A page costs a fixed number of queries: the object (one), the count and the page, and one query for
the names of the units (and of the members a board lists) the page's entries name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import Account
from app.boards.models import BOARD_KIND_LABELS, Board
from app.core import changes
from app.core.changes import ChangeEvent, ChangeKind
from app.core.errors import NotFound
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import ROLE_LABELS, Actor, Permission, require
from app.members import service as members_service
from app.members.models import GENDER_LABELS, MEMBER_STATUS_LABELS, Member
from app.org import service as org_service
from app.org.models import UNIT_KIND_LABELS, RoleGrant
from app.reports.schemas_history import ChangeEntry, FieldChange

FIELD_LABELS = {
    "name": "姓名/名称",
    "gender": "性别",
    "phone": "手机号",
    "branch_id": "党支部",
    "group_id": "党小组",
    "post": "岗位",
    "public_title": "公示职务",
    "joined_date": "入党日期",
    "status": "党员状态",
    "board_consent": "同意上墙公示",
    "photo": "照片",
    "account": "登录账号",
    "display_name": "账号名称",
    "disabled": "账号停用",
    "account_id": "账号",
    "role": "角色",
    "unit_id": "组织",
    "revoked": "已收回",
    "kind": "类型",
    "parent_id": "上级组织",
    "sort_order": "排序",
    "archived": "已撤销/撤下",
    "title": "标题",
    "note": "说明",
    "selected_members": "只展示选定党员",
    "member_ids": "选定的党员",
    # rating policies (top-level rules)
    "weights": "三评权重",
    "villager_min_count": "群众测评最少人数",
    "thresholds": "星级分数线",
    "peer_scale": "互评方式",
    "peer_combine": "互评汇总方式",
    "year_combine": "年度汇总方式",
    "year_thresholds": "年度星级分数线",
    "year_assessment_weight": "年度考评权重",
    "rubric": "考评细则",
    "branch_weights": "支部评星权重",
    "branch_rubric": "支部考评细则",
    "tiers": "先进/后进线",
    "appraisal": "每月测评与季度自评",
}
# the members of a group of rules ("weights.peer": 三评权重·党员互评)
SUB_LABELS = {
    "peer": "党员互评",
    "villager": "群众测评",
    "assessment": "组织考评",
    "members": "党员平均分",
    "star5": "五星",
    "star4": "四星",
    "star3": "三星",
    "star2": "二星",
    "advanced_stars": "先进",
    "backward_stars": "后进",
    "slip_every_months": "测评间隔（月）",
    "slip_items": "测评项目",
    "slip_counts_as": "测评计入",
    "self_rubric": "自评细则",
    "self_weight": "自评权重",
    "debrief_weight": "述职评议权重",
}
ACTION_LABELS = {
    "create": "新建",
    "update": "修改",
    "move": "转移",
    "photo": "更换照片",
    "post": "设定岗位",
    "open_account": "开通账号",
    "phone": "更换登录手机号",
    "password_reset": "密码已重置",
    "password_change": "本人修改了密码",
    "disable": "账号停用",
    "enable": "账号恢复",
    "grant": "授予角色",
    "revoke": "收回角色",
    "archive": "撤销",
    "rotate_token": "更换公示地址（旧二维码作废）",
    "take_down": "撤下",
    "set": "设置本级评星规则",
    "clear": "取消本级评星规则（改用上级的）",
}
_UNIT_FIELDS = frozenset({"branch_id", "group_id", "unit_id", "parent_id"})
_ENUM_LABELS: dict[str, dict[Any, str]] = {
    "gender": {k.value: v for k, v in GENDER_LABELS.items()},
    "status": {k.value: v for k, v in MEMBER_STATUS_LABELS.items()},
    "role": {k.value: v for k, v in ROLE_LABELS.items()},
    "kind": {**{k.value: v for k, v in UNIT_KIND_LABELS.items()}, **{k.value: v for k, v in BOARD_KIND_LABELS.items()}},
}


def _own(actor: Actor, account_id: int | None) -> bool:
    return not actor.system and account_id is not None and account_id == actor.account_id


def _unit_path(session: Session, unit_id: int) -> str:
    return org_service.get_unit(session, unit_id).path


def check(session: Session, actor: Actor, kind: ChangeKind, object_id: int) -> int | None:
    """404 when the object is missing or outside the actor's scope, 403 when the actor sees it but
    may not read its history (the table in the module's docstring). For a member: their account's id
    (their history shows the account's entries too: the same readers)."""
    if kind in (ChangeKind.member, ChangeKind.account):
        column = Member.id if kind == ChangeKind.member else Member.account_id
        member = session.execute(select(Member).where(col(column) == object_id)).scalar_one_or_none()
        if member is not None:
            if not _own(actor, member.account_id):
                require(actor, Permission.member_read_private, _unit_path(session, member.branch_id))
            return member.account_id if kind == ChangeKind.member else None
        if kind == ChangeKind.account and session.get(Account, object_id) is not None:
            if _own(actor, object_id):
                return None
            first = session.execute(
                select(col(RoleGrant.unit_id)).where(col(RoleGrant.account_id) == object_id).order_by(col(RoleGrant.id))
            ).first()
            if first is not None:
                require(actor, Permission.grant_read, _unit_path(session, first[0]))
                return None
        raise NotFound("未找到该对象，或不在您的管理范围内")
    unit_id: int | None = None
    permission = Permission.unit_read
    if kind == ChangeKind.grant:
        grant = session.get(RoleGrant, object_id)
        unit_id, permission = (grant.unit_id if grant else None), Permission.grant_read
    elif kind == ChangeKind.board:
        board = session.get(Board, object_id)
        unit_id, permission = (board.unit_id if board else None), Permission.board_manage
    else:  # unit, rating_policy: keyed by the unit
        unit_id = object_id
    unit = org_service.find_unit(session, unit_id) if unit_id is not None else None
    if unit is None:
        raise NotFound("未找到该对象，或不在您的管理范围内")
    require(actor, permission, unit)
    return None


def _text(field: str, value: Any, units: dict[int, str], members: dict[int, str]) -> str:
    if value is None or value == "":
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field in _UNIT_FIELDS and isinstance(value, int):
        return units.get(value, f"#{value}")
    if field == "member_ids" and isinstance(value, list):
        return "、".join(members.get(i, f"#{i}") for i in value) or "（无）"
    if field in _ENUM_LABELS and value in _ENUM_LABELS[field]:
        return _ENUM_LABELS[field][value]
    if isinstance(value, list) and all(isinstance(v, dict) and "label" in v for v in value):
        return "、".join(f"{v['label']}{' ' + str(v['max_points']) + '分' if 'max_points' in v else ''}" for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", "："))
    return str(value)


def _entries(session: Session, rows: Sequence[ChangeEvent]) -> list[ChangeEntry]:
    """The page's entries with names for the units and members they mention (one query each, and
    only when the page mentions any)."""
    unit_ids: set[int] = set()
    member_ids: set[int] = set()
    for row in rows:
        for field, pair in row.changes.items():
            for value in pair:
                if field in _UNIT_FIELDS and isinstance(value, int):
                    unit_ids.add(value)
                elif field == "member_ids" and isinstance(value, list):
                    member_ids.update(v for v in value if isinstance(v, int))
    units = {i: u.name for i, u in org_service.units_by_id(session, unit_ids).items()} if unit_ids else {}
    members = members_service.member_names(session, member_ids)
    return [
        ChangeEntry(
            id=row.id or 0,
            kind=row.kind,
            at=row.at,
            action=row.action,
            action_label=ACTION_LABELS.get(row.action, row.action),
            actor_name=row.actor_name or "系统",
            reason=row.reason,
            changes=[
                FieldChange(
                    field=field,
                    label="·".join(FIELD_LABELS.get(p, SUB_LABELS.get(p, p)) for p in field.split(".")),
                    old=_text(field, pair[0], units, members),
                    new=_text(field, pair[1], units, members),
                )
                for field, pair in row.changes.items()
            ],
        )
        for row in rows
    ]


def history(
    session: Session, *, actor: Actor, kind: ChangeKind, object_id: int, params: PageParams
) -> Page[ChangeEntry]:
    """One object's history, newest first, a page at a time; a member's with their account's."""
    account_id = check(session, actor, kind, object_id)
    stmt = changes.of(kind, object_id, also=(ChangeKind.account, account_id) if account_id else None)
    return paginate(session, stmt, params, lambda rows: _entries(session, rows))
