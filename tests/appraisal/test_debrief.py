"""述职评议 through the API: rounds and their lifecycle (one event each, going back needs a reason),
the secretary's report (deadline and late marking, photos without EXIF, private), who sees what, the
committee's scores (one per scorer, a second replaces the first, trimmed from five), the secretary's
own record, and publication on the branch's board (masked, no attachment, the ETag moves)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.appraisal.models_debrief import DebriefReport, DebriefRoundEvent, DebriefScore
from app.boards import public, public_routes
from app.boards import service as boards_service
from app.boards.schemas import BoardCreate
from app.core.config import settings
from app.core.permissions import SYSTEM, Role
from app.core.time import today_local
from tests.factories import Persona, World, create_persona

API = "/api/v1"
GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def _fresh_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    public.clear_caches()
    monkeypatch.setattr(settings, "public_recheck_seconds", 0.0)
    public_routes.page_memo.forget()
    yield
    public.clear_caches()


def h(persona: Persona, version: int | None = None, **extra: str) -> dict[str, str]:
    out = dict(persona.headers)
    if version is not None:
        out["If-Match"] = f'"{version}"'
    out.update(extra)
    return out


def create_round(client: TestClient, world: World, *, due: date | None = None, **kw: object) -> dict:
    body = {"unit_id": world.town.id, "kind": "half", "year": 2026, "report_due": str(due or today_local()), **kw}
    r = client.post(f"{API}/debrief-rounds", json=body, headers=h(world.committee_admin))
    assert r.status_code == 201, r.text
    return r.json()


def act(client: TestClient, world: World, rnd: dict, action: str, **body: object) -> dict:
    r = client.post(
        f"{API}/debrief-rounds/{rnd['id']}/{action}", json=body, headers=h(world.committee_admin, rnd["version"])
    )
    assert r.status_code == 200, r.text
    return r.json()


def schedule(client: TestClient, world: World, rnd: dict) -> dict:
    r = client.patch(
        f"{API}/debrief-rounds/{rnd['id']}",
        json={"session_at": "2026-07-10T02:00:00Z", "session_place": "镇党委三楼会议室"},
        headers=h(world.committee_admin, rnd["version"]),
    )
    assert r.status_code == 200, r.text
    return act(client, world, r.json(), "schedule")


def reports(client: TestClient, persona: Persona, rnd: dict, **params: object) -> list[dict]:
    r = client.get(f"{API}/debrief-rounds/{rnd['id']}/reports", params=params, headers=h(persona))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def own_report(client: TestClient, world: World, rnd: dict) -> dict:
    (mine,) = reports(client, world.secretary, rnd)
    assert mine["branch_id"] == world.branch.id
    return mine


def submit(client: TestClient, persona: Persona, report_id: int, text: str, photos: list[bytes] = ()) -> object:
    files = [("photos", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    return client.post(
        f"{API}/debrief-reports/{report_id}/submit",
        data={"text": text},
        files=files or None,
        headers=h(persona, **{"Idempotency-Key": f"k-{report_id}-{len(text)}-{len(files)}"}),
    )


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"
    exif[GPS_IFD] = {1: "N", 2: (30.0, 41.0, 12.5), 3: "E", 4: (116.0, 35.0, 1.0)}
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


SCORE = {"duty": 25, "pledges": 27, "team": 16, "masses": 18}  # 86


# ---------------------------------------------------------------- rounds


def test_create_round_defaults_duplicates_and_rubric(client: TestClient, world: World) -> None:
    rnd = create_round(client, world)
    assert rnd["title"] == "2026年上半年党支部书记述职评议"
    assert rnd["status"] == "draft"
    assert rnd["status_label"] == "草稿"
    assert [i["max"] for i in rnd["rubric"]] == [30, 30, 20, 20]
    assert "open" in rnd["allowed_actions"]
    dup = client.post(
        f"{API}/debrief-rounds",
        json={"unit_id": world.town.id, "kind": "half", "year": 2026, "report_due": "2026-07-01"},
        headers=h(world.committee_admin),
    )
    assert dup.status_code == 409
    assert dup.json()["code"] == "debrief_round_exists"
    bad = client.post(
        f"{API}/debrief-rounds",
        json={
            "unit_id": world.town.id,
            "kind": "year",
            "year": 2026,
            "report_due": "2026-12-20",
            "rubric": [{"key": "a", "label": "甲", "max": 60}, {"key": "b", "label": "乙", "max": 30}],
        },
        headers=h(world.committee_admin),
    )
    assert bad.status_code == 422
    assert "满分之和须为 100（现为 90）" in bad.json()["detail"]
    # a secretary sees the round (to find their report) but may not run it
    read = client.get(f"{API}/debrief-rounds/{rnd['id']}", headers=h(world.secretary))
    assert read.status_code == 200
    assert read.json()["allowed_actions"] == []
    r = client.post(f"{API}/debrief-rounds/{rnd['id']}/open", headers=h(world.secretary, rnd["version"]))
    assert r.status_code == 403


def test_lifecycle_events_reasons_and_the_session(client: TestClient, db: Session, world: World) -> None:
    rnd = create_round(client, world)
    rnd = act(client, world, rnd, "open")
    # one report per branch under the town (the branch, the other branch, the office branch)
    assert db.execute(select(func.count()).where(col(DebriefReport.round_id) == rnd["id"])).scalar_one() == 3
    r = client.post(
        f"{API}/debrief-rounds/{rnd['id']}/schedule", json={}, headers=h(world.committee_admin, rnd["version"])
    )
    assert r.status_code == 422
    assert r.json()["code"] == "debrief_session_missing"
    rnd = schedule(client, world, rnd)
    assert rnd["status"] == "scheduled"
    assert rnd["session_place"] == "镇党委三楼会议室"
    back = client.post(
        f"{API}/debrief-rounds/{rnd['id']}/back_to_open", json={}, headers=h(world.committee_admin, rnd["version"])
    )
    assert back.status_code == 422
    assert back.json()["code"] == "reason_required"
    stale = client.post(f"{API}/debrief-rounds/{rnd['id']}/start_scoring", headers=h(world.committee_admin, 1))
    assert stale.status_code == 412
    wrong = client.post(f"{API}/debrief-rounds/{rnd['id']}/close", headers=h(world.committee_admin, rnd["version"]))
    assert wrong.status_code == 409
    rnd = act(client, world, rnd, "back_to_open", reason="会议改期")
    events = client.get(f"{API}/debrief-rounds/{rnd['id']}/events", headers=h(world.secretary)).json()["items"]
    assert [e["action"] for e in events] == ["create", "open", "edit", "schedule", "back_to_open"]
    assert events[-1]["reason"] == "会议改期"
    stored = db.execute(
        select(DebriefRoundEvent)
        .where(col(DebriefRoundEvent.round_id) == rnd["id"])
        .order_by(col(DebriefRoundEvent.id))
    ).scalars()
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]  # one chain


# ---------------------------------------------------------------- reports


def test_deadline_and_late_marking(client: TestClient, world: World) -> None:
    on_time = act(client, world, create_round(client, world, due=today_local()), "open")
    mine = own_report(client, world, on_time)
    r = submit(client, world.secretary, mine["id"], "上半年，支部带领党员完成承诺 12 项。")
    assert r.status_code == 200, r.text
    assert r.json()["late"] is False
    assert r.json()["submitted_at"]

    past = act(client, world, create_round(client, world, kind="year", due=today_local() - timedelta(days=1)), "open")
    late = own_report(client, world, past)
    assert late["overdue"] is True  # the deadline passed and nothing came
    r = submit(client, world.secretary, late["id"], "年终述职：……")
    assert r.status_code == 200
    assert r.json()["late"] is True
    assert r.json()["overdue"] is False
    # the committee finds the late ones, and the branches that never reported
    late_ones = reports(client, world.committee_admin, past, late=True)
    assert [x["branch_id"] for x in late_ones] == [world.branch.id]
    everyone = reports(client, world.committee_admin, past)
    assert sorted(x["branch_id"] for x in everyone if x["overdue"]) == sorted([world.other_branch.id, world.office.id])


def test_who_sees_and_who_submits(client: TestClient, world: World) -> None:
    rnd = act(client, world, create_round(client, world), "open")
    assert len(reports(client, world.committee_admin, rnd)) == 3
    mine = own_report(client, world, rnd)  # the secretary: only their own branch's
    (theirs,) = reports(client, world.outsider, rnd)
    assert theirs["branch_id"] == world.other_branch.id
    assert reports(client, world.member, rnd) == []
    assert client.get(f"{API}/debrief-reports/{mine['id']}", headers=h(world.outsider)).status_code == 404
    assert client.get(f"{API}/debrief-reports/{mine['id']}", headers=h(world.member)).status_code == 403
    assert client.get(f"{API}/debrief-reports/{mine['id']}", headers=h(world.committee_admin)).status_code == 200
    assert mine["allowed_actions"] == ["submit"]
    # only the branch's own secretary submits
    assert submit(client, world.outsider, mine["id"], "冒名").status_code == 404
    assert submit(client, world.member, mine["id"], "冒名").status_code == 403
    r = submit(client, world.committee_admin, mine["id"], "代写")
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden.debrief.submit"
    assert submit(client, world.secretary, mine["id"], "   ").status_code == 422


def test_photos_are_private_and_lose_exif(client: TestClient, world: World) -> None:
    rnd = act(client, world, create_round(client, world), "open")
    mine = own_report(client, world, rnd)
    r = submit(client, world.secretary, mine["id"], "附照片两张", photos=[_jpeg_with_gps(), _jpeg_with_gps()])
    assert r.status_code == 200, r.text
    photos = r.json()["attachments"]
    assert len(photos) == 2
    got = client.get(photos[0]["url"], headers=h(world.secretary))
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["cache-control"] == "private, no-store"
    image = Image.open(io.BytesIO(got.content))
    assert not image.getexif().get_ifd(GPS_IFD)
    assert 0x010F not in image.getexif()
    assert client.get(photos[0]["thumb_url"], headers=h(world.committee_admin)).status_code == 200
    assert client.get(photos[0]["url"], headers=h(world.outsider)).status_code == 404
    assert client.get(photos[0]["url"]).status_code == 401
    # text amended later keeps the photos and adds more up to nine
    r = submit(client, world.secretary, mine["id"], "修改后的述职报告", photos=[_jpeg_with_gps()] * 8)
    assert r.status_code == 422
    assert r.json()["code"] == "too_many_photos"


# ---------------------------------------------------------------- scores


def _to_scoring(client: TestClient, world: World) -> tuple[dict, dict]:
    rnd = act(client, world, create_round(client, world), "open")
    mine = own_report(client, world, rnd)
    assert submit(client, world.secretary, mine["id"], "述职报告正文").status_code == 200
    rnd = act(client, world, schedule(client, world, rnd), "start_scoring")
    return rnd, mine


def score(client: TestClient, persona: Persona, report_id: int, items: dict) -> object:
    return client.put(f"{API}/debrief-reports/{report_id}/scores/mine", json={"items": items}, headers=h(persona))


def test_one_score_per_scorer_and_the_rules(client: TestClient, db: Session, world: World) -> None:
    rnd, mine = _to_scoring(client, world)
    assert submit(client, world.secretary, mine["id"], "打分时再改").status_code == 409
    r = score(client, world.committee_admin, mine["id"], SCORE)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 86
    assert r.json()["scorers"] == 1
    again = score(client, world.committee_admin, mine["id"], {**SCORE, "duty": 20})
    assert again.json()["total"] == 81
    assert again.json()["scorers"] == 1
    rows = db.execute(select(DebriefScore).where(col(DebriefScore.report_id) == mine["id"])).scalars().all()
    assert [(x.total, x.scorer_account_id) for x in rows] == [(81, world.committee_admin.account_id)]
    over = score(client, world.committee_admin, mine["id"], {**SCORE, "team": 21})
    assert over.status_code == 422
    assert "班子建设" in over.json()["detail"]
    missing = score(client, world.committee_admin, mine["id"], {"duty": 10})
    assert missing.status_code == 422
    assert score(client, world.secretary, mine["id"], SCORE).status_code == 403
    assert score(client, world.outsider, mine["id"], SCORE).status_code == 404
    read = client.get(f"{API}/debrief-reports/{mine['id']}", headers=h(world.committee_admin)).json()
    assert read["my_score"]["duty"] == 20
    assert read["result"] == {
        "scorers": 1,
        "score": 81.0,
        "trimmed": False,
        "representatives": 0,
        "representative_score": None,
        "representative_weight": 30,
        "combined": 81.0,
        "rule": "没有代表评议，按党委成员评分计",
    }
    # the secretary sees neither who gave what nor (before the round closes) the result
    own = client.get(f"{API}/debrief-reports/{mine['id']}", headers=h(world.secretary)).json()
    assert own["result"] is None
    assert own["my_score"] is None
    # nothing was submitted by the other branch: nothing to score
    (other,) = [x for x in reports(client, world.committee_admin, rnd) if x["branch_id"] == world.other_branch.id]
    assert score(client, world.committee_admin, other["id"], SCORE).status_code == 409


def test_five_scorers_trim_and_the_secretary_record(client: TestClient, db: Session, world: World) -> None:
    rnd, mine = _to_scoring(client, world)
    scorers = [world.committee_admin] + [
        create_persona(db, f"委员{i}", branch=world.office, role=Role.committee_admin, role_unit=world.town)
        for i in range(4)
    ]
    for persona, duty in zip(scorers, [30, 25, 20, 15, 0], strict=True):  # totals 91 86 81 76 61
        assert score(client, persona, mine["id"], {**SCORE, "duty": duty}).status_code == 200
    read = client.get(f"{API}/debrief-reports/{mine['id']}", headers=h(world.committee_admin)).json()
    assert {k: read["result"][k] for k in ("scorers", "score", "trimmed", "combined")} == {
        "scorers": 5,
        "score": 81.0,  # (86 + 81 + 76) / 3
        "trimmed": True,
        "combined": 81.0,
    }
    rnd = act(client, world, rnd, "close")
    record = client.get(f"{API}/debrief-reports/mine", headers=h(world.secretary)).json()["items"]
    assert [(x["round_title"], x["result"]["score"]) for x in record] == [(rnd["title"], 81.0)]
    assert score(client, world.committee_admin, mine["id"], SCORE).status_code == 409


# ---------------------------------------------------------------- the board


def test_publication_on_the_board_is_masked_and_moves_the_etag(client: TestClient, db: Session, world: World) -> None:
    rnd, mine = _to_scoring(client, world)
    text = "本人手机 13812345678，身份证 110101199003074578。支部今年完成承诺 12 项。"
    # (amended before scoring: back to the session, then submitted again)
    rnd = act(client, world, rnd, "back_to_scheduled", reason="书记补充材料")
    assert submit(client, world.secretary, mine["id"], text, photos=[_jpeg_with_gps()]).status_code == 200
    rnd = act(client, world, act(client, world, rnd, "start_scoring"), "close")
    from app.org import service as org_service

    board = boards_service.create_board(
        db, actor=org_service.actor_for(db, world.secretary.account_id), data=BoardCreate(unit_id=world.branch.id)
    )
    db.flush()
    path = f"/b/{board.token}"
    before = client.get(path)
    assert before.status_code == 200
    assert "支部书记述职" not in before.text
    assert client.get(path, headers={"If-None-Match": before.headers["etag"]}).status_code == 304

    assert client.post(f"{API}/debrief-reports/{mine['id']}/publish", headers=h(world.secretary)).status_code == 403
    r = client.post(f"{API}/debrief-reports/{mine['id']}/publish", headers=h(world.committee_admin))
    assert r.status_code == 200
    assert r.json()["published_at"]
    after = client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert "支部书记述职" in after.text
    assert rnd["title"] in after.text
    assert "完成承诺 12 项" in after.text
    assert "13812345678" not in after.text
    assert "110101199003074578" not in after.text
    assert "/attachments/" not in after.text
    assert "debrief" not in after.text
    assert client.get(path, headers={"If-None-Match": after.headers["etag"]}).status_code == 304

    r = client.post(f"{API}/debrief-reports/{mine['id']}/unpublish", headers=h(world.committee_admin))
    assert r.status_code == 200
    assert r.json()["published_at"] is None
    gone = client.get(path, headers={"If-None-Match": after.headers["etag"]})
    assert gone.status_code == 200
    assert "支部书记述职" not in gone.text
    actions = [
        e["action"]
        for e in client.get(f"{API}/debrief-rounds/{rnd['id']}/events", headers=h(world.committee_admin)).json()[
            "items"
        ]
    ]
    assert actions[-2:] == ["publish_report", "unpublish_report"]


def test_publishing_needs_a_closed_round(client: TestClient, world: World) -> None:
    _rnd, mine = _to_scoring(client, world)
    r = client.post(f"{API}/debrief-reports/{mine['id']}/publish", headers=h(world.committee_admin))
    assert r.status_code == 409


def test_system_actor_can_run_a_round(db: Session, world: World) -> None:
    from app.appraisal import debrief
    from app.appraisal.debrief_states import Action
    from app.appraisal.models_debrief import DebriefKind
    from app.appraisal.schemas_debrief import RoundCreate

    rnd, unit = debrief.create_round(
        db,
        actor=SYSTEM,
        data=RoundCreate(unit_id=world.town.id or 0, kind=DebriefKind.year, year=2027, report_due=date(2027, 12, 20)),
    )
    debrief.transition(db, rnd, unit, Action.open, actor=SYSTEM, expected_version=rnd.version)
    assert rnd.status == "open"
