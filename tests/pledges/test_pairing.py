"""The pairing register (结对帮扶, issue 13): pairings private to the member, their secretary and the
committee; pairing pledges linked to them; visits as progress reports; counts per branch."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.permissions import SYSTEM
from app.pledges import pairing
from app.pledges.models import PledgeCategory, PledgeStatus
from app.pledges.schemas_pairing import PairingCreate
from tests.factories import World
from tests.matrix import Case, check, params
from tests.pledges.api import API, act, ok, progress
from tests.pledges.factories import create_pledge

HOUSEHOLD = "程大山户"


def _pair(client: TestClient, who: Any, **body: Any) -> dict[str, Any]:
    body = {"household_name": HOUSEHOLD, "village_group": "五组", "needs": "老人独居，需要代购药品", **body}
    return ok(client.post(f"{API}/pairings", json=body, headers=who.headers), 201)


def _published_pledge(client: TestClient, world: World, pairing_id: int) -> dict[str, Any]:
    pledge = ok(
        client.post(
            f"{API}/pairings/{pairing_id}/pledges",
            json={"title": "结对帮扶一户困难老人", "content": "每月走访一次，帮助代购药品。"},
            headers=world.member.headers,
        ),
        201,
    )
    ok(act(client, world.member, pledge["id"], "submit"))
    ok(act(client, world.secretary, pledge["id"], "approve"))
    ok(act(client, world.secretary, pledge["id"], "publish"))
    return pledge


def test_a_pairing_is_read_by_the_member_the_secretary_and_the_committee_only(client: TestClient, world: World) -> None:
    mine = _pair(client, world.member)
    assert (mine["household_name"], mine["village_group"], mine["active"]) == (HOUSEHOLD, "五组", True)
    assert mine["member_name"] == "党员甲"
    for who in (world.member, world.secretary, world.committee_admin):
        assert ok(client.get(f"{API}/pairings/{mine['id']}", headers=who.headers))["household_name"] == HOUSEHOLD
    assert client.get(f"{API}/pairings/{mine['id']}", headers=world.group_leader.headers).status_code == 403
    assert client.get(f"{API}/pairings/{mine['id']}", headers=world.supervisor.headers).status_code == 403
    assert client.get(f"{API}/pairings/{mine['id']}", headers=world.outsider.headers).status_code == 404
    # the register: the member's own, the branch's for its secretary (paged)
    ok(
        client.post(
            f"{API}/pairings",
            json={"household_name": "汪小河户", "member_id": world.group_leader.member_id},
            headers=world.secretary.headers,
        ),
        201,
    )
    own = ok(client.get(f"{API}/pairings", headers=world.member.headers))
    assert [p["household_name"] for p in own["items"]] == [HOUSEHOLD]
    register = ok(client.get(f"{API}/pairings?unit_id={world.branch.id}&size=1", headers=world.secretary.headers))
    assert (register["total"], register["pages"]) == (2, 2)
    assert (
        client.get(f"{API}/pairings?unit_id={world.branch.id}", headers=world.group_leader.headers).status_code == 403
    )
    assert client.get(f"{API}/pairings?unit_id={world.branch.id}", headers=world.outsider.headers).status_code == 404
    # a member may not register a pairing for someone else
    other = client.post(
        f"{API}/pairings",
        json={"household_name": "某户", "member_id": world.secretary.member_id},
        headers=world.member.headers,
    )
    assert other.status_code == 403


def test_pairing_pledge_and_visits_never_carry_the_household_name(client: TestClient, world: World) -> None:
    pair = _pair(client, world.member)
    named = client.post(
        f"{API}/pairings/{pair['id']}/pledges",
        json={"title": "帮扶程大山一家", "content": "每月走访。"},
        headers=world.member.headers,
    )
    assert named.status_code == 422
    assert named.json()["code"] == "pairing_name_public"
    # no published pairing pledge yet: a visit has nothing to be logged on
    early = client.post(
        f"{API}/pairings/{pair['id']}/visits", json={"text": "送去米和油"}, headers=world.member.headers
    )
    assert early.status_code == 409
    pledge = _published_pledge(client, world, pair["id"])
    read = ok(client.get(f"{API}/pledges/{pledge['id']}", headers=world.member.headers))
    assert read["category"] == "pairing"
    visit = ok(
        client.post(
            f"{API}/pairings/{pair['id']}/visits",
            json={"text": "送去米和油", "percent": 30},
            headers=world.member.headers,
        ),
        201,
    )
    assert visit["pledge_id"] == pledge["id"]
    assert visit["text"] == "走访结对户：送去米和油"
    leak = client.post(f"{API}/pairings/{pair['id']}/visits", json={"text": "看望程大山"}, headers=world.member.headers)
    assert leak.status_code == 422
    # the visit is the pledge's progress report, counted on the pairing
    again = ok(client.get(f"{API}/pairings/{pair['id']}", headers=world.member.headers))
    assert (again["pledges"], again["visits"]) == (1, 1)
    timeline = ok(client.get(f"{API}/pledges/{pledge['id']}", headers=world.member.headers))
    assert timeline["progress_count"] == 1
    # the group leader sees the published pledge but not the household
    seen = ok(client.get(f"{API}/pledges/{pledge['id']}", headers=world.group_leader.headers))
    assert HOUSEHOLD not in str(seen)


def test_ending_a_pairing_and_counts_per_branch(client: TestClient, world: World) -> None:
    a = _pair(client, world.member)
    _pair(client, world.member, household_name="胡二户")
    ok(
        client.post(
            f"{API}/pairings",
            json={"household_name": "檀三户", "member_id": world.group_leader.member_id},
            headers=world.secretary.headers,
        ),
        201,
    )
    assert (
        client.patch(
            f"{API}/pairings/{a['id']}", json={"ended_on": "2026-12-01"}, headers=world.member.headers
        ).status_code
        == 428
    )
    ended = ok(
        client.patch(
            f"{API}/pairings/{a['id']}",
            json={"ended_on": "2026-12-01"},
            headers={**world.member.headers, "If-Match": f'"{a["version"]}"'},
        )
    )
    assert ended["active"] is False
    stale = client.patch(
        f"{API}/pairings/{a['id']}",
        json={"needs": "x"},
        headers={**world.member.headers, "If-Match": f'"{a["version"]}"'},
    )
    assert stale.status_code == 412
    counts = ok(client.get(f"{API}/pairings/counts?unit_id={world.town.id}", headers=world.committee_admin.headers))
    row = next(c for c in counts if c["branch_id"] == world.branch.id)
    assert (row["members"], row["households"], row["ended"], row["visits"]) == (2, 2, 1, 0)
    assert HOUSEHOLD not in str(counts)
    assert (
        client.get(f"{API}/pairings/counts?unit_id={world.town.id}", headers=world.secretary.headers).status_code == 404
    )
    mine = ok(client.get(f"{API}/pairings/counts?unit_id={world.branch.id}", headers=world.secretary.headers))
    assert [c["households"] for c in mine] == [2]


def test_branch_counts_are_one_grouped_query_each(client: TestClient, world: World, query_counter: list[str]) -> None:
    assert world.db is not None
    for i in range(6):
        pairing.create_pairing(
            world.db, actor=SYSTEM, data=PairingCreate(household_name=f"户{i}", member_id=world.member.member_id)
        )
    query_counter.clear()
    pairing.branch_counts(world.db, actor=SYSTEM, unit_id=world.town.id or 0)
    few = len(query_counter)
    for i in range(6):
        pairing.create_pairing(
            world.db, actor=SYSTEM, data=PairingCreate(household_name=f"户{i}", member_id=world.outsider.member_id)
        )
    query_counter.clear()
    pairing.branch_counts(world.db, actor=SYSTEM, unit_id=world.town.id or 0)
    assert len(query_counter) == few <= 4


def _pairing_id(w: World, persona: str = "member") -> int:
    assert w.db is not None
    located = pairing.create_pairing(
        w.db, actor=SYSTEM, data=PairingCreate(household_name=HOUSEHOLD, member_id=getattr(w, persona).member_id)
    )
    return int(located.pairing.id or 0)


def _visit_path(w: World) -> str:
    """A pairing of the member with a published pairing pledge: where a visit is logged."""
    assert w.db is not None
    pairing_id = _pairing_id(w)
    create_pledge(
        w.db,
        unit=w.group,
        member_id=w.member.member_id,
        status=PledgeStatus.published,
        category=PledgeCategory.pairing,
        pairing_id=pairing_id,
    )
    return f"{API}/pairings/{pairing_id}/visits"


IN_BRANCH_READ = ["committee_admin", "secretary", "member"]
CASES = [
    Case(
        "GET",
        lambda w: f"{API}/pairings",
        name="GET /pairings (mine)",
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor", "outsider"],
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/pairings?unit_id={w.branch.id}",
        name="GET /pairings?unit_id",
        allowed=["committee_admin", "secretary"],
        denied_403=["group_leader", "member", "supervisor"],
    ),
    Case(
        "GET",
        lambda w: f"{API}/pairings/counts?unit_id={w.branch.id}",
        name="GET /pairings/counts",
        allowed=["committee_admin", "secretary"],
        denied_403=["group_leader", "member", "supervisor"],
    ),
    Case(
        "POST",
        lambda w: f"{API}/pairings",
        name="POST /pairings (for the member)",
        allowed=["committee_admin", "secretary", "member"],
        denied_403=["group_leader", "supervisor"],
        body_factory=lambda w: {"household_name": HOUSEHOLD, "member_id": w.member.member_id},
        expect=201,
    ),
    Case(
        "GET",
        lambda w: f"{API}/pairings/{_pairing_id(w)}",
        name="GET /pairings/{id}",
        allowed=IN_BRANCH_READ,
        denied_403=["group_leader", "supervisor"],
    ),
    Case(
        "PATCH",
        lambda w: f"{API}/pairings/{_pairing_id(w)}",
        name="PATCH /pairings/{id}",
        allowed=IN_BRANCH_READ,
        denied_403=["group_leader", "supervisor"],
        body_factory=lambda w: {"needs": "需要助学"},
        headers_factory=lambda w: {"If-Match": '"1"'},
    ),
    Case(
        "POST",
        lambda w: f"{API}/pairings/{_pairing_id(w)}/pledges",
        name="POST /pairings/{id}/pledges",
        allowed=IN_BRANCH_READ,
        denied_403=["group_leader", "supervisor"],
        body_factory=lambda w: {"title": "结对帮扶", "content": "每月走访一次。"},
        expect=201,
    ),
    Case(
        "POST",
        _visit_path,
        name="POST /pairings/{id}/visits",
        # a secretary logs a visit only for a member without an account (代办), as any progress report
        allowed=["member"],
        denied_403=["secretary", "committee_admin", "group_leader", "supervisor"],
        body_factory=lambda w: {"text": "送去米和油"},
        expect=201,
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)


def test_no_route_puts_the_household_name_on_a_board(client: TestClient, world: World) -> None:
    """The household's name is refused by every route that writes public text, not only the pairing
    routes: editing a draft, proposing a revision, a plain progress report, renaming the household to
    a name already public, and a pledge's own helped_household (spaces and case do not slip through)."""
    pair = _pair(client, world.member)
    draft = ok(
        client.post(
            f"{API}/pairings/{pair['id']}/pledges",
            json={"title": "结对帮扶一户困难老人", "content": "每月走访一次。"},
            headers=world.member.headers,
        ),
        201,
    )
    etag = client.get(f"{API}/pledges/{draft['id']}", headers=world.member.headers).headers["etag"]
    edited = client.patch(
        f"{API}/pledges/{draft['id']}",
        json={"content": "每月看望程 大 山老人"},
        headers={**world.member.headers, "If-Match": etag},
    )
    assert (edited.status_code, edited.json()["code"]) == (422, "pairing_name_public")

    pledge = _published_pledge(client, world, pair["id"])
    revised = act(client, world.member, pledge["id"], "revise", title="帮扶程大山")
    assert (revised.status_code, revised.json()["code"]) == (422, "pairing_name_public")
    assert ok(client.get(f"{API}/pledges/{pledge['id']}", headers=world.member.headers))["status"] == "published"

    report = progress(client, world.member, pledge["id"], text="给程大山户送去米和油")
    assert (report.status_code, report.json()["code"]) == (422, "pairing_name_public")
    ok(progress(client, world.member, pledge["id"], text="给结对户送去米和油"), 201)
    assert ok(client.get(f"{API}/pairings/{pair['id']}", headers=world.member.headers))["visits"] == 1

    # renaming the household to a name the public texts already contain is refused; another is fine
    version = ok(client.get(f"{API}/pairings/{pair['id']}", headers=world.member.headers))["version"]
    etag = f'"{version}"'
    renamed = client.patch(
        f"{API}/pairings/{pair['id']}",
        json={"household_name": "困难老人"},
        headers={**world.member.headers, "If-Match": etag},
    )
    assert (renamed.status_code, renamed.json()["code"]) == (422, "pairing_name_public")
    fine = client.patch(
        f"{API}/pairings/{pair['id']}",
        json={"household_name": "程小山户"},
        headers={**world.member.headers, "If-Match": etag},
    )
    assert ok(fine)["household_name"] == "程小山户"

    # a plain pledge's own helped household, as drafted and as edited
    body = {"title": "帮汪某某家修屋顶", "content": "雨季前修好。", "category": "pairing"}
    body["helped_household"] = "汪某某家"
    created = client.post(f"{API}/pledges", json=body, headers=world.member.headers)
    assert (created.status_code, created.json()["code"]) == (422, "pairing_name_public")
    body["title"] = "帮结对户修屋顶"
    plain = ok(client.post(f"{API}/pledges", json=body, headers=world.member.headers), 201)
    etag = client.get(f"{API}/pledges/{plain['id']}", headers=world.member.headers).headers["etag"]
    named = client.patch(
        f"{API}/pledges/{plain['id']}",
        json={"helped_household": "修屋顶"},
        headers={**world.member.headers, "If-Match": etag},
    )
    assert (named.status_code, named.json()["code"]) == (422, "pairing_name_public")
