"""The history of every change (变更记录) of the objects without a lifecycle: members, accounts, role
grants, org units, boards and rating policies (docs/history.md, *Changes*).

One append-only table, `change_event`, keyed by (kind, object id): who (account id and the name at
the time), when, the action, the fields changed `{field: [from, to]}` and why. A domain service
calls `record()` (or `record_many()` for a batch) at each write point, in its own transaction; one
INSERT per call, whatever the number of rows (a roster import's 500 members a batch: one INSERT),
plus at most one name lookup per actor and session.

What never goes in: secrets (password hashes, tokens: `SECRET_FIELDS` are dropped even if a caller
passes them; a reset is recorded as the action alone, "密码已重置"). Phone numbers are personal data:
they are recorded, and the history is therefore private — read only through the authenticated API
by those who may read the object's private side, never on a public page.

The history follows the object: a moved member's is keyed by the member, so it is read through
their current branch (the new secretary reads all of it, the old one no longer sees the member at
all: 404, as for the member itself). Which permission reads which kind is the reader's business
(`app/reports/history.py`), through the one `require()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, and_, column, insert, or_, select, table
from sqlmodel import Field, Session, SQLModel, col

from app.core.db import UTCDateTime
from app.core.permissions import Actor
from app.core.time import utcnow


class ChangeKind(StrEnum):
    member = "member"
    account = "account"
    grant = "grant"
    unit = "unit"
    board = "board"
    rating_policy = "rating_policy"  # keyed by the policy's unit (a cleared policy's row is gone)


# never recorded, whatever a caller passes: secrets and what would let one in
SECRET_FIELDS = frozenset({"password", "password_hash", "initial_password", "token", "token_version"})


class ChangeEvent(SQLModel, table=True):
    """One change of one object: append-only, never updated or deleted."""

    __tablename__ = "change_event"
    __table_args__ = (Index("ix_change_event_kind_object", "kind", "object_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(20))
    object_id: int
    action: str = Field(max_length=30)
    actor_account_id: int | None = Field(default=None)  # None: the system (jobs, CLI, seeder)
    actor_name: str = Field(default="", max_length=40)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # {field: [from, to]}
    reason: str | None = Field(default=None, max_length=500)


# the accounts' names, read without importing auth (core sits below it)
_ACCOUNT = table("account", column("id"), column("display_name"))


def actor_name(session: Session, actor: Actor) -> str:
    """The name the change is signed with (looked up once per actor and session); SYSTEM's "系统"."""
    if actor.system or actor.account_id == 0:
        return actor.name or "系统"
    names: dict[int, str] = session.info.setdefault("change_actor_names", {})
    if actor.account_id not in names:
        found = session.execute(
            select(_ACCOUNT.c.display_name).where(_ACCOUNT.c.id == actor.account_id)
        ).scalar_one_or_none()
        names[actor.account_id] = str(found or "")
    return names[actor.account_id]


def plain(value: Any) -> Any:
    """A value as the JSON column keeps it: enums by value, times as ISO 8601, sets as sorted lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple | list):
        return [plain(v) for v in (sorted(value) if isinstance(value, set | frozenset) else value)]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of a row as they are now (before a change, to `diff` against after it)."""
    return {name: plain(getattr(obj, name)) for name in fields if name not in SECRET_FIELDS}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [from, to]} for exactly the fields of `before` whose value differs in `after` (all of
    `after`'s when `before` is empty: a new object); secrets left out."""
    out: dict[str, list[Any]] = {}
    for name in before or after:
        if name in SECRET_FIELDS:
            continue
        old, new = plain(before.get(name)), plain(after.get(name))
        if old != new:
            out[name] = [old, new]
    return out


def created(obj: Any, fields: Iterable[str]) -> dict[str, list[Any]]:
    """A new object's fields that have a value, each as [None, value]."""
    return diff({}, {k: v for k, v in snapshot(obj, fields).items() if v not in (None, "", [], {})})


def since(before: Mapping[str, Any], obj: Any) -> dict[str, list[Any]]:
    """What changed in `obj` since `snapshot(obj, …)` gave `before`."""
    return diff(before, snapshot(obj, before))


def record_many(
    session: Session,
    *,
    actor: Actor,
    kind: ChangeKind,
    action: str,
    items: Iterable[tuple[int | None, Mapping[str, Any]]],
    reason: str | None = None,
    always: bool = False,
) -> int:
    """One change event per (object id, changes) in one multi-row INSERT. Items whose changes are
    empty are skipped unless `always` (an action that is its own news: a password reset). Returns
    how many rows were written."""
    name: str | None = None
    now = utcnow()
    rows = []
    for object_id, changes in items:
        clean = {k: [plain(v) for v in pair] for k, pair in changes.items() if k not in SECRET_FIELDS}
        if object_id is None or (not clean and not always):
            continue
        if name is None:
            name = actor_name(session, actor)
        rows.append(
            {
                "kind": kind.value,
                "object_id": int(object_id),
                "action": action,
                "actor_account_id": actor.recorded_account_id,
                "actor_name": name,
                "at": now,
                "changes": clean,
                "reason": reason,
            }
        )
    if rows:
        session.execute(insert(ChangeEvent), rows)
    return len(rows)


def record(
    session: Session,
    *,
    actor: Actor,
    kind: ChangeKind,
    object_id: int | None,
    action: str,
    changes: Mapping[str, Any] | None = None,
    reason: str | None = None,
    always: bool = False,
) -> bool:
    """One change of one object (nothing when `changes` is empty, unless `always`)."""
    return bool(
        record_many(
            session,
            actor=actor,
            kind=kind,
            action=action,
            items=[(object_id, changes or {})],
            reason=reason,
            always=always,
        )
    )


def of(kind: ChangeKind, object_id: int, *, also: tuple[ChangeKind, int] | None = None) -> Any:
    """The statement of an object's history (with `also` another object's: a member's account), newest
    first (to page through)."""
    where = and_(col(ChangeEvent.kind) == kind.value, col(ChangeEvent.object_id) == object_id)
    if also is not None:
        where = or_(where, and_(col(ChangeEvent.kind) == also[0].value, col(ChangeEvent.object_id) == also[1]))
    return select(ChangeEvent).where(where).order_by(col(ChangeEvent.id).desc())
