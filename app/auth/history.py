"""What of an account the history (变更记录, app/core/changes.py) records: its login (the phone) and
name when made, a new login, disabled and enabled, and that the password was reset or changed —
never a password, a hash or a token (the action alone: "密码已重置")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app.auth.models import Account
from app.core import changes
from app.core.changes import ChangeKind
from app.core.permissions import Actor


def created(session: Session, actor: Actor, accounts: Sequence[Account]) -> None:
    """New accounts (one, or a roster import's batch): one INSERT."""
    items = [(a.id, {"phone": [None, a.phone], "display_name": [None, a.display_name]}) for a in accounts]
    changes.record_many(session, actor=actor, kind=ChangeKind.account, action="create", items=items)


def changed(
    session: Session, actor: Actor, account_id: int | None, action: str, fields: dict[str, Any] | None = None
) -> None:
    """One change of an account: `fields` {field: [from, to]}, or none for a password's reset/change."""
    changes.record(
        session, actor=actor, kind=ChangeKind.account, object_id=account_id, action=action, changes=fields, always=True
    )
