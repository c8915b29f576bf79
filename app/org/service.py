"""The org tree and role grants: the one door other domains use (`from app.org import service as
org_service`). The work lives by job in reading (units, subtrees, scopes), versions (content_version,
`touch()`), changes (creating, moving, archiving units) and grants (role grants, the actor).

Other domains ask this module for units and subtrees (`subtree_ids()`), never query org_unit
themselves.
"""

from __future__ import annotations

from app.org.changes import archive_unit, create_root, create_unit, first_root, move_unit, update_unit
from app.org.grants import (
    actor_for,
    get_grant,
    grant_new_accounts,
    grant_read,
    grant_role,
    grants_of,
    list_grants,
    revoke_grant,
    revoke_roles_in,
    role_holders,
)
from app.org.reading import (
    ancestor_ids,
    branch_of,
    find_branches,
    find_unit,
    get_unit,
    path_filter,
    read_unit,
    scope_for,
    subtree,
    subtree_ids,
    tree,
    units_by_id,
    visible_unit,
)
from app.org.versions import VERSIONED_KINDS, content_version, content_version_of, touch, touch_subtree

__all__ = [
    "VERSIONED_KINDS",
    "actor_for",
    "ancestor_ids",
    "archive_unit",
    "branch_of",
    "content_version",
    "content_version_of",
    "create_root",
    "create_unit",
    "find_branches",
    "find_unit",
    "first_root",
    "get_grant",
    "get_unit",
    "grant_new_accounts",
    "grant_read",
    "grant_role",
    "grants_of",
    "list_grants",
    "move_unit",
    "path_filter",
    "read_unit",
    "revoke_grant",
    "revoke_roles_in",
    "role_holders",
    "scope_for",
    "subtree",
    "subtree_ids",
    "touch",
    "touch_subtree",
    "tree",
    "units_by_id",
    "update_unit",
    "visible_unit",
]
