"""What the caller may do to each unit of the tree it reads (the committee's org editor shows only
these): the same rules `service.create_unit`, `move_unit` and `archive_unit` enforce, asked through
`allowed()` and `models.ALLOWED_PARENTS`, so the PWA never keeps a table of its own."""

from __future__ import annotations

from collections.abc import Iterable

from app.core.permissions import Actor, Permission, allowed
from app.org.models import ALLOWED_PARENTS, UnitKind
from app.org.schemas import OrgTreeNode

# the kinds offered under a unit, the likeliest first (a branch under a committee before a committee)
_CHILD_ORDER = (UnitKind.group, UnitKind.branch, UnitKind.general_branch, UnitKind.committee)
CHILD_KINDS: dict[UnitKind, list[UnitKind]] = {
    parent: [k for k in _CHILD_ORDER if parent in ALLOWED_PARENTS[k]] for parent in UnitKind
}


def parent_kinds(node: OrgTreeNode) -> list[UnitKind]:
    """The kinds a unit may be moved under: none for the root, none for a party group (it cannot
    leave its branch: service.move_unit)."""
    if node.parent_id is None or node.kind == UnitKind.group:
        return []
    return [k for k in _CHILD_ORDER[::-1] if k in ALLOWED_PARENTS[UnitKind(node.kind)]]


def annotate(actor: Actor, nodes: Iterable[OrgTreeNode]) -> None:
    """Fill each node's `allowed_actions` (create, rename, move, archive), `child_kinds` and
    `parent_kinds` for this actor; a node's children must be attached already."""
    for node in nodes:
        if node.archived or not allowed(actor, Permission.unit_manage, node.path):
            continue
        node.child_kinds = CHILD_KINDS[UnitKind(node.kind)]
        node.parent_kinds = parent_kinds(node)
        actions = ["create"] if node.child_kinds else []
        actions.append("rename")
        if node.parent_kinds:
            actions.append("move")
        if node.parent_id is not None and not any(not c.archived for c in node.children):
            actions.append("archive")
        node.allowed_actions = actions
