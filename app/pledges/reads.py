"""Shaping responses inside the branch: PledgeRead (labels, overdue, what the reader may do, the
helped household only for who may see it), progress reports with their photos, and the ETag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.permissions import Actor
from app.core.time import today_local
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import access, states, terms
from app.pledges.access import Located
from app.pledges.lifecycle import PRIVATE_FIELDS, allowed_actions, pending_revision
from app.pledges.models import (
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    Pledge,
    PledgeCategory,
    PledgeKind,
    PledgeOutcome,
    PledgePhoto,
    PledgeProgress,
    PledgeRevision,
    PledgeStatus,
)
from app.pledges.rules import OVERDUE
from app.pledges.schemas import PhotoPublic, PhotoRead, PledgeRead, ProgressRead, RevisionRead
from app.pledges.states import Action, Who

MEDIA_PREFIX = "/api/v1/media/"


def etag(pledge: Pledge) -> str:
    """The validator of a pledge's representation: `"<version>.<progress_count>"`.

    A progress report changes percent, progress_count and last_progress_at without a new version
    (it is an append that cannot conflict), so the count is part of the ETag. If-Match is checked
    against the version alone (dependencies.if_match), so an action the PWA queued offline behind a
    progress report on the same pledge still goes through — bumping the version on progress would
    make every such action 412."""
    return f'"{pledge.version}.{pledge.progress_count}"'


def action_roles(actor: Actor, located: Located, actions: Sequence[str]) -> dict[str, str]:
    """In what role the actor would take each of the allowed actions: the reviewer's (the table's
    reviewer rows), the supervisor's (a note), the owner's — or, when the pledge is a member's and
    not the actor's own, on that member's behalf (代办, only for a member who does not sign in)."""
    owner_side = "on_behalf" if access.acting_for(actor, located) else "owner"
    out: dict[str, str] = {}
    for action in actions:
        who = states.TABLE.who.get(Action(action)) if action in _TABLE_ACTIONS else None
        if who == Who.reviewer:
            out[action] = "reviewer"
        elif action == "note":
            out[action] = "supervisor"
        else:
            out[action] = owner_side
    return out


_TABLE_ACTIONS = frozenset(a.value for a in Action)


_COLUMNS = tuple(name for name in PledgeRead.model_fields if name in Pledge.model_fields)


def to_read(
    pledge: Pledge,
    *,
    actor: Actor,
    unit: OrgUnit | None,
    member_name: str | None,
    revision: PledgeRevision | None = None,
    today: date | None = None,
    member_signs_in: bool = True,
) -> PledgeRead:
    path = unit.path if unit else ""
    # from the pledge's own columns only: validating the row object itself (from_attributes) asks it
    # for every field PledgeRead adds too, each a failed lookup through pydantic's __getattr__
    read = PledgeRead.model_validate({name: getattr(pledge, name) for name in _COLUMNS})
    status = PledgeStatus(pledge.status)
    read.member_name = member_name
    read.unit_name = unit.name if unit else ""
    read.category_label = CATEGORY_LABELS[PledgeCategory(pledge.category)]
    read.status_label = states.STATUS_LABELS[status]
    read.outcome_label = OUTCOME_LABELS[PledgeOutcome(pledge.outcome)] if pledge.outcome else None
    show_private = access.may_see_private(actor, pledge, path)
    read.has_helped_household = pledge.helped_household is not None
    read.helped_household = pledge.helped_household if show_private else None
    read.overdue = OVERDUE(pledge, today or today_local())
    if pledge.kind == PledgeKind.term:
        read.review_rule = terms.REVIEW_RULE
    window = terms.review_window(pledge)
    if window is not None:
        read.review_opens_on, read.review_closes_on = window.opens, window.closes
    if unit is not None:
        located = Located(pledge, unit, member_signs_in=member_signs_in)
        read.allowed_actions = allowed_actions(actor, located)
        read.action_roles = action_roles(actor, located, read.allowed_actions)  # type: ignore[assignment]
        read.acting_for_member = "on_behalf" in read.action_roles.values()
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
    member_ids = [p.member_id for p in pledges if p.member_id is not None]
    names = members_service.member_names(session, member_ids)
    signing = access.signs_in(session, member_ids)
    today = today_local()
    return [
        to_read(
            p,
            actor=actor,
            unit=units.get(p.unit_id),
            today=today,
            member_name=names.get(p.member_id) if p.member_id is not None else None,
            member_signs_in=p.member_id in signing,
        )
        for p in pledges
    ]


def read_one(session: Session, actor: Actor, located: Located) -> PledgeRead:
    pledge = located.pledge
    member_name = None
    if pledge.member_id is not None:
        member_name = members_service.get_member(session, pledge.member_id).name
    revision = pending_revision(session, pk(pledge)) if pledge.status == PledgeStatus.revising else None
    return to_read(
        pledge,
        actor=actor,
        unit=located.unit,
        member_name=member_name,
        revision=revision,
        member_signs_in=located.member_signs_in,
    )


def photo_public(photo: PledgePhoto) -> PhotoPublic:
    return PhotoPublic(
        url=MEDIA_PREFIX + photo.key,
        thumb_url=MEDIA_PREFIX + photo.thumb_key,
        width=photo.width,
        height=photo.height,
        thumb_width=photo.thumb_width,
        thumb_height=photo.thumb_height,
    )


def photo_read(photo: PledgePhoto) -> PhotoRead:
    return PhotoRead(id=pk(photo), key=photo.key, thumb_key=photo.thumb_key, **photo_public(photo).model_dump())


def photos_by_progress(session: Session, progress_ids: Iterable[int]) -> dict[int, list[PledgePhoto]]:
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
        photos=[photo_read(p) for p in photos],
    )
