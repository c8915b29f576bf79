"""Writing a pledge's content: a new draft, a draft edited in place, a revision proposed.

Who may draft (rules.may_own: an active member; a secretary for a member of their branch; a group
leader or secretary for the unit's collective pledge), what a due date may be (in the pledge's year,
not in the past), and that a pledge never switches between personal and collective
(rules.owner_kind_for). A personal pledge keeps the post it was made for (依岗承诺), the member's post of
the day by default. A revision of a published pledge is a lifecycle move (`revise`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from app.core.db import pk
from app.core.errors import Conflict, Unprocessable
from app.core.lifecycle import check_version
from app.core.permissions import Actor, Permission, allowed, require
from app.core.time import today_local, utcnow
from app.members import posts
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import access, household_text, states, terms
from app.pledges.access import Located
from app.pledges.lifecycle import act, record_event, wrong_state
from app.pledges.models import OwnerKind, Pledge, PledgeCategory, PledgeKind, PledgeStatus
from app.pledges.rules import may_own, owner_kind_for
from app.pledges.schemas import PledgeCreate, PledgeUpdate
from app.pledges.states import Action, Who

_REQUIRED_FIELDS = {
    "title": "标题",
    "content": "承诺内容",
    "category": "类别",
    "post": "岗位",
    "year": "年度",
    "due_date": "完成时限",
}


def _owning_unit_for_collective(session: Session, actor: Actor, unit_id: int) -> tuple[OrgUnit, OrgUnit]:
    """Every level pledges (002 "全区各级党组织……作出承诺"): a group or branch, vetted by its branch; a
    general branch (党总支) or committee (党委), vetted by the level itself — whoever holds pledge.review
    on it, i.e. the committee's admins (组织委员), since a secretary's role stands on a branch only. Its
    `branch_id` is then the owning unit."""
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, Permission.pledge_collective, unit)
    return unit, org_service.branch_of(session, unit) or unit


def create_pledge(session: Session, *, actor: Actor, data: PledgeCreate) -> Located:
    """A new draft: the caller's own, a member's entered by their secretary, or a unit's collective one."""
    member_id: int | None = None
    post, post_id = data.post, data.post_id
    owner_kind = owner_kind_for(data.category)
    if owner_kind == OwnerKind.unit:
        assert data.unit_id is not None  # PledgeCreate: a collective pledge names its unit
        unit, branch = _owning_unit_for_collective(session, actor, data.unit_id)
    else:
        member_id = data.member_id if data.member_id is not None else actor.member_id
        if member_id is None:
            raise Unprocessable(
                "您的账号没有对应的党员信息，请选择为哪位党员登记承诺",
                code="pledge_member_required",
                errors=[{"field": "member_id", "message": "必填"}],
            )
        member, branch = members_service.visible_member(session, actor, member_id)
        if member_id == actor.member_id and allowed(actor, Permission.pledge_own, branch):
            pass
        else:
            require(actor, Permission.pledge_review, branch)
        if not may_own(member):
            raise Conflict("该党员已转出或不在册，不能新建承诺", code="member_inactive")
        unit = org_service.get_unit(session, member.group_id) if member.group_id else branch
        # 依岗承诺: the pledge keeps the post it was made for; by default the member's post of today
        if post_id is None and not post:
            post, post_id = member.post, member.post_id
    if data.post_id is not None:  # a post chosen from the branch's catalogue (free text is the fallback)
        post = posts.usable_post(session, post_id=data.post_id, branch_id=pk(branch)).name
    if unit.archived_at is not None or branch.archived_at is not None:
        raise Conflict("该组织已撤销", code="unit_archived")
    term_start = None
    if data.kind == PledgeKind.term:  # 任期承诺: a cadre's own, across years (pledges.terms)
        if owner_kind != OwnerKind.member:
            raise Unprocessable("任期承诺是党员个人的承诺", code="invalid_term")
        terms.require_cadre(session, member)
        year, term_start, due_date = terms.term_dates(data.term_start, data.due_date)
    else:
        year = data.year or today_local().year
        due_date = data.due_date or date(year, 12, 31)
        check_due_date(year, due_date)
    household_text.check_texts([data.helped_household], data.title, data.content)
    now = utcnow()
    pledge = Pledge(
        owner_kind=owner_kind,
        member_id=member_id,
        unit_id=pk(unit),
        branch_id=pk(branch),
        title=data.title,
        content=data.content,
        category=data.category,
        post=post,
        post_id=post_id,
        year=year,
        due_date=due_date,
        kind=data.kind,
        term_start=term_start,
        helped_household=data.helped_household,
        created_by_account_id=actor.recorded_account_id,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    session.add(pledge)
    session.flush()
    record_event(session, pledge, action="create", source=None, target=PledgeStatus.draft, actor=actor, at=now)
    return access.locate(session, pledge, unit)


def check_due_date(year: int, due_date: date) -> None:
    """A due date lies in the pledge's year (a pledge is a year's promise: 年度承诺) and not in the
    past (China time). 422 on `due_date` otherwise."""
    if due_date < today_local():
        message = "完成时限不能早于今天"
    elif due_date.year != year:
        message = f"完成时限应在承诺年度（{year} 年）内"
    else:
        return
    raise Unprocessable(message, code="invalid_due_date", errors=[{"field": "due_date", "message": message}])


def _changes(session: Session, pledge: Pledge, data: PledgeUpdate) -> dict[str, Any]:
    """The fields `data` really changes, validated against the pledge's kind."""
    given = data.model_dump(exclude_unset=True)
    for name, label in _REQUIRED_FIELDS.items():
        if name in given and given[name] is None:
            raise Unprocessable(f"{label}不能为空", code="invalid", errors=[{"field": name, "message": "不能为空"}])
    category = given.get("category", pledge.category)
    if "category" in given and owner_kind_for(category) != pledge.owner_kind:
        raise Unprocessable(
            "个人承诺和集体承诺不能互相改变",
            code="pledge_bad_category",
            errors=[{"field": "category", "message": "不能改为这个类别"}],
        )
    if category != PledgeCategory.pairing:
        if given.get("helped_household"):
            raise Unprocessable(
                "只有结对帮扶承诺才能填写帮扶对象",
                code="invalid",
                errors=[{"field": "helped_household", "message": "只有结对帮扶承诺才能填写"}],
            )
        if pledge.helped_household is not None:
            given["helped_household"] = None
    if given.get("post_id") is not None:  # chosen from the catalogue: its name is the post
        given["post"] = posts.usable_post(session, post_id=given["post_id"], branch_id=pledge.branch_id).name
    elif "post" in given and given["post"] != pledge.post:  # free text: no longer the catalogue post
        given["post_id"] = None
    changes = {k: v for k, v in given.items() if getattr(pledge, k) != v}
    if changes.keys() & {"title", "content", "helped_household"}:
        household_text.check_pledge_texts(
            session,
            pledge,
            changes.get("title", pledge.title),
            changes.get("content", pledge.content),
            helped_household=changes.get("helped_household"),
        )
    if pledge.kind == PledgeKind.term and ("year" in changes or "due_date" in changes):
        changes.pop("year", None)  # a term's first year follows its start
        terms.term_dates(pledge.term_start, changes.get("due_date", pledge.due_date))
    elif "year" in changes or "due_date" in changes:
        check_due_date(changes.get("year", pledge.year), changes.get("due_date", pledge.due_date))
    return changes


def update_draft(
    session: Session, *, actor: Actor, located: Located, data: PledgeUpdate, expected_version: int | None
) -> Pledge:
    """Edit a draft in place (a returned pledge is a draft again). Published pledges are revised."""
    pledge = located.pledge
    access.authorize(actor, located, Who.owner)
    check_version(pledge, expected_version)
    if PledgeStatus(pledge.status) not in states.EDITABLE:
        raise wrong_state(actor, located, "直接修改（已公示的承诺请申请修改）")
    changes = _changes(session, pledge, data)
    if not changes:
        return pledge
    for name, value in changes.items():
        setattr(pledge, name, value)
    now = utcnow()
    pledge.version += 1
    pledge.updated_at = now
    session.add(pledge)
    session.flush()
    status = PledgeStatus(pledge.status)
    record_event(
        session,
        pledge,
        action="edit",
        source=status,
        target=status,
        actor=actor,
        data={"fields": sorted(changes)},
        at=now,
    )
    return pledge


def revise(
    session: Session, *, actor: Actor, located: Located, data: PledgeUpdate, expected_version: int | None
) -> Pledge:
    """Propose a change to a published pledge: it goes back to the secretary (status `revising`), the
    board keeps the approved text until the change is approved, then shows that it changed."""
    pledge = located.pledge
    access.authorize(actor, located, Who.owner)
    check_version(pledge, expected_version)
    if PledgeStatus(pledge.status) != PledgeStatus.published:
        raise wrong_state(actor, located, states.ACTION_LABELS[Action.revise])
    changes = _changes(session, pledge, data)
    if not changes:
        raise Unprocessable("没有修改任何内容", code="no_changes")
    return act(
        session, actor=actor, located=located, action=Action.revise, expected_version=expected_version, changes=changes
    )
