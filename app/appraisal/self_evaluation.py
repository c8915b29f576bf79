"""季度自评: each quarter the branch's secretary scores the branch on the committee's rubric (the 五好
items of `PolicyRules.appraisal.self_rubric`), points and a short text per item, with evidence photos
(re-encoded without EXIF by core.images, as the pledges' photos), and submits it; the committee sees
it beside its own assessment of the branch (ratings' 组织考评 of the quarter) and may return it with
a reason. draft ──submit──▶ submitted ──return──▶ draft, through the house's lifecycle engine (one
hash-chained event per move). Saving is allowed in draft only, with If-Match (version 0: none yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.appraisal.models import SelfEvaluation, SelfEvaluationEvent, SelfEvaluationPhoto, SelfEvaluationStatus
from app.appraisal.schemas import (
    SelfEvaluationItem,
    SelfEvaluationPhotoRead,
    SelfEvaluationRead,
    SelfEvaluationWrite,
)
from app.core import chain, images, lifecycle
from app.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from app.core.permissions import Actor, Permission, allowed, require
from app.core.storage import get_storage
from app.core.time import today_local, utcnow
from app.org.models import OrgUnit
from app.ratings.models import Assessment, PeriodKind, RatingPeriod, SubjectKind
from app.ratings.periods import actor_name
from app.ratings.policy import effective
from app.ratings.rules import RubricItem

CHAIN = chain.Spec.lifecycle("self_evaluation", "self_evaluation_id")
MAX_NOTE = 200
MAX_PHOTOS_PER_ITEM = 6
MEDIA = "/api/v1/appraisal/media"


class SelfAction(StrEnum):
    submit = "submit"  # 提交
    return_ = "return"  # 退回修改


class Who(StrEnum):
    branch = "branch"  # the secretary (rating.manage)
    committee = "committee"  # rating.admin


PERMISSION = {Who.branch: Permission.rating_manage, Who.committee: Permission.rating_admin}
TABLE = lifecycle.Table(
    (
        lifecycle.Row(SelfEvaluationStatus.draft, SelfAction.submit, SelfEvaluationStatus.submitted, Who.branch),
        lifecycle.Row(
            SelfEvaluationStatus.submitted,
            SelfAction.return_,
            SelfEvaluationStatus.draft,
            Who.committee,
            reason_required=True,
        ),
    )
)
STATUS_LABELS = {SelfEvaluationStatus.draft: "填写中", SelfEvaluationStatus.submitted: "已提交"}
ACTION_LABELS = {"submit": "提交", "return": "退回修改", "save": "保存", "photo": "上传照片"}


@dataclass(frozen=True)
class Located:
    evaluation: SelfEvaluation
    branch: OrgUnit


def rubric(session: Session, branch: OrgUnit) -> list[RubricItem]:
    rules, _ = effective(session, branch)
    return list(rules.appraisal.self_rubric)


def _authorize(actor: Actor, located: Located, who: Any) -> None:
    require(actor, PERMISSION[Who(who)], located.branch)


def _validate(step: lifecycle.Step[Located, Any, Any]) -> None:
    if step.row.action != SelfAction.submit:
        return
    ev = step.subject.evaluation
    keys = step.inputs.get("keys", [])
    missing = [label for key, label in keys if ev.items.get(key) is None]
    if missing:
        raise Unprocessable(
            "还有项目没有打分：" + "、".join(missing),
            code="self_evaluation_incomplete",
            errors=[{"field": "items", "message": f"{m}未打分"} for m in missing],
        )


def _enter(session: Session, step: lifecycle.Step[Located, Any, Any]) -> None:
    ev = step.subject.evaluation
    ev.submitted_at = step.at if step.row.action == SelfAction.submit else None
    ev.updated_at = step.at
    session.add(ev)


def _write(session: Session, steps: Sequence[lifecycle.Step[Located, Any, Any]]) -> None:
    rows = [
        {
            "self_evaluation_id": s.subject.evaluation.id or 0,
            "action": s.row.action.value,
            "from_status": s.row.source.value,
            "to_status": s.row.target.value,
            "actor_account_id": None if s.actor.system else s.actor.account_id,
            "actor_name": actor_name(session, s.actor)[:40],
            "reason": s.reason,
            "data": s.data,
            "at": s.at,
        }
        for s in steps
    ]
    chain.append(session, SelfEvaluationEvent, CHAIN, rows)


def _more(actor: Actor, located: Located) -> list[str]:
    draft = located.evaluation.status == SelfEvaluationStatus.draft
    return ["save", "photo"] if draft and allowed(actor, Permission.rating_manage, located.branch) else []


SELF_EVALUATIONS: lifecycle.Lifecycle[Located, SelfEvaluationStatus, SelfAction] = lifecycle.Lifecycle(
    name="self_evaluation",
    noun="季度自评",
    table=TABLE,
    status_labels=STATUS_LABELS,
    action_labels=ACTION_LABELS,
    record=lambda located: located.evaluation,
    authorize=_authorize,
    write_events=_write,
    enter=_enter,
    validate=_validate,
    more_actions=_more,
)


def check_quarter(year: int, quarter: int) -> None:
    today = today_local()
    if not (1 <= quarter <= 4) or (year, quarter) > (today.year, (today.month - 1) // 3 + 1) or year < 2000:
        raise NotFound("没有这个季度的自评（只能填写本季度和以前的季度）", code="quarter_not_found")


def load(
    session: Session, branch_id: int, year: int, quarter: int, *, for_update: bool = False
) -> SelfEvaluation | None:
    stmt = select(SelfEvaluation).where(
        col(SelfEvaluation.branch_id) == branch_id,
        col(SelfEvaluation.year) == year,
        col(SelfEvaluation.quarter) == quarter,
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def assessments(session: Session, branch_ids: Sequence[int], year: int, quarter: int) -> dict[int, tuple[float, float]]:
    """The committee's own 组织考评 of each branch in the quarter's rating period: (points, max). One query."""
    stmt = (
        select(col(Assessment.subject_id), col(Assessment.points), col(Assessment.max_points))
        .join(RatingPeriod, col(RatingPeriod.id) == col(Assessment.period_id))
        .where(
            col(RatingPeriod.kind) == PeriodKind.quarter.value,
            col(RatingPeriod.year) == year,
            col(RatingPeriod.quarter) == quarter,
            col(Assessment.subject_kind) == SubjectKind.branch.value,
            col(Assessment.subject_id).in_(list(branch_ids)),
        )
    )
    return {int(b): (float(p), float(m)) for b, p, m in session.execute(stmt).all()}


def _photo_read(p: SelfEvaluationPhoto) -> SelfEvaluationPhotoRead:
    return SelfEvaluationPhotoRead(
        id=int(p.id or 0),
        item_key=p.item_key,
        url=f"{MEDIA}/{p.key}",
        thumb_url=f"{MEDIA}/{p.thumb_key}",
        width=p.width,
        height=p.height,
    )


def read(
    session: Session, actor: Actor, branch: OrgUnit, year: int, quarter: int, ev: SelfEvaluation | None
) -> SelfEvaluationRead:
    items = rubric(session, branch)
    photos: dict[str, list[SelfEvaluationPhotoRead]] = {}
    if ev is not None and ev.id is not None:
        for p in session.execute(
            select(SelfEvaluationPhoto)
            .where(col(SelfEvaluationPhoto.self_evaluation_id) == ev.id)
            .order_by(col(SelfEvaluationPhoto.id))
        ).scalars():
            photos.setdefault(p.item_key, []).append(_photo_read(p))
    values = ev.items if ev else {}
    notes = ev.notes if ev else {}
    out_items = [
        SelfEvaluationItem(
            key=i.key,
            label=i.label,
            max_points=i.max_points,
            points=values.get(i.key),
            note=str(notes.get(i.key, "")),
            photos=photos.get(i.key, []),
        )
        for i in items
    ]
    if ev is None:
        actions = ["save", "photo"] if allowed(actor, Permission.rating_manage, branch) else []
    else:
        actions = SELF_EVALUATIONS.allowed_actions(actor, Located(ev, branch))
    assessed = assessments(session, [int(branch.id or 0)], year, quarter).get(int(branch.id or 0))
    return SelfEvaluationRead(
        branch_id=int(branch.id or 0),
        branch_name=branch.name,
        year=year,
        quarter=quarter,
        status=ev.status if ev else None,
        version=ev.version if ev else 0,
        items=out_items,
        points=float(sum(float(v) for k, v in values.items() if v is not None and k in {i.key for i in items})),
        max_points=sum(i.max_points for i in items),
        submitted_at=ev.submitted_at if ev else None,
        allowed_actions=actions,
        assessment_points=assessed[0] if assessed else None,
        assessment_max=assessed[1] if assessed else None,
    )


def get(session: Session, *, actor: Actor, branch: OrgUnit, year: int, quarter: int) -> SelfEvaluationRead:
    require(actor, Permission.rating_manage, branch)
    check_quarter(year, quarter)
    return read(session, actor, branch, year, quarter, load(session, int(branch.id or 0), year, quarter))


def _draft(
    session: Session, actor: Actor, branch: OrgUnit, year: int, quarter: int, expected_version: int | None
) -> SelfEvaluation:
    """The quarter's self-evaluation locked for a change in draft (created at version 0 → 1)."""
    require(actor, Permission.rating_manage, branch)
    check_quarter(year, quarter)
    ev = load(session, int(branch.id or 0), year, quarter, for_update=True)
    if ev is None:
        if expected_version not in (None, 0):
            raise PreconditionFailed(extra={"current_version": 0})
        ev = SelfEvaluation(branch_id=int(branch.id or 0), year=year, quarter=quarter, version=0)
        try:
            with session.begin_nested():
                session.add(ev)
                session.flush()
        except IntegrityError:  # created by someone else at the same moment
            raise PreconditionFailed("自评已被他人修改，请刷新后重试", code="stale_version") from None
        return ev
    if ev.status != SelfEvaluationStatus.draft:
        raise SELF_EVALUATIONS.wrong_state(actor, Located(ev, branch), "修改")
    lifecycle.check_version(ev, expected_version)
    return ev


def save(
    session: Session,
    *,
    actor: Actor,
    branch: OrgUnit,
    year: int,
    quarter: int,
    data: SelfEvaluationWrite,
    expected_version: int | None,
) -> SelfEvaluationRead:
    """Points and notes of the items sent (the others as they were); 422 naming each wrong one."""
    items = {i.key: i for i in rubric(session, branch)}
    errors: list[dict[str, str]] = []
    for key, value in data.items.items():
        item = items.get(key)
        if item is None:
            errors.append({"field": f"items.{key}", "message": "不是自评细则中的项目"})
        elif not (0 <= value <= item.max_points):
            errors.append({"field": f"items.{key}", "message": f"{item.label}的得分应在 0–{item.max_points} 分之间"})
    for key, note in data.notes.items():
        if key not in items:
            errors.append({"field": f"notes.{key}", "message": "不是自评细则中的项目"})
        elif len(note.strip()) > MAX_NOTE:
            errors.append({"field": f"notes.{key}", "message": f"{items[key].label}的说明不能超过 {MAX_NOTE} 字"})
    if errors:
        raise Unprocessable("；".join(e["message"] for e in errors), code="self_evaluation_invalid", errors=errors)
    ev = _draft(session, actor, branch, year, quarter, expected_version)
    ev.items = {**ev.items, **{k: round(float(v), 1) for k, v in data.items.items()}}
    ev.notes = {**ev.notes, **{k: v.strip() for k, v in data.notes.items()}}
    ev.version += 1
    ev.updated_at = utcnow()
    ev.updated_by_account_id = None if actor.system else actor.account_id
    session.add(ev)
    session.flush()
    return read(session, actor, branch, year, quarter, ev)


def act(
    session: Session,
    *,
    actor: Actor,
    branch: OrgUnit,
    year: int,
    quarter: int,
    action: SelfAction,
    expected_version: int | None,
    reason: str | None = None,
) -> SelfEvaluationRead:
    """提交 (the secretary; every item scored) or 退回修改 (the committee, with a reason)."""
    check_quarter(year, quarter)
    ev = load(session, int(branch.id or 0), year, quarter, for_update=True)
    if ev is None:
        raise Conflict("本季度的自评还没有填写", code="self_evaluation_empty")
    keys = [(i.key, i.label) for i in rubric(session, branch)]
    lifecycle.apply(
        session,
        SELF_EVALUATIONS,
        actor=actor,
        subject=Located(ev, branch),
        action=action,
        expected_version=expected_version,
        reason=reason,
        inputs={"keys": keys},
    )
    return read(session, actor, branch, year, quarter, ev)


def add_photo(
    session: Session,
    *,
    actor: Actor,
    branch: OrgUnit,
    year: int,
    quarter: int,
    item_key: str,
    data: bytes,
    expected_version: int | None,
) -> SelfEvaluationRead:
    """An evidence photo of one item (EXIF and every other tag dropped: only the pixels are kept)."""
    if item_key not in {i.key for i in rubric(session, branch)}:
        raise Unprocessable(
            "不是自评细则中的项目",
            code="self_evaluation_invalid",
            errors=[{"field": "item_key", "message": "不是自评细则中的项目"}],
        )
    processed = images.process_upload(data)  # 413 / 415 before anything is written
    ev = _draft(session, actor, branch, year, quarter, expected_version)
    count = sum(
        1
        for _ in session.execute(
            select(col(SelfEvaluationPhoto.id)).where(
                col(SelfEvaluationPhoto.self_evaluation_id) == ev.id, col(SelfEvaluationPhoto.item_key) == item_key
            )
        )
    )
    if count >= MAX_PHOTOS_PER_ITEM:
        raise Conflict(f"每个项目最多 {MAX_PHOTOS_PER_ITEM} 张照片", code="too_many_photos")
    storage = get_storage()
    shown = storage.put(processed.display.data, ext=processed.display.ext)
    thumb = storage.put(processed.thumb.data, ext=processed.thumb.ext)
    session.add(
        SelfEvaluationPhoto(
            self_evaluation_id=int(ev.id or 0),
            item_key=item_key,
            key=shown,
            thumb_key=thumb,
            content_type=processed.display.content_type,
            width=processed.display.width,
            height=processed.display.height,
            thumb_width=processed.thumb.width,
            thumb_height=processed.thumb.height,
            size_bytes=len(processed.display.data),
        )
    )
    ev.version += 1
    ev.updated_at = utcnow()
    session.add(ev)
    session.flush()
    return read(session, actor, branch, year, quarter, ev)


def photo_branch(session: Session, key: str) -> int | None:
    """The branch whose self-evaluation a stored photo (or thumbnail) belongs to."""
    stmt = (
        select(col(SelfEvaluation.branch_id))
        .join(SelfEvaluationPhoto, col(SelfEvaluationPhoto.self_evaluation_id) == col(SelfEvaluation.id))
        .where((col(SelfEvaluationPhoto.key) == key) | (col(SelfEvaluationPhoto.thumb_key) == key))
        .limit(1)
    )
    found = session.execute(stmt).scalar_one_or_none()
    return int(found) if found is not None else None
