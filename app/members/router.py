from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, JSONResponse

from app.auth.dependencies import SignedInAny
from app.core import images
from app.core.db import SessionDep
from app.core.idempotency import IdempotencyDep
from app.core.middleware import body_limit
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.members import me as me_view
from app.members import passwords, service
from app.members.dependencies import ActorDep, VisibleMember
from app.members.models import MemberStatus
from app.members.schemas import (
    Me,
    MemberAccountCreate,
    MemberCreate,
    MemberMove,
    MemberRead,
    MemberUpdate,
    PasswordResetRead,
)
from app.org import service as org_service
from app.org.schemas import GrantCreate, GrantRead

router = APIRouter(tags=["members"])

# one photo of at most 10 MB and the form around it
MAX_PHOTO_BODY = images.MAX_BYTES + 1024 * 1024


@router.get("/auth/me", response_model=Me, tags=["auth"])
def read_me(session: SessionDep, signed: SignedInAny) -> Me:
    """当前登录的账号、对应的党员信息和角色。"""
    account = signed.account
    assert account.id is not None
    return me_view.me(
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
def create_member(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: MemberCreate) -> Response:
    """登记党员（支部书记在本支部内，党委管理员在辖区内）。"""
    member = service.create_member(session, actor=actor, data=body)
    return idem.respond(session, service.read_for(session, actor, member), status_code=201)


@router.get("/members/{member_id}", response_model=MemberRead)
def read_member(session: SessionDep, actor: ActorDep, member: VisibleMember) -> MemberRead:
    """一名党员的信息（手机号仅本人、本支部书记和党委管理员可见）。"""
    return service.read_member(session, actor=actor, member=member)


@router.patch("/members/{member_id}", response_model=MemberRead)
def update_member(session: SessionDep, actor: ActorDep, member: VisibleMember, body: MemberUpdate) -> MemberRead:
    """修改党员信息；状态改为转出或不在册时，其账号停用、角色收回。"""
    return service.read_for(session, actor, service.update_member(session, actor=actor, member=member, data=body))


@router.post("/members/{member_id}/move", response_model=MemberRead)
def move_member(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, member: VisibleMember, body: MemberMove
) -> Response:
    """把党员转到另一个党支部。"""
    moved = service.move_member(
        session, actor=actor, member=member, branch_id=body.branch_id, group_id=body.group_id, reason=body.reason
    )
    return idem.respond(session, service.read_for(session, actor, moved))


@router.post("/members/{member_id}/account", response_model=MemberRead, status_code=201)
def open_account(
    idem: IdempotencyDep, session: SessionDep, actor: ActorDep, member: VisibleMember, body: MemberAccountCreate
) -> Response:
    """为党员开通登录账号（手机号登录，首次登录须修改密码）。"""
    service.open_account(session, actor=actor, member=member, initial_password=body.initial_password)
    return idem.respond(session, service.read_for(session, actor, member), status_code=201)


@router.post("/members/{member_id}/password-reset", response_model=PasswordResetRead, status_code=201)
def reset_password(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, member: VisibleMember) -> Response:
    """重置党员的登录密码：生成一次性初始密码（只显示这一次，可打印成凭条），本人下次登录须修改；其所有登录随即失效。"""
    slip = passwords.reset_password(session, actor=actor, member=member)
    # the replay copy keeps no clear password: the server stores only its hash
    idem.respond(session, slip.model_copy(update={"initial_password": None}), status_code=201)
    return JSONResponse(jsonable_encoder(slip), status_code=201, headers={"Cache-Control": "no-store"})


@router.put("/members/{member_id}/photo", response_model=MemberRead, openapi_extra=body_limit(MAX_PHOTO_BODY))
def upload_photo(
    session: SessionDep,
    actor: ActorDep,
    member: VisibleMember,
    photo: UploadFile = File(description="JPEG、PNG 或 WebP"),
) -> MemberRead:
    """上传或更换亮身份照片（本人或本支部书记）；照片会重新编码，去除位置等信息。"""
    updated = service.set_photo(session, actor=actor, member=member, upload=photo.file)
    return service.read_for(session, actor, updated)


@router.delete("/members/{member_id}/photo", response_model=MemberRead)
def delete_photo(session: SessionDep, actor: ActorDep, member: VisibleMember) -> MemberRead:
    """删除亮身份照片。"""
    return service.read_for(session, actor, service.set_photo(session, actor=actor, member=member, upload=None))


@router.get("/members/{member_id}/photo", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def read_photo(session: SessionDep, actor: ActorDep, member: VisibleMember) -> Response:
    """亮身份照片。"""
    path, media_type = service.photo_file(session, actor=actor, member=member)
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=300"})


# Granting is here, not in org, because a local role may go only to a member of the branch, and
# org knows no members (core ← auth ← org ← members). Listing and revoking grants are org's.
@router.post("/grants", response_model=GrantRead, status_code=201, tags=["org"])
def create_grant(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: GrantCreate) -> Response:
    """授予角色：书记在本支部内授予党员、党小组长、监督小组角色（只能授予本支部在册党员）；其余由党委管理员授予。"""
    grant = service.grant_role(session, actor=actor, account_id=body.account_id, role=body.role, unit_id=body.unit_id)
    read = org_service.grant_read(grant, org_service.get_unit(session, grant.unit_id))
    return idem.respond(session, read, status_code=201)
