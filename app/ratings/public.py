"""What the public may see of ratings (boards read this module; it never imports boards).

Only PUBLISHED levels (`rating_result.published_at` set, `stars` decided), levels only: no score,
no part, no peer data. A member's current level is their latest published one (a year's result
before a quarter ending the same day); the trend compares it with their previous published result
of the same kind (up = 晋星). Names on the star board follow the board rule: only members who
consented to boards (and are still on the roll) are named; the counts include everyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import case, exists, func, select
from sqlmodel import Session, col

from app.core.privacy import mask_personal
from app.members import service as members_service
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges.models import OwnerKind, Pledge
from app.ratings.models import (
    HONOUR_KIND_LABELS,
    STAR_LABELS,
    Honour,
    HonourKind,
    PeriodKind,
    RatingBranchStatus,
    RatingPeriod,
    RatingResult,
    SubjectKind,
)
from app.ratings.schemas import (
    HonourPublic,
    LevelCount,
    LevelGroupPublic,
    LevelPublic,
    StarBoardPublic,
    StarEntryPublic,
)

Trend = Literal["up", "down", "same"]
# the seeds' words: 五星党支部 2 个 / 五星级党员 63 名
BRANCH_WORDS = {5: "五星党支部", 4: "四星党支部", 3: "三星党支部", 2: "二星党支部", 1: "一星党支部"}
MEMBER_WORDS = {5: "五星级党员", 4: "四星级党员", 3: "三星级党员", 2: "二星级党员", 1: "一星级党员"}
NAMES_PER_LEVEL = 400  # a wall board names at most this many per level; the counts say the rest


def _trend(current: int, previous: int | None) -> Trend | None:
    if previous is None:
        return None
    return "up" if current > previous else "down" if current < previous else "same"


def _levels(session: Session, kind: SubjectKind, subject_ids: Iterable[int]) -> dict[int, LevelPublic]:
    """subject → its current published level, with the trend against its previous one (one query)."""
    ids = sorted({int(i) for i in subject_ids if i is not None})
    if not ids:
        return {}
    r, p = RatingResult, RatingPeriod
    year_first = case((col(p.kind) == PeriodKind.year, 0), else_=1)
    ranked = (
        select(
            col(r.subject_id).label("subject_id"),
            col(r.stars).label("stars"),
            col(r.corrected_at).label("corrected_at"),
            col(p.title).label("title"),
            col(p.kind).label("kind"),
            func.row_number()
            .over(
                partition_by=(col(r.subject_id), col(p.kind)),
                order_by=(col(p.ends_on).desc(), col(p.id).desc()),
            )
            .label("rn_kind"),
            func.row_number()
            .over(
                partition_by=col(r.subject_id),
                order_by=(col(p.ends_on).desc(), year_first, col(p.id).desc()),
            )
            .label("rn"),
        )
        .join(p, col(p.id) == col(r.period_id))
        .where(
            col(r.subject_kind) == kind,
            col(r.subject_id).in_(ids),
            col(r.published_at).is_not(None),
            col(r.stars).is_not(None),
        )
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.rn_kind <= 2)).all()
    current: dict[int, Any] = {}
    previous: dict[tuple[int, str], int] = {}
    for row in rows:
        if row.rn == 1:
            current[row.subject_id] = row
        if row.rn_kind == 2:
            previous[(row.subject_id, row.kind)] = row.stars
    return {
        sid: LevelPublic(
            stars=row.stars,
            label=STAR_LABELS[row.stars],
            period_title=row.title,
            trend=_trend(row.stars, previous.get((sid, row.kind))),
            corrected=row.corrected_at is not None,
        )
        for sid, row in current.items()
    }


def member_levels(session: Session, member_ids: Iterable[int]) -> dict[int, LevelPublic]:
    """member id → current published level (members never rated or not yet published are absent)."""
    return _levels(session, SubjectKind.member, member_ids)


def unit_levels(session: Session, unit_ids: Iterable[int]) -> dict[int, LevelPublic]:
    """unit id → current published level; only branches are rated (other units are absent)."""
    return _levels(session, SubjectKind.branch, unit_ids)


# ---------------------------------------------------------------- the star board (创星榜)


def _scope(session: Session, unit: OrgUnit) -> tuple[list[int], int | None]:
    """The branches a unit's star board covers, and the group it is narrowed to (a group's board)."""
    if unit.kind == UnitKind.group:
        branch = org_service.branch_of(session, unit)
        return ([branch.id or 0] if branch else []), unit.id
    ids = session.execute(
        org_service.subtree_ids([unit.path], kind=UnitKind.branch).where(col(OrgUnit.archived_at).is_(None))
    ).scalars()
    return [int(i) for i in ids], None


def _shown_period(
    session: Session, branch_ids: list[int], group_id: int | None
) -> tuple[RatingPeriod | None, RatingPeriod | None]:
    """The period whose published results this board shows, and a newer one still being published.

    A board shows one period, so its counts (五星级党员 63 名) and its names speak of the same
    quarter: the latest period (a year before a quarter ending the same day) with published levels in
    the board's branches that is published in all of them. While a newer period is published branch
    by branch, the board keeps the whole one (the newer is returned beside it, to be announced); with
    no whole one yet (the very first period), the partly published one is shown (and announced)."""
    if not branch_ids:
        return None, None
    r, p, s = RatingResult, RatingPeriod, RatingBranchStatus
    where: list[Any] = [col(r.branch_id).in_(branch_ids), col(r.published_at).is_not(None), col(r.stars).is_not(None)]
    if group_id is not None:
        where.append(col(r.unit_id) == group_id)
    partly = (
        exists()
        .where(col(s.period_id) == col(p.id), col(s.branch_id).in_(branch_ids), col(s.published_at).is_(None))
        .label("partly")
    )
    stmt = (
        select(p, partly)
        .where(col(p.id).in_(select(col(r.period_id)).where(*where)))
        .order_by(col(p.ends_on).desc(), case((col(p.kind) == PeriodKind.year, 0), else_=1), col(p.id).desc())
    )
    rows = session.execute(stmt).all()
    if not rows:
        return None, None
    whole = next((period for period, part in rows if not part), None)
    if whole is None:
        return rows[0][0], rows[0][0]
    newest, newest_partly = rows[0]
    return whole, (newest if newest_partly else None)


def _publishing_note(session: Session, period: RatingPeriod, shown: RatingPeriod, branch_ids: list[int]) -> str | None:
    """“2026年第四季度星级正在陆续公布（已公布 3 / 37 个党支部）……” for a period published branch by
    branch (None before any branch of the board is published)."""
    s = RatingBranchStatus
    total, done = session.execute(
        select(func.count(), func.count(col(s.published_at))).where(
            col(s.period_id) == period.id, col(s.branch_id).in_(branch_ids)
        )
    ).one()
    if not done:
        return None
    then = "其余党支部公布后在此补全" if period.id == shown.id else f"全部公布后本榜换为{period.title}结果"
    return f"{period.title}星级正在陆续公布（已公布 {done} / {total} 个党支部），{then}。"


def _previous_period_ids(session: Session, period: RatingPeriod) -> list[int]:
    """Earlier periods of the same kind and unit, newest first (for the trend)."""
    stmt = (
        select(col(RatingPeriod.id))
        .where(
            col(RatingPeriod.unit_id) == period.unit_id,
            col(RatingPeriod.kind) == period.kind,
            col(RatingPeriod.ends_on) < period.ends_on,
        )
        .order_by(col(RatingPeriod.ends_on).desc())
    )
    return [int(i) for i in session.execute(stmt).scalars()]


def _honours(session: Session, unit: OrgUnit, year: int) -> list[HonourPublic]:
    committees = org_service.ancestor_ids(unit)
    h, pl = Honour, Pledge
    rows = session.execute(
        select(
            col(h.kind),
            col(pl.title),
            col(pl.owner_kind),
            col(pl.unit_id),
            col(Member.name),
            members_service.named_sql(),
        )
        .join(pl, col(pl.id) == col(h.pledge_id))
        .outerjoin(Member, col(Member.id) == col(pl.member_id))
        .where(col(h.unit_id).in_(committees), col(h.year) == year, col(h.selected_at).is_not(None))
        .order_by(col(h.kind), col(h.selected_at), col(h.id))
    ).all()
    units = org_service.units_by_id(session, [int(row[3]) for row in rows])
    out = []
    for kind, title, owner_kind, unit_id, member_name, named in rows:
        unit_name = units[int(unit_id)].name if int(unit_id) in units else ""
        owner = member_name if owner_kind == OwnerKind.member and member_name and named else unit_name
        out.append(HonourPublic(kind_label=HONOUR_KIND_LABELS[kind], title=mask_personal(title), owner_name=owner))
    # 十佳支书: the secretary by name when the boards may name them, with their branch
    secretaries = session.execute(
        select(col(Member.name), members_service.named_sql(), col(OrgUnit.name))
        .select_from(h)
        .join(Member, col(Member.id) == col(h.member_id))
        .join(OrgUnit, col(OrgUnit.id) == col(h.branch_id))
        .where(
            col(h.unit_id).in_(committees),
            col(h.year) == year,
            col(h.kind) == HonourKind.secretary.value,
            col(h.selected_at).is_not(None),
        )
        .order_by(col(h.selected_at), col(h.id))
    ).all()
    for name, named, branch_name in secretaries:
        title = f"{name}（{branch_name}书记）" if named else f"{branch_name}书记"
        out.append(HonourPublic(kind_label=HONOUR_KIND_LABELS[HonourKind.secretary], title=title, owner_name=""))
    return out


def star_board(session: Session, unit: OrgUnit) -> StarBoardPublic:
    """The 创星榜 of a unit: counts per level in the seeds' words, branches and members by level (with
    ↑ 晋星 / ↓ against the previous period), the year's 十佳 and the period it shows."""
    branch_ids, group_id = _scope(session, unit)
    period, newer = _shown_period(session, branch_ids, group_id)
    empty = StarBoardPublic(
        unit_id=unit.id or 0,
        unit_name=unit.name,
        period_title=None,
        period_kind=None,
        year=None,
        counts=[],
        branches=[],
        members=[],
        honours=[],
    )
    if period is None:
        return empty
    r = RatingResult
    where: list[Any] = [
        col(r.period_id) == period.id,
        col(r.branch_id).in_(branch_ids),
        col(r.published_at).is_not(None),
        col(r.stars).is_not(None),
    ]
    if group_id is not None:
        where.append(col(r.unit_id) == group_id)
    results = list(session.execute(select(r).where(*where)).scalars())
    members = [x for x in results if x.subject_kind == SubjectKind.member]
    branches = [x for x in results if x.subject_kind == SubjectKind.branch and group_id is None]
    previous = _previous_levels(session, period, results)
    counts = [
        LevelCount(subject="branch", stars=s, count=n, text=f"{BRANCH_WORDS[s]} {n} 个") for s, n in _counts(branches)
    ] + [LevelCount(subject="member", stars=s, count=n, text=f"{MEMBER_WORDS[s]} {n} 名") for s, n in _counts(members)]
    units = org_service.units_by_id(session, {x.unit_id for x in results} | {x.subject_id for x in branches})
    named = _named_members(session, [x.subject_id for x in members])
    return StarBoardPublic(
        unit_id=unit.id or 0,
        unit_name=unit.name,
        period_title=period.title,
        period_kind=period.kind,
        year=period.year,
        counts=counts,
        branches=_groups(
            [(x, units[x.subject_id].name if x.subject_id in units else "", units.get(x.subject_id)) for x in branches],
            previous,
        ),
        members=_groups(
            [(x, named[x.subject_id], units.get(x.unit_id)) for x in members if x.subject_id in named], previous
        ),
        honours=_honours(session, unit, period.year),
        publishing=_publishing_note(session, newer, period, branch_ids) if newer is not None else None,
    )


def _counts(results: list[RatingResult]) -> list[tuple[int, int]]:
    by: dict[int, int] = defaultdict(int)
    for x in results:
        by[int(x.stars or 1)] += 1
    return sorted(by.items(), reverse=True)


def _previous_levels(session: Session, period: RatingPeriod, results: list[RatingResult]) -> dict[tuple[str, int], int]:
    """(subject kind, id) → the published level in the latest earlier period that has one."""
    earlier = _previous_period_ids(session, period)
    if not earlier or not results:
        return {}
    r = RatingResult
    rows = session.execute(
        select(col(r.subject_kind), col(r.subject_id), col(r.stars), col(r.period_id)).where(
            col(r.period_id).in_(earlier),
            col(r.subject_id).in_({x.subject_id for x in results}),
            col(r.published_at).is_not(None),
            col(r.stars).is_not(None),
        )
    ).all()
    order = {pid: i for i, pid in enumerate(earlier)}
    best: dict[tuple[str, int], tuple[int, int]] = {}
    for kind, sid, stars, pid in rows:
        key = (str(kind), int(sid))
        rank = order[int(pid)]
        if key not in best or rank < best[key][0]:
            best[key] = (rank, int(stars))
    return {k: v[1] for k, v in best.items()}


def _named_members(session: Session, member_ids: list[int]) -> dict[int, str]:
    """The members a public board may name: active and consenting to boards."""
    if not member_ids:
        return {}
    rows = session.execute(
        select(col(Member.id), col(Member.name)).where(col(Member.id).in_(member_ids), members_service.named_sql())
    ).all()
    return {int(i): str(n) for i, n in rows}


def _groups(
    entries: list[tuple[RatingResult, str, OrgUnit | None]], previous: dict[tuple[str, int], int]
) -> list[LevelGroupPublic]:
    by: dict[int, list[StarEntryPublic]] = defaultdict(list)
    for x, name, where in sorted(entries, key=lambda e: (-(e[0].stars or 1), e[1])):
        stars = int(x.stars or 1)
        if len(by[stars]) >= NAMES_PER_LEVEL:
            continue
        by[stars].append(
            StarEntryPublic(
                name=name,
                unit_name=where.name if where else "",
                trend=_trend(stars, previous.get((str(x.subject_kind), x.subject_id))),
                corrected=x.corrected_at is not None,
            )
        )
    return [LevelGroupPublic(stars=s, label=STAR_LABELS[s], entries=by[s]) for s in sorted(by, reverse=True)]
