"""The demo town's post catalogues (设岗定责): each branch's posts are the posts its members hold
(the demo's free-text posts), with duties, the pioneer posts marked, one post's duties kept private;
members are assigned to them and their post-duty pledges tied to them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from app.core.db import pk
from app.members.models import Member, Post
from app.org.models import OrgUnit

DUTIES = {
    "政策宣传岗": "向群众宣讲惠农、医保、养老等政策，帮助群众办好相关手续。",
    "环境卫生监督岗": "每周巡查组内道路、沟渠和公共场所卫生，发现问题及时劝导、报告。",
    "矛盾纠纷调解岗": "了解邻里矛盾，上门做工作，把矛盾化解在萌芽状态。",
    "帮扶济困岗": "联系困难群众，每月走访，帮助解决生产生活中的实际困难。",
    "安全生产监督岗": "检查组内用电、用火、用气安全，汛期和农忙时节加密巡查。",
    "文明新风岗": "带头移风易俗，劝导红白喜事从简，宣传文明乡风。",
    "产业发展岗": "带头发展特色产业，向群众传授种养技术，帮助联系销路。",
    "治安巡逻岗": "夜间参加治安巡逻，发现可疑情况及时报告。",
    "关爱留守老人岗": "定期看望组内留守老人，帮助代购代办、陪同就医。",
    "村务监督岗": "参与村务公开和财务监督，把群众意见带到支委会。",
    "防汛抗旱岗": "汛期巡查堤坝沟渠，旱季协调灌溉用水。",
    "党员先锋岗": "在急难险重任务中带头上、冲在前，做群众的表率。",
}
PIONEER = {"党员先锋岗", "环境卫生监督岗", "防汛抗旱岗"}
PRIVATE_DUTIES = {"帮扶济困岗"}  # names the kind of households visited: kept inside the branch


def seed_posts(
    session: Session, *, branches: Sequence[OrgUnit], members_by_branch: dict[int, list[Member]]
) -> dict[tuple[int, str], int]:
    """Each branch's catalogue from its members' posts; members assigned. Returns (branch id, post
    name) → post id, for the pledges made for those posts."""
    out: dict[tuple[int, str], int] = {}
    for branch in branches:
        names = sorted({m.post for m in members_by_branch.get(pk(branch), []) if m.post})
        for order, name in enumerate(names):
            post = Post(
                branch_id=pk(branch),
                name=name,
                duties=DUTIES.get(name, ""),
                duties_public=name not in PRIVATE_DUTIES,
                pioneer=name in PIONEER,
                sort_order=order,
            )
            session.add(post)
            session.flush()
            out[(pk(branch), name)] = pk(post)
        for member in members_by_branch.get(pk(branch), []):
            member.post_id = out.get((pk(branch), member.post))
            session.add(member)
    session.flush()
    return out
