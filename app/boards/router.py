"""Secretaries' board API (/api/v1/boards) and the public pages villagers reach by QR code (/b/…).

The public routes answer HTML (Simplified Chinese), never JSON: a villager in WeChat's browser must
always see a page a person can read, including for "not found", "moved" (410) and "too many".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from app.boards import poster, public, qr, service
from app.boards.dependencies import VisibleBoard
from app.boards.render import PUBLIC_HEADERS, Rendered, if_none_match, render
from app.boards.schemas import BoardCreate, BoardRead, BoardUpdate, BoardViews
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.pagination import Page, PageDep
from app.core.storage import content_type_of, get_storage, is_key
from app.evaluations import dependencies as guard
from app.evaluations import service as evaluations_service
from app.evaluations.models import Satisfaction
from app.org import service as org_service
from app.org.dependencies import ActorDep

router = APIRouter(prefix="/boards", tags=["boards"])
public_router = APIRouter(include_in_schema=False)

# ---------------------------------------------------------------- secretaries' API


@router.get("", response_model=Page[BoardRead])
def list_boards(session: SessionDep, actor: ActorDep, paging: PageDep, unit_id: int | None = None) -> Page[BoardRead]:
    """公示牌列表（您管理的组织）。"""
    return service.list_boards(session, actor=actor, params=paging, unit_id=unit_id)


@router.post("", response_model=BoardRead, status_code=201)
def create_board(session: SessionDep, actor: ActorDep, body: BoardCreate) -> BoardRead:
    """新建公示牌（党小组、社区或党支部）。"""
    return service.read(session, service.create_board(session, actor=actor, data=body))


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
def rotate_token(session: SessionDep, actor: ActorDep, board: VisibleBoard) -> BoardRead:
    """更换二维码（海报被撕毁或被冒用时）：旧二维码随即失效，需重新打印。"""
    return service.read(session, service.rotate_token(session, actor=actor, board=board))


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
    return HTMLResponse(poster.html(session, [board]), headers={"Cache-Control": "no-store"})


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


# ---------------------------------------------------------------- public pages


def _headers(**extra: str) -> dict[str, str]:
    return {**PUBLIC_HEADERS, **extra}


def _message(
    status: int, title: str, lines: list[str], *, link: str | None = None, link_text: str = "", big: bool = False
) -> HTMLResponse:
    html = render("message.html", title=title, lines=lines, link=link, link_text=link_text, big=big)
    return HTMLResponse(html, status_code=status, headers=_headers(**{"Cache-Control": "no-store"}))


def _not_found() -> HTMLResponse:
    return _message(404, "未找到该公示牌", ["请检查二维码是否完整，或向村（社区）党组织询问。"])


def _gone(session: SessionDep, gone: service.BoardGone) -> HTMLResponse:
    unit = org_service.get_unit(session, gone.unit_id)
    branch = org_service.branch_of(session, unit)
    who = branch.name if branch is not None else unit.name
    if gone.taken_down:
        lines = [f"“{unit.name}”的这块公示牌已撤下。", f"如有疑问，请向{who}书记询问。"]
        return _message(410, "公示牌已撤下", lines)
    lines = [
        f"“{unit.name}”的公示牌已更换了新的二维码，这个旧二维码不再使用。",
        f"请扫描墙上新张贴的二维码，或向{who}书记询问。",
    ]
    return _message(410, "公示牌已搬家", lines)


def _resolve(session: SessionDep, token: str) -> service.Resolved | HTMLResponse:
    try:
        return service.resolve(session, token)
    except service.BoardGone as gone:
        return _gone(session, gone)
    except NotFound:
        return _not_found()


def _big(request: Request) -> bool:
    return request.query_params.get("big") == "1"


def _cached_response(request: Request, page: Rendered) -> Response:
    headers = _headers(
        ETag=page.etag,
        **{"Cache-Control": "public, max-age=60", "Vary": "Accept-Encoding"},
    )
    if if_none_match(request.headers.get("if-none-match"), page.etag):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(page.gzipped, media_type="text/html; charset=utf-8", headers=headers)
    return Response(page.body, media_type="text/html; charset=utf-8", headers=headers)


def _count_view(session: SessionDep, board_id: int) -> None:
    service.view_counter.record(board_id)
    if service.view_counter.due():
        service.view_counter.flush(session)


@public_router.get("/b/{token}")
def board_page(request: Request, session: SessionDep, token: str) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    page = public.board_page(session, resolved, token, big=_big(request))
    _count_view(session, resolved.board_id)
    return _cached_response(request, page)


@public_router.get("/b/{token}/qr.svg")
def qr_svg(session: SessionDep, token: str) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    url = f"{service.public_url_of_token(token)}"
    return Response(
        qr.svg(url),
        media_type="image/svg+xml",
        headers=_headers(**{"Cache-Control": "public, max-age=86400"}),
    )


@public_router.get("/b/{token}/qr.png")
def qr_png(session: SessionDep, token: str, size: Annotated[int | None, Query(ge=1, le=10_000)] = None) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    data = qr.png(service.public_url_of_token(token), qr.clamp_size(size))
    return Response(data, media_type="image/png", headers=_headers(**{"Cache-Control": "public, max-age=86400"}))


def _image(key: str) -> Response:
    path = get_storage().path(key) if is_key(key) else None
    if path is None:
        return _not_found()
    return FileResponse(
        path,
        media_type=content_type_of(key),
        headers=_headers(**{"Cache-Control": "public, max-age=31536000, immutable"}),
    )


@public_router.get("/b/{token}/img/{key}")
def board_image(session: SessionDep, token: str, key: str) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    if key not in public.model_for(session, resolved).view.image_keys:
        return _not_found()
    return _image(key)


@public_router.get("/b/{token}/p/{pledge_id}/img/{key}")
def pledge_image(session: SessionDep, token: str, pledge_id: int, key: str) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    if key not in public.model_for(session, resolved).view.image_keys:
        page = public.pledge_page(session, resolved, pledge_id, big=False)
        if page is None or key not in page.image_keys:
            return _not_found()
    return _image(key)


def _form_page(request: Request, template: str, device: guard.Device, **context: object) -> HTMLResponse:
    html = render(template, honeypot=guard.HONEYPOT_FIELD, big=_big(request), **context)
    response = HTMLResponse(html, headers=_headers(**{"Cache-Control": "private, no-store"}))
    guard.remember_device(response, device, request)
    return response


@public_router.get("/b/{token}/p/{pledge_id}")
def pledge_page(request: Request, session: SessionDep, token: str, pledge_id: int) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    page = public.pledge_page(session, resolved, pledge_id, big=_big(request))
    if page is None:
        return _message(
            404, "未找到该承诺", ["这项承诺不在本公示牌上，或尚未公示。"], link=f"/b/{token}", link_text="返回公示牌"
        )
    device = guard.device_of(request)
    html = page.body.decode("utf-8").replace(public.CSRF_SENTINEL, guard.form_token(device, f"rate:{pledge_id}"))
    response = HTMLResponse(html, headers=_headers(**{"Cache-Control": "private, no-store"}))
    guard.remember_device(response, device, request)
    return response


def _thanks(token: str, request: Request, *, back: str) -> RedirectResponse:
    suffix = "&big=1" if _big(request) else ""
    return RedirectResponse(f"/b/{token}/thanks?back={back}{suffix}", status_code=303, headers=_headers())


def _check_submission(
    request: Request, token: str, device: guard.Device, form_name: str, csrf: str, honeypot: str, kind: str
) -> Response | None:
    """None when the submission may be stored; otherwise the response to give instead."""
    wait = guard.throttled(kind, device, guard.address_digest(request))
    if wait is not None:
        response = _message(
            429,
            "提交太频繁了",
            [f"请 {max(1, wait // 60)} 分钟后再试。", "每台手机每个季度对每项承诺评价一次即可。"],
            link=f"/b/{token}",
            link_text="返回公示牌",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    check = guard.check_form_token(csrf, device, form_name)
    if check == guard.FormCheck.invalid:
        return _message(
            403,
            "页面已过期",
            ["请返回公示牌，重新打开这一页后再提交。"],
            link=f"/b/{token}",
            link_text="返回公示牌",
        )
    if honeypot or check == guard.FormCheck.too_fast:
        return _thanks(token, request, back="")  # a bot: it is told "thank you", nothing is stored
    return None


@public_router.post("/b/{token}/p/{pledge_id}/rate")
def rate_pledge(
    request: Request,
    session: SessionDep,
    token: str,
    pledge_id: int,
    choice: Annotated[str, Form(max_length=20)] = "",
    suggestion: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    website: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    model = public.model_for(session, resolved)
    ref = model.refs.get(pledge_id)
    if ref is None:
        return _message(404, "未找到该承诺", ["这项承诺不在本公示牌上。"], link=f"/b/{token}", link_text="返回公示牌")
    device = guard.device_of(request)
    stop = _check_submission(request, token, device, f"rate:{pledge_id}", csrf, website, "rate")
    if stop is not None:
        return stop
    try:
        picked = Satisfaction(choice)
    except ValueError:
        return _message(
            422,
            "请选择满意程度",
            ["请选择“满意”“基本满意”或“不满意”后再提交。"],
            link=f"/b/{token}/p/{pledge_id}",
            link_text="返回重新选择",
        )
    address = guard.address_digest(request)
    evaluations_service.rate(session, pledge=ref, choice=picked, device_hash=device.digest, ip_hash=address)
    text = suggestion.strip()
    if text:
        evaluations_service.suggest(
            session,
            unit_id=ref.unit_id,
            branch_id=ref.branch_id,
            pledge_id=ref.id,
            text=text,
            device_hash=device.digest,
            ip_hash=address,
        )
    return _thanks(token, request, back=f"p{pledge_id}")


@public_router.get("/b/{token}/suggest")
def suggest_page(request: Request, session: SessionDep, token: str) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    model = public.model_for(session, resolved)
    device = guard.device_of(request)
    return _form_page(
        request,
        "suggest.html",
        device,
        base=public.base_path(token),
        unit_name=model.view.unit_name,
        title="意见建议卡",
        csrf=guard.form_token(device, f"suggest:{resolved.board_id}"),
    )


@public_router.post("/b/{token}/suggest")
def suggest(
    request: Request,
    session: SessionDep,
    token: str,
    text: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    website: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    device = guard.device_of(request)
    stop = _check_submission(request, token, device, f"suggest:{resolved.board_id}", csrf, website, "suggest")
    if stop is not None:
        return stop
    clean = text.strip()
    if not clean or len(clean) > evaluations_service.SUGGESTION_MAX_CHARS:
        return _message(
            422,
            "请填写意见建议",
            [f"内容不能为空，最多 {evaluations_service.SUGGESTION_MAX_CHARS} 个字。"],
            link=f"/b/{token}/suggest",
            link_text="返回修改",
        )
    model = public.model_for(session, resolved)
    evaluations_service.suggest(
        session,
        unit_id=model.unit.id or 0,
        branch_id=(model.branch or model.unit).id or 0,
        pledge_id=None,
        text=clean,
        device_hash=device.digest,
        ip_hash=guard.address_digest(request),
    )
    return _thanks(token, request, back="")


@public_router.get("/b/{token}/thanks")
def thanks(request: Request, session: SessionDep, token: str, back: str = "") -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    link = f"/b/{token}"
    if back.startswith("p") and back[1:].isdigit():
        link = f"/b/{token}/p/{back[1:]}"
    if _big(request):
        link += "?big=1"
    return _message(
        200,
        "感谢您的评价和监督",
        ["我们已收到。满意度评价满 5 人后公布；意见建议经党支部审核后公开。"],
        link=link,
        link_text="返回",
        big=_big(request),
    )
