"""Random sequences of actions by random personas, over HTTP.

An independent model predicts every answer (404 unseen, 403 wrong role, 409 wrong state, 422 missing
reason or outcome, 200 accepted). Whatever happens, the pledge never reaches a status outside the
transition table, and every accepted action leaves exactly one event and one new version; a refused
one leaves nothing.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.pledges import states
from app.pledges.models import Pledge, PledgeEvent, PledgeStatus
from app.pledges.states import Action, Who
from tests.factories import World
from tests.pledges.api import API, create

PERSONAS = ("member", "group_leader", "secretary", "supervisor", "committee_admin", "outsider")
REVIEWERS = {"secretary", "committee_admin"}


def _owners(collective: bool) -> set[str]:
    # a member who signs in takes their own steps (a secretary acts only for one without a login)
    return (REVIEWERS | {"group_leader"}) if collective else {"member"}


def _sees(persona: str, collective: bool, ever_published: bool) -> bool:
    if persona == "outsider":
        return False
    if persona in REVIEWERS or persona in _owners(collective):
        return True
    return ever_published


def _expected(persona: str, action: Action, status: PledgeStatus, collective: bool, ever: bool, reason: bool) -> int:
    if not _sees(persona, collective, ever):
        return 404
    who = states.WHO[action]
    if persona not in (REVIEWERS if who == Who.reviewer else _owners(collective)):
        return 403
    row = states.find(status, action)
    if row is None or action == Action.review:  # the walk's pledges are year pledges: 回头看 is a term's only
        return 409
    if (row.reason_required or row.outcome_required) and not reason:
        return 422
    return 200


def _state(db: Session, pledge_id: int) -> tuple[PledgeStatus, int, int]:
    db.expire_all()
    pledge = db.get(Pledge, pledge_id)
    assert pledge is not None
    events = db.execute(select(func.count()).where(col(PledgeEvent.pledge_id) == pledge_id)).scalar_one()
    return PledgeStatus(pledge.status), pledge.version, int(events)


any_step = st.tuples(st.sampled_from(list(Action)), st.sampled_from(PERSONAS), st.booleans())


def _next_step(data: st.DataObject, status: PledgeStatus, collective: bool) -> tuple[Action, str, bool]:
    """Mostly a move the table allows, by someone who may make it (so the walk gets deep: published,
    revising, closing, closed); otherwise anything by anyone."""
    rows = states.actions_from(status)
    if rows and data.draw(st.integers(0, 9)) < 7:
        row = data.draw(st.sampled_from(rows))
        who = sorted(REVIEWERS if row.who == Who.reviewer else _owners(collective))
        return row.action, data.draw(st.sampled_from(who)), data.draw(st.integers(0, 5)) > 0
    return data.draw(any_step)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), collective=st.booleans(), length=st.integers(1, 12))
def test_random_actions_stay_inside_the_table(
    client: TestClient, world: World, db: Session, data: st.DataObject, collective: bool, length: int
) -> None:
    if collective:
        pid = create(client, world.group_leader, category="collective", unit_id=world.group.id)["id"]
    else:
        pid = create(client, world.member)["id"]
    ever_published = False
    for i in range(length):
        status, version, events = _state(db, pid)
        action, persona, with_reason = _next_step(data, status, collective)
        headers = {**getattr(world, persona).headers, "If-Match": f'"{version}"'}
        if action == Action.revise:
            r = client.post(f"{API}/pledges/{pid}/revise", json={"content": f"修改后的内容 {i}"}, headers=headers)
        else:
            body = {"reason": "原因", "outcome": "kept"} if with_reason else None
            r = client.post(f"{API}/pledges/{pid}/{action.value.replace('_', '-')}", json=body, headers=headers)
        expected = _expected(
            persona, action, status, collective, ever_published, with_reason or action == Action.revise
        )
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
            ever_published = ever_published or after == PledgeStatus.published
        else:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert (after, new_version, new_events) == (status, version, events)
