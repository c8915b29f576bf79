"""Importing org units (党委, 党总支, 党支部, 党小组) from a file: each row names a unit, its kind and its
parent by path; a parent may already exist or be another row of the file. A unit that already exists
under that parent (same name) is left alone or gets its new sort order; a new one is created through
`org.service.create_unit` (its permission and parent rules), parents before children.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.hygiene import is_clean
from app.core.permissions import Actor, Permission, allowed, require
from app.org import service as org_service
from app.org.models import ALLOWED_PARENTS, UNIT_KIND_LABELS, OrgUnit, UnitKind
from app.reports.import_templates import UNIT_COLUMNS
from app.reports.imports_check import Plan
from app.reports.imports_common import Problems, UnitIndex, in_subtree, is_example, map_columns, split_path
from app.reports.imports_read import Sheet
from app.reports.schemas_imports import FieldChange, RowAction

_KINDS = {label: kind for kind, label in UNIT_KIND_LABELS.items()}


@dataclass
class UnitRow:
    row: int
    name: str
    kind: UnitKind
    parent_text: str
    sort_order: int | None
    parent: OrgUnit | None = None  # an existing parent
    parent_row: UnitRow | None = None  # or a new one of the file
    existing: OrgUnit | None = None
    action: RowAction = RowAction.create
    changes: list[FieldChange] = field(default_factory=list)

    def names(self, index: UnitIndex) -> list[str]:
        if self.existing is not None:
            return index.names_path(self.existing)
        if self.parent is not None:
            return [*index.names_path(self.parent), self.name]
        assert self.parent_row is not None
        return [*self.parent_row.names(index), self.name]


def check_units(session: Session, *, actor: Actor, unit: OrgUnit, sheet: Sheet) -> Plan:
    problems = Problems()
    columns = map_columns(sheet, UNIT_COLUMNS, problems)
    plan = Plan(kind="units", unit=unit, sheet=sheet, problems=problems.items)
    if problems.items:
        return plan
    specs = columns.specs
    rows: list[UnitRow] = []
    for number, cells in sheet.rows:
        if is_example(cells):
            plan.skipped_examples += 1
            continue
        bad = False
        values: dict[str, str] = {}
        for key, spec in specs.items():
            cell = columns.cell(cells, key)
            at = columns.index.get(key)
            if cell.formula or cell.merged:
                problems.add(
                    number,
                    spec,
                    "单元格是公式或合并单元格，请改成普通文字",
                    "formula" if cell.formula else "merged",
                    at,
                )
                bad = True
            value = str(cell.value or "").strip()
            if not is_clean(value, multiline=False):
                problems.add(number, spec, "含有看不见的控制字符，请重新输入", "bad_text", at)
                bad = True
            values[key] = value
        for key in ("name", "kind", "parent"):
            if not values[key] and not bad:
                problems.add(number, specs[key], "必填，不能为空", "required", columns.index.get(key))
                bad = True
        if len(values["name"]) > 60:
            problems.add(number, specs["name"], "太长了，最多 60 个字", "too_long", columns.index.get("name"))
            bad = True
        kind = _KINDS.get(values["kind"])
        if values["kind"] and kind is None:
            problems.add(
                number,
                specs["kind"],
                f"未知的类型“{values['kind']}”，可填：{'、'.join(_KINDS)}",
                "unknown_kind",
                columns.index.get("kind"),
            )
            bad = True
        order: int | None = None
        if values["sort_order"]:
            try:
                order = int(values["sort_order"])
            except ValueError:
                problems.add(number, specs["sort_order"], "排序须是整数", "bad_number", columns.index.get("sort_order"))
                bad = True
        if not bad and kind is not None:
            rows.append(UnitRow(number, values["name"], kind, values["parent"], order))
    if not rows:
        if not problems.items:
            problems.add(None, None, "文件里没有要导入的数据行", "empty")
        return plan

    index = UnitIndex(session, {p for r in rows for p in split_path(r.parent_text)} | {r.name for r in rows})
    parent_at = columns.index.get("parent")
    pending = list(rows)
    placed: dict[tuple[str, ...], UnitRow] = {}
    while pending:
        progress = False
        for row in list(pending):
            parts = split_path(row.parent_text)
            existing = index.matching(row.parent_text)
            planned = [r for path, r in placed.items() if r.existing is None and list(path[-len(parts) :]) == parts]
            if not existing and not planned:
                continue
            pending.remove(row)
            progress = True
            if len(existing) + len(planned) > 1:
                problems.add(
                    row.row,
                    specs["parent"],
                    f"有多个组织叫“{row.parent_text}”，请写完整路径",
                    "ambiguous_unit",
                    parent_at,
                )
                continue
            if existing:
                row.parent = existing[0]
                if not (in_subtree(row.parent, unit) and allowed(actor, Permission.unit_manage, row.parent)):
                    problems.add(
                        row.row,
                        specs["parent"],
                        f"上级组织“{row.parent_text}”不在您的管理范围内",
                        "out_of_scope",
                        parent_at,
                    )
                    continue
                parent_kind: UnitKind | None = UnitKind(row.parent.kind)
            else:
                row.parent_row = planned[0]
                parent_kind = planned[0].kind
            if parent_kind not in ALLOWED_PARENTS[row.kind]:
                where = UNIT_KIND_LABELS[parent_kind] if parent_kind else "最顶层"
                problems.add(
                    row.row,
                    specs["kind"],
                    f"{UNIT_KIND_LABELS[row.kind]}不能设在{where}之下",
                    "bad_parent",
                    columns.index.get("kind"),
                )
                continue
            path = tuple(row.names(index))
            if path in placed:
                problems.add(
                    row.row,
                    specs["name"],
                    f"与第 {placed[path].row} 行重复",
                    "duplicate_unit",
                    columns.index.get("name"),
                )
                continue
            placed[path] = row
            if row.parent is not None:
                _match_existing(session, row, problems, specs, columns.index)
        if not progress:
            break
    for row in pending:
        problems.add(row.row, specs["parent"], f"找不到上级组织“{row.parent_text}”", "unknown_unit", parent_at)
    plan.units = sorted(placed.values(), key=lambda r: r.row)
    problems.items.sort(key=lambda p: p.row or 0)
    return plan


def _match_existing(
    session: Session, row: UnitRow, problems: Problems, specs: dict[str, Any], index: dict[str, int]
) -> None:
    """The unit of this name already under the parent: unchanged, a new sort order, or a problem."""
    assert row.parent is not None
    same = (
        session.execute(
            select(OrgUnit).where(
                col(OrgUnit.parent_id) == row.parent.id,
                col(OrgUnit.name) == row.name,
                col(OrgUnit.archived_at).is_(None),
            )
        )
        .scalars()
        .first()
    )
    if same is None:
        return
    if same.kind != row.kind:
        kind_label = UNIT_KIND_LABELS[UnitKind(same.kind)]
        problems.add(row.row, specs["kind"], f"已有同名的{kind_label}，类型不同", "kind_mismatch", index.get("kind"))
        return
    row.existing = same
    row.action = RowAction.unchanged
    if row.sort_order is not None and row.sort_order != same.sort_order:
        row.changes = [FieldChange(field="排序", before=str(same.sort_order), after=str(row.sort_order))]
        row.action = RowAction.update


def apply_units(session: Session, *, actor: Actor, plan: Plan, progress: Any = None) -> dict[int, int]:
    """Create (parents first: rows come resolved in that order) or re-sort the units of a plan."""
    require(actor, Permission.unit_manage, plan.unit)
    made: dict[int, OrgUnit] = {}
    for row in _parents_first(plan.units):
        if row.action == RowAction.update and row.existing is not None:
            org_service.update_unit(session, actor=actor, unit=row.existing, name=None, sort_order=row.sort_order)
            made[row.row] = row.existing
        elif row.action == RowAction.create:
            parent = row.parent if row.parent is not None else made[row.parent_row.row]  # type: ignore[union-attr]
            made[row.row] = org_service.create_unit(
                session,
                actor=actor,
                kind=row.kind,
                name=row.name,
                parent_id=int(parent.id or 0),
                sort_order=row.sort_order or 0,
            )
        elif row.existing is not None:
            made[row.row] = row.existing
        if progress:
            progress(1)
    return {number: int(u.id or 0) for number, u in made.items()}


def _parents_first(rows: list[UnitRow]) -> list[UnitRow]:
    def depth(row: UnitRow) -> int:
        return 0 if row.parent_row is None else 1 + depth(row.parent_row)

    return sorted(rows, key=lambda r: (depth(r), r.row))
