"""The demo town's appraisal (issue 14), so every appraisal screen and the public ranking show
something real:

- the demo branch's panel of representatives (党员代表 and 群众代表), last month's slips printed and
  most of them used (anonymous answers, counted in the branch's 群众测评 of the quarter);
- the quarterly self-evaluations of a few branches: last quarter's submitted (the demo branch's
  too), this quarter's submitted, one returned by the committee with a reason, one still a draft
  (the demo branch's own is left for its secretary to fill);
- the last finished half-year's 述职评议 round, closed: the secretaries' reports (two late, a few never
  sent), the session, the committee's scores;
- last year's year period (its levels as the year's four quarters left them: written in bulk, then
  approved and published through the ratings' own steps), the branch tiers by 五好 proposed from them
  and decided — one 后进 branch (花车村, whose secretary has a login) rectifying with a 整顿 plan half
  done, another 后进 branch whose 帽子 was taken off (摘帽) — and the year's 比学赶超 ranking published.

Every state change goes through its lifecycle (chained events, verified by `liangnuo verify`),
backdated where the engine takes a time (`Move.at`). Deterministic: its own random generator.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session, col

from app.appraisal import debrief, panels, ranking, self_evaluation, slips, tiers, tiers_steps
from app.appraisal.debrief_states import Action as RoundAction
from app.appraisal.models import RepresentativeKind, Slip, SlipPurpose
from app.appraisal.models_debrief import DebriefKind, DebriefReport, DebriefRound, DebriefScore
from app.appraisal.models_tiers import BranchTier, Tier
from app.appraisal.schemas import RepresentativeCreate, SelfEvaluationWrite
from app.appraisal.schemas_debrief import DEFAULT_RUBRIC
from app.appraisal.self_evaluation import SelfAction
from app.appraisal.tiers_states import StepAction, TierAction
from app.core import lifecycle
from app.core.db import pk
from app.core.permissions import SYSTEM, Actor
from app.core.time import CHINA_TZ, as_utc, today_local
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit
from app.ratings import approval, periods, years
from app.ratings.models import STAR_LABELS, PeriodKind, RatingResult, SubjectKind
from app.ratings.rules import PolicyRules
from app.ratings.schemas import PeriodCreate
from app.ratings.scoring import fmt
from app.ratings.states import Action as PeriodAction

PANEL = [
    ("刘德明", RepresentativeKind.party),
    ("陈淑芬", RepresentativeKind.party),
    ("张国庆", RepresentativeKind.party),
    ("李桂兰", RepresentativeKind.party),
    ("王金山", RepresentativeKind.masses),
    ("赵春花", RepresentativeKind.masses),
    ("孙有才", RepresentativeKind.masses),
    ("周玉梅", RepresentativeKind.masses),
    ("吴长林", RepresentativeKind.masses),
]
USED_SLIPS = 7  # of the nine: two representatives did not answer
SELF_NOTES = {
    "team": ["班子团结，每月按时召开支委会", "支委分工明确，带头落实“三会一课”", "班子成员联系群众，重大事项集体研究"],
    "cadres": ["党员亮诺践诺，积极参加志愿服务", "发展入党积极分子两名", "党员先锋岗全部落实到人"],
    "mechanism": ["坚持“四议两公开”，村务按月公开", "主题党日每月开展，台账齐全", "网格化管理覆盖全村"],
    "economy": ["茶叶合作社带动农户增收", "新修机耕道一条，村集体经济增收", "发展稻虾共养，联农带农"],
    "masses": ["群众来访件件有回应", "矛盾纠纷就地化解，没有越级上访", "困难群众走访慰问全覆盖"],
}
RETURN_REASON = "“发展经济业绩好”一项请补充合作社分红的佐证材料"
REPORT_OPENINGS = [
    "上半年，我支部围绕镇党委中心工作，认真履行党建第一责任人职责。",
    "今年以来，我带领支部一班人，以党员公开承诺为抓手，推动各项工作落实。",
    "上半年，支部坚持抓党建促发展，班子团结干事，党员作用发挥明显。",
]
REPORT_WORK = [
    "一是坚持“三会一课”，每月开展主题党日，党员参学率达到九成以上。",
    "一是组织党员公开承诺，全支部党员均已亮诺，践诺情况每季度公示。",
    "一是落实党员联系户制度，每名党员联系三至五户群众。",
]
REPORT_RESULTS = [
    "二是带领群众发展特色产业，新建茶园一百二十亩，带动农户增收。",
    "二是完成村道硬化一点五公里，安装路灯四十盏，群众出行更方便。",
    "二是开展人居环境整治，清理沟渠垃圾，村容村貌明显改善。",
]
REPORT_SHORTFALLS = [
    "不足之处：年轻党员偏少，后备干部培养还需加强。下半年将着力发展年轻党员。",
    "不足之处：集体经济增收渠道单一。下半年将盘活闲置资产，壮大集体经济。",
    "不足之处：个别党员践诺不够及时。下半年将加强督促，确保承诺件件落实。",
]
STEPS = [
    ("调整充实支部班子，选优配强支部书记", 3, 31, "已召开党员大会补选支委一名，班子分工重新明确。"),
    ("建立党员联系户制度，每名党员联系五户", 6, 30, "全村党员每人联系五户，联系卡已发放到户。"),
    ("化解村集体债务，公开财务收支", 11, 30, None),
]
LIFTED_STEPS = [
    ("规范“三会一课”，建立学习台账", 4, 30, "每月主题党日按时开展，台账经镇党委检查合格。"),
    ("解决群众反映的饮水问题", 8, 31, "新建蓄水池一座，全村 96 户通上自来水。"),
]
MEMBER_SHAPE = {5: 0.043, 4: 0.21, 2: 0.004}  # 平山镇's shares (seeds/003); the rest three stars
BANDS = {5: (91.5, 96.5), 4: (81.5, 88.5), 3: (71.5, 78.5), 2: (62.0, 68.0)}


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return as_utc(datetime.combine(day, time(hour, minute), tzinfo=CHINA_TZ))


def _actor(session: Session, member: Member | None) -> Actor:
    if member is None or member.account_id is None:
        return SYSTEM
    return org_service.actor_for(session, member.account_id)


def seed_appraisal(
    session: Session,
    *,
    town: OrgUnit,
    branches: Sequence[OrgUnit],
    members_by_branch: dict[int, list[Member]],
    demo_branch: OrgUnit,
    other_branch: OrgUnit,
    persona_members: dict[str, Member],
) -> None:
    rng = random.Random(20170601)  # noqa: S311 (demo data, deterministic)
    today = today_local()
    committee = _actor(session, persona_members.get("committee_admin"))
    secretary = _actor(session, persona_members.get("secretary"))
    villages = [b for b in branches if b is not demo_branch and b is not other_branch and "村" in b.name]
    _panel(session, rng, demo_branch, secretary, today)
    _self_evaluations(session, rng, demo_branch, other_branch, villages[:5], secretary, committee, today)
    _debrief(session, rng, town, members_by_branch, committee, today)
    year = today.year - 1
    backward = (other_branch, villages[-1])
    _year_levels(session, rng, town, branches, members_by_branch, year, backward)
    _tiers(session, town, committee, year, backward, advanced_by_reason=villages[6])
    ranking.publish(
        session,
        actor=committee,
        unit_id=pk(town),
        year=year,
        reason="年度考评结束，经党委会研究公布",
        at=_at(date(year + 1, 1, 20), 9),
    )


# ---------------------------------------------------------------- representatives and slips


def _panel(session: Session, rng: random.Random, branch: OrgUnit, secretary: Actor, today: date) -> None:
    """The panel, and last month's slips: printed, seven used (answers anonymous by construction)."""
    for name, kind in PANEL:
        panels.add(session, actor=secretary, branch=branch, data=RepresentativeCreate(name=name, kind=kind))
    last = today.replace(day=1) - timedelta(days=1)
    printed = slips.print_batch(
        session,
        actor=secretary,
        branch_id=pk(branch),
        count=len(PANEL),
        purpose=SlipPurpose.month,
        year=last.year,
        month=last.month,
    )
    items = slips.rules_for(session, branch).slip_items
    batch = session.execute(select(Slip).where(col(Slip.batch_id) == printed.batch_id).order_by(col(Slip.id)))
    for slip in list(batch.scalars())[:USED_SLIPS]:
        choices = {i.key: rng.choices(["satisfied", "basic", "unsatisfied"], [78, 18, 4])[0] for i in items}
        slips.take(session, slip, choices)


# ---------------------------------------------------------------- quarterly self-evaluations


def _quarter(day: date, back: int) -> tuple[int, int]:
    index = day.year * 4 + (day.month - 1) // 3 - back
    return index // 4, index % 4 + 1


def _self_evaluations(
    session: Session,
    rng: random.Random,
    demo_branch: OrgUnit,
    other_branch: OrgUnit,
    villages: Sequence[OrgUnit],
    secretary: Actor,
    committee: Actor,
    today: date,
) -> None:
    past, now = _quarter(today, 1), _quarter(today, 0)
    past_due = date(past[0], past[1] * 3, 1) + timedelta(days=40)  # early in the next quarter
    for branch in [demo_branch, other_branch, *villages]:
        who = secretary if branch is demo_branch else SYSTEM
        _fill(session, rng, branch, past, who)
        _act(session, branch, past, SelfAction.submit, who, _at(past_due - timedelta(days=rng.randint(5, 25))))
    this_quarter = [other_branch, *villages]  # the demo branch's own is left for its secretary
    for i, branch in enumerate(this_quarter):
        _fill(session, rng, branch, now, SYSTEM)
        if i == len(this_quarter) - 1:
            continue  # still being filled in
        _act(session, branch, now, SelfAction.submit, SYSTEM, _at(today - timedelta(days=6 - i % 3)))
        if i == 1:
            _act(session, branch, now, SelfAction.return_, committee, _at(today - timedelta(days=2)), RETURN_REASON)


def _fill(session: Session, rng: random.Random, branch: OrgUnit, quarter: tuple[int, int], actor: Actor) -> None:
    items = self_evaluation.rubric(session, branch)
    points = {i.key: float(round(i.max_points * rng.uniform(0.72, 0.95))) for i in items}
    notes = {i.key: rng.choice(SELF_NOTES.get(i.key, ["按要求完成"])) for i in items}
    self_evaluation.save(
        session,
        actor=actor,
        branch=branch,
        year=quarter[0],
        quarter=quarter[1],
        data=SelfEvaluationWrite(items=points, notes=notes),
        expected_version=None,
    )


def _act(
    session: Session,
    branch: OrgUnit,
    quarter: tuple[int, int],
    action: SelfAction,
    actor: Actor,
    at: datetime,
    reason: str | None = None,
) -> None:
    evaluation = self_evaluation.load(session, pk(branch), quarter[0], quarter[1], for_update=True)
    assert evaluation is not None
    keys = [(i.key, i.label) for i in self_evaluation.rubric(session, branch)]
    move = lifecycle.Move(
        self_evaluation.Located(evaluation, branch), action, actor, evaluation.version, reason, None, {"keys": keys}, at
    )
    lifecycle.apply_many(session, self_evaluation.SELF_EVALUATIONS, [move])


# ---------------------------------------------------------------- 述职评议


def _debrief(
    session: Session,
    rng: random.Random,
    town: OrgUnit,
    members_by_branch: dict[int, list[Member]],
    committee: Actor,
    today: date,
) -> None:
    """The last finished half-year's round, from its creation to its close, backdated."""
    year = today.year if today >= date(today.year, 7, 20) else today.year - 1
    created, due, held = date(year, 6, 15), date(year, 7, 5), date(year, 7, 10)
    rnd = DebriefRound(
        unit_id=pk(town),
        kind=DebriefKind.half,
        year=year,
        title=debrief.default_title(DebriefKind.half, year),
        report_due=due,
        rubric=debrief.check_rubric(DEFAULT_RUBRIC),
        created_by_account_id=None if committee.system else committee.account_id,
        created_at=_at(created, 9),
    )
    session.add(rnd)
    session.flush()
    row = {"round_id": pk(rnd), "action": "create", "from_status": None, "to_status": str(rnd.status)}
    name = debrief.actor_name(session, committee)[:40]
    actor_id = None if committee.system else committee.account_id
    debrief.append_events(
        session,
        [
            {
                **row,
                "actor_account_id": actor_id,
                "actor_name": name,
                "reason": None,
                "data": None,
                "at": _at(created, 9),
            }
        ],
    )
    located = debrief.Located(rnd, town)
    _round(session, located, RoundAction.open, committee, _at(created, 9, 30))
    reports = list(
        session.execute(
            select(DebriefReport).where(col(DebriefReport.round_id) == rnd.id).order_by(col(DebriefReport.id))
        ).scalars()
    )
    submitted: list[DebriefReport] = []
    for i, report in enumerate(reports):
        if i % 12 == 11:
            continue  # never sent
        late = i % 15 == 7
        day = due + timedelta(days=2) if late else due - timedelta(days=rng.randint(0, 12))
        when = _at(day, rng.randint(8, 21), rng.randint(0, 59))
        secretary = members_by_branch.get(report.branch_id, [None])[-1]
        report.text = "\n".join(
            [
                rng.choice(REPORT_OPENINGS),
                rng.choice(REPORT_WORK),
                rng.choice(REPORT_RESULTS),
                rng.choice(REPORT_SHORTFALLS),
            ]
        )
        report.author_member_id = secretary.id if secretary is not None else None
        report.author_account_id = secretary.account_id if secretary is not None else None
        report.submitted_at = report.updated_at = when
        report.late = late
        session.add(report)
        submitted.append(report)
    rnd.session_at, rnd.session_place = _at(held, 9), "镇党委三楼会议室"
    session.add(rnd)
    _round(session, located, RoundAction.schedule, committee, _at(due + timedelta(days=1), 16))
    _round(session, located, RoundAction.start_scoring, committee, _at(held, 11, 30))
    if not committee.system:
        scores = []
        for report in submitted:
            level = rng.uniform(0.76, 0.95)
            items = {
                i.key: float(round(i.max * min(1.0, level + rng.uniform(-0.05, 0.05)))) for i in debrief.rubric_of(rnd)
            }
            scores.append(
                {
                    "report_id": pk(report),
                    "scorer_account_id": committee.account_id,
                    "items": items,
                    "total": round(sum(items.values()), 1),
                    "scored_at": _at(held, 12),
                }
            )
        session.execute(insert(DebriefScore), scores)
    _round(session, located, RoundAction.close, committee, _at(held + timedelta(days=2), 15))


def _round(session: Session, located: debrief.Located, action: RoundAction, actor: Actor, at: datetime) -> None:
    move = lifecycle.Move(located, action, actor, located.rnd.version, None, None, {}, at)
    lifecycle.apply_many(session, debrief.ROUNDS, [move])


# ---------------------------------------------------------------- last year: levels, tiers, ranking


def _draw(rng: random.Random, level: int) -> dict[int, float | None]:
    return {q: round(rng.uniform(*BANDS[level]), 1) for q in (1, 2, 3, 4)}


def _year_levels(
    session: Session,
    rng: random.Random,
    town: OrgUnit,
    branches: Sequence[OrgUnit],
    members_by_branch: dict[int, list[Member]],
    year: int,
    backward: Sequence[OrgUnit],
) -> None:
    """The year period: computed (the demo holds none of that year's quarters, so each result is then
    given the quarters' scores the year had), approved branch by branch and published."""
    period, _unit = periods.create_period(
        session, actor=SYSTEM, data=PeriodCreate(unit_id=pk(town), kind=PeriodKind.year, year=year)
    )
    for action in (PeriodAction.open, PeriodAction.close_reviews):
        periods.transition(session, period, action, actor=SYSTEM, expected_version=period.version)
    approval.compute(session, actor=SYSTEM, period=period, unit=town, expected_version=period.version)
    rules = PolicyRules.model_validate(period.policy_snapshot)
    levels: dict[tuple[str, int], int] = {}
    for members in members_by_branch.values():
        for m in members:
            draw = rng.random()
            level, edge = 3, 0.0
            for stars, share in MEMBER_SHAPE.items():
                edge += share
                if draw < edge:
                    level = stars
                    break
            levels[(SubjectKind.member.value, pk(m))] = level
    order = [b for b in branches if b not in backward]
    rng.shuffle(order)
    for i, b in enumerate(order):
        levels[(SubjectKind.branch.value, pk(b))] = 5 if i < 2 else 4 if i < 7 else 3
    for b in backward:
        levels[(SubjectKind.branch.value, pk(b))] = 2
    rows = []
    for rid, kind, sid in session.execute(
        select(col(RatingResult.id), col(RatingResult.subject_kind), col(RatingResult.subject_id))
        .where(col(RatingResult.period_id) == period.id)
        .order_by(col(RatingResult.id))
    ).all():
        scores = _draw(rng, levels.get((str(kind), int(sid)), 3))
        value, thresholds, text = years.year_value(scores, rules, None)
        stars = thresholds.stars(value)
        rows.append(
            {
                "rid": rid,
                "score": value,
                "proposed_stars": stars,
                "explanation": f"{text}年度得分 {fmt(value)} 分，评为{STAR_LABELS[stars]}。",
                "details": {
                    "quarters": {str(q): s for q, s in scores.items()},
                    "combine": rules.year_combine.value,
                    "year_assessment": None,
                },
            }
        )
    stmt = (
        update(RatingResult)
        .where(col(RatingResult.id) == bindparam("rid"))
        .values(
            score=bindparam("score"),
            proposed_stars=bindparam("proposed_stars"),
            explanation=bindparam("explanation"),
            details=bindparam("details"),
        )
    )
    session.connection().execute(stmt, rows)
    session.expire_all()
    for b in branches:
        approval.approve_members(session, actor=SYSTEM, period=period, unit=town, branch_id=pk(b))
    for b in branches:
        approval.approve_branch(session, actor=SYSTEM, period=period, unit=town, branch_id=pk(b))
    approval.publish(session, actor=SYSTEM, period=period, unit=town, expected_version=period.version)


def _tier(session: Session, committee: Actor, branch: OrgUnit, year: int) -> tiers.Located:
    tier_id = session.execute(
        select(col(BranchTier.id)).where(col(BranchTier.branch_id) == branch.id, col(BranchTier.year) == year)
    ).scalar_one()
    return tiers.locate(session, committee, int(tier_id), lock=True)


def _tiers(
    session: Session,
    town: OrgUnit,
    committee: Actor,
    year: int,
    backward: Sequence[OrgUnit],
    *,
    advanced_by_reason: OrgUnit,
) -> None:
    """Proposed from the year's levels early the next year and decided: the 后进 branches' 五好 marked
    first, one 一般 branch approved as 先进 with the reason; the first 后进 branch rectifying with its
    plan half done, the second's plan done and its 帽子 taken off."""
    day = date(year + 1, 1, 10)
    tiers.propose(session, actor=committee, committee_id=pk(town), year=year, at=_at(day))
    for branch in backward:
        located = _tier(session, committee, branch, year)
        marks: dict[str, bool | None] = {"team": False, "economy": False, "masses": False}
        tiers.set_items(
            session,
            actor=committee,
            located=located,
            items=marks,
            expected_version=located.tier.version,
            at=_at(day + timedelta(days=2)),
        )
    ids = session.execute(
        select(col(BranchTier.id), col(BranchTier.branch_id))
        .where(col(BranchTier.committee_id) == town.id, col(BranchTier.year) == year)
        .order_by(col(BranchTier.id))
    ).all()
    moves = []
    for tier_id, branch_id in ids:
        located = tiers.locate(session, committee, int(tier_id), lock=True)
        chosen, reason = None, None
        if branch_id == advanced_by_reason.id and located.tier.proposed_tier != Tier.advanced:
            chosen, reason = Tier.advanced, "带领群众发展茶叶产业成效突出，群众公认，经党委会研究评为先进"
        inputs = {"tier": chosen.value if chosen else None}
        at = _at(day + timedelta(days=5), 15)
        moves.append(
            lifecycle.Move(located, TierAction.approve, committee, located.tier.version, reason, None, inputs, at)
        )
    lifecycle.apply_many(session, tiers.TIERS, moves)
    for branch, plan, lift in ((backward[0], STEPS, False), (backward[1], LIFTED_STEPS, True)):
        located = _tier(session, committee, branch, year)
        reason = "班子凝聚力不强，群众反映问题较多，列为后进党支部，限期整顿"
        at = _at(day + timedelta(days=8), 16)
        move = lifecycle.Move(located, TierAction.rectify, committee, located.tier.version, reason, None, {}, at)
        lifecycle.apply_many(session, tiers.TIERS, [move])
        for title, month, last_day, note in plan:
            located = _tier(session, committee, branch, year)
            due = date(year + 1, month, last_day)
            step = tiers_steps.add_step(
                session, actor=committee, located=located, title=title, due_on=due, at=_at(day + timedelta(days=8), 17)
            )
            if note is None:
                continue
            subject = tiers_steps.locate_step(session, committee, pk(located.tier), pk(step))
            done = _at(due - timedelta(days=6), 11)
            complete = lifecycle.Move(subject, StepAction.complete, committee, step.version, note, None, {}, done)
            lifecycle.apply_many(session, tiers_steps.STEPS, [complete])
        if lift:
            located = _tier(session, committee, branch, year)
            assert located.steps_open == 0
            lifted = _at(date(year + 1, 9, 15), 10)
            reason = "整顿方案全部完成，经镇党委验收，群众满意，同意摘帽"
            move = lifecycle.Move(located, TierAction.lift, committee, located.tier.version, reason, None, {}, lifted)
            lifecycle.apply_many(session, tiers.TIERS, [move])


__all__ = ["seed_appraisal"]
