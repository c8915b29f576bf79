"""述职评议 by representatives through one-time slips: the committee prints a branch's 代表评议票 for the
round's session (a PDF whose QR codes decode to the no-login form), each slip scores the secretary's 述职
once while the round is scored; used twice, expired, forged, of another branch, of the other purpose,
void or early are refused with a Chinese page; the result combines the committee's and the
representatives' means by the round's weight; counts for the committee and the secretary; and no
answer can be followed to a representative."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, text
from sqlmodel import Session, col

from app.appraisal import debrief, debrief_reports, debrief_slips, slips
from app.appraisal.debrief_states import Action
from app.appraisal.models import Representative, Slip, SlipPurpose
from app.appraisal.models_debrief import DebriefKind, DebriefReport, DebriefSlipAnswer
from app.appraisal.schemas_debrief import RoundCreate
from app.core import db as core_db
from app.core.config import settings
from app.core.permissions import SYSTEM
from app.core.ratelimit import limiter
from app.core.time import today_local, utcnow
from app.org.models import OrgUnit
from tests.appraisal.test_debrief import API, SCORE, act, create_round, h, own_report, schedule, score, submit
from tests.appraisal.test_slips import add_panel
from tests.appraisal.test_slips import issue as issue_month
from tests.boards.conftest import Committed
from tests.boards.conftest import committed as committed
from tests.factories import Persona, World
from tests.qr import decode_pdf

# a round's address is longer than a month's (/t/debrief/…): a QR code of more modules, which zbar reads
# off a 150 dpi raster now and then not (a phone's camera has no such trouble); read at 200 dpi
DPI = 200
REPORT = "上半年带领党员修通村道 3 公里，联系电话 13812345678，群众有事随时找我。"
# 25 + 27 + 16 + 18 = 86 from the committee; the representatives give 70 and 80
REP_70 = {"duty": "20", "pledges": "20", "team": "15", "masses": "15"}
REP_80 = {"duty": "25", "pledges": "25", "team": "15", "masses": "15"}


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()


def to_scheduled(client: TestClient, world: World, **kw: object) -> tuple[dict, dict]:
    rnd = act(client, world, create_round(client, world, **kw), "open")
    mine = own_report(client, world, rnd)
    assert submit(client, world.secretary, mine["id"], REPORT).status_code == 200
    return schedule(client, world, rnd), mine


def print_slips(client: TestClient, persona: Persona, report_id: int, tmp_path: Path) -> list[str]:
    r = client.post(f"{API}/debrief-reports/{report_id}/slips", headers=h(persona))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    urls = decode_pdf(r.content, tmp_path, dpi=DPI)
    assert len(urls) == int(r.headers["X-Slip-Count"])
    assert all(u.startswith(f"{settings.public_base_url}/t/debrief/") for u in urls)
    return [urlsplit(u).path for u in urls]


def post(client: TestClient, path: str, items: dict[str, str]) -> object:
    return client.post(path, data=items, follow_redirects=False)


def test_slips_score_the_report_once_and_the_result_combines(
    client: TestClient, db: Session, world: World, tmp_path: Path
) -> None:
    add_panel(client, world.committee_admin, world.branch.id, 3)
    rnd, mine = to_scheduled(client, world)
    paths = print_slips(client, world.committee_admin, mine["id"], tmp_path)
    assert len(paths) == 3
    assert all(p.startswith(f"/t/debrief/{world.branch.id}/") for p in paths)
    early = client.get(paths[0])  # printed before the session: not open until scoring starts
    assert early.status_code == 409
    assert "评议尚未开始" in early.text
    rnd = act(client, world, rnd, "start_scoring")
    form = client.get(paths[0])
    assert form.status_code == 200
    assert "代表评议票" in form.text
    assert "修通村道" in form.text
    assert "138****5678" in form.text
    assert "13812345678" not in form.text  # the board's masking, as a published report
    for label in ("履职尽责", "承诺践诺", "班子建设", "群众满意"):
        assert label in form.text
    assert "<script" not in form.text
    done = post(client, paths[0], REP_70)
    assert done.status_code == 303
    assert done.headers["location"] == "/t/done?of=debrief"
    assert "感谢您参加述职评议" in client.get(done.headers["location"]).text
    twice = post(client, paths[0], REP_80)
    assert twice.status_code == 409
    assert "已使用" in twice.text
    assert post(client, paths[1], REP_80).status_code == 303
    assert score(client, world.committee_admin, mine["id"], SCORE).status_code == 200
    # the committee: counts and the combined score at once
    read = client.get(f"{API}/debrief-reports/{mine['id']}", headers=h(world.committee_admin)).json()
    assert read["slips"] == {"issued": 3, "used": 2, "voided": 0}
    result = read["result"]
    assert result["score"] == 86
    assert result["representatives"] == 2
    assert result["representative_score"] == 75  # (70 + 80) / 2
    assert result["representative_weight"] == 30
    assert result["combined"] == 82.7  # 86 × 70% + 75 × 30%
    assert result["rule"] == "党委成员评分占 70%，党员群众代表评议占 30%"
    # the secretary: the counts, the result only once the round is closed
    own = client.get(f"{API}/debrief-reports/{mine['id']}", headers=h(world.secretary)).json()
    assert own["slips"] == {"issued": 3, "used": 2, "voided": 0}
    assert own["result"] is None
    act(client, world, rnd, "close")
    record = client.get(f"{API}/debrief-reports/mine", headers=h(world.secretary)).json()["items"]
    assert [(x["id"], x["result"]["combined"]) for x in record] == [(mine["id"], 82.7)]
    expired = client.get(paths[2])
    assert expired.status_code == 410
    assert "述职评议已结束" in expired.text
    stored = db.execute(select(DebriefSlipAnswer).order_by(col(DebriefSlipAnswer.total))).scalars().all()
    assert [(a.report_id, a.total) for a in stored] == [(mine["id"], 70), (mine["id"], 80)]


def test_forged_other_branch_wrong_purpose_void_and_bad_scores_are_refused(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    add_panel(client, world.secretary, world.branch.id, 2)
    rnd, mine = to_scheduled(client, world)
    first = print_slips(client, world.committee_admin, mine["id"], tmp_path / "a")
    rnd = act(client, world, rnd, "start_scoring")
    code = first[0].rsplit("/", 1)[-1]
    forged = client.get(f"/t/debrief/{world.branch.id}/ABCDEFGHJK")
    assert forged.status_code == 404
    assert "测评码不正确" in forged.text
    other = post(client, f"/t/debrief/{world.other_branch.id}/{code}", REP_70)
    assert other.status_code == 404
    assert "不是这个党支部的" in other.text
    # a round's slip at the month's form, and a month's slip at the round's form
    wrong = post(client, f"/t/{world.branch.id}/{code}", {"work": "satisfied"})
    assert wrong.status_code == 404
    assert "不是这项评议的" in wrong.text
    month_code = issue_month(client, world.secretary, world.branch.id, tmp_path / "m")[0].rsplit("/", 1)[-1]
    assert "不是这项评议的" in post(client, f"/t/debrief/{world.branch.id}/{month_code}", REP_70).text
    # the short-code entry page leads each code to its own form
    go = client.get("/t/go", params={"code": code.lower()}, follow_redirects=False)
    assert go.headers["location"] == f"/t/debrief/{world.branch.id}/{code}"
    # a missing or too high score: the form again, the slip kept
    bad = post(client, first[0], {**REP_70, "team": "21", "masses": ""})
    assert bad.status_code == 422
    assert "“班子建设”的得分须在 0 到 20 分之间" in bad.text
    assert "请给“群众满意”打分" in bad.text
    assert post(client, first[0], {**REP_70, "duty": "20.3"}).status_code == 422
    # printed again: the first printing is void, the new one works
    second = print_slips(client, world.committee_admin, mine["id"], tmp_path / "b")
    void = post(client, first[0], REP_70)
    assert void.status_code == 410
    assert "已作废" in void.text
    assert post(client, second[0], REP_70).status_code == 303
    read = client.get(f"{API}/debrief-reports/{mine['id']}", headers=h(world.committee_admin)).json()
    assert read["slips"] == {"issued": 2, "used": 1, "voided": 2}
    assert read["result"]["representatives"] == 1
    assert read["result"]["combined"] == 70  # no committee score yet: the representatives' alone
    assert read["result"]["rule"] == "没有党委成员评分，按代表评议计"


def test_who_prints_and_when(client: TestClient, world: World, tmp_path: Path) -> None:
    rnd = act(client, world, create_round(client, world, representative_weight=50), "open")
    assert rnd["representative_weight"] == 50
    mine = own_report(client, world, rnd)
    path = f"{API}/debrief-reports/{mine['id']}/slips"
    assert client.post(path, headers=h(world.committee_admin)).status_code == 409  # not scheduled yet
    assert submit(client, world.secretary, mine["id"], REPORT).status_code == 200
    rnd = schedule(client, world, rnd)
    empty = client.post(path, headers=h(world.committee_admin))
    assert empty.status_code == 409
    assert empty.json()["code"] == "panel_empty"
    add_panel(client, world.secretary, world.branch.id, 1)
    assert client.post(path, headers=h(world.secretary)).status_code == 403  # never for one's own 述职
    assert client.post(path, headers=h(world.member)).status_code == 403
    # the weight: until scoring starts, 0 to 100
    over = client.patch(
        f"{API}/debrief-rounds/{rnd['id']}",
        json={"representative_weight": 101},
        headers=h(world.committee_admin, rnd["version"]),
    )
    assert over.status_code == 422
    r = client.patch(
        f"{API}/debrief-rounds/{rnd['id']}",
        json={"representative_weight": 40},
        headers=h(world.committee_admin, rnd["version"]),
    )
    assert r.status_code == 200
    assert r.json()["representative_weight"] == 40
    print_slips(client, world.committee_admin, mine["id"], tmp_path)
    rnd = act(client, world, r.json(), "start_scoring")
    rnd = act(client, world, rnd, "close")
    assert client.post(path, headers=h(world.committee_admin)).status_code == 409  # scoring closed


def test_no_answer_leads_to_a_slip_or_a_representative(
    client: TestClient, db: Session, world: World, tmp_path: Path
) -> None:
    """The anonymity is in the schema: an answer names its round and report and holds its points —
    no slip, no time, no column or key leading to the panel; nothing stored with the slips or the
    answers names a representative, and the API reads the answers only in aggregate."""
    inspector = inspect(db.connection())
    assert {c["name"] for c in inspector.get_columns("debrief_slip_answer")} == {
        "id", "round_id", "report_id", "items", "total"
    }  # fmt: skip
    targets = {fk["referred_table"] for fk in inspector.get_foreign_keys("debrief_slip_answer")}
    assert targets == {"debrief_round", "debrief_report"}
    rep_ids = add_panel(client, world.committee_admin, world.branch.id, 2)
    rnd, mine = to_scheduled(client, world)
    paths = print_slips(client, world.committee_admin, mine["id"], tmp_path)
    act(client, world, rnd, "start_scoring")
    assert post(client, paths[1], REP_70).status_code == 303
    assert post(client, paths[0], REP_80).status_code == 303
    stored = []
    for table in ("appraisal_slip_batch", "appraisal_slip", "debrief_slip_answer"):
        stored += [str(dict(row._mapping)) for row in db.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608
    names = [f"代表{i}" for i in range(len(rep_ids))]
    assert stored
    assert not [row for row in stored if any(n in row for n in names)]
    answers = db.execute(text("SELECT * FROM debrief_slip_answer")).mappings().all()
    assert all(set(a) == {"id", "round_id", "report_id", "items", "total"} for a in answers)
    # the committee's reads: counts and means, never one answer's points
    body = client.get(f"{API}/debrief-rounds/{rnd['id']}/reports", headers=h(world.committee_admin)).text
    assert '"representatives":2' in body
    assert '"representative_score":75.0' in body
    assert "70.0" not in body
    assert "80.0" not in body
    assert not any(n in body for n in names)


def test_two_posts_of_one_slip_at_once_store_one_answer(committed: Committed) -> None:
    world = committed.world
    with committed.session() as session:
        session.add(Representative(branch_id=world.branch.id, name="代表", kind="masses"))
        rnd, unit = debrief.create_round(
            session,
            actor=SYSTEM,
            data=RoundCreate(unit_id=world.town.id or 0, kind=DebriefKind.year, year=2026, report_due=today_local()),
        )
        debrief.transition(session, rnd, unit, Action.open, actor=SYSTEM, expected_version=rnd.version)
        session.flush()
        report = session.execute(
            select(DebriefReport).where(
                col(DebriefReport.round_id) == rnd.id, col(DebriefReport.branch_id) == world.branch.id
            )
        ).scalar_one()
        report.text, report.submitted_at = "述职报告", utcnow()
        rnd.session_at, rnd.session_place = utcnow(), "会议室"
        for action in (Action.schedule, Action.start_scoring):
            debrief.transition(session, rnd, unit, action, actor=SYSTEM, expected_version=rnd.version)
        branch = session.get(OrgUnit, world.branch.id)
        located = debrief_reports.Located(report, rnd, unit, branch)
        (code,) = debrief_slips.issue(session, actor=SYSTEM, located=located).codes
        session.commit()
        found = slips.find(session, code, branch_id=world.branch.id, purpose=SlipPurpose.debrief)
        assert found.state == slips.SlipState.open  # both posts found it open
        slip = found.slip
        assert slip is not None
        session.expunge(report)
    outcomes: list[bool] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait(10)
        with core_db.new_session() as session:
            outcomes.append(
                debrief_slips.take(session, slip, report, {"duty": 20, "pledges": 20, "team": 15, "masses": 15})
            )
            session.commit()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == [False, True]
    with committed.session() as session:
        assert session.execute(select(func.count()).select_from(DebriefSlipAnswer)).scalar_one() == 1
        assert session.execute(select(func.count()).where(col(Slip.used))).scalar_one() == 1
