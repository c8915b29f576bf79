"""The one lifecycle engine: a declarative transition table and the one `apply()` that moves a row.

Every state machine of the house (pledges, rating periods) is a `Table` of `Row`s — source state,
action, who, next state, whether a reason / an outcome is required — plus a `Lifecycle` that says how
the domain plugs in. `apply()` (one move) and `apply_many()` (a batch, the same loop) do, per move:

1. who: `lifecycle.authorize(actor, subject, who)` — the domain's callback, ending in `require()`
   (404 outside the actor's scope, 403 visible but not allowed). One kind of actor per action, so
   "may this person ever do it" (403) is told apart from "not now" (409);
2. the version: If-Match must name the row's current version (428 missing, 412 stale);
3. the row: (current state, action) must be in the table (409, with the allowed actions);
4. what the row needs: `lifecycle.validate(step)`, then the reason and the outcome (422, Chinese);
5. the state set, the version bumped, `lifecycle.enter(session, step)` (the step's own effects:
   timestamps, an outcome kept, a revision recorded; it may fill `step.data`, the event's data);

then, once for the whole batch, `lifecycle.write_events(session, steps)` (one multi-row INSERT) and
`lifecycle.follow_up(session, steps)` (notifications, caches told: one call each, however many
moves), and a flush. A batch therefore runs a fixed number of statements.

How a domain plugs in:

    class PeriodStatus(StrEnum): draft = "draft"; open = "open"; ...
    class PeriodAction(StrEnum): open = "open"; reopen = "reopen"; ...
    class Who(StrEnum): manager = "manager"
    PERMISSION = {Who.manager: Permission.rating_admin}   # who → what require() checks
    TABLE = Table((
        Row(PeriodStatus.draft, PeriodAction.open, PeriodStatus.open, Who.manager),
        Row(PeriodStatus.open, PeriodAction.reopen, PeriodStatus.draft, Who.manager, reason_required=True),
    ))
    PERIODS = Lifecycle(
        name="rating_period", noun="测评周期", table=TABLE,
        status_labels={...}, action_labels={...},
        record=lambda period: period,                   # the SQLModel row with `status` and `version`
        authorize=lambda actor, period, who: require(actor, PERMISSION[who], unit_of(period)),
        write_events=write_period_events,               # one INSERT of the domain's event rows
    )
    apply(session, PERIODS, actor=actor, subject=period, action=PeriodAction.open, expected_version=v)

The subject may be the row itself or a wrapper (pledges pass `Located`: the pledge and its unit);
`record(subject)` gives the row whose `status` and `version` the engine reads and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.chain import LifecycleEvent
from app.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor
from app.core.time import utcnow

St = TypeVar("St", bound=StrEnum)  # the states
Ac = TypeVar("Ac", bound=StrEnum)  # the actions
Subj = TypeVar("Subj")  # what a move is applied to (a row, or a row with its context)


class Versioned(Protocol):
    """A row the engine can move: a status column and an optimistic-concurrency version column."""

    status: Any
    version: int


@dataclass(frozen=True)
class Row(Generic[St, Ac]):
    """One transition: from `source`, `action` by `who` leads to `target`."""

    source: St
    action: Ac
    target: St
    who: StrEnum
    reason_required: bool = False
    outcome_required: bool = False
    reason_label: str = "原因"  # what the 422 asks for: "请填写原因" / "请填写核实意见"


class Table(Generic[St, Ac]):
    """The transition table: rows looked up by (state, action); one `who` per action."""

    def __init__(self, rows: Iterable[Row[St, Ac]]) -> None:
        self.rows: tuple[Row[St, Ac], ...] = tuple(rows)
        self.state_type: type[St] = type(self.rows[0].source)
        self._by_key = {(r.source, r.action): r for r in self.rows}
        self.who: dict[Ac, StrEnum] = {r.action: r.who for r in self.rows}
        if len(self._by_key) != len(self.rows):
            raise ValueError("one row per (state, action)")
        if any(self.who[r.action] != r.who for r in self.rows):
            raise ValueError("one kind of actor per action")

    def find(self, state: St, action: Ac) -> Row[St, Ac] | None:
        return self._by_key.get((state, action))

    def from_state(self, state: St) -> list[Row[St, Ac]]:
        return [r for r in self.rows if r.source == state]

    def path(self, source: St, target: St) -> list[Row[St, Ac]]:
        """The shortest way from `source` to `target` (rows in table order break ties): what a seeder
        or a test factory applies to reach a state through the engine. [] when source is target."""
        ways: dict[St, list[Row[St, Ac]]] = {source: []}
        frontier = [source]
        while frontier and target not in ways:
            following = []
            for state in frontier:
                for row in self.from_state(state):
                    if row.target not in ways:
                        ways[row.target] = [*ways[state], row]
                        following.append(row.target)
            frontier = following
        if target not in ways:
            raise ValueError(f"no way from {source} to {target}")
        return ways[target]

    @property
    def actions(self) -> list[Ac]:
        return list(self.who)

    @property
    def states(self) -> frozenset[St]:
        return frozenset({r.source for r in self.rows} | {r.target for r in self.rows})


@dataclass
class Step(Generic[Subj, St, Ac]):
    """One accepted move, as the effects and the event writer see it."""

    subject: Subj
    row: Row[St, Ac]
    actor: Actor
    at: datetime
    reason: str | None = None
    outcome: StrEnum | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)  # domain extras (a revision's changes)
    data: dict[str, Any] | None = None  # the event's data, filled by `enter`


@dataclass(frozen=True)
class Move(Generic[Subj, Ac]):
    """One requested move (the arguments of apply(), one item of apply_many())."""

    subject: Subj
    action: Ac
    actor: Actor
    expected_version: int | None
    reason: str | None = None
    outcome: StrEnum | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None  # default: now (the demo seeder backdates)


def permitted(authorize: Callable[[Actor, Subj, StrEnum], None], actor: Actor, subject: Subj, who: StrEnum) -> bool:
    """Whether `authorize` lets the actor act as `who` (403 / 404 mean no)."""
    try:
        authorize(actor, subject, who)
    except (Forbidden, NotFound):
        return False
    return True


def _nothing(*_: Any) -> None:
    return None


@dataclass(frozen=True)
class Lifecycle(Generic[Subj, St, Ac]):
    """How a domain plugs its table into the engine (see the module docstring)."""

    name: str  # "pledge": error codes (`pledge_wrong_state`) and the 409's `pledge_status`
    noun: str  # "承诺": "该承诺当前为“草稿”，不能…"
    table: Table[St, Ac]
    status_labels: Mapping[St, str]
    action_labels: Mapping[str, str]
    record: Callable[[Subj], Versioned]
    authorize: Callable[[Actor, Subj, StrEnum], None]  # raises 403 / 404 (ends in require())
    write_events: Callable[[Session, Sequence[Step[Subj, St, Ac]]], None]
    enter: Callable[[Session, Step[Subj, St, Ac]], None] = _nothing
    follow_up: Callable[[Session, Sequence[Step[Subj, St, Ac]]], None] = _nothing
    validate: Callable[[Step[Subj, St, Ac]], None] = _nothing
    # what else the actor may do now, beyond the table (pledges: edit, progress, note)
    more_actions: Callable[[Actor, Subj], list[str]] = lambda _actor, _subject: []
    outcome_prompt: str = "请选择结果"

    def state(self, subject: Subj) -> St:
        return self.table.state_type(self.record(subject).status)

    def permits(self, actor: Actor, subject: Subj, who: StrEnum) -> bool:
        """authorize() as a question: the same rule, never restated."""
        return permitted(self.authorize, actor, subject, who)

    def allowed_actions(self, actor: Actor, subject: Subj) -> list[str]:
        """What the actor may do now: the table's rows from the current state they may take, then more."""
        rows = self.table.from_state(self.state(subject))
        return [r.action.value for r in rows if self.permits(actor, subject, r.who)] + self.more_actions(actor, subject)

    def wrong_state(self, actor: Actor, subject: Subj, what: str) -> Conflict:
        """409: not in this state (with the state and what the actor may do instead)."""
        state = self.state(subject)
        return Conflict(
            f"该{self.noun}当前为“{self.status_labels[state]}”，不能{what}",
            code=f"{self.name}_wrong_state",
            extra={f"{self.name}_status": state.value, "allowed_actions": self.allowed_actions(actor, subject)},
        )


def check_version(row: Versioned, expected: int | None) -> None:
    """Optimistic concurrency: the client's If-Match must name the current version (428 / 412)."""
    if expected is None:
        raise PreconditionRequired()
    if expected != row.version:
        raise PreconditionFailed(extra={"current_version": row.version})


def _step(
    session: Session, lifecycle: Lifecycle[Subj, St, Ac], move: Move[Subj, Ac], now: datetime
) -> Step[Subj, St, Ac]:
    subject, action = move.subject, move.action
    lifecycle.authorize(move.actor, subject, lifecycle.table.who[action])
    record = lifecycle.record(subject)
    check_version(record, move.expected_version)
    row = lifecycle.table.find(lifecycle.state(subject), action)
    if row is None:
        raise lifecycle.wrong_state(move.actor, subject, lifecycle.action_labels.get(action.value, action.value))
    step = Step(subject, row, move.actor, move.at or now, move.reason, move.outcome, move.inputs)
    lifecycle.validate(step)
    if row.reason_required and not move.reason:
        raise Unprocessable(
            f"请填写{row.reason_label}", code="reason_required", errors=[{"field": "reason", "message": "必填"}]
        )
    if row.outcome_required and move.outcome is None:
        raise Unprocessable(
            lifecycle.outcome_prompt, code="outcome_required", errors=[{"field": "outcome", "message": "必填"}]
        )
    record.status = row.target
    record.version += 1
    lifecycle.enter(session, step)
    session.add(record)
    return step


def apply_many(
    session: Session, lifecycle: Lifecycle[Subj, St, Ac], moves: Iterable[Move[Subj, Ac]], *, follow_up: bool = True
) -> list[Step[Subj, St, Ac]]:
    """Apply the moves in order (several may move the same subject along its path); the first one
    refused raises and the request rolls back. Then one event write and one follow-up for all.
    `follow_up=False` (seeding, test factories) skips notifications and cache touches only."""
    now = utcnow()
    steps = [_step(session, lifecycle, move, now) for move in moves]
    if steps:
        session.flush()
        lifecycle.write_events(session, steps)
        if follow_up:
            lifecycle.follow_up(session, steps)
        session.flush()
    return steps


def apply(
    session: Session,
    lifecycle: Lifecycle[Subj, St, Ac],
    *,
    actor: Actor,
    subject: Subj,
    action: Ac,
    expected_version: int | None,
    reason: str | None = None,
    outcome: StrEnum | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> Step[Subj, St, Ac]:
    """Apply one row of the table to `subject` — the only way its state changes (see the module
    docstring for the checks, in order, and what follows)."""
    move = Move(subject, action, actor, expected_version, reason, outcome, inputs or {})
    (step,) = apply_many(session, lifecycle, [move])
    return step


__all__ = [
    "EventRead",
    "Lifecycle",
    "Move",
    "Row",
    "Step",
    "Table",
    "Versioned",
    "apply",
    "apply_many",
    "check_version",
    "list_events",
    "permitted",
]


# ---------------------------------------------------------------- the history a lifecycle wrote


class EventRead(BaseModel):
    """One event of a lifecycle's history as every domain answers it (a period's, a round's)."""

    id: int
    action: str
    action_label: str
    from_status: str | None
    to_status: str
    actor_name: str
    reason: str | None
    at: datetime


def list_events(
    session: Session,
    model: type[LifecycleEvent],
    key: str,
    subject_id: int,
    *,
    labels: Mapping[str, str],
    params: PageParams,
) -> Page[EventRead]:
    """The events of one subject's chain (`key` the event table's column naming it), oldest first,
    each with its action's label (`labels`: the lifecycle's action labels, the unknown shown as is)."""
    stmt = select(model).where(col(getattr(model, key)) == subject_id).order_by(col(model.at), col(model.id))

    def transform(rows: Any) -> list[EventRead]:
        return [
            EventRead(
                id=e.id or 0,
                action=e.action,
                action_label=labels.get(e.action, e.action),
                from_status=e.from_status,
                to_status=e.to_status,
                actor_name=e.actor_name,
                reason=e.reason,
                at=e.at,
            )
            for e in rows
        ]

    return paginate(session, stmt, params, transform)
