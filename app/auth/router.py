from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import devices, service
from app.auth.dependencies import SignedInAny
from app.auth.schemas import LogoutRequest, PasswordChange, RefreshRequest, TokenPair
from app.core.db import SessionDep
from app.core.ratelimit import client_ip

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenPair)
def login(
    request: Request, response: Response, session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenPair:
    """登录：手机号（username）+ 密码，返回访问令牌和刷新令牌。

    成功后设置设备 Cookie（签名、HttpOnly）：这台设备以后登录这个账号时，不受别人在别处输错密码造成的锁定。"""
    signed = service.sign_in(
        session,
        phone=form.username,
        password=form.password,
        client=client_ip(request),
        device_cookie=request.cookies.get(devices.cookie_name(form.username)),
    )
    devices.set_cookie(response, request, account_id=signed.account_id, phone=signed.phone, device=signed.device)
    return signed.tokens


@router.post("/refresh", response_model=TokenPair)
def refresh(session: SessionDep, body: RefreshRequest) -> TokenPair:
    """用刷新令牌换一对新令牌（旧的刷新令牌随即作废）。"""
    return service.refresh(session, refresh_token=body.refresh_token)


@router.post("/logout", status_code=204)
def logout(session: SessionDep, signed: SignedInAny, body: LogoutRequest | None = None) -> Response:
    """退出登录：作废当前访问令牌和刷新令牌。"""
    service.logout(session, claims=signed.claims, refresh_token=body.refresh_token if body else None)
    return Response(status_code=204)


@router.post("/password", status_code=204)
def change_password(request: Request, session: SessionDep, signed: SignedInAny, body: PasswordChange) -> Response:
    """修改密码；所有设备上的登录随即失效。"""
    service.change_password(
        session,
        account=signed.account,
        current=body.current_password,
        new=body.new_password,
        client=client_ip(request),
        device_cookie=request.cookies.get(devices.cookie_name(signed.account.phone)),
    )
    return Response(status_code=204)
