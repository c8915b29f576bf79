from fastapi.testclient import TestClient

from tests.factories import World, login


def test_login_and_me(client: TestClient, world: World) -> None:
    r = login(client, world.secretary.phone)
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body = me.json()
    assert body["member"]["name"] == "书记"
    assert {g["role"] for g in body["grants"]} == {"member", "secretary"}
