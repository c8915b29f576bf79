"""The in-app notification feed: others write to it (`notify`), each account reads its own.

`notify()` is one INSERT for any number of recipients. With a `dedupe_key` the notification exists at
most once per recipient however often it is sent (the key + ":" + account id is unique; a duplicate is
skipped by the database with ON CONFLICT DO NOTHING), which is what makes the daily reminder job safe
to run repeatedly or on several workers at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app.core.errors import NotFound
from app.core.pagination import Page, PageParams, paginate
from app.core.time import utcnow
from app.notifications.models import Notification
from app.notifications.schemas import NotificationRead


@dataclass(frozen=True)
class Message:
    """One notification to send to several accounts."""

    kind: str
    title: str
    body: str = ""
    link: str = ""
    subject_type: str | None = None
    subject_id: int | None = None
    dedupe_key: str | None = None  # once per recipient, ever


def notify(session: Session, messages: Iterable[tuple[Message, Iterable[int]]]) -> int:
    """Send each message to its accounts, in one statement; returns the number of rows offered."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for message, account_ids in messages:
        for account_id in sorted(set(account_ids)):
            rows.append(
                {
                    "account_id": account_id,
                    "kind": message.kind,
                    "title": message.title[:100],
                    "body": message.body[:300],
                    "link": message.link[:200],
                    "subject_type": message.subject_type,
                    "subject_id": message.subject_id,
                    "dedupe_key": f"{message.dedupe_key}:{account_id}" if message.dedupe_key else None,
                    "created_at": now,
                    "read_at": None,
                }
            )
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.execute(stmt, rows)
    return len(rows)


def list_for(
    session: Session, *, account_id: int, params: PageParams, unread_only: bool = False
) -> Page[NotificationRead]:
    """An account's notifications, newest first."""
    stmt = select(Notification).where(col(Notification.account_id) == account_id)
    if unread_only:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    stmt = stmt.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
    return paginate(session, stmt, params, lambda rows: [NotificationRead.of(n) for n in rows])


def unread_count(session: Session, *, account_id: int) -> int:
    stmt = select(func.count()).where(col(Notification.account_id) == account_id, col(Notification.read_at).is_(None))
    return int(session.execute(stmt).scalar_one())


def mark_read(session: Session, *, account_id: int, notification_id: int) -> Notification:
    """Mark one of the account's own notifications read (404 for anyone else's)."""
    row = session.get(Notification, notification_id)
    if row is None or row.account_id != account_id:
        raise NotFound("未找到该消息")
    if row.read_at is None:
        row.read_at = utcnow()
        session.add(row)
        session.flush()
    return row


def mark_all_read(session: Session, *, account_id: int) -> int:
    result = session.execute(
        update(Notification)
        .where(col(Notification.account_id) == account_id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
