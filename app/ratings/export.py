"""export.xlsx of a period's results (台账): one row per member with the breakdown, then a sheet of
the branches. openpyxl in write-only mode, rows read from one joined SELECT in batches, the file
spooled (in memory up to a few MB, then on disk) and streamed out in chunks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from openpyxl import Workbook
from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from app.core.permissions import Actor, Permission
from app.core.time import local_display
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit
from app.ratings.models import STAR_LABELS, RatingDecision, RatingPeriod, RatingResult, SubjectKind

# after each sheet's own parts: the assessment's weight and the level, as decided and published
_LEVEL_COLUMNS = ["考评权重(%)", "总分", "建议星级", "审定星级", "调整/更正原因", "发布时间", "说明"]
MEMBER_HEADER = [
    "党支部",
    "姓名",
    "党员互评得分",
    "互评人数",
    "互评权重(%)",
    "群众测评得分",
    "测评次数",
    "测评权重(%)",
    "组织考评得分",
    *_LEVEL_COLUMNS,
]
BRANCH_HEADER = [
    "党支部",
    "党员平均分",
    "党员人数",
    "平均分权重(%)",
    "集体承诺群众测评",
    "测评次数",
    "测评权重(%)",
    "党委考评得分",
    *_LEVEL_COLUMNS,
]
CHUNK = 64 * 1024
BATCH = 2000


def _stars(value: int | None) -> str:
    return STAR_LABELS.get(value, "") if value is not None else ""


def _rows(session: Session, paths: list[str], period: RatingPeriod, kind: SubjectKind) -> Any:
    """The period's results of `kind` in these subtrees, with names and the last decision's reason."""
    last = (
        select(col(RatingDecision.result_id).label("result_id"), func.max(col(RatingDecision.id)).label("id"))
        .group_by(col(RatingDecision.result_id))
        .subquery()
    )
    branch = OrgUnit.__table__.alias("branch")  # type: ignore[attr-defined]
    name = col(Member.name) if kind == SubjectKind.member else branch.c.name
    stmt = (
        select(RatingResult, branch.c.name, name, col(RatingDecision.reason))
        .join(branch, branch.c.id == col(RatingResult.branch_id))
        .outerjoin(last, last.c.result_id == col(RatingResult.id))
        .outerjoin(RatingDecision, col(RatingDecision.id) == last.c.id)
        .where(
            col(RatingResult.period_id) == period.id,
            col(RatingResult.subject_kind) == kind.value,
            col(RatingResult.branch_id).in_(org_service.subtree_ids(paths)),
        )
        .order_by(branch.c.path, col(RatingResult.score).desc(), col(RatingResult.subject_id))
    )
    if kind == SubjectKind.member:
        stmt = stmt.outerjoin(Member, and_(col(Member.id) == col(RatingResult.subject_id)))
    return session.execute(stmt.execution_options(yield_per=BATCH))


def _num(value: float | None) -> float | str:
    return "" if value is None else value


SHEETS = {
    SubjectKind.member: ("党员星级", "党员", MEMBER_HEADER),
    SubjectKind.branch: ("党支部星级", "党支部", BRANCH_HEADER),
}


def _sheet(wb: Workbook, session: Session, paths: list[str], period: RatingPeriod, kind: SubjectKind) -> None:
    """One sheet: a title, the header, one row per result of `kind` (a member's peer part, or a
    branch's members' mean, before the parts both have)."""
    title, who, header = SHEETS[kind]
    sheet = wb.create_sheet(title)
    sheet.append([f"{period.title}星级评定结果（{who}）"])
    sheet.append(header)
    for r, branch_name, name, reason in _rows(session, paths, period, kind):
        own = (
            [name or "", _num(r.peer_raw), r.peer_count, r.peer_weight]
            if kind == SubjectKind.member
            else [_num(r.members_raw), r.members_count, r.members_weight]
        )
        sheet.append(
            [
                branch_name,
                *own,
                _num(r.villager_raw),
                r.villager_count,
                r.villager_weight,
                _num(r.assessment_raw),
                r.assessment_weight,
                r.score,
                _stars(r.proposed_stars),
                _stars(r.stars),
                reason or "",
                local_display(r.published_at),
                r.explanation,
            ]
        )


def build(session: Session, *, actor: Actor, period: RatingPeriod) -> IO[bytes]:
    """The workbook, written to a spooled temporary file positioned at its start. The scope is
    checked before the workbook exists (403 with no half-written sheet left behind)."""
    paths = org_service.scope_for(session, actor, Permission.rating_manage)
    wb = Workbook(write_only=True)
    _sheet(wb, session, paths, period, SubjectKind.member)
    _sheet(wb, session, paths, period, SubjectKind.branch)
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (streamed, then closed)
    wb.save(out)
    out.seek(0)
    return out


def chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while block := handle.read(CHUNK):
            yield block
    finally:
        handle.close()


def filename(period: RatingPeriod) -> str:
    return f"{period.title}星级评定结果.xlsx"
