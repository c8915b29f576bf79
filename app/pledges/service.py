"""Pledges: drafting, the lifecycle (only through `act()` and the table in states.py), progress
with photos, supervision notes, lists, the review queue, due-date reminders — and the read functions
public boards use (`public_pledges_for_units`, `public_pledge`, `public_timeline`), and who may fetch a
stored photo (`check_media_access`).

Who sees a pledge: its owner always (an active member, wherever the pledge lives); inside the actor's
scope, everyone once it has been published (`published_at` set — it stays visible to the branch after
closing or cancelling); before that only those who vet it (Permission.pledge_review) and, for a
collective pledge, those who draft for the unit. Anything else is 404, as if it did not exist. Who may
do what, and what happens to a pledge when its member moves: see states.py.

Services take an explicit `actor`, flush and never commit: the request's session commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO, Literal

from sqlalchemy import ColumnElement, and_, func, insert, not_, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.core import images
from app.core.db import end_read_phase, pk
from app.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
from app.core.pagination import Page, PageParams, page_of, paginate
from app.core.permissions import ROLE_PERMISSIONS, Actor, Permission, Role, require
from app.core.privacy import mask_personal
from app.core.storage import get_storage
from app.core.time import today_local, utcnow
from app.members import service as members_service
from app.members.models import MemberStatus
from app.notifications import service as notifications
from app.notifications.service import Message
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges import states
from app.pledges.models import (
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    OwnerKind,
    Pledge,
    PledgeCategory,
    PledgeEvent,
    PledgeNote,
    PledgeOutcome,
    PledgePhoto,
    PledgeProgress,
    PledgeRevision,
    PledgeStatus,
    RevisionStatus,
)
from app.pledges.schemas import (
    BatchPublishResult,
    NoteRead,
    PhotoPublic,
    PhotoRead,
    PledgeCounts,
    PledgeCreate,
    PledgePublic,
    PledgeRead,
    PledgeUpdate,
    ProgressPublic,
    ProgressRead,
    RevisionRead,
    TimelineEntry,
    TimelineEntryPublic,
)
from app.pledges.states import Action, Who

MAX_PHOTOS = 9
MEDIA_PREFIX = "/api/v1/media/"
PRIVATE_FIELDS = frozenset({"helped_household"})
EDITABLE_FIELDS = ("title", "content", "category", "post", "year", "due_date", "helped_household")
REMINDER_DAYS = 7


@dataclass(frozen=True)
class Located:
    """A pledge and the org unit it lives in (whose path decides every permission)."""

    pledge: Pledge
    unit: OrgUnit


# ---------------------------------------------------------------- who may see and do what


def _owns(actor: Actor, pledge: Pledge) -> bool:
    """The actor's own individual pledge. `actor.member_id` is only set for an active member (see
    dependencies.pledge_actor): someone who left the roll owns nothing here any more."""
    return pledge.owner_kind == OwnerKind.member and actor.member_id is not None and pledge.member_id == actor.member_id


def _is_owner_person(actor: Actor, pledge: Pledge) -> bool:
    if pledge.owner_kind == OwnerKind.member:
        return _owns(actor, pledge)
    return pledge.created_by_account_id == actor.account_id


def _reviews_above_branch(actor: Actor, pledge: Pledge, unit_path: str) -> bool:
    """Whether the actor holds pledge.review on a unit above the pledge's branch (the committee), the
    only ones who may vet a pledge of their own."""
    branch = f"/{pledge.branch_id}/"
    return any(
        g.covers(unit_path) and branch not in g.unit_path and Permission.pledge_review in ROLE_PERMISSIONS[g.role]
        for g in actor.grants
    )


def can_see(actor: Actor, pledge: Pledge, unit_path: str) -> bool:
    if _is_owner_person(actor, pledge):
        return True
    if not actor.can_see(unit_path):
        return False
    if pledge.published_at is not None:
        return True
    return actor.has(Permission.pledge_review, unit_path) or (
        pledge.owner_kind == OwnerKind.unit and actor.has(Permission.pledge_collective, unit_path)
    )


def may(actor: Actor, pledge: Pledge, unit_path: str, who: Who) -> bool:
    """Whether `actor` may act as `who` on the pledge (the rules: states.py's docstring)."""
    if who == Who.reviewer:
        if _owns(actor, pledge):  # separation of duties: nobody vets their own pledge in their branch
            return _reviews_above_branch(actor, pledge, unit_path)
        return actor.has(Permission.pledge_review, unit_path)
    if pledge.owner_kind == OwnerKind.unit:
        return actor.has(Permission.pledge_collective, unit_path)
    # their own pledge wherever it lives (it stays with its branch when they move), as long as they
    # are a member somewhere; a secretary may act for a member who has no phone (a paper pledge)
    own = _owns(actor, pledge) and bool(actor.scope_paths(Permission.pledge_own))
    return own or actor.has(Permission.pledge_review, unit_path)


def _require_who(actor: Actor, located: Located, who: Who) -> None:
    if may(actor, located.pledge, located.unit.path, who):
        return
    if who == Who.reviewer:
        if _owns(actor, located.pledge) and actor.has(Permission.pledge_review, located.unit.path):
            raise Forbidden("不能审核自己的承诺，请上级党组织审核", code="forbidden.pledge.own_review")
        raise Forbidden("只有支部书记可以审核、公示、销诺或取消承诺", code="forbidden.pledge.review")
    if located.pledge.owner_kind == OwnerKind.unit:
        raise Forbidden("只有党小组长或支部书记可以办理集体承诺", code="forbidden.pledge.collective")
    raise Forbidden("只有承诺人本人（或支部书记代办）可以进行此操作", code="forbidden.pledge.own")


def allowed_actions(actor: Actor, pledge: Pledge, unit_path: str) -> list[str]:
    """What `actor` may do with the pledge now: transitions from the table plus edit, progress, note."""
    status = PledgeStatus(pledge.status)
    out = [t.action.value for t in states.actions_from(status) if may(actor, pledge, unit_path, t.who)]
    if status in states.EDITABLE and may(actor, pledge, unit_path, Who.owner):
        out.append("edit")
    if status in states.ACTIVE and may(actor, pledge, unit_path, Who.owner):
        out.append("progress")
    if status in states.ACTIVE and actor.has(Permission.pledge_note, unit_path):
        out.append("note")
    return out


def _wrong_state(actor: Actor, located: Located, what: str) -> Conflict:
    status = PledgeStatus(located.pledge.status)
    return Conflict(
        f"该承诺当前为“{states.STATUS_LABELS[status]}”，不能{what}",
        code="pledge_wrong_state",
        extra={
            "pledge_status": status.value,
            "allowed_actions": allowed_actions(actor, located.pledge, located.unit.path),
        },
    )


def check_version(pledge: Pledge, expected: int | None) -> None:
    """Optimistic concurrency: the client's If-Match must name the current version."""
    if expected is None:
        raise PreconditionRequired()
    if expected != pledge.version:
        raise PreconditionFailed(extra={"current_version": pledge.version})


def etag(pledge: Pledge) -> str:
    """The validator of a pledge's representation: `"<version>.<progress_count>"`.

    A progress report changes percent, progress_count and last_progress_at without a new version
    (it is an append that cannot conflict), so the count is part of the ETag. If-Match is checked
    against the version alone (dependencies.if_match), so an action the PWA queued offline behind a
    progress report on the same pledge still goes through — bumping the version on progress would
    make every such action 412."""
    return f'"{pledge.version}.{pledge.progress_count}"'


# ---------------------------------------------------------------- loading


def get_pledge(session: Session, pledge_id: int) -> Pledge:
    pledge = session.get(Pledge, pledge_id)
    if pledge is None:
        raise NotFound("未找到该承诺", code="pledge_not_found")
    return pledge


def member_ids_of(session: Session, pledge_ids: Iterable[int]) -> dict[int, int | None]:
    """Each pledge's member (None for a collective pledge), in one query (evaluation summaries)."""
    ids = set(pledge_ids)
    if not ids:
        return {}
    rows = session.execute(select(col(Pledge.id), col(Pledge.member_id)).where(col(Pledge.id).in_(ids))).all()
    return {int(pledge_id): member_id for pledge_id, member_id in rows}


def visible_pledge(session: Session, actor: Actor, pledge_id: int, *, for_update: bool = False) -> Located:
    """The pledge and its unit, or 404 when missing or not visible to the actor.

    `for_update` locks the row until the request commits (PostgreSQL; SQLite's writers are serialised
    anyway), so two concurrent writers cannot both pass the If-Match check: the second one waits, then
    sees the new version and gets 412."""
    # populate_existing: a row loaded earlier in the request (before end_read_phase) is read afresh
    pledge = session.get(Pledge, pledge_id, with_for_update=for_update or None, populate_existing=for_update)
    if pledge is not None:
        unit = org_service.get_unit(session, pledge.unit_id)
        if can_see(actor, pledge, unit.path):
            return Located(pledge, unit)
    raise NotFound("未找到该承诺，或不在您的管理范围内", code="pledge_not_found")


def _visibility(actor: Actor) -> ColumnElement[bool]:
    """SQL form of can_see()."""
    conds: list[ColumnElement[bool]] = [
        and_(col(Pledge.owner_kind) == OwnerKind.unit, col(Pledge.created_by_account_id) == actor.account_id)
    ]
    if actor.member_id is not None:
        conds.append(col(Pledge.member_id) == actor.member_id)
    read_paths = actor.scope_paths(Permission.pledge_read)
    if read_paths:
        conds.append(
            and_(col(Pledge.published_at).is_not(None), col(Pledge.unit_id).in_(org_service.subtree_ids(read_paths)))
        )
    review_paths = actor.scope_paths(Permission.pledge_review)
    if review_paths:
        conds.append(col(Pledge.unit_id).in_(org_service.subtree_ids(review_paths)))
    collective_paths = actor.scope_paths(Permission.pledge_collective)
    if collective_paths:
        conds.append(
            and_(
                col(Pledge.owner_kind) == OwnerKind.unit,
                col(Pledge.unit_id).in_(org_service.subtree_ids(collective_paths)),
            )
        )
    return or_(*conds)


# ---------------------------------------------------------------- shaping responses


def is_overdue(pledge: Pledge, today: date | None = None) -> bool:
    """Past its due date and not closed (only once approved: a draft is not yet a promise)."""
    return PledgeStatus(pledge.status) in states.DUE and pledge.due_date < (today or today_local())


def _overdue_sql(today: date) -> ColumnElement[bool]:
    return and_(col(Pledge.status).in_([s.value for s in states.DUE]), col(Pledge.due_date) < today)


def is_public(pledge: Pledge) -> bool:
    """On the boards: published and not yet withdrawn from view — which nothing ever is: a pledge
    cancelled after it was published stays, shown as 已取消 (nothing shown publicly is taken back)."""
    status = PledgeStatus(pledge.status)
    return status in states.PUBLIC or (status == PledgeStatus.cancelled and pledge.published_at is not None)


def _public_sql() -> ColumnElement[bool]:
    """SQL form of is_public()."""
    return or_(
        col(Pledge.status).in_([s.value for s in states.PUBLIC]),
        and_(col(Pledge.status) == PledgeStatus.cancelled, col(Pledge.published_at).is_not(None)),
    )


def to_read(
    pledge: Pledge,
    *,
    actor: Actor,
    unit: OrgUnit | None,
    member_name: str | None,
    revision: PledgeRevision | None = None,
    today: date | None = None,
) -> PledgeRead:
    path = unit.path if unit else ""
    read = PledgeRead.model_validate(pledge)
    status = PledgeStatus(pledge.status)
    read.member_name = member_name
    read.unit_name = unit.name if unit else ""
    read.category_label = CATEGORY_LABELS[PledgeCategory(pledge.category)]
    read.status_label = states.STATUS_LABELS[status]
    read.outcome_label = OUTCOME_LABELS[PledgeOutcome(pledge.outcome)] if pledge.outcome else None
    # the helped household: the branch's pledge.private holders, and the member who wrote it down
    show_private = actor.has(Permission.pledge_private, path) or _owns(actor, pledge)
    read.has_helped_household = pledge.helped_household is not None
    read.helped_household = pledge.helped_household if show_private else None
    read.overdue = is_overdue(pledge, today)
    read.allowed_actions = allowed_actions(actor, pledge, path) if unit else []
    if revision is not None:
        read.pending_revision = _revision_read(revision, show_private=show_private)
    return read


def _revision_read(revision: PledgeRevision, *, show_private: bool) -> RevisionRead:
    read = RevisionRead.model_validate(revision)
    if not show_private:
        read.changes = {k: v for k, v in read.changes.items() if k not in PRIVATE_FIELDS}
        read.previous = {k: v for k, v in read.previous.items() if k not in PRIVATE_FIELDS}
    return read


def reads_for(session: Session, actor: Actor, pledges: Sequence[Pledge]) -> list[PledgeRead]:
    """PledgeRead for many pledges in two queries (their units and members), whatever their number."""
    units = org_service.units_by_id(session, {p.unit_id for p in pledges})
    names = members_service.member_names(session, (p.member_id for p in pledges if p.member_id is not None))
    today = today_local()
    return [
        to_read(
            p,
            actor=actor,
            unit=units.get(p.unit_id),
            today=today,
            member_name=names.get(p.member_id) if p.member_id is not None else None,
        )
        for p in pledges
    ]


def read_one(session: Session, actor: Actor, located: Located) -> PledgeRead:
    pledge = located.pledge
    member_name = None
    if pledge.member_id is not None:
        member_name = members_service.get_member(session, pledge.member_id).name
    revision = _pending_revision(session, pk(pledge)) if pledge.status == PledgeStatus.revising else None
    return to_read(pledge, actor=actor, unit=located.unit, member_name=member_name, revision=revision)


def _photo_public(photo: PledgePhoto) -> PhotoPublic:
    return PhotoPublic(
        url=MEDIA_PREFIX + photo.key,
        thumb_url=MEDIA_PREFIX + photo.thumb_key,
        width=photo.width,
        height=photo.height,
        thumb_width=photo.thumb_width,
        thumb_height=photo.thumb_height,
    )


def _photo_read(photo: PledgePhoto) -> PhotoRead:
    return PhotoRead(id=pk(photo), key=photo.key, thumb_key=photo.thumb_key, **_photo_public(photo).model_dump())


def _photos_by_progress(session: Session, progress_ids: Iterable[int]) -> dict[int, list[PledgePhoto]]:
    ids = set(progress_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(PledgePhoto)
        .where(col(PledgePhoto.progress_id).in_(ids))
        .order_by(col(PledgePhoto.progress_id), col(PledgePhoto.sort_order), col(PledgePhoto.id))
    ).scalars()
    out: dict[int, list[PledgePhoto]] = {}
    for photo in rows:
        out.setdefault(photo.progress_id, []).append(photo)
    return out


def progress_read(progress: PledgeProgress, photos: Sequence[PledgePhoto]) -> ProgressRead:
    return ProgressRead(
        id=pk(progress),
        pledge_id=progress.pledge_id,
        text=progress.text,
        percent=progress.percent,
        author_name=progress.author_name,
        created_at=progress.created_at,
        photos=[_photo_read(p) for p in photos],
    )


# ---------------------------------------------------------------- events and the one way a status changes


def _actor_name(session: Session, actor: Actor | None) -> str:
    if actor is None:
        return "系统"
    return auth_service.get_account(session, actor.account_id).display_name


def _event_values(
    pledge: Pledge,
    *,
    action: str,
    source: PledgeStatus | None,
    target: PledgeStatus,
    actor: Actor | None,
    actor_name: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The columns of one pledge_event row (one event, or many in one INSERT)."""
    return {
        "pledge_id": pk(pledge),
        "action": action,
        "from_status": source.value if source else None,
        "to_status": target.value,
        "actor_account_id": actor.account_id if actor else None,
        "actor_name": actor_name,
        "reason": reason,
        "data": data,
        "at": at or utcnow(),
    }


def _event(session: Session, pledge: Pledge, *, actor: Actor | None, **values: Any) -> PledgeEvent:
    event = PledgeEvent(**_event_values(pledge, actor=actor, actor_name=_actor_name(session, actor), **values))
    session.add(event)
    return event


_STAMPS = {
    Action.submit: "submitted_at",
    Action.publish: "published_at",
    Action.close: "closed_at",
}


def _enter(pledge: Pledge, row: states.Transition, now: datetime) -> None:
    """Move the pledge along one row of the table: status, version, and the step's timestamps."""
    pledge.status = row.target
    pledge.version += 1
    pledge.updated_at = pledge.status_changed_at = now
    if row.action in _STAMPS:
        setattr(pledge, _STAMPS[row.action], now)
    if row.action == Action.approve and row.source == PledgeStatus.submitted:
        pledge.approved_at = now


# ---------------------------------------------------------------- drafting


def _owning_unit_for_collective(session: Session, actor: Actor, unit_id: int) -> tuple[OrgUnit, OrgUnit]:
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, Permission.pledge_collective, unit)
    if unit.kind not in (UnitKind.group, UnitKind.branch):
        raise Unprocessable(
            "集体承诺只能由党小组或党支部作出",
            code="pledge_bad_unit",
            errors=[{"field": "unit_id", "message": "请选择党小组或党支部"}],
        )
    branch = org_service.branch_of(session, unit)
    assert branch is not None
    return unit, branch


def create_pledge(session: Session, *, actor: Actor, data: PledgeCreate) -> Located:
    """A new draft: the caller's own, a member's entered by their secretary, or a unit's collective one."""
    member_id: int | None = None
    if data.unit_id is not None:
        unit, branch = _owning_unit_for_collective(session, actor, data.unit_id)
        owner_kind = OwnerKind.unit
    else:
        member_id = data.member_id if data.member_id is not None else actor.member_id
        if member_id is None:
            raise Unprocessable(
                "您的账号没有对应的党员信息，请选择为哪位党员登记承诺",
                code="pledge_member_required",
                errors=[{"field": "member_id", "message": "必填"}],
            )
        member, branch = members_service.visible_member(session, actor, member_id)
        if member_id == actor.member_id and actor.has(Permission.pledge_own, branch.path):
            pass
        else:
            require(actor, Permission.pledge_review, branch)
        if member.status != MemberStatus.active:
            raise Conflict("该党员已转出或不在册，不能新建承诺", code="member_inactive")
        unit = org_service.get_unit(session, member.group_id) if member.group_id else branch
        owner_kind = OwnerKind.member
    if unit.archived_at is not None or branch.archived_at is not None:
        raise Conflict("该组织已撤销", code="unit_archived")
    year = data.year or today_local().year
    due_date = data.due_date or date(year, 12, 31)
    _check_due_date(year, due_date)
    now = utcnow()
    pledge = Pledge(
        owner_kind=owner_kind,
        member_id=member_id,
        unit_id=pk(unit),
        branch_id=pk(branch),
        title=data.title,
        content=data.content,
        category=data.category,
        post=data.post,
        year=year,
        due_date=due_date,
        helped_household=data.helped_household,
        created_by_account_id=actor.account_id,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    session.add(pledge)
    session.flush()
    _event(session, pledge, action="create", source=None, target=PledgeStatus.draft, actor=actor, at=now)
    session.flush()
    return Located(pledge, unit)


def _check_due_date(year: int, due_date: date) -> None:
    """A due date lies in the pledge's year (a pledge is a year's promise: 年度承诺) and not in the
    past (China time). 422 on `due_date` otherwise."""
    if due_date < today_local():
        message = "完成时限不能早于今天"
    elif due_date.year != year:
        message = f"完成时限应在承诺年度（{year} 年）内"
    else:
        return
    raise Unprocessable(message, code="invalid_due_date", errors=[{"field": "due_date", "message": message}])


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


_REQUIRED_FIELDS = {
    "title": "标题",
    "content": "承诺内容",
    "category": "类别",
    "post": "岗位",
    "year": "年度",
    "due_date": "完成时限",
}


def _changes(pledge: Pledge, data: PledgeUpdate) -> dict[str, Any]:
    """The fields `data` really changes, validated against the pledge's kind."""
    given = data.model_dump(exclude_unset=True)
    for name, label in _REQUIRED_FIELDS.items():
        if name in given and given[name] is None:
            raise Unprocessable(f"{label}不能为空", code="invalid", errors=[{"field": name, "message": "不能为空"}])
    category = given.get("category", pledge.category)
    if "category" in given and (category == PledgeCategory.collective) != (pledge.owner_kind == OwnerKind.unit):
        raise Unprocessable(
            "个人承诺和集体承诺不能互相改变",
            code="pledge_bad_category",
            errors=[{"field": "category", "message": "不能改为这个类别"}],
        )
    if category != PledgeCategory.pairing:
        if given.get("helped_household"):
            raise Unprocessable(
                "只有结对帮扶承诺才能填写帮扶对象",
                code="invalid",
                errors=[{"field": "helped_household", "message": "只有结对帮扶承诺才能填写"}],
            )
        if pledge.helped_household is not None:
            given["helped_household"] = None
    changes = {k: v for k, v in given.items() if getattr(pledge, k) != v}
    if "year" in changes or "due_date" in changes:
        _check_due_date(changes.get("year", pledge.year), changes.get("due_date", pledge.due_date))
    return changes


def update_draft(
    session: Session, *, actor: Actor, located: Located, data: PledgeUpdate, expected_version: int | None
) -> Pledge:
    """Edit a draft in place (a returned pledge is a draft again). Published pledges are revised."""
    pledge = located.pledge
    _require_who(actor, located, Who.owner)
    check_version(pledge, expected_version)
    if PledgeStatus(pledge.status) not in states.EDITABLE:
        raise _wrong_state(actor, located, "直接修改（已公示的承诺请申请修改）")
    changes = _changes(pledge, data)
    if not changes:
        return pledge
    for name, value in changes.items():
        setattr(pledge, name, value)
    now = utcnow()
    pledge.version += 1
    pledge.updated_at = now
    session.add(pledge)
    status = PledgeStatus(pledge.status)
    _event(
        session,
        pledge,
        action="edit",
        source=status,
        target=status,
        actor=actor,
        data={"fields": sorted(changes)},
        at=now,
    )
    session.flush()
    return pledge


def revise(
    session: Session, *, actor: Actor, located: Located, data: PledgeUpdate, expected_version: int | None
) -> Pledge:
    """Propose a change to a published pledge: it goes back to the secretary (status `revising`), the
    board keeps the approved text until the change is approved, then shows that it changed."""
    pledge = located.pledge
    _require_who(actor, located, Who.owner)
    check_version(pledge, expected_version)
    if PledgeStatus(pledge.status) != PledgeStatus.published:
        raise _wrong_state(actor, located, states.ACTION_LABELS[Action.revise])
    changes = _changes(pledge, data)
    if not changes:
        raise Unprocessable("没有修改任何内容", code="no_changes")
    return act(
        session, actor=actor, located=located, action=Action.revise, expected_version=expected_version, changes=changes
    )


def _propose_revision(session: Session, actor: Actor, pledge: Pledge, changes: dict[str, Any]) -> dict[str, Any]:
    revision = PledgeRevision(
        pledge_id=pk(pledge),
        changes={k: _jsonable(v) for k, v in changes.items()},
        previous={k: _jsonable(getattr(pledge, k)) for k in changes},
        created_by_account_id=actor.account_id,
    )
    session.add(revision)
    session.flush()
    return {"revision_id": pk(revision), "fields": sorted(changes)}


def _decide_revision(
    session: Session, actor: Actor, pledge: Pledge, *, approve: bool, reason: str | None, now: datetime
) -> dict[str, Any] | None:
    """Apply (approve) or drop (return, cancel) the pending revision; the event's data."""
    revision = _pending_revision(session, pk(pledge))
    if revision is None:
        return None
    revision.decided_by_account_id = actor.account_id
    revision.decided_at = now
    session.add(revision)
    if approve:
        revision.status = RevisionStatus.approved
        pledge.revision_count += 1
        pledge.revised_at = now
        return {"revision_id": pk(revision), "changes": _apply_revision(pledge, revision)}
    revision.status = RevisionStatus.returned
    revision.reason = reason
    return {"revision_id": pk(revision)}


def _pending_revision(session: Session, pledge_id: int) -> PledgeRevision | None:
    stmt = (
        select(PledgeRevision)
        .where(col(PledgeRevision.pledge_id) == pledge_id, col(PledgeRevision.status) == RevisionStatus.pending)
        .order_by(col(PledgeRevision.id).desc())
    )
    return session.execute(stmt).scalars().first()


def _apply_revision(pledge: Pledge, revision: PledgeRevision) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for name, value in revision.changes.items():
        if name not in EDITABLE_FIELDS:
            continue
        new = date.fromisoformat(value) if name == "due_date" and value is not None else value
        old = getattr(pledge, name)
        setattr(pledge, name, new)
        diff[name] = {"private": True} if name in PRIVATE_FIELDS else {"from": _jsonable(old), "to": value}
    return diff


# ---------------------------------------------------------------- actions


def act(
    session: Session,
    *,
    actor: Actor,
    located: Located,
    action: Action,
    expected_version: int | None,
    reason: str | None = None,
    outcome: PledgeOutcome | None = None,
    changes: dict[str, Any] | None = None,
) -> Pledge:
    """Apply one row of the transition table — the only way a pledge's status changes. Checks who
    (403), the version (412), the state (409) and the required reason / outcome (422); then sets the
    new status, bumps the version and appends the event; then what follows: a revision recorded
    (`revise`, with its `changes`: see revise()), applied or dropped, notifications, boards told."""
    pledge = located.pledge
    _require_who(actor, located, states.WHO[action])
    check_version(pledge, expected_version)
    source = PledgeStatus(pledge.status)
    row = states.find(source, action)
    if row is None:
        raise _wrong_state(actor, located, states.ACTION_LABELS[action])
    if action == Action.revise and not changes:
        raise Unprocessable("申请修改请提交修改后的内容", code="revise_needs_changes")
    if row.reason_required and not reason:
        what = "核实意见" if action == Action.close else "原因"
        raise Unprocessable(f"请填写{what}", code="reason_required", errors=[{"field": "reason", "message": "必填"}])
    if row.outcome_required and outcome is None:
        raise Unprocessable(
            "请选择销诺结果（已兑现、部分兑现、未兑现）",
            code="outcome_required",
            errors=[{"field": "outcome", "message": "必填"}],
        )
    now = utcnow()
    _enter(pledge, row, now)
    data: dict[str, Any] | None = None
    if action == Action.close:
        pledge.outcome = outcome
        pledge.outcome_comment = reason
        data = {"outcome": outcome.value} if outcome is not None else None
    elif action == Action.revise and changes:
        data = _propose_revision(session, actor, pledge, changes)
    elif source == PledgeStatus.revising:
        data = _decide_revision(session, actor, pledge, approve=action == Action.approve, reason=reason, now=now)
    session.add(pledge)
    _event(
        session,
        pledge,
        action=action.value,
        source=source,
        target=row.target,
        actor=actor,
        reason=reason,
        data=data,
        at=now,
    )
    _after(session, actor=actor, located=located, action=action, source=source, reason=reason)
    session.flush()
    return pledge


def _owner_accounts(session: Session, pledges: Sequence[Pledge]) -> dict[int, int]:
    """pledge id → the account that owns it (the member's, or the drafter of a collective pledge)."""
    members = members_service.members_by_id(session, [p.member_id for p in pledges if p.member_id is not None])
    out: dict[int, int] = {}
    for p in pledges:
        if p.member_id is not None:
            member = members.get(p.member_id)
            account_id = member.account_id if member else None
        else:
            account_id = p.created_by_account_id
        if account_id is not None:
            out[pk(p)] = account_id
    return out


def _holders(session: Session, units: Iterable[OrgUnit], role: Role) -> dict[int, set[int]]:
    """unit id → accounts holding `role` on it or on an ancestor (one query for all units)."""
    units = list(units)
    ancestors = {u.id: org_service.ancestor_ids(u) for u in units}
    direct = org_service.role_holders(session, {a for ids in ancestors.values() for a in ids}, [role])
    return {uid: set().union(*(direct.get(a, set()) for a in ids)) for uid, ids in ancestors.items() if uid is not None}


OWNER_NEWS: dict[tuple[Action, str], tuple[str, str]] = {
    # (action, source kind) → (kind, title)
    (Action.return_, "submitted"): ("pledge_returned", "您的承诺被退回，请修改后重新提交"),
    (Action.return_, "revising"): ("revision_returned", "您的承诺修改申请未通过"),
    (Action.approve, "submitted"): ("pledge_approved", "您的承诺已通过审核（定诺）"),
    (Action.approve, "revising"): ("revision_approved", "您的承诺修改已通过，公示牌已更新"),
    (Action.publish, "*"): ("pledge_published", "您的承诺已公示（亮诺）"),
    (Action.close, "*"): ("pledge_closed", "您的承诺已销诺"),
    (Action.reopen, "*"): ("pledge_reopened", "销诺申请未通过，请继续践诺"),
    (Action.cancel, "*"): ("pledge_cancelled", "您的承诺已被取消"),
}
REVIEW_NEWS: dict[Action, tuple[str, str]] = {
    Action.submit: ("review_waiting", "有承诺等待审核（定诺）"),
    Action.request_close: ("close_waiting", "有承诺申请销诺，等待核实"),
    Action.revise: ("revision_waiting", "有已公示的承诺申请修改，等待审核"),
}


def pledge_message(pledge: Pledge, news: tuple[str, str], body: str | None = None) -> Message:
    """A notification about a pledge: `news` is (kind, title) from OWNER_NEWS / REVIEW_NEWS."""
    kind, title = news
    return Message(
        kind=kind,
        title=title,
        body=body or f"《{pledge.title}》",
        link=f"/pledges/{pk(pledge)}",
        subject_type="pledge",
        subject_id=pk(pledge),
    )


def _touch_pledges(session: Session, pledges: Sequence[Pledge]) -> None:
    """Tell boards that these pledges changed. A pledge is shown where it lives (its unit) and — boards
    find a member's pledges by the member — on the board of the member's CURRENT group and branch,
    which differ from the pledge's unit once the member moved. One query for the members, one touch."""
    units: set[int | None] = {p.unit_id for p in pledges}
    members = members_service.members_by_id(session, [p.member_id for p in pledges if p.member_id is not None])
    for member in members.values():
        units.update((member.branch_id, member.group_id))
    org_service.touch(session, units)


def _after(
    session: Session, *, actor: Actor, located: Located, action: Action, source: PledgeStatus, reason: str | None
) -> None:
    """What follows a transition: notifications, and boards told their content changed."""
    pledge = located.pledge
    if source in states.PUBLIC or is_public(pledge):
        _touch_pledges(session, [pledge])
    messages: list[tuple[Message, Iterable[int]]] = []
    news = OWNER_NEWS.get((action, source.value)) or OWNER_NEWS.get((action, "*"))
    if news is not None:
        owner = _owner_accounts(session, [pledge]).get(pk(pledge))
        if owner is not None and owner != actor.account_id:
            body = f"《{pledge.title}》"
            if action == Action.close and pledge.outcome:
                body += f"，结果：{OUTCOME_LABELS[PledgeOutcome(pledge.outcome)]}"
            if reason and action != Action.close:
                body += f"。原因：{reason}"
            messages.append((pledge_message(pledge, news, body), [owner]))
    if action in REVIEW_NEWS:
        secretaries = _holders(session, [located.unit], Role.secretary).get(pk(located.unit), set())
        messages.append((pledge_message(pledge, REVIEW_NEWS[action]), secretaries - {actor.account_id}))
    notifications.notify(session, messages)


_PUBLISH = states.TABLE[(PledgeStatus.approved, Action.publish)]


def publish_batch(
    session: Session, *, actor: Actor, unit: OrgUnit, pledge_ids: Sequence[int] | None = None
) -> BatchPublishResult:
    """Publish (亮诺) every approved pledge under `unit` at once (or the given ones): a branch's 公示.
    The actor's own pledge is left out (skipped) unless they may vet it (see may()).

    A fixed number of statements, however many pledges: one select, one update per pledge through the
    session's flush, one multi-row insert of events, one of notifications, one touch."""
    require(actor, Permission.pledge_review, unit)
    stmt = (
        select(Pledge)
        .where(
            col(Pledge.unit_id).in_(org_service.subtree_ids([unit.path])),
            col(Pledge.status) == PledgeStatus.approved,
        )
        .order_by(col(Pledge.id))
        .with_for_update()
    )
    if pledge_ids is not None:
        stmt = stmt.where(col(Pledge.id).in_(set(pledge_ids)))
    pledges = [p for p in session.execute(stmt).scalars() if may(actor, p, unit.path, Who.reviewer)]
    now = utcnow()
    name = _actor_name(session, actor)
    events = []
    for pledge in pledges:
        _enter(pledge, _PUBLISH, now)
        session.add(pledge)
        events.append(
            _event_values(
                pledge,
                action=Action.publish.value,
                source=PledgeStatus.approved,
                target=PledgeStatus.published,
                actor=actor,
                actor_name=name,
                data={"batch": True},
                at=now,
            )
        )
    published = [pk(p) for p in pledges]
    if events:
        session.flush()
        session.execute(insert(PledgeEvent), events)
        owners = _owner_accounts(session, pledges)
        news = OWNER_NEWS[(Action.publish, "*")]
        notifications.notify(
            session,
            [
                (
                    pledge_message(p, news),
                    [owners[pk(p)]] if owners.get(pk(p), actor.account_id) != actor.account_id else [],
                )
                for p in pledges
            ],
        )
        _touch_pledges(session, pledges)
    skipped = sorted(set(pledge_ids or []) - set(published))
    return BatchPublishResult(published=published, skipped=skipped)


# ---------------------------------------------------------------- progress and notes


def check_progress_allowed(actor: Actor, located: Located) -> None:
    """Only the owner reports progress, and only while the pledge is being kept (403 / 409)."""
    _require_who(actor, located, Who.owner)
    if PledgeStatus(located.pledge.status) not in states.ACTIVE:
        raise _wrong_state(actor, located, "报告进展（只有公示后、销诺前可以报告进展）")


@dataclass(frozen=True)
class StoredPhoto:
    """A photo re-encoded (display image and thumbnail) and stored durably, ready for its row."""

    key: str
    thumb_key: str
    image: images.ProcessedImage


def store_photos(uploads: Iterable[bytes]) -> list[StoredPhoto]:
    """Decode and re-encode every photo first (413 / 415 refuse the whole report, nothing stored),
    then store them durably (fsync'd and renamed) — before any row names them. No database here."""
    processed = [images.process_upload(data) for data in uploads]
    storage = get_storage()
    return [
        StoredPhoto(storage.put(p.display.data, ext=p.display.ext), storage.put(p.thumb.data, ext=p.thumb.ext), p)
        for p in processed
    ]


def photo_row(photo: StoredPhoto, *, pledge_id: int, progress_id: int, sort_order: int, at: datetime) -> PledgePhoto:
    image = photo.image
    return PledgePhoto(
        pledge_id=pledge_id,
        progress_id=progress_id,
        key=photo.key,
        thumb_key=photo.thumb_key,
        content_type=image.display.content_type,
        width=image.display.width,
        height=image.display.height,
        thumb_width=image.thumb.width,
        thumb_height=image.thumb.height,
        size_bytes=len(image.display.data),
        sort_order=sort_order,
        created_at=at,
    )


def _read_photo(file: BinaryIO) -> bytes:
    """A photo's bytes; 413 as soon as it is larger than a photo may be (never read further)."""
    data = file.read(images.MAX_BYTES + 1)
    images.check_size(len(data))
    return data


def _checked_progress(actor: Actor, located: Located, text: str, photo_count: int) -> str:
    """The report's text, stripped; 422 when empty or with too many photos; 403 / 409 (who, state)."""
    text = text.strip()
    if not text:
        raise Unprocessable("请填写进展情况", code="invalid", errors=[{"field": "text", "message": "必填"}])
    if photo_count > MAX_PHOTOS:
        raise Unprocessable(
            f"每次最多上传 {MAX_PHOTOS} 张照片",
            code="too_many_photos",
            errors=[{"field": "photos", "message": "太多了"}],
        )
    check_progress_allowed(actor, located)
    return text


def report_progress(
    session: Session,
    *,
    actor: Actor,
    located: Located,
    text: str,
    percent: int | None,
    photos: Sequence[BinaryIO],
) -> ProgressRead:
    """A progress report (践诺) over HTTP, in three phases, so that decoding and re-encoding up to nine
    photos never holds SQLite's write lock (nor a PostgreSQL row lock):

    1. reads: the caller authenticated and loaded the pledge; here the text, the photo count, who
       and the state are checked — then `end_read_phase()` ends that transaction;
    2. no transaction: each photo is read (413 past 10 MB), decoded and re-encoded (413 / 415 refuse
       the whole report) and stored durably;
    3. a fresh transaction: the pledge is loaded again FOR UPDATE and checked again (it may have been
       closed meanwhile: 409), and the rows are written (see _record_progress).

    The uploads themselves were received and hashed (Idempotency-Key fingerprint) before the route
    ran, so checking first saves the decoding, not the upload."""
    text = _checked_progress(actor, located, text, len(photos))
    end_read_phase(session)
    stored = store_photos(_read_photo(f) for f in photos)
    return _record_progress(
        session, actor=actor, pledge_id=pk(located.pledge), text=text, percent=percent, photos=stored
    )


def add_progress(
    session: Session,
    *,
    actor: Actor,
    located: Located,
    text: str,
    percent: int | None,
    uploads: Sequence[bytes],
) -> ProgressRead:
    """A progress report in the caller's one transaction (scripts, the demo, tests): the same checks,
    photos and rows as report_progress(), without ending the transaction in between."""
    text = _checked_progress(actor, located, text, len(uploads))
    return _record_progress(
        session, actor=actor, pledge_id=pk(located.pledge), text=text, percent=percent, photos=store_photos(uploads)
    )


def _record_progress(
    session: Session, *, actor: Actor, pledge_id: int, text: str, percent: int | None, photos: Sequence[StoredPhoto]
) -> ProgressRead:
    """Write a report's rows, after loading the pledge again FOR UPDATE and checking who and state
    again. Progress is an append, not an edit: it needs no If-Match and keeps the version (the ETag
    still changes: see etag())."""
    located = visible_pledge(session, actor, pledge_id, for_update=True)
    check_progress_allowed(actor, located)
    pledge = located.pledge
    now = utcnow()
    progress = PledgeProgress(
        pledge_id=pledge_id,
        author_account_id=actor.account_id,
        author_name=_actor_name(session, actor),
        text=text,
        percent=percent,
        photo_count=len(photos),
        created_at=now,
    )
    session.add(progress)
    session.flush()
    rows = [
        photo_row(photo, pledge_id=pledge_id, progress_id=pk(progress), sort_order=i, at=now)
        for i, photo in enumerate(photos)
    ]
    session.add_all(rows)
    pledge.progress_count += 1
    pledge.last_progress_at = now
    if percent is not None:
        pledge.percent = percent
    pledge.updated_at = now
    session.add(pledge)
    session.flush()
    _touch_pledges(session, [pledge])
    return progress_read(progress, rows)


def add_note(session: Session, *, actor: Actor, located: Located, text: str) -> NoteRead:
    """A supervision note (监督意见) by the supervision group; seen inside the branch only."""
    require(actor, Permission.pledge_note, located.unit)
    if PledgeStatus(located.pledge.status) not in states.ACTIVE:
        raise _wrong_state(actor, located, "添加监督意见")
    note = PledgeNote(
        pledge_id=pk(located.pledge),
        author_account_id=actor.account_id,
        author_name=_actor_name(session, actor),
        text=text,
    )
    session.add(note)
    session.flush()
    return NoteRead.model_validate(note)


# ---------------------------------------------------------------- lists


def _pledges_stmt(
    session: Session,
    *,
    actor: Actor,
    mine: bool = False,
    unit_id: int | None = None,
    member_id: int | None = None,
    statuses: Sequence[PledgeStatus] = (),
    category: PledgeCategory | None = None,
    overdue: bool | None = None,
    year: int | None = None,
    q: str | None = None,
) -> Select[Any]:
    stmt: Select[Any] = select(Pledge).where(_visibility(actor))
    if mine:
        mine_conds: list[ColumnElement[bool]] = [
            and_(col(Pledge.owner_kind) == OwnerKind.unit, col(Pledge.created_by_account_id) == actor.account_id)
        ]
        if actor.member_id is not None:
            mine_conds.append(col(Pledge.member_id) == actor.member_id)
        stmt = stmt.where(or_(*mine_conds))
    if unit_id is not None:
        unit = org_service.visible_unit(session, actor, unit_id)
        require(actor, Permission.pledge_read, unit)
        stmt = stmt.where(col(Pledge.unit_id).in_(org_service.subtree_ids([unit.path])))
    if member_id is not None:
        stmt = stmt.where(col(Pledge.member_id) == member_id)
    if statuses:
        stmt = stmt.where(col(Pledge.status).in_([s.value for s in statuses]))
    if category is not None:
        stmt = stmt.where(col(Pledge.category) == category)
    if overdue is not None:
        cond = _overdue_sql(today_local())
        stmt = stmt.where(cond if overdue else not_(cond))
    if year is not None:
        stmt = stmt.where(col(Pledge.year) == year)
    if q and q.strip():
        term = q.strip()
        stmt = stmt.where(
            or_(col(Pledge.title).contains(term, autoescape=True), col(Pledge.content).contains(term, autoescape=True))
        )
    return stmt


def list_pledges(session: Session, *, actor: Actor, params: PageParams, **filters: Any) -> Page[PledgeRead]:
    """Pledges the actor may see, newest change first, filtered (see _pledges_stmt); four queries."""
    stmt = _pledges_stmt(session, actor=actor, **filters).order_by(
        col(Pledge.status_changed_at).desc(), col(Pledge.id).desc()
    )
    return paginate(session, stmt, params, lambda rows: reads_for(session, actor, rows))


def counts(session: Session, *, actor: Actor, **filters: Any) -> PledgeCounts:
    """How many pledges by status, and how many overdue, among those the filters select."""
    base = _pledges_stmt(session, actor=actor, **filters).subquery()
    rows = session.execute(select(base.c.status, func.count()).group_by(base.c.status)).all()
    overdue = session.execute(
        select(func.count())
        .select_from(base)
        .where(base.c.status.in_([s.value for s in states.DUE]), base.c.due_date < today_local())
    ).scalar_one()
    by_status = {str(s): int(n) for s, n in rows}
    return PledgeCounts(total=sum(by_status.values()), overdue=int(overdue), by_status=by_status)


ReviewKind = Literal["review", "close", "revision"]
_REVIEW_STATUSES: dict[ReviewKind, PledgeStatus] = {
    "review": PledgeStatus.submitted,
    "close": PledgeStatus.closing,
    "revision": PledgeStatus.revising,
}


def review_queue(
    session: Session, *, actor: Actor, params: PageParams, kind: ReviewKind | None = None, unit_id: int | None = None
) -> Page[PledgeRead]:
    """The secretary's pledges waiting for approval, a revision's approval or closing: oldest first."""
    paths = org_service.scope_for(session, actor, Permission.pledge_review, unit_id)
    wanted = [_REVIEW_STATUSES[kind]] if kind else sorted(states.AWAITING_REVIEW)
    stmt = (
        select(Pledge)
        .where(
            col(Pledge.unit_id).in_(org_service.subtree_ids(paths)),
            col(Pledge.status).in_([s.value for s in wanted]),
        )
        .order_by(col(Pledge.status_changed_at), col(Pledge.id))
    )
    return paginate(session, stmt, params, lambda rows: reads_for(session, actor, rows))


# ---------------------------------------------------------------- timeline


@dataclass
class _History:
    events: list[PledgeEvent] = field(default_factory=list)
    progress: list[PledgeProgress] = field(default_factory=list)
    photos: dict[int, list[PledgePhoto]] = field(default_factory=dict)
    notes: list[PledgeNote] = field(default_factory=list)


def _history(session: Session, pledge_id: int, *, notes: bool) -> _History:
    h = _History()
    h.events = list(
        session.execute(
            select(PledgeEvent).where(col(PledgeEvent.pledge_id) == pledge_id).order_by(col(PledgeEvent.id))
        )
        .scalars()
        .all()
    )
    h.progress = list(
        session.execute(
            select(PledgeProgress).where(col(PledgeProgress.pledge_id) == pledge_id).order_by(col(PledgeProgress.id))
        )
        .scalars()
        .all()
    )
    h.photos = _photos_by_progress(session, (pk(p) for p in h.progress))
    if notes:
        h.notes = list(
            session.execute(
                select(PledgeNote).where(col(PledgeNote.pledge_id) == pledge_id).order_by(col(PledgeNote.id))
            )
            .scalars()
            .all()
        )
    return h


_KIND_ORDER = {"event": 0, "progress": 1, "note": 2}


def timeline(session: Session, *, actor: Actor, located: Located, params: PageParams) -> Page[TimelineEntry]:
    """The whole history of a pledge as the branch sees it: events, progress and supervision notes,
    newest first. Four queries, whatever the length of the history."""
    h = _history(session, pk(located.pledge), notes=True)
    entries: list[TimelineEntry] = []
    for e in h.events:
        entries.append(
            TimelineEntry(
                kind="event",
                id=pk(e),
                at=e.at,
                action=e.action,
                label=states.ACTION_LABELS.get(e.action, e.action),
                from_status=e.from_status,
                to_status=e.to_status,
                actor_name=e.actor_name,
                reason=e.reason,
                data=e.data,
            )
        )
    for p in h.progress:
        entries.append(
            TimelineEntry(
                kind="progress",
                id=pk(p),
                at=p.created_at,
                label="践诺进展",
                actor_name=p.author_name,
                text=p.text,
                percent=p.percent,
                photos=[_photo_read(ph) for ph in h.photos.get(pk(p), [])],
            )
        )
    for n in h.notes:
        entries.append(
            TimelineEntry(
                kind="note", id=pk(n), at=n.created_at, label="监督意见", actor_name=n.author_name, text=n.text
            )
        )
    entries.sort(key=lambda x: (x.at, _KIND_ORDER[x.kind], x.id), reverse=True)
    return page_of(entries, params)


# ---------------------------------------------------------------- public reads (for boards)


@dataclass
class PublicPledges:
    """Public pledges grouped by owner: `by_member[member_id]` and `by_unit[unit_id]` (collective).
    The owner is told here, not in PledgePublic (a public schema carries no internal ids)."""

    by_member: dict[int, list[PledgePublic]] = field(default_factory=dict)
    by_unit: dict[int, list[PledgePublic]] = field(default_factory=dict)


def _masked(value: Any) -> Any:
    return mask_personal(value) if isinstance(value, str) else value


def _public(pledge: Pledge, today: date, latest: ProgressPublic | None = None) -> PledgePublic:
    status = PledgeStatus(pledge.status)
    return PledgePublic(
        id=pk(pledge),
        owner_kind=OwnerKind(pledge.owner_kind),
        title=mask_personal(pledge.title),
        content=mask_personal(pledge.content),
        category=PledgeCategory(pledge.category),
        category_label=CATEGORY_LABELS[PledgeCategory(pledge.category)],
        post=mask_personal(pledge.post),
        year=pledge.year,
        due_date=pledge.due_date,
        status=status,
        status_label=states.STATUS_LABELS[status],
        outcome=PledgeOutcome(pledge.outcome) if pledge.outcome else None,
        outcome_label=OUTCOME_LABELS[PledgeOutcome(pledge.outcome)] if pledge.outcome else None,
        percent=pledge.percent,
        progress_count=pledge.progress_count,
        last_progress_at=pledge.last_progress_at,
        published_at=pledge.published_at,
        closed_at=pledge.closed_at,
        revision_count=pledge.revision_count,
        revised_at=pledge.revised_at,
        overdue=is_overdue(pledge, today),
        latest_progress=latest,
    )


def _progress_public(progress: PledgeProgress, photos: Sequence[PledgePhoto]) -> ProgressPublic:
    return ProgressPublic(
        id=pk(progress),
        text=mask_personal(progress.text),
        percent=progress.percent,
        created_at=progress.created_at,
        photos=[_photo_public(p) for p in photos],
    )


def _latest_progress(session: Session, pledge_ids: Sequence[int]) -> dict[int, ProgressPublic]:
    """pledge id → its latest progress report with photos; two queries for any number of pledges."""
    if not pledge_ids:
        return {}
    latest_ids = (
        select(func.max(col(PledgeProgress.id)))
        .where(col(PledgeProgress.pledge_id).in_(set(pledge_ids)))
        .group_by(col(PledgeProgress.pledge_id))
    )
    rows = list(session.execute(select(PledgeProgress).where(col(PledgeProgress.id).in_(latest_ids))).scalars())
    photos = _photos_by_progress(session, (pk(p) for p in rows))
    return {p.pledge_id: _progress_public(p, photos.get(pk(p), [])) for p in rows}


def public_pledges_for_units(
    session: Session,
    *,
    member_ids: Iterable[int] = (),
    unit_ids: Iterable[int] = (),
    year: int | None = None,
    with_progress: bool = True,
) -> PublicPledges:
    """What a board shows: the public pledges (published, being revised, asking to close, closed, and
    cancelled after publication) of these members and the collective pledges of these units,
    optionally of one year; each with its latest progress report when `with_progress`.

    At most three queries, however many members, units and pledges (no N+1): the pledges, the latest
    progress reports, their photos. Ordered by due date, then id. No private field is in the result."""
    members = set(member_ids)
    units = set(unit_ids)
    owner_conds: list[ColumnElement[bool]] = []
    if members:
        owner_conds.append(and_(col(Pledge.owner_kind) == OwnerKind.member, col(Pledge.member_id).in_(members)))
    if units:
        owner_conds.append(and_(col(Pledge.owner_kind) == OwnerKind.unit, col(Pledge.unit_id).in_(units)))
    result = PublicPledges()
    if not owner_conds:
        return result
    stmt = select(Pledge).where(or_(*owner_conds), _public_sql()).order_by(col(Pledge.due_date), col(Pledge.id))
    if year is not None:
        stmt = stmt.where(col(Pledge.year) == year)
    pledges = list(session.execute(stmt).scalars())
    latest = _latest_progress(session, [pk(p) for p in pledges]) if with_progress else {}
    today = today_local()
    for p in pledges:
        public = _public(p, today, latest.get(pk(p)))
        if p.owner_kind == OwnerKind.member and p.member_id is not None:
            result.by_member.setdefault(p.member_id, []).append(public)
        else:
            result.by_unit.setdefault(p.unit_id, []).append(public)
    return result


def _public_or_404(session: Session, pledge_id: int) -> Pledge:
    pledge = session.get(Pledge, pledge_id)
    if pledge is None or not is_public(pledge):
        raise NotFound("未找到该承诺", code="pledge_not_found")
    return pledge


def public_pledge(session: Session, pledge_id: int, *, with_progress: bool = True) -> PledgePublic:
    """One public pledge (404 unless it is on the boards), with its latest progress; ≤ 3 queries."""
    pledge = _public_or_404(session, pledge_id)
    latest = _latest_progress(session, [pledge_id]).get(pledge_id) if with_progress else None
    return _public(pledge, today_local(), latest)


_PUBLIC_EVENT_ACTIONS = {
    Action.publish.value,
    Action.request_close.value,
    Action.reopen.value,
    Action.close.value,
    Action.cancel.value,
}
_PUBLIC_LABELS = {
    Action.publish.value: "公开承诺（亮诺）",
    Action.request_close.value: "申请销诺",
    Action.reopen.value: "继续践诺",
    Action.close.value: "销诺",
    Action.cancel.value: "承诺取消",
    "revised": "承诺内容经审核修改",
}
_PUBLIC_FIELDS = ("title", "content", "category", "post", "due_date")


def _public_changes(data: dict[str, Any]) -> dict[str, Any]:
    """An approved revision as a board shows it: public fields only, old → new, masked."""
    return {
        name: {"from": _masked(diff.get("from")), "to": _masked(diff.get("to"))}
        for name, diff in (data.get("changes") or {}).items()
        if name in _PUBLIC_FIELDS
    }


def public_timeline(session: Session, pledge_id: int) -> list[TimelineEntryPublic]:
    """A public pledge's history for a board, newest first: when it was published, every progress
    report with its photos, approved revisions (old → new text), asking to close and the outcome, or
    that it was cancelled.

    Four queries, whatever the history's length. No reasons for returns or cancellations, no
    supervision notes, no names of whoever acted, never the helped household; free text masked."""
    _public_or_404(session, pledge_id)
    h = _history(session, pledge_id, notes=False)
    entries: list[tuple[datetime, int, int, TimelineEntryPublic]] = []
    for e in h.events:
        data = e.data or {}
        if e.action == Action.approve.value and e.from_status == PledgeStatus.revising.value:
            entry = TimelineEntryPublic(
                kind="event", at=e.at, action="revised", label=_PUBLIC_LABELS["revised"], changes=_public_changes(data)
            )
        elif e.action in _PUBLIC_EVENT_ACTIONS:
            closing = e.action == Action.close.value
            entry = TimelineEntryPublic(
                kind="event",
                at=e.at,
                action=e.action,
                label=_PUBLIC_LABELS[e.action],
                outcome=PledgeOutcome(data["outcome"]) if closing and data.get("outcome") else None,
                comment=mask_personal(e.reason) if closing and e.reason else None,
            )
        else:
            continue
        entries.append((e.at, 0, pk(e), entry))
    for p in h.progress:
        public = _progress_public(p, h.photos.get(pk(p), []))
        entries.append(
            (
                p.created_at,
                1,
                pk(p),
                TimelineEntryPublic(
                    kind="progress",
                    at=p.created_at,
                    label="践诺进展",
                    text=public.text,
                    percent=p.percent,
                    photos=public.photos,
                ),
            )
        )
    entries.sort(key=lambda x: (x[0], x[1], x[2]), reverse=True)
    return [e[3] for e in entries]


def check_media_access(session: Session, key: str, actor: Actor) -> None:
    """May this signed-in actor fetch this stored photo? Only when they can see a pledge it belongs
    to; 404 otherwise. The public reach photos through the boards' own addresses (/b/{token}/…/img),
    which check that the photo is on that board. Two queries."""
    rows = (
        session.execute(
            select(Pledge)
            .join(PledgePhoto, col(PledgePhoto.pledge_id) == col(Pledge.id))
            .where(or_(col(PledgePhoto.key) == key, col(PledgePhoto.thumb_key) == key))
            .distinct()
        )
        .scalars()
        .all()
    )
    units = org_service.units_by_id(session, {p.unit_id for p in rows})
    if not any(can_see(actor, p, units[p.unit_id].path) for p in rows if p.unit_id in units):
        raise NotFound("未找到该图片", code="media_not_found")


# ---------------------------------------------------------------- reminders


@dataclass(frozen=True)
class ReminderResult:
    due_soon: int
    overdue: int


def send_reminders(session: Session, *, today: date | None = None) -> ReminderResult:
    """Due-date reminders for pledges whose due date matters (states.DUE: approved, published, being
    revised, asking to close — the same pledges `overdue` counts): due within seven days, or overdue —
    to the owner and the supervisors of the pledge's unit. Each reminder exists at most once per
    pledge, due date and recipient (dedupe keys), so running this daily, or twice, or on several
    workers, never sends duplicates. Only pledges of this year and the last are read: older ones were
    reminded in their time, and the daily scan stays small however many years the database holds.
    Five queries however many pledges."""
    today = today or today_local()
    horizon = today + timedelta(days=REMINDER_DAYS)
    pledges = list(
        session.execute(
            select(Pledge).where(
                col(Pledge.status).in_([s.value for s in states.DUE]),
                col(Pledge.due_date) <= horizon,
                col(Pledge.year) >= today.year - 1,
            )
        ).scalars()
    )
    if not pledges:
        return ReminderResult(0, 0)
    owners = _owner_accounts(session, pledges)
    units = org_service.units_by_id(session, {p.unit_id for p in pledges})
    supervisors = _holders(session, units.values(), Role.supervisor)
    messages: list[tuple[Message, Iterable[int]]] = []
    due_soon = overdue = 0
    for p in pledges:
        recipients = set(supervisors.get(p.unit_id, set()))
        if pk(p) in owners:
            recipients.add(owners[pk(p)])
        late = p.due_date < today
        if late:
            overdue += 1
            kind, title = "overdue", "有承诺已超过完成时限"
        else:
            due_soon += 1
            kind, title = "due_soon", "有承诺将在 7 天内到期"
        messages.append(
            (
                Message(
                    kind=kind,
                    title=title,
                    body=f"《{p.title}》完成时限：{p.due_date.isoformat()}",
                    link=f"/pledges/{pk(p)}",
                    subject_type="pledge",
                    subject_id=pk(p),
                    dedupe_key=f"{kind}:{pk(p)}:{p.due_date.isoformat()}",
                ),
                recipients,
            )
        )
    notifications.notify(session, messages)
    return ReminderResult(due_soon=due_soon, overdue=overdue)


__all__ = [
    "Located",
    "PublicPledges",
    "act",
    "add_note",
    "add_progress",
    "check_media_access",
    "counts",
    "create_pledge",
    "list_pledges",
    "public_pledge",
    "public_pledges_for_units",
    "public_timeline",
    "publish_batch",
    "report_progress",
    "review_queue",
    "revise",
    "send_reminders",
    "timeline",
    "update_draft",
    "visible_pledge",
]
