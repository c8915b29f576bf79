"""The representatives' no-login slip form (/t/…): the same rules as the boards — HTML in Chinese, no
JavaScript, large text on request (`?big=1`), one inline stylesheet allowed by its hash, every error a
Chinese page (registered for the /t/ prefix).

- GET /t/ — the short-code entry page, for those who cannot scan; GET /t/go?code= finds the slip.
- GET /t/{branch_id}/{code} — the month's form (the address in the slip's QR code).
- POST /t/{branch_id}/{code} — one answer per slip (slips.take), then the thank-you page.
- GET/POST /t/debrief/{branch_id}/{code} — a 述职评议 slip's form: the secretary's 述职 report (masked,
  the start only, no name, no photo) and a score per item of the round's rubric (debrief_slips.take).
A slip opened at the other purpose's address is refused (wrong_purpose), as a forged one is.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlmodel import Session

from app.appraisal import debrief, debrief_slips, slips
from app.appraisal.models import SlipPurpose
from app.appraisal.slips import Found, SlipState
from app.core.db import SessionDep
from app.core.errors import AppError, register_html_errors
from app.core.middleware import body_limit
from app.core.ratelimit import Limit, client_ip, limiter
from app.evaluations.models import Satisfaction
from app.org.models import OrgUnit

TEMPLATES = Path(__file__).parent / "templates"
CSS = " ".join(line.strip() for line in (TEMPLATES / "public.css").read_text(encoding="utf-8").splitlines())
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; "
        f"style-src 'sha256-{CSS_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["css"] = Markup(CSS)  # noqa: S704  (our own stylesheet, hashed exactly as it appears)

CHOICES = (
    (Satisfaction.satisfied.value, "满意"),
    (Satisfaction.basic.value, "基本满意"),
    (Satisfaction.unsatisfied.value, "不满意"),
)
# codes that match nothing, per address: a person mistypes a few; a guesser is stopped long before
# 8 × 10^14 codes matter
LOOKUPS = Limit(count=30, seconds=600)
MAX_FORM_BODY = 16 * 1024

public_router = APIRouter(include_in_schema=False)


class SlipPage(AppError):
    """An error answered with a Chinese page (title, lines, a link)."""

    def __init__(self, status: int, page_title: str, lines: list[str], *, code: str, link: str = "/t/") -> None:
        super().__init__(page_title, code=code)
        self.status = status
        self.page_title = page_title
        self.lines = lines
        self.link = link


def _big(request: Request) -> bool:
    return request.query_params.get("big") == "1"


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("big", False)
    return HTMLResponse(_env.get_template(template).render(**context), status_code=status, headers=dict(HEADERS))


def message(
    status: int, title: str, lines: list[str], *, link: str = "/t/", link_text: str = "输入测评码"
) -> HTMLResponse:
    return page("message.html", status, title=title, lines=lines, link=link, link_text=link_text)


_GENERIC = {
    404: ("未找到该页面", ["请检查二维码是否完整，或在测评码页面输入测评票上的测评码。"]),
    405: ("请从测评票打开这一页", ["这个地址只用于提交测评。"]),
    413: ("内容太长", ["提交的内容太长了，请返回重新填写。"]),
    422: ("提交的内容有误", ["请返回上一页，重新填写后再提交。"]),
}


def error_page(request: Request, status: int, detail: str, error: AppError | None = None) -> Response:
    if isinstance(error, SlipPage):
        return message(error.status, error.page_title, error.lines, link=error.link)
    title, lines = _GENERIC.get(status, ("出了点问题", [detail, "请稍后再试。"]))
    if status == 422 and request.method in ("GET", "HEAD"):
        status, title, lines = 400, "网址有误", ["请检查网址是否完整，或重新扫描二维码。"]
    return message(status if 400 <= status < 600 else 400, title, lines)


register_html_errors("/t/", error_page)

_REFUSED: dict[SlipState, tuple[int, str, list[str]]] = {
    SlipState.unknown: (404, "测评码不正确", ["没有找到这张测评票。请核对测评票上的测评码（10 位），再输入一次。"]),
    SlipState.other_branch: (
        404,
        "测评票与党支部不符",
        ["这张测评票不是这个党支部的。请扫描测评票上的二维码，或输入测评码。"],
    ),
    SlipState.used: (409, "这张测评票已使用", ["每张测评票只能提交一次，这张已经提交过了。感谢您的参与！"]),
    SlipState.expired: (410, "这张测评票已过期", ["测评票只在当月有效，这张已过期。下次测评时会发新的测评票。"]),
    SlipState.void: (410, "这张测评票已作废", ["党支部重新打印了本月的测评票，这张旧票已作废。请使用新发的测评票。"]),
    SlipState.early: (409, "测评尚未开始", ["这是下个月的测评票，请到该月再填写。"]),
    SlipState.wrong_purpose: (
        404,
        "测评票与评议不符",
        ["这张票不是这项评议的。请扫描票上的二维码，或在测评码页面输入票上的测评码。"],
    ),
}
# a 述职评议 slip's own words where they differ from a month's
_REFUSED_DEBRIEF: dict[SlipState, tuple[int, str, list[str]]] = {
    SlipState.used: (409, "这张评议票已使用", ["每张评议票只能提交一次，这张已经提交过了。感谢您的参与！"]),
    SlipState.expired: (410, "述职评议已结束", ["本次述职评议已结束打分，这张评议票已失效。"]),
    SlipState.void: (410, "这张评议票已作废", ["党委重新打印了本支部的评议票，这张旧票已作废。请使用新发的评议票。"]),
    SlipState.early: (409, "评议尚未开始", ["述职会开始评议打分后才能填写，请在会上听取述职后再填写。"]),
}


def _refuse(found: Found, purpose: SlipPurpose = SlipPurpose.month) -> SlipPage:
    texts = _REFUSED_DEBRIEF if purpose == SlipPurpose.debrief else {}
    status, title, lines = texts.get(found.state) or _REFUSED[found.state]
    return SlipPage(status, title, lines, code=f"slip_{found.state.value}")


def _throttle(request: Request) -> None:
    wait = limiter.check("appraisal-slip", client_ip(request), LOOKUPS)
    if wait is not None:
        raise SlipPage(429, "尝试次数太多了", [f"请 {max(1, wait // 60)} 分钟后再试。"], code="too_many_requests")


def _open_slip(
    session: Session, request: Request, branch_id: int, code: str, purpose: SlipPurpose = SlipPurpose.month
) -> tuple[Found, OrgUnit]:
    found = slips.find(session, code, branch_id=branch_id, purpose=purpose)
    if found.state in (SlipState.unknown, SlipState.other_branch):
        _throttle(request)  # only codes that match nothing count: a guesser, never a room of representatives
    if found.state != SlipState.open or found.slip is None:
        raise _refuse(found, purpose)
    branch = session.get(OrgUnit, found.slip.branch_id)
    if branch is None:  # pragma: no cover - a slip's branch is a foreign key
        raise _refuse(Found(SlipState.unknown))
    return found, branch


def _form(
    request: Request,
    session: Session,
    found: Found,
    branch: OrgUnit,
    code: str,
    *,
    error: str = "",
    chosen: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    slip = found.slip
    assert slip is not None
    assert slip.year is not None
    assert slip.month is not None
    end = slips.month_end(slip.year, slip.month)
    return page(
        "form.html",
        status,
        title=f"{slip.year}年{slip.month}月党员群众代表测评",
        branch_name=branch.name,
        year=slip.year,
        month=slip.month,
        items=slips.rules_for(session, branch).slip_items,
        choices=CHOICES,
        chosen=chosen or {},
        error=error,
        here=f"/t/{branch.id}/{code}",
        until=f"{end.month}月{end.day}日",
        big=_big(request),
    )


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (the items are the policy's, so not declared one by one)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


@public_router.get("/t", response_class=HTMLResponse)
@public_router.get("/t/", response_class=HTMLResponse)
def entry(request: Request) -> HTMLResponse:
    """The short-code entry page."""
    return page("entry.html", title="党员群众代表测评", error="", code="", big=_big(request))


@public_router.get("/t/go")
def go(request: Request, session: SessionDep, code: str = "") -> Response:
    """A typed code → its slip's form (or the entry page again with what is wrong)."""
    big = _big(request)
    normal = slips.normalise(code)
    found = slips.find(session, normal or "") if normal else Found(SlipState.unknown)
    if found.slip is None:
        _throttle(request)
        error = (
            "测评码应为 10 位字母和数字，请核对后再输入。" if normal is None else "没有找到这张测评票，请核对测评码。"
        )
        return page("entry.html", 404, title="党员群众代表测评", error=error, code=code[:20], big=big)
    suffix = "?big=1" if big else ""
    prefix = "/t/debrief" if found.slip.purpose == SlipPurpose.debrief else "/t"
    return RedirectResponse(f"{prefix}/{found.slip.branch_id}/{normal}{suffix}", status_code=303, headers=dict(HEADERS))


@public_router.get("/t/{branch_id}/{code}", response_class=HTMLResponse)
def slip_form(request: Request, session: SessionDep, branch_id: int, code: str) -> HTMLResponse:
    """The month's form of an unused slip."""
    found, branch = _open_slip(session, request, branch_id, code)
    return _form(request, session, found, branch, code)


@public_router.post("/t/{branch_id}/{code}", response_class=HTMLResponse, openapi_extra=body_limit(MAX_FORM_BODY))
def slip_answer(request: Request, session: SessionDep, branch_id: int, code: str, fields: FormFields) -> Response:
    """One answer per slip: every item answered, then stored once (a second post: 已使用)."""
    found, branch = _open_slip(session, request, branch_id, code)
    items = slips.rules_for(session, branch).slip_items
    big = "?big=1" if _big(request) else ""
    if fields.get("website"):  # the honeypot: a bot is thanked, nothing is stored or used
        return RedirectResponse(f"/t/done{big}", status_code=303, headers=dict(HEADERS))
    valid = {v for v, _ in CHOICES}
    chosen = {i.key: fields[i.key] for i in items if fields.get(i.key) in valid}
    missing = [i.label for i in items if i.key not in chosen]
    if missing:
        error = "还有项目没有选择：" + "、".join(missing) + "。请选择后再提交。"
        return _form(request, session, found, branch, code, error=error, chosen=chosen, status=422)
    assert found.slip is not None
    if not slips.take(session, found.slip, chosen):
        raise _refuse(Found(SlipState.used))
    return RedirectResponse(f"/t/done{big}", status_code=303, headers=dict(HEADERS))


def _debrief_form(
    request: Request,
    session: Session,
    found: Found,
    branch: OrgUnit,
    code: str,
    *,
    error: str = "",
    given: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    assert found.slip is not None
    rnd, report = debrief_slips.report_of(session, found.slip)
    return page(
        "debrief_form.html",
        status,
        title=f"{rnd.title} 代表评议",
        branch_name=branch.name,
        round_title=rnd.title,
        summary=debrief_slips.summary(report.text),
        items=debrief.rubric_of(rnd),
        given=given or {},
        error=error,
        here=f"/t/debrief/{branch.id}/{code}",
        big=_big(request),
    )


@public_router.get("/t/debrief/{branch_id}/{code}", response_class=HTMLResponse)
def debrief_slip_form(request: Request, session: SessionDep, branch_id: int, code: str) -> HTMLResponse:
    """A 述职评议 slip's form: the report's summary and the round's items to score."""
    found, branch = _open_slip(session, request, branch_id, code, SlipPurpose.debrief)
    return _debrief_form(request, session, found, branch, code)


@public_router.post(
    "/t/debrief/{branch_id}/{code}", response_class=HTMLResponse, openapi_extra=body_limit(MAX_FORM_BODY)
)
def debrief_slip_answer(
    request: Request, session: SessionDep, branch_id: int, code: str, fields: FormFields
) -> Response:
    """One score per slip: every item from 0 to its maximum, then stored once (a second post: 已使用)."""
    found, branch = _open_slip(session, request, branch_id, code, SlipPurpose.debrief)
    assert found.slip is not None
    big = "&big=1" if _big(request) else ""
    if fields.get("website"):  # the honeypot
        return RedirectResponse(f"/t/done?of=debrief{big}", status_code=303, headers=dict(HEADERS))
    rnd, report = debrief_slips.report_of(session, found.slip)
    values, errors = debrief_slips.check(debrief.rubric_of(rnd), fields)
    if errors:
        given = {k: v[:8] for k, v in fields.items() if k != "website"}
        error = "；".join(errors) + "。请改正后再提交。"
        return _debrief_form(request, session, found, branch, code, error=error, given=given, status=422)
    if not debrief_slips.take(session, found.slip, report, values):
        raise _refuse(Found(SlipState.used), SlipPurpose.debrief)
    return RedirectResponse(f"/t/done?of=debrief{big}", status_code=303, headers=dict(HEADERS))


@public_router.get("/t/done", response_class=HTMLResponse)
def done(request: Request) -> HTMLResponse:
    """The thank-you page."""
    if request.query_params.get("of") == "debrief":
        lines = ["感谢您参加述职评议！", "评议不记名，您的打分与您本人没有关联。"]
    else:
        lines = ["感谢您对党支部工作的评价！", "测评不记名，您填写的内容与您本人没有关联。"]
    return page(
        "message.html",
        title="评议已提交" if request.query_params.get("of") == "debrief" else "测评已提交",
        lines=lines,
        link="",
        link_text="",
        big=_big(request),
    )
