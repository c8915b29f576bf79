"""The five steps (报诺、定诺、亮诺、践诺、销诺) end to end over HTTP, each persona doing its part."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.time import today_local
from app.notifications.models import Notification
from app.org import service as org_service
from app.pledges import service
from app.pledges.models import PledgeEvent
from tests.factories import World
from tests.pledges.api import API, act, create, etag_of, get, ok, progress
from tests.pledges.factories import board_pledge, jpeg_bytes


def _kinds(db: Session, account_id: int | None) -> list[str]:
    rows = db.execute(
        select(col(Notification.kind)).where(col(Notification.account_id) == account_id).order_by(col(Notification.id))
    ).scalars()
    return list(rows)


def test_an_individual_pledge_goes_through_all_five_steps(client: TestClient, world: World, db: Session) -> None:
    member, secretary, supervisor = world.member, world.secretary, world.supervisor

    # 报诺: the member drafts and submits
    p = create(client, member, title="义务维修组内路灯", content="每月检查一次组内路灯。", post="党员先锋岗")
    pid = p["id"]
    assert p["status"] == "draft"
    assert p["member_name"] == "党员甲"
    assert p["unit_id"] == world.group.id
    assert set(p["allowed_actions"]) == {"submit", "withdraw", "edit"}
    ok(act(client, member, pid, "submit"))
    assert "review_waiting" in _kinds(db, secretary.account_id)

    # 定诺: the secretary returns it with a reason, the member fixes the draft and submits again
    r = act(client, secretary, pid, "return")
    assert r.status_code == 422
    assert r.json()["code"] == "reason_required"
    returned = ok(act(client, secretary, pid, "return", reason="请写明每月检查几次"))
    assert returned["status"] == "draft"
    assert "pledge_returned" in _kinds(db, member.account_id)
    r = client.patch(
        f"{API}/pledges/{pid}",
        json={"content": "每月检查两次组内路灯，坏了当周修好。"},
        headers={**member.headers, "If-Match": etag_of(client, member, pid)},
    )
    assert ok(r)["content"] == "每月检查两次组内路灯，坏了当周修好。"
    ok(act(client, member, pid, "submit"))
    approved = ok(act(client, secretary, pid, "approve"))
    assert approved["status"] == "approved"
    assert approved["approved_at"]

    # 亮诺: published in a batch for the branch; boards' content version moves
    version_before = org_service.content_version(db, world.branch.id)  # type: ignore[arg-type]
    r = client.post(f"{API}/units/{world.branch.id}/pledges/publish", json={}, headers=secretary.headers)
    assert ok(r)["published"] == [pid]
    assert org_service.content_version(db, world.branch.id) > version_before  # type: ignore[arg-type]
    assert ok(get(client, member, pid))["status"] == "published"
    assert "pledge_published" in _kinds(db, member.account_id)

    # 践诺: progress with a photo by the member, a note by the supervisor
    r = progress(
        client, member, pid, "本月修好两盏路灯", files=[("photos", ("a.jpg", jpeg_bytes(), "image/jpeg"))], percent="40"
    )
    report = ok(r, 201)
    assert report["percent"] == 40
    assert len(report["photos"]) == 1
    note = ok(client.post(f"{API}/pledges/{pid}/notes", json={"text": "已到现场查看"}, headers=supervisor.headers), 201)
    assert note["author_name"] == "监督员"
    assert ok(get(client, member, pid))["progress_count"] == 1

    # 销诺: the member asks to close; the secretary first sends it back, then closes it
    ok(act(client, member, pid, "request_close"))
    assert "close_waiting" in _kinds(db, secretary.account_id)
    ok(act(client, secretary, pid, "reopen", reason="请补充照片"))
    ok(act(client, member, pid, "request_close"))
    r = act(client, secretary, pid, "close", reason="经核实已兑现")
    assert r.status_code == 422
    assert r.json()["code"] == "outcome_required"
    closed = ok(act(client, secretary, pid, "close", outcome="kept", comment="经核实已兑现，群众满意"))
    assert closed["status"] == "closed"
    assert closed["outcome"] == "kept"
    assert closed["outcome_label"] == "已兑现"
    assert closed["outcome_comment"] == "经核实已兑现，群众满意"
    assert closed["allowed_actions"] == []
    assert "pledge_closed" in _kinds(db, member.account_id)

    # the timeline: every step, the progress report and the note, newest first
    timeline = ok(client.get(f"{API}/pledges/{pid}/timeline?size=100", headers=member.headers))
    items = timeline["items"]
    actions = [e["action"] for e in items if e["kind"] == "event"]
    assert actions == [
        "close",
        "request_close",
        "reopen",
        "request_close",
        "publish",
        "approve",
        "submit",
        "edit",
        "return",
        "submit",
        "create",
    ]
    assert {e["kind"] for e in items} == {"event", "progress", "note"}
    assert [e["at"] for e in items] == sorted((e["at"] for e in items), reverse=True)
    ret = next(e for e in items if e["action"] == "return")
    assert ret["reason"] == "请写明每月检查几次"
    assert ret["actor_name"] == "书记"
    assert ret["from_status"] == "submitted"
    assert ret["to_status"] == "draft"

    # the public history shows what a board may show, and nothing else
    public = service.public_timeline(db, pid)
    labels = [e.action or e.kind for e in public]
    assert labels == ["close", "request_close", "reopen", "request_close", "progress", "publish"]
    assert public[0].outcome == "kept"
    assert public[4].photos
    assert public[4].photos[0].url.startswith("/api/v1/media/")


def test_a_collective_pledge_of_a_group(client: TestClient, world: World, db: Session) -> None:
    leader, secretary = world.group_leader, world.secretary
    p = create(
        client,
        leader,
        title="为司山村民组换路灯",
        content="年内把组内 12 盏旧路灯全部换成太阳能路灯。",
        category="collective",
        unit_id=world.group.id,
    )
    pid = p["id"]
    assert p["owner_kind"] == "unit"
    assert p["member_id"] is None
    assert p["unit_name"] == "司山党小组"
    ok(act(client, leader, pid, "submit"))
    queue = ok(client.get(f"{API}/review-queue", headers=secretary.headers))
    assert [i["id"] for i in queue["items"]] == [pid]
    ok(act(client, secretary, pid, "approve"))
    ok(act(client, secretary, pid, "publish"))
    assert "pledge_published" in _kinds(db, leader.account_id)
    ok(progress(client, leader, pid, "已换好 6 盏", percent="50"), 201)
    # a plain member of the group cannot report on the group's pledge
    assert progress(client, world.member, pid, "我也来").status_code == 403
    ok(act(client, leader, pid, "request_close"))
    closed = ok(act(client, secretary, pid, "close", outcome="partly_kept", reason="已换 10 盏，剩 2 盏明年换"))
    assert closed["outcome"] == "partly_kept"
    public = service.public_pledges_for_units(db, unit_ids=[world.group.id])  # type: ignore[list-item]
    assert [x.id for x in public.by_unit[world.group.id]] == [pid]  # type: ignore[index]


def test_a_published_pledge_is_revised_through_approval(client: TestClient, world: World, db: Session) -> None:
    member, secretary = world.member, world.secretary
    pid = create(client, member, title="关爱空巢老人", content="每周看望一次组内空巢老人。")["id"]
    for who, action in ((member, "submit"), (secretary, "approve"), (secretary, "publish")):
        ok(act(client, who, pid, action))
    r = client.post(
        f"{API}/pledges/{pid}/revise",
        json={"content": "每周看望两次组内空巢老人，帮助买药。"},
        headers={**member.headers, "If-Match": etag_of(client, member, pid)},
    )
    revising = ok(r)
    assert revising["status"] == "revising"
    assert revising["pending_revision"]["changes"] == {"content": "每周看望两次组内空巢老人，帮助买药。"}
    # the board still shows the approved text while the change waits
    assert board_pledge(db, pid).content == "每周看望一次组内空巢老人。"
    assert [
        i["id"] for i in ok(client.get(f"{API}/review-queue?kind=revision", headers=secretary.headers))["items"]
    ] == [pid]
    approved = ok(act(client, secretary, pid, "approve"))
    assert approved["status"] == "published"
    assert approved["revision_count"] == 1
    assert approved["content"] == "每周看望两次组内空巢老人，帮助买药。"
    public = board_pledge(db, pid)
    assert public.content == approved["content"]
    assert public.revised_at is not None
    revised = next(e for e in service.public_timeline(db, pid) if e.action == "revised")
    assert revised.changes == {
        "content": {"from": "每周看望一次组内空巢老人。", "to": "每周看望两次组内空巢老人，帮助买药。"}
    }
    # a second revision, returned: the content stays
    r = client.post(
        f"{API}/pledges/{pid}/revise",
        json={"title": "改个标题"},
        headers={**member.headers, "If-Match": etag_of(client, member, pid)},
    )
    ok(r)
    back = ok(act(client, secretary, pid, "return", reason="标题不宜修改"))
    assert back["status"] == "published"
    assert back["title"] == "关爱空巢老人"
    assert back["revision_count"] == 1
    # nothing to change → 422
    r = client.post(
        f"{API}/pledges/{pid}/revise",
        json={"title": "关爱空巢老人"},
        headers={**member.headers, "If-Match": etag_of(client, member, pid)},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "no_changes"


def test_withdraw_and_cancel(client: TestClient, world: World, db: Session) -> None:
    member, secretary = world.member, world.secretary
    a = create(client, member)["id"]
    assert ok(act(client, member, a, "withdraw"))["status"] == "withdrawn"
    b = create(client, member)["id"]
    ok(act(client, member, b, "submit"))
    ok(act(client, secretary, b, "approve"))
    ok(act(client, secretary, b, "publish"))
    assert act(client, secretary, b, "cancel").status_code == 422
    cancelled = ok(act(client, secretary, b, "cancel", reason="该党员已迁出本村"))
    assert cancelled["status"] == "cancelled"
    assert "pledge_cancelled" in _kinds(db, member.account_id)
    # nothing is deleted: every step is still in the event log
    events = db.execute(select(col(PledgeEvent.action)).where(col(PledgeEvent.pledge_id) == b)).scalars().all()
    assert list(events) == ["create", "submit", "approve", "publish", "cancel"]


def test_wrong_state_is_409_with_the_allowed_actions(client: TestClient, world: World) -> None:
    pid = create(client, world.member)["id"]
    r = act(client, world.member, pid, "request_close")
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "pledge_wrong_state"
    assert body["status"] == 409
    assert body["detail"].startswith("该承诺当前为“草稿”")
    assert set(body["allowed_actions"]) == {"submit", "withdraw", "edit"}
    # the secretary may approve, but not a draft: 409 (not 403)
    r = act(client, world.secretary, pid, "approve")
    assert r.status_code == 409
    # PATCH of a submitted pledge: 409
    ok(act(client, world.member, pid, "submit"))
    r = client.patch(
        f"{API}/pledges/{pid}",
        json={"title": "新标题"},
        headers={**world.member.headers, "If-Match": etag_of(client, world.member, pid)},
    )
    assert r.status_code == 409


def test_secretary_enters_a_pledge_for_a_member_and_pairing_stays_private(
    client: TestClient, world: World, db: Session
) -> None:
    p = create(
        client,
        world.secretary,
        member_id=world.member.member_id,
        title="定点帮扶一户低保户",
        content="每月上门一次，帮助解决实际困难。",
        category="pairing",
        helped_household="程某某家",
    )
    pid = p["id"]
    assert p["member_id"] == world.member.member_id
    assert p["helped_household"] == "程某某家"
    # the member signs in, so they submit what was entered for them (docs/pledges.md: 代办 only
    # for a member without a login)
    for who, action in ((world.member, "submit"), (world.secretary, "approve"), (world.secretary, "publish")):
        ok(act(client, who, pid, action))
    # the member whose pledge it is reads back what was written down; the supervisor and the group
    # leader do not get the name: only pledge.private holders (and the owner) do
    assert ok(get(client, world.member, pid))["helped_household"] == "程某某家"
    for who in (world.supervisor, world.group_leader):
        read = ok(get(client, who, pid))
        assert read["helped_household"] is None
        assert read["has_helped_household"] is True
    listed = ok(client.get(f"{API}/pledges", headers=world.supervisor.headers))
    assert all(i["helped_household"] is None for i in listed["items"])
    assert "程某某" not in client.get(f"{API}/pledges/{pid}/timeline", headers=world.secretary.headers).text
    public = board_pledge(db, pid)
    assert "程某某" not in public.model_dump_json()
    assert "helped_household" not in public.model_dump()


def test_drafts_are_visible_only_to_owner_and_reviewers(client: TestClient, world: World) -> None:
    pid = create(client, world.member)["id"]
    assert get(client, world.secretary, pid).status_code == 200
    assert get(client, world.committee_admin, pid).status_code == 200
    for who in (world.supervisor, world.group_leader, world.outsider):
        assert get(client, who, pid).status_code == 404
    ok(act(client, world.member, pid, "submit"))
    ok(act(client, world.secretary, pid, "approve"))
    ok(act(client, world.secretary, pid, "publish"))
    for who in (world.supervisor, world.group_leader):
        assert get(client, who, pid).status_code == 200
    assert get(client, world.outsider, pid).status_code == 404


def test_due_dates_lie_in_the_pledges_year_and_not_in_the_past(client: TestClient, world: World) -> None:
    today = today_local()
    body = {"title": "义务清扫道路", "content": "每周一次", "category": "public_service"}

    def refused(r: Response, message: str) -> None:
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "invalid_due_date"
        assert r.json()["errors"] == [{"field": "due_date", "message": message}]

    headers = world.member.headers
    refused(
        client.post(f"{API}/pledges", json={**body, "due_date": str(today - timedelta(days=1))}, headers=headers),
        "完成时限不能早于今天",
    )
    refused(
        client.post(f"{API}/pledges", json={**body, "due_date": f"{today.year + 1}-03-01"}, headers=headers),
        f"完成时限应在承诺年度（{today.year} 年）内",
    )
    refused(
        client.post(f"{API}/pledges", json={**body, "year": today.year - 1}, headers=headers),  # 31 Dec last year
        "完成时限不能早于今天",
    )
    p = ok(client.post(f"{API}/pledges", json={**body, "due_date": str(today)}, headers=headers), 201)
    assert p["due_date"] == str(today)
    nxt = ok(client.post(f"{API}/pledges", json={**body, "year": today.year + 1}, headers=headers), 201)
    assert nxt["due_date"] == f"{today.year + 1}-12-31"
    # editing a draft: the same rules for the fields that change
    pid = p["id"]
    r = client.patch(
        f"{API}/pledges/{pid}",
        json={"due_date": str(today - timedelta(days=3))},
        headers={**headers, "If-Match": etag_of(client, world.member, pid)},
    )
    refused(r, "完成时限不能早于今天")
    r = client.patch(
        f"{API}/pledges/{pid}",
        json={"year": today.year + 1},
        headers={**headers, "If-Match": etag_of(client, world.member, pid)},
    )
    refused(r, f"完成时限应在承诺年度（{today.year + 1} 年）内")
    # and a revision of a published pledge
    for who, action in ((world.member, "submit"), (world.secretary, "approve"), (world.secretary, "publish")):
        ok(act(client, who, pid, action))
    r = client.post(
        f"{API}/pledges/{pid}/revise",
        json={"due_date": f"{today.year + 1}-01-31"},
        headers={**headers, "If-Match": etag_of(client, world.member, pid)},
    )
    refused(r, f"完成时限应在承诺年度（{today.year} 年）内")


def test_nobody_vets_their_own_pledge_in_their_own_branch(client: TestClient, world: World, db: Session) -> None:
    secretary, admin = world.secretary, world.committee_admin
    pid = create(client, secretary, title="带头清理组内沟渠")["id"]
    ok(act(client, secretary, pid, "submit"))
    read = ok(get(client, secretary, pid))
    assert "approve" not in read["allowed_actions"]
    assert "withdraw" in read["allowed_actions"]
    r = act(client, secretary, pid, "approve")
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden.pledge.own_review"
    assert r.json()["detail"] == "不能审核自己的承诺，请上级党组织审核"
    assert act(client, secretary, pid, "return", reason="自己退回").status_code == 403
    # the committee (pledge.review above the branch) vets it
    assert "approve" in ok(get(client, admin, pid))["allowed_actions"]
    ok(act(client, admin, pid, "approve"))
    # a batch 公示 by the secretary leaves their own pledge out
    r = client.post(
        f"{API}/units/{world.branch.id}/pledges/publish", json={"pledge_ids": [pid]}, headers=secretary.headers
    )
    assert ok(r) == {"published": [], "skipped": [pid]}
    r = client.post(f"{API}/units/{world.branch.id}/pledges/publish", json={}, headers=admin.headers)
    assert ok(r)["published"] == [pid]
    # the owner's part stays theirs
    ok(act(client, secretary, pid, "request_close"))
    assert act(client, secretary, pid, "close", outcome="kept", reason="已完成").status_code == 403
    ok(act(client, admin, pid, "close", outcome="kept", reason="经核实已完成"))
    # the committee admin's own pledge: there is nobody above, and they hold the review above their branch
    own = create(client, admin, title="机关党员进村服务")["id"]
    ok(act(client, admin, own, "submit"))
    ok(act(client, admin, own, "approve"))


def test_the_owner_reads_back_the_helped_household(client: TestClient, world: World) -> None:
    body = {"title": "定点帮扶一户", "content": "每月上门两次", "category": "pairing", "helped_household": "汪某某家"}
    p = create(client, world.member, **body)
    assert p["helped_household"] == "汪某某家"
    pid = p["id"]
    for who, action in ((world.member, "submit"), (world.secretary, "approve"), (world.secretary, "publish")):
        ok(act(client, who, pid, action))
    r = client.post(
        f"{API}/pledges/{pid}/revise",
        json={"helped_household": "檀某某家"},
        headers={**world.member.headers, "If-Match": etag_of(client, world.member, pid)},
    )
    mine = ok(r)
    assert mine["helped_household"] == "汪某某家"
    assert mine["pending_revision"]["changes"] == {"helped_household": "檀某某家"}
    for who in (world.supervisor, world.group_leader):
        other = ok(get(client, who, pid))
        assert other["helped_household"] is None
        assert other["pending_revision"]["changes"] == {}
