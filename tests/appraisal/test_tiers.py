"""Branch tiers by 五好 through the API: the proposal from the year's levels (figures by hand in
tiers_factories), the 五好 marks, approve / change / reopen with reasons, the 整顿 plan of a 后进 branch
(steps done by the secretary, dropped by the committee), 摘帽子 as a recorded decision, the history,
and who sees what."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.appraisal.models_tiers import BranchTierEvent
from app.ratings.models import PeriodStatus
from app.ratings.rules import PolicyRules, TierLines
from tests.appraisal.tiers_factories import API, YEAR, act, h, propose, tier_of, year_levels
from tests.factories import World


def test_no_proposal_before_the_year_levels_are_decided(client: TestClient, world: World, db: Session) -> None:
    year_levels(db, world, status=PeriodStatus.computed)
    r = client.post(
        f"{API}/branch-tiers/propose", json={"unit_id": world.town.id, "year": YEAR}, headers=h(world.committee_admin)
    )
    assert r.status_code == 409
    assert r.json()["code"] == "tier_no_year_levels"
    assert "尚未审定" in r.json()["detail"]


def test_proposal_from_the_year_levels_and_the_lines(client: TestClient, world: World, db: Session) -> None:
    year_levels(db, world)
    propose(client, world)
    mine = tier_of(client, world, world.branch.id or 0)
    assert (mine["proposed_tier"], mine["stars"], mine["score"]) == ("advanced", 4, 355.0)
    assert mine["status"] == "proposed"
    assert mine["tier"] is None
    assert mine["tier_label"] == "待审定"
    assert mine["explanation"] == "年度星级四星，达到先进线（四星及以上），建议为先进。"
    other = tier_of(client, world, world.other_branch.id or 0)
    assert other["proposed_tier"] == "backward"
    assert "在后进线（二星及以下）" in other["explanation"]
    # the office branch has no year result: no proposal
    r = client.get(f"{API}/branch-tiers", params={"year": YEAR}, headers=h(world.committee_admin))
    assert r.json()["total"] == 2
    # proposing again renews the proposals (one more event each), never duplicates them
    propose(client, world)
    assert (
        client.get(f"{API}/branch-tiers", params={"year": YEAR}, headers=h(world.committee_admin)).json()["total"] == 2
    )
    events = client.get(f"{API}/branch-tiers/{mine['id']}/events", headers=h(world.committee_admin)).json()
    assert [e["action"] for e in events] == ["propose", "propose"]


def test_stricter_lines_from_the_policy(client: TestClient, world: World, db: Session) -> None:
    # 先进 only from five stars: 大洼's four stars are 一般
    year_levels(db, world, rules=PolicyRules(tiers=TierLines(advanced_stars=5, backward_stars=1)))
    propose(client, world)
    mine = tier_of(client, world, world.branch.id or 0)
    assert mine["proposed_tier"] == "ordinary"
    assert "在先进线（五星）与后进线（一星）之间" in mine["explanation"]
    assert tier_of(client, world, world.other_branch.id or 0)["proposed_tier"] == "backward"


def test_lines_must_leave_room(client: TestClient, world: World) -> None:
    body = PolicyRules(tiers=TierLines(advanced_stars=3, backward_stars=3)).model_dump(mode="json")
    r = client.put(f"{API}/rating-policies/{world.town.id}", json=body, headers=h(world.committee_admin))
    assert r.status_code == 422
    assert "先进的星级线须高于后进的星级线" in r.text


def test_a_five_good_item_marked_bad_blocks_advanced(client: TestClient, world: World, db: Session) -> None:
    year_levels(db, world)
    propose(client, world)
    mine = tier_of(client, world, world.branch.id or 0)
    names = [g["label"] for g in mine["five_good"]]
    assert names == ["领导班子好", "党员干部队伍好", "支部工作机制好", "发展经济业绩好", "农民群众反映好"]
    url = f"{API}/branch-tiers/{mine['id']}/items"
    assert client.put(url, json={"items": {"economy": False}}, headers=h(world.committee_admin)).status_code == 428
    assert (
        client.put(url, json={"items": {"economy": False}}, headers=h(world.secretary, mine["version"])).status_code
        == 403
    )
    r = client.put(url, json={"items": {"bogus": True}}, headers=h(world.committee_admin, mine["version"]))
    assert r.status_code == 422
    r = client.put(
        url, json={"items": {"economy": False, "team": True}}, headers=h(world.committee_admin, mine["version"])
    )
    assert r.status_code == 200, r.text
    marked = r.json()
    assert marked["proposed_tier"] == "ordinary"
    assert "“发展经济业绩好”评为不好，建议为一般" in marked["explanation"]
    assert {g["key"]: g["good"] for g in marked["five_good"]}["team"] is True
    # clearing the mark brings 先进 back
    r = client.put(url, json={"items": {"economy": None}}, headers=h(world.committee_admin, marked["version"]))
    assert r.json()["proposed_tier"] == "advanced"


def test_approve_change_reopen_with_reasons(client: TestClient, world: World, db: Session) -> None:
    year_levels(db, world)
    propose(client, world)
    mine = tier_of(client, world, world.branch.id or 0)
    assert "approve" in mine["allowed_actions"]
    assert act(client, world.secretary, mine, "approve").status_code == 403
    assert (
        client.post(f"{API}/branch-tiers/{mine['id']}/approve", json={}, headers=h(world.committee_admin)).status_code
        == 428
    )
    # another tier than proposed needs a reason
    r = act(client, world.committee_admin, mine, "approve", {"tier": "ordinary"})
    assert r.status_code == 422
    assert r.json()["code"] == "reason_required"
    r = act(client, world.committee_admin, mine, "approve")
    assert r.status_code == 200, r.text
    approved = r.json()
    assert (approved["status"], approved["tier"], approved["tier_label"]) == ("approved", "advanced", "先进")
    assert r.headers["ETag"] == f'"{approved["version"]}"'
    # approving twice: 409 with what may be done instead
    again = act(client, world.committee_admin, approved, "approve")
    assert again.status_code == 409
    assert "change" in again.json()["allowed_actions"]
    # 动态升级/降级: a change needs a reason and another tier
    assert act(client, world.committee_admin, approved, "change", {"tier": "ordinary"}).status_code == 422
    assert (
        act(client, world.committee_admin, approved, "change", {"tier": "advanced", "reason": "同"}).status_code == 422
    )
    r = act(client, world.committee_admin, approved, "change", {"tier": "ordinary", "reason": "年中群众反映集中"})
    assert r.status_code == 200
    changed = r.json()
    assert (changed["tier"], changed["reason"]) == ("ordinary", "年中群众反映集中")
    # a stale version is refused
    assert act(client, world.committee_admin, approved, "reopen", {"reason": "重算"}).status_code == 412
    assert act(client, world.committee_admin, changed, "reopen").status_code == 422
    r = act(client, world.committee_admin, changed, "reopen", {"reason": "年度星级重新核算"})
    assert r.status_code == 200
    assert r.json()["tier"] is None
    events = client.get(f"{API}/branch-tiers/{mine['id']}/events", headers=h(world.committee_admin)).json()
    assert [(e["action"], e["reason"]) for e in events] == [
        ("propose", None),
        ("approve", None),
        ("change", "年中群众反映集中"),
        ("reopen", "年度星级重新核算"),
    ]
    assert events[2]["data"] == {"from_tier": "advanced", "tier": "ordinary"}


def test_rectification_and_lifting_the_hat(client: TestClient, world: World, db: Session) -> None:
    year_levels(db, world)
    propose(client, world)
    other = tier_of(client, world, world.other_branch.id or 0)
    mine = tier_of(client, world, world.branch.id or 0)
    # only a 后进 branch is rectified and has a plan
    mine = act(client, world.committee_admin, mine, "approve").json()
    assert "rectify" not in mine["allowed_actions"]
    assert "add_step" not in mine["allowed_actions"]
    assert act(client, world.committee_admin, mine, "rectify").status_code == 409
    steps_url = f"{API}/branch-tiers/{mine['id']}/steps"
    assert (
        client.post(
            steps_url, json={"title": "x", "due_on": "2027-03-31"}, headers=h(world.committee_admin)
        ).status_code
        == 409
    )

    other = act(client, world.committee_admin, other, "approve").json()
    assert other["tier"] == "backward"
    assert "add_step" in other["allowed_actions"]
    steps_url = f"{API}/branch-tiers/{other['id']}/steps"
    for title, due in (("调整充实支部班子", "2027-03-31"), ("建立党员联系户制度", "2027-06-30")):
        r = client.post(steps_url, json={"title": title, "due_on": due}, headers=h(world.committee_admin))
        assert r.status_code == 201, r.text
    # the other branch's own secretary cannot add steps, the first branch's secretary does not see it
    assert (
        client.post(steps_url, json={"title": "x", "due_on": "2027-01-01"}, headers=h(world.outsider)).status_code
        == 403
    )
    assert (
        client.post(steps_url, json={"title": "x", "due_on": "2027-01-01"}, headers=h(world.secretary)).status_code
        == 404
    )
    assert (
        client.post(steps_url, json={"title": "", "due_on": "2027-01-01"}, headers=h(world.committee_admin)).status_code
        == 422
    )
    other = tier_of(client, world, world.other_branch.id or 0)
    assert [s["title"] for s in other["steps"]] == ["调整充实支部班子", "建立党员联系户制度"]
    other = act(client, world.committee_admin, other, "rectify").json()
    assert (other["status"], other["status_label"]) == ("rectifying", "整顿中")

    # 摘帽 refused while a step is open
    r = act(client, world.committee_admin, other, "lift", {"reason": "整顿到位"})
    assert r.status_code == 409
    assert r.json()["code"] == "tier_steps_open"
    first, second = other["steps"]
    step_url = f"{API}/branch-tiers/{other['id']}/steps"
    # the branch's own secretary (the outsider persona) marks a step done, with what was done
    assert (
        "complete" in tier_of(client, world, world.other_branch.id or 0, world.outsider)["steps"][0]["allowed_actions"]
    )
    r = client.post(f"{step_url}/{first['id']}/complete", json={}, headers=h(world.outsider, first["version"]))
    assert r.status_code == 422
    assert "完成情况" in r.json()["detail"]
    r = client.post(
        f"{step_url}/{first['id']}/complete",
        json={"reason": "新选配支部委员 2 名"},
        headers=h(world.outsider, first["version"]),
    )
    assert r.status_code == 200, r.text
    done = r.json()["steps"][0]
    assert (done["status"], done["note"]) == ("done", "新选配支部委员 2 名")
    # the secretary may not drop a step; the committee does, with a reason
    r = client.post(
        f"{step_url}/{second['id']}/drop",
        json={"reason": "并入下一年计划"},
        headers=h(world.outsider, second["version"]),
    )
    assert r.status_code == 403
    r = client.post(
        f"{step_url}/{second['id']}/drop",
        json={"reason": "并入下一年计划"},
        headers=h(world.committee_admin, second["version"]),
    )
    assert r.status_code == 200
    other = r.json()
    assert act(client, world.committee_admin, other, "lift").status_code == 422
    r = act(client, world.committee_admin, other, "lift", {"reason": "整顿到位，群众认可"})
    assert r.status_code == 200, r.text
    lifted = r.json()
    assert (lifted["status"], lifted["tier"], lifted["tier_label"]) == ("lifted", "ordinary", "一般（已摘帽）")
    assert lifted["lifted_at"] is not None
    # nothing moves after 摘帽: the plan is closed
    assert all(s["allowed_actions"] == [] for s in lifted["steps"])
    r = client.post(f"{step_url}/{first['id']}/undo", json={"reason": "x"}, headers=h(world.outsider, 2))
    assert r.status_code == 409
    events = client.get(f"{API}/branch-tiers/{other['id']}/events", headers=h(world.outsider)).json()
    assert [e["action"] for e in events] == [
        "propose",
        "approve",
        "add_step",
        "add_step",
        "rectify",
        "step_complete",
        "step_drop",
        "lift",
    ]
    assert events[-1]["reason"] == "整顿到位，群众认可"
    assert events[-1]["data"] == {"from_tier": "backward", "tier": "ordinary"}
    # one hash chain per tier: seq 1..n
    seqs = (
        db.execute(
            select(col(BranchTierEvent.seq))
            .where(col(BranchTierEvent.tier_id) == other["id"])
            .order_by(col(BranchTierEvent.id))
        )
        .scalars()
        .all()
    )
    assert list(seqs) == list(range(1, 9))


def test_history_and_who_sees_what(client: TestClient, world: World, db: Session) -> None:
    year_levels(db, world)
    propose(client, world)
    # the secretary sees their own branch's tier only; the member none (no rating.manage)
    r = client.get(f"{API}/branch-tiers", headers=h(world.secretary))
    assert [t["branch_id"] for t in r.json()["items"]] == [world.branch.id]
    assert r.json()["items"][0]["allowed_actions"] == []
    assert client.get(f"{API}/branch-tiers", headers=h(world.member)).status_code == 403
    other_id = tier_of(client, world, world.other_branch.id or 0)["id"]
    assert client.get(f"{API}/branch-tiers/{other_id}", headers=h(world.secretary)).status_code == 404
    assert client.get(f"{API}/branch-tiers/{other_id}", headers=h(world.member)).status_code == 404
    assert client.get(f"{API}/branch-tiers/{other_id}", headers=h(world.anonymous)).status_code == 401
    assert (
        client.post(
            f"{API}/branch-tiers/propose", json={"unit_id": world.town.id, "year": YEAR}, headers=h(world.secretary)
        ).status_code
        == 404  # the committee is not in a secretary's sight
    )
    # a branch's history: one row per year, newest first
    from app.appraisal.models_tiers import BranchTier, Tier

    db.add(
        BranchTier(
            committee_id=world.town.id or 0, branch_id=world.branch.id or 0, year=YEAR - 1, proposed_tier=Tier.ordinary
        )
    )
    db.flush()
    r = client.get(f"{API}/branch-tiers", params={"branch_id": world.branch.id}, headers=h(world.committee_admin))
    assert [t["year"] for t in r.json()["items"]] == [YEAR, YEAR - 1]
    assert db.execute(select(func.count()).select_from(BranchTierEvent)).scalar_one() == 2
    assert date.today().year >= 2026
