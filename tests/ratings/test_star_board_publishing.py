"""A period published branch by branch: the town's star board (创星榜) keeps the last wholly published
period — one period's counts and names, never a mix — and says the new one is being published; it
turns to the new period when its last branch is published. A branch's own board turns at once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlmodel import Session, col

from app.core.permissions import SYSTEM
from app.core.time import utcnow
from app.members.models import Member
from app.ratings import approval, public
from app.ratings.models import PeriodStatus, RatingBranchStatus, RatingPeriod
from tests.boards.test_star_board import star_board, star_path
from tests.factories import World
from tests.ratings.results_factories import add_result, make_period


def _levels(view: public.StarBoardPublic) -> dict[str, int]:
    return {e.name: g.stars for g in [*view.branches, *view.members] for e in g.entries}


def _branches(db: Session, period: RatingPeriod) -> int:
    return len(db.execute(select(RatingBranchStatus).where(col(RatingBranchStatus.period_id) == period.id)).all())


def _set_status(db: Session, period: RatingPeriod, **values: object) -> None:
    db.execute(update(RatingBranchStatus).where(col(RatingBranchStatus.period_id) == period.id).values(**values))


def test_the_town_board_keeps_the_whole_period_until_the_new_one_is_whole(
    client: TestClient, db: Session, world: World
) -> None:
    member = db.get(Member, world.member.member_id)
    outsider = db.get(Member, world.outsider.member_id)  # of the other branch
    q2 = make_period(db, world.town, quarter=2, status=PeriodStatus.published)
    _set_status(db, q2, published_at=utcnow())
    for subject, stars in ((member, 4), (outsider, 3)):
        add_result(db, q2, member=subject, score=80, stars=stars)
    add_result(db, q2, branch=world.branch, score=80, stars=4)
    add_result(db, q2, branch=world.other_branch, score=70, stars=3)
    q3 = make_period(db, world.town, quarter=3, status=PeriodStatus.approved)
    now = utcnow()
    _set_status(db, q3, members_approved_at=now, branch_approved_at=now)
    for subject, stars in ((member, 5), (outsider, 2)):
        add_result(db, q3, member=subject, score=90, stars=stars, published=False)
    add_result(db, q3, branch=world.branch, score=90, stars=5, published=False)
    add_result(db, q3, branch=world.other_branch, score=60, stars=2, published=False)
    board = star_board(db, world)

    # the first branch published: the town's board still shows the second quarter, whole
    approval.publish(
        db, actor=SYSTEM, period=q3, unit=world.town, expected_version=q3.version, branch_ids=[world.branch.id or 0]
    )
    town = public.star_board(db, world.town)
    assert town.period_title == q2.title
    assert _levels(town) == {member.name: 4, outsider.name: 3, world.branch.name: 4, world.other_branch.name: 3}
    assert town.publishing == (
        f"{q3.title}星级正在陆续公布（已公布 1 / {_branches(db, q3)} 个党支部），全部公布后本榜换为{q3.title}结果。"
    )
    html = client.get(star_path(board)).text
    assert town.publishing in html
    assert "四星级党员 1 名" in html
    assert "五星级党员" not in html
    # the published branch's own board shows its new levels at once
    own = public.star_board(db, world.branch)
    assert (own.period_title, own.publishing) == (q3.title, None)
    assert _levels(own)[member.name] == 5
    # a member's own level (on the pledge boards) is their latest published one, its period named
    assert public.member_levels(db, [member.id or 0])[member.id or 0].period_title == q3.title

    # the other branches published: the period is whole, the board turns to it
    approval.publish(db, actor=SYSTEM, period=q3, unit=world.town, expected_version=q3.version)
    assert q3.status == PeriodStatus.published
    town = public.star_board(db, world.town)
    assert (town.period_title, town.publishing) == (q3.title, None)
    assert _levels(town) == {member.name: 5, outsider.name: 2, world.branch.name: 5, world.other_branch.name: 2}
    html = client.get(star_path(board)).text
    assert "五星级党员 1 名" in html
    assert "正在陆续公布" not in html


def test_the_first_period_shows_as_it_is_published(db: Session, world: World) -> None:
    """With no whole period yet, the board shows what is published, and says the rest will follow."""
    member = db.get(Member, world.member.member_id)
    q3 = make_period(db, world.town, quarter=3, status=PeriodStatus.approved)
    now = utcnow()
    _set_status(db, q3, members_approved_at=now, branch_approved_at=now)
    add_result(db, q3, member=member, score=90, stars=5, published=False)
    assert public.star_board(db, world.town).period_title is None
    approval.publish(
        db, actor=SYSTEM, period=q3, unit=world.town, expected_version=q3.version, branch_ids=[world.branch.id or 0]
    )
    town = public.star_board(db, world.town)
    assert town.period_title == q3.title
    then = "其余党支部公布后在此补全"
    assert town.publishing == f"{q3.title}星级正在陆续公布（已公布 1 / {_branches(db, q3)} 个党支部），{then}。"
