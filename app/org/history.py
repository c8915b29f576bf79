"""What of org units and role grants the history (变更记录, app/core/changes.py) records, at
org.service's write points: a unit's kind, name, parent and order, its archiving; a grant's account,
role and unit when given, and its revocation (one INSERT for a batch of grants)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from app.core import changes
from app.core.changes import ChangeKind
from app.core.permissions import Actor
from app.org.models import OrgUnit, RoleGrant

UNIT_FIELDS = ("kind", "name", "parent_id", "sort_order")
GRANT_FIELDS = ("account_id", "role", "unit_id")


def unit_state(unit: OrgUnit) -> dict[str, Any]:
    return {**changes.snapshot(unit, UNIT_FIELDS), "archived": unit.archived_at is not None}


def unit_created(session: Session, actor: Actor, unit: OrgUnit) -> None:
    changes.record(
        session, actor=actor, kind=ChangeKind.unit, object_id=unit.id, action="create",
        changes=changes.created(unit, UNIT_FIELDS), always=True,
    )  # fmt: skip


def unit_changed(session: Session, actor: Actor, unit: OrgUnit, before: dict[str, Any], action: str) -> None:
    changes.record(
        session, actor=actor, kind=ChangeKind.unit, object_id=unit.id, action=action,
        changes=changes.diff(before, unit_state(unit)),
    )  # fmt: skip


def granted(session: Session, actor: Actor, grants: Iterable[RoleGrant]) -> None:
    """New grants (one, or a roster import's batch): one INSERT."""
    items = [(g.id, changes.created(g, GRANT_FIELDS)) for g in grants]
    changes.record_many(session, actor=actor, kind=ChangeKind.grant, action="grant", items=items, always=True)


def revoked(session: Session, actor: Actor, grant_ids: Iterable[int], reason: str | None = None) -> None:
    """Grants ended (one, or all of a member's roles in a branch they leave): one INSERT."""
    items = [(i, {"revoked": [False, True]}) for i in grant_ids]
    changes.record_many(session, actor=actor, kind=ChangeKind.grant, action="revoke", items=items, reason=reason)
