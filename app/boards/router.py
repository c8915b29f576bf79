"""Secretaries' board API (/api/v1/boards): boards, their tokens, view counts and posters.

The public pages villagers reach by QR code (/b/…) are in `public_routes.py`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from app.boards import poster, service
from app.boards.dependencies import VisibleBoard
from app.boards.models import BoardKind
from app.boards.schemas import BoardCreate, BoardRead, BoardUpdate, BoardViews
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.members.dependencies import ActorDep

router = APIRouter(prefix="/boards", tags=["boards"])


@router.get("", response_model=Page[BoardRead])
def list_boards(
    session: SessionDep, actor: ActorDep, paging: PageDep, unit_id: int | None = None, kind: BoardKind | None = None
) -> Page[BoardRead]:
    """公示牌和创星榜列表（您管理的组织）。"""
    return service.list_boards(session, actor=actor, params=paging, unit_id=unit_id, kind=kind)


@router.post("", response_model=BoardRead, status_code=201)
def create_board(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: BoardCreate) -> Response:
    """新建公示牌（党小组、社区或党支部）。"""
    board = service.create_board(session, actor=actor, data=body)
    return idem.respond(session, service.read(session, board), status_code=201)


@router.get("/posters.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def branch_posters_pdf(session: SessionDep, actor: ActorDep, branch_id: int) -> Response:
    """一个党支部全部公示牌的 A4 海报，合成一个 PDF（批量打印）。"""
    branch, boards = service.boards_of_branch(session, actor=actor, branch_id=branch_id)
    if not boards:
        raise NotFound("该党支部还没有公示牌", code="no_boards")
    data = poster.pdf(session, boards, title=f"{branch.name}公示牌")
    return _pdf(data, f"posters-{branch_id}.pdf")


@router.get("/{board_id}", response_model=BoardRead)
def read_board(session: SessionDep, actor: ActorDep, board: VisibleBoard) -> BoardRead:
    """一块公示牌的设置和公开地址。"""
    return service.read(session, board, service.require_manage(session, actor, board))


@router.patch("/{board_id}", response_model=BoardRead)
def update_board(session: SessionDep, actor: ActorDep, board: VisibleBoard, body: BoardUpdate) -> BoardRead:
    """修改公示牌：标题、所属组织、展示哪些党员、说明。"""
    return service.read(session, service.update_board(session, actor=actor, board=board, data=body))


@router.post("/{board_id}/rotate", response_model=BoardRead)
def rotate_token(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, board: VisibleBoard) -> Response:
    """更换二维码（海报被撕毁或被冒用时）：旧二维码随即失效，需重新打印。"""
    return idem.respond(session, service.read(session, service.rotate_token(session, actor=actor, board=board)))


@router.delete("/{board_id}", status_code=204)
def take_down(session: SessionDep, actor: ActorDep, board: VisibleBoard) -> Response:
    """撤下公示牌（记录保留；旧二维码显示“已撤下”）。"""
    service.take_down(session, actor=actor, board=board)
    return Response(status_code=204)


@router.get("/{board_id}/views", response_model=BoardViews)
def board_views(
    session: SessionDep, actor: ActorDep, board: VisibleBoard, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> BoardViews:
    """每天的扫码（打开）次数。"""
    return service.view_counts(session, actor=actor, board=board, days=days)


@router.get("/{board_id}/poster", response_class=HTMLResponse)
def poster_html(session: SessionDep, actor: ActorDep, board: VisibleBoard) -> HTMLResponse:
    """可直接打印的 A4 海报（HTML）。"""
    service.require_manage(session, actor, board)
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": poster.POSTER_CSP}
    return HTMLResponse(poster.html(session, [board]), headers=headers)


@router.get("/{board_id}/poster.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def poster_pdf(session: SessionDep, actor: ActorDep, board: VisibleBoard) -> Response:
    """A4 海报 PDF（已嵌入中文字体）。"""
    service.require_manage(session, actor, board)
    return _pdf(poster.pdf(session, [board]), f"board-{board.id}.pdf")


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"},
    )
