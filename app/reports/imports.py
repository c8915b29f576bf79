"""The import, start to end: whose scope, read the file, check it, report; on confirm, check again
against the database as it is now and write it all (imports_apply) or nothing. The API, the PWA and
the CLI all come through here.

Confirming twice does not import twice: a retried confirm with its Idempotency-Key replays the first
answer (without the passwords, which exist only in that answer), and the same file confirmed again
finds every row unchanged and says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.core.errors import Unprocessable
from app.core.permissions import Actor, Permission, require, scope
from app.core.time import utcnow
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.reports import imports_read
from app.reports.imports_apply import apply
from app.reports.imports_check import Plan, check_members
from app.reports.imports_check_units import check_units
from app.reports.schemas_imports import ImportKind, ImportReport, ImportRow, RowAction

PERMISSION = {ImportKind.members: Permission.member_manage, ImportKind.units: Permission.unit_manage}
KIND_WORDS = {ImportKind.members: ("人", "党员"), ImportKind.units: ("个", "组织")}


@dataclass
class Upload:
    data: bytes
    file_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def import_unit(session: Session, *, actor: Actor, kind: ImportKind, unit_id: int | None) -> OrgUnit:
    """The unit an import goes into: the one asked for (404 outside the actor's scope, 403 without the
    permission), or the actor's only one (a secretary's branch)."""
    permission = PERMISSION[kind]
    if unit_id is None:
        roots = scope(actor, permission)
        if len(roots) != 1 or roots[0] == "/":
            raise Unprocessable(
                "请选择导入到哪个组织", code="import_unit_required", errors=[{"field": "unit_id", "message": "必填"}]
            )
        unit_id = int(roots[0].strip("/").rsplit("/", 1)[-1])
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, permission, unit)
    if unit.archived_at is not None:
        raise Unprocessable("该组织已撤销", code="unit_archived")
    if kind == ImportKind.members and unit.kind == UnitKind.group:
        raise Unprocessable("请导入到党支部或其上级组织，不能导入到党小组", code="import_bad_unit")
    return unit


def read(upload: Upload) -> imports_read.Sheet:
    """Parse the file (slow CPU work: callers run it outside SQLite's write lock, after the permission)."""
    return imports_read.read(upload.data, file_name=upload.file_name)


def check(
    session: Session,
    *,
    actor: Actor,
    kind: ImportKind,
    unit_id: int | None,
    upload: Upload,
    sheet: imports_read.Sheet | None = None,
) -> tuple[Plan, ImportReport]:
    """Read (unless `sheet` is the file already read) and check a file; nothing is written."""
    unit = import_unit(session, actor=actor, kind=kind, unit_id=unit_id)
    if sheet is None:
        sheet = read(upload)
    checker = check_members if kind == ImportKind.members else check_units
    plan = checker(session, actor=actor, unit=unit, sheet=sheet)
    return plan, report(plan, kind=kind, upload=upload)


def confirm(
    session: Session,
    *,
    actor: Actor,
    kind: ImportKind,
    unit_id: int | None,
    upload: Upload,
    sheet: imports_read.Sheet | None = None,
    progress: Any = None,
) -> ImportReport:
    """Check the file again and write it, all or nothing (422 with the report when it has problems)."""
    plan, result = check(session, actor=actor, kind=kind, unit_id=unit_id, upload=upload, sheet=sheet)
    if not plan.ok:
        raise Unprocessable(
            f"文件有 {len(plan.problems)} 处问题，没有导入任何内容。请改正后重新检查",
            code="import_has_problems",
            errors=[
                {
                    "field": p.cell or p.column or "file",
                    "message": f"第 {p.row} 行 {p.column}：{p.message}" if p.row else p.message,
                }
                for p in plan.problems[:200]
            ],
            extra={"report": result.model_dump(mode="json")},
        )
    applied = apply(session, actor=actor, plan=plan, progress=progress)
    for item in result.items:
        item.member_id = applied.member_ids.get(item.row, item.member_id)
        item.unit_id = applied.unit_ids.get(item.row, item.unit_id)
    result.committed = True
    result.slips = applied.slips
    result.message = _message(result, committed=True)
    return result


def report(plan: Plan, *, kind: ImportKind, upload: Upload) -> ImportReport:
    items = []
    for row in plan.rows:
        if kind == ImportKind.members:
            key, member_id, unit_id = row.phone, row.existing.id if row.existing else None, None
        else:
            key, member_id, unit_id = row.parent_text + "/" + row.name, None, row.existing.id if row.existing else None
        items.append(
            ImportRow(
                row=row.row,
                action=row.action,
                name=row.name,
                key=key,
                changes=row.changes,
                member_id=member_id,
                unit_id=unit_id,
            )
        )
    counts = {action: sum(1 for i in items if i.action == action) for action in RowAction}
    notes = []
    if plan.skipped_examples:
        notes.append(f"跳过了 {plan.skipped_examples} 行示例（第一格以“示例”开头）")
    if plan.sheet.encoding:
        notes.append(f"CSV 文件编码：{plan.sheet.encoding}")
    result = ImportReport(
        kind=kind,
        file_name=upload.file_name[:200],
        file_sha256=upload.sha256,
        file_format=plan.sheet.file_format,
        encoding=plan.sheet.encoding,
        unit_id=int(plan.unit.id or 0),
        unit_name=plan.unit.name,
        rows=len(plan.sheet.rows) - plan.skipped_examples,
        ok=plan.ok,
        created=counts[RowAction.create],
        updated=counts[RowAction.update],
        unchanged=counts[RowAction.unchanged],
        accounts=sum(1 for r in plan.members if r.open_account and r.action != RowAction.unchanged),
        message="",
        problems=plan.problems,
        items=items if plan.ok else [],
        notes=notes,
        checked_at=utcnow(),
    )
    result.message = _message(result, committed=False)
    return result


def _message(r: ImportReport, *, committed: bool) -> str:
    unit_word, noun = KIND_WORDS[r.kind]
    if r.problems:
        return f"发现 {len(r.problems)} 处问题，请改正后重新检查；没有写入任何内容"
    if not r.created and not r.updated:
        return f"文件与系统中的记录一致，没有需要更改的内容（{r.unchanged} {unit_word}{noun}无变化）"
    counts = f"新增 {r.created} {unit_word}、更新 {r.updated} {unit_word}，{r.unchanged} {unit_word}无变化"
    accounts = f"；{'开通' if committed else '将开通'} {r.accounts} 个登录账号" if r.accounts else ""
    if committed:
        return f"导入完成：{counts}{accounts}" + ("，请打印初始密码凭条交给本人" if r.accounts else "")
    return f"检查通过：将{counts}{accounts}。确认后才会写入"
