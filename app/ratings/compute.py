"""Computing a period's results (核算): one result row per member and per branch, from aggregates.

Deterministic and re-runnable until approval: the same inputs give the same rows, written by an
upsert on (period, subject kind, subject). A fixed number of statements however many members:

1. one SELECT of every member in scope with three LEFT-JOINed GROUP BY sub-selects — peer reviews
   (count, sum, min, max: the trimmed mean drops one highest and one lowest without a window),
   villager ratings of the member's pledges inside the period's days (counted ones only), and the
   secretary's assessment (its points over the rubric's maximum);
2. one bulk upsert of the member rows (the loop in between is over the aggregate's result rows:
   weights, stars and the Chinese explanation are made in Python);
3. one SELECT per branch of its members' mean score (GROUP BY over the rows just written), its
   collective pledges' villager ratings and the committee's assessment; one bulk upsert.

Branches whose members' levels are approved keep their rows as they are (and a branch whose own
level is approved keeps its row). A level changed by the secretary before approval is kept when the
result is recomputed; the new proposed level is shown beside it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import column, delete, exists, func, literal_column, select, table
from sqlmodel import Session, col

from app.core.db import insert_for
from app.core.time import CHINA_TZ, as_utc, utcnow
from app.evaluations import formula
from app.evaluations.models import PublicRating
from app.evaluations.public import latest_per_device
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.ratings import scoring
from app.ratings.models import (
    Assessment,
    PeerCombine,
    PeerReview,
    PeriodStatus,
    RatingBranchStatus,
    RatingDecision,
    RatingPeriod,
    RatingResult,
    SubjectKind,
)
from app.ratings.rules import PolicyRules
from app.ratings.scoring import Part, fmt

RESULT = RatingResult.metadata.tables["rating_result"]
# What domains above ratings add to a branch's parts (app.appraisal.feed registers its own; ratings
# never imports them): each is called with (session, period, rules, the branches' sub-select) and
# answers branch → (count, points) added to the branch's villager part (the representatives' monthly
# answers), or branch → (points, max points, weight %) blended into its assessment part (季度自评).
BranchInput = Callable[[Session, RatingPeriod, PolicyRules, Any], dict[int, Any]]
BRANCH_VILLAGER_INPUTS: list[BranchInput] = []
BRANCH_ASSESSMENT_INPUTS: list[BranchInput] = []
# the period states in which results may be (re)computed
COMPUTABLE = frozenset({PeriodStatus.assessing, PeriodStatus.computed})


@dataclass(frozen=True)
class Computed:
    members: int
    branches: int
    skipped_branches: int  # approved already: left as they were


def rules_of(period: RatingPeriod) -> PolicyRules:
    """The policy the period runs under (frozen at opening; the defaults for a period never opened)."""
    return PolicyRules.model_validate(period.policy_snapshot or {})


def period_bounds(period: RatingPeriod) -> tuple[datetime, datetime]:
    """[first day 00:00, day after the last 00:00) in China time, as UTC instants."""
    start = datetime.combine(period.starts_on, time(0), tzinfo=CHINA_TZ)
    end = datetime.combine(period.ends_on + timedelta(days=1), time(0), tzinfo=CHINA_TZ)
    return as_utc(start), as_utc(end)


def branch_ids_in(period: RatingPeriod, unit: OrgUnit) -> Any:
    """A sub-select of the branches the period covers (its unit's subtree, not archived)."""
    return select(col(OrgUnit.id)).where(
        org_service.path_filter([unit.path]),
        col(OrgUnit.kind) == UnitKind.branch,
        col(OrgUnit.archived_at).is_(None),
    )


def villager_totals(
    session: Session, period: RatingPeriod, rules: PolicyRules, branches: Any, *, collective: bool
) -> dict[int, tuple[int, float]]:
    """Villagers' ratings inside the period's days — each phone once per pledge, by its latest counted
    choice (evaluations.public.latest_per_device, as the boards count) — GROUP BY the member (their
    pledges), or by the branch (its collective pledges, whose ratings carry no member): subject →
    (count, points), the points summed by the one 满意度 formula (evaluations.formula: 满意 and 基本满意
    100, 不满意 0), so the part's mean is the 满意度 the boards print."""
    start, end = period_bounds(period)
    owner = col(PublicRating.member_id).is_(None) if collective else col(PublicRating.member_id).is_not(None)
    people = latest_per_device(
        owner,
        col(PublicRating.created_at) >= start,
        col(PublicRating.created_at) < end,
        col(PublicRating.branch_id).in_(branches),
    )
    key = people.c.branch_id if collective else people.c.member_id
    stmt = select(key, func.count(), func.sum(formula.points_sql(people.c.choice))).group_by(key)
    return {int(k): (int(n), float(t or 0)) for k, n, t in session.connection().execute(stmt).all()}


def assessments_of(
    session: Session, period_id: int, kind: SubjectKind, branches: Any
) -> dict[int, tuple[float, float, bool]]:
    """subject → (points, max points, complete) of the period's assessments."""
    stmt = select(
        col(Assessment.subject_id), col(Assessment.points), col(Assessment.max_points), col(Assessment.complete)
    ).where(
        col(Assessment.period_id) == period_id,
        col(Assessment.subject_kind) == kind.value,
        col(Assessment.branch_id).in_(branches),
    )
    return {int(sid): (float(p), float(m), bool(c)) for sid, p, m, c in session.connection().execute(stmt).all()}


def peer_totals(session: Session, period_id: int, branches: Any) -> dict[int, tuple[int, float, float, float]]:
    """Counted peer reviews GROUP BY the reviewed member: (count, sum, lowest, highest) — enough for
    the mean and for the trimmed mean without a window."""
    score = col(PeerReview.score)
    stmt = (
        select(col(PeerReview.reviewee_member_id), func.count(), func.sum(score), func.min(score), func.max(score))
        .where(
            col(PeerReview.period_id) == period_id,
            col(PeerReview.discarded_at).is_(None),
            col(PeerReview.branch_id).in_(branches),
        )
        .group_by(col(PeerReview.reviewee_member_id))
    )
    return {
        int(m): (int(n), float(t), float(lo), float(hi)) for m, n, t, lo, hi in session.connection().execute(stmt).all()
    }


def previous_period_id(session: Session, period: RatingPeriod) -> int | None:
    """The last published period of the same unit and kind before this one (for 晋星 ↑ / ↓)."""
    stmt = (
        select(col(RatingPeriod.id))
        .where(
            col(RatingPeriod.unit_id) == period.unit_id,
            col(RatingPeriod.kind) == period.kind,
            col(RatingPeriod.status) == PeriodStatus.published.value,
            col(RatingPeriod.starts_on) < period.starts_on,
        )
        .order_by(col(RatingPeriod.starts_on).desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def previous_levels(session: Session, previous_id: int | None, kind: SubjectKind, branches: Any) -> dict[int, int]:
    """subject → the published level of the previous period (empty when there is none)."""
    if previous_id is None:
        return {}
    stmt = select(col(RatingResult.subject_id), col(RatingResult.stars)).where(
        col(RatingResult.period_id) == previous_id,
        col(RatingResult.subject_kind) == kind.value,
        col(RatingResult.published_at).is_not(None),
        col(RatingResult.branch_id).in_(branches),
    )
    return {int(sid): int(st) for sid, st in session.connection().execute(stmt).all() if st is not None}


def frozen_branches(session: Session, period_id: int) -> tuple[set[int], set[int]]:
    """(branches whose members' levels are approved, branches whose own level is approved)."""
    rows = session.execute(
        select(
            col(RatingBranchStatus.branch_id),
            col(RatingBranchStatus.members_approved_at),
            col(RatingBranchStatus.branch_approved_at),
        ).where(col(RatingBranchStatus.period_id) == period_id)
    ).all()
    return {b for b, m, _ in rows if m is not None}, {b for b, _, a in rows if a is not None}


# ---------------------------------------------------------------- the parts, from aggregate rows


def peer_part(rules: PolicyRules, n: int | None, total: Any, low: Any, high: Any) -> Part:
    n = int(n or 0)
    trimmed = rules.peer_combine == PeerCombine.trimmed
    raw = scoring.peer_raw(total, n, low, high, trimmed=trimmed)
    if trimmed and n >= 5:
        note = f"{n} 人评分，去掉一个最高分 {fmt(float(high))} 和一个最低分 {fmt(float(low))} 后平均"
    else:
        note = f"{n} 人评分的平均" + ("（不足 5 人，不去掉最高最低分）" if trimmed and n else "")
    return Part("peer", rules.weights.peer, raw, n, note, "无人评分")


def villager_part(rules: PolicyRules, weight: int, n: int | None, total: Any) -> Part:
    n = int(n or 0)
    minimum = rules.villager_min_count
    if n == 0 or n < minimum:
        why = "没有计入的评价" if n == 0 else f"仅 {n} 次，少于最少 {minimum} 次"
        return Part("villager", weight, None, n, missing=why)
    note = f"{n} 份评价的满意度：{formula.TEXT}（每台手机每项承诺计一次）"
    return Part("villager", weight, scoring.mean_raw(total, n), n, note)


def assessment_part(weight: int, points: Any, max_points: Any, complete: Any, *, branch: bool) -> Part:
    if points is None or not max_points:
        return Part("assessment", weight, None, 0, missing="尚未考评")
    raw = scoring.r1(float(points) * 100 / float(max_points))
    note = f"{fmt(float(points))} / {fmt(float(max_points))} 分，折合百分制"
    if not complete:
        note += "，未评项目按 0 分计"
    return Part("assessment", weight, raw, 1, note)


def members_part(weight: int, n: int | None, mean: Any) -> Part:
    n = int(n or 0)
    if not n or mean is None:
        return Part("members", weight, None, 0, missing="没有党员的结果")
    return Part("members", weight, scoring.r1(float(mean)), n, f"{n} 名党员总分的平均")


def result_values(
    period_id: int,
    kind: SubjectKind,
    subject_id: int,
    branch_id: int,
    unit_id: int,
    out: scoring.Outcome,
    previous: int | None,
    now: datetime,
) -> dict[str, Any]:
    values: dict[str, Any] = dict(_EMPTY_PARTS)
    values.update(
        period_id=period_id,
        subject_kind=kind.value,
        subject_id=subject_id,
        branch_id=branch_id,
        unit_id=unit_id,
        score=out.score,
        proposed_stars=out.stars,
        previous_stars=previous,
        explanation=out.explanation,
        details=None,
        computed_at=now,
        version=1,
    )
    for w in out.parts:
        names = _PART_COLUMNS[w.part.key]
        values[names[0]] = w.part.raw
        values[names[1]] = w.part.count
        values[names[2]] = w.weight_used
        values[names[3]] = w.score
    return values


_PART_COLUMNS = {
    k: (f"{k}_raw", f"{k}_count", f"{k}_weight", f"{k}_score") for k in ("peer", "villager", "assessment", "members")
}
_EMPTY_PARTS: dict[str, Any] = {
    c: (None if c.endswith("_raw") else 0 if c.endswith("_count") else 0.0) for cs in _PART_COLUMNS.values() for c in cs
}


# the columns compute writes, in the order of the driver-level upsert below
WRITTEN = (
    "period_id", "subject_kind", "subject_id", "branch_id", "unit_id",
    "peer_raw", "peer_count", "peer_weight", "peer_score",
    "villager_raw", "villager_count", "villager_weight", "villager_score",
    "assessment_raw", "assessment_count", "assessment_weight", "assessment_score",
    "members_raw", "members_count", "members_weight", "members_score",
    "score", "proposed_stars", "previous_stars", "explanation", "details", "computed_at", "version",
)  # fmt: skip
KEY = ("period_id", "subject_kind", "subject_id")


def _upsert(session: Session) -> tuple[str, tuple[str, ...] | None]:
    """The upsert (app.core.db.insert_for … ON CONFLICT DO UPDATE) compiled once for the driver: its
    SQL and, for a positional driver (SQLite), the order of its parameters."""
    insert = insert_for(session)(RESULT)
    refreshed: dict[str, Any] = {c: insert.excluded[c] for c in WRITTEN if c not in (*KEY, "version")}
    refreshed["version"] = RESULT.c.version + literal_column("1")
    stmt = insert.on_conflict_do_update(index_elements=list(KEY), set_=refreshed)
    compiled = stmt.compile(dialect=session.get_bind().dialect, column_keys=list(WRITTEN), for_executemany=True)
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return compiled.string, order


def upsert_results(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or refresh result rows in bulk: one executemany of one upsert on (period, kind,
    subject), handed to the driver as it is (tens of thousands of rows: no statement built per row,
    values adapted here as the column types would). The decided level (`stars`), decisions and
    publication are never touched here; the version moves so a stale If-Match on old figures fails."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _upsert_by_copy(session, rows)
        return
    sql, order = _upsert(session)
    if order is None:  # a named-parameter driver
        params: list[Any] = [dict(r, details=json.dumps(r["details"]) if r["details"] else None) for r in rows]
    else:  # SQLite: positional, JSON as text, UTC timestamps in the stored form
        params = []
        stamps: dict[datetime, str] = {}  # one run stamps every row alike: format it once
        for r in rows:
            at = r["computed_at"]
            adapted = {
                **r,
                "details": json.dumps(r["details"], ensure_ascii=False) if r["details"] is not None else None,
                "computed_at": stamps.get(at) or stamps.setdefault(at, _sqlite_time(at)),
            }
            params.append(tuple(adapted[k] for k in order))
    connection.exec_driver_sql(sql, params)


STAGE = "rating_result_in"


def _upsert_by_copy(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL: the rows COPied into a temporary table of the written columns, then one
    INSERT … SELECT … ON CONFLICT DO UPDATE (insert_for): four statements however many rows."""
    connection = session.connection()
    columns = ", ".join(WRITTEN)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} AS SELECT {columns} FROM rating_result WITH NO DATA"  # noqa: S608
    )
    connection.exec_driver_sql(f"TRUNCATE {STAGE}")
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:  # type: ignore[union-attr]
        for r in rows:
            details = r["details"]
            copy.write_row(
                [
                    json.dumps(details, ensure_ascii=False) if c == "details" and details is not None else r[c]
                    for c in WRITTEN
                ]
            )
    stage = table(STAGE, *(column(c) for c in WRITTEN))
    insert = insert_for(session)(RESULT).from_select(list(WRITTEN), select(*stage.c))
    refreshed: dict[str, Any] = {c: insert.excluded[c] for c in WRITTEN if c not in (*KEY, "version")}
    refreshed["version"] = RESULT.c.version + literal_column("1")
    connection.execute(insert.on_conflict_do_update(index_elements=list(KEY), set_=refreshed))


def _sqlite_time(value: datetime) -> str:
    """The stored form of UTCDateTime on SQLite (naive UTC, microseconds)."""
    return as_utc(value).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _drop_stale(session: Session, period_id: int, branches: Any, frozen: set[int], now: datetime) -> None:
    """Member rows of the computed branches this run did not refresh (the member moved or left the
    roll) and that carry no decision: they would skew the branch's mean."""
    decided = exists().where(col(RatingDecision.result_id) == col(RatingResult.id))
    stmt = delete(RatingResult).where(
        col(RatingResult.period_id) == period_id,
        col(RatingResult.subject_kind) == SubjectKind.member.value,
        col(RatingResult.branch_id).in_(branches),
        col(RatingResult.computed_at) < now,
        ~decided,
    )
    if frozen:
        stmt = stmt.where(col(RatingResult.branch_id).not_in(frozen))
    session.execute(stmt.execution_options(synchronize_session=False))


# ---------------------------------------------------------------- compute


def _add_inputs(
    session: Session,
    period: RatingPeriod,
    rules: PolicyRules,
    branches: Any,
    villagers: dict[int, tuple[int, float]],
    assessed: dict[int, tuple[float, float, bool]],
) -> None:
    """The registered inputs of higher domains, merged into the branches' aggregates in place."""
    for extra in BRANCH_VILLAGER_INPUTS:
        for bid, (n, total) in extra(session, period, rules, branches).items():
            n0, t0 = villagers.get(bid, (0, 0.0))
            villagers[bid] = (n0 + int(n), t0 + float(total))
    for blend in BRANCH_ASSESSMENT_INPUTS:
        for bid, (points, max_points, weight) in blend(session, period, rules, branches).items():
            own = assessed.get(bid)
            if own is None or not own[1] or not max_points or not weight:
                continue  # no committee assessment yet: nothing to blend with
            share = (own[0] / own[1] * (100 - weight) + float(points) / float(max_points) * weight) / 100
            assessed[bid] = (round(share * own[1], 2), own[1], own[2])


def compute_results(session: Session, period: RatingPeriod, *, branch_id: int | None = None) -> Computed:
    """(Re)compute the results of the period's subtree, or of one branch of it. No permission or
    state check here (see approval.compute): this is the arithmetic and its few statements — each
    aggregate on its own (GROUP BY), merged here by subject, so no database joins sub-selects."""
    rules = rules_of(period)
    unit = org_service.get_unit(session, period.unit_id)
    period_id = int(period.id or 0)
    branches = branch_ids_in(period, unit)
    if branch_id is not None:
        branches = branches.where(col(OrgUnit.id) == branch_id)
    members_frozen, branch_frozen = frozen_branches(session, period_id)
    previous_id = previous_period_id(session, period)
    now = utcnow()

    stmt = (
        select(col(Member.id), col(Member.branch_id), col(Member.group_id))
        .where(col(Member.status) == MemberStatus.active.value, col(Member.branch_id).in_(branches))
        .order_by(col(Member.id))
    )
    if members_frozen:
        stmt = stmt.where(col(Member.branch_id).not_in(members_frozen))
    members: Sequence[Any] = session.connection().execute(stmt).all()  # Core rows, fetched at once
    peers = peer_totals(session, period_id, branches)
    villagers = villager_totals(session, period, rules, branches, collective=False)
    assessed = assessments_of(session, period_id, SubjectKind.member, branches)
    previous = previous_levels(session, previous_id, SubjectKind.member, branches)
    w = rules.weights
    none4: tuple[Any, ...] = (0, None, None, None)
    none2: tuple[Any, ...] = (0, None)
    rows = []
    for mid, bid, gid in members:
        a = assessed.get(mid)
        parts = [
            peer_part(rules, *peers.get(mid, none4)),
            villager_part(rules, w.villager, *villagers.get(mid, none2)),
            assessment_part(w.assessment, *(a or (None, None, False)), branch=False),
        ]
        before = previous.get(mid)
        out = scoring.outcome(parts, rules.thresholds, previous=before)
        rows.append(result_values(period_id, SubjectKind.member, mid, bid, gid or bid, out, before, now))
    upsert_results(session, rows)
    _drop_stale(session, period_id, branches, members_frozen, now)

    # branches: the mean of the rows just written (GROUP BY), their collective pledges, the committee's score
    mean_stmt = (
        select(col(RatingResult.branch_id), func.count(), func.avg(col(RatingResult.score)))
        .where(
            col(RatingResult.period_id) == period_id,
            col(RatingResult.subject_kind) == SubjectKind.member.value,
            col(RatingResult.branch_id).in_(branches),
        )
        .group_by(col(RatingResult.branch_id))
    )
    means = {int(b): (int(n), float(m)) for b, n, m in session.connection().execute(mean_stmt).all()}
    bstmt = select(col(OrgUnit.id)).where(col(OrgUnit.id).in_(branches)).order_by(col(OrgUnit.id))
    if branch_frozen:
        bstmt = bstmt.where(col(OrgUnit.id).not_in(branch_frozen))
    branch_ids = list(session.execute(bstmt).scalars())
    bvillagers = villager_totals(session, period, rules, branches, collective=True)
    bassessed = assessments_of(session, period_id, SubjectKind.branch, branches)
    _add_inputs(session, period, rules, branches, bvillagers, bassessed)
    bprevious = previous_levels(session, previous_id, SubjectKind.branch, branches)
    bw = rules.branch_weights
    brows = []
    for bid in branch_ids:
        a = bassessed.get(bid)
        parts = [
            members_part(bw.members, *means.get(bid, (0, None))),
            villager_part(rules, bw.villager, *bvillagers.get(bid, (0, None))),
            assessment_part(bw.assessment, *(a or (None, None, False)), branch=True),
        ]
        before = bprevious.get(bid)
        out = scoring.outcome(parts, rules.thresholds, branch=True, previous=before)
        brows.append(result_values(period_id, SubjectKind.branch, bid, bid, bid, out, before, now))
    upsert_results(session, brows)
    skipped = len(members_frozen | branch_frozen)
    return Computed(members=len(rows), branches=len(brows), skipped_branches=skipped)
