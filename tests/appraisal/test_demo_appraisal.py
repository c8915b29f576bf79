"""The demo town's appraisal (app/appraisal/demo.py), seeded once: the demo branch's panel with last
month's slips mostly used, the quarters' self-evaluations, the last half-year's 述职评议 closed with
reports and scores, last year's levels, tiers (a 后进 branch rectifying with its 整顿 plan, another one
lifted, one approved as 先进 with a reason) and the published ranking — whose public page /r/ ranks the
town's branches with their scores and tiers and names no person."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app import demo
from app.appraisal.models import Representative, SelfEvaluation, Slip, SlipAnswer, SlipBatch
from app.appraisal.models_debrief import DebriefReport, DebriefRound, DebriefScore, DebriefStatus
from app.appraisal.models_tiers import BranchTier, RankingPublication, RankingStatus, RectificationStep, TierStatus
from app.core.security import hash_password
from app.core.time import today_local
from app.members.models import Member
from app.org.models import OrgUnit
from app.ratings.models import PeriodKind, PeriodStatus, RatingPeriod, RatingResult, SubjectKind


def _count(db: Session, stmt: object) -> int:
    return int(db.execute(stmt).scalar_one())  # type: ignore[call-overload]


def _branch(db: Session, name: str) -> OrgUnit:
    return db.execute(select(OrgUnit).where(col(OrgUnit.name) == name)).scalar_one()


def test_the_demo_town_has_a_year_of_appraisal(client: TestClient, db: Session, monkeypatch: object) -> None:
    monkeypatch.setattr(demo, "hash_password", lambda _p: hash_password("demo-password-1"))  # type: ignore[attr-defined]
    demo.seed(db)
    db.flush()
    today = today_local()
    town = _branch(db, demo.TOWN)
    home, other = _branch(db, demo.DEMO_BRANCH), _branch(db, demo.OTHER_DEMO_BRANCH)

    # the panel and last month's slips: nine printed, seven used, seven anonymous answers
    assert _count(db, select(func.count()).where(col(Representative.branch_id) == home.id)) == 9
    last = today.replace(day=1) - timedelta(days=1)
    month = (col(Slip.branch_id) == home.id, col(Slip.year) == last.year, col(Slip.month) == last.month)
    assert _count(db, select(func.count()).where(*month)) == 9
    assert _count(db, select(func.count()).where(*month, col(Slip.used).is_(True))) == 7
    answers = (col(SlipAnswer.branch_id) == home.id, col(SlipAnswer.month) == last.month)
    assert _count(db, select(func.count()).where(*answers)) == 7
    assert _count(db, select(func.count()).where(col(SlipBatch.branch_id) == home.id)) == 1

    # self-evaluations: last quarter's submitted (the demo branch's too), this quarter's by other branches
    quarter = (today.month - 1) // 3 + 1
    rows = db.execute(select(SelfEvaluation)).scalars().all()
    this = [e for e in rows if (e.year, e.quarter) == (today.year, quarter)]
    assert home.id not in {e.branch_id for e in this}  # left for the walk's secretary to fill
    assert sorted(str(e.status) for e in this) == ["draft", "draft", "submitted", "submitted", "submitted", "submitted"]
    assert len(rows) - len(this) == 7
    assert all(str(e.status) == "submitted" for e in rows if e not in this)

    # the half-year's 述职评议: closed, most reports in (two late), each scored by the committee
    (rnd,) = db.execute(select(DebriefRound)).scalars().all()
    assert rnd.status == DebriefStatus.closed
    assert rnd.session_place
    reports = db.execute(select(DebriefReport).where(col(DebriefReport.round_id) == rnd.id)).scalars().all()
    sent = [r for r in reports if r.submitted_at is not None]
    assert len(reports) == demo.BRANCHES_TOTAL
    assert len(reports) - 4 <= len(sent) < len(reports)
    assert sum(r.late for r in sent) >= 2
    assert _count(db, select(func.count()).select_from(DebriefScore)) == len(sent)

    # last year: the year period published; tiers decided — 花车村 rectifying, one lifted, one 先进 by reason
    year = today.year - 1
    period = db.execute(
        select(RatingPeriod).where(col(RatingPeriod.kind) == PeriodKind.year, col(RatingPeriod.year) == year)
    ).scalar_one()
    assert period.status == PeriodStatus.published
    levels = db.execute(
        select(col(RatingResult.stars), func.count())
        .where(col(RatingResult.period_id) == period.id, col(RatingResult.subject_kind) == SubjectKind.member)
        .group_by(col(RatingResult.stars))
    ).all()
    assert {int(s) for s, _n in levels} >= {3, 4, 5}
    tiers = {t.branch_id: t for t in db.execute(select(BranchTier).where(col(BranchTier.year) == year)).scalars()}
    assert len(tiers) == demo.BRANCHES_TOTAL
    assert tiers[other.id or 0].status == TierStatus.rectifying
    assert sorted(str(t.status) for t in tiers.values()).count("lifted") == 1
    steps = db.execute(select(RectificationStep).where(col(RectificationStep.tier_id) == tiers[other.id or 0].id))
    assert sorted(str(s.status) for s in steps.scalars()) == ["done", "done", "planned"]
    assert sum(1 for t in tiers.values() if t.reason and "先进" in t.reason) == 1
    assert all(t.tier is not None for t in tiers.values())

    # the ranking: published; its public page ranks the branches and names no person
    publication = db.execute(select(RankingPublication).where(col(RankingPublication.unit_id) == town.id)).scalar_one()
    assert (publication.year, publication.status) == (year, RankingStatus.published)
    page = client.get(f"/r/{publication.token}")
    assert page.status_code == 200
    text = page.text
    assert "第 1 名</span>" in text
    assert "分类：<b>后进</b>" in text
    assert "分类：<b>一般（已摘帽）</b>" in text
    assert "分类：<b>先进</b>" in text
    assert f"按{year}年度考评得分排序" in text
    assert f"{year}年度没有承诺记录" in text  # the demo's year pledges are this year's
    people = {m.name for m in db.execute(select(Member)).scalars()} | {
        r.name for r in db.execute(select(Representative)).scalars()
    }
    assert not [name for name in people if name in text]
    assert client.head(f"/r/{publication.token}").status_code == 200
