"""Pledge factories for tests (pledges, boards, evaluations, ratings import these).

`create_pledge()` writes a pledge straight into the database in any status, with the timestamps and
the event that status implies: fast, and needs no actor. `add_progress()` adds a progress report
(optionally with photo rows pointing at real stored files). For a pledge that went through the real
lifecycle, drive the API (see test_lifecycle.py) or `drive()` below.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
from datetime import date, timedelta
from typing import Any

from PIL import Image
from sqlmodel import Session

from app.core.db import pk
from app.core.permissions import Actor
from app.core.storage import get_storage
from app.core.time import today_local, utcnow
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges import service
from app.pledges.models import (
    OwnerKind,
    Pledge,
    PledgeCategory,
    PledgeEvent,
    PledgeOutcome,
    PledgePhoto,
    PledgeProgress,
    PledgeStatus,
)
from app.pledges.states import PUBLIC
from tests.factories import Persona, World

_titles = itertools.count(1)
_colors = itertools.count(1)


def actor_of(db: Session, persona: Persona) -> Actor:
    """The service-level actor of a persona (grants + member id), as the API would build it."""
    assert persona.account_id is not None
    actor = org_service.actor_for(db, persona.account_id)
    return dataclasses.replace(actor, member_id=persona.member_id)


def create_pledge(
    db: Session,
    *,
    unit: OrgUnit,
    member_id: int | None = None,
    status: PledgeStatus = PledgeStatus.draft,
    title: str | None = None,
    content: str = "每月至少两次，做到群众满意。",
    category: PledgeCategory | None = None,
    year: int | None = None,
    due_date: date | None = None,
    helped_household: str | None = None,
    outcome: PledgeOutcome | None = None,
    created_by_account_id: int | None = None,
    **extra: Any,
) -> Pledge:
    """A pledge in `status`. With `member_id` it is that member's (unit = their group or branch);
    without, a collective pledge of `unit` (a group or a branch)."""
    branch = unit if unit.kind == UnitKind.branch else org_service.branch_of(db, unit)
    assert branch is not None
    now = utcnow()
    year = year or today_local().year
    reached = _path_to(status)
    pledge = Pledge(
        owner_kind=OwnerKind.member if member_id is not None else OwnerKind.unit,
        member_id=member_id,
        unit_id=pk(unit),
        branch_id=pk(branch),
        title=title or f"义务清扫组内道路卫生 {next(_titles)}",
        content=content,
        category=category or (PledgeCategory.public_service if member_id is not None else PledgeCategory.collective),
        year=year,
        due_date=due_date or date(year, 12, 31),
        status=status,
        helped_household=helped_household,
        version=len(reached) + 1,
        created_by_account_id=created_by_account_id,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        submitted_at=now if PledgeStatus.submitted in reached else None,
        approved_at=now if PledgeStatus.approved in reached else None,
        published_at=now if PledgeStatus.published in reached else None,
        closed_at=now if status == PledgeStatus.closed else None,
        outcome=(outcome or PledgeOutcome.kept) if status == PledgeStatus.closed else None,
        outcome_comment="经核实已兑现" if status == PledgeStatus.closed else None,
        **extra,
    )
    db.add(pledge)
    db.flush()
    previous: PledgeStatus | None = None
    for step in [PledgeStatus.draft, *reached]:
        db.add(
            PledgeEvent(pledge_id=pk(pledge), action=_ACTION_INTO[step], from_status=previous, to_status=step, at=now)
        )
        previous = step
    db.flush()
    return pledge


_ACTION_INTO = {
    PledgeStatus.draft: "create",
    PledgeStatus.submitted: "submit",
    PledgeStatus.approved: "approve",
    PledgeStatus.published: "publish",
    PledgeStatus.revising: "revise",
    PledgeStatus.closing: "request_close",
    PledgeStatus.closed: "close",
    PledgeStatus.withdrawn: "withdraw",
    PledgeStatus.cancelled: "cancel",
}
_PATHS = {
    PledgeStatus.draft: [],
    PledgeStatus.submitted: [PledgeStatus.submitted],
    PledgeStatus.approved: [PledgeStatus.submitted, PledgeStatus.approved],
    PledgeStatus.published: [PledgeStatus.submitted, PledgeStatus.approved, PledgeStatus.published],
    PledgeStatus.withdrawn: [PledgeStatus.withdrawn],
    PledgeStatus.cancelled: [PledgeStatus.submitted, PledgeStatus.approved, PledgeStatus.cancelled],
}


def _path_to(status: PledgeStatus) -> list[PledgeStatus]:
    if status in _PATHS:
        return list(_PATHS[status])
    published = _PATHS[PledgeStatus.published]
    if status == PledgeStatus.closed:
        return [*published, PledgeStatus.closing, PledgeStatus.closed]
    return [*published, status]  # revising, closing


def member_pledge(world: World, persona: str = "member", **kw: Any) -> Pledge:
    """A pledge of one of the world's personas (default: the plain member), in their group."""
    assert world.db is not None
    who: Persona = getattr(world, persona)
    assert who.member_id is not None
    member = members_service.get_member(world.db, who.member_id)
    unit = org_service.get_unit(world.db, member.group_id or member.branch_id)
    return create_pledge(world.db, unit=unit, member_id=who.member_id, created_by_account_id=who.account_id, **kw)


def collective_pledge(world: World, **kw: Any) -> Pledge:
    """A collective pledge of the world's group, drafted by its group leader."""
    assert world.db is not None
    kw.setdefault("title", "为司山村民组换路灯")
    return create_pledge(world.db, unit=world.group, created_by_account_id=world.group_leader.account_id, **kw)


def jpeg_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 30, 30), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", **save)
    return out.getvalue()


def add_progress(
    db: Session, pledge: Pledge, *, text: str = "本月已修好两盏路灯。", percent: int | None = 50, photos: int = 0
) -> PledgeProgress:
    """A progress report on `pledge`, with `photos` small stored photos."""
    now = utcnow()
    progress = PledgeProgress(
        pledge_id=pk(pledge), text=text, percent=percent, photo_count=photos, author_name="测试", created_at=now
    )
    db.add(progress)
    db.flush()
    storage = get_storage()
    for i in range(photos):
        n = next(_colors)  # every photo different, so each has its own key
        data = jpeg_bytes(color=(n % 256, (n // 256) % 256, (i * 37) % 256))
        key = storage.put(data, ext="jpg")
        db.add(
            PledgePhoto(
                pledge_id=pk(pledge),
                progress_id=pk(progress),
                key=key,
                thumb_key=key,
                content_type="image/jpeg",
                width=64,
                height=48,
                thumb_width=64,
                thumb_height=48,
                size_bytes=len(data),
                sort_order=i,
                created_at=now,
            )
        )
    pledge.progress_count += 1
    pledge.last_progress_at = now
    pledge.percent = percent if percent is not None else pledge.percent
    db.add(pledge)
    db.flush()
    return progress


def overdue_date(days: int = 3) -> date:
    return today_local() - timedelta(days=days)


def is_public(status: PledgeStatus) -> bool:
    return status in PUBLIC


def drive(db: Session, world: World, pledge: Pledge, *actions: str, expected: int | None = None) -> Pledge:
    """Apply actions through the service as the right persona (owner: the member, else the secretary)."""
    from app.pledges.states import WHO, Action, Who

    for name in actions:
        action = Action(name)
        located = service.visible_pledge(db, actor_of(db, world.secretary), pk(pledge))
        persona = world.secretary if WHO[action] == Who.reviewer or pledge.member_id is None else world.member
        service.act(
            db,
            actor=actor_of(db, persona),
            located=located,
            action=action,
            expected_version=pledge.version if expected is None else expected,
            reason="测试原因",
            outcome=PledgeOutcome.kept,
        )
    return pledge
