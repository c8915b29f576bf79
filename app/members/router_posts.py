"""Post catalogue endpoints (设岗定责, 党员先锋岗): a branch's posts, and a member's assigned post."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.core.db import SessionDep
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.members import posts, service
from app.members.dependencies import ActorDep, VisibleMember
from app.members.schemas import MemberRead
from app.members.schemas_posts import PostAssign, PostCreate, PostRead, PostUpdate

router = APIRouter(tags=["posts"])


@router.get("/units/{unit_id}/posts", response_model=Page[PostRead])
def list_posts(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    unit_id: Id,
    archived: Annotated[bool, Query(description="true 只看已停用的岗位")] = False,
) -> Page[PostRead]:
    """支部的岗位目录（党小组显示所属支部的）：先锋岗在前。"""
    return posts.list_posts(session, actor=actor, unit_id=unit_id, params=paging, archived=archived)


@router.post("/units/{unit_id}/posts", response_model=PostRead, status_code=201)
def create_post(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, unit_id: Id, body: PostCreate) -> Response:
    """设岗：在支部岗位目录中新增岗位（支部书记；党委管理员在辖区内）。"""
    post, branch = posts.create_post(session, actor=actor, unit_id=unit_id, data=body)
    return idem.respond(session, posts.read_one(session, actor, post, branch), status_code=201)


@router.get("/posts/{post_id}", response_model=PostRead)
def read_post(session: SessionDep, actor: ActorDep, post_id: Id) -> PostRead:
    """一个岗位：名称、职责、是否先锋岗、在岗人数。"""
    post, branch = posts.visible_post(session, actor, post_id)
    return posts.read_one(session, actor, post, branch)


@router.patch("/posts/{post_id}", response_model=PostRead)
def update_post(session: SessionDep, actor: ActorDep, post_id: Id, body: PostUpdate) -> PostRead:
    """修改岗位；改名时在岗党员的岗位一并更新。"""
    post, branch = posts.visible_post(session, actor, post_id)
    posts.update_post(session, actor=actor, post=post, branch=branch, data=body)
    return posts.read_one(session, actor, post, branch)


@router.post("/posts/{post_id}/archive", response_model=PostRead)
def archive_post(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, post_id: Id) -> Response:
    """停用岗位：不再供选择；已有的承诺和在岗党员保留它。"""
    post, branch = posts.visible_post(session, actor, post_id)
    posts.set_archived(session, actor=actor, post=post, branch=branch, archived=True)
    return idem.respond(session, posts.read_one(session, actor, post, branch))


@router.post("/posts/{post_id}/restore", response_model=PostRead)
def restore_post(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, post_id: Id) -> Response:
    """恢复已停用的岗位。"""
    post, branch = posts.visible_post(session, actor, post_id)
    posts.set_archived(session, actor=actor, post=post, branch=branch, archived=False)
    return idem.respond(session, posts.read_one(session, actor, post, branch))


@router.put("/members/{member_id}/post", response_model=MemberRead)
def assign_post(session: SessionDep, actor: ActorDep, member: VisibleMember, body: PostAssign) -> MemberRead:
    """定岗：把党员安排到本支部的一个岗位（岗位名称填入党员的岗位）；post_id 为空则取消，岗位文字保留。"""
    posts.assign(session, actor=actor, member=member, post_id=body.post_id)
    return service.read_for(session, actor, member)
