"""A branch's post catalogue (设岗定责, 党员先锋岗) and members assigned to its posts.

A post belongs to one branch: name, duties, whether the duties may be shown publicly, whether it is
a pioneer post. The branch's secretary (and the committee in its subtree) — `member.manage` on the
branch — creates, edits, archives and restores posts and assigns members to them; everyone who sees
the branch (`unit.read`) reads the catalogue (the pledge form's post picker). Nothing is deleted: an
archived post keeps its pledges and is offered no more.

A member's post stays the free text `member.post`; assigning a catalogue post sets `post_id` and
fills `post` with the post's name (renaming the post renames it for its members too). Pledges keep
the post they were made for (`pledge.post_id`, `pledge.post`: app/pledges/drafting.py).

Private duties (`duties_public` false) are read inside the branch only: `public_posts()` is what
public pages ask, and it never returns them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from app.core.db import pk
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require
from app.core.time import utcnow
from app.members import history
from app.members.models import Member, MemberStatus, Post
from app.members.schemas_posts import PostCreate, PostRead, PostUpdate
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind


@dataclass(frozen=True)
class PublicPost:
    """What a public page may show of a post: its name, its duties only when public, pioneer."""

    name: str
    duties: str
    pioneer: bool


def branch_for(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """The branch whose catalogue a unit shows: the branch itself, or a group's branch. 404 outside
    the actor's sight, 422 above branch level (posts stand in a branch)."""
    unit = org_service.visible_unit(session, actor, unit_id)
    branch = org_service.branch_of(session, unit) if unit.kind == UnitKind.group else unit
    if branch is None or branch.kind != UnitKind.branch:
        raise Unprocessable("岗位设在党支部，请选择一个党支部", code="post_needs_branch")
    return branch


def visible_post(session: Session, actor: Actor, post_id: int) -> tuple[Post, OrgUnit]:
    """The post and its branch, or 404 when missing or outside the actor's sight."""
    post = session.get(Post, post_id)
    if post is not None:
        branch = org_service.get_unit(session, post.branch_id)
        if allowed(actor, Permission.unit_read, branch):
            return post, branch
    raise NotFound("未找到该岗位，或不在您的管理范围内", code="post_not_found")


def member_counts(session: Session, post_ids: Iterable[int]) -> dict[int, int]:
    ids = set(post_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(col(Member.post_id), func.count())
        .where(col(Member.post_id).in_(ids), col(Member.status) == MemberStatus.active)
        .group_by(col(Member.post_id))
    ).all()
    return {int(post_id): int(n) for post_id, n in rows}


def to_read(post: Post, *, may_manage: bool, member_count: int = 0) -> PostRead:
    archived = post.archived_at is not None
    actions = (["edit", "restore"] if archived else ["edit", "archive"]) if may_manage else []
    return PostRead(
        id=pk(post),
        branch_id=post.branch_id,
        name=post.name,
        duties=post.duties,
        duties_public=post.duties_public,
        pioneer=post.pioneer,
        sort_order=post.sort_order,
        archived=archived,
        archived_at=post.archived_at,
        member_count=member_count,
        version=post.version,
        allowed_actions=actions,
    )


def read_one(session: Session, actor: Actor, post: Post, branch: OrgUnit) -> PostRead:
    may_manage = allowed(actor, Permission.member_manage, branch)
    return to_read(post, may_manage=may_manage, member_count=member_counts(session, [pk(post)]).get(pk(post), 0))


def list_posts(
    session: Session, *, actor: Actor, unit_id: int, params: PageParams, archived: bool = False
) -> Page[PostRead]:
    """A branch's catalogue (a group shows its branch's), pioneer posts and sort order first. Three
    queries: the page, its count, the members per post."""
    branch = branch_for(session, actor, unit_id)
    may_manage = allowed(actor, Permission.member_manage, branch)
    stmt: Any = select(Post).where(col(Post.branch_id) == pk(branch))
    stmt = stmt.where(col(Post.archived_at).is_not(None) if archived else col(Post.archived_at).is_(None))
    stmt = stmt.order_by(col(Post.pioneer).desc(), col(Post.sort_order), col(Post.name), col(Post.id))

    def to_reads(rows: Sequence[Post]) -> list[PostRead]:
        counts = member_counts(session, (pk(p) for p in rows))
        return [to_read(p, may_manage=may_manage, member_count=counts.get(pk(p), 0)) for p in rows]

    return paginate(session, stmt, params, to_reads)


def _name_taken(session: Session, branch_id: int, name: str, exclude_id: int | None = None) -> None:
    stmt = select(col(Post.id)).where(
        col(Post.branch_id) == branch_id, col(Post.name) == name, col(Post.archived_at).is_(None)
    )
    if exclude_id is not None:
        stmt = stmt.where(col(Post.id) != exclude_id)
    if session.execute(stmt.limit(1)).first() is not None:
        raise Conflict(f"本支部已有岗位“{name}”", code="post_name_taken")


def create_post(session: Session, *, actor: Actor, unit_id: int, data: PostCreate) -> tuple[Post, OrgUnit]:
    """A new post in a branch's catalogue (member.manage on the branch)."""
    branch = branch_for(session, actor, unit_id)
    require(actor, Permission.member_manage, branch)
    if branch.archived_at is not None:
        raise Conflict("该组织已撤销", code="unit_archived")
    _name_taken(session, pk(branch), data.name)
    post = Post(branch_id=pk(branch), **data.model_dump())
    session.add(post)
    session.flush()
    return post, branch


def update_post(session: Session, *, actor: Actor, post: Post, branch: OrgUnit, data: PostUpdate) -> Post:
    """Edit a post; a new name is carried to the members holding it (their `post` text), and the
    branch's boards are told (they show posts and public duties)."""
    require(actor, Permission.member_manage, branch)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    changes = {k: v for k, v in changes.items() if getattr(post, k) != v}
    if not changes:
        return post
    if "name" in changes:
        _name_taken(session, post.branch_id, changes["name"], exclude_id=pk(post))
        holders = session.execute(
            update(Member)
            .where(col(Member.post_id) == pk(post))
            .values(post=changes["name"], updated_at=utcnow())
            .returning(col(Member.id))
        ).scalars()
        history.renamed_post(session, actor, list(holders), post.name, changes["name"])
    for name, value in changes.items():
        setattr(post, name, value)
    post.version += 1
    post.updated_at = utcnow()
    session.add(post)
    session.flush()
    org_service.touch_subtree(session, branch)
    return post


def set_archived(session: Session, *, actor: Actor, post: Post, branch: OrgUnit, archived: bool) -> Post:
    """Archive (no longer offered; pledges and members keep it) or restore a post."""
    require(actor, Permission.member_manage, branch)
    if (post.archived_at is not None) == archived:
        raise Conflict("该岗位已停用" if archived else "该岗位在用", code="post_wrong_state")
    if not archived:
        _name_taken(session, post.branch_id, post.name, exclude_id=pk(post))
    post.archived_at = utcnow() if archived else None
    post.version += 1
    post.updated_at = utcnow()
    session.add(post)
    session.flush()
    return post


def assign(session: Session, *, actor: Actor, member: Member, post_id: int | None) -> Member:
    """Assign a member to a post of their branch's catalogue (member.manage on the branch); its name
    fills the member's `post`. None ends the assignment and keeps the text."""
    branch = org_service.get_unit(session, member.branch_id)
    require(actor, Permission.member_manage, branch)
    before = history.state(member)
    if post_id is not None:
        post = session.get(Post, post_id)
        if post is None or post.branch_id != member.branch_id:
            raise NotFound("未找到该岗位，或不在该党员的支部", code="post_not_found")
        if post.archived_at is not None:
            raise Conflict("该岗位已停用", code="post_archived")
        member.post = post.name
    member.post_id = post_id
    member.version += 1
    member.updated_at = utcnow()
    session.add(member)
    session.flush()
    org_service.touch(session, [member.branch_id, member.group_id])
    history.changed(session, actor, member, before, "post")
    return member


def usable_post(session: Session, *, post_id: int, branch_id: int) -> Post:
    """A post a pledge may be tied to: in the pledge's branch and not archived (422 otherwise)."""
    post = session.get(Post, post_id)
    if post is None or post.branch_id != branch_id or post.archived_at is not None:
        raise Unprocessable(
            "请从本支部在用的岗位中选择",
            code="post_not_usable",
            errors=[{"field": "post_id", "message": "不是本支部在用的岗位"}],
        )
    return post


def public_posts(session: Session, post_ids: Iterable[int | None]) -> dict[int, PublicPost]:
    """post id → what a public page may show of it (private duties blank). One query."""
    ids = {i for i in post_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(col(Post.id), col(Post.name), col(Post.duties), col(Post.duties_public), col(Post.pioneer)).where(
            col(Post.id).in_(ids)
        )
    ).all()
    return {int(i): PublicPost(name, duties if shown else "", bool(pio)) for i, name, duties, shown, pio in rows}


def posts_by_id(session: Session, post_ids: Iterable[int | None]) -> dict[int, Post]:
    """The posts themselves (private duties included: for the branch's own reads). One query."""
    ids = {i for i in post_ids if i is not None}
    if not ids:
        return {}
    return {pk(p): p for p in session.execute(select(Post).where(col(Post.id).in_(ids))).scalars()}
