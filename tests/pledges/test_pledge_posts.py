"""依岗承诺 with the post catalogue: a pledge tied to a post chosen from the branch's list (free text
only as a fallback), the member's assigned post by default, a post of another branch refused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import World

API = "/api/v1"


def _post(client: TestClient, world: World, name: str = "环境卫生监督岗", **extra: object) -> int:
    body = {"name": name, "duties": "每周巡查村道卫生", **extra}
    response = client.post(f"{API}/units/{world.branch.id}/posts", json=body, headers=world.secretary.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _draft(client: TestClient, world: World, **extra: object) -> dict:
    body = {"title": "每周清扫主干道", "content": "每周两次清扫组内主干道。", "category": "post_duty", **extra}
    response = client.post(f"{API}/pledges", json=body, headers=world.member.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_pledge_takes_its_post_from_the_catalogue(client: TestClient, world: World) -> None:
    post_id = _post(client, world)
    pledge = _draft(client, world, post_id=post_id, post="随便写的")
    assert pledge["post_id"] == post_id
    assert pledge["post"] == "环境卫生监督岗"


def test_free_text_is_the_fallback_and_clears_the_catalogue_post(client: TestClient, world: World) -> None:
    post_id = _post(client, world)
    free = _draft(client, world, post="义务巡河")
    assert free["post_id"] is None
    assert free["post"] == "义务巡河"
    pledge = _draft(client, world, post_id=post_id)
    edited = client.patch(
        f"{API}/pledges/{pledge['id']}",
        json={"post": "义务巡河"},
        headers={**world.member.headers, "If-Match": str(pledge["version"])},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["post_id"] is None
    assert edited.json()["post"] == "义务巡河"
    back = client.patch(
        f"{API}/pledges/{pledge['id']}",
        json={"post_id": post_id},
        headers={**world.member.headers, "If-Match": str(edited.json()["version"])},
    ).json()
    assert back["post_id"] == post_id
    assert back["post"] == "环境卫生监督岗"


def test_the_members_assigned_post_is_the_default(client: TestClient, world: World) -> None:
    post_id = _post(client, world)
    client.put(
        f"{API}/members/{world.member.member_id}/post", json={"post_id": post_id}, headers=world.secretary.headers
    )
    pledge = _draft(client, world)
    assert pledge["post_id"] == post_id
    assert pledge["post"] == "环境卫生监督岗"


def test_a_post_of_another_branch_or_archived_is_refused(client: TestClient, world: World) -> None:
    foreign = client.post(
        f"{API}/units/{world.other_branch.id}/posts", json={"name": "外支部岗"}, headers=world.outsider.headers
    ).json()["id"]
    body = {"title": "t", "content": "c", "category": "post_duty", "post_id": foreign}
    response = client.post(f"{API}/pledges", json=body, headers=world.member.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "post_not_usable"
    archived = _post(client, world, name="旧岗位")
    client.post(f"{API}/posts/{archived}/archive", headers=world.secretary.headers)
    response = client.post(f"{API}/pledges", json={**body, "post_id": archived}, headers=world.member.headers)
    assert response.status_code == 422


def test_a_secretary_for_a_member_or_a_group_picks_from_the_catalogue(client: TestClient, world: World) -> None:
    """The PWA's post picker also serves a secretary acting for a member (代办) and a collective pledge
    of a group or branch: the catalogue post's name is the pledge's post; above branch level 422."""
    post_id = _post(client, world)
    common = {"title": "每周清扫主干道", "content": "每周两次清扫组内主干道。"}
    for_member = client.post(
        f"{API}/pledges",
        json={**common, "category": "post_duty", "member_id": world.member.member_id, "post_id": post_id},
        headers=world.secretary.headers,
    )
    assert for_member.status_code == 201, for_member.text
    assert (for_member.json()["member_id"], for_member.json()["post_id"], for_member.json()["post"]) == (
        world.member.member_id,
        post_id,
        "环境卫生监督岗",
    )
    # the group's catalogue is its branch's; the group's collective pledge takes a post from it
    listed = client.get(f"{API}/units/{world.group.id}/posts", headers=world.group_leader.headers)
    assert post_id in [p["id"] for p in listed.json()["items"]]
    collective = client.post(
        f"{API}/pledges",
        json={**common, "category": "collective", "unit_id": world.group.id, "post_id": post_id},
        headers=world.group_leader.headers,
    )
    assert collective.status_code == 201, collective.text
    assert (collective.json()["post_id"], collective.json()["post"]) == (post_id, "环境卫生监督岗")
    # a committee has no catalogue: its picker is empty (422) and a branch's post is not usable there
    assert client.get(f"{API}/units/{world.town.id}/posts", headers=world.committee_admin.headers).status_code == 422
    town = client.post(
        f"{API}/pledges",
        json={**common, "category": "collective", "unit_id": world.town.id, "post_id": post_id},
        headers=world.committee_admin.headers,
    )
    assert (town.status_code, town.json()["code"]) == (422, "post_not_usable")
