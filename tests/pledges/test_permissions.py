"""Every pledge and notification endpoint × every persona (see tests/matrix.py).

Reading the table: before a pledge is published only its owner and its reviewers see it, so other
branch personas get 404 for drafts and submitted pledges (not 403); once published the whole branch
sees it, and a wrong role gets 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.db import pk
from app.notifications.models import Notification
from app.pledges.models import PledgeStatus
from tests.factories import World
from tests.matrix import PERSONAS, Case, check, params
from tests.pledges.factories import collective_pledge, member_pledge

API = "/api/v1"
EVERYONE = list(PERSONAS)
REVIEWERS = ["secretary", "committee_admin"]
OWNER_SIDE = ["member", "secretary", "committee_admin"]  # the member, and the reviewers who see a draft
# the owner's steps on the pledge of a member who signs in: the member alone — a reviewer acts for a
# member only when the member has no login (issue 10, fault 4; tests/pledges/test_acting_for.py)
OWN_STEP = ["member"]
REVIEWERS_REFUSED = ["secretary", "committee_admin"]
UNPUBLISHED_HIDDEN = ("group_leader", "supervisor", "outsider")
# the If-Match of a factory pledge: its version is one more than the steps it went through
VERSION = {
    PledgeStatus.draft: 1,
    PledgeStatus.submitted: 2,
    PledgeStatus.approved: 3,
    PledgeStatus.published: 4,
    PledgeStatus.closing: 5,
}


def _if_match(status: PledgeStatus) -> Any:
    return lambda w: {"If-Match": f'"{VERSION[status]}"'}


def _pledge_path(status: PledgeStatus, suffix: str = "", *, collective: bool = False) -> Any:
    def path(w: World) -> str:
        pledge = collective_pledge(w, status=status) if collective else member_pledge(w, status=status)
        return f"{API}/pledges/{pk(pledge)}{suffix}"

    return path


def _action(
    action: str,
    status: PledgeStatus,
    *,
    allowed: list[str],
    denied: list[str] | tuple[str, ...] = (),
    hidden: tuple[str, ...] = ("outsider",),
    body: dict[str, Any] | None = None,
    collective: bool = False,
) -> Case:
    return Case(
        "POST",
        _pledge_path(status, f"/{action}", collective=collective),
        name=f"POST /pledges/{{id}}/{action} ({'collective ' if collective else ''}{status.value})",
        allowed=allowed,
        denied_403=list(denied),
        hidden_404=hidden,
        body_factory=(lambda w: body) if body else None,
        headers_factory=_if_match(status),
    )


def _notification_path(w: World) -> str:
    assert w.db is not None
    row = Notification(account_id=w.member.account_id or 0, kind="pledge_approved", title="您的承诺已通过审核")
    w.db.add(row)
    w.db.flush()
    return f"{API}/notifications/{pk(row)}/read"


def _public_media_path(w: World) -> str:
    from tests.pledges.factories import add_progress

    assert w.db is not None
    pledge = member_pledge(w, status=PledgeStatus.published)
    add_progress(w.db, pledge, photos=1)
    from sqlalchemy import select
    from sqlmodel import col

    from app.pledges.models import PledgePhoto

    key = w.db.execute(select(col(PledgePhoto.key)).where(col(PledgePhoto.pledge_id) == pledge.id)).scalar_one()
    return f"{API}/media/{key}"


PUBLISHED_DENIED = ["group_leader", "supervisor"]
REASON = {"reason": "测试原因"}

CASES = [
    # drafting
    Case(
        "POST",
        lambda w: f"{API}/pledges",
        name="POST /pledges (own)",
        allowed=EVERYONE,
        hidden_404=(),
        body_factory=lambda w: {"title": "义务清扫道路", "content": "每周一次", "category": "public_service"},
        expect=201,
    ),
    Case(
        "POST",
        lambda w: f"{API}/pledges",
        name="POST /pledges (for a member)",
        allowed=OWNER_SIDE,
        denied_403=["group_leader", "supervisor"],
        body_factory=lambda w: {
            "title": "帮扶低保户",
            "content": "每月上门一次",
            "category": "pairing",
            "member_id": w.member.member_id,
            "helped_household": "某某家",
        },
        expect=201,
    ),
    Case(
        "POST",
        lambda w: f"{API}/pledges",
        name="POST /pledges (collective of a group)",
        allowed=["group_leader", "secretary", "committee_admin"],
        denied_403=["member", "supervisor"],
        body_factory=lambda w: {
            "title": "修路",
            "content": "修好组内道路",
            "category": "collective",
            "unit_id": w.group.id,
        },
        expect=201,
    ),
    Case("GET", lambda w: f"{API}/pledges", name="GET /pledges", allowed=EVERYONE, hidden_404=()),
    Case("GET", lambda w: f"{API}/pledges/counts", name="GET /pledges/counts", allowed=EVERYONE, hidden_404=()),
    Case(
        "GET",
        lambda w: f"{API}/pledges?unit_id={w.branch.id}",
        name="GET /pledges?unit_id",
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor"],
    ),
    Case(
        "GET",
        _pledge_path(PledgeStatus.draft),
        name="GET /pledges/{id} (draft)",
        allowed=OWNER_SIDE,
        hidden_404=UNPUBLISHED_HIDDEN,
    ),
    Case(
        "GET",
        _pledge_path(PledgeStatus.published),
        name="GET /pledges/{id} (published)",
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor"],
    ),
    Case(
        "GET",
        _pledge_path(PledgeStatus.published, "/timeline"),
        name="GET /pledges/{id}/timeline",
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor"],
    ),
    Case(
        "PATCH",
        _pledge_path(PledgeStatus.draft),
        name="PATCH /pledges/{id}",
        allowed=OWN_STEP,
        denied_403=REVIEWERS_REFUSED,
        hidden_404=UNPUBLISHED_HIDDEN,
        body_factory=lambda w: {"title": "新标题"},
        headers_factory=_if_match(PledgeStatus.draft),
    ),
    # the lifecycle
    _action("submit", PledgeStatus.draft, allowed=OWN_STEP, denied=REVIEWERS_REFUSED, hidden=UNPUBLISHED_HIDDEN),
    _action(
        "submit",
        PledgeStatus.draft,
        allowed=["group_leader", "secretary", "committee_admin"],
        hidden=("member", "supervisor", "outsider"),
        collective=True,
    ),
    _action("withdraw", PledgeStatus.submitted, allowed=OWN_STEP, denied=REVIEWERS_REFUSED, hidden=UNPUBLISHED_HIDDEN),
    _action("approve", PledgeStatus.submitted, allowed=REVIEWERS, denied=["member"], hidden=UNPUBLISHED_HIDDEN),
    _action(
        "return", PledgeStatus.submitted, allowed=REVIEWERS, denied=["member"], hidden=UNPUBLISHED_HIDDEN, body=REASON
    ),
    _action("publish", PledgeStatus.approved, allowed=REVIEWERS, denied=["member"], hidden=UNPUBLISHED_HIDDEN),
    _action("cancel", PledgeStatus.published, allowed=REVIEWERS, denied=["member", *PUBLISHED_DENIED], body=REASON),
    _action("request-close", PledgeStatus.published, allowed=OWN_STEP, denied=[*REVIEWERS_REFUSED, *PUBLISHED_DENIED]),
    _action(
        "close",
        PledgeStatus.closing,
        allowed=REVIEWERS,
        denied=["member", *PUBLISHED_DENIED],
        body={"outcome": "kept", "comment": "经核实已兑现"},
    ),
    _action("reopen", PledgeStatus.closing, allowed=REVIEWERS, denied=["member", *PUBLISHED_DENIED], body=REASON),
    _action(
        "revise",
        PledgeStatus.published,
        allowed=OWN_STEP,
        denied=[*REVIEWERS_REFUSED, *PUBLISHED_DENIED],
        body={"content": "修改后的承诺内容"},
    ),
    Case(
        "POST",
        lambda w: f"{API}/units/{w.branch.id}/pledges/publish",
        name="POST /units/{id}/pledges/publish",
        allowed=REVIEWERS,
        denied_403=["member", "group_leader", "supervisor"],
        body_factory=lambda w: {},
    ),
    Case(
        "POST",
        _pledge_path(PledgeStatus.published, "/progress"),
        name="POST /pledges/{id}/progress",
        allowed=OWN_STEP,
        denied_403=[*REVIEWERS_REFUSED, *PUBLISHED_DENIED],
        body_factory=lambda w: {"text": "今天清扫了村道", "percent": "20"},
        form=True,
        expect=201,
    ),
    Case(
        "POST",
        _pledge_path(PledgeStatus.published, "/notes"),
        name="POST /pledges/{id}/notes",
        allowed=["supervisor", "committee_admin"],
        denied_403=["member", "group_leader", "secretary"],
        body_factory=lambda w: {"text": "已到现场查看"},
        expect=201,
    ),
    Case(
        "GET",
        lambda w: f"{API}/review-queue",
        name="GET /review-queue",
        allowed=[*REVIEWERS, "outsider"],  # the outsider is the secretary of another branch: their own queue
        denied_403=["member", "group_leader", "supervisor"],
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/review-queue?unit_id={w.branch.id}",
        name="GET /review-queue?unit_id",
        allowed=REVIEWERS,
        denied_403=["member", "group_leader", "supervisor"],
    ),
    # notifications: each account its own
    Case("GET", lambda w: f"{API}/notifications", name="GET /notifications", allowed=EVERYONE, hidden_404=()),
    Case(
        "GET",
        lambda w: f"{API}/notifications/unread-count",
        name="GET /notifications/unread-count",
        allowed=EVERYONE,
        hidden_404=(),
    ),
    Case(
        "POST",
        lambda w: f"{API}/notifications/read-all",
        name="POST /notifications/read-all",
        allowed=EVERYONE,
        hidden_404=(),
    ),
    Case(
        "POST",
        _notification_path,
        name="POST /notifications/{id}/read",
        allowed=["member"],
        hidden_404=("committee_admin", "secretary", "group_leader", "supervisor", "outsider"),
    ),
    # a published pledge's photo: signed in and in scope (the public see it through a board's address)
    Case(
        "GET",
        _public_media_path,
        name="GET /media/{key} (published)",
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor"],
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
