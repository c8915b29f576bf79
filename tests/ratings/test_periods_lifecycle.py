"""The period lifecycle as a property: random actions by random personas, over HTTP.

A model predicts every answer (404 unseen, 403 wrong role, 409 wrong state, 422 missing reason,
200 accepted). Whatever happens, the period never reaches a status outside the table, and every
accepted action leaves exactly one event and one new version; a refused one leaves nothing.
Only the actions of this router are walked (compute, approve and publish are results' own routes,
and the table's rows for them are exercised in their tests).
"""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.ratings import states
from app.ratings.models import PeriodStatus, RatingPeriod, RatingPeriodEvent
from app.ratings.states import Action, Who
from tests.factories import World
from tests.ratings.core_factories import API, new_period

PERSONAS = ("member", "group_leader", "secretary", "supervisor", "committee_admin", "outsider")
WALKED = (Action.open, Action.reopen, Action.close_reviews, Action.back_to_reviews, Action.back_to_assessing)
ADMINS = {"committee_admin"}
# everyone here sees the town's period: the outsider too (a secretary of another branch of the town)
SEES = set(PERSONAS)


def _expected(persona: str, action: Action, status: PeriodStatus, reason: bool) -> int:
    if persona not in SEES:
        return 404
    assert states.WHO[action] == Who.admin
    if persona not in ADMINS:
        return 403
    row = states.find(status, action)
    if row is None:
        return 409
    if row.reason_required and not reason:
        return 422
    return 200


def _state(db: Session, period_id: int) -> tuple[PeriodStatus, int, int]:
    db.expire_all()
    period = db.get(RatingPeriod, period_id)
    assert period is not None
    events = db.execute(select(func.count()).where(col(RatingPeriodEvent.period_id) == period_id)).scalar_one()
    return PeriodStatus(period.status), period.version, int(events)


_periods = itertools.count()
any_step = st.tuples(st.sampled_from(WALKED), st.sampled_from(PERSONAS), st.booleans())


def _next_step(data: st.DataObject, status: PeriodStatus) -> tuple[Action, str, bool]:
    """Mostly a move the table allows by the committee (so the walk gets deep), else anything."""
    rows = [r for r in states.actions_from(status) if r.action in WALKED]
    if rows and data.draw(st.integers(0, 9)) < 7:
        row = data.draw(st.sampled_from(rows))
        return Action(row.action), "committee_admin", data.draw(st.integers(0, 5)) > 0
    return data.draw(any_step)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), length=st.integers(1, 10))
def test_random_actions_stay_inside_the_table(
    client: TestClient, world: World, db: Session, data: st.DataObject, length: int
) -> None:
    # the world lives through every example of the test: each example walks a period of its own
    n = next(_periods)
    period = new_period(db, world, quarter=n % 4 + 1, year=2000 + n // 4)
    pid = period.id or 0
    for _ in range(length):
        status, version, events = _state(db, pid)
        action, persona, with_reason = _next_step(data, status)
        headers = {**getattr(world, persona).headers, "If-Match": f'"{version}"'}
        body = {"reason": "原因"} if with_reason else None
        r = client.post(f"{API}/rating-periods/{pid}/{action.value}", json=body, headers=headers)
        expected = _expected(persona, action, status, with_reason)
        assert r.status_code == expected, (persona, action, status, r.text)
        after, new_version, new_events = _state(db, pid)
        assert after in states.STATUSES
        if r.status_code == 200:
            row = states.find(status, action)
            assert row is not None
            assert after == row.target
            assert new_events == events + 1
            assert new_version == version + 1
            assert r.json()["status"] == after.value
            assert r.headers["ETag"] == f'"{new_version}"'
        else:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert (after, new_version, new_events) == (status, version, events)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.lists(st.sampled_from(list(Action)), min_size=1, max_size=14))
def test_the_table_alone_never_leaves_its_statuses(path: list[Action]) -> None:
    """Any sequence of actions, applied where the table has a row, stays among the table's statuses,
    and going back is always a step that needs a reason."""
    status = PeriodStatus.draft
    for action in path:
        row = states.find(status, action)
        if row is None:
            continue
        order = list(PeriodStatus)
        if order.index(row.target) < order.index(row.source):
            assert row.reason_required, row
        status = PeriodStatus(row.target)
        assert status in states.STATUSES
