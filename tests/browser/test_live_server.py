import json
import urllib.parse
import urllib.request

from tests.live import LiveServer


def test_demo_secretary_can_sign_in(server: LiveServer) -> None:
    secretary = server.account("secretary")
    form = urllib.parse.urlencode({"username": secretary["phone"], "password": secretary["password"]}).encode()
    with urllib.request.urlopen(f"{server.base_url}/api/v1/auth/token", data=form, timeout=10) as r:  # noqa: S310
        tokens = json.loads(r.read())
    req = urllib.request.Request(  # noqa: S310
        f"{server.base_url}/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
        me = json.loads(r.read())
    assert me["member"]["name"] == secretary["name"]
    assert "secretary" in {g["role"] for g in me["grants"]}
