"""Who is signed in (`GET /auth/me`): the account, its member, its grants, and where the PWA offers
起草集体承诺 (the units the account may draft collective pledges for)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.permissions import ROLE_PERMISSIONS, Permission, Role
from app.members.schemas import AccountSummary, CollectiveUnit, Me
from app.members.service import member_for_account, to_read
from app.org import service as org_service
from app.org.models import UNIT_KIND_LABELS, OrgUnit, UnitKind
from app.org.schemas import GrantRead


def me(session: Session, *, account_id: int, display_name: str, must_change_password: bool) -> Me:
    member = member_for_account(session, account_id)
    grants = org_service.grants_of(session, account_id)
    return Me(
        account=AccountSummary(id=account_id, display_name=display_name, must_change_password=must_change_password),
        member=to_read(member, show_phone=True) if member else None,
        grants=grants,
        collective_units=collective_units(session, grants),
    )


def collective_units(session: Session, grants: Sequence[GrantRead]) -> list[CollectiveUnit]:
    """Where the PWA offers 起草集体承诺: the unit of every grant whose role drafts collective pledges
    (Permission.pledge_collective) and, under a committee admin's unit, its general branches — every
    level pledges (002); the groups and branches below have their own leaders. Two queries."""
    roots = [g for g in grants if Permission.pledge_collective in ROLE_PERMISSIONS[g.role]]
    units = org_service.units_by_id(session, {g.unit_id for g in roots})
    found = {u.id: u for u in units.values() if u.archived_at is None}
    admin_paths = [units[g.unit_id].path for g in roots if g.role == Role.committee_admin and g.unit_id in units]
    if admin_paths:
        below = session.execute(
            select(OrgUnit).where(
                org_service.path_filter(admin_paths),
                col(OrgUnit.kind).in_([UnitKind.committee, UnitKind.general_branch]),
                col(OrgUnit.archived_at).is_(None),
            )
        ).scalars()
        found.update({u.id: u for u in below})
    return [
        CollectiveUnit(unit_id=pk(u), unit_name=u.name, kind=UnitKind(u.kind), kind_label=UNIT_KIND_LABELS[u.kind])
        for u in sorted(found.values(), key=lambda u: (len(u.path), u.path))
    ]
