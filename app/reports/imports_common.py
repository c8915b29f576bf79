"""What both imports (members, org units) share: problems kept by row and column, the file's headers
matched to the import's columns, the example row, dates as people type them, and the units a file
names, found by name or path in two queries."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.org.models import OrgUnit, UnitKind
from app.reports.import_templates import EXAMPLE_PREFIX, Column
from app.reports.imports_read import Cell, Sheet, cell_ref
from app.reports.schemas_imports import ImportProblem

CHUNK = 500
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_SEPARATORS = re.compile(r"\s*[/／\\>＞]\s*")


@dataclass
class Problems:
    items: list[ImportProblem] = field(default_factory=list)

    def add(
        self, row: int | None, column: Column | str | None, message: str, code: str, index: int | None = None
    ) -> None:
        header = column.header if isinstance(column, Column) else column
        cell = cell_ref(row, index) if row is not None and index is not None else None
        self.items.append(ImportProblem(row=row, column=header, cell=cell, code=code, message=message))


@dataclass
class Columns:
    """Where each known column sits in the file (by its header)."""

    index: dict[str, int]
    specs: dict[str, Column]

    def cell(self, cells: Sequence[Cell], key: str) -> Cell:
        i = self.index.get(key)
        return cells[i] if i is not None and i < len(cells) else Cell(value=None)


def _norm_header(text: str) -> str:
    return re.sub(r"[\s*＊:：（）()]|必填|选填", "", text or "")


def map_columns(
    sheet: Sheet, columns: Sequence[Column], problems: Problems, *, optional: Iterable[str] = ()
) -> Columns:
    """Match the file's headers to the import's columns; a missing required column is a problem of row 1."""
    names = {_norm_header(h): i for i, h in reversed(list(enumerate(sheet.headers))) if _norm_header(h)}
    index: dict[str, int] = {}
    for column in columns:
        for header in (column.header, *column.aliases):
            if _norm_header(header) in names:
                index[column.key] = names[_norm_header(header)]
                break
        else:
            if column.required and column.key not in optional:
                problems.add(1, column, f"缺少“{column.header}”列，请使用导入模板的表头", "missing_column")
    return Columns(index=index, specs={c.key: c for c in columns})


def is_example(cells: Sequence[Cell]) -> bool:
    first = next((c.value for c in cells if c.value not in (None, "")), None)
    return isinstance(first, str) and first.startswith(EXAMPLE_PREFIX)


def split_path(text: str) -> list[str]:
    return [part for part in _SEPARATORS.split(text.strip()) if part]


def parse_date(value: str | date) -> date | None:
    """A date as people type it (2001-07-01, 2001/7/1, 2001年7月1日, 20010701) or an Excel serial
    number; None when it is not one (or does not exist, such as 2月30日)."""
    if isinstance(value, date):
        return value
    text = value.strip()
    match = _DATE.match(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if re.fullmatch(r"\d{5}", text):  # an Excel date serial shown as a number
            return date(1899, 12, 30) + timedelta(days=int(text))
    except ValueError:
        return None
    return None


# ---------------------------------------------------------------- units by name and path


class UnitIndex:
    """Non-archived units whose names the file uses, with their ancestors' names, for resolving a
    name or a path ("平山镇党委/大洼社区党支部") in two queries."""

    def __init__(self, session: Session, names: Iterable[str]) -> None:
        wanted = sorted({n for n in names if n})
        self.by_name: dict[str, list[OrgUnit]] = defaultdict(list)
        self.by_id: dict[int, OrgUnit] = {}
        for chunk in chunks(wanted):
            rows = session.execute(
                select(OrgUnit).where(col(OrgUnit.name).in_(chunk), col(OrgUnit.archived_at).is_(None))
            ).scalars()
            for unit in rows:
                self.by_name[unit.name].append(unit)
                self.by_id[int(unit.id or 0)] = unit
        ancestors = {int(p) for u in list(self.by_id.values()) for p in u.path.strip("/").split("/") if p}
        missing = sorted(ancestors - set(self.by_id))
        for chunk in chunks(missing):
            for unit in session.execute(select(OrgUnit).where(col(OrgUnit.id).in_(chunk))).scalars():
                self.by_id[int(unit.id or 0)] = unit

    def names_path(self, unit: OrgUnit) -> list[str]:
        ids = [int(p) for p in unit.path.strip("/").split("/") if p]
        return [self.by_id[i].name if i in self.by_id else "?" for i in ids]

    def matching(self, text: str, kind: UnitKind | None = None) -> list[OrgUnit]:
        """Units named by the last part of `text` whose path ends with all of its parts."""
        parts = split_path(text)
        if not parts:
            return []
        found = []
        for unit in self.by_name.get(parts[-1], []):
            if kind is not None and unit.kind != kind:
                continue
            if self.names_path(unit)[-len(parts) :] == parts:
                found.append(unit)
        return found

    def label(self, unit: OrgUnit) -> str:
        return "/".join(self.names_path(unit))


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def in_subtree(unit: OrgUnit, root: OrgUnit) -> bool:
    return unit.path.startswith(root.path)
