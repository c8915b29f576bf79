"""Who may see a pledge and who may act on it — the one place for the pledge's permission rules.

Who sees a pledge: its owner always (an active member, wherever the pledge lives); inside the actor's
scope, everyone once it has been published (`published_at` set — it stays visible to the branch after
closing or cancelling); before that only those who vet it (Permission.pledge_review) and, for a
collective pledge, those who draft for the unit. Anything else is 404, as if it did not exist.
`can_see()` answers for one loaded pledge, `visibility_sql()` is the same rule as a WHERE clause.

Who may act: `authorize(actor, located, who)` raises 403 (the rules: states.py's docstring) with the
pledge's own Chinese reasons; `may()` is the same rule as a question. Every check goes through
core.permissions (`allowed`, `scope`, `require`), never through Actor's methods; SYSTEM passes.

Acting for a member (代办): a secretary (pledge.review on the branch) takes the owner's steps — edit,
submit, withdraw, progress, request to close, revise — only for a member who does not sign in
themself (no account, a disabled one, or no longer on the roll): `Located.member_signs_in`, looked up
by `visible_pledge` and, for lists, `signs_in()` in one query. Otherwise 403
`forbidden.pledge.member_signs_in`. `acting_for()` tells a read which of the actor's owner-side
actions would be taken on the member's behalf.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select
from sqlmodel import Session, col

from app.auth.models import Account
from app.core.errors import Forbidden, NotFound
from app.core.lifecycle import permitted
from app.core.permissions import Actor, Permission, allowed, require, scope
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges.models import OwnerKind, Pledge, PledgePhoto
from app.pledges.states import Who


@dataclass(frozen=True)
class Located:
    """A pledge and the org unit it lives in (whose path decides every permission)."""

    pledge: Pledge
    unit: OrgUnit
    # whether the pledge's member signs in themself (see signs_in); True unless looked up, so a
    # secretary acts for a member only when it is known that the member cannot
    member_signs_in: bool = True


def owns(actor: Actor, pledge: Pledge) -> bool:
    """The actor's own individual pledge. `actor.member_id` is only set for an active member (see
    members.dependencies.current_actor and rules.may_own): someone who left the roll owns nothing here."""
    return pledge.owner_kind == OwnerKind.member and actor.member_id is not None and pledge.member_id == actor.member_id


def _is_owner_person(actor: Actor, pledge: Pledge) -> bool:
    if pledge.owner_kind == OwnerKind.member:
        return owns(actor, pledge)
    return pledge.created_by_account_id == actor.account_id


def _reviews_above_branch(actor: Actor, pledge: Pledge, unit_path: str) -> bool:
    """Whether the actor holds pledge.review on a unit above the pledge's branch (the committee), the
    only ones who may vet a pledge of their own."""
    branch = f"/{pledge.branch_id}/"
    roots = scope(actor, Permission.pledge_review, empty_ok=True)
    return any(unit_path.startswith(root) and branch not in root for root in roots)


def can_see(actor: Actor, pledge: Pledge, unit_path: str) -> bool:
    if _is_owner_person(actor, pledge):
        return True
    if not allowed(actor, Permission.pledge_read, unit_path):
        return False
    if pledge.published_at is not None:
        return True
    return allowed(actor, Permission.pledge_review, unit_path) or (
        pledge.owner_kind == OwnerKind.unit and allowed(actor, Permission.pledge_collective, unit_path)
    )


def visibility_sql(actor: Actor) -> ColumnElement[bool]:
    """SQL form of can_see()."""
    conds: list[ColumnElement[bool]] = [mine_sql(actor)]
    read_paths = scope(actor, Permission.pledge_read, empty_ok=True)
    if read_paths:
        conds.append(
            and_(col(Pledge.published_at).is_not(None), col(Pledge.unit_id).in_(org_service.subtree_ids(read_paths)))
        )
    review_paths = scope(actor, Permission.pledge_review, empty_ok=True)
    if review_paths:
        conds.append(col(Pledge.unit_id).in_(org_service.subtree_ids(review_paths)))
    collective_paths = scope(actor, Permission.pledge_collective, empty_ok=True)
    if collective_paths:
        conds.append(
            and_(
                col(Pledge.owner_kind) == OwnerKind.unit,
                col(Pledge.unit_id).in_(org_service.subtree_ids(collective_paths)),
            )
        )
    return or_(*conds)


def mine_sql(actor: Actor) -> ColumnElement[bool]:
    """The actor's own pledges: their individual ones and the collective ones they drafted."""
    conds: list[ColumnElement[bool]] = [
        and_(col(Pledge.owner_kind) == OwnerKind.unit, col(Pledge.created_by_account_id) == actor.account_id)
    ]
    if actor.member_id is not None:
        conds.append(col(Pledge.member_id) == actor.member_id)
    return or_(*conds)


def authorize(actor: Actor, located: Located, who: StrEnum) -> None:
    """May `actor` act as `who` (owner / reviewer) on the pledge? 403 with the reason if not."""
    pledge, path = located.pledge, located.unit.path
    if who == Who.reviewer:
        if owns(actor, pledge):  # separation of duties: nobody vets their own pledge in their branch
            if _reviews_above_branch(actor, pledge, path):
                return
            if allowed(actor, Permission.pledge_review, path):
                raise Forbidden("不能审核自己的承诺，请上级党组织审核", code="forbidden.pledge.own_review")
        elif allowed(actor, Permission.pledge_review, path):
            return
        raise Forbidden("只有支部书记可以审核、公示、销诺或取消承诺", code="forbidden.pledge.review")
    if pledge.owner_kind == OwnerKind.unit:
        if allowed(actor, Permission.pledge_collective, path):
            return
        raise Forbidden("只有党小组长或支部书记可以办理集体承诺", code="forbidden.pledge.collective")
    # their own pledge wherever it lives (it stays with its branch when they move), as long as they
    # are a member somewhere; a secretary may act for a member who has no phone (a paper pledge)
    if owns(actor, pledge) and scope(actor, Permission.pledge_own, empty_ok=True):
        return
    if allowed(actor, Permission.pledge_review, path) and not owns(actor, pledge):
        if actor.system or not located.member_signs_in:
            return
        raise Forbidden(
            "该党员已开通账号，应由本人办理；支部书记只能为未开通账号的党员代办",
            code="forbidden.pledge.member_signs_in",
        )
    raise Forbidden("只有承诺人本人（或支部书记代办）可以进行此操作", code="forbidden.pledge.own")


def acting_for(actor: Actor, located: Located) -> bool:
    """Whether the actor's owner-side steps on this pledge are taken for its member (代办): an
    individual pledge that is not the actor's own."""
    return located.pledge.owner_kind == OwnerKind.member and not owns(actor, located.pledge)


def signs_in(session: Session, member_ids: Iterable[int]) -> set[int]:
    """Of these members, those who sign in themselves: on the roll, with an account that is not
    disabled. One query, whatever their number."""
    ids = {i for i in member_ids if i is not None}
    if not ids:
        return set()
    rows = session.execute(
        select(col(Member.id))
        .join(Account, col(Account.id) == col(Member.account_id))
        .where(
            col(Member.id).in_(ids),
            col(Member.status) == MemberStatus.active,
            col(Account.disabled).is_(False),
        )
    ).scalars()
    return {int(i) for i in rows}


def locate(session: Session, pledge: Pledge, unit: OrgUnit) -> Located:
    """The pledge, its unit and whether its member signs in (one query for a member's pledge)."""
    if pledge.member_id is None:
        return Located(pledge, unit)
    return Located(pledge, unit, member_signs_in=bool(signs_in(session, [pledge.member_id])))


def may(actor: Actor, located: Located, who: StrEnum) -> bool:
    """authorize() as a question."""
    return permitted(authorize, actor, located, who)


def may_note(actor: Actor, located: Located) -> bool:
    return allowed(actor, Permission.pledge_note, located.unit)


def require_note(actor: Actor, located: Located) -> None:
    require(actor, Permission.pledge_note, located.unit)


def may_see_private(actor: Actor, pledge: Pledge, unit_path: str) -> bool:
    """The helped household: the branch's pledge.private holders, and the member who wrote it down."""
    return allowed(actor, Permission.pledge_private, unit_path) or owns(actor, pledge)


def get_pledge(session: Session, pledge_id: int) -> Pledge:
    pledge = session.get(Pledge, pledge_id)
    if pledge is None:
        raise NotFound("未找到该承诺", code="pledge_not_found")
    return pledge


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
            return locate(session, pledge, unit)
    raise NotFound("未找到该承诺，或不在您的管理范围内", code="pledge_not_found")


def member_ids_of(session: Session, pledge_ids: Iterable[int]) -> dict[int, int | None]:
    """Each pledge's member (None for a collective pledge), in one query (evaluation summaries)."""
    ids = set(pledge_ids)
    if not ids:
        return {}
    rows = session.execute(select(col(Pledge.id), col(Pledge.member_id)).where(col(Pledge.id).in_(ids))).all()
    return {int(pledge_id): member_id for pledge_id, member_id in rows}


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
