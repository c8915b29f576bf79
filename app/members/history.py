"""What of a member the history (变更记录, app/core/changes.py) records, at members.service's write
points: the fields below, whether there is a photo and an account (never the photo's storage key, the
password or anything of the account but that it exists). Keyed by the member: the history follows
them to another branch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app.core import changes
from app.core.changes import ChangeKind
from app.core.permissions import Actor
from app.members.models import Member

TRACKED = (
    "name",
    "gender",
    "phone",
    "branch_id",
    "group_id",
    "post",
    "public_title",
    "joined_date",
    "status",
    "board_consent",
)


def state(member: Member) -> dict[str, Any]:
    """The member as the history sees them now (to compare with after a change)."""
    return {
        **changes.snapshot(member, TRACKED),
        "photo": member.photo_key is not None,
        "account": member.account_id is not None,
    }


def created(session: Session, actor: Actor, members: Sequence[Member]) -> None:
    """New members (one or a roster import's batch): one INSERT of their first entries."""
    changes.record_many(
        session,
        actor=actor,
        kind=ChangeKind.member,
        action="create",
        items=[
            (m.id, {k: v for k, v in changes.diff({}, state(m)).items() if v[1] not in (None, "", False)})
            for m in members
        ],
        always=True,
    )


def changed(
    session: Session, actor: Actor, member: Member, before: dict[str, Any], action: str, reason: str | None = None
) -> None:
    """The fields that differ from `before` (`state()` taken before the change); nothing when none."""
    changes.record(
        session,
        actor=actor,
        kind=ChangeKind.member,
        object_id=member.id,
        action=action,
        changes=changes.diff(before, state(member)),
        reason=reason,
    )


def renamed_post(session: Session, actor: Actor, member_ids: Sequence[int], old: str, new: str) -> None:
    """A catalogue post renamed: each holder's `post` text follows (one INSERT for them all)."""
    changes.record_many(
        session,
        actor=actor,
        kind=ChangeKind.member,
        action="post",
        items=[(i, {"post": [old, new]}) for i in member_ids],
    )
