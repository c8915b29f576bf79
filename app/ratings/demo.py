"""The demo town's star ratings: the committee's policy, the last quarter run to publication and the
current quarter open with some reviews done, so every screen and the star board show something real.

The past quarter goes through the real steps — open, self statements and peer reviews, villager
ratings of the members' pledges inside its days, close (人情分 flags, the 承诺践诺 item), the
secretaries' assessments, compute, one level changed with a reason, approval of every branch,
publication — with generated inputs aimed at 平山镇's shape (seeds/003: 五星级党员 63 名, 四星级党员
306 名, 二星级党员 5 名 of 1,462, the rest three stars; 五星党支部 2 个, 四星党支部 5 个 of 37). Each
member's assessment is set so that, with their generated peer and villager parts, the score lands
in the band of the level drawn for them (the same arithmetic as compute, in app.ratings.scoring).

Written in bulk (one INSERT per table); a second or so of `seed-demo`. Its own random generator,
so the seeding after it is unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session, col

from app.core.db import insert_for, pk
from app.core.permissions import SYSTEM, Actor
from app.core.security import keyed_digest
from app.core.time import CHINA_TZ, as_utc, today_local
from app.evaluations import formula
from app.evaluations.models import PublicRating, RatingStatus, Satisfaction
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges.models import OwnerKind, Pledge, PledgeOutcome, PledgeStatus
from app.ratings import approval, honours, periods, policy, scoring
from app.ratings.compute import peer_part, villager_part
from app.ratings.models import (
    Assessment,
    DecisionKind,
    HonourKind,
    PeerReview,
    PeriodKind,
    RatingPeriod,
    SelfStatement,
    SubjectKind,
)
from app.ratings.rules import STAR_POINTS, PolicyRules
from app.ratings.schemas import PeriodCreate
from app.ratings.scoring import Part
from app.ratings.states import Action

# 平山镇's year (seeds/003), as shares of its 1,462 members and 37 branches
MEMBER_SHAPE = {5: 63, 4: 306, 2: 5}  # the rest: three stars
MEMBERS_BASE = 1462
BRANCH_SHAPE = {5: 2, 4: 5}  # the rest: three stars
# where a level's scores are aimed (inside the default 90/80/70/60 bands, clear of the edges)
BANDS = {5: (91.5, 96.5), 4: (81.5, 88.5), 3: (71.5, 78.5), 2: (62.0, 68.0), 1: (40.0, 55.0)}
STATEMENTS = [
    "本季度坚持每周清扫组内主干道，帮助两户老人办理了医保续缴。",
    "按承诺完成了政策宣讲三次，调解邻里纠纷一起，还需在结对帮扶上多用心。",
    "参加防汛值守七次，组织党员义务修路一段，群众反映较好。",
    "履行岗位职责，按时参加组织生活；下季度争取把路灯维修的承诺全部兑现。",
]
CHANGE_REASON = "该同志在防汛抢险中带头值守，群众公认，经支委会研究调整为四星"


def _quarter(today: date, back: int) -> tuple[int, int]:
    index = today.year * 4 + (today.month - 1) // 3 - back
    return index // 4, index % 4 + 1


def _at(day: date, rng: random.Random) -> datetime:
    return as_utc(datetime.combine(day, time(rng.randint(8, 20), rng.randint(0, 59)), tzinfo=CHINA_TZ))


def _levels(rng: random.Random, members: Sequence[Member]) -> dict[int, int]:
    """The level each member's score is aimed at: 平山镇's counts, scaled to the town's size."""
    ids = [pk(m) for m in members]
    rng.shuffle(ids)
    out: dict[int, int] = {}
    start = 0
    for stars, count in MEMBER_SHAPE.items():
        n = round(count * len(ids) / MEMBERS_BASE)
        out.update(dict.fromkeys(ids[start : start + n], stars))
        start += n
    out.update(dict.fromkeys(ids[start:], 3))
    return out


def _peer_scores(rng: random.Random, target: float, n: int) -> list[int]:
    """n reviews on the stars scale whose mean is near the target (a mix of two neighbouring steps)."""
    low = max(0, min(75, int(target // 25) * 25))
    share = (target - low) / 25
    return [low + 25 if rng.random() < share else low for _ in range(n)]


def _choices(rng: random.Random, target: float, n: int) -> list[Satisfaction]:
    satisfied = max(0.0, min(1.0, (target - 55) / 45))
    out = []
    for _ in range(n):
        roll = rng.random()
        out.append(
            Satisfaction.satisfied
            if roll < satisfied
            else Satisfaction.unsatisfied
            if roll > 0.97
            else Satisfaction.basic
        )
    return out


def _assessment_for(rules: PolicyRules, parts: list[Part], weight: int, target: float, rubric_max: int) -> int:
    """The assessment points (on the rubric's scale) that bring the score to the target."""
    counted = [p for p in parts if p.raw is not None and p.weight > 0]
    total = sum(p.weight for p in counted) + weight
    needed = (target * total - sum((p.raw or 0) * p.weight for p in counted)) / weight
    return max(0, min(rubric_max, round(needed * rubric_max / 100)))


def _items(rubric: Sequence[Any], points: int) -> dict[str, float]:
    """Spread points over the rubric's items in proportion to their maximum, whole points."""
    total_max = sum(i.max_points for i in rubric)
    items = {i.key: float(min(i.max_points, int(points * i.max_points / total_max))) for i in rubric}
    left = points - int(sum(items.values()))
    for i in rubric:
        room = i.max_points - items[i.key]
        add = min(room, left)
        items[i.key] += add
        left -= int(add)
    return items


class _Seeder:
    def __init__(self, session: Session, town: OrgUnit, members_by_branch: dict[int, list[Member]]) -> None:
        self.session = session
        self.town = town
        self.members_by_branch = members_by_branch
        self.rng = random.Random(20170301)  # noqa: S311 (demo data, deterministic)
        self.devices = 0
        self.pending_ratings: list[dict[str, Any]] = []
        pledges = session.execute(
            select(col(Pledge.id), col(Pledge.member_id), col(Pledge.branch_id), col(Pledge.unit_id)).where(
                col(Pledge.status).in_([PledgeStatus.published.value, PledgeStatus.closed.value])
            )
        ).all()
        self.member_pledges: dict[int, list[tuple[int, int, int]]] = {}
        self.branch_pledges: dict[int, list[tuple[int, int, int]]] = {}
        for pid, member_id, branch_id, unit_id in pledges:
            if member_id is not None:
                self.member_pledges.setdefault(member_id, []).append((pid, branch_id, unit_id))
            else:
                self.branch_pledges.setdefault(branch_id, []).append((pid, branch_id, unit_id))

    def period(self, year: int, quarter: int, opened: date) -> RatingPeriod:
        period, _unit = periods.create_period(
            self.session,
            actor=SYSTEM,
            data=PeriodCreate(unit_id=pk(self.town), kind=PeriodKind.quarter, year=year, quarter=quarter),
        )
        periods.transition(
            self.session, period, Action.open, actor=SYSTEM, expected_version=period.version, at=_at(opened, self.rng)
        )
        return period

    def reviews(
        self,
        period: RatingPeriod,
        targets: dict[int, float],
        *,
        share: float,
        per: int | None,
        share_in: dict[int, float] | None = None,
    ) -> None:
        """Reviewers (a share of each branch) score peers: all of them, or `per` drawn at random."""
        rows: list[dict[str, Any]] = []
        day = period.starts_on + timedelta(days=20)
        when = _at(day, self.rng)
        stars_of = {p: s for s, p in STAR_POINTS.items()}
        for branch_id, members in self.members_by_branch.items():
            ids = [m.id for m in members if m.id is not None]
            for reviewer in ids:
                if self.rng.random() >= (share_in.get(branch_id, share) if share_in else share):
                    continue
                peers = [m for m in ids if m != reviewer]
                chosen = peers if per is None else self.rng.sample(peers, min(per, len(peers)))
                for reviewee in chosen:
                    score = _peer_scores(self.rng, targets.get(reviewee, 75.0), 1)[0]
                    stars = stars_of[score]
                    rows.append(
                        {
                            "period_id": pk(period),
                            "branch_id": branch_id,
                            "reviewer_member_id": reviewer,
                            "reviewee_member_id": reviewee,
                            "score": score,
                            "stars": stars,
                            "created_at": when,
                            "updated_at": when,
                        }
                    )
        if rows:
            self.session.execute(insert(PeerReview), rows)

    def statements(self, period: RatingPeriod, share: float) -> None:
        when = _at(period.starts_on + timedelta(days=10), self.rng)
        rows = [
            {
                "period_id": pk(period),
                "member_id": pk(m),
                "branch_id": branch_id,
                "text": self.rng.choice(STATEMENTS),
                "created_at": when,
                "updated_at": when,
            }
            for branch_id, members in self.members_by_branch.items()
            for m in members
            if self.rng.random() < share
        ]
        if rows:
            self.session.execute(insert(SelfStatement), rows)

    def ratings(
        self, period: RatingPeriod, pledge: tuple[int, int, int], member_id: int | None, choices: list[Satisfaction]
    ) -> None:
        pid, branch_id, unit_id = pledge
        days = (period.ends_on - period.starts_on).days
        rows = []
        for choice in choices:
            self.devices += 1
            when = _at(period.starts_on + timedelta(days=self.rng.randint(0, days)), self.rng)
            rows.append(
                {
                    "pledge_id": pid,
                    "branch_id": branch_id,
                    "unit_id": unit_id,
                    "member_id": member_id,
                    "period": f"{period.year}Q{period.quarter}",
                    "choice": choice.value,
                    "status": RatingStatus.counted.value,
                    "device_hash": keyed_digest(f"demo-rating-device-{self.devices}", "device"),
                    "ip_hash": keyed_digest(f"demo-rating-ip-{self.devices % 97}", "ip"),
                    "created_at": when,
                    "updated_at": when,
                }
            )
        self.pending_ratings.extend(rows)


def seed_ratings(
    session: Session,
    *,
    town: OrgUnit,
    branches: Sequence[OrgUnit],
    members_by_branch: dict[int, list[Member]],
    demo_branch: OrgUnit,
    persona_members: dict[str, Member],
) -> RatingPeriod:
    """The policy, the past quarter published, the current quarter open. Returns the past quarter."""
    policy.set_policy(session, actor=SYSTEM, unit=town, rules=PolicyRules(), expected_version=None)
    s = _Seeder(session, town, members_by_branch)
    rng = s.rng
    today = today_local()
    past_year, past_q = _quarter(today, 1)
    past = s.period(past_year, past_q, opened=date(past_year, 3 * past_q - 2, 1))
    rules = PolicyRules.model_validate(past.policy_snapshot)
    members = [m for ms in members_by_branch.values() for m in ms]
    levels = _levels(rng, members)
    targets = {mid: rng.uniform(*BANDS[stars]) for mid, stars in levels.items()}
    # peers and villagers lean a little higher for the best, so their assessment need not exceed full marks
    leaning = {mid: t + 4 if levels[mid] == 5 else t for mid, t in targets.items()}
    s.statements(past, share=0.6)
    s.reviews(past, leaning, share=0.8, per=8)
    session.flush()

    # villager ratings of the members' pledges (some below the minimum: their weight is spread)
    for m in members:
        mine = s.member_pledges.get(pk(m))
        if mine:
            n = rng.choice([0, 1, 2, 3, 4, 5, 6, 8])
            s.ratings(past, mine[0], pk(m), _choices(rng, leaning[pk(m)], n))
    branch_targets = _branch_targets(rng, branches, with_collective=set(s.branch_pledges))
    for b in branches:
        mine = s.branch_pledges.get(pk(b))
        if mine:
            level = branch_targets[pk(b)][0]
            n = rng.randint(6, 14)
            choices = [Satisfaction.satisfied] * n if level == 5 else _choices(rng, 80.0, n)
            s.ratings(past, mine[0], None, choices)
    if s.pending_ratings:
        session.execute(insert(PublicRating), s.pending_ratings)
    # the secretaries' assessments (saved as they go, while reviews still run): each aimed so the
    # member's score lands in their level's band; 承诺践诺 scored by hand, with the reason kept
    member_scores = _assess_members(session, past, rules, targets, s.pending_ratings)
    _assess_branches(session, past, rules, branches, branch_targets, member_scores, s.pending_ratings)
    periods.transition(session, past, Action.close_reviews, actor=SYSTEM, expected_version=past.version)
    approval.compute(session, actor=SYSTEM, period=past, unit=town, expected_version=past.version)

    # one level changed by the demo branch's secretary, with the reason kept beside the proposed one
    secretary = _actor_of(session, persona_members.get("secretary"))
    changed = next(
        (
            m
            for m in members_by_branch.get(pk(demo_branch), [])
            if levels.get(pk(m)) == 3 and m is not persona_members.get("member")
        ),
        None,
    )
    if changed is not None:
        result = _result(session, past, pk(changed))
        approval.decide_level(
            session,
            actor=secretary,
            kind=DecisionKind.change,
            period=past,
            unit=town,
            result=result,
            stars=4,
            reason=CHANGE_REASON,
            expected_version=result.version,
        )
    for b in branches:
        approver = secretary if b is demo_branch else SYSTEM
        approval.approve_members(session, actor=approver, period=past, unit=town, branch_id=pk(b))
    for b in branches:
        approval.approve_branch(session, actor=SYSTEM, period=past, unit=town, branch_id=pk(b))
    approval.publish(session, actor=SYSTEM, period=past, unit=town, expected_version=past.version)
    _honours(session, past_year)

    # the current quarter: open, self statements and some peer reviews done
    year, q = _quarter(today, 0)
    current = s.period(year, q, opened=date(year, 3 * q - 2, 1))
    s.statements(current, share=0.35)
    s.reviews(current, targets, share=0.08, per=None, share_in={pk(demo_branch): 0.6})
    session.flush()
    return past


def _branch_targets(
    rng: random.Random, branches: Sequence[OrgUnit], *, with_collective: set[int]
) -> dict[int, tuple[int, float]]:
    """The level each branch is aimed at; the best are drawn among branches whose collective pledges
    villagers rated (without that part a branch's assessment alone cannot lift it to five stars)."""
    ids = [pk(b) for b in branches]
    rng.shuffle(ids)
    ids.sort(key=lambda b: b not in with_collective)
    out: dict[int, tuple[int, float]] = {}
    start = 0
    for stars, count in BRANCH_SHAPE.items():
        for bid in ids[start : start + count]:
            out[bid] = (stars, rng.uniform(*BANDS[stars]))
        start += count
    for bid in ids[start:]:
        out[bid] = (3, rng.uniform(*BANDS[3]))
    return out


def _villager(rules: PolicyRules, weight: int, ratings: list[dict[str, Any]]) -> Part:
    points = sum(100 if formula.is_satisfied(r["choice"]) else 0 for r in ratings)
    return villager_part(rules, weight, len(ratings), points)


def _assess_members(
    session: Session, period: RatingPeriod, rules: PolicyRules, targets: dict[int, float], ratings: list[dict[str, Any]]
) -> dict[int, tuple[int, float]]:
    """Upsert every member's assessment; returns member → (branch, expected score)."""
    reviews = session.execute(
        select(col(PeerReview.reviewee_member_id), col(PeerReview.score), col(PeerReview.branch_id)).where(
            col(PeerReview.period_id) == period.id
        )
    ).all()
    got: dict[int, list[int]] = {}
    branch_of: dict[int, int] = {}
    for reviewee, score, branch_id in reviews:
        got.setdefault(reviewee, []).append(score)
        branch_of[reviewee] = branch_id
    by_member: dict[int, list[dict[str, Any]]] = {}
    for r in ratings:
        if r["member_id"] is not None:
            by_member.setdefault(r["member_id"], []).append(r)
    members = session.execute(
        select(col(Member.id), col(Member.branch_id)).where(col(Member.id).in_(list(targets)))
    ).all()
    rubric_max = rules.rubric_max()
    rows, expected = [], {}
    for mid, bid in members:
        scores = got.get(mid, [])
        peer = peer_part(
            rules, len(scores), sum(scores) if scores else None, min(scores, default=None), max(scores, default=None)
        )
        vil = _villager(rules, rules.weights.villager, by_member.get(mid, []))
        points = _assessment_for(rules, [peer, vil], rules.weights.assessment, targets[mid], rubric_max)
        parts = [peer, vil, Part("assessment", rules.weights.assessment, scoring.r1(points * 100 / rubric_max), 1)]
        expected[mid] = (bid, scoring.combine(parts)[1])
        rows.append(_assessment_row(period, SubjectKind.member, mid, bid, _items(rules.rubric, points), rubric_max))
    _upsert_assessments(session, rows)
    return expected


def _assess_branches(
    session: Session,
    period: RatingPeriod,
    rules: PolicyRules,
    branches: Sequence[OrgUnit],
    targets: dict[int, tuple[int, float]],
    member_scores: dict[int, tuple[int, float]],
    ratings: list[dict[str, Any]],
) -> None:
    sums: dict[int, list[float]] = {}
    for bid, score in member_scores.values():
        sums.setdefault(bid, []).append(score)
    by_branch: dict[int, list[dict[str, Any]]] = {}
    for r in ratings:
        if r["member_id"] is None:
            by_branch.setdefault(r["branch_id"], []).append(r)
    w = rules.branch_weights
    rubric_max = rules.rubric_max(branch=True)
    rows = []
    for b in branches:
        scores = sums.get(pk(b), [])
        mean = sum(scores) / len(scores) if scores else None
        members = Part("members", w.members, scoring.r1(mean) if mean is not None else None, len(scores))
        vil = _villager(rules, w.villager, by_branch.get(pk(b), []))
        points = _assessment_for(rules, [members, vil], w.assessment, targets[pk(b)][1], rubric_max)
        rows.append(
            _assessment_row(period, SubjectKind.branch, pk(b), pk(b), _items(rules.branch_rubric, points), rubric_max)
        )
    _upsert_assessments(session, rows)


def _assessment_row(
    period: RatingPeriod, kind: SubjectKind, subject_id: int, branch_id: int, items: dict[str, float], rubric_max: int
) -> dict[str, Any]:
    return {
        "period_id": pk(period),
        "subject_kind": kind.value,
        "subject_id": subject_id,
        "branch_id": branch_id,
        "items": items,
        "auto_items": {},
        "overrides": {"pledges": "按本季度践诺情况评分"} if kind == SubjectKind.member else {},
        "points": float(sum(items.values())),
        "max_points": float(rubric_max),
        "complete": True,
        "version": 1,
    }


def _upsert_assessments(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = Assessment.metadata.tables["assessment"]
    stmt = insert_for(session)(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["period_id", "subject_kind", "subject_id"],
        set_={k: stmt.excluded[k] for k in ("items", "auto_items", "overrides", "points", "max_points", "complete")},
    )
    session.execute(stmt, rows)


def _actor_of(session: Session, member: Member | None) -> Actor:
    if member is None or member.account_id is None:
        return SYSTEM
    return org_service.actor_for(session, member.account_id)


def _result(session: Session, period: RatingPeriod, member_id: int) -> Any:
    from app.ratings.models import RatingResult

    return session.execute(
        select(RatingResult).where(
            col(RatingResult.period_id) == period.id,
            col(RatingResult.subject_kind) == SubjectKind.member.value,
            col(RatingResult.subject_id) == member_id,
        )
    ).scalar_one()


def _honours(session: Session, year: int) -> None:
    """十佳: nominations of closed, kept pledges of the year; ten members' and a few collective ones chosen."""
    rows = session.execute(
        select(col(Pledge.id), col(Pledge.owner_kind))
        .where(
            col(Pledge.status) == PledgeStatus.closed.value,
            col(Pledge.outcome) == PledgeOutcome.kept.value,
            col(Pledge.year) == year,
        )
        .order_by(col(Pledge.id))
    ).all()
    wanted = {HonourKind.member_pledge: 14, HonourKind.org_pledge: 6}
    chosen = {HonourKind.member_pledge: 10, HonourKind.org_pledge: 4}
    for kind in (HonourKind.member_pledge, HonourKind.org_pledge):
        owner = OwnerKind.member if kind == HonourKind.member_pledge else OwnerKind.unit
        ids = [pid for pid, k in rows if k == owner][: wanted[kind]]
        for i, pid in enumerate(ids):
            honour = honours.nominate(
                session, actor=SYSTEM, pledge_id=pid, year=year, reason="群众满意度高，践诺成效明显"
            )
            if i < chosen[kind]:
                honours.select_honour(
                    session,
                    actor=SYSTEM,
                    honour_id=pk(honour),
                    reason="经党委会研究评选",
                    expected_version=honours.honour_version(honour),
                )
