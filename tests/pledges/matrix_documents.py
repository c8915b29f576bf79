"""Permission-matrix cases of the post catalogue (设岗定责) and the 承诺书, added to
tests/test_permission_matrix.py's table."""

from __future__ import annotations

from app.core.permissions import SYSTEM
from app.core.time import today_local
from app.members import posts
from app.members.schemas_posts import PostCreate
from app.pledges.models import Pledge, PledgeStatus
from tests.factories import World
from tests.matrix import Case
from tests.pledges.factories import member_pledge

API = "/api/v1"
YEAR = today_local().year
IN_BRANCH = ["committee_admin", "secretary", "group_leader", "member", "supervisor"]
MANAGERS = ["committee_admin", "secretary"]
NOT_MANAGERS = ["group_leader", "member", "supervisor"]
# a member's own document: the member, and the branch's reviewers
DOCUMENT_READERS = ["committee_admin", "secretary", "member"]
NOT_DOCUMENT_READERS = ["group_leader", "supervisor"]


def _post_id(w: World, *, archived: bool = False) -> int:
    assert w.db is not None
    post, branch = posts.create_post(w.db, actor=SYSTEM, unit_id=int(w.branch.id or 0), data=PostCreate(name="岗位甲"))
    if archived:
        posts.set_archived(w.db, actor=SYSTEM, post=post, branch=branch, archived=True)
    return int(post.id or 0)


def _submitted(w: World) -> Pledge:
    """The member's submitted pledge (made once per world: the path and the body both ask)."""
    made: Pledge | None = getattr(w, "document_pledge", None)
    if made is None:
        made = member_pledge(w, status=PledgeStatus.submitted)
        w.document_pledge = made  # type: ignore[attr-defined]
    return made


def _doc(w: World) -> str:
    return f"{API}/members/{w.member.member_id}/pledge-documents/{YEAR}"


def _doc_with_pledge(w: World) -> str:
    _submitted(w)
    return _doc(w)


CASES = [
    Case("GET", lambda w: f"{API}/units/{w.branch.id}/posts", name="GET /units/{id}/posts", allowed=IN_BRANCH),
    Case(
        "POST",
        lambda w: f"{API}/units/{w.branch.id}/posts",
        name="POST /units/{id}/posts",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"name": "环境卫生监督岗", "pioneer": True},
        expect=201,
    ),
    Case("GET", lambda w: f"{API}/posts/{_post_id(w)}", name="GET /posts/{id}", allowed=IN_BRANCH),
    Case(
        "PATCH",
        lambda w: f"{API}/posts/{_post_id(w)}",
        name="PATCH /posts/{id}",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"duties": "每周巡查"},
    ),
    Case(
        "POST",
        lambda w: f"{API}/posts/{_post_id(w)}/archive",
        name="POST /posts/{id}/archive",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "POST",
        lambda w: f"{API}/posts/{_post_id(w, archived=True)}/restore",
        name="POST /posts/{id}/restore",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "PUT",
        lambda w: f"{API}/members/{w.member.member_id}/post",
        name="PUT /members/{id}/post",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"post_id": None},
    ),
    Case(
        "GET",
        _doc_with_pledge,
        name="GET /members/{id}/pledge-documents/{year}",
        allowed=DOCUMENT_READERS,
        denied_403=NOT_DOCUMENT_READERS,
    ),
    Case(
        "GET",
        lambda w: f"{_doc_with_pledge(w)}.pdf",
        name="GET /members/{id}/pledge-documents/{year}.pdf",
        allowed=DOCUMENT_READERS,
        denied_403=NOT_DOCUMENT_READERS,
    ),
    Case(
        "POST",
        lambda w: f"{_doc_with_pledge(w)}/vet",
        name="POST /members/{id}/pledge-documents/{year}/vet",
        allowed=MANAGERS,
        denied_403=["member", *NOT_DOCUMENT_READERS],
        body_factory=lambda w: {
            "decision": "approve",
            "pledges": [{"pledge_id": _submitted(w).id, "version": _submitted(w).version}],
        },
    ),
    Case(
        "POST",
        lambda w: f"{_doc_with_pledge(w)}/signed",
        name="POST /members/{id}/pledge-documents/{year}/signed",
        allowed=MANAGERS,
        denied_403=["member", *NOT_DOCUMENT_READERS],
        body_factory=lambda w: {"signed_on": str(today_local())},
        form=True,
    ),
    Case(
        "GET",
        lambda w: f"{API}/units/{w.branch.id}/pledge-documents?year={YEAR}",
        name="GET /units/{id}/pledge-documents",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "GET",
        lambda w: f"{API}/units/{_doc_with_pledge(w) and w.branch.id}/pledge-documents.pdf?year={YEAR}",
        name="GET /units/{id}/pledge-documents.pdf",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "GET",
        lambda w: f"{API}/units/{w.branch.id}/post-coverage?year={YEAR}",
        name="GET /units/{id}/post-coverage",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
    ),
]
