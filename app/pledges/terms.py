"""Term pledges (任期承诺, 002 "任期承诺回头看，我给书记提个醒"): a cadre's promise for their term.

- Who: a member who holds a branch role (secretary, group leader, supervision group) or the
  committee's, now (`CADRE_ROLES`, an unrevoked grant) — the cadres of the practice. A personal pledge only.
- When: from `term_start` (today by default) to its last day, the due date, in a later year and at most
  `MAX_TERM_YEARS` years on (a village term is five years); `year` is the first year. It is on the
  boards through every year of the term (`rules.IN_YEAR`), not only its first.
- 回头看: a mid-term review — the branch's note is a lifecycle move (`states.Action.review`, published →
  published, reason required: the engine writes it as an event, and the board shows it on the pledge's
  timeline); villagers comment through the pledge page's suggestion form, as on any pledge.
- When 回头看 may be done (`review_window`): once a third of the term has passed (`REVIEW_AFTER`), until
  the term's last day; once a term — another only a year (`REVIEW_AGAIN_DAYS`) after the last one
  (`pledge.reviewed_at`). Outside it 409 with the date it opens; PledgeRead carries the window
  (review_opens_on, review_closes_on), so the PWA shows what the server allows without the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import Conflict, Forbidden, Unprocessable
from app.core.permissions import Role
from app.core.time import CHINA_TZ, as_utc, today_local
from app.members.models import Member
from app.org.models import RoleGrant
from app.pledges.models import Pledge, PledgeKind

CADRE_ROLES = frozenset({Role.secretary, Role.group_leader, Role.supervisor, Role.committee_admin})
MAX_TERM_YEARS = 5
REVIEW_AFTER = 3  # 回头看 opens once 1/REVIEW_AFTER of the term has passed
REVIEW_AGAIN_DAYS = 365  # a second 回头看 in the same term only this long after the last one
REVIEW_RULE = "回头看在任期过三分之一后、任期结束前进行；每个任期一次，满一年后支部可再做一次。"


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


@dataclass(frozen=True)
class ReviewWindow:
    """The days on which the next 回头看 may be done (both inclusive)."""

    opens: date
    closes: date


def review_window(pledge: Pledge) -> ReviewWindow | None:
    """The next 回头看's days: from a third of the term (or a year after the last review, whichever is
    later) to the term's last day; None for a year pledge, or when no review fits in the term any more."""
    if pledge.kind != PledgeKind.term or pledge.term_start is None:
        return None
    start, end = pledge.term_start, pledge.due_date
    opens = start + timedelta(days=-(-(end - start).days // REVIEW_AFTER))
    if pledge.reviewed_at is not None:
        last = as_utc(pledge.reviewed_at).astimezone(CHINA_TZ).date()
        opens = max(opens, last + timedelta(days=REVIEW_AGAIN_DAYS))
    return ReviewWindow(opens, end) if opens <= end else None


def check_review(pledge: Pledge, today: date | None = None) -> None:
    """回头看 is for term pledges only, and inside `review_window` (409 with the reason otherwise)."""
    if pledge.kind != PledgeKind.term:
        raise Conflict("只有任期承诺才有回头看", code="review_not_term")
    today = today or today_local()
    window = review_window(pledge)
    if window is None:
        if pledge.reviewed_at is not None and today <= pledge.due_date:
            raise Conflict(
                f"本任期已做过回头看，再做一次须在上次满 {REVIEW_AGAIN_DAYS} 天后，任期内已来不及",
                code="review_done",
            )
        raise Conflict("任期已结束，不能再回头看", code="review_term_over")
    if today < window.opens:
        if pledge.reviewed_at is not None:
            message = f"本任期已做过回头看；下一次须在上次满一年后，{window.opens.isoformat()} 起可以进行"
            raise Conflict(message, code="review_done")
        message = f"任期过三分之一后才能回头看：本任期 {window.opens.isoformat()} 起可以进行"
        raise Conflict(message, code="review_too_early")
    if today > window.closes:
        raise Conflict("任期已结束，不能再回头看", code="review_term_over")


def offers_review(pledge: Pledge, today: date | None = None) -> bool:
    """Whether 回头看 may be done today (the window holds today)."""
    window = review_window(pledge)
    return window is not None and window.opens <= (today or today_local()) <= window.closes
