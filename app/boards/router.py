"""Secretaries' board API (/api/v1/boards) and the public pages villagers reach by QR code (/b/…).

The public routes answer HTML (Simplified Chinese), never JSON: a villager in WeChat's browser must
always see a page a person can read, including for "not found", "moved" (410) and "too many".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from app.boards import poster, public, qr, service
from app.boards.dependencies import VisibleBoard
from app.boards.render import PUBLIC_HEADERS, Rendered, if_none_match, render
from app.boards.schemas import BoardCreate, BoardRead, BoardUpdate, BoardViews
from app.core.db import SessionDep
from app.core.errors import NotFound, register_html_errors
from app.core.idempotency import IdempotencyDep
from app.core.middleware import body_limit
from app.core.pagination import Page, PageDep
from app.core.storage import content_type_of, get_storage, is_key
from app.evaluations import dependencies as guard
from app.evaluations.service import FeedbackProblem
from app.org import service as org_service
from app.org.dependencies import ActorDep

router = APIRouter(prefix="/boards", tags=["boards"])
public_router = APIRouter(include_in_schema=False)

# villagers' forms: 200 characters are ~2 KB url-encoded; anything a person could paste still comes back
# as the form with the text kept (422), while an anonymous flood is refused before it is read (413 page)
MAX_FORM_BODY = 64 * 1024

# ---------------------------------------------------------------- secretaries' API


@router.get("", response_model=Page[BoardRead])
def list_boards(session: SessionDep, actor: ActorDep, paging: PageDep, unit_id: int | None = None) -> Page[BoardRead]:
    """公示牌列表（您管理的组织）。"""
    return service.list_boards(session, actor=actor, params=paging, unit_id=unit_id)


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


# ---------------------------------------------------------------- public pages
# Routes stay thin: resolving the token, the device cookie, abuse checks and choosing the page are
# HTTP; what a form means is in public.submit_feedback and the evaluations service.


def _headers(**extra: str) -> dict[str, str]:
    return {**PUBLIC_HEADERS, **extra}


def _message(
    status: int, title: str, lines: list[str], *, link: str | None = None, link_text: str = "", big: bool = False
) -> HTMLResponse:
    html = render("message.html", title=title, lines=lines, link=link, link_text=link_text, big=big)
    return HTMLResponse(html, status_code=status, headers=_headers(**{"Cache-Control": "no-store"}))


def _not_found() -> HTMLResponse:
    return _message(404, "未找到该公示牌", ["请检查二维码是否完整，或向村（社区）党组织询问。"])


def _back_link(path: str) -> str:
    """The board a /b/… path belongs to (only a plausible token; never echo anything else)."""
    parts = path.split("/")
    token = parts[2] if len(parts) > 2 else ""
    return f"/b/{token}" if 20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum() else ""


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """Any error under /b/ that a route did not answer itself (a malformed URL or form, a wrong method,
    a body too large): a Chinese page for the villager, never problem+json."""
    link = _back_link(request.url.path) or None
    title, lines = {
        404: ("未找到该页面", ["请检查二维码或网址是否完整，或向村（社区）党组织询问。"]),
        405: ("请从公示牌打开这一页", ["这个地址只用于提交表单。"]),
        413: ("内容太长", ["提交的内容太长了。意见建议请写在 200 字以内，再提交一次。"]),
        422: ("提交的内容有误", ["请返回上一页，重新填写后再提交。"]),
    }.get(status, ("出了点问题", [detail, "请稍后再试。"]))
    if status == 422 and request.method in ("GET", "HEAD"):  # a malformed URL, e.g. ?size=abc
        status, title, lines = 400, "网址有误", ["请检查网址是否完整，或重新扫描二维码。"]
    status = status if 400 <= status < 600 else 400
    return _message(status, title, lines, link=link, link_text="返回公示牌" if link else "")


register_html_errors("/b/", error_page)


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


@public_router.get("/b/{token}")
def board_page(request: Request, session: SessionDep, token: str) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    page = public.board_page(session, resolved, token, big=_big(request))
    response = _cached_response(request, page)
    if service.view_counter.record(resolved.board_id):
        # after the response is sent, in a transaction of its own (see ViewCounter)
        response.background = BackgroundTask(service.view_counter.flush)
    return response


@public_router.get("/b/{token}/qr.svg")
def qr_svg(session: SessionDep, token: str) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    return Response(
        qr.svg(service.public_url_of_token(token)),
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


@public_router.get("/b/{token}/p/{pledge_id:int}/img/{key}")
def pledge_image(session: SessionDep, token: str, pledge_id: int, key: str) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    if key not in public.model_for(session, resolved).view.image_keys:
        page = public.pledge_page(session, resolved, pledge_id, big=False)
        if page is None or key not in page.image_keys:
            return _not_found()
    return _image(key)


def _form_response(request: Request, html: str, device: guard.Device, status: int = 200) -> HTMLResponse:
    response = HTMLResponse(html, status_code=status, headers=_headers(**{"Cache-Control": "private, no-store"}))
    guard.remember_device(response, device, request)
    return response


def _pledge_not_found(token: str) -> HTMLResponse:
    return _message(
        404, "未找到该承诺", ["这项承诺不在本公示牌上，或尚未公示。"], link=f"/b/{token}", link_text="返回公示牌"
    )


@public_router.get("/b/{token}/p/{pledge_id:int}")
def pledge_page(request: Request, session: SessionDep, token: str, pledge_id: int) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    page = public.pledge_page(session, resolved, pledge_id, big=_big(request))
    if page is None:
        return _pledge_not_found(token)
    device = guard.device_of(request)
    html = page.body.decode("utf-8").replace(public.CSRF_SENTINEL, guard.form_token(device, f"rate:{pledge_id}"))
    return _form_response(request, html, device)


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


@public_router.post("/b/{token}/p/{pledge_id:int}/rate", openapi_extra=body_limit(MAX_FORM_BODY))
def rate_pledge(
    request: Request,
    session: SessionDep,
    token: str,
    pledge_id: int,
    choice: Annotated[str, Form()] = "",
    suggestion: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    if not public.on_board(session, resolved, pledge_id):
        return _pledge_not_found(token)
    device = guard.device_of(request)
    stop = _check_submission(request, token, device, f"rate:{pledge_id}", csrf, website, "rate")
    if stop is not None:
        return stop
    try:
        public.submit_feedback(
            session,
            resolved,
            pledge_id=pledge_id,
            choice=choice,
            text=suggestion,
            device_hash=device.digest,
            ip_hash=guard.address_digest(request),
        )
    except FeedbackProblem as problem:
        form = public.FormState(error=problem.message, csrf=csrf, text=suggestion, choice=choice)
        page = public.pledge_page(session, resolved, pledge_id, big=_big(request), form=form)
        assert page is not None  # on the board: checked above
        return _form_response(request, page.body.decode("utf-8"), device, 422)
    return _thanks(token, request, back=f"p{pledge_id}")


@public_router.get("/b/{token}/p/{pledge_id:int}/rate")
def rate_reopened(request: Request, token: str, pledge_id: int) -> Response:
    """The form's address opened as a page (a reload, a shared link): the pledge's page."""
    return RedirectResponse(f"/b/{token}/p/{pledge_id}{'?big=1' if _big(request) else ''}", status_code=303)


@public_router.get("/b/{token}/suggest")
def suggest_page(request: Request, session: SessionDep, token: str) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    device = guard.device_of(request)
    csrf = guard.form_token(device, f"suggest:{resolved.board_id}")
    html = public.suggest_page(public.model_for(session, resolved), token, csrf=csrf, big=_big(request))
    return _form_response(request, html, device)


@public_router.post("/b/{token}/suggest", openapi_extra=body_limit(MAX_FORM_BODY))
def suggest(
    request: Request,
    session: SessionDep,
    token: str,
    text: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    resolved = _resolve(session, token)
    if isinstance(resolved, HTMLResponse):
        return resolved
    device = guard.device_of(request)
    stop = _check_submission(request, token, device, f"suggest:{resolved.board_id}", csrf, website, "suggest")
    if stop is not None:
        return stop
    try:
        public.submit_feedback(
            session,
            resolved,
            pledge_id=None,
            choice=None,
            text=text,
            device_hash=device.digest,
            ip_hash=guard.address_digest(request),
        )
    except FeedbackProblem as problem:
        form = public.FormState(error=problem.message, csrf=csrf, text=text)
        model = public.model_for(session, resolved)
        html = public.suggest_page(model, token, csrf=csrf, big=_big(request), form=form)
        return _form_response(request, html, device, 422)
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


@public_router.api_route("/b/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def nothing_here(request: Request, rest: str) -> HTMLResponse:
    """Anything else under /b/ (a mistyped or cut-off address): the Chinese 404 page, whatever the method
    and whether or not the PWA is mounted at /."""
    return error_page(request, 404, "")
