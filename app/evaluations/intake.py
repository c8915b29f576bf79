"""Taking villagers' ratings and suggestions in from a board (no account; the HTTP side of abuse
control — device cookie, CSRF token, honeypot, fill time, rate limits — is in `dependencies.py`).

- one rating per device per pledge per rating period: a second one replaces the first;
- a burst of ratings on one pledge (many in a short window, or many from one address) is stored as
  `flagged` and counted only when a secretary accepts it;
- only salted hashes of the device and the address are stored;
- suggestions wait in the branch's moderation queue (nothing public changes yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from app.core.db import insert_for
from app.core.privacy import mask_personal
from app.core.time import as_utc, utcnow
from app.evaluations.models import PublicRating, RatingStatus, Satisfaction, Suggestion
from app.evaluations.periods import period_of
from app.org import service as org_service
from app.pledges import service as pledges_service

SUGGESTION_MAX_CHARS = 200
# a burst on one pledge: beyond this many ratings in the window (all, or from one address) they are
# flagged for review; above what a village meeting on one NAT address gives (30 phones at once)
BURST_WINDOW = timedelta(minutes=10)
BURST_PER_PLEDGE = 60
BURST_PER_PLEDGE_AND_ADDRESS = 40
TABLE = "public_rating"


@dataclass(frozen=True)
class PledgeRef:
    """What evaluations need to know about a rated pledge: where it lives and whose it is."""

    id: int
    branch_id: int
    unit_id: int  # the most specific unit whose board shows it: the owner's group, else branch or unit
    member_id: int | None


def pledge_ref(session: Session, pledge_id: int) -> PledgeRef:
    """The rated pledge's place in the tree, from the pledges service (boards only know public fields)."""
    pledge = pledges_service.get_pledge(session, pledge_id)
    return PledgeRef(id=pledge_id, branch_id=pledge.branch_id, unit_id=pledge.unit_id, member_id=pledge.member_id)


def rate(
    session: Session, *, pledge: PledgeRef, choice: Satisfaction, device_hash: str, ip_hash: str
) -> tuple[PublicRating, bool]:
    """Record a device's rating of a pledge for the current period; returns (rating, replaced).

    One atomic upsert on (pledge, device, period): two submits from one device at once (a
    double-tap) both succeed, the later one replacing the earlier, on SQLite and PostgreSQL alike.
    A replaced rating keeps its status, except that a discarded one goes back to review.
    """
    now = utcnow()
    since = now - BURST_WINDOW
    recent, recent_here = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(PublicRating.ip_hash) == ip_hash, 1), else_=0)), 0),
        ).where(col(PublicRating.pledge_id) == pledge.id, col(PublicRating.created_at) >= since)
    ).one()
    burst = recent >= BURST_PER_PLEDGE or recent_here >= BURST_PER_PLEDGE_AND_ADDRESS
    table = PublicRating.metadata.tables[TABLE]
    stmt = insert_for(session)(table).values(
        pledge_id=pledge.id,
        branch_id=pledge.branch_id,
        unit_id=pledge.unit_id,
        member_id=pledge.member_id,
        period=period_of(now),
        choice=choice.value,
        status=(RatingStatus.flagged if burst else RatingStatus.counted).value,
        device_hash=device_hash,
        ip_hash=ip_hash,
        created_at=now,
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.pledge_id, table.c.device_hash, table.c.period],
        set_={
            "choice": stmt.excluded.choice,
            "ip_hash": stmt.excluded.ip_hash,
            "updated_at": stmt.excluded.updated_at,
            "status": case(
                (table.c.status == RatingStatus.discarded.value, RatingStatus.flagged.value), else_=table.c.status
            ),
        },
    ).returning(table.c.id, table.c.created_at)
    rating_id, created_at = session.execute(stmt).one()
    replaced = as_utc(created_at) != now
    if replaced or not burst:
        org_service.touch(session, [pledge.unit_id])
    rating = session.get(PublicRating, rating_id, populate_existing=True)
    assert rating is not None
    return rating, replaced


def clean_text(text: str) -> str:
    """A suggestion as stored: runs of whitespace (newlines included) folded to one space."""
    return " ".join(text.split())


def suggest(
    session: Session,
    *,
    unit_id: int,
    branch_id: int,
    pledge_id: int | None,
    text: str,
    device_hash: str,
    ip_hash: str,
) -> Suggestion:
    """Put a villager's suggestion in the branch's moderation queue (nothing public changes yet).

    The text must already be within SUGGESTION_MAX_CHARS (see `read_feedback`): it is never cut."""
    clean = clean_text(text)
    if len(clean) > SUGGESTION_MAX_CHARS:
        raise ValueError("suggestion longer than SUGGESTION_MAX_CHARS: check it with read_feedback()")
    suggestion = Suggestion(
        unit_id=unit_id,
        branch_id=branch_id,
        pledge_id=pledge_id,
        text=clean,
        public_text=mask_personal(clean)[:SUGGESTION_MAX_CHARS],
        device_hash=device_hash,
        ip_hash=ip_hash,
    )
    session.add(suggestion)
    session.flush()
    return suggestion


class FeedbackProblem(Exception):
    """A villager's form that cannot be stored as sent; `message` (Chinese) says what to change."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Feedback:
    """A checked form: a satisfaction choice (rating form only) and/or a suggestion's text."""

    choice: Satisfaction | None
    text: str


def read_feedback(*, choice: str | None, text: str) -> Feedback:
    """Check a villager's form by one rule for both forms. `choice=None` is the suggestion card (text
    required); otherwise the rating form, where a choice, a suggestion or both may be sent."""
    clean = clean_text(text)
    if len(clean) > SUGGESTION_MAX_CHARS:
        raise FeedbackProblem(f"意见建议最多 {SUGGESTION_MAX_CHARS} 个字，您写了 {len(clean)} 个字，请删减后再提交。")
    if choice is None:
        if not clean:
            raise FeedbackProblem("请填写意见建议后再提交。")
        return Feedback(choice=None, text=clean)
    picked: Satisfaction | None = None
    if choice:
        try:
            picked = Satisfaction(choice)
        except ValueError:
            raise FeedbackProblem("请选择“满意”“基本满意”或“不满意”。") from None
    if picked is None and not clean:
        raise FeedbackProblem("请选择满意程度，或填写意见建议后再提交。")
    return Feedback(choice=picked, text=clean)


def take_feedback(
    session: Session,
    *,
    feedback: Feedback,
    pledge: PledgeRef | None,
    unit_id: int,
    branch_id: int,
    device_hash: str,
    ip_hash: str,
) -> None:
    """Store a checked form: the rating of `pledge` (if a choice was made) and the suggestion (if any),
    to the pledge or, without one, to the unit."""
    if pledge is not None and feedback.choice is not None:
        rate(session, pledge=pledge, choice=feedback.choice, device_hash=device_hash, ip_hash=ip_hash)
    if feedback.text:
        suggest(
            session,
            unit_id=pledge.unit_id if pledge is not None else unit_id,
            branch_id=pledge.branch_id if pledge is not None else branch_id,
            pledge_id=pledge.id if pledge is not None else None,
            text=feedback.text,
            device_hash=device_hash,
            ip_hash=ip_hash,
        )
