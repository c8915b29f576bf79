"""Pledge factories for tests (pledges, boards, evaluations, ratings import these).

`create_pledge()` makes a pledge in any status by driving the lifecycle engine as SYSTEM (the same
timestamps, events and revisions as the API; no notifications): fast, and needs no persona.
`add_progress()` adds a progress report (optionally with photo rows pointing at real stored files).
For a pledge that went through the real lifecycle, drive the API (see test_lifecycle.py) or `drive()`.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
from datetime import date, timedelta
from typing import Any

from PIL import Image
from sqlmodel import Session

from app.core import lifecycle as engine
from app.core.db import pk
from app.core.lifecycle import Move
from app.core.permissions import SYSTEM, Actor
from app.core.storage import get_storage
from app.core.time import today_local, utcnow
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges import service
from app.pledges.access import Located
from app.pledges.lifecycle import PLEDGES, record_event
from app.pledges.models import (
    OwnerKind,
    Pledge,
    PledgeCategory,
    PledgeOutcome,
    PledgePhoto,
    PledgeProgress,
    PledgeStatus,
)
from app.pledges.schemas import PledgePublic
from app.pledges.states import PUBLIC, TABLE, WHO, Action, Who
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
    without, a collective pledge of `unit` (a group or a branch).

    Written as a draft, then moved along the shortest path to `status` by the lifecycle engine as
    SYSTEM (the same effects and events as the API, without notifications or board touches), so a
    factory pledge is exactly what the lifecycle makes. Any due date is accepted (overdue ones)."""
    branch = unit if unit.kind == UnitKind.branch else org_service.branch_of(db, unit)
    assert branch is not None
    now = utcnow()
    year = year or today_local().year
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
        helped_household=helped_household,
        created_by_account_id=created_by_account_id,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        **extra,
    )
    db.add(pledge)
    db.flush()
    record_event(db, pledge, action="create", source=None, target=PledgeStatus.draft, actor=SYSTEM, at=now)
    located = Located(pledge, unit)
    moves = [
        Move(
            located,
            action,
            SYSTEM,
            expected_version=1 + i,
            reason=_REASONS.get(action),
            outcome=(outcome or PledgeOutcome.kept) if action == Action.close else None,
            inputs={"changes": {"content": f"{content}（修改稿）"}} if action == Action.revise else {},
            at=now,
        )
        for i, action in enumerate(_path_to(status))
    ]
    engine.apply_many(db, PLEDGES, moves, follow_up=False)
    return pledge


_REASONS = {Action.close: "经核实已兑现", Action.cancel: "测试取消", Action.return_: "测试退回", Action.reopen: "测试"}


def _path_to(status: PledgeStatus) -> list[Action]:
    """The shortest way from a draft (the table's); a cancelled pledge is cancelled once approved."""
    return [row.action for row in TABLE.path(PledgeStatus.draft, status)]


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
        # every photo different, so each has its own key: neighbouring colours (4, 0, 0) and (5, 0, 0)
        # encode to the same JPEG bytes, so consecutive photos take colours far apart
        n = next(_colors)
        data = jpeg_bytes(color=(n * 37 % 256, n * 101 % 256, (n // 49 * 29 + i * 7) % 256))
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


def on_boards(db: Session, pledge_id: int) -> PledgePublic | None:
    """The pledge as a board reads it (public_pledges_for_units, with its latest progress), or None
    when it is not public."""
    pledge = service.get_pledge(db, pledge_id)
    if pledge.member_id is not None:
        found = service.public_pledges_for_units(db, member_ids=[pledge.member_id]).by_member.get(pledge.member_id, [])
    else:
        found = service.public_pledges_for_units(db, unit_ids=[pledge.unit_id]).by_unit.get(pledge.unit_id, [])
    return next((p for p in found if p.id == pledge_id), None)


def board_pledge(db: Session, pledge_id: int) -> PledgePublic:
    public = on_boards(db, pledge_id)
    assert public is not None, "not on the boards"
    return public
