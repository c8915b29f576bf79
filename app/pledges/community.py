"""Pledges made to a community (双报到): a member registered in a community branch (app/members/
registration.py) pledges *to the community*; such a pledge lives on the community's branch.

`unit_id` and `branch_id` are the community branch and `registration_id` names the registration, so
everything else follows from the pledge's unit as for any pledge (access.py): the community's secretary
(pledge.review there) vets, publishes and closes it, and the community's board shows it with the member
as a 报到党员 of their own unit (`public_registered_pledges`). The member's own branch keeps the rest:
the member's own board leaves these out (public.public_pledges_for_units). The member owns it wherever
it lives, as any pledge of theirs.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.core.permissions import Actor
from app.core.time import today_local, utcnow
from app.members import registration as registrations
from app.members.models_registration import RegistrationStatus
from app.pledges import access
from app.pledges.access import Located
from app.pledges.drafting import check_due_date
from app.pledges.lifecycle import record_event
from app.pledges.models import OwnerKind, Pledge, PledgeCategory, PledgeStatus
from app.pledges.public import PublicPledges, _latest_progress, _public
from app.pledges.rules import PUBLIC, owner_kind_for
from app.pledges.schemas import PledgeCreate


def create_community_pledge(session: Session, *, actor: Actor, registration_id: int, data: PledgeCreate) -> Located:
    """A new draft made to the community the member registered in (active registration, the member
    themself). 404 when the registration is not the actor's to see, 403 for anyone but the member."""
    located = registrations.visible_registration(session, actor, registration_id)
    reg = located.registration
    if actor.member_id is None or actor.member_id != reg.member_id:
        raise Forbidden("只有报到的党员本人可以向社区作承诺", code="forbidden.registration.pledge")
    if reg.status != RegistrationStatus.active:
        raise Conflict("报到尚未被社区接收（或已结束），不能向该社区作承诺", code="registration_not_active")
    if data.member_id is not None or data.unit_id is not None or owner_kind_for(data.category) != OwnerKind.member:
        raise Unprocessable(
            "向社区作的是个人承诺，请选择个人承诺的类别",
            code="pledge_bad_category",
            errors=[{"field": "category", "message": "不能选择集体承诺"}],
        )
    if data.category == PledgeCategory.pairing or data.helped_household:
        raise Unprocessable(
            "结对帮扶承诺请在“结对帮扶”中填写",
            code="pledge_bad_category",
            errors=[{"field": "category", "message": "请在结对帮扶中填写"}],
        )
    community = located.community
    if community.archived_at is not None:
        raise Conflict("该组织已撤销", code="unit_archived")
    year = data.year or today_local().year
    due_date = data.due_date or date(year, 12, 31)
    check_due_date(year, due_date)
    now = utcnow()
    pledge = Pledge(
        owner_kind=OwnerKind.member,
        member_id=reg.member_id,
        unit_id=pk(community),
        branch_id=pk(community),
        registration_id=pk(reg),
        title=data.title,
        content=data.content,
        category=data.category,
        post=data.post,
        year=year,
        due_date=due_date,
        created_by_account_id=actor.recorded_account_id,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    session.add(pledge)
    session.flush()
    record_event(session, pledge, action="create", source=None, target=PledgeStatus.draft, actor=actor, at=now)
    return access.locate(session, pledge, community)


def public_registered_pledges(session: Session, *, unit_id: int, year: int, community: str = "") -> PublicPledges:
    """The public pledges made to this community branch by members registered in it, by member (a
    board's 报到党员), each naming the community (`community`, the branch's name the caller has). Three
    queries at most, as public_pledges_for_units."""
    stmt = (
        select(Pledge)
        .where(
            and_(col(Pledge.registration_id).is_not(None), col(Pledge.unit_id) == unit_id),
            col(Pledge.year) == year,
            PUBLIC.sql(),
        )
        .order_by(col(Pledge.due_date), col(Pledge.id))
    )
    pledges = list(session.execute(stmt).scalars())
    latest = _latest_progress(session, [pk(p) for p in pledges])
    today = today_local()
    result = PublicPledges()
    for p in pledges:
        if p.member_id is not None:
            public = _public(p, today, latest.get(pk(p)))
            public.community = community
            result.by_member.setdefault(p.member_id, []).append(public)
    return result
