"""The villagers' two forms — a pledge's rating form and the suggestion card to the board's unit — taken
by one handler: abuse checks (rate limits, form token, honeypot), storing through
`public.submit_feedback`, the form shown again as typed when something must change, else the
thank-you redirect. What a form means is in `public.submit_feedback` and the evaluations service.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.boards import public, service
from app.boards.pages import PageError, big_text, public_headers
from app.evaluations import dependencies as guard
from app.evaluations.service import FeedbackProblem

# villagers' forms: 200 characters are ~2 KB url-encoded; anything a person could paste still comes back
# as the form with the text kept (422), while an anonymous flood is refused before it is read (413 page)
MAX_FORM_BODY = 64 * 1024


@dataclass(frozen=True)
class Feedback:
    """One submitted form: a rating (`pledge_id` set, `choice` "" when none picked) or a suggestion card
    (`pledge_id` and `choice` None)."""

    text: str
    csrf: str
    honeypot: str
    pledge_id: int | None = None
    choice: str | None = None

    @property
    def kind(self) -> str:
        """The rate-limit family: "rate" or "suggest"."""
        return "rate" if self.pledge_id is not None else "suggest"

    def form_name(self, resolved: service.Resolved) -> str:
        """What the form token was signed for."""
        return f"rate:{self.pledge_id}" if self.pledge_id is not None else f"suggest:{resolved.board_id}"


def form_response(request: Request, html: str, device: guard.Device, status: int = 200) -> HTMLResponse:
    """A page carrying a form: never cached (it has the device's form token), the device cookie kept."""
    response = HTMLResponse(html, status_code=status, headers=public_headers(**{"Cache-Control": "private, no-store"}))
    guard.remember_device(response, device, request)
    return response


def pledge_not_found(token: str) -> PageError:
    lines = ["这项承诺不在本公示牌上，或尚未公示。"]
    return PageError(404, "未找到该承诺", lines, code="pledge_not_found", link=f"/b/{token}", link_text="返回公示牌")


def thanks_redirect(request: Request, token: str, *, back: str) -> RedirectResponse:
    suffix = "&big=1" if big_text(request) else ""
    return RedirectResponse(f"/b/{token}/thanks?back={back}{suffix}", status_code=303, headers=public_headers())


TOO_FAST = "提交得太快了，没有保存。请确认上面的选择，再点一次提交。"


def _check(
    request: Request, token: str, device: guard.Device, form: Feedback, form_name: str
) -> Response | guard.FormCheck | None:
    """None when the submission may be stored; a bot (the honeypot) gets the thank-you redirect
    (nothing stored); `FormCheck.too_fast` when it came back sooner than a person fills it in (the
    form is shown again, honestly); too many submissions or an expired page raise their Chinese page."""
    wait = guard.throttled(form.kind, device, guard.address_digest(request))
    if wait is not None:
        lines = [f"请 {max(1, wait // 60)} 分钟后再试。", "每台手机每个季度对每项承诺评价一次即可。"]
        raise PageError(
            429,
            "提交太频繁了",
            lines,
            code="too_many_requests",
            link=f"/b/{token}",
            link_text="返回公示牌",
            headers={"Retry-After": str(wait)},
        )
    check = guard.check_form_token(form.csrf, device, form_name)
    if check == guard.FormCheck.invalid:
        lines = ["请返回公示牌，重新打开这一页后再提交。"]
        raise PageError(403, "页面已过期", lines, code="form_expired", link=f"/b/{token}", link_text="返回公示牌")
    if form.honeypot:
        return thanks_redirect(request, token, back=f"p{form.pledge_id}" if form.pledge_id is not None else "")
    if check == guard.FormCheck.too_fast:
        return check
    return None


def _form_again(request: Request, session: Session, resolved: service.Resolved, form: Feedback, error: str) -> str:
    """The form's page again, as it was sent, with what to change."""
    state = public.FormState(error=error, csrf=form.csrf, text=form.text, choice=form.choice or "")
    big = big_text(request)
    if form.pledge_id is None:
        return public.suggest_page(
            public.model_for(session, resolved), resolved.token, csrf=form.csrf, big=big, form=state
        )
    page = public.pledge_page(session, resolved, form.pledge_id, big=big, form=state)
    assert page is not None  # on the board: checked before anything else
    return page.body.decode("utf-8")


def take(request: Request, session: Session, resolved: service.Resolved, form: Feedback) -> Response:
    """Take a villager's form: store it and redirect to the thank-you page, or show it again (422)."""
    token = resolved.token
    if form.pledge_id is not None and not public.on_board(session, resolved, form.pledge_id):
        raise pledge_not_found(token)
    device = guard.device_of(request)
    stop = _check(request, token, device, form, form.form_name(resolved))
    if stop == guard.FormCheck.too_fast:
        return form_response(request, _form_again(request, session, resolved, form, TOO_FAST), device, 422)
    if isinstance(stop, Response):
        return stop
    try:
        public.submit_feedback(
            session,
            resolved,
            pledge_id=form.pledge_id,
            choice=form.choice,
            text=form.text,
            device_hash=device.digest,
            ip_hash=guard.address_digest(request),
        )
    except FeedbackProblem as problem:
        return form_response(request, _form_again(request, session, resolved, form, problem.message), device, 422)
    return thanks_redirect(request, token, back=f"p{form.pledge_id}" if form.pledge_id is not None else "")
