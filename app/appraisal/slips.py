"""One-time evaluation slips (测评票) of the representatives' monthly evaluation: issuing a month's
slips, finding a slip by its code, taking one answer per slip, and the counts the secretary sees.

What is stored, and what is not: a slip row is (batch, branch, year, month, hash of the code, used);
the codes exist in clear only in the PDF made at issue time (slip_sheet.py) and are never kept. An
answer row is (branch, year, month, choices, score) — not the slip it came from, not a time of day — so
no query can join an answer to a slip, let alone to a representative (neither table has a column or a
foreign key leading to one). Printing again voids the month's batch in force and issues new codes.

One use per slip is one conditional UPDATE (`used = false → true`): of two posts at once, exactly one
changes the row and stores its answer; the other is told 已使用.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import case, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.appraisal import panels
from app.appraisal.models import Slip, SlipAnswer, SlipBatch, SlipPurpose
from app.appraisal.models_debrief import DebriefRound, DebriefStatus
from app.appraisal.schemas import SlipMonthCount
from app.core.errors import Conflict
from app.core.permissions import Actor, Permission, require
from app.core.security import keyed_digest
from app.core.time import today_local, utcnow
from app.evaluations import formula
from app.evaluations.models import Satisfaction
from app.org.models import OrgUnit
from app.ratings.policy import effective
from app.ratings.rules import AppraisalRules

# 31 letters and digits a person reads without doubt (no 0/O, 1/I/L); 10 of them: 8 × 10^14 codes
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_PURPOSE = "appraisal-slip"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(text: str) -> str | None:
    """A typed or scanned code as stored (upper case, no spaces or dashes); None when it cannot be one."""
    code = "".join(ch for ch in text.upper() if ch not in " -_\t")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def shown(code: str) -> str:
    """As printed: two groups of five (ABCDE-FGHJK)."""
    return f"{code[:5]}-{code[5:]}"


def code_hash(code: str) -> str:
    return keyed_digest(code, _PURPOSE)


def rules_for(session: Session, branch: OrgUnit) -> AppraisalRules:
    rules, _ = effective(session, branch)
    return rules.appraisal


def month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(first_next.toordinal() - 1)


def is_slip_month(rules: AppraisalRules, month: int) -> bool:
    """Slips every n-th month of the year, starting in January."""
    return (month - 1) % rules.slip_every_months == 0


@dataclass(frozen=True)
class Issued:
    batch_id: int
    year: int
    month: int
    codes: list[str]
    voided: int  # unused slips of the earlier printing made void


@dataclass(frozen=True)
class Printed:
    batch_id: int
    codes: list[str]
    voided: int


def print_batch(
    session: Session,
    *,
    actor: Actor,
    branch_id: int,
    count: int,
    purpose: SlipPurpose,
    year: int | None = None,
    month: int | None = None,
    round_id: int | None = None,
) -> Printed:
    """A new batch of `count` slips of a branch for a month or for a round, voiding the unused slips of
    the batch in force (one live batch per branch and month, or per branch and round). The codes are
    returned once and only their keyed hashes stored."""
    now = utcnow()
    scope = (
        (col(SlipBatch.round_id) == round_id)
        if purpose == SlipPurpose.debrief
        else (col(SlipBatch.year) == year) & (col(SlipBatch.month) == month)
    )
    live = session.execute(
        select(SlipBatch)
        .where(
            col(SlipBatch.branch_id) == branch_id,
            col(SlipBatch.purpose) == purpose.value,
            scope,
            col(SlipBatch.live).is_(True),
        )
        .with_for_update()
    ).scalar_one_or_none()
    voided = 0
    if live is not None:
        voided = int(
            session.execute(
                select(func.count()).where(col(Slip.batch_id) == live.id, col(Slip.used).is_(False))
            ).scalar_one()
        )
        live.live = None
        live.voided_at = now
        session.add(live)
        session.flush()
    batch = SlipBatch(
        branch_id=branch_id,
        purpose=purpose,
        round_id=round_id,
        year=year,
        month=month,
        count=count,
        issued_at=now,
        issued_by_account_id=None if actor.system else actor.account_id,
    )
    try:
        with session.begin_nested():
            session.add(batch)
            session.flush()
    except IntegrityError:  # another printing of the same slips at the same moment
        raise Conflict("这批测评票正在由他人打印，请稍后再试", code="slip_issue_busy") from None
    codes = [new_code() for _ in range(count)]
    session.execute(
        insert(Slip),
        [
            {
                "batch_id": batch.id,
                "branch_id": branch_id,
                "purpose": purpose.value,
                "round_id": round_id,
                "year": year,
                "month": month,
                "code_hash": code_hash(c),
                "used": False,
            }
            for c in codes
        ],
    )
    return Printed(batch_id=int(batch.id or 0), codes=codes, voided=voided)


def issue(session: Session, *, actor: Actor, branch: OrgUnit, year: int, month: int) -> Issued:
    """A month's slips, one per active representative: this month's or the next one's, in a month the
    policy's cadence has slips in. Printing again voids the unused slips of the month's batch in force."""
    require(actor, Permission.rating_manage, branch)
    today = today_local()
    nxt = (today.year + today.month // 12, today.month % 12 + 1)
    if (year, month) not in ((today.year, today.month), nxt):
        raise Conflict("只能打印本月或下月的测评票", code="slip_month_invalid")
    rules = rules_for(session, branch)
    if not is_slip_month(rules, month):
        raise Conflict(f"按测评规则每 {rules.slip_every_months} 个月测评一次，{month}月没有测评", code="slip_month_off")
    count = panels.active_count(session, int(branch.id or 0))
    if count == 0:
        raise Conflict("请先在代表名单中添加党员代表和群众代表", code="panel_empty")
    printed = print_batch(
        session,
        actor=actor,
        branch_id=int(branch.id or 0),
        count=count,
        purpose=SlipPurpose.month,
        year=year,
        month=month,
    )
    return Issued(batch_id=printed.batch_id, year=year, month=month, codes=printed.codes, voided=printed.voided)


class SlipState(StrEnum):
    open = "open"
    used = "used"  # 已使用
    expired = "expired"  # the month is over
    early = "early"  # next month's slip, opened before its month (a round's: before its scoring)
    void = "void"  # printed again: this printing is void
    other_branch = "other_branch"
    wrong_purpose = "wrong_purpose"  # a month's slip at a round's form, or the other way round
    unknown = "unknown"  # no such code (forged, mistyped)


# a round's slip by the round's status: open while scored, expired once closed, not yet before
ROUND_STATES = {DebriefStatus.scoring: SlipState.open, DebriefStatus.closed: SlipState.expired}


@dataclass(frozen=True)
class Found:
    state: SlipState
    slip: Slip | None = None


def find(session: Session, code: str, *, branch_id: int | None = None, purpose: SlipPurpose | None = None) -> Found:
    """The slip of a code and what may be done with it (no permission: the code is the permission).
    A month's slip is open in its month; a round's slip while the round is being scored (评议打分中),
    expired once it is closed."""
    normal = normalise(code)
    if normal is None:
        return Found(SlipState.unknown)
    row = session.execute(
        select(Slip, col(SlipBatch.live))
        .join(SlipBatch, col(SlipBatch.id) == col(Slip.batch_id))
        .where(col(Slip.code_hash) == code_hash(normal))
    ).first()
    if row is None:
        return Found(SlipState.unknown)
    slip, live = row
    if branch_id is not None and slip.branch_id != branch_id:
        return Found(SlipState.other_branch)
    if purpose is not None and slip.purpose != purpose:
        return Found(SlipState.wrong_purpose)
    if slip.used:
        return Found(SlipState.used, slip)
    if not live:
        return Found(SlipState.void, slip)
    if slip.purpose == SlipPurpose.debrief:
        status = session.execute(select(col(DebriefRound.status)).where(col(DebriefRound.id) == slip.round_id))
        return Found(ROUND_STATES.get(DebriefStatus(status.scalar_one()), SlipState.early), slip)
    assert slip.year is not None
    assert slip.month is not None
    today = today_local()
    if today > month_end(slip.year, slip.month):
        return Found(SlipState.expired, slip)
    if (today.year, today.month) < (slip.year, slip.month):
        return Found(SlipState.early, slip)
    return Found(SlipState.open, slip)


def score_of(choices: dict[str, str]) -> float:
    """An answer's 满意度 over its items (0–100): the one formula, each item one choice."""
    points = [formula.POINTS[Satisfaction(c)] for c in choices.values()]
    return round(sum(points) / len(points), 1)


def take(session: Session, slip: Slip, choices: dict[str, str]) -> bool:
    """Use the slip once and store its answer; False when it was used (or voided) meanwhile. The
    answer keeps the branch, the month and the choices only."""
    assert slip.purpose == SlipPurpose.month
    assert slip.year is not None
    assert slip.month is not None
    live_batch = exists().where(col(SlipBatch.id) == col(Slip.batch_id), col(SlipBatch.live).is_(True))
    result: Any = session.execute(
        update(Slip)
        .where(col(Slip.id) == slip.id, col(Slip.used).is_(False), live_batch)
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.add(
        SlipAnswer(
            branch_id=slip.branch_id, year=slip.year, month=slip.month, choices=dict(choices), score=score_of(choices)
        )
    )
    session.flush()
    return True


def month_counts(session: Session, *, actor: Actor, branch: OrgUnit, year: int) -> list[SlipMonthCount]:
    """Per month of the year with slips: issued (the batch in force), used, voided, expired, and the
    month's 满意度 over the answers — two GROUP BY queries, no row of any answer read."""
    require(actor, Permission.rating_manage, branch)
    branch_id = int(branch.id or 0)
    slips = session.execute(
        select(
            col(Slip.month),
            func.sum(case((col(SlipBatch.live).is_(True), 1), else_=0)),
            func.sum(case((col(Slip.used).is_(True), 1), else_=0)),
            func.sum(case((col(SlipBatch.live).is_(None) & col(Slip.used).is_(False), 1), else_=0)),
        )
        .join(SlipBatch, col(SlipBatch.id) == col(Slip.batch_id))
        .where(col(Slip.branch_id) == branch_id, col(Slip.purpose) == SlipPurpose.month.value, col(Slip.year) == year)
        .group_by(col(Slip.month))
        .order_by(col(Slip.month))
    ).all()
    scores = {
        int(m): float(s)
        for m, s in session.execute(
            select(col(SlipAnswer.month), func.avg(col(SlipAnswer.score)))
            .where(col(SlipAnswer.branch_id) == branch_id, col(SlipAnswer.year) == year)
            .group_by(col(SlipAnswer.month))
        ).all()
    }
    today = today_local()
    return [
        SlipMonthCount(
            year=year,
            month=int(m),
            issued=int(i or 0),
            used=int(u or 0),
            voided=int(v or 0),
            expired=today > month_end(year, int(m)),
            score=round(scores[int(m)], 1) if int(m) in scores else None,
        )
        for m, i, u, v in slips
    ]


def answer_totals(session: Session, branches: Any, first: date, last: date) -> dict[int, tuple[int, float]]:
    """The answers of months from `first` to `last` (inclusive) per branch: (count, sum of scores), for
    the ratings' villager part (feed.py). One GROUP BY."""
    month_no = col(SlipAnswer.year) * 12 + col(SlipAnswer.month)
    stmt = (
        select(col(SlipAnswer.branch_id), func.count(), func.sum(col(SlipAnswer.score)))
        .where(
            col(SlipAnswer.branch_id).in_(branches),
            month_no >= first.year * 12 + first.month,
            month_no <= last.year * 12 + last.month,
        )
        .group_by(col(SlipAnswer.branch_id))
    )
    return {int(b): (int(n), float(t or 0)) for b, n, t in session.connection().execute(stmt).all()}
