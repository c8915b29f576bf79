"""The demo town's pledges (modelled on 平山镇, seeds/003): most members of most branches with one or two
pledges of the current year tied to their post — published, asking to close or closed, with progress
reports — about sixty collective pledges of groups and branches (修路、换路灯、绿化…), and, in the demo
branch, pledges in every other state too, so each persona has something to do when they sign in.

Called from `app.demo.seed()` after the members and logins and before the boards. Every pledge is
written as a draft and moved along its path by the lifecycle engine (`apply_many`, one batch for the
whole town: the same timestamps, outcomes, revisions and events as the API, backdated and signed
with the owner's or the secretary's name; no notifications — the personas' feeds are seeded below).
Progress reports are written in bulk (one INSERT), so the whole adds a second or two to `seed-demo`.
"""

from __future__ import annotations

import dataclasses
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import insert
from sqlmodel import Session

from app.core import lifecycle as engine
from app.core.db import pk
from app.core.lifecycle import Move
from app.core.permissions import SYSTEM, Actor
from app.core.time import CHINA_TZ, today_local, utcnow
from app.members.models import Member
from app.notifications import service as notifications
from app.notifications.service import Message
from app.org.models import OrgUnit
from app.pledges import history, news, progress
from app.pledges.access import Located
from app.pledges.demo_posts import seed_posts
from app.pledges.demo_texts import BY_POST, CLOSE_COMMENTS, COLLECTIVE, GENERAL, HOUSEHOLDS, PARTLY_COMMENT, PROGRESS
from app.pledges.lifecycle import PLEDGES, event_row
from app.pledges.models import (
    OwnerKind,
    Pledge,
    PledgeCategory,
    PledgeNote,
    PledgeOutcome,
    PledgeProgress,
    PledgeStatus,
)
from app.pledges.states import TABLE, Action, Transition, Who

S = PledgeStatus


@dataclass
class _Plan:
    pledge: Pledge
    unit: OrgUnit
    rows: list[Transition]  # the way from a draft to its status, through the table
    progress: int
    actor_name: str  # the owner's name, for their own steps
    reviewer_name: str
    stamps: dict[PledgeStatus, datetime] = field(default_factory=dict)

    @property
    def path(self) -> list[PledgeStatus]:
        return [S.draft, *(row.target for row in self.rows)]

    outcome: PledgeOutcome | None = None  # closed: how, and the secretary's comment
    comment: str | None = None


def _at(day: date, rng: random.Random) -> datetime:
    local = datetime.combine(day, time(rng.randint(8, 19), rng.randint(0, 59)), tzinfo=CHINA_TZ)
    return local.astimezone(UTC)


def _way(status: PledgeStatus) -> list[Transition]:
    """How a demo pledge reaches its status: the table's shortest way from a draft — a cancelled one
    was published first (so it stays on the boards, shown as 已取消)."""
    via = S.published if status == S.cancelled else S.draft
    return [*TABLE.path(S.draft, via), *TABLE.path(via, status)]


def _status(rng: random.Random) -> PledgeStatus:
    roll = rng.random()
    if roll < 0.55:
        return S.published
    if roll < 0.70:
        return S.closing
    return S.closed


def _picture(rng: random.Random, label: int) -> bytes:
    """A simple generated "photo" (sky, field, a road and a lamp post), as a phone would upload it."""
    img = Image.new("RGB", (1200, 900), (135, 190, 235))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 520, 1200, 900), fill=(90 + label * 10 % 60, 150, 70))
    draw.polygon([(520, 900), (680, 900), (620, 520), (580, 520)], fill=(160, 160, 160))
    x = 300 + rng.randint(0, 500)
    draw.rectangle((x, 260, x + 14, 600), fill=(60, 60, 60))
    draw.ellipse((x - 25, 230, x + 40, 280), fill=(250, 230, 120))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()


def seed_pledges(
    session: Session,
    *,
    rng: random.Random,
    branches: Sequence[OrgUnit],
    groups_of: dict[int, list[OrgUnit]],
    members_by_branch: dict[int, list[Member]],
    demo_branch: OrgUnit,
    demo_group: OrgUnit,
    persona_members: dict[str, Member],
) -> int:
    """Create the demo pledges (flushes; the caller commits); returns how many."""
    today = today_local()
    year = today.year
    jan = date(year, 1, 1)
    span = max((today - jan).days, 30)
    plans: list[_Plan] = []
    post_ids = seed_posts(session, branches=branches, members_by_branch=members_by_branch)  # 设岗定责

    def plan(
        *,
        unit: OrgUnit,
        branch: OrgUnit,
        member: Member | None,
        title: str,
        content: str,
        category: PledgeCategory,
        status: PledgeStatus,
        owner_name: str,
        reviewer_name: str,
        post: str = "",
        overdue: bool = False,
        created_by: int | None = None,
    ) -> Pledge:
        created = jan + timedelta(days=rng.randint(5, max(6, min(60, span // 3))))
        if overdue:
            due = today - timedelta(days=rng.randint(5, 40))
        elif status == S.closed:
            due = created + timedelta(days=rng.randint(90, 200))
        else:
            roll = rng.random()
            if roll < 0.8:
                due = date(year, 12, 31)
            elif roll < 0.9:
                due = today + timedelta(days=rng.randint(2, 6))  # the reminders have something to say
            else:
                due = today + timedelta(days=rng.randint(10, 40))
        pledge = Pledge(
            owner_kind=OwnerKind.member if member else OwnerKind.unit,
            member_id=member.id if member else None,
            unit_id=pk(unit),
            branch_id=pk(branch),
            title=title,
            content=content,
            category=category,
            post=post,
            post_id=post_ids.get((pk(branch), post)) if post else None,
            year=year,
            due_date=due,
            helped_household=rng.choice(HOUSEHOLDS) if category == PledgeCategory.pairing else None,
            created_by_account_id=created_by,
            created_at=_at(created, rng),
        )
        progress = 0
        if status in (S.published, S.revising, S.closing, S.closed, S.cancelled):
            progress = rng.randint(0, 3) if status in (S.published, S.cancelled) else rng.randint(1, 3)
        plans.append(_Plan(pledge, unit, _way(status), progress, owner_name, reviewer_name))
        return pledge

    # members of every branch: ~85% with one or two pledges of this year
    for branch in branches:
        members = members_by_branch[pk(branch)]
        secretary = members[-1]
        units = {g.id: g for g in groups_of.get(pk(branch), [])}
        for member in members:
            if rng.random() < 0.15 and member not in persona_members.values():
                continue
            unit = units.get(member.group_id) if member.group_id else None
            choices = [*BY_POST.get(member.post, []), *rng.sample(GENERAL, 2)]
            for title, content, category in choices[: 1 if rng.random() < 0.55 else 2]:
                plan(
                    unit=unit or branch,
                    branch=branch,
                    member=member,
                    title=title,
                    content=content,
                    category=category,
                    status=_status(rng),
                    owner_name=member.name,
                    reviewer_name=secretary.name,
                    post=member.post if category == PledgeCategory.post_duty else "",
                    overdue=rng.random() < 0.07,
                    created_by=member.account_id,
                )

    # collective pledges: one per party group, a few branches' own (about sixty in all)
    collective_units: list[tuple[OrgUnit, OrgUnit]] = [(g, b) for b in branches for g in groups_of.get(pk(b), [])]
    collective_units += [(b, b) for b in branches if pk(b) in groups_of][:8]
    for unit, branch in collective_units:
        leader = next((m for m in members_by_branch[pk(branch)] if m.group_id == unit.id), None)
        secretary = members_by_branch[pk(branch)][-1]
        title, content = rng.choice(COLLECTIVE)
        name = unit.name.removesuffix("党小组").removesuffix("党支部")
        plan(
            unit=unit,
            branch=branch,
            member=None,
            title=f"{title}（{name}）"[:60],
            content=content,
            category=PledgeCategory.collective,
            status=rng.choice([S.published, S.published, S.closing, S.closed]),
            owner_name=leader.name if leader and unit.id != branch.id else secretary.name,
            reviewer_name=secretary.name,
            created_by=leader.account_id if leader and unit.id != branch.id else None,
        )

    # the demo branch: something in every state, so each persona has work waiting
    demo_members = members_by_branch[pk(demo_branch)]
    secretary = persona_members["secretary"]
    plain, leader = persona_members["member"], persona_members["group_leader"]
    others = [m for m in demo_members if m not in persona_members.values()][:12]
    extra: list[tuple[Member, PledgeStatus]] = [
        (plain, S.draft),
        (leader, S.submitted),
        *((m, S.submitted) for m in others[:3]),
        *((m, S.approved) for m in others[3:6]),
        (others[6], S.revising),
        (others[7], S.withdrawn),
        (others[8], S.cancelled),
        (others[9], S.closing),
    ]
    for member, status in extra:
        title, content, category = rng.choice(GENERAL)
        plan(
            unit=demo_group if member.group_id == demo_group.id else demo_branch,
            branch=demo_branch,
            member=member,
            title=title,
            content=content,
            category=category,
            status=status,
            owner_name=member.name,
            reviewer_name=secretary.name,
            created_by=member.account_id,
        )
    plan(
        unit=demo_group,
        branch=demo_branch,
        member=None,
        title="更换司山组 12 盏路灯",
        content="把组内 12 盏老旧路灯全部更换为太阳能路灯，党员义务出工安装。",
        category=PledgeCategory.collective,
        status=S.submitted,
        owner_name=leader.name,
        reviewer_name=secretary.name,
        created_by=leader.account_id,
    )

    # timestamps along each pledge's path; drafts written, then moved along their paths by the engine
    now = utcnow()
    for p in plans:
        moment = p.pledge.created_at
        for status in p.path:
            p.stamps[status] = moment
            moment = min(moment + timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 8)), now)
        p.pledge.updated_at = p.pledge.status_changed_at = p.pledge.created_at
        if S.closed in p.path:
            kept = rng.random() < 0.85
            p.outcome = PledgeOutcome.kept if kept else PledgeOutcome.partly_kept
            p.comment = rng.choice(CLOSE_COMMENTS) if kept else PARTLY_COMMENT
    session.add_all(p.pledge for p in plans)
    session.flush()
    _walk(session, plans)

    progress_rows: list[dict[str, Any]] = []
    with_photos: list[tuple[Pledge, datetime, str, int]] = []
    for p in plans:
        pledge = p.pledge
        if p.progress and pledge.published_at is not None:
            start = pledge.published_at
            end = pledge.closed_at or pledge.status_changed_at if pledge.status != S.published else now
            key = next((k for k in PROGRESS if k in pledge.title), "default")
            percent = 0
            for k in range(p.progress):
                at = start + (end - start) * (k + 1) / (p.progress + 1)
                percent = min(100, percent + rng.randint(20, 40))
                text = rng.choice(PROGRESS[key]).format(n=rng.randint(2, 6), m=rng.randint(1, 5))
                if pledge.unit_id == demo_group.id and k == p.progress - 1 and len(with_photos) < 8:
                    with_photos.append((pledge, at, text, percent))
                    continue
                progress_rows.append(
                    {
                        "pledge_id": pk(pledge),
                        "author_account_id": None,
                        "author_name": p.actor_name,
                        "text": text,
                        "percent": percent,
                        "photo_count": 0,
                        "created_at": at,
                    }
                )
            pledge.progress_count = p.progress
            pledge.percent = 100 if pledge.status == S.closed else percent
            pledge.last_progress_at = start + (end - start) * p.progress / (p.progress + 1)
    if progress_rows:
        session.execute(insert(PledgeProgress), progress_rows)

    # a few reports with photos on the demo group's board
    for i, (pledge, at, text, percent) in enumerate(with_photos):
        report = PledgeProgress(
            pledge_id=pk(pledge), author_name="党员", text=text, percent=percent, photo_count=1, created_at=at
        )
        session.add(report)
        session.flush()
        (photo,) = progress.store_photos([_picture(rng, i)])
        session.add(progress.photo_row(photo, pledge_id=pk(pledge), progress_id=pk(report), sort_order=0, at=at))

    # a supervision note in the demo branch
    supervisor = persona_members["supervisor"]
    noted = [p.pledge for p in plans if p.pledge.branch_id == demo_branch.id and p.pledge.status == S.published][:3]
    for pledge in noted:
        session.add(
            PledgeNote(
                pledge_id=pk(pledge),
                author_account_id=supervisor.account_id,
                author_name=supervisor.name,
                text="已到现场查看，群众反映较好，请继续保持并及时上传进展照片。",
                created_at=now - timedelta(days=rng.randint(1, 20)),
            )
        )
    session.flush()
    _seed_notifications(session, plans, persona_members)
    return len(plans)


REVISION_ADDS = "另外每月组织一次集中活动。"
CANCEL_REASON = "该党员已外出务工，无法继续履行"


def _walk(session: Session, plans: list[_Plan]) -> None:
    """Move every draft along its path through the lifecycle engine, in one batch: each step by the
    owner or the secretary (named actors of the system: events name them, no account), at its time."""
    names: dict[str, Actor] = {}

    def by(name: str) -> Actor:
        return names.setdefault(name, dataclasses.replace(SYSTEM, name=name))

    creates: list[dict[str, Any]] = []
    moves: list[Move[Located, Action]] = []
    for p in plans:
        pledge, located = p.pledge, Located(p.pledge, p.unit)
        creates.append(
            event_row(
                pledge,
                action="create",
                source=None,
                target=S.draft,
                actor=SYSTEM,
                actor_name=p.actor_name,
                at=p.stamps[S.draft],
            )
        )
        for version, row in enumerate(p.rows, start=1):
            action, status = row.action, row.target
            reason = p.comment if status == S.closed else CANCEL_REASON if status == S.cancelled else None
            moves.append(
                Move(
                    located,
                    action,
                    by(p.reviewer_name if row.who == Who.reviewer else p.actor_name),
                    version,
                    reason=reason,
                    outcome=p.outcome if status == S.closed else None,
                    inputs={"changes": {"content": pledge.content + REVISION_ADDS}} if action == Action.revise else {},
                    at=p.stamps[status],
                )
            )
    history.append(session, creates)
    engine.apply_many(session, PLEDGES, moves, follow_up=False)


def _seed_notifications(session: Session, plans: list[_Plan], personas: dict[str, Member]) -> None:
    """What the demo personas find in their message feed."""
    messages: list[tuple[Message, list[int]]] = []
    secretary = personas["secretary"].account_id
    owner = personas.get("member")
    for p in plans:
        pledge = p.pledge
        if owner and pledge.member_id == owner.id and owner.account_id and pledge.published_at:
            messages.append((news.pledge_message(pledge, news.OWNER_NEWS[(Action.publish, "*")]), [owner.account_id]))
        if secretary and pledge.branch_id == personas["secretary"].branch_id and pledge.status == S.submitted:
            messages.append((news.pledge_message(pledge, news.REVIEW_NEWS[Action.submit]), [secretary]))
    notifications.notify(session, messages)
