"""组织考评: the secretary scores each member of their branch item by item (saving as they go), the
committee scores each branch; the 承诺践诺 item is filled from the member's pledges closed in the
period (kept = full, partly kept = half, not kept = 0, averaged over the pledges) and may be
overridden with a reason. Nobody assesses themself.

Pledges are read here in SQL against app.pledges.models, read-only (pledges has no such read).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, Float, Numeric, String, and_, case, cast, func, literal, null, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, col

from app.core.db import UTCDateTime, insert_for
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, page_of
from app.core.permissions import Actor, Permission, require
from app.core.time import CHINA_TZ, utcnow
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges.models import OwnerKind, Pledge, PledgeOutcome, PledgeStatus
from app.ratings import scope, states
from app.ratings.models import Assessment, PeriodStatus, RatingBranchStatus, RatingPeriod, SubjectKind
from app.ratings.rules import AUTO_PLEDGES, PolicyRules, RubricItem
from app.ratings.schemas import AssessmentRead, AssessmentWrite

NOTE = "_note"  # auto_items[NOTE]: what the automatic item was computed from, in Chinese


def _rules(period: RatingPeriod) -> PolicyRules:
    return PolicyRules.model_validate(period.policy_snapshot or {})


def _rubric(rules: PolicyRules, kind: SubjectKind) -> list[RubricItem]:
    return rules.branch_rubric if kind == SubjectKind.branch else rules.rubric


def _total(row: Assessment, rubric: list[RubricItem]) -> None:
    values = [row.items.get(i.key) for i in rubric]
    row.points = round(sum(float(v) for v in values if v is not None), 2)
    row.max_points = float(sum(i.max_points for i in rubric))
    row.complete = all(v is not None for v in values)


def _period_bounds(period: RatingPeriod) -> tuple[datetime, datetime]:
    """The period's days in China time, as UTC instants [start, end)."""
    start = datetime.combine(period.starts_on, time.min, CHINA_TZ)
    end = datetime.combine(period.ends_on + timedelta(days=1), time.min, CHINA_TZ)
    return start, end


def _outcome_counts(period: RatingPeriod, member_ids: Any) -> Any:
    """member_id, n, kept, partly, not_kept: the members' own pledges closed in the period, by outcome."""
    start, end = _period_bounds(period)
    p = Pledge
    return (
        select(
            col(p.member_id).label("member_id"),
            func.count().label("n"),
            func.sum(case((col(p.outcome) == PledgeOutcome.kept, 1), else_=0)).label("kept"),
            func.sum(case((col(p.outcome) == PledgeOutcome.partly_kept, 1), else_=0)).label("partly"),
            func.sum(case((col(p.outcome) == PledgeOutcome.not_kept, 1), else_=0)).label("not_kept"),
        )
        .where(
            col(p.owner_kind) == OwnerKind.member,
            col(p.member_id).in_(member_ids),
            col(p.status) == PledgeStatus.closed,
            col(p.closed_at) >= start,
            col(p.closed_at) < end,
            col(p.outcome).is_not(None),
        )
        .group_by(col(p.member_id))
        .subquery("outcomes")
    )


class _Json:
    """The few JSON expressions fill_auto needs, in the dialect's words (SQLite's json1 or
    PostgreSQL's json functions): an object of key/value pairs, and an object with one key set."""

    def __init__(self, session: Session) -> None:
        self.pg = session.get_bind().dialect.name == "postgresql"

    def object(self, *pairs: Any) -> Any:
        if self.pg:  # keys typed: PostgreSQL cannot guess an untyped parameter of json_build_object
            typed = [_text(p) if isinstance(p, str) else p for p in pairs]
            return type_coerce(func.json_build_object(*typed), JSON)
        return type_coerce(func.json_object(*pairs), JSON)

    def with_key(self, doc: Any, key: str, value: Any) -> Any:
        if self.pg:
            merged = cast(doc, JSONB).op("||")(func.jsonb_build_object(_text(key), value))
            return type_coerce(cast(merged, JSON), JSON)
        return type_coerce(func.json_set(doc, f"$.{key}", value), JSON)


def _text(value: str) -> Any:
    return cast(literal(value), String)


def fill_auto(session: Session, *, period: RatingPeriod) -> int:
    """(Re)fill the automatic rubric item of every active member of the period's branches, creating
    their assessment rows: one INSERT … SELECT … ON CONFLICT DO UPDATE, whatever the number of
    members, so a secretary's first save at the same moment queues on the row instead of colliding.

    The item's value (kept = full, partly kept = half, not kept = 0, averaged; none closed: empty)
    replaces only what the automatic fill put there before: a value the secretary saved by hand —
    overridden with a reason, or given before there was an automatic value — is kept (then the
    sheet asks for the reason the difference needs). Returns the members filled."""
    rules = _rules(period)
    auto = next((i for i in rules.rubric if i.auto == AUTO_PLEDGES), None)
    if auto is None:
        return 0
    key = auto.key
    js = _Json(session)
    unit = org_service.get_unit(session, period.unit_id)
    branch_ids = select(col(OrgUnit.id)).where(
        org_service.path_filter([unit.path]),
        col(OrgUnit.kind) == UnitKind.branch,
        col(OrgUnit.archived_at).is_(None),
    )
    active = (col(Member.status) == MemberStatus.active, col(Member.branch_id).in_(branch_ids))
    o = _outcome_counts(period, select(col(Member.id)).where(*active))
    none_closed = func.coalesce(o.c.n, 0) == 0
    share = (o.c.kept + 0.5 * o.c.partly) * auto.max_points / o.c.n
    value = case((none_closed, null()), else_=cast(func.round(cast(share, Numeric), 1), Float))
    said = _text("本周期已销诺 ") + cast(o.c.n, String) + _text(" 件：已兑现 ") + cast(o.c.kept, String)
    said = said + _text("、部分兑现 ") + cast(o.c.partly, String) + _text("、未兑现 ") + cast(o.c.not_kept, String)
    note = case((none_closed, _text("本周期没有已销诺的承诺，请书记评分")), else_=said)
    now = utcnow()
    max_points = float(sum(i.max_points for i in rules.rubric))
    others = [i.key for i in rules.rubric if i.key != key]
    rows = (
        select(
            literal(period.id).label("period_id"),
            _text(SubjectKind.member.value).label("subject_kind"),
            col(Member.id).label("subject_id"),
            col(Member.branch_id).label("branch_id"),
            js.object(key, value).label("items"),
            js.object(key, value, NOTE, note).label("auto_items"),
            js.object().label("overrides"),
            func.coalesce(value, 0).label("points"),
            literal(max_points).label("max_points"),
            and_(value.is_not(None), literal(not others)).label("complete"),
            literal(1).label("version"),
            literal(now, UTCDateTime).label("created_at"),
            literal(now, UTCDateTime).label("updated_at"),
        )
        .select_from(Member)
        .outerjoin(o, o.c.member_id == col(Member.id))
        .where(*active)
    )
    table = Assessment.metadata.tables["assessment"]
    stmt = insert_for(session)(table).from_select(list(rows.selected_columns.keys()), rows)
    # the row as it stands when the upsert reaches it (after any save it waited for)
    items_col, auto_col = table.c["items"], table.c["auto_items"]
    had = items_col[key].as_float()
    by_hand = or_(
        table.c["overrides"][key].as_string().is_not(None),
        and_(
            had.is_not(None),
            or_(auto_col[key].as_float().is_(None), had != auto_col[key].as_float()),
        ),
    )
    new = stmt.excluded["items"][key].as_float()
    item = case((by_hand, had), else_=new)
    points: Any = func.coalesce(item, 0)
    for k in others:
        points = points + func.coalesce(items_col[k].as_float(), 0)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.period_id, table.c.subject_kind, table.c.subject_id],
        set_={
            "items": case((by_hand, items_col), else_=js.with_key(items_col, key, new)),
            "auto_items": stmt.excluded.auto_items,
            "points": cast(func.round(cast(points, Numeric), 2), Float),
            "max_points": max_points,
            "complete": and_(item.is_not(None), *[items_col[k].as_float().is_not(None) for k in others]),
            "updated_at": stmt.excluded.updated_at,
        },
    )
    session.execute(stmt)
    # counted apart: psycopg does not always report the rows an INSERT … SELECT upserted
    filled = int(session.execute(select(func.count()).select_from(Member).where(*active)).scalar_one())
    for row in list(session.identity_map.values()):
        if isinstance(row, Assessment):  # loaded before the statement: stale now
            session.expire(row)
    return filled


# ---------------------------------------------------------------- reading


def _read(
    row: Assessment | None, kind: SubjectKind, subject_id: int, name: str, period: RatingPeriod
) -> AssessmentRead:
    rubric = _rubric(_rules(period), kind)
    if row is None:
        return AssessmentRead(
            period_id=period.id or 0,
            subject_kind=kind,
            subject_id=subject_id,
            name=name,
            items={i.key: None for i in rubric},
            auto_items={},
            overrides={},
            points=0,
            max_points=float(sum(i.max_points for i in rubric)),
            complete=False,
            updated_at=None,
            version=0,
        )
    auto = {k: v for k, v in row.auto_items.items() if k != NOTE}
    return AssessmentRead(
        period_id=period.id or 0,
        subject_kind=kind,
        subject_id=subject_id,
        name=name,
        items={i.key: row.items.get(i.key) for i in rubric},
        auto_items=auto,
        overrides=dict(row.overrides),
        points=row.points,
        max_points=row.max_points,
        complete=row.complete,
        auto_note=row.auto_items.get(NOTE),
        updated_at=row.updated_at,
        version=row.version,
    )


def _rows(session: Session, period: RatingPeriod, kind: SubjectKind, ids: list[int]) -> dict[int, Assessment]:
    if not ids:
        return {}
    stmt = select(Assessment).where(
        col(Assessment.period_id) == period.id,
        col(Assessment.subject_kind) == kind,
        col(Assessment.subject_id).in_(ids),
    )
    return {a.subject_id: a for a in session.execute(stmt).scalars()}


def member_sheet(
    session: Session, *, actor: Actor, period: RatingPeriod, branch: OrgUnit, params: PageParams
) -> Page[AssessmentRead]:
    """The branch's members in one list, each with their items (the secretary's scoring screen)."""
    require(actor, Permission.rating_manage, branch)
    members = scope.active_members(session, branch.id or 0)
    page = members[params.offset : params.offset + params.size]
    rows = _rows(session, period, SubjectKind.member, [m.id or 0 for m in page])
    items = [_read(rows.get(m.id or 0), SubjectKind.member, m.id or 0, m.name, period) for m in page]
    return page_of(items, params, total=len(members))


def branch_sheet(
    session: Session, *, actor: Actor, period: RatingPeriod, period_unit: OrgUnit, params: PageParams
) -> Page[AssessmentRead]:
    """Every branch the period covers, with its items (the committee's scoring screen)."""
    require(actor, Permission.rating_admin, period_unit)
    branches = scope.branches(session, period_unit)
    page = branches[params.offset : params.offset + params.size]
    rows = _rows(session, period, SubjectKind.branch, [b.id or 0 for b in page])
    items = [_read(rows.get(b.id or 0), SubjectKind.branch, b.id or 0, b.name, period) for b in page]
    return page_of(items, params, total=len(branches))


# ---------------------------------------------------------------- writing


def _check_state(session: Session, period: RatingPeriod, branch_id: int, kind: SubjectKind) -> None:
    """Open or assessing; computed too until the level it feeds is approved (then recompute, as the
    results' version tells the approver), never after."""
    if period.status == PeriodStatus.computed:
        status = session.execute(
            select(RatingBranchStatus).where(
                col(RatingBranchStatus.period_id) == period.id, col(RatingBranchStatus.branch_id) == branch_id
            )
        ).scalar_one_or_none()
        approved = (
            None
            if status is None
            else (status.members_approved_at if kind == SubjectKind.member else status.branch_approved_at)
        )
        if approved is None:
            return
        raise Conflict(
            "本支部党员的星级已审定，不能再修改考评"
            if kind == SubjectKind.member
            else "该党支部的星级已审定，不能再修改考评",
            code="assessment_approved",
        )
    if period.status not in states.ASSESSING:
        raise Conflict(
            f"该测评周期当前为“{states.STATUS_LABELS[period.status]}”，不能考评",
            code="rating_period_wrong_state",
            extra={"period_status": str(period.status)},
        )


def _write(session: Session, row: Assessment, rubric: list[RubricItem], data: AssessmentWrite, actor: Actor) -> None:
    by_key = {i.key: i for i in rubric}
    errors: list[dict[str, str]] = []
    items = dict(row.items)
    overrides = dict(row.overrides)
    for key, value in data.items.items():
        item = by_key.get(key)
        if item is None:
            errors.append({"field": f"items.{key}", "message": "没有该考评项目"})
            continue
        if value is not None and not 0 <= value <= item.max_points:
            errors.append({"field": f"items.{key}", "message": f"“{item.label}”须在 0 到 {item.max_points} 分之间"})
            continue
        if item.auto and row.auto_items.get(key) is not None and value != row.auto_items.get(key):
            reason = (data.reasons.get(key) or "").strip()
            if not reason:
                errors.append({"field": f"reasons.{key}", "message": f"修改自动计分的“{item.label}”须填写原因"})
                continue
            overrides[key] = reason[:200]
        elif item.auto:
            overrides.pop(key, None)  # back to the automatic value
        items[key] = value
    if errors:
        raise Unprocessable("；".join(e["message"] for e in errors), code="assessment_invalid", errors=errors)
    row.items, row.overrides = items, overrides
    _total(row, rubric)
    row.scored_by_account_id = None if actor.system else actor.account_id
    row.updated_at = utcnow()
    row.version += 1
    session.add(row)
    session.flush()


def _locked_row(
    session: Session, period: RatingPeriod, kind: SubjectKind, subject_id: int, branch_id: int
) -> Assessment:
    """The subject's assessment row, made if missing (ON CONFLICT DO NOTHING: two first saves may race)
    and locked for this transaction, so saves of the same subject queue instead of overwriting."""
    table = Assessment.metadata.tables["assessment"]
    now = utcnow()
    session.execute(
        insert_for(session)(table)
        .values(
            period_id=period.id,
            subject_kind=kind.value,
            subject_id=subject_id,
            branch_id=branch_id,
            items={},
            auto_items={},
            overrides={},
            points=0,
            max_points=0,
            complete=False,
            version=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[table.c.period_id, table.c.subject_kind, table.c.subject_id])
    )
    stmt = (
        select(Assessment)
        .where(
            col(Assessment.period_id) == period.id,
            col(Assessment.subject_kind) == kind,
            col(Assessment.subject_id) == subject_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.execute(stmt).scalar_one()


def save_member(
    session: Session, *, actor: Actor, period: RatingPeriod, period_unit: OrgUnit, member_id: int, data: AssessmentWrite
) -> AssessmentRead:
    """The secretary scores one member (only the items sent change)."""
    member = session.get(Member, member_id)
    if member is None or member.status != MemberStatus.active:
        raise NotFound("未找到该党员，或不在您的管理范围内")
    branch = scope.branch_in_period(session, actor, period_unit, member.branch_id)
    require(actor, Permission.rating_manage, branch)
    me = scope.active_member_of(session, actor)
    if me is not None and me.id == member.id:
        raise Forbidden("不能为自己考评，请由上级党组织考评", code="assessment_self")
    _check_state(session, period, branch.id or 0, SubjectKind.member)
    row = _locked_row(session, period, SubjectKind.member, member_id, branch.id or 0)
    _write(session, row, _rules(period).rubric, data, actor)
    return _read(row, SubjectKind.member, member_id, member.name, period)


def save_branch(
    session: Session, *, actor: Actor, period: RatingPeriod, period_unit: OrgUnit, branch_id: int, data: AssessmentWrite
) -> AssessmentRead:
    """The committee scores one branch."""
    branch = scope.branch_in_period(session, actor, period_unit, branch_id)
    require(actor, Permission.rating_admin, branch)
    _check_state(session, period, branch_id, SubjectKind.branch)
    row = _locked_row(session, period, SubjectKind.branch, branch_id, branch_id)
    _write(session, row, _rules(period).branch_rubric, data, actor)
    return _read(row, SubjectKind.branch, branch_id, branch.name, period)


def assessed_counts(session: Session, period_id: int) -> dict[int, int]:
    """branch → members whose assessment is complete (one GROUP BY)."""
    rows = session.execute(
        select(col(Assessment.branch_id), func.count())
        .where(
            col(Assessment.period_id) == period_id,
            col(Assessment.subject_kind) == SubjectKind.member,
            col(Assessment.complete).is_(True),
        )
        .group_by(col(Assessment.branch_id))
    ).all()
    return {int(b): int(n) for b, n in rows}


def branches_assessed(session: Session, period_id: int) -> set[int]:
    rows = session.execute(
        select(col(Assessment.subject_id)).where(
            col(Assessment.period_id) == period_id,
            col(Assessment.subject_kind) == SubjectKind.branch,
            col(Assessment.complete).is_(True),
        )
    ).scalars()
    return {int(b) for b in rows}
