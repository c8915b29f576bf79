from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import SignedInAny
from app.core.db import SessionDep
from app.core.pagination import Page, PageDep
from app.core.permissions import Permission, require
from app.members import service
from app.members.dependencies import VisibleMember
from app.members.models import MemberStatus
from app.members.schemas import Me, MemberAccountCreate, MemberCreate, MemberMove, MemberRead, MemberUpdate
from app.org.dependencies import ActorDep

router = APIRouter(tags=["members"])


@router.get("/auth/me", response_model=Me, tags=["auth"])
def read_me(session: SessionDep, signed: SignedInAny) -> Me:
    """当前登录的账号、对应的党员信息和角色。"""
    account = signed.account
    assert account.id is not None
    return service.me(
        session,
        account_id=account.id,
        display_name=account.display_name,
        must_change_password=account.must_change_password,
    )


@router.get("/members", response_model=Page[MemberRead])
def list_members(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    unit_id: int | None = None,
    q: Annotated[str | None, Query(max_length=40, description="按姓名搜索")] = None,
    status: MemberStatus | None = None,
    board_consent: bool | None = None,
) -> Page[MemberRead]:
    """党员名册（分页，可按姓名搜索）。"""
    return service.list_members(
        session, actor=actor, params=paging, unit_id=unit_id, q=q, status=status, board_consent=board_consent
    )


@router.post("/members", response_model=MemberRead, status_code=201)
def create_member(session: SessionDep, actor: ActorDep, body: MemberCreate) -> MemberRead:
    """登记党员（支部书记在本支部内，党委管理员在辖区内）。"""
    return service.read_for(session, actor, service.create_member(session, actor=actor, data=body))


@router.get("/members/{member_id}", response_model=MemberRead)
def read_member(session: SessionDep, actor: ActorDep, member: VisibleMember) -> MemberRead:
    """一名党员的信息（手机号仅本人、本支部书记和党委管理员可见）。"""
    if member.account_id != actor.account_id:
        require(actor, Permission.member_read, service.branch_path(session, member))
    return service.read_for(session, actor, member)


@router.patch("/members/{member_id}", response_model=MemberRead)
def update_member(session: SessionDep, actor: ActorDep, member: VisibleMember, body: MemberUpdate) -> MemberRead:
    """修改党员信息。"""
    return service.read_for(session, actor, service.update_member(session, actor=actor, member=member, data=body))


@router.post("/members/{member_id}/move", response_model=MemberRead)
def move_member(session: SessionDep, actor: ActorDep, member: VisibleMember, body: MemberMove) -> MemberRead:
    """把党员转到另一个党支部。"""
    moved = service.move_member(session, actor=actor, member=member, branch_id=body.branch_id, group_id=body.group_id)
    return service.read_for(session, actor, moved)


@router.post("/members/{member_id}/account", response_model=MemberRead, status_code=201)
def open_account(session: SessionDep, actor: ActorDep, member: VisibleMember, body: MemberAccountCreate) -> MemberRead:
    """为党员开通登录账号（手机号登录，首次登录须修改密码）。"""
    service.open_account(session, actor=actor, member=member, initial_password=body.initial_password)
    return service.read_for(session, actor, member)
