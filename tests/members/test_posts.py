"""Posts (设岗定责, 党员先锋岗): a branch's catalogue, who manages it, members assigned to posts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import World

API = "/api/v1"


def _create(client: TestClient, world: World, **body: object) -> dict:
    body = {"name": "环境卫生监督岗", "duties": "每周巡查村道卫生", "pioneer": True, **body}
    response = client.post(f"{API}/units/{world.branch.id}/posts", json=body, headers=world.secretary.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_secretary_builds_the_catalogue_and_members_read_it(client: TestClient, world: World) -> None:
    post = _create(client, world)
    _create(client, world, name="矛盾纠纷调解岗", pioneer=False, duties="调解邻里纠纷", duties_public=False)
    assert post["pioneer"] is True
    assert post["allowed_actions"] == ["edit", "archive"]
    # a member reads the catalogue (the pledge form's picker) but may not manage it
    page = client.get(f"{API}/units/{world.branch.id}/posts", headers=world.member.headers).json()
    assert [p["name"] for p in page["items"]] == ["环境卫生监督岗", "矛盾纠纷调解岗"]  # pioneer posts first
    assert all(p["allowed_actions"] == [] for p in page["items"])
    # a group shows its branch's catalogue
    by_group = client.get(f"{API}/units/{world.group.id}/posts", headers=world.group_leader.headers).json()
    assert by_group["total"] == 2
    denied = client.post(f"{API}/units/{world.branch.id}/posts", json={"name": "x"}, headers=world.member.headers)
    assert denied.status_code == 403
    outside = client.get(f"{API}/units/{world.branch.id}/posts", headers=world.outsider.headers)
    assert outside.status_code == 404
    # the committee manages in its subtree
    made = client.post(
        f"{API}/units/{world.branch.id}/posts", json={"name": "政策宣传岗"}, headers=world.committee_admin.headers
    )
    assert made.status_code == 201
    # posts stand in a branch, not in the committee
    above = client.post(f"{API}/units/{world.town.id}/posts", json={"name": "x"}, headers=world.committee_admin.headers)
    assert above.status_code == 422
    assert above.json()["code"] == "post_needs_branch"


def test_names_are_unique_among_posts_in_use(client: TestClient, world: World) -> None:
    post = _create(client, world)
    again = client.post(
        f"{API}/units/{world.branch.id}/posts", json={"name": "环境卫生监督岗"}, headers=world.secretary.headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "post_name_taken"
    archived = client.post(f"{API}/posts/{post['id']}/archive", headers=world.secretary.headers)
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert client.get(f"{API}/units/{world.branch.id}/posts", headers=world.secretary.headers).json()["total"] == 0
    listed = client.get(f"{API}/units/{world.branch.id}/posts?archived=true", headers=world.secretary.headers).json()
    assert [p["id"] for p in listed["items"]] == [post["id"]]
    assert listed["items"][0]["allowed_actions"] == ["edit", "restore"]
    _create(client, world)  # the name is free again
    restored = client.post(f"{API}/posts/{post['id']}/restore", headers=world.secretary.headers)
    assert restored.status_code == 409
    assert restored.json()["code"] == "post_name_taken"


def test_assigning_a_post_fills_the_members_post_and_renaming_follows(client: TestClient, world: World) -> None:
    post = _create(client, world)
    member_id = world.member.member_id
    assigned = client.put(
        f"{API}/members/{member_id}/post", json={"post_id": post["id"]}, headers=world.secretary.headers
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["post"] == "环境卫生监督岗"
    assert assigned.json()["post_id"] == post["id"]
    assert client.get(f"{API}/posts/{post['id']}", headers=world.secretary.headers).json()["member_count"] == 1
    renamed = client.patch(
        f"{API}/posts/{post['id']}", json={"name": "人居环境监督岗"}, headers=world.secretary.headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["version"] == 2
    assert client.get(f"{API}/members/{member_id}", headers=world.secretary.headers).json()["post"] == "人居环境监督岗"
    # the member may not assign themself; the outsider does not see the member
    mine = client.put(f"{API}/members/{member_id}/post", json={"post_id": post["id"]}, headers=world.member.headers)
    assert mine.status_code == 403
    other = client.put(f"{API}/members/{member_id}/post", json={"post_id": None}, headers=world.outsider.headers)
    assert other.status_code == 404
    # ending the assignment keeps the text (the member's post stays free text)
    ended = client.put(
        f"{API}/members/{member_id}/post", json={"post_id": None}, headers=world.secretary.headers
    ).json()
    assert ended["post_id"] is None
    assert ended["post"] == "人居环境监督岗"


def test_a_post_of_another_branch_or_archived_cannot_be_assigned(client: TestClient, world: World) -> None:
    foreign = client.post(
        f"{API}/units/{world.other_branch.id}/posts", json={"name": "外支部岗"}, headers=world.outsider.headers
    ).json()
    response = client.put(
        f"{API}/members/{world.member.member_id}/post", json={"post_id": foreign["id"]}, headers=world.secretary.headers
    )
    assert response.status_code == 404
    post = _create(client, world)
    client.post(f"{API}/posts/{post['id']}/archive", headers=world.secretary.headers)
    response = client.put(
        f"{API}/members/{world.member.member_id}/post", json={"post_id": post["id"]}, headers=world.secretary.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "post_archived"


def test_the_catalogue_costs_a_fixed_number_of_queries(
    client: TestClient, world: World, query_counter: list[str]
) -> None:
    for i in range(6):
        _create(client, world, name=f"岗位{i}")
    query_counter.clear()
    client.get(f"{API}/units/{world.branch.id}/posts", headers=world.secretary.headers)
    few = len(query_counter)
    for i in range(6, 20):
        _create(client, world, name=f"岗位{i}")
    query_counter.clear()
    client.get(f"{API}/units/{world.branch.id}/posts", headers=world.secretary.headers)
    assert len(query_counter) == few
