"""述职评议 by representatives through one-time slips (purpose `debrief`): the committee prints a
branch's slips for a round's session, each representative scores the secretary's 述职 on the round's
rubric through the no-login form (public_routes.py), and the result combines the committee's scores
with the representatives' (debrief_reports.results).

- Issuing: the committee only (`rating.admin` on the round's unit — a secretary never prints the slips
  that score their own 述职), once the session is scheduled and until scoring closes, for a submitted
  report, one slip per active representative of the branch; printing again voids the unused slips of
  the batch in force (slips.print_batch). The codes exist only in the PDF.
- Valid while the round is scored (评议打分中); early before, expired once closed (slips.find).
- An answer (`debrief_slip_answer`) keeps the round, the report and the points: no slip, no time, no
  representative. Taking it is one conditional UPDATE of the slip (unused, batch in force, round being
  scored), so of two posts exactly one is stored.
- Counts (issued, used, voided) and the answers' mean are read as aggregates only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, exists, func, select, update
from sqlmodel import Session, col

from app.appraisal import debrief_states as states
from app.appraisal import panels, slips
from app.appraisal.models import Slip, SlipBatch, SlipPurpose
from app.appraisal.models_debrief import DebriefReport, DebriefRound, DebriefSlipAnswer, DebriefStatus
from app.appraisal.schemas_debrief import RubricItem, SlipCounts
from app.core.errors import Conflict
from app.core.permissions import Actor, Permission, require
from app.core.privacy import mask_personal
from app.ratings import scoring

if TYPE_CHECKING:  # debrief_reports reads the counts from here
    from app.appraisal.debrief_reports import Located

# slips may be printed once the session is scheduled, and until scoring closes
ISSUING: frozenset[DebriefStatus] = frozenset({DebriefStatus.scheduled, DebriefStatus.scoring})
SUMMARY_CHARS = 600


def issue(session: Session, *, actor: Actor, located: Located) -> slips.Printed:
    """A branch's slips for the round's session, one per active representative."""
    require(actor, Permission.rating_admin, located.branch)  # 403 for the secretary who sees it
    rnd, report = located.rnd, located.report
    if rnd.status not in ISSUING:
        raise Conflict(
            f"该述职评议当前为“{states.STATUS_LABELS[DebriefStatus(rnd.status)]}”，"
            "安排述职会后、评议结束前才能打印代表评议票",
            code="debrief_round_wrong_state",
        )
    if report.submitted_at is None:
        raise Conflict("该党支部没有提交述职报告，不能打印代表评议票", code="debrief_report_missing")
    count = panels.active_count(session, report.branch_id)
    if count == 0:
        raise Conflict("该党支部还没有党员代表和群众代表，请先添加代表名单", code="panel_empty")
    return slips.print_batch(
        session,
        actor=actor,
        branch_id=report.branch_id,
        count=count,
        purpose=SlipPurpose.debrief,
        round_id=int(rnd.id or 0),
    )


def report_of(session: Session, slip: Slip) -> tuple[DebriefRound, DebriefReport]:
    """The round and the branch's report a round's slip scores."""
    row = session.execute(
        select(DebriefRound, DebriefReport)
        .join(DebriefReport, col(DebriefReport.round_id) == col(DebriefRound.id))
        .where(col(DebriefRound.id) == slip.round_id, col(DebriefReport.branch_id) == slip.branch_id)
    ).one()
    return row[0], row[1]


def summary(text: str) -> str:
    """The report as the slip's form shows it: personal numbers masked (as on a board), the start only."""
    masked = mask_personal(text.strip())
    return masked if len(masked) <= SUMMARY_CHARS else masked[:SUMMARY_CHARS].rstrip() + "……"


def check(rubric: list[RubricItem], fields: Mapping[str, str]) -> tuple[dict[str, float], list[str]]:
    """The posted points per rubric item (whole or half points, 0 to the item's maximum) and, in
    Chinese, what is missing or out of range."""
    values: dict[str, float] = {}
    errors: list[str] = []
    for item in rubric:
        raw = (fields.get(item.key) or "").strip()
        try:
            value = float(raw)
        except ValueError:
            errors.append(f"请给“{item.label}”打分")
            continue
        if not 0 <= value <= item.max or value * 2 != int(value * 2):
            errors.append(f"“{item.label}”的得分须在 0 到 {item.max} 分之间")
            continue
        values[item.key] = value
    return values, errors


def take(session: Session, slip: Slip, report: DebriefReport, values: dict[str, float]) -> bool:
    """Use the slip once and store its answer; False when it was used, voided or the scoring closed
    meanwhile. The answer keeps the round, the report and the points only."""
    live_batch = exists().where(col(SlipBatch.id) == col(Slip.batch_id), col(SlipBatch.live).is_(True))
    scoring_round = exists().where(
        col(DebriefRound.id) == col(Slip.round_id), col(DebriefRound.status) == DebriefStatus.scoring.value
    )
    result: Any = session.execute(
        update(Slip)
        .where(col(Slip.id) == slip.id, col(Slip.used).is_(False), live_batch, scoring_round)
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.add(
        DebriefSlipAnswer(
            round_id=report.round_id,
            report_id=int(report.id or 0),
            items=dict(values),
            total=scoring.r1(sum(values.values())),
        )
    )
    session.flush()
    return True


def answers(session: Session, report_ids: Collection[int]) -> dict[int, tuple[int, float]]:
    """The representatives' answers per report: (how many, their mean total). One GROUP BY."""
    if not report_ids:
        return {}
    rows = session.execute(
        select(col(DebriefSlipAnswer.report_id), func.count(), func.avg(col(DebriefSlipAnswer.total)))
        .where(col(DebriefSlipAnswer.report_id).in_(report_ids))
        .group_by(col(DebriefSlipAnswer.report_id))
    ).all()
    return {int(r): (int(n), float(m)) for r, n, m in rows}


def counts(session: Session, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], SlipCounts]:
    """The slips of each (round, branch): issued in the batch in force, used (any batch), voided. One
    GROUP BY, no slip or answer row read."""
    if not keys:
        return {}
    rows = session.execute(
        select(
            col(Slip.round_id),
            col(Slip.branch_id),
            func.sum(case((col(SlipBatch.live).is_(True), 1), else_=0)),
            func.sum(case((col(Slip.used).is_(True), 1), else_=0)),
            func.sum(case((col(SlipBatch.live).is_(None) & col(Slip.used).is_(False), 1), else_=0)),
        )
        .join(SlipBatch, col(SlipBatch.id) == col(Slip.batch_id))
        .where(
            col(Slip.round_id).in_({r for r, _ in keys}),
            col(Slip.branch_id).in_({b for _, b in keys}),
        )
        .group_by(col(Slip.round_id), col(Slip.branch_id))
    ).all()
    return {
        (int(r), int(b)): SlipCounts(issued=int(i or 0), used=int(u or 0), voided=int(v or 0)) for r, b, i, u, v in rows
    }
