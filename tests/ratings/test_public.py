"""What boards read from ratings (app/ratings/public.py): published levels only, levels only, with
晋星 ↑ / ↓ against the previous published period, corrections marked, the star board's counts in
the seeds' words, names only of members who consented to boards, and the year's selected 十佳."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.core.time import utcnow
from app.members.models import Member
from app.pledges.models import OwnerKind, Pledge, PledgeCategory, PledgeOutcome, PledgeStatus
from app.ratings import public
from app.ratings.models import Honour, HonourKind, RatingResult, SubjectKind
from tests.factories import World, create_member
from tests.ratings.core_factories import new_period


def _result(
    db: Session,
    period_id: int,
    kind: SubjectKind,
    subject_id: int,
    branch_id: int,
    unit_id: int,
    stars: int | None,
    *,
    published: bool = True,
    corrected: bool = False,
) -> None:
    now = utcnow()
    db.add(
        RatingResult(
            period_id=period_id,
            subject_kind=kind,
            subject_id=subject_id,
            branch_id=branch_id,
            unit_id=unit_id,
            score=88.5,
            peer_raw=91.0,
            proposed_stars=stars or 3,
            stars=stars,
            published_at=now if published else None,
            corrected_at=now if corrected else None,
        )
    )


def _two_quarters(db: Session, world: World) -> tuple[int, int, int]:
    q2 = new_period(db, world, quarter=2).id or 0
    q3 = new_period(db, world, quarter=3).id or 0
    quiet = create_member(db, branch=world.branch, group=world.group, name="不公开者", consent=False).id or 0
    m = world.member.member_id or 0
    s = world.secretary.member_id or 0
    g = world.group_leader.member_id or 0
    b, grp = world.branch.id or 0, world.group.id or 0
    for pid, stars in ((q2, {m: 3, s: 5, g: 4, quiet: 2}), (q3, {m: 4, s: 4, g: 4, quiet: 5})):
        for member_id, level in stars.items():
            _result(db, pid, SubjectKind.member, member_id, b, grp, level, corrected=(pid == q3 and member_id == g))
    _result(db, q2, SubjectKind.branch, b, b, b, 4)
    _result(db, q3, SubjectKind.branch, b, b, b, 5)
    _result(
        db,
        q3,
        SubjectKind.branch,
        world.other_branch.id or 0,
        world.other_branch.id or 0,
        world.other_branch.id or 0,
        4,
    )
    # computed but not published: never shown
    _result(db, q3, SubjectKind.member, world.supervisor.member_id or 0, b, b, 5, published=False)
    db.flush()
    return q2, q3, quiet


def test_member_and_unit_levels(db: Session, world: World) -> None:
    _q2, _q3, quiet = _two_quarters(db, world)
    m, s, g = (p.member_id or 0 for p in (world.member, world.secretary, world.group_leader))
    levels = public.member_levels(db, [m, s, g, quiet, world.supervisor.member_id or 0])
    assert set(levels) == {m, s, g, quiet}  # the supervisor's level is not published
    assert levels[m].stars == 4
    assert levels[m].label == "四星"
    assert levels[m].period_title == "2026年第三季度"
    assert levels[m].trend == "up"
    assert levels[s].trend == "down"
    assert levels[g].trend == "same"
    assert levels[g].corrected is True
    assert set(levels[m].model_dump()) == {"stars", "label", "period_title", "trend", "corrected"}  # no score
    units = public.unit_levels(db, [world.branch.id or 0, world.group.id or 0, world.town.id or 0])
    assert list(units) == [world.branch.id]
    assert units[world.branch.id or 0].stars == 5
    assert units[world.branch.id or 0].trend == "up"


def test_a_year_result_comes_before_the_last_quarter(db: Session, world: World) -> None:
    from app.core.permissions import SYSTEM
    from app.ratings import periods
    from app.ratings.models import PeriodKind
    from app.ratings.schemas import PeriodCreate

    q4 = new_period(db, world, quarter=4).id or 0
    year, _ = periods.create_period(
        db, actor=SYSTEM, data=PeriodCreate(unit_id=world.town.id or 0, kind=PeriodKind.year, year=2026)
    )
    m, b, grp = world.member.member_id or 0, world.branch.id or 0, world.group.id or 0
    _result(db, q4, SubjectKind.member, m, b, grp, 2)
    _result(db, year.id or 0, SubjectKind.member, m, b, grp, 4)
    db.flush()
    level = public.member_levels(db, [m])[m]
    assert level.stars == 4
    assert level.period_title == "2026年度"
    assert level.trend is None  # no earlier year


def test_star_board(db: Session, world: World) -> None:
    _q2, _q3, _quiet = _two_quarters(db, world)
    pledge = Pledge(
        owner_kind=OwnerKind.member,
        member_id=world.member.member_id,
        unit_id=world.group.id or 0,
        branch_id=world.branch.id or 0,
        title="帮扶困难户，电话 13812345678",
        content="内容",
        category=PledgeCategory.pairing,
        year=2026,
        due_date=date(2026, 12, 31),
        status=PledgeStatus.closed,
        outcome=PledgeOutcome.kept,
    )
    db.add(pledge)
    db.flush()
    db.add(
        Honour(
            unit_id=world.town.id or 0,
            year=2026,
            kind=HonourKind.member_pledge,
            pledge_id=pledge.id or 0,
            branch_id=world.branch.id or 0,
            selected_at=utcnow(),
            reason="群众满意",
        )
    )
    db.flush()
    board = public.star_board(db, world.town)
    assert board.period_title == "2026年第三季度"
    assert [c.text for c in board.counts] == [
        "五星党支部 1 个",
        "四星党支部 1 个",
        "五星级党员 1 名",
        "四星级党员 3 名",
    ]
    assert [(g.label, [e.name for e in g.entries]) for g in board.branches] == [
        ("五星", ["大洼社区党支部"]),
        ("四星", ["花车村党支部"]),
    ]
    # the member who did not consent is counted (五星级党员 1 名) but not named
    assert [(g.label, [e.name for e in g.entries]) for g in board.members] == [("四星", ["书记", "党员甲", "组长"])]
    trends = {e.name: e.trend for g in board.members for e in g.entries}
    assert trends == {"书记": "down", "党员甲": "up", "组长": "same"}
    assert board.branches[0].entries[0].trend == "up"
    assert [(h.kind_label, h.title, h.owner_name) for h in board.honours] == [
        ("十佳党员承诺", "帮扶困难户，电话 138****5678", "党员甲")
    ]
    text = board.model_dump_json()
    assert "88.5" not in text
    assert "91" not in text
    assert "13812345678" not in text
    # a group's board: its members only, no branch levels
    group = public.star_board(db, world.group)
    assert group.branches == []
    assert sum(c.count for c in group.counts) == 4
    # nothing published under another unit: an empty board
    office = public.star_board(db, world.office) if world.office else None
    assert office is not None
    assert office.period_title is None
    assert office.counts == []


def test_an_inactive_member_is_not_named(db: Session, world: World) -> None:
    _two_quarters(db, world)
    member = db.get(Member, world.member.member_id)
    assert member is not None
    member.status = "moved"  # type: ignore[assignment]
    db.add(member)
    db.flush()
    names = [e.name for g in public.star_board(db, world.town).members for e in g.entries]
    assert "党员甲" not in names
