"""A secretary acts for a member (代办) only when the member does not sign in (issue 10, fault 4), and
every reader gets the buttons of their own role on that pledge (issue 9): `allowed_actions` with the
role of each (`action_roles`), withdraw asking for a reason the event keeps, the vocabulary's
destructive flags and confirm texts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Account
from app.core.db import pk
from app.pledges import states
from tests.factories import World, create_member
from tests.pledges.api import API, act, create, get, ok, progress

REFUSED = "forbidden.pledge.member_signs_in"


def _refused(response: object) -> None:
    r = response
    assert r.status_code == 403, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["code"] == REFUSED
    assert "本人" in body["detail"]


def test_a_secretary_cannot_take_the_steps_of_a_member_who_signs_in(client: TestClient, world: World) -> None:
    pid = create(client, world.member)["id"]
    sec = world.secretary
    _refused(
        client.patch(f"{API}/pledges/{pid}", json={"title": "书记改的"}, headers={**sec.headers, "If-Match": '"1"'})
    )
    _refused(act(client, sec, pid, "submit"))
    ok(act(client, world.member, pid, "submit"))
    _refused(act(client, sec, pid, "withdraw", reason="书记撤回"))
    _refused(act(client, world.committee_admin, pid, "withdraw", reason="上级撤回"))
    ok(act(client, sec, pid, "approve"))
    ok(act(client, sec, pid, "publish"))
    _refused(progress(client, sec, pid, percent="30"))
    _refused(act(client, sec, pid, "request_close"))
    _refused(
        client.post(
            f"{API}/pledges/{pid}/revise", json={"content": "书记改的内容"}, headers={**sec.headers, "If-Match": '"4"'}
        )
    )
    # the member does it all themself
    ok(progress(client, world.member, pid, percent="30"), 201)
    ok(act(client, world.member, pid, "request_close"))


def test_each_reader_gets_the_buttons_of_their_role(client: TestClient, world: World) -> None:
    pid = create(client, world.member)["id"]
    mine = ok(get(client, world.member, pid))
    assert mine["allowed_actions"] == ["submit", "withdraw", "edit"]
    assert set(mine["action_roles"].values()) == {"owner"}
    assert mine["acting_for_member"] is False
    ok(act(client, world.member, pid, "submit"))
    seen = ok(get(client, world.secretary, pid))
    assert seen["allowed_actions"] == ["approve", "return"]  # not 撤回 next to 退回
    assert seen["action_roles"] == {"approve": "reviewer", "return": "reviewer"}
    ok(act(client, world.secretary, pid, "approve"))
    ok(act(client, world.secretary, pid, "publish"))
    sec = ok(get(client, world.secretary, pid))
    assert "progress" not in sec["allowed_actions"]
    assert "request_close" not in sec["allowed_actions"]
    assert sec["allowed_actions"] == ["cancel"]
    sup = ok(get(client, world.supervisor, pid))
    assert sup["allowed_actions"] == ["note"]
    assert sup["action_roles"] == {"note": "supervisor"}
    own = ok(get(client, world.member, pid))
    assert own["allowed_actions"] == ["request_close", "revise", "progress"]
    # lists answer the same as the single read
    listed = ok(client.get(f"{API}/pledges", headers=world.secretary.headers))
    assert next(i for i in listed["items"] if i["id"] == pid)["allowed_actions"] == ["cancel"]


def test_a_secretary_acts_for_a_member_without_a_login_and_says_so(
    client: TestClient, world: World, db: Session
) -> None:
    assert world.db is not None
    paper = create_member(db, branch=world.branch, group=world.group, name="无手机")
    pid = create(client, world.secretary, member_id=pk(paper))["id"]
    read = ok(get(client, world.secretary, pid))
    assert read["allowed_actions"] == ["submit", "withdraw", "edit"]
    assert read["action_roles"] == {"submit": "on_behalf", "withdraw": "on_behalf", "edit": "on_behalf"}
    assert read["acting_for_member"] is True
    ok(act(client, world.secretary, pid, "submit"))
    read = ok(get(client, world.secretary, pid))
    assert read["action_roles"] == {"approve": "reviewer", "return": "reviewer", "withdraw": "on_behalf"}
    # a member whose account is disabled cannot sign in: the secretary acts for them too
    member_pid = create(client, world.member)["id"]
    account = db.get(Account, world.member.account_id)
    assert account is not None
    account.disabled = True
    db.flush()
    ok(act(client, world.secretary, member_pid, "submit"))


def test_withdraw_asks_for_a_reason_that_the_event_keeps(client: TestClient, world: World) -> None:
    pid = create(client, world.member)["id"]
    ok(act(client, world.member, pid, "withdraw", reason="岗位调整，另报新承诺"))
    events = ok(client.get(f"{API}/pledges/{pid}/timeline", headers=world.member.headers))["items"]
    withdrawn = next(e for e in events if e["action"] == "withdraw")
    assert withdrawn["reason"] == "岗位调整，另报新承诺"
    # the reason may stay empty (paper records, the demo); the dialog asks for it all the same
    other = create(client, world.member)["id"]
    ok(act(client, world.member, other, "withdraw"))


def test_the_vocabulary_says_what_is_destructive_in_full_words(client: TestClient, world: World) -> None:
    v = ok(client.get(f"{API}/pledges/vocabulary", headers=world.member.headers))["actions"]
    assert v["withdraw"]["destructive"] is True
    assert v["withdraw"]["confirm"].startswith("撤回：承诺将作废，不再送审")
    assert (v["withdraw"]["reason_asked"], v["withdraw"]["reason_required"]) == (True, False)
    assert v["withdraw"]["reason_label"] == "撤回原因"
    assert v["cancel"]["destructive"] is True
    assert v["cancel"]["reason_required"] is True
    assert v["return"]["destructive"] is False
    assert "退回" in v["return"]["confirm"]
    assert {a for a, w in v.items() if w["destructive"]} == {"withdraw", "cancel"}
    assert all(w["confirm"] for w in v.values())
    assert set(v) == set(states.ACTION_LABELS)
