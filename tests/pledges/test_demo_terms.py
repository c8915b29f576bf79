"""The demo town's term pledges (任期承诺): a few cadres' pledges for their term, published, one with its
回头看 done (the committee's note on its timeline) and villagers' comments (approved, one answered)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from app import demo
from app.core.db import pk
from app.evaluations.models import Suggestion, SuggestionStatus
from app.members.models import Member
from app.pledges import terms
from app.pledges.demo_terms import REVIEW_NOTE, TERMS
from app.pledges.models import Pledge, PledgeEvent, PledgeKind, PledgeStatus
from tests.factories import password_hash


def test_the_demo_town_has_term_pledges_one_reviewed(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "hash_password", lambda _password: password_hash())  # cheap: not under test here
    demo.seed(db)
    db.flush()
    stmt = select(Pledge).where(col(Pledge.kind) == PledgeKind.term).order_by(col(Pledge.id))
    pledges = list(db.execute(stmt).scalars())
    assert [p.title for p in pledges] == [t[0] for t in TERMS]
    assert {p.status for p in pledges} == {PledgeStatus.published}
    for p in pledges:
        member = db.get(Member, p.member_id)
        assert member is not None
        assert terms.is_cadre(db, member)  # cadres only
        assert p.term_start is not None
        assert p.due_date.year > p.term_start.year
    reviewed = [p for p in pledges if p.reviewed_at is not None]
    assert len(reviewed) == 1
    events = db.execute(
        select(col(PledgeEvent.action), col(PledgeEvent.reason), col(PledgeEvent.actor_name)).where(
            col(PledgeEvent.pledge_id) == pk(reviewed[0])
        )
    ).all()
    assert ("review", REVIEW_NOTE, "镇党委") in [tuple(e) for e in events]
    comments = list(db.execute(select(Suggestion).where(col(Suggestion.pledge_id) == pk(reviewed[0]))).scalars())
    assert len(comments) == 2
    assert {c.status for c in comments} == {SuggestionStatus.approved}
    assert sum(1 for c in comments if c.public_reply) == 1
