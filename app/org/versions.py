"""content_version: how lower domains tell the boards that what a unit shows has changed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.org.models import OrgUnit, UnitKind
from app.org.reading import path_filter, units_by_id

# Units whose content_version moves with what is below them (a rename bumps every one in the subtree);
# a general branch's or committee's moves only when it is touched itself (_versioned_ancestors).
VERSIONED_KINDS = (UnitKind.group, UnitKind.branch)


def _versioned_ancestors(unit: OrgUnit) -> list[int]:
    """The unit and its ancestors that keep a content_version: a group and its branch; a branch; a
    general branch or committee only itself, when touched directly (its own collective pledges, shown
    on a board on it) — never as an ancestor of a group or branch."""
    if unit.kind == UnitKind.group:
        return [i for i in (unit.id, unit.parent_id) if i is not None]  # a group's parent is a branch
    return [unit.id] if unit.id is not None else []


def touch(session: Session, unit_ids: Iterable[int | None]) -> None:
    """Mark the content shown by these units' public boards as changed.

    Lower domains call this when something a public board shows changes; boards read
    `content_version` to know when a cached page is stale, without anyone importing upward.

    The units themselves are bumped, and a group's branch (whose board shows the branch's groups'
    content). A committee or general branch is bumped only when touched itself (a change to its own
    collective pledges, which a board on it shows), never as an ancestor: every write in the town would
    otherwise update the root committee's row, and on PostgreSQL every writer would queue on that one
    row lock.
    """
    units = units_by_id(session, (u for u in unit_ids if u is not None))
    affected: set[int] = set()
    for unit in units.values():
        affected.update(_versioned_ancestors(unit))
    _bump(session, affected)


def touch_subtree(session: Session, unit: OrgUnit) -> None:
    """Mark everything under a unit as changed, and its ancestors as `touch()` does: after a rename,
    a move or an archive, every board below shows another unit or branch name."""
    ids = session.execute(
        select(col(OrgUnit.id)).where(path_filter([unit.path]), col(OrgUnit.kind).in_(VERSIONED_KINDS))
    ).scalars()
    _bump(session, {*ids, *_versioned_ancestors(unit)})


def _bump(session: Session, unit_ids: set[int]) -> None:
    """content_version + 1 on these units. Rows are locked in id order (one row: the UPDATE alone),
    so two transactions touching overlapping units cannot deadlock on PostgreSQL."""
    if not unit_ids:
        return
    ordered = sorted(unit_ids)
    if len(ordered) > 1:
        session.execute(
            select(col(OrgUnit.id)).where(col(OrgUnit.id).in_(ordered)).order_by(col(OrgUnit.id)).with_for_update()
        )
    session.execute(
        update(OrgUnit)
        .where(col(OrgUnit.id).in_(ordered))
        .values(content_version=OrgUnit.content_version + 1)
        .execution_options(synchronize_session=False)
    )
    for unit_id in ordered:  # only the units bumped: never a scan of a large session's every object
        loaded = session.identity_map.get(session.identity_key(OrgUnit, unit_id))
        if loaded is not None:
            session.expire(loaded, ["content_version"])


def content_version_of(unit_id: Any) -> Any:
    """A scalar sub-select of a unit's content_version, so a higher domain can check its cache in the
    same single query that loads its own row (e.g. a board by its public token)."""
    return select(col(OrgUnit.content_version)).where(col(OrgUnit.id) == unit_id).scalar_subquery()


def content_version(session: Session, unit_id: int) -> int:
    stmt = select(col(OrgUnit.content_version)).where(col(OrgUnit.id) == unit_id)
    return int(session.execute(stmt).scalar_one())
