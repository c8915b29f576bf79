"""Demo data for 结对帮扶 and 双报到 (issue 13), shaped like the seeds: 003 "327名党员结对贫困户771户"
(about one member in five paired with two or three households) and 001 "在职党员全部到社区报到" (a few
members of other branches registered in the demo branch, each with a pledge made to the community and
published there; one request still waiting for the secretary).

Household names are private: they are in the pairing table only, never in a pledge's public text (the
privacy crawl plants nothing here: it reads them back from the table and looks for them on every page).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import insert
from sqlmodel import Session

from app.core.db import pk
from app.core.permissions import SYSTEM
from app.core.time import today_local, utcnow
from app.members import registration
from app.members.models import Member, MemberStatus
from app.members.models_registration import CommunityRegistration, RegistrationEvent, RegistrationStatus
from app.members.schemas_registration import RegistrationCreate
from app.org.models import OrgUnit
from app.pledges import access, community, pairing, progress
from app.pledges.lifecycle import act
from app.pledges.models_pairing import Pairing
from app.pledges.schemas import PledgeCreate
from app.pledges.schemas_pairing import PairingCreate, PairingPledgeCreate
from app.pledges.states import Action

SURNAMES = "程汪胡檀王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
GIVEN = "秋生 春兰 德厚 桂英 长福 玉珍 守田 金花 有才 秀梅 满仓 凤英 老根 翠兰 立本 招娣".split()  # noqa: SIM905
NEEDS = [
    "老人独居，行动不便，需要代购药品",
    "家中有重病患者，需要协助申请医疗救助",
    "孩子上学困难，需要助学帮扶",
    "缺劳力，农忙时需要帮工",
    "房屋漏雨，需要协调修缮",
]
COMMUNITY_PLEDGES = [
    ("每月参加一次社区环境整治", "每月第一个周六到社区参加环境卫生整治，清理楼道杂物。"),
    ("为社区老人义务理发", "每月一次，到社区活动室为老人义务理发。"),
    ("周末到社区开展政策宣讲", "每季度一次，讲解医保、养老保险政策。"),
    ("结对辅导社区留守儿童", "每周六下午辅导作业一次。"),
    ("参加社区夜间巡逻", "每月两次参加社区志愿巡逻。"),
]


def household_name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}户"


def seed_pairings(
    session: Session,
    *,
    rng: random.Random,
    branches: Sequence[OrgUnit],
    members_by_branch: dict[int, list[Member]],
    persona_member: Member,
) -> int:
    """About one member in five paired with one to three households; the demo member with two, one of
    them with a published pairing pledge and a visit. One batched INSERT for the town."""
    now = utcnow()
    today = today_local()
    rows = []
    for branch in branches:
        for m in members_by_branch[pk(branch)]:
            if m is persona_member or m.status != MemberStatus.active or rng.random() > 0.22:
                continue
            for _ in range(rng.choice((1, 2, 2, 3))):
                rows.append(
                    {
                        "member_id": pk(m),
                        "branch_id": pk(branch),
                        "household_name": household_name(rng),
                        "village_group": f"{rng.randint(1, 9)}组",
                        "needs": rng.choice(NEEDS),
                        "since": today - timedelta(days=rng.randint(30, 700)),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    if rows:
        session.execute(insert(Pairing), rows)
    actor = dataclasses.replace(SYSTEM, member_id=pk(persona_member))
    first = None
    for _ in range(2):
        located = pairing.create_pairing(
            session,
            actor=SYSTEM,
            data=PairingCreate(
                member_id=pk(persona_member),
                household_name=household_name(rng),
                village_group="三组",
                needs=rng.choice(NEEDS),
            ),
        )
        first = first or located
    assert first is not None
    pledge = pairing.create_pairing_pledge(
        session,
        actor=SYSTEM,
        located=first,
        data=PairingPledgeCreate(title="结对帮扶一户困难老人", content="每月走访一次，帮助代购药品、打扫卫生。"),
    )
    for action in (Action.submit, Action.approve, Action.publish):
        act(session, actor=SYSTEM, located=pledge, action=action, expected_version=pledge.pledge.version)
    progress.add_progress(
        session,
        actor=actor,
        located=access.locate(session, pledge.pledge, pledge.unit),
        text="走访结对户：送去米和油，帮助打扫了院子。",
        percent=20,
        uploads=[],
    )
    return len(rows) + 2


def seed_registrations(
    session: Session,
    *,
    rng: random.Random,
    branches: Sequence[OrgUnit],
    members_by_branch: dict[int, list[Member]],
    community_branch: OrgUnit,
    taken: set[int],
) -> None:
    """Five members of other branches registered in the demo branch (each with a published pledge to
    it) and one request waiting for its secretary."""
    others = [
        m
        for b in branches
        if b.id != community_branch.id
        for m in members_by_branch[pk(b)]
        if m.status == MemberStatus.active and m.account_id is None and pk(m) not in taken and m.board_consent
    ]
    chosen = rng.sample(others, 6)
    waiting = chosen.pop()  # a request still waiting for the community's secretary (asked on paper)
    now = utcnow()
    row = CommunityRegistration(
        member_id=pk(waiting),
        branch_id=pk(community_branch),
        status=RegistrationStatus.requested,
        note="退休教师，可参加宣讲",
    )
    session.add(row)
    session.flush()
    session.execute(
        insert(RegistrationEvent),
        [{"registration_id": pk(row), "action": "request", "to_status": "requested", "actor_name": "系统", "at": now}],
    )
    for i, m in enumerate(chosen):
        located = registration.create(
            session,
            actor=SYSTEM,
            data=RegistrationCreate(
                branch_id=pk(community_branch), member_id=pk(m), note="在县城单位上班，周末可参加服务"
            ),
        )
        title, content = COMMUNITY_PLEDGES[i]
        actor = dataclasses.replace(SYSTEM, member_id=pk(m))
        pledge = community.create_community_pledge(
            session,
            actor=actor,
            registration_id=pk(located.registration),
            data=PledgeCreate(title=title, content=content, category="public_service"),
        )
        for action in (Action.submit, Action.approve, Action.publish):
            act(session, actor=SYSTEM, located=pledge, action=action, expected_version=pledge.pledge.version)
    session.flush()
