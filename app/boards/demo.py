"""The demo town's boards: one per party group (villager group) and one per branch, the town's star
board (创星榜), plus a few villager ratings and approved suggestions on the demo group's board so its
aggregates show.

Called at the end of `app.demo.seed()` (boards show everything seeded before them).
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session

from app.boards.models import Board, BoardKind
from app.boards.service import MEMBER_BOARD_KINDS, default_title, new_token
from app.core.privacy import mask_personal
from app.core.security import keyed_digest
from app.core.time import utcnow
from app.evaluations import service as evaluations_service
from app.evaluations.models import Satisfaction, SuggestionStatus
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import service as pledges_service

DEMO_SUGGESTIONS = [
    "组里路灯换了以后晚上出门方便多了，感谢党员同志！",
    "建议在塘埂边加装护栏，老人小孩路过不安全。",
    "希望垃圾清运能固定时间，有事可以打13912345678找我。",
]
PLEDGE_SUGGESTION = "程师傅修路灯很及时，点个赞。"


def seed_boards(session: Session, *, demo_group_id: int, rng: random.Random) -> int:
    """Create the boards; returns how many. Ratings go on the demo group's board."""
    root = org_service.first_root(session)
    units = [u for u in (org_service.subtree(session, root) if root else []) if u.kind in MEMBER_BOARD_KINDS]
    boards = [Board(unit_id=u.id or 0, title=default_title(u), token=new_token()) for u in units]
    if root is not None:  # the town's 创星榜, linked from every board below it
        boards.append(
            Board(
                kind=BoardKind.stars,
                unit_id=root.id or 0,
                title=default_title(root, BoardKind.stars),
                token=new_token(),
            )
        )
    session.add_all(boards)
    session.flush()
    group = next((u for u in units if u.id == demo_group_id), None)
    if group is not None:
        _seed_evaluations(session, group, rng)
    return len(boards)


def _seed_evaluations(session: Session, group: OrgUnit, rng: random.Random) -> None:
    members = members_service.public_members(session, unit=group)
    found = pledges_service.public_pledges_for_units(
        session, member_ids=[m.id for m in members], unit_ids=[group.id or 0]
    )
    pledges = [p for m in members for p in found.by_member.get(m.id, [])] + found.by_unit.get(group.id or 0, [])
    branch_id = group.parent_id or 0
    weights = [Satisfaction.satisfied] * 7 + [Satisfaction.basic] * 2 + [Satisfaction.unsatisfied]
    for i, p in enumerate(pledges[:6]):
        ref = evaluations_service.pledge_ref(session, p.id)
        for d in range(rng.randint(5, 12) if i < 4 else 3):
            evaluations_service.rate(
                session,
                pledge=ref,
                choice=rng.choice(weights),
                device_hash=keyed_digest(f"demo-device-{i}-{d}", "device"),
                ip_hash=keyed_digest(f"demo-ip-{d % 3}", "ip"),
            )
    now = utcnow()
    texts: list[tuple[str, int | None]] = [(t, None) for t in DEMO_SUGGESTIONS]
    if pledges:
        texts.append((PLEDGE_SUGGESTION, pledges[0].id))
    for k, (text, pledge_id) in enumerate(texts):
        s = evaluations_service.suggest(
            session,
            unit_id=group.id or 0,
            branch_id=branch_id,
            pledge_id=pledge_id,
            text=text,
            device_hash=keyed_digest(f"demo-suggester-{k}", "device"),
            ip_hash=keyed_digest("demo-ip-0", "ip"),
        )
        s.created_at = now - timedelta(days=3 - k)
        s.status = SuggestionStatus.approved if k != 1 else SuggestionStatus.pending  # one waits in the queue
        s.public_text = mask_personal(s.text)
        s.moderated_at = now if s.status == SuggestionStatus.approved else None
        session.add(s)
    session.flush()
    org_service.touch(session, [group.id])
