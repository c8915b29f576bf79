"""Term pledges (任期承诺, 002 "任期承诺回头看，我给书记提个醒"): a cadre's promise for their term.

- Who: a member who holds a branch role (secretary, group leader, supervision group) or the
  committee's, now (`CADRE_ROLES`, an unrevoked grant) — the cadres of the practice. A personal pledge only.
- When: from `term_start` (today by default) to its last day, the due date, in a later year and at most
  `MAX_TERM_YEARS` years on (a village term is five years); `year` is the first year. It is on the
  boards through every year of the term (`rules.IN_YEAR`), not only its first.
- 回头看: a mid-term review — the branch's note is a lifecycle move (`states.Action.review`, published →
  published, reason required: the engine writes it as an event, and the board shows it on the pledge's
  timeline); villagers comment through the pledge page's suggestion form, as on any pledge.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import Conflict, Forbidden, Unprocessable
from app.core.permissions import Role
from app.core.time import today_local
from app.members.models import Member
from app.org.models import RoleGrant
from app.pledges.models import Pledge, PledgeKind

CADRE_ROLES = frozenset({Role.secretary, Role.group_leader, Role.supervisor, Role.committee_admin})
MAX_TERM_YEARS = 5


def is_cadre(session: Session, member: Member) -> bool:
    """Does the member hold a cadre's role now (an unrevoked grant of CADRE_ROLES)? One query."""
    if member.account_id is None:
        return False
    found = session.execute(
        select(col(RoleGrant.id))
        .where(
            col(RoleGrant.account_id) == member.account_id,
            col(RoleGrant.role).in_(sorted(r.value for r in CADRE_ROLES)),
            col(RoleGrant.revoked_at).is_(None),
        )
        .limit(1)
    ).first()
    return found is not None


def require_cadre(session: Session, member: Member) -> None:
    if not is_cadre(session, member):
        raise Forbidden("只有担任支部书记、党小组长、监督小组成员等职务的党员可以作任期承诺", code="term_not_cadre")


def _bad(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, code="invalid_term", errors=[{"field": field, "message": message}])


def term_dates(term_start: date | None, term_end: date | None, today: date | None = None) -> tuple[int, date, date]:
    """(year, term_start, due_date) of a term pledge, or 422 on the field at fault."""
    today = today or today_local()
    start = term_start or today
    if term_end is None:
        raise _bad("due_date", "任期承诺请填写任期结束日期（完成时限）")
    if term_end < today:
        raise _bad("due_date", "任期结束日期不能早于今天")
    if term_end.year <= start.year:
        raise _bad("due_date", "任期承诺应跨年度：任期结束应在开始的下一年或以后（一年内的请作年度承诺）")
    if term_end.year > start.year + MAX_TERM_YEARS:
        raise _bad("due_date", f"任期最长 {MAX_TERM_YEARS} 年")
    return start.year, start, term_end


def check_review(pledge: Pledge) -> None:
    """回头看 is for term pledges only (409 otherwise)."""
    if pledge.kind != PledgeKind.term:
        raise Conflict("只有任期承诺才有回头看", code="review_not_term")


def offers_review(pledge: Pledge) -> bool:
    return pledge.kind == PledgeKind.term
