"""Checking a roster before anything is written: every row is parsed, its branch and group resolved,
its phone matched, and every problem kept by row and column in Chinese. The result is a `Plan`: what
each row will do (create, update with the changed fields, nothing) and the problems; `imports_apply`
writes a plan that has none.

Reads the lower domains' tables in a fixed number of queries whatever the file's size (units by the
names the file uses and their ancestors; members, accounts and role grants by the file's phones, in
chunks), so a 10,000-row file is checked in well under a second of SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import Account
from app.core.hygiene import is_clean
from app.core.permissions import ROLE_LABELS, Actor, Permission, Role, allowed
from app.core.time import today_local
from app.core.validation import PHONE_FORMAT_MESSAGE, is_valid_phone, normalize_phone
from app.members.models import GENDER_LABELS, MEMBER_STATUS_LABELS, Gender, Member, MemberStatus
from app.org.models import UNIT_KIND_LABELS, OrgUnit, RoleGrant, UnitKind
from app.reports.import_templates import IMPORT_ROLES, MEMBER_COLUMNS, NO, YES
from app.reports.imports_common import (
    Columns,
    Problems,
    UnitIndex,
    chunks,
    in_subtree,
    is_example,
    map_columns,
    parse_date,
    split_path,
)
from app.reports.imports_read import Cell, Sheet
from app.reports.schemas_imports import FieldChange, ImportProblem, RowAction

_GENDERS = {label: g for g, label in GENDER_LABELS.items()}
_STATUSES = {label: s for s, label in MEMBER_STATUS_LABELS.items()}
_LIMITS = {"name": 40, "post": 60, "public_title": 40}


# ---------------------------------------------------------------- members


@dataclass
class MemberRow:
    row: int
    name: str
    phone: str
    branch: OrgUnit
    group: OrgUnit | None
    gender: Gender | None
    post: str
    public_title: str
    joined_date: date | None
    role: Role
    board_consent: bool
    status: MemberStatus
    existing: Member | None = None
    current_role: Role | None = None
    open_account: bool = False
    settle_role: bool = False  # the role's grants must be set (changed, new account, new group or branch)
    action: RowAction = RowAction.create
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class Plan:
    kind: str
    unit: OrgUnit
    sheet: Sheet
    problems: list[ImportProblem]
    members: list[MemberRow] = field(default_factory=list)
    units: list[Any] = field(default_factory=list)  # imports_check_units.UnitRow
    skipped_examples: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows(self) -> list[Any]:
        return self.members if self.kind == "members" else self.units


def check_members(session: Session, *, actor: Actor, unit: OrgUnit, sheet: Sheet) -> Plan:
    """Every row of a roster checked against the database and the actor's scope; nothing written."""
    problems = Problems()
    unit_is_branch = unit.kind == UnitKind.branch
    columns = map_columns(sheet, MEMBER_COLUMNS, problems, optional=("branch",) if unit_is_branch else ())
    plan = Plan(kind="members", unit=unit, sheet=sheet, problems=problems.items)
    if problems.items:
        return plan
    if "branch" not in columns.index and not unit_is_branch:
        problems.add(1, columns.specs["branch"], "缺少“党支部”列，请使用导入模板的表头", "missing_column")
        return plan

    data_rows = []
    for number, cells in sheet.rows:
        if is_example(cells):
            plan.skipped_examples += 1
            continue
        data_rows.append((number, cells))
    if not data_rows:
        problems.add(None, None, "文件里没有要导入的数据行", "empty")
        return plan

    def text(key: str) -> list[str]:
        return [str(columns.cell(cells, key).value or "") for _, cells in data_rows]

    names = {p for t in (text("branch") + text("group")) for p in split_path(t)}
    index = UnitIndex(session, names)
    phones = [normalize_phone(t) for t in text("phone")]
    existing = _members_by_phone(session, phones)
    accounts = _accounts_by_phone(session, phones)
    roles = _local_roles(session, [m.account_id for m in existing.values() if m.account_id])
    units_of_members = _units(session, index, existing.values())

    seen: dict[str, int] = {}
    for number, cells in data_rows:
        row = _member_row(number, cells, columns, problems, index, unit, actor, seen)
        if row is None:
            continue
        match = existing.get(row.phone)
        account = accounts.get(row.phone)
        if match is not None:
            old_branch = units_of_members[match.branch_id]
            if not allowed(actor, Permission.member_manage, old_branch):
                at = columns.index.get("phone")
                problems.add(
                    number,
                    columns.specs["phone"],
                    "该手机号已登记给其他党支部的党员（不在您的管理范围内）",
                    "phone_elsewhere",
                    at,
                )
                continue
            row.existing = match
            row.current_role = roles.get(match.account_id or 0, Role.member) if match.account_id else None
            _keep_absent(row, match, set(columns.index), units_of_members)
            if match.account_id == actor.account_id and match.status != row.status:
                problems.add(
                    number,
                    columns.specs["status"],
                    "不能更改自己的党员状态，请由其他管理员操作",
                    "own_status",
                    columns.index.get("status"),
                )
                continue
            _diff(row, match, units_of_members)
        elif account is not None:
            problems.add(
                number,
                columns.specs["phone"],
                "该手机号已有登录账号，但没有登记为党员，请联系党委管理员",
                "phone_has_account",
                columns.index.get("phone"),
            )
            continue
        else:
            row.open_account = row.status == MemberStatus.active
            row.settle_role = row.open_account and row.role != Role.member
        plan.members.append(row)
    return plan


def _member_row(
    number: int,
    cells: Sequence[Cell],
    columns: Columns,
    problems: Problems,
    index: UnitIndex,
    unit: OrgUnit,
    actor: Actor,
    seen: dict[str, int],
) -> MemberRow | None:
    """One row parsed and checked on its own (the database only through `index`); None when it has a problem."""
    before = len(problems.items)
    values: dict[str, str | date | None] = {}
    for key, spec in columns.specs.items():
        at = columns.index.get(key)
        if at is None:
            continue
        cell = columns.cell(cells, key)
        if cell.formula:
            problems.add(number, spec, "单元格是公式，请改成数值（复制后“选择性粘贴 → 数值”）", "formula", at)
        elif cell.merged:
            problems.add(number, spec, "合并单元格：请取消合并，每行都填写完整", "merged", at)
        elif isinstance(cell.value, str) and not is_clean(cell.value, multiline=False):
            problems.add(number, spec, "含有看不见的控制字符，请重新输入", "bad_text", at)
        elif isinstance(cell.value, str) and key in _LIMITS and len(cell.value) > _LIMITS[key]:
            problems.add(number, spec, f"太长了，最多 {_LIMITS[key]} 个字", "too_long", at)
        else:
            values[key] = cell.value
    if len(problems.items) > before:
        return None

    def add(key: str, message: str, code: str) -> None:
        problems.add(number, columns.specs[key], message, code, columns.index.get(key))

    def txt(key: str) -> str:
        value = values.get(key)
        return value.isoformat() if isinstance(value, date) else (value or "").strip()

    for key in ("name", "phone"):
        if not txt(key):
            add(key, "必填，不能为空", "required")
    phone = normalize_phone(txt("phone"))
    if phone and not is_valid_phone(phone):
        add("phone", PHONE_FORMAT_MESSAGE, "bad_phone")
    elif phone in seen:
        add("phone", f"与第 {seen[phone]} 行的手机号重复", "duplicate_phone")
    elif phone:
        seen[phone] = number

    gender = _GENDERS.get(txt("gender")) if txt("gender") else None
    if txt("gender") and gender is None:
        add("gender", f"性别只能填“男”或“女”，不能是“{txt('gender')}”", "bad_gender")
    joined: date | None = None
    raw_date = values.get("joined_date")
    if raw_date is not None and raw_date != "":
        joined = parse_date(raw_date)
        if joined is None:
            add("joined_date", f"日期“{txt('joined_date')}”无法识别或不存在，请写成 2001-07-01", "bad_date")
        elif joined > today_local():
            add("joined_date", "入党日期不能晚于今天", "bad_date")
    role = IMPORT_ROLES.get(txt("role") or ROLE_LABELS[Role.member])
    if role is None:
        add("role", f"未知的角色“{txt('role')}”，可填：{'、'.join(IMPORT_ROLES)}", "unknown_role")
    consent_text = txt("board_consent").upper()
    consent = consent_text in YES
    if consent_text and consent_text not in YES and consent_text not in NO:
        add("board_consent", f"只能填“是”或“否”，不能是“{txt('board_consent')}”", "bad_consent")
    status = _STATUSES.get(txt("status")) if txt("status") else MemberStatus.active
    if status is None:
        add("status", f"未知的状态“{txt('status')}”，可填：{'、'.join(_STATUSES)}", "bad_status")

    branch = _resolve_branch(txt("branch"), index, unit, actor, add)
    group = None
    if branch is not None and txt("group"):
        group = _resolve_group(txt("group"), index, branch, add)
    if role == Role.group_leader and not txt("group"):
        add("role", "党小组长须同时填写所在党小组", "role_needs_group")
    if len(problems.items) > before or branch is None:
        return None
    return MemberRow(
        row=number,
        name=txt("name"),
        phone=phone,
        branch=branch,
        group=group,
        gender=gender,
        post=txt("post"),
        public_title=txt("public_title"),
        joined_date=joined,
        role=role or Role.member,
        board_consent=consent,
        status=status or MemberStatus.active,
    )


def _resolve_branch(text: str, index: UnitIndex, unit: OrgUnit, actor: Actor, add: Any) -> OrgUnit | None:
    if not text:
        if unit.kind == UnitKind.branch:
            return unit
        add("branch", "必填，不能为空", "required")
        return None
    found = index.matching(text, UnitKind.branch)
    if not found:
        other = index.matching(text)
        if other:
            add("branch", f"“{text}”是{UNIT_KIND_LABELS[UnitKind(other[0].kind)]}，不是党支部", "not_a_branch")
        else:
            add("branch", f"找不到党支部“{text}”", "unknown_unit")
        return None
    mine = [u for u in found if in_subtree(u, unit) and allowed(actor, Permission.member_manage, u)]
    if not mine:
        add("branch", f"党支部“{text}”不在您这次导入的范围（{unit.name}）内", "out_of_scope")
        return None
    if len(mine) > 1:
        paths = "；".join(index.label(u) for u in mine[:3])
        add("branch", f"有 {len(mine)} 个党支部叫“{text}”，请写完整路径：{paths}", "ambiguous_unit")
        return None
    return mine[0]


def _resolve_group(text: str, index: UnitIndex, branch: OrgUnit, add: Any) -> OrgUnit | None:
    parts = split_path(text)
    found = index.matching(parts[-1] if len(parts) == 1 else text, UnitKind.group)
    here = [u for u in found if u.parent_id == branch.id]
    if len(here) == 1:
        return here[0]
    if len(here) > 1:
        add("group", f"党支部“{branch.name}”下有多个党小组叫“{text}”", "ambiguous_unit")
    elif found:
        add("group", f"党小组“{text}”不属于党支部“{branch.name}”", "group_not_in_branch")
    else:
        add("group", f"找不到党小组“{text}”", "unknown_unit")
    return None


def _members_by_phone(session: Session, phones: Sequence[str]) -> dict[str, Member]:
    """phone → the member it belongs to (one on the roll before one who moved away)."""
    wanted = sorted({p for p in phones if p})
    out: dict[str, Member] = {}
    for chunk in chunks(wanted):
        rows = session.execute(select(Member).where(col(Member.phone).in_(chunk)).order_by(col(Member.id))).scalars()
        for member in rows:
            assert member.phone is not None
            held = out.get(member.phone)
            if held is None or (held.status == MemberStatus.moved and member.status != MemberStatus.moved):
                out[member.phone] = member
    return out


def _accounts_by_phone(session: Session, phones: Sequence[str]) -> dict[str, int]:
    wanted = sorted({p for p in phones if p})
    out: dict[str, int] = {}
    for chunk in chunks(wanted):
        for phone, account_id in session.execute(
            select(col(Account.phone), col(Account.id)).where(col(Account.phone).in_(chunk))
        ).all():
            out[phone] = int(account_id)
    return out


def _local_roles(session: Session, account_ids: Sequence[int]) -> dict[int, Role]:
    """account → the role an import row speaks of: 党小组长 over 监督小组成员 (else 党员)."""
    out: dict[int, Role] = {}
    for chunk in chunks(sorted(set(account_ids))):
        rows = session.execute(
            select(col(RoleGrant.account_id), col(RoleGrant.role)).where(
                col(RoleGrant.account_id).in_(chunk),
                col(RoleGrant.role).in_([Role.group_leader.value, Role.supervisor.value]),
                col(RoleGrant.revoked_at).is_(None),
            )
        ).all()
        for account_id, role in rows:
            if out.get(account_id) != Role.group_leader:
                out[int(account_id)] = Role(role)
    return out


def _units(session: Session, index: UnitIndex, members: Iterable[Member]) -> dict[int, OrgUnit]:
    """The branches and groups the matched members are in now (most are already in the index)."""
    ids = {i for m in members for i in (m.branch_id, m.group_id) if i is not None}
    missing = sorted(ids - set(index.by_id))
    for chunk in chunks(missing):
        for unit in session.execute(select(OrgUnit).where(col(OrgUnit.id).in_(chunk))).scalars():
            index.by_id[int(unit.id or 0)] = unit
    return index.by_id


def _keep_absent(row: MemberRow, member: Member, present: set[str], units: dict[int, OrgUnit]) -> None:
    """A column the file does not have leaves that field of a matched member as it is (a roster
    exported without roles, or a file of names and phones only, clears nothing); an empty cell of a
    column it has is the value "empty"."""
    if "branch" not in present:
        row.branch = units[member.branch_id]
    if "group" not in present and row.branch.id == member.branch_id:
        row.group = units.get(member.group_id) if member.group_id is not None else None
    if "gender" not in present:
        row.gender = Gender(member.gender) if member.gender else None
    for key in ("post", "public_title", "joined_date", "board_consent"):
        if key not in present:
            setattr(row, key, getattr(member, key))
    if "status" not in present:
        row.status = MemberStatus(member.status)
    if "role" not in present and row.current_role is not None:
        row.role = row.current_role


def _diff(row: MemberRow, member: Member, units: dict[int, OrgUnit]) -> None:
    """What changes for a matched member, field by field, in the words of the file's columns."""

    def unit_name(unit_id: int | None) -> str:
        return units[unit_id].name if unit_id is not None and unit_id in units else ""

    def label(value: Any, labels: dict[Any, str] | None = None) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, date):
            return value.isoformat()
        return labels.get(value, str(value)) if labels else str(value)

    pairs: list[tuple[str, str, str]] = [
        ("姓名", member.name, row.name),
        ("性别", label(member.gender, GENDER_LABELS), label(row.gender, GENDER_LABELS)),
        ("党支部", unit_name(member.branch_id), row.branch.name),
        ("党小组", unit_name(member.group_id), row.group.name if row.group else ""),
        ("岗位", member.post, row.post),
        ("公示职务", member.public_title, row.public_title),
        ("入党日期", label(member.joined_date), label(row.joined_date)),
        ("同意公示", label(member.board_consent), label(row.board_consent)),
        ("状态", label(member.status, MEMBER_STATUS_LABELS), label(row.status, MEMBER_STATUS_LABELS)),
    ]
    if row.status == MemberStatus.active:
        if row.current_role is not None:
            pairs.append(("角色", ROLE_LABELS[row.current_role], ROLE_LABELS[row.role]))
        elif member.account_id is None and row.role != Role.member:
            pairs.append(("角色", "", ROLE_LABELS[row.role]))
    if member.account_id is None and row.status == MemberStatus.active:
        row.open_account = True
        pairs.append(("登录账号", "未开通", "开通"))
    row.changes = [FieldChange(field=f, before=b, after=a) for f, b, a in pairs if b != a]
    moved = member.branch_id != row.branch.id or member.group_id != (row.group.id if row.group else None)
    row.settle_role = row.status == MemberStatus.active and (
        (row.open_account and row.role != Role.member)
        or (row.current_role is not None and row.current_role != row.role)
        or (moved and row.role != Role.member)
    )
    row.action = RowAction.update if row.changes else RowAction.unchanged
