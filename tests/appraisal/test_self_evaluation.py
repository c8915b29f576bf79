"""季度自评 through the API: the 五好 rubric, saving with versions, submitting (every item scored), the
committee's return with a reason (events through the lifecycle engine), evidence photos without EXIF,
the committee's quarter view beside its own assessment, who may do what — and how the appraisal feeds
a branch's computed result (the representatives' answers in 群众测评, the self-evaluation blended into
组织考评 at the policy's weight)."""

from __future__ import annotations

import io
from datetime import date

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlmodel import Session, col

from app.appraisal.models import SelfEvaluationEvent, SlipAnswer
from app.core.storage import get_storage
from app.core.time import today_local
from app.ratings.compute import compute_results
from app.ratings.models import RatingResult, SubjectKind
from app.ratings.rules import AppraisalRules, PolicyRules
from tests.factories import Persona, World
from tests.ratings.results_factories import assess, make_period

API = "/api/v1/appraisal"
GPS_IFD = 0x8825
FULL = {"team": 18, "cadres": 16, "mechanism": 17, "economy": 15, "masses": 19}


def quarter_now() -> tuple[int, int]:
    today = today_local()
    return today.year, (today.month - 1) // 3 + 1


def url(world: World, *tail: str) -> str:
    year, quarter = quarter_now()
    return "/".join([f"{API}/branches/{world.branch.id}/self-evaluations/{year}/{quarter}", *tail]).rstrip("/")


def h(persona: Persona, version: int | None = None) -> dict[str, str]:
    return {**persona.headers, **({"If-Match": f'"{version}"'} if version is not None else {})}


def test_fill_save_submit_and_return(client: TestClient, world: World, db: Session) -> None:
    empty = client.get(url(world), headers=world.secretary.headers)
    assert empty.status_code == 200
    body = empty.json()
    assert body["status"] is None
    assert body["version"] == 0
    assert [i["label"] for i in body["items"]] == [
        "领导班子好",
        "党员干部队伍好",
        "支部工作机制好",
        "发展经济业绩好",
        "农民群众反映好",
    ]
    assert body["max_points"] == 100
    assert body["allowed_actions"] == ["save", "photo"]
    r = client.put(
        url(world), json={"items": {"team": 18}, "notes": {"team": "班子团结"}}, headers=h(world.secretary, 0)
    )
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"1"'
    assert r.json()["status"] == "draft"
    stale = client.put(url(world), json={"items": {"team": 10}}, headers=h(world.secretary, 0))
    assert stale.status_code == 412
    assert client.put(url(world), json={"items": {"team": 10}}, headers=world.secretary.headers).status_code == 428
    bad = client.put(url(world), json={"items": {"team": 30, "nope": 1}}, headers=h(world.secretary, 1))
    assert bad.status_code == 422
    assert "领导班子好的得分应在 0–20 分之间" in bad.json()["detail"]
    early = client.post(url(world, "submit"), headers=h(world.secretary, 1))
    assert early.status_code == 422
    assert "党员干部队伍好" in early.json()["detail"]
    r = client.put(url(world), json={"items": FULL}, headers=h(world.secretary, 1))
    assert r.json()["points"] == 85
    assert r.json()["items"][0]["note"] == "班子团结"
    r = client.post(url(world, "submit"), headers=h(world.secretary, 2))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted"
    assert r.json()["allowed_actions"] == []
    assert client.put(url(world), json={"items": FULL}, headers=h(world.secretary, 3)).status_code == 409
    # the committee returns it, with a reason
    assert (
        client.post(url(world, "return"), json={"reason": ""}, headers=h(world.committee_admin, 3)).status_code == 422
    )
    assert (
        client.post(url(world, "return"), json={"reason": "请补充"}, headers=h(world.secretary, 3)).status_code == 403
    )
    back = client.post(url(world, "return"), json={"reason": "请补充佐证"}, headers=h(world.committee_admin, 3))
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "draft"
    events = db.execute(select(SelfEvaluationEvent).order_by(col(SelfEvaluationEvent.seq))).scalars().all()
    assert [(e.action, e.to_status, e.reason) for e in events] == [
        ("submit", "submitted", None),
        ("return", "draft", "请补充佐证"),
    ]
    assert [e.seq for e in events] == [1, 2]
    assert events[0].hash != events[1].hash


def test_who_may_see_and_fill(client: TestClient, world: World) -> None:
    assert client.get(url(world), headers=world.member.headers).status_code == 403
    assert client.get(url(world), headers=world.outsider.headers).status_code == 404
    assert client.get(url(world)).status_code == 401
    assert client.get(url(world), headers=world.committee_admin.headers).status_code == 200
    future = f"{API}/branches/{world.branch.id}/self-evaluations/{today_local().year + 1}/1"
    assert client.get(future, headers=world.secretary.headers).status_code == 404


def _photo_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (31.0, 30.0, 0.0)}
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def test_evidence_photo_loses_exif_and_is_private(client: TestClient, world: World) -> None:
    data = _photo_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get(GPS_IFD) is not None
    r = client.post(
        url(world, "photos"),
        data={"item_key": "economy"},
        files={"photo": ("a.jpg", data, "image/jpeg")},
        headers=h(world.secretary, 0),
    )
    assert r.status_code == 200, r.text
    (photo,) = next(i for i in r.json()["items"] if i["key"] == "economy")["photos"]
    key = photo["url"].rsplit("/", 1)[-1]
    with get_storage().open(key) as f:
        stored = Image.open(io.BytesIO(f.read()))
        assert not stored.getexif()
    assert client.get(photo["url"], headers=world.secretary.headers).status_code == 200
    assert client.get(photo["url"], headers=world.outsider.headers).status_code == 404
    assert client.get(photo["url"], headers=world.member.headers).status_code == 403
    wrong = client.post(
        url(world, "photos"),
        data={"item_key": "nope"},
        files={"photo": ("a.jpg", data, "image/jpeg")},
        headers=h(world.secretary, 1),
    )
    assert wrong.status_code == 422


def test_committee_sees_self_evaluations_beside_its_assessment(client: TestClient, world: World, db: Session) -> None:
    year, quarter = quarter_now()
    period = make_period(db, world.town, year=year, quarter=quarter)
    assess(db, period, branch=world.branch, items={"team": 20, "pledges": 20, "work": 20, "reputation": 10})
    client.put(url(world), json={"items": FULL}, headers=h(world.secretary, 0))
    listed = client.get(
        f"{API}/self-evaluations", params={"year": year, "quarter": quarter}, headers=world.committee_admin.headers
    )
    assert listed.status_code == 200
    rows = {r["branch_id"]: r for r in listed.json()["items"]}
    assert rows[world.branch.id]["points"] == 85
    assert rows[world.branch.id]["status"] == "draft"
    assert (rows[world.branch.id]["assessment_points"], rows[world.branch.id]["assessment_max"]) == (70, 100)
    assert rows[world.other_branch.id]["status"] is None
    secretary = client.get(
        f"{API}/self-evaluations", params={"year": year, "quarter": quarter}, headers=world.secretary.headers
    )
    assert secretary.status_code == 403
    one = client.get(url(world), headers=world.committee_admin.headers).json()
    assert (one["assessment_points"], one["assessment_max"]) == (70, 100)


def test_answers_and_self_evaluation_feed_the_branch_result(client: TestClient, world: World, db: Session) -> None:
    rules = PolicyRules(appraisal=AppraisalRules(self_weight=50))
    period = make_period(db, world.town, year=2026, quarter=3, rules=rules)
    assess(db, period, branch=world.branch, items={"team": 20, "pledges": 20, "work": 20, "reputation": 0})  # 60
    # four representatives' answers in the quarter's months (and one outside it, not counted)
    for month, score in ((7, 100.0), (8, 100.0), (8, 50.0), (9, 0.0), (10, 100.0)):
        db.add(SlipAnswer(branch_id=world.branch.id, year=2026, month=month, choices={}, score=score))
    from app.appraisal.models import SelfEvaluation, SelfEvaluationStatus

    db.add(
        SelfEvaluation(
            branch_id=world.branch.id, year=2026, quarter=3, items={"team": 20, "cadres": 20, "mechanism": 20,
            "economy": 20, "masses": 20}, status=SelfEvaluationStatus.submitted,
        )
    )  # fmt: skip
    db.flush()
    compute_results(db, period)
    result = db.execute(
        select(RatingResult).where(
            col(RatingResult.period_id) == period.id,
            col(RatingResult.subject_kind) == SubjectKind.branch.value,
            col(RatingResult.subject_id) == world.branch.id,
        )
    ).scalar_one()
    assert result.villager_count == 4
    assert result.villager_raw == 62.5
    assert result.assessment_raw == 80  # (60 % × 50 + 100 % × 50)
    other = db.execute(
        select(RatingResult).where(
            col(RatingResult.period_id) == period.id,
            col(RatingResult.subject_kind) == SubjectKind.branch.value,
            col(RatingResult.subject_id) == world.other_branch.id,
        )
    ).scalar_one()
    assert other.villager_count == 0
    assert date(2026, 9, 30) == period.ends_on
