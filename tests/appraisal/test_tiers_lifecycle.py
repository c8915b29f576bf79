"""The tier lifecycle as a property: random actions by random personas with random tiers and reasons,
over HTTP. A model predicts every answer (404 unseen, 403 not the committee, 409 wrong state or a
rule of the state, 422 a missing reason or an unchanged tier, 200 accepted). Whatever happens the tier
stays in the table's states, and every accepted action leaves exactly one event and one new version;
a refused one leaves nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from app.appraisal.models_tiers import BranchTier, BranchTierEvent, RectificationStep, StepStatus, Tier, TierStatus
from app.appraisal.tiers_states import TIER_TABLE, TierAction
from tests.appraisal.tiers_factories import API, h, propose, year_levels
from tests.factories import World

PERSONAS = ("member", "group_leader", "secretary", "supervisor", "committee_admin", "outsider")
# the walked tier is 花车村党支部's (the outsider persona is its secretary)
SEES = {"committee_admin", "outsider"}
TIERS = (None, *Tier)


def _expected(
    persona: str, action: TierAction, tier: BranchTier, chosen: Tier | None, reason: bool, done_steps: int
) -> int:
    if persona not in SEES:
        return 404
    if persona != "committee_admin":
        return 403
    row = TIER_TABLE.find(TierStatus(tier.status), action)
    if row is None:
        return 409
    if action == TierAction.approve and chosen is not None and chosen != tier.proposed_tier and not reason:
        return 422
    if action == TierAction.change and (chosen is None or chosen == tier.tier):
        return 422
    if action == TierAction.rectify and tier.tier != Tier.backward:
        return 409
    if action == TierAction.lift and not done_steps:
        return 409
    if row.reason_required and not reason:
        return 422
    return 200


def _state(db: Session, tier_id: int) -> tuple[BranchTier, int]:
    db.expire_all()
    tier = db.get(BranchTier, tier_id)
    assert tier is not None
    events = db.execute(select(func.count()).where(col(BranchTierEvent.tier_id) == tier_id)).scalar_one()
    return tier, int(events)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), length=st.integers(1, 10))
def test_random_actions_stay_inside_the_table(
    client: TestClient, world: World, db: Session, data: st.DataObject, length: int
) -> None:
    if db.execute(select(func.count()).select_from(BranchTier)).scalar_one() == 0:
        year_levels(db, world)
        propose(client, world)
    tier_id = db.execute(
        select(col(BranchTier.id)).where(col(BranchTier.branch_id) == world.other_branch.id)
    ).scalar_one()
    # each example starts again from the proposal
    db.execute(delete(BranchTierEvent).where(col(BranchTierEvent.tier_id) == tier_id))
    db.execute(delete(RectificationStep).where(col(RectificationStep.tier_id) == tier_id))
    tier = db.get(BranchTier, tier_id)
    assert tier is not None
    tier.status, tier.tier, tier.proposed_tier = TierStatus.proposed, None, Tier.backward
    db.add(tier)
    db.flush()
    for _ in range(length):
        tier, events = _state(db, tier_id)
        status, version, current = TierStatus(tier.status), tier.version, tier.tier
        rows = TIER_TABLE.from_state(status)
        if rows and data.draw(st.integers(0, 9)) < 7:  # mostly a move the table has, by the committee
            action, persona = TierAction(data.draw(st.sampled_from(rows)).action), "committee_admin"
        else:
            action, persona = data.draw(st.sampled_from(list(TierAction))), data.draw(st.sampled_from(PERSONAS))
        chosen = data.draw(st.sampled_from(TIERS))
        with_reason = data.draw(st.integers(0, 5)) > 0
        done = int(
            db.execute(
                select(func.count()).where(
                    col(RectificationStep.tier_id) == tier_id, col(RectificationStep.status) == StepStatus.done.value
                )
            ).scalar_one()
        )
        expected = _expected(persona, action, tier, chosen, with_reason, done)
        body = {"tier": chosen.value if chosen else None, "reason": "理由" if with_reason else None}
        r = client.post(
            f"{API}/branch-tiers/{tier_id}/{action.value}", json=body, headers=h(getattr(world, persona), version)
        )
        assert r.status_code == expected, (persona, action, status, current, chosen, with_reason, r.text)
        after, new_events = _state(db, tier_id)
        assert TierStatus(after.status) in TIER_TABLE.states
        if r.status_code == 200:
            row = TIER_TABLE.find(status, action)
            assert row is not None
            assert after.status == row.target
            assert (new_events, after.version) == (events + 1, version + 1)
            assert r.json()["status"] == row.target.value
            if row.target == TierStatus.lifted:
                assert after.tier == Tier.ordinary
            elif row.target == TierStatus.proposed:
                assert after.tier is None
            else:
                assert after.tier is not None
            if row.target == TierStatus.rectifying and data.draw(st.booleans()):
                # the plan's work, done (as the steps' own tests do it through the API)
                db.add(
                    RectificationStep(
                        tier_id=tier_id,
                        branch_id=after.branch_id,
                        title="整顿",
                        due_on=after.created_at.date(),
                        status=StepStatus.done,
                    )
                )
                db.flush()
        else:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert (after.status, after.version, new_events) == (status, version, events)


@settings(max_examples=50, deadline=None)
@given(path=st.lists(st.sampled_from(list(TierAction)), min_size=1, max_size=12))
def test_the_table_alone(path: list[TierAction]) -> None:
    """Any path through the table stays among its states; going back and 摘帽 always need a reason,
    and 已摘帽 is the end of the year's story."""
    status = TierStatus.proposed
    for action in path:
        row = TIER_TABLE.find(status, action)
        if row is None:
            continue
        if row.target == TierStatus.proposed or row.target == TierStatus.lifted or row.action == TierAction.change:
            assert row.reason_required, row
        status = TierStatus(row.target)
        assert status in TIER_TABLE.states
    assert TIER_TABLE.from_state(TierStatus.lifted) == []
