"""The demo town, modelled on 平山镇 (seeds/003): one committee, one general branch, 37 branches,
52 party groups and 1,462 members, with a login for each persona.

Deterministic: the same names, phones and tree on every run (a fixed random seed). Passwords are not:
each run draws fresh ones, which `seed-demo` prints and can write to a JSON file.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlmodel import Session

from app.appraisal.demo import seed_appraisal
from app.boards.demo import seed_boards
from app.core.db import pk
from app.core.permissions import SYSTEM, Role
from app.core.privacy import mask_personal
from app.core.security import hash_password, keyed_digest
from app.core.time import utcnow
from app.evaluations import service as evaluations_service
from app.evaluations.models import SuggestionStatus
from app.members import service as members_service
from app.members.models import Gender, Member
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges.demo import seed_pledges
from app.pledges.demo_pairing import seed_pairings, seed_registrations
from app.pledges.demo_terms import seed_term_pledges
from app.pledges.models import Pledge
from app.ratings.demo import seed_ratings

TOWN = "平山镇党委"
GENERAL_BRANCH = "平山镇机关党总支"
GENERAL_BRANCH_UNITS = ["机关第一党支部", "机关第二党支部", "镇直单位党支部"]
VILLAGES = [
    "大洼社区",
    "平山社区",
    "猫山社区",
    "花车村",
    "鸣凤村",
    "大段村",
    "桥头村",
    "黄苗村",
    "新塘村",
    "龙池村",
    "高河村",
    "石镜村",
    "松岭村",
    "洪铺村",
    "金拱村",
    "月山村",
    "凉亭村",
    "清河村",
    "三桥村",
    "枫林村",
    "竹园村",
    "茶岭村",
    "白马村",
    "杨林村",
    "团山村",
    "新安村",
    "永丰村",
    "长春村",
    "和平村",
    "东风村",
    "红旗村",
    "塘湾村",
]
OTHER_BRANCHES = ["中心学校党支部", "卫生院党支部"]  # 32 villages + 3 + 2 = 37 branches
GROUP_NAMES = [
    "司山",
    "桥头",
    "黄苗",
    "老屋",
    "新屋",
    "塘埂",
    "大屋",
    "河湾",
    "岭上",
    "山后",
    "柳树",
    "畈心",
    "枫树",
    "庙前",
    "竹林",
    "上湾",
    "下湾",
    "中心",
    "沙塘",
    "石桥",
    "高墩",
    "茶园",
    "杨柳",
    "松树",
    "团结",
    "前进",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴檀"
)
LOCAL_SURNAMES = "程汪檀胡"  # common around 怀宁
GIVEN = (
    "军华明国建平志伟勇强文杰涛斌超刚春林海波东峰辉红英兰芳秀玲桂珍凤霞云丽萍琴娟敏静燕梅金荣生德"
    "福贵祥宝山水成功和顺兴旺家新永长庆立松柏江河胜利振中学卫民安宏伦亮晓玉"
)
POSTS = [
    "政策宣传岗",
    "环境卫生监督岗",
    "矛盾纠纷调解岗",
    "帮扶济困岗",
    "安全生产监督岗",
    "文明新风岗",
    "产业发展岗",
    "治安巡逻岗",
    "关爱留守老人岗",
    "村务监督岗",
    "防汛抗旱岗",
    "党员先锋岗",
]
BRANCHES_TOTAL = 37
GROUPS_TOTAL = 52
MEMBERS_TOTAL = 1462
DEMO_BRANCH = "大洼社区党支部"
OTHER_DEMO_BRANCH = "花车村党支部"
DEMO_GROUP = "司山党小组"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    phone: str
    password: str
    unit: str
    name: str


def _name(rng: random.Random) -> str:
    surname = rng.choice(LOCAL_SURNAMES) if rng.random() < 0.25 else rng.choice(SURNAMES)
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return surname + given


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = rng.choice(["139", "138", "137", "136", "135", "158", "159", "187", "188", "151"]) + "".join(
            rng.choice("0123456789") for _ in range(8)
        )
        if phone not in used:
            used.add(phone)
            return phone


def is_empty(session: Session) -> bool:
    return org_service.first_root(session) is None


def seed(session: Session, *, progress: Callable[[int], None] | None = None) -> list[DemoAccount]:
    """Build the demo town in `session` (flushes; the caller commits). Returns the persona logins."""
    rng = random.Random(20170101)
    tick = progress or (lambda _n: None)
    used_phones: set[str] = set()

    town = org_service.create_root(session, name=TOWN)
    general = org_service.create_unit(
        session, actor=SYSTEM, kind=UnitKind.general_branch, name=GENERAL_BRANCH, parent_id=pk(town)
    )
    branches: list[OrgUnit] = []
    for i, name in enumerate(GENERAL_BRANCH_UNITS):
        branches.append(
            org_service.create_unit(
                session, actor=SYSTEM, kind=UnitKind.branch, name=name, parent_id=pk(general), sort_order=i
            )
        )
    for i, village in enumerate(VILLAGES + OTHER_BRANCHES):
        name = village if village.endswith("党支部") else f"{village}党支部"
        branches.append(
            org_service.create_unit(
                session, actor=SYSTEM, kind=UnitKind.branch, name=name, parent_id=pk(town), sort_order=10 + i
            )
        )
    assert len(branches) == BRANCHES_TOTAL

    village_branches = [b for b in branches if b.name.removesuffix("党支部") in VILLAGES]
    groups_of: dict[int, list[OrgUnit]] = {}
    names = iter([n for n in GROUP_NAMES if f"{n}党小组" != DEMO_GROUP] * 3)  # the demo group is named once
    made = 0
    for index, branch in enumerate(village_branches):
        count = 2 if index < GROUPS_TOTAL - len(village_branches) else 1
        for j in range(count):
            gname = DEMO_GROUP if branch.name == DEMO_BRANCH and j == 0 else f"{next(names)}党小组"
            group = org_service.create_unit(
                session, actor=SYSTEM, kind=UnitKind.group, name=gname, parent_id=pk(branch), sort_order=j
            )
            groups_of.setdefault(pk(branch), []).append(group)
            made += 1
    assert made == GROUPS_TOTAL
    tick(BRANCHES_TOTAL + GROUPS_TOTAL)

    # members: spread over the branches, villages larger than offices
    weights = [3 if b in village_branches else 1 for b in branches]
    per_branch = [max(8, round(MEMBERS_TOTAL * w / sum(weights))) for w in weights]
    per_branch[0] += MEMBERS_TOTAL - sum(per_branch)
    members_by_branch: dict[int, list[Member]] = {}
    for branch, n in zip(branches, per_branch, strict=True):
        groups = groups_of.get(pk(branch), [])
        for k in range(n):
            grp: OrgUnit | None = groups[k % len(groups)] if groups else None
            member = Member(
                name=_name(rng),
                gender=Gender.female if rng.random() < 0.28 else Gender.male,
                phone=_phone(rng, used_phones),
                branch_id=pk(branch),
                group_id=grp.id if grp else None,
                post=rng.choice(POSTS),
                joined_date=date(rng.randint(1965, 2016), rng.randint(1, 12), rng.randint(1, 28)),
                board_consent=rng.random() < 0.93,
            )
            session.add(member)
            members_by_branch.setdefault(pk(branch), []).append(member)
        session.flush()
        tick(n)

    # public titles: the first member of each group leads it
    for groups in groups_of.values():
        for group in groups:
            leader = next(m for m in members_by_branch[group.parent_id or 0] if m.group_id == group.id)
            leader.public_title = "党小组长"
    for branch in branches:
        members_by_branch[pk(branch)][-1].public_title = "支部书记"
    session.flush()

    # persona logins
    demo_branch = next(b for b in branches if b.name == DEMO_BRANCH)
    other_branch = next(b for b in branches if b.name == OTHER_DEMO_BRANCH)
    demo_group = groups_of[pk(demo_branch)][0]
    in_group = [m for m in members_by_branch[pk(demo_branch)] if m.group_id == demo_group.id]
    secretary_member = members_by_branch[pk(demo_branch)][-1]
    other_secretary = members_by_branch[pk(other_branch)][-1]
    leader = in_group[0]
    plain = next(m for m in in_group[1:] if m.board_consent)
    supervisor = next(
        m for m in members_by_branch[pk(demo_branch)] if m.group_id != demo_group.id and m is not secretary_member
    )
    supervisor.public_title = "监督小组成员"
    admin_member = members_by_branch[pk(branches[0])][0]
    admin_member.public_title = "组织委员"

    personas: list[tuple[str, Member, Role, OrgUnit]] = [
        ("committee_admin", admin_member, Role.committee_admin, town),
        ("secretary", secretary_member, Role.secretary, demo_branch),
        ("group_leader", leader, Role.group_leader, demo_group),
        ("member", plain, Role.member, demo_branch),
        ("supervisor", supervisor, Role.supervisor, demo_branch),
        ("other_secretary", other_secretary, Role.secretary, other_branch),
    ]
    # an account the secretary has just opened: its first sign-in asks for a password of the member's
    # own (must_change_password), as a real new login does; kept out of the persona members the
    # pledges and ratings seeders choose around, so the rest of the town stays as it was
    taken = {id(m) for _label, m, _role, _unit in personas}
    newcomer = next(m for m in reversed(in_group) if id(m) not in taken and m.board_consent)
    logins = [*personas, ("new_member", newcomer, Role.member, demo_branch)]
    accounts = []
    for label, member, role, unit in logins:
        password = "ln-" + secrets.token_urlsafe(9)
        members_service.open_account(
            session,
            actor=SYSTEM,
            member=member,
            password_hash=hash_password(password),
            must_change_password=label == "new_member",
        )
        if role != Role.member:
            org_service.grant_role(
                session, actor=SYSTEM, account_id=member.account_id or 0, role=role, unit_id=pk(unit)
            )
        accounts.append(
            DemoAccount(role=label, phone=member.phone or "", password=password, unit=unit.name, name=member.name)
        )
    session.flush()

    # pledges: every member's of this year, the groups' collective ones, every state in the demo branch
    seed_pledges(
        session,
        rng=rng,
        branches=branches,
        groups_of=groups_of,
        members_by_branch=members_by_branch,
        demo_branch=demo_branch,
        demo_group=demo_group,
        persona_members={label: member for label, member, _role, _unit in personas},
    )

    # 结对帮扶 and 双报到 (issue 13): pairings across the town, members of other branches registered in
    # the demo branch with pledges made to it
    seed_pairings(session, rng=rng, branches=branches, members_by_branch=members_by_branch, persona_member=plain)
    seed_registrations(
        session,
        rng=rng,
        branches=branches,
        members_by_branch=members_by_branch,
        community_branch=demo_branch,
        taken={pk(m) for _label, m, _role, _unit in logins},
    )

    # 任期承诺 (issue 13): the cadres' term pledges; the secretary's has had its 回头看, and villagers
    # commented on it (approved suggestions, one answered by the branch)
    reviewed = seed_term_pledges(session, cadres=[secretary_member, other_secretary, supervisor])
    if reviewed is not None:
        _term_comments(session, reviewed, replier=secretary_member.account_id)

    # star ratings: the last quarter published (levels shaped like 平山镇's), the current one open
    seed_ratings(
        session,
        town=town,
        branches=branches,
        members_by_branch=members_by_branch,
        demo_branch=demo_branch,
        persona_members={label: member for label, member, _role, _unit in personas},
    )

    # the appraisal around the stars (issue 14): the demo branch's representatives and last month's slips,
    # self-evaluations, the last half-year's 述职评议, last year's levels, tiers and the published ranking
    seed_appraisal(
        session,
        town=town,
        branches=branches,
        members_by_branch=members_by_branch,
        demo_branch=demo_branch,
        other_branch=other_branch,
        persona_members={label: member for label, member, _role, _unit in personas},
    )

    # boards: last, because a board shows everything above (a board per group and per branch, and a
    # few villager ratings and approved suggestions on the demo group's board)
    seed_boards(session, demo_group_id=pk(demo_group), rng=rng)
    return accounts


TERM_COMMENTS = [
    (
        "书记，合作社分红什么时候兑现？请在村务公开栏里写清楚。",
        "今年合作社分红定在腊月二十前发放，名单和金额会在公开栏公示。",
    ),
    ("厂房空着可惜，建议租给做竹编的老板，能带动村里妇女就业。", ""),
]


def _term_comments(session: Session, pledge_id: int, *, replier: int | None) -> None:
    """Villagers' comments on a term pledge's 回头看 (approved, as the branch's moderation would),
    the first answered by the branch."""
    pledge = session.get(Pledge, pledge_id)
    assert pledge is not None
    now = utcnow()
    for k, (text, answer) in enumerate(TERM_COMMENTS):
        s = evaluations_service.suggest(
            session,
            unit_id=pledge.unit_id,
            branch_id=pledge.branch_id,
            pledge_id=pledge_id,
            text=text,
            device_hash=keyed_digest(f"demo-term-commenter-{k}", "device"),
            ip_hash=keyed_digest("demo-ip-1", "ip"),
        )
        s.created_at = now - timedelta(days=2 - k)
        s.status = SuggestionStatus.approved
        s.public_text = mask_personal(s.text)
        s.moderated_at = now
        s.moderated_by_account_id = replier
        if answer:
            s.reply = s.public_reply = answer
            s.replied_by_account_id = replier
            s.replied_at = now
        session.add(s)
    session.flush()
    org_service.touch(session, [pledge.unit_id, pledge.branch_id])


def accounts_as_json(accounts: list[DemoAccount]) -> list[dict[str, str]]:
    return [asdict(a) for a in accounts]
