"""The permission matrix of 述职评议: every endpoint × every persona (tests/matrix.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.appraisal import debrief
from app.appraisal.debrief_states import Action
from app.appraisal.models import Representative, RepresentativeKind
from app.appraisal.models_debrief import DebriefAttachment, DebriefKind, DebriefReport, DebriefRound
from app.appraisal.schemas_debrief import RoundCreate
from app.core.permissions import SYSTEM
from app.core.time import today_local, utcnow
from app.pledges import progress as pledge_photos
from tests.factories import World
from tests.matrix import Case, check, params
from tests.pledges.factories import jpeg_bytes

API = "/api/v1"
EVERYONE = ["committee_admin", "secretary", "group_leader", "member", "supervisor", "outsider"]
BRANCH_ONLY = ["group_leader", "member", "supervisor"]


def _round(w: World, *, to: str = "draft") -> DebriefRound:
    assert w.db is not None
    data = RoundCreate(
        unit_id=w.town.id or 0, kind=DebriefKind.half, year=2026, report_due=today_local() + timedelta(days=3)
    )
    rnd, unit = debrief.create_round(w.db, actor=SYSTEM, data=data)
    if to != "draft":
        rnd.session_at, rnd.session_place = utcnow(), "会议室"
        for row in debrief.states.TABLE.path(debrief.DebriefStatus.draft, debrief.DebriefStatus(to)):
            debrief.transition(w.db, rnd, unit, Action(row.action), actor=SYSTEM, expected_version=rnd.version)
    w.db.flush()
    return rnd


def _report(w: World, *, to: str = "open", photo: bool = False) -> DebriefReport:
    """The branch's report in a round moved to `to`, written as its secretary would."""
    assert w.db is not None
    rnd = _round(w, to="open")
    report = next(r for r in w.db.query(DebriefReport).filter_by(round_id=rnd.id) if r.branch_id == w.branch.id)
    report.text, report.submitted_at = "上半年述职报告", utcnow()
    report.author_account_id, report.author_member_id = w.secretary.account_id, w.secretary.member_id
    w.db.add(report)
    if photo:
        (stored,) = pledge_photos.store_photos([jpeg_bytes()])
        image = stored.image.display
        w.db.add(
            DebriefAttachment(
                report_id=report.id or 0,
                key=stored.key,
                thumb_key=stored.thumb_key,
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                size_bytes=len(image.data),
            )
        )
    unit = w.town
    for row in debrief.states.TABLE.path(debrief.DebriefStatus.open, debrief.DebriefStatus(to)):
        if row.action == Action.schedule:
            rnd.session_at, rnd.session_place = utcnow(), "会议室"
        debrief.transition(w.db, rnd, unit, Action(row.action), actor=SYSTEM, expected_version=rnd.version)
    w.db.flush()
    return report


def _slips_path(w: World) -> str:
    """A scored round's report of a branch with a panel: the committee may print its 代表评议票."""
    assert w.db is not None
    report = _report(w, to="scoring")
    w.db.add(Representative(branch_id=w.branch.id or 0, name="代表甲", kind=RepresentativeKind.masses))
    w.db.flush()
    return f"{API}/debrief-reports/{report.id}/slips"


def _attachment_path(w: World) -> str:
    report = _report(w, photo=True)
    assert w.db is not None
    a = w.db.query(DebriefAttachment).filter_by(report_id=report.id).one()
    return f"{API}/debrief-reports/{report.id}/attachments/{a.id}"


IF_MATCH_1 = {"If-Match": '"1"'}

CASES = [
    Case(
        "POST",
        lambda w: f"{API}/debrief-rounds",
        name="POST /debrief-rounds",
        allowed=["committee_admin"],
        hidden_404=["secretary", "group_leader", "member", "supervisor", "outsider"],
        body_factory=lambda w: {"unit_id": w.town.id, "kind": "year", "year": 2026, "report_due": "2026-12-20"},
        expect=201,
    ),
    Case("GET", lambda w: f"{API}/debrief-rounds", name="GET /debrief-rounds", allowed=EVERYONE, hidden_404=()),
    Case(
        "GET",
        lambda w: f"{API}/debrief-rounds/{_round(w).id}",
        name="GET /debrief-rounds/{id}",
        allowed=EVERYONE,
        hidden_404=(),
    ),
    Case(
        "PATCH",
        lambda w: f"{API}/debrief-rounds/{_round(w).id}",
        name="PATCH /debrief-rounds/{id}",
        allowed=["committee_admin"],
        denied_403=["secretary", *BRANCH_ONLY, "outsider"],
        hidden_404=(),
        body_factory=lambda w: {"session_place": "镇党委会议室"},
        headers_factory=lambda w: IF_MATCH_1,
    ),
    Case(
        "POST",
        lambda w: f"{API}/debrief-rounds/{_round(w).id}/open",
        name="POST /debrief-rounds/{id}/open",
        allowed=["committee_admin"],
        denied_403=["secretary", *BRANCH_ONLY, "outsider"],
        hidden_404=(),
        headers_factory=lambda w: IF_MATCH_1,
    ),
    Case(
        "GET",
        lambda w: f"{API}/debrief-rounds/{_round(w).id}/events",
        name="GET /debrief-rounds/{id}/events",
        allowed=EVERYONE,
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/debrief-rounds/{_round(w, to='open').id}/reports",
        name="GET /debrief-rounds/{id}/reports",
        allowed=EVERYONE,
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/debrief-reports/mine",
        name="GET /debrief-reports/mine",
        allowed=EVERYONE,
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/debrief-reports/{_report(w).id}",
        name="GET /debrief-reports/{id}",
        allowed=["committee_admin", "secretary"],
        denied_403=BRANCH_ONLY,
    ),
    Case(
        "POST",
        lambda w: f"{API}/debrief-reports/{_report(w).id}/submit",
        name="POST /debrief-reports/{id}/submit",
        allowed=["secretary"],
        denied_403=["committee_admin", *BRANCH_ONLY],
        body_factory=lambda w: {"text": "述职报告"},
        form=True,
    ),
    Case(
        "GET",
        _attachment_path,
        name="GET /debrief-reports/{id}/attachments/{a}",
        allowed=["committee_admin", "secretary"],
        denied_403=BRANCH_ONLY,
    ),
    Case(
        "PUT",
        lambda w: f"{API}/debrief-reports/{_report(w, to='scoring').id}/scores/mine",
        name="PUT /debrief-reports/{id}/scores/mine",
        allowed=["committee_admin"],
        denied_403=["secretary", *BRANCH_ONLY],
        body_factory=lambda w: {"items": {"duty": 20, "pledges": 20, "team": 10, "masses": 10}},
    ),
    Case(
        "POST",
        _slips_path,
        name="POST /debrief-reports/{id}/slips",
        allowed=["committee_admin"],
        denied_403=["secretary", *BRANCH_ONLY],
    ),
    Case(
        "POST",
        lambda w: f"{API}/debrief-reports/{_report(w, to='closed').id}/publish",
        name="POST /debrief-reports/{id}/publish",
        allowed=["committee_admin"],
        denied_403=["secretary", *BRANCH_ONLY],
    ),
    Case(
        "POST",
        lambda w: f"{API}/debrief-reports/{_report(w, to='closed').id}/unpublish",
        name="POST /debrief-reports/{id}/unpublish",
        allowed=["committee_admin"],
        denied_403=["secretary", *BRANCH_ONLY],
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
