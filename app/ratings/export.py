"""export.xlsx of a period's results (台账): one row per member with the breakdown, then a sheet of
the branches, then the 记录校验码 (docs/history.md): the head of the period's chain of events and each
branch's latest daily digest, so a printed or archived export witnesses the records it came from.
openpyxl in write-only mode, rows read from one joined SELECT in batches, the file spooled (in
memory up to a few MB, then on disk) and streamed out in chunks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from openpyxl import Workbook
from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from app.core import chain
from app.core.permissions import Actor, Permission
from app.core.time import local_display
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges.models import HistoryDigest
from app.ratings.models import STAR_LABELS, RatingDecision, RatingPeriod, RatingPeriodEvent, RatingResult, SubjectKind

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


DIGEST_SHEET = "记录校验码"
DIGEST_HEADER = ["党支部", "记录校验码", "日期", "完整校验码"]


def _digest_sheet(wb: Workbook, session: Session, paths: list[str], period: RatingPeriod) -> None:
    """The witnesses: the period's chain head (its last event's place and hash), then every branch in
    scope with its latest daily digest (two queries)."""
    sheet = wb.create_sheet(DIGEST_SHEET)
    sheet.append([f"{period.title}星级评定结果的记录校验码（可与公示牌上的小字及 liangnuo verify 的结果核对）"])
    seq, head = chain.heads(session, RatingPeriodEvent, "period_id", [period.id]).get(period.id, (0, chain.GENESIS))
    sheet.append(["测评周期记录", f"第 {seq} 条记录 {chain.short(head)}", "", head])
    sheet.append(DIGEST_HEADER)
    latest = (
        select(col(HistoryDigest.branch_id).label("branch_id"), func.max(col(HistoryDigest.day)).label("day"))
        .group_by(col(HistoryDigest.branch_id))
        .subquery()
    )
    rows = session.execute(
        select(col(OrgUnit.name), col(HistoryDigest.digest), col(HistoryDigest.day))
        .select_from(OrgUnit)
        .outerjoin(latest, latest.c.branch_id == col(OrgUnit.id))
        .outerjoin(
            HistoryDigest, and_(col(HistoryDigest.branch_id) == col(OrgUnit.id), col(HistoryDigest.day) == latest.c.day)
        )
        .where(col(OrgUnit.id).in_(org_service.subtree_ids(paths, kind=UnitKind.branch)))
        .order_by(col(OrgUnit.path))
    )
    for name, digest, day in rows:
        if digest is None:
            sheet.append([name, "尚未生成", "", ""])
        else:
            sheet.append([name, chain.short(digest), day.isoformat(), digest])


def build(session: Session, *, actor: Actor, period: RatingPeriod) -> IO[bytes]:
    """The workbook, written to a spooled temporary file positioned at its start. The scope is
    checked before the workbook exists (403 with no half-written sheet left behind)."""
    paths = org_service.scope_for(session, actor, Permission.rating_manage)
    wb = Workbook(write_only=True)
    _sheet(wb, session, paths, period, SubjectKind.member)
    _sheet(wb, session, paths, period, SubjectKind.branch)
    _digest_sheet(wb, session, paths, period)
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
