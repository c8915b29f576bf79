"""述职 reports of a round: the secretary's submission (text and photos, late-marked), what each person
sees, the committee's scores (one per scorer and report), the results as aggregates, and publication
on the branch's board.

Who sees a report: `rating.manage` on its branch — its own secretary, and the committee over its
subtree (404 outside, 403 for a member who sees the branch). Only the branch's own secretary submits;
only the committee (`rating.admin` on the round's unit) scores and publishes, and nobody scores their
own report. A scorer reads back only their own score; everybody else reads counts and the mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.appraisal import debrief, debrief_slips
from app.appraisal import debrief_states as states
from app.appraisal.models_debrief import (
    DebriefAttachment,
    DebriefReport,
    DebriefRound,
    DebriefScore,
    DebriefStatus,
)
from app.appraisal.schemas_debrief import AttachmentRead, DebriefResult, ReportRead, ScoreRead
from app.core import images
from app.core.db import end_read_phase, insert_for, pk
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require
from app.core.permissions import scope as scope_paths
from app.core.time import today_local, utcnow
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import progress as pledge_photos
from app.ratings import policy as ratings_policy
from app.ratings import scoring
from app.ratings.models import PeerCombine

REPORT_NOT_FOUND = "未找到该述职报告，或不在您的管理范围内"
MAX_PHOTOS = 9
MAX_TEXT = 5000


@dataclass(frozen=True)
class Located:
    """A report with its round, the round's unit and the report's branch."""

    report: DebriefReport
    rnd: DebriefRound
    unit: OrgUnit
    branch: OrgUnit


def visible_report(session: Session, actor: Actor, report_id: int, *, for_update: bool = False) -> Located:
    """The report, or 404 when missing or outside the actor's scope; 403 when the actor sees the
    branch but holds no `rating.manage` there (a member)."""
    stmt: Any = select(DebriefReport).where(col(DebriefReport.id) == report_id)
    if for_update:
        stmt = stmt.with_for_update()
    report = session.execute(stmt).scalar_one_or_none()
    if report is None:
        raise NotFound(REPORT_NOT_FOUND, code="debrief_report_not_found")
    branch = org_service.get_unit(session, report.branch_id)
    try:
        require(actor, Permission.rating_manage, branch)
    except NotFound:
        raise NotFound(REPORT_NOT_FOUND, code="debrief_report_not_found") from None
    rnd = session.get(DebriefRound, report.round_id)
    assert rnd is not None
    return Located(report, rnd, org_service.get_unit(session, rnd.unit_id), branch)


# ---------------------------------------------------------------- reading


def combine(committee: float | None, representatives: float | None, weight: int) -> tuple[float | None, str]:
    """The combined score and its rule in words: the two means weighed by the round's representatives'
    share (`weight` per cent; the committee has the rest); a side without scores leaves the other alone."""
    if committee is not None and representatives is not None:
        combined = scoring.r1(committee * (100 - weight) / 100 + representatives * weight / 100)
        return combined, f"党委成员评分占 {100 - weight}%，党员群众代表评议占 {weight}%"
    if committee is not None:
        return committee, "没有代表评议，按党委成员评分计"
    if representatives is not None:
        return representatives, "没有党委成员评分，按代表评议计"
    return None, ""


def results(
    session: Session, unit: OrgUnit, report_ids: Sequence[int], weights: Mapping[int, int]
) -> dict[int, DebriefResult]:
    """Each report's result as aggregates (one GROUP BY of the committee's scores, one of the
    representatives' answers): the committee's mean, 去掉一个最高分和一个最低分 from five scorers when
    the policy trims the peers' scores (app.ratings.scoring); the representatives' mean; and the two
    combined by the round's weight (`weights`: report id → the representatives' per cent)."""
    if not report_ids:
        return {}
    trimmed = ratings_policy.effective(session, unit)[0].peer_combine == PeerCombine.trimmed
    rows = session.execute(
        select(
            col(DebriefScore.report_id),
            func.count(),
            func.sum(DebriefScore.total),
            func.min(DebriefScore.total),
            func.max(DebriefScore.total),
        )
        .where(col(DebriefScore.report_id).in_(report_ids))
        .group_by(col(DebriefScore.report_id))
    ).all()
    committee = {
        int(report_id): (int(count), scoring.peer_raw(total, count, low, high, trimmed=trimmed))
        for report_id, count, total, low, high in rows
    }
    answered = debrief_slips.answers(session, report_ids)
    out = {}
    for report_id in set(committee) | set(answered):
        count, score = committee.get(report_id, (0, None))
        reps, mean = answered.get(report_id, (0, None))
        rep_score = scoring.r1(mean) if mean is not None else None
        weight = weights.get(report_id, 0)
        combined, rule = combine(score, rep_score, weight)
        out[report_id] = DebriefResult(
            scorers=count,
            score=score,
            trimmed=trimmed and count >= 5,
            representatives=reps,
            representative_score=rep_score,
            representative_weight=weight,
            combined=combined,
            rule=rule,
        )
    return out


def _attachment_read(a: DebriefAttachment) -> AttachmentRead:
    base = f"/api/v1/debrief-reports/{a.report_id}/attachments/{a.id}"
    return AttachmentRead(id=a.id or 0, url=base, thumb_url=f"{base}?thumb=1", width=a.width, height=a.height)


def allowed_actions(actor: Actor, located: Located, own_branch: int | None) -> list[str]:
    rnd, report = located.rnd, located.report
    out = []
    if rnd.status in states.SUBMITTING and _is_own_secretary(actor, located, own_branch):
        out.append("submit")
    if debrief.is_admin(actor, located.unit):
        if rnd.status == DebriefStatus.scoring and report.author_account_id != actor.account_id:
            out.append("score")
        if rnd.status in debrief_slips.ISSUING and report.submitted_at is not None:
            out.append("print_slips")
        if rnd.status in states.FINAL and report.submitted_at is not None:
            out.append("unpublish" if report.published_at else "publish")
    return out


def own_branch_id(session: Session, actor: Actor) -> int | None:
    """The branch of the actor's own active membership (None for SYSTEM and non-members)."""
    if actor.system or actor.member_id is None:
        return None
    return members_service.get_member(session, actor.member_id).branch_id


def _is_own_secretary(actor: Actor, located: Located, own_branch: int | None) -> bool:
    """The branch's secretary: `rating.manage` on it, and a member of it (the committee, whose members
    sit in other branches, never submits for a branch)."""
    return own_branch == located.branch.id and allowed(actor, Permission.rating_manage, located.branch)


def _reads(session: Session, actor: Actor, rows: Sequence[Located]) -> list[ReportRead]:
    """Reports to their reads: attachments, results, my scores and authors in one query each."""
    ids = [pk(r.report) for r in rows]
    attachments: dict[int, list[AttachmentRead]] = {}
    if ids:
        for a in session.execute(
            select(DebriefAttachment)
            .where(col(DebriefAttachment.report_id).in_(ids))
            .order_by(col(DebriefAttachment.report_id), col(DebriefAttachment.sort_order))
        ).scalars():
            attachments.setdefault(a.report_id, []).append(_attachment_read(a))
    weights = {pk(r.report): r.rnd.representative_weight for r in rows}
    scored: dict[int, DebriefResult] = results(session, rows[0].unit, ids, weights) if rows else {}
    slip_counts = debrief_slips.counts(session, {(pk(r.rnd), r.report.branch_id) for r in rows})
    mine: dict[int, dict[str, float]] = {}
    if ids and not actor.system:
        for s in session.execute(
            select(DebriefScore).where(
                col(DebriefScore.report_id).in_(ids), col(DebriefScore.scorer_account_id) == actor.account_id
            )
        ).scalars():
            mine[s.report_id] = dict(s.items)
    names = members_service.member_names(
        session, [r.report.author_member_id for r in rows if r.report.author_member_id]
    )
    today = today_local()
    own_branch = own_branch_id(session, actor)
    out = []
    for located in rows:
        report, rnd = located.report, located.rnd
        show_result = debrief.is_admin(actor, located.unit) or rnd.status in states.FINAL
        out.append(
            ReportRead(
                id=pk(report),
                round_id=pk(rnd),
                round_title=rnd.title,
                round_status=rnd.status,
                branch_id=pk(located.branch),
                branch_name=located.branch.name,
                author_name=names.get(report.author_member_id or 0),
                text=report.text,
                submitted_at=report.submitted_at,
                updated_at=report.updated_at,
                late=report.late,
                overdue=report.submitted_at is None and debrief.is_late(rnd, today),
                published_at=report.published_at,
                attachments=attachments.get(pk(report), []),
                result=scored.get(pk(report)) if show_result else None,
                slips=slip_counts.get((pk(rnd), report.branch_id)),
                my_score=mine.get(pk(report)),
                allowed_actions=allowed_actions(actor, located, own_branch),
            )
        )
    return out


def read_report(session: Session, *, actor: Actor, located: Located) -> ReportRead:
    return _reads(session, actor, [located])[0]


def list_reports(
    session: Session, *, actor: Actor, rnd: DebriefRound, unit: OrgUnit, params: PageParams, late: bool | None = None
) -> Page[ReportRead]:
    """A round's reports the actor may see: the committee's whole subtree, a secretary their own branch."""
    paths = scope_paths(actor, Permission.rating_manage, empty_ok=True)
    stmt: Any = (
        select(DebriefReport, OrgUnit)
        .join(OrgUnit, col(OrgUnit.id) == col(DebriefReport.branch_id))
        .where(
            col(DebriefReport.round_id) == rnd.id,
            org_service.path_filter(paths) if paths else col(OrgUnit.id).is_(None),
        )
        .order_by(col(OrgUnit.path))
    )
    if late is not None:
        stmt = stmt.where(col(DebriefReport.late).is_(late))

    def transform(rows: Any) -> list[ReportRead]:
        branches = org_service.units_by_id(session, [r.branch_id for r in rows])
        return _reads(session, actor, [Located(r, rnd, unit, branches[r.branch_id]) for r in rows])

    return paginate(session, stmt, params, transform)


def my_reports(session: Session, *, actor: Actor, params: PageParams) -> Page[ReportRead]:
    """The reports I wrote as a secretary, newest round first, with their results once closed: the
    述职评议 part of the secretary's own record."""
    stmt: Any = (
        select(DebriefReport)
        .join(DebriefRound, col(DebriefRound.id) == col(DebriefReport.round_id))
        .where(col(DebriefReport.author_account_id) == (None if actor.system else actor.account_id))
        .order_by(col(DebriefRound.report_due).desc(), col(DebriefReport.id).desc())
    )

    def transform(rows: Any) -> list[ReportRead]:
        rounds = {
            r.id: r
            for r in session.execute(
                select(DebriefRound).where(col(DebriefRound.id).in_({x.round_id for x in rows}))
            ).scalars()
        }
        units = org_service.units_by_id(session, {x.branch_id for x in rows} | {r.unit_id for r in rounds.values()})
        return _reads(
            session,
            actor,
            [Located(x, rounds[x.round_id], units[rounds[x.round_id].unit_id], units[x.branch_id]) for x in rows],
        )

    return paginate(session, stmt, params, transform)


def attachment_file(session: Session, *, located: Located, attachment_id: int, thumb: bool) -> str:
    """The storage key of one of the report's photos (the loader checked who may see the report)."""
    a = session.get(DebriefAttachment, attachment_id)
    if a is None or a.report_id != located.report.id:
        raise NotFound("未找到该附件", code="media_not_found")
    return a.thumb_key if thumb else a.key


# ---------------------------------------------------------------- the secretary's submission


def _check_submit(session: Session, actor: Actor, located: Located, text: str, photos: int, existing: int) -> str:
    if not _is_own_secretary(actor, located, own_branch_id(session, actor)):
        raise Forbidden("只有本支部书记可以提交述职报告", code="forbidden.debrief.submit")
    if located.rnd.status not in states.SUBMITTING:
        raise Conflict(
            f"该述职评议当前为“{states.STATUS_LABELS[DebriefStatus(located.rnd.status)]}”，不能提交述职报告",
            code="debrief_round_wrong_state",
        )
    text = text.replace("\r\n", "\n").strip()  # a form's textarea sends CRLF
    if not text:
        raise Unprocessable("请填写述职报告", code="invalid", errors=[{"field": "text", "message": "必填"}])
    if existing + photos > MAX_PHOTOS:
        raise Unprocessable(
            f"每份述职报告最多 {MAX_PHOTOS} 张附件照片",
            code="too_many_photos",
            errors=[{"field": "photos", "message": "太多了"}],
        )
    return text


def submit(session: Session, *, actor: Actor, report_id: int, text: str, photos: Sequence[BinaryIO]) -> ReportRead:
    """The secretary saves the report (text, and photos added to those already there). A save after
    the round's `report_due` (China time) marks the report late; decoding the photos runs outside
    the write lock (as a pledge's progress photos: app.pledges.progress.store_photos, EXIF stripped)."""
    located = visible_report(session, actor, report_id)
    text = _check_submit(session, actor, located, text, len(photos), _count(session, located))
    end_read_phase(session)
    stored = pledge_photos.store_photos(_read(f) for f in photos)
    located = visible_report(session, actor, report_id, for_update=True)
    start = _count(session, located)
    text = _check_submit(session, actor, located, text, len(stored), start)
    report, now = located.report, utcnow()
    report.text = text
    report.author_account_id = actor.account_id
    report.author_member_id = actor.member_id
    report.submitted_at = report.submitted_at or now
    report.updated_at = now
    report.late = report.late or debrief.is_late(located.rnd, today_local())
    session.add(report)
    session.add_all(
        DebriefAttachment(
            report_id=pk(report),
            key=p.key,
            thumb_key=p.thumb_key,
            content_type=p.image.display.content_type,
            width=p.image.display.width,
            height=p.image.display.height,
            size_bytes=len(p.image.display.data),
            sort_order=start + i,
            created_at=now,
        )
        for i, p in enumerate(stored)
    )
    if report.published_at is not None:
        org_service.touch(session, [report.branch_id])
    session.flush()
    return read_report(session, actor=actor, located=located)


def _count(session: Session, located: Located) -> int:
    """How many photos the report has already."""
    stmt = select(func.count()).where(col(DebriefAttachment.report_id) == located.report.id)
    return int(session.execute(stmt).scalar_one())


def _read(file: BinaryIO) -> bytes:
    data = file.read(images.MAX_BYTES + 1)
    images.check_size(len(data))
    return data


# ---------------------------------------------------------------- the committee's scores


def score(session: Session, *, actor: Actor, located: Located, items: dict[str, float]) -> ScoreRead:
    """One committee member's score (an upsert: a second replaces the first); each rubric item from 0
    to its maximum, every item given; nobody scores their own report."""
    require(actor, Permission.rating_admin, located.branch)  # 403 for the secretary who sees it
    report, rnd = located.report, located.rnd
    if report.author_account_id is not None and report.author_account_id == actor.account_id:
        raise Forbidden("不能给自己的述职报告打分", code="forbidden.debrief.own")
    if rnd.status != DebriefStatus.scoring:
        raise Conflict(
            f"该述职评议当前为“{states.STATUS_LABELS[DebriefStatus(rnd.status)]}”，不能打分",
            code="debrief_round_wrong_state",
        )
    if report.submitted_at is None:
        raise Conflict("该党支部没有提交述职报告，不能打分", code="debrief_report_missing")
    rubric = {i.key: i for i in debrief.rubric_of(rnd)}
    errors = [{"field": f"items.{k}", "message": "没有这个评分项"} for k in items if k not in rubric]
    for key, item in rubric.items():
        value = items.get(key)
        if value is None:
            errors.append({"field": f"items.{key}", "message": f"请给“{item.label}”打分"})
        elif not 0 <= value <= item.max:
            errors.append({"field": f"items.{key}", "message": f"“{item.label}”的得分须在 0 到 {item.max} 之间"})
    if errors:
        raise Unprocessable("；".join(e["message"] for e in errors), code="debrief_score_invalid", errors=errors)
    values = {k: float(items[k]) for k in rubric}
    total = scoring.r1(sum(values.values()))
    now = utcnow()
    stmt = insert_for(session)(DebriefScore).values(
        report_id=pk(report), scorer_account_id=actor.account_id, items=values, total=total, scored_at=now
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["report_id", "scorer_account_id"],
            set_={
                "items": stmt.excluded["items"],
                "total": stmt.excluded["total"],
                "scored_at": stmt.excluded["scored_at"],
            },
        )
    )
    scorers = session.execute(select(func.count()).where(col(DebriefScore.report_id) == report.id)).scalar_one()
    return ScoreRead(report_id=pk(report), items=values, total=total, scored_at=now, scorers=int(scorers))


# ---------------------------------------------------------------- publication on the board


def set_published(session: Session, *, actor: Actor, located: Located, published: bool) -> ReportRead:
    """The committee puts a closed round's report on the branch's board (its text, masked) or takes it
    off; one round event each, and the branch's board is told (its cached page and ETag change)."""
    require(actor, Permission.rating_admin, located.branch)  # 403 for the secretary who sees it
    report, rnd = located.report, located.rnd
    if rnd.status not in states.FINAL:
        raise Conflict("评议结束后才能公开述职报告", code="debrief_round_wrong_state")
    if report.submitted_at is None:
        raise Conflict("该党支部没有提交述职报告", code="debrief_report_missing")
    if (report.published_at is not None) == published:
        return read_report(session, actor=actor, located=located)
    report.published_at = utcnow() if published else None
    report.published_by_account_id = actor.account_id if published else None
    session.add(report)
    debrief.event(
        session,
        rnd,
        actor=actor,
        action="publish_report" if published else "unpublish_report",
        data={"report_id": pk(report), "branch_id": report.branch_id},
    )
    org_service.touch(session, [report.branch_id])
    session.flush()
    return read_report(session, actor=actor, located=located)
