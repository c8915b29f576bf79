from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth.dependencies import SignedInDep
from app.core.db import SessionDep, pk
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.notifications import service
from app.notifications.schemas import MarkedRead, NotificationRead, UnreadCount

router = APIRouter(tags=["notifications"])


@router.get("/notifications", response_model=Page[NotificationRead])
def list_notifications(
    session: SessionDep, signed: SignedInDep, paging: PageDep, unread: bool = False
) -> Page[NotificationRead]:
    """我的消息（最新的在前；unread=true 只看未读）。"""
    return service.list_for(session, account_id=pk(signed.account), params=paging, unread_only=unread)


@router.get("/notifications/unread-count", response_model=UnreadCount)
def unread_count(session: SessionDep, signed: SignedInDep) -> UnreadCount:
    """未读消息数。"""
    return UnreadCount(unread=service.unread_count(session, account_id=pk(signed.account)))


@router.post("/notifications/{notification_id}/read", response_model=NotificationRead)
def mark_read(idem: IdempotencyDep, session: SessionDep, signed: SignedInDep, notification_id: int) -> Response:
    """把一条消息标为已读。"""
    row = service.mark_read(session, account_id=pk(signed.account), notification_id=notification_id)
    return idem.respond(session, NotificationRead.of(row))


@router.post("/notifications/read-all", response_model=MarkedRead)
def mark_all_read(idem: IdempotencyDep, session: SessionDep, signed: SignedInDep) -> Response:
    """把全部消息标为已读。"""
    return idem.respond(session, MarkedRead(updated=service.mark_all_read(session, account_id=pk(signed.account))))
