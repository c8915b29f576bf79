from fastapi.testclient import TestClient

from tests.factories import World

API = "/api/v1"


def test_draft_submit_approve_publish(client: TestClient, world: World) -> None:
    r = client.post(
        f"{API}/pledges",
        json={"title": "义务维修组内路灯", "content": "每月检查一次路灯", "category": "public_service"},
        headers=world.member.headers,
    )
    assert r.status_code == 201, r.text
    pid, etag = r.json()["id"], r.headers["etag"]
    r = client.post(f"{API}/pledges/{pid}/submit", headers={**world.member.headers, "If-Match": etag})
    assert r.status_code == 200, r.text
    r = client.post(f"{API}/pledges/{pid}/approve", headers={**world.secretary.headers, "If-Match": r.headers["etag"]})
    assert r.status_code == 200, r.text
    r = client.post(f"{API}/pledges/{pid}/publish", headers={**world.secretary.headers, "If-Match": r.headers["etag"]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published"
