from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import FileResponse

from app.auth.dependencies import SignedInAny
from app.core import images
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.middleware import body_limit
from app.core.pagination import Page, PageDep
from app.core.permissions import Permission, require
from app.core.storage import content_type_of, get_storage
from app.core.validation import Id
from app.members import service
from app.members.dependencies import VisibleMember
from app.members.models import MemberStatus
from app.members.schemas import Me, MemberAccountCreate, MemberCreate, MemberMove, MemberRead, MemberUpdate
from app.org.dependencies import ActorDep

router = APIRouter(tags=["members"])

# one photo of at most 10 MB and the form around it
MAX_PHOTO_BODY = images.MAX_BYTES + 1024 * 1024


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
    unit_id: Id | None = None,
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
        require(actor, Permission.member_read, service.read_path(session, actor, member))
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


@router.put("/members/{member_id}/photo", response_model=MemberRead, openapi_extra=body_limit(MAX_PHOTO_BODY))
def upload_photo(
    session: SessionDep,
    actor: ActorDep,
    member: VisibleMember,
    photo: UploadFile = File(description="JPEG、PNG 或 WebP"),
) -> MemberRead:
    """上传或更换亮身份照片（本人或本支部书记）；照片会重新编码，去除位置等信息。"""
    data = photo.file.read(images.MAX_BYTES + 1)
    return service.read_for(session, actor, service.set_photo(session, actor=actor, member=member, data=data))


@router.delete("/members/{member_id}/photo", response_model=MemberRead)
def delete_photo(session: SessionDep, actor: ActorDep, member: VisibleMember) -> MemberRead:
    """删除亮身份照片。"""
    return service.read_for(session, actor, service.set_photo(session, actor=actor, member=member, data=None))


@router.get("/members/{member_id}/photo", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def read_photo(session: SessionDep, actor: ActorDep, member: VisibleMember) -> Response:
    """亮身份照片。"""
    if member.account_id != actor.account_id:
        require(actor, Permission.member_read, service.read_path(session, actor, member))
    path = get_storage().path(member.photo_key) if member.photo_key else None
    if path is None or member.photo_key is None:
        raise NotFound("该党员还没有照片", code="photo_missing")
    return FileResponse(
        path, media_type=content_type_of(member.photo_key), headers={"Cache-Control": "private, max-age=300"}
    )
