"""Rating policies: one per org unit, inherited from the nearest ancestor that has one (else the
built-in defaults of rules.PolicyRules); set and cleared by the committee (Permission.rating_admin).

A period freezes the effective rules when it opens (periods.py), so changing a policy here never
changes a period already running, nor any approved result.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core import changes
from app.core.changes import ChangeKind
from app.core.errors import PreconditionFailed, PreconditionRequired, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, require
from app.core.time import utcnow
from app.org import service as org_service
from app.org.models import OrgUnit
from app.ratings.models import RatingPolicy
from app.ratings.rules import PolicyRules, problems
from app.ratings.schemas import PolicyRead


def validate(rules: PolicyRules) -> PolicyRules:
    """422 with every broken cross-field rule, each in Chinese (weights, thresholds, rubric)."""
    found = problems(rules)
    if found:
        raise Unprocessable("；".join(p["message"] for p in found), code="rating_policy_invalid", errors=found)
    return rules


def effective(session: Session, unit: OrgUnit) -> tuple[PolicyRules, RatingPolicy | None]:
    """The rules that apply to `unit`: its own policy, else its nearest ancestor's, else the defaults."""
    ancestors = org_service.ancestor_ids(unit) or [unit.id or 0]
    rows = {
        p.unit_id: p
        for p in session.execute(select(RatingPolicy).where(col(RatingPolicy.unit_id).in_(ancestors))).scalars()
    }
    for unit_id in reversed(ancestors):  # the unit itself first, then up the tree
        if unit_id in rows:
            policy = rows[unit_id]
            return PolicyRules.model_validate(policy.rules), policy
    return PolicyRules(), None


def _read(unit: OrgUnit, rules: PolicyRules, policy: RatingPolicy | None) -> PolicyRead:
    own = policy is not None and policy.unit_id == unit.id
    return PolicyRead(
        unit_id=unit.id or 0,
        source_unit_id=policy.unit_id if policy else None,
        inherited=not own,
        version=policy.version if own and policy else 0,
        updated_at=policy.updated_at if policy else None,
        rules=rules,
    )


def read_policy(session: Session, *, actor: Actor, unit: OrgUnit) -> PolicyRead:
    """What applies to the unit and where it comes from; everyone who sees the unit may read it."""
    require(actor, Permission.unit_read, unit)
    rules, policy = effective(session, unit)
    return _read(unit, rules, policy)


def own_policy(session: Session, unit_id: int) -> RatingPolicy | None:
    return session.execute(select(RatingPolicy).where(col(RatingPolicy.unit_id) == unit_id)).scalar_one_or_none()


def _check_version(policy: RatingPolicy | None, expected: int | None) -> None:
    """A unit without a policy of its own has version 0: If-Match "0" (or none) creates it."""
    current = policy.version if policy else 0
    if policy is not None and expected is None:
        raise PreconditionRequired()
    if expected is not None and expected != current:
        raise PreconditionFailed(extra={"current_version": current})


def set_policy(
    session: Session, *, actor: Actor, unit: OrgUnit, rules: PolicyRules, expected_version: int | None
) -> PolicyRead:
    """Give the unit its own policy (or change it): the committee only (rating_admin)."""
    require(actor, Permission.rating_admin, unit)
    validate(rules)
    policy = own_policy(session, unit.id or 0)
    _check_version(policy, expected_version)
    data: dict[str, Any] = rules.model_dump(mode="json")
    was = policy.rules if policy else effective(session, unit)[0].model_dump(mode="json")  # what applied before
    _record(session, actor, unit, was, data, "set" if policy is None else "update")
    now = utcnow()
    if policy is None:
        policy = RatingPolicy(unit_id=unit.id or 0, rules=data, created_at=now)
    else:
        policy.rules = data
        policy.version += 1
    policy.updated_at = now
    policy.updated_by_account_id = None if actor.system else actor.account_id
    session.add(policy)
    session.flush()
    return _read(unit, rules, policy)


def clear_policy(session: Session, *, actor: Actor, unit: OrgUnit, expected_version: int | None) -> PolicyRead:
    """Remove the unit's own policy: it inherits again (periods already opened keep their snapshot)."""
    require(actor, Permission.rating_admin, unit)
    policy = own_policy(session, unit.id or 0)
    if policy is None:
        return read_policy(session, actor=actor, unit=unit)
    _check_version(policy, expected_version)
    was = policy.rules
    session.delete(policy)
    session.flush()
    rules, inherited = effective(session, unit)
    _record(session, actor, unit, was, rules.model_dump(mode="json"), "clear")
    return _read(unit, rules, inherited)


def _flat(rules: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in rules.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _record(
    session: Session, actor: Actor, unit: OrgUnit, old: dict[str, Any], new: dict[str, Any], action: str
) -> None:
    """The history (变更记录) of a unit's own policy, keyed by the unit: each rule that changed from
    what applied before to what applies after (inherited rules when it has no policy of its own);
    a group of rules (weights, thresholds) by its member ("weights.peer")."""
    flat_old, flat_new = _flat(old), _flat(new)
    found = {k: [flat_old.get(k), flat_new.get(k)] for k in dict.fromkeys([*flat_old, *flat_new])}
    found = {k: pair for k, pair in found.items() if pair[0] != pair[1]}
    changes.record(
        session,
        actor=actor,
        kind=ChangeKind.rating_policy,
        object_id=unit.id,
        action=action,
        changes=found,
        always=action in ("set", "clear"),
    )


def list_policies(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None
) -> Page[PolicyRead]:
    """The policies set in the actor's scope (where they hold rating_admin), by unit path."""
    paths = org_service.scope_for(session, actor, Permission.rating_admin, unit_id)
    total_stmt = select(RatingPolicy).join(OrgUnit, col(OrgUnit.id) == col(RatingPolicy.unit_id))
    total_stmt = total_stmt.where(org_service.path_filter(paths)).order_by(col(OrgUnit.path))

    def transform(rows: Any) -> list[PolicyRead]:
        units = org_service.units_by_id(session, [p.unit_id for p in rows])
        return [_read(units[p.unit_id], PolicyRules.model_validate(p.rules), p) for p in rows]

    return paginate(session, total_stmt, params, transform)
