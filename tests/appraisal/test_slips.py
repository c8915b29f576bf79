"""党员群众代表每月测评 through the API and the public slip form: the panel (who may keep it), a month's
slips printed as a PDF whose QR codes decode to the form, one answer per slip (used twice, expired,
forged, void, of another branch — each a Chinese page), the counts the secretary sees, a race of two
posts, and the schema that keeps an answer from ever leading to a representative."""

from __future__ import annotations

import io
import threading
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from sqlmodel import Session, col

from app.appraisal import slips
from app.appraisal.models import Slip, SlipAnswer, SlipBatch
from app.core import db as core_db
from app.core.config import settings
from app.core.ratelimit import limiter
from app.core.time import today_local
from tests.boards.conftest import Committed
from tests.boards.conftest import committed as committed
from tests.factories import Persona, World
from tests.qr import decode_pdf

API = "/api/v1/appraisal"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()


def add_panel(client: TestClient, persona: Persona, branch_id: int, n: int = 3) -> list[int]:
    ids = []
    for i in range(n):
        kind = "party" if i % 2 == 0 else "masses"
        r = client.post(
            f"{API}/branches/{branch_id}/representatives",
            json={"name": f"代表{i}", "kind": kind},
            headers=persona.headers,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def issue(client: TestClient, persona: Persona, branch_id: int, tmp_path: Path, when: date | None = None) -> list[str]:
    when = when or today_local()
    r = client.post(
        f"{API}/branches/{branch_id}/slips", json={"year": when.year, "month": when.month}, headers=persona.headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    urls = decode_pdf(r.content, tmp_path)
    assert len(urls) == int(r.headers["X-Slip-Count"])
    assert all(u.startswith(settings.public_base_url) for u in urls)
    return [urlsplit(u).path for u in urls]


def answer(client: TestClient, path: str, **choices: str) -> object:
    data = {"work": "satisfied", "pledges": "basic", "conduct": "unsatisfied", **choices}
    return client.post(path, data=data, follow_redirects=False)


def test_panel_is_kept_by_the_secretary_and_the_committee(client: TestClient, world: World) -> None:
    branch_id = world.branch.id
    add_panel(client, world.secretary, branch_id, 2)
    add_panel(client, world.committee_admin, branch_id, 1)
    url = f"{API}/branches/{branch_id}/representatives"
    listed = client.get(url, headers=world.secretary.headers).json()
    assert listed["total"] == 3
    assert {i["kind_label"] for i in listed["items"]} == {"党员代表", "群众代表"}
    assert client.get(url, headers=world.member.headers).status_code == 403
    assert client.get(url, headers=world.outsider.headers).status_code == 404
    assert client.get(url).status_code == 401
    rep = listed["items"][0]["id"]
    r = client.patch(f"{API}/representatives/{rep}", json={"active": False}, headers=world.secretary.headers)
    assert r.status_code == 200
    assert r.json()["active"] is False
    assert (
        client.patch(f"{API}/representatives/{rep}", json={"name": "x"}, headers=world.outsider.headers).status_code
        == 404
    )
    bad = client.post(url, json={"name": "", "kind": "boss"}, headers=world.secretary.headers)
    assert bad.status_code == 422
    assert "类别" in bad.text
    overview = client.get(f"{API}/branches", headers=world.committee_admin.headers).json()
    mine = next(b for b in overview["items"] if b["branch_id"] == branch_id)
    assert (mine["party"], mine["masses"]) == (1, 1)  # the one stopped is not counted


def test_slip_sheet_decodes_to_forms_that_take_one_answer_each(
    client: TestClient, world: World, db: Session, tmp_path: Path
) -> None:
    add_panel(client, world.secretary, world.branch.id, 3)
    paths = issue(client, world.secretary, world.branch.id, tmp_path)
    assert len(paths) == 3
    assert all(p.startswith(f"/t/{world.branch.id}/") for p in paths)
    # the codes are nowhere in the database: only their keyed hashes
    stored = db.execute(select(col(Slip.code_hash))).scalars().all()
    for p in paths:
        code = p.rsplit("/", 1)[-1]
        assert code not in stored
        assert slips.code_hash(code) in stored
    form = client.get(paths[0])
    assert form.status_code == 200
    assert "党员群众代表测评" in form.text
    assert "支部工作开展情况" in form.text
    assert form.headers["cache-control"] == "no-store"
    r = answer(client, paths[0])
    assert r.status_code == 303
    assert r.headers["location"] == "/t/done"
    assert "测评已提交" in client.get("/t/done").text
    again = answer(client, paths[0])
    assert again.status_code == 409
    assert "已使用" in again.text
    assert "已使用" in client.get(paths[0]).text
    (stored_answer,) = db.execute(select(SlipAnswer)).scalars().all()
    assert stored_answer.choices == {"work": "satisfied", "pledges": "basic", "conduct": "unsatisfied"}
    assert stored_answer.score == pytest.approx(66.7)


def test_missing_items_show_the_form_again_and_keep_the_slip(client: TestClient, world: World, tmp_path: Path) -> None:
    add_panel(client, world.secretary, world.branch.id, 1)
    (path,) = issue(client, world.secretary, world.branch.id, tmp_path)
    r = client.post(path, data={"work": "satisfied"}, follow_redirects=False)
    assert r.status_code == 422
    assert "还有项目没有选择：党员承诺践诺情况、党员作风形象" in r.text
    assert 'value="satisfied" required checked' in r.text
    assert answer(client, path).status_code == 303


def test_forged_other_branch_expired_and_void_slips_are_refused(
    client: TestClient, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_panel(client, world.secretary, world.branch.id, 2)
    first = issue(client, world.secretary, world.branch.id, tmp_path / "a")
    code = first[0].rsplit("/", 1)[-1]
    forged = client.get(f"/t/{world.branch.id}/ABCDEFGHJK")
    assert forged.status_code == 404
    assert "测评码不正确" in forged.text
    assert "text/html" in forged.headers["content-type"]
    other = client.get(f"/t/{world.other_branch.id}/{code}")
    assert other.status_code == 404
    assert "不是这个党支部的" in other.text
    assert answer(client, f"/t/{world.other_branch.id}/{code}").status_code == 404
    # printed again: the first printing is void, the new one works
    second = issue(client, world.secretary, world.branch.id, tmp_path / "b")
    void = answer(client, first[1])
    assert void.status_code == 410
    assert "已作废" in void.text
    assert answer(client, second[0]).status_code == 303
    # the month is over: an unused slip has expired
    today = today_local()
    monkeypatch.setattr(slips, "today_local", lambda: date(today.year + (today.month == 12), today.month % 12 + 1, 1))
    expired = answer(client, second[1])
    assert expired.status_code == 410
    assert "已过期" in expired.text
    assert "已使用" in client.get(second[0]).text  # a used slip still says so


def test_short_code_entry_finds_the_form(client: TestClient, world: World, tmp_path: Path) -> None:
    add_panel(client, world.secretary, world.branch.id, 1)
    (path,) = issue(client, world.secretary, world.branch.id, tmp_path)
    code = path.rsplit("/", 1)[-1]
    page = client.get("/t")
    assert page.status_code == 200
    assert "测评码" in page.text
    typed = f"{code[:5].lower()} - {code[5:]}"
    r = client.get("/t/go", params={"code": typed}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == path
    wrong = client.get("/t/go", params={"code": "12345"})
    assert wrong.status_code == 404
    assert "10 位字母和数字" in wrong.text
    nothing = client.get("/t/go", params={"code": "ABCDEFGHJK"})
    assert "没有找到这张测评票" in nothing.text
    assert client.get("/t/nope/here").status_code == 400  # a malformed address is a Chinese page too
    assert "网址有误" in client.get("/t/nope/here").text


def test_guessing_codes_is_throttled(client: TestClient, world: World) -> None:
    statuses = [
        client.get(f"/t/{world.branch.id}/ABCDEFGHJ{c}").status_code for c in "KMNPQRSTUVWXYZ23456789ABCDEFGHJK"
    ]
    assert statuses[:30] == [404] * 30
    assert statuses[-1] == 429


def test_counts_per_month_and_no_answer_read(client: TestClient, world: World, tmp_path: Path) -> None:
    add_panel(client, world.secretary, world.branch.id, 3)
    first = issue(client, world.secretary, world.branch.id, tmp_path / "a")
    answer(client, first[0])
    second = issue(client, world.secretary, world.branch.id, tmp_path / "b")
    answer(client, second[0], conduct="satisfied")
    url = f"{API}/branches/{world.branch.id}/slip-counts"
    (month,) = client.get(url, headers=world.secretary.headers).json()
    today = today_local()
    assert month == {
        "year": today.year,
        "month": today.month,
        "issued": 3,
        "used": 2,
        "voided": 2,
        "expired": False,
        "score": pytest.approx((66.7 + 100) / 2, abs=0.1),
    }
    assert client.get(url, headers=world.member.headers).status_code == 403
    assert client.get(url, headers=world.outsider.headers).status_code == 404


def test_issue_rules(client: TestClient, world: World) -> None:
    url = f"{API}/branches/{world.branch.id}/slips"
    today = today_local()
    empty = client.post(url, json={"year": today.year, "month": today.month}, headers=world.secretary.headers)
    assert empty.status_code == 409
    assert empty.json()["code"] == "panel_empty"
    add_panel(client, world.secretary, world.branch.id, 1)
    past = date.fromordinal(today.replace(day=1).toordinal() - 1)
    r = client.post(url, json={"year": past.year, "month": past.month}, headers=world.secretary.headers)
    assert r.status_code == 409
    assert r.json()["code"] == "slip_month_invalid"
    assert (
        client.post(url, json={"year": today.year, "month": today.month}, headers=world.member.headers).status_code
        == 403
    )
    assert (
        client.post(url, json={"year": today.year, "month": today.month}, headers=world.outsider.headers).status_code
        == 404
    )


def test_no_column_leads_from_a_slip_or_an_answer_to_a_representative(db: Session) -> None:
    """The anonymity is in the schema: neither table has a foreign key to the panel, nor any column
    but these; an answer does not even name its slip."""
    inspector = inspect(db.connection())
    for table in ("appraisal_slip", "appraisal_answer", "appraisal_slip_batch"):
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert "appraisal_representative" not in targets
        assert not any("represent" in c["name"] for c in inspector.get_columns(table))
    assert {c["name"] for c in inspector.get_columns("appraisal_slip")} == {
        "id", "batch_id", "branch_id", "purpose", "round_id", "year", "month", "code_hash", "used"
    }  # fmt: skip
    assert {c["name"] for c in inspector.get_columns("appraisal_answer")} == {
        "id", "branch_id", "year", "month", "choices", "score"
    }  # fmt: skip
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("appraisal_answer")} == {"org_unit"}


def test_two_posts_of_one_slip_at_once_store_one_answer(committed: Committed) -> None:
    world = committed.world
    with committed.session() as session:
        from app.appraisal.models import Representative
        from app.core.permissions import SYSTEM

        session.add(Representative(branch_id=world.branch.id, name="代表", kind="party"))
        session.flush()
        today = today_local()
        (code,) = slips.issue(session, actor=SYSTEM, branch=world.branch, year=today.year, month=today.month).codes
        session.commit()
        slip = slips.find(session, code, branch_id=world.branch.id).slip  # both posts found it open
        assert slip is not None
    outcomes: list[bool] = []
    start = threading.Barrier(2)

    def post() -> None:
        start.wait(10)
        with core_db.new_session() as session:
            outcomes.append(slips.take(session, slip, {"work": "satisfied"}))
            session.commit()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == [False, True]
    with committed.session() as session:
        assert session.execute(select(func.count()).select_from(SlipAnswer)).scalar_one() == 1
        assert session.execute(select(func.count()).where(col(Slip.used))).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(SlipBatch)).scalar_one() == 1


def test_pdf_has_one_table_per_page(client: TestClient, world: World) -> None:
    from app.appraisal import slip_sheet

    html = slip_sheet.html(1, "一支部", 2026, 5, [slips.new_code() for _ in range(19)])
    assert html.count('<table class="sheet">') == 3  # eight a page
    assert html.count('class="slip"') == 19
    assert io.BytesIO(slip_sheet.pdf(1, "一支部", 2026, 5, ["ABCDEFGHJK"])).read(4) == b"%PDF"
