"""述职评议 routes: rounds (the committee), their lifecycle and history, the reports of a round, the
secretary's submission with photos, the committee's scores and publication on the branch's board.

A round answers with its version as the ETag; PATCH and the actions need it as If-Match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse

from app.appraisal import debrief, debrief_reports, debrief_slips, slip_sheet
from app.appraisal.debrief_states import Action
from app.appraisal.models_debrief import DebriefRound
from app.appraisal.schemas_debrief import (
    ReportRead,
    RoundActionBody,
    RoundCreate,
    RoundRead,
    RoundUpdate,
    ScoreBody,
    ScoreRead,
)
from app.core import images, storage
from app.core.db import SessionDep, pk
from app.core.errors import NotFound
from app.core.idempotency import Idempotency, IdempotencyDep
from app.core.lifecycle import EventRead
from app.core.middleware import body_limit
from app.core.pagination import Page, PageDep
from app.core.permissions import Actor
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.org.models import OrgUnit
from app.ratings.dependencies import IfMatchDep

router = APIRouter(tags=["appraisal"])

RoundLocated = tuple[DebriefRound, OrgUnit]
MAX_SUBMIT_BODY = debrief_reports.MAX_PHOTOS * images.MAX_BYTES + 1024 * 1024
MEDIA_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _visible_round(round_id: Id, session: SessionDep, actor: ActorDep) -> RoundLocated:
    return debrief.visible_round(session, actor, round_id)


def _writable_round(round_id: Id, session: SessionDep, actor: ActorDep) -> RoundLocated:
    return debrief.visible_round(session, actor, round_id, for_update=True)


def _visible_report(report_id: Id, session: SessionDep, actor: ActorDep) -> debrief_reports.Located:
    return debrief_reports.visible_report(session, actor, report_id)


def _writable_report(report_id: Id, session: SessionDep, actor: ActorDep) -> debrief_reports.Located:
    return debrief_reports.visible_report(session, actor, report_id, for_update=True)


VisibleRound = Annotated[RoundLocated, Depends(_visible_round)]
WritableRound = Annotated[RoundLocated, Depends(_writable_round)]
VisibleReport = Annotated[debrief_reports.Located, Depends(_visible_report)]
WritableReport = Annotated[debrief_reports.Located, Depends(_writable_report)]


def _round_response(
    idem: Idempotency | None, session: SessionDep, actor: Actor, located: RoundLocated, *, status_code: int = 200
) -> Response:
    rnd, unit = located
    read = debrief.to_read(actor, rnd, unit)
    headers = {"ETag": debrief.etag(rnd)}
    if status_code == 201:
        headers["Location"] = f"/api/v1/debrief-rounds/{read.id}"
    if idem is None:
        return JSONResponse(read.model_dump(mode="json"), status_code=status_code, headers=headers)
    return idem.respond(session, read, status_code=status_code, headers=headers)


@router.post("/debrief-rounds", response_model=RoundRead, status_code=201)
def create_round(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: RoundCreate) -> Response:
    """创建述职评议（草稿）：半年或年终，述职报告截止日，评分项（满分之和 100）。"""
    located = debrief.create_round(session, actor=actor, data=body)
    return _round_response(idem, session, actor, located, status_code=201)


@router.get("/debrief-rounds", response_model=Page[RoundRead])
def list_rounds(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    unit_id: Annotated[int | None, Query(ge=1)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Page[RoundRead]:
    """我参加或组织的述职评议，最近的在前。"""
    return debrief.list_rounds(session, actor=actor, params=paging, unit_id=unit_id, year=year)


@router.get("/debrief-rounds/{round_id}", response_model=RoundRead)
def read_round(session: SessionDep, actor: ActorDep, located: VisibleRound) -> Response:
    """一次述职评议（响应头 ETag 为版本号）。"""
    return _round_response(None, session, actor, located)


@router.patch("/debrief-rounds/{round_id}", response_model=RoundRead)
def update_round(
    session: SessionDep, actor: ActorDep, located: WritableRound, expected: IfMatchDep, body: RoundUpdate
) -> Response:
    """修改述职评议：草稿可改标题和评分项；开始打分前可改截止日和述职会的时间、地点。"""
    rnd, unit = located
    debrief.update_round(session, actor=actor, rnd=rnd, unit=unit, data=body, expected_version=expected)
    return _round_response(None, session, actor, located)


_ACTIONS: dict[Action, str] = {
    Action.open: "开始收取述职报告：冻结评分项，每个党支部一份述职报告。",
    Action.back_to_draft: "退回草稿：须写明原因。",
    Action.schedule: "安排述职会：须先填好时间和地点。",
    Action.back_to_open: "退回收取述职报告：须写明原因。",
    Action.start_scoring: "开始评议打分：述职报告不能再修改，党委成员逐份打分。",
    Action.back_to_scheduled: "退回述职会安排：须写明原因。",
    Action.close: "结束评议：得分确定，可在公示牌公开述职报告。",
    Action.reopen_scoring: "重新打开评议：须写明原因。",
}


def _action_endpoint(action: Action) -> Callable[..., Response]:
    def endpoint(
        idem: IdempotencyDep,
        session: SessionDep,
        actor: ActorDep,
        located: WritableRound,
        expected: IfMatchDep,
        body: RoundActionBody | None = None,
    ) -> Response:
        body = body or RoundActionBody()
        rnd, unit = located
        debrief.transition(session, rnd, unit, action, actor=actor, expected_version=expected, reason=body.reason)
        return _round_response(idem, session, actor, located)

    endpoint.__name__ = f"debrief_round_{action.value}"
    endpoint.__doc__ = _ACTIONS[action]
    return endpoint


for _action, _doc in _ACTIONS.items():
    router.add_api_route(
        f"/debrief-rounds/{{round_id}}/{_action.value}",
        _action_endpoint(_action),
        methods=["POST"],
        response_model=RoundRead,
        summary=_doc.split("：", 1)[0],
        description=_doc,
    )


@router.get("/debrief-rounds/{round_id}/events", response_model=Page[EventRead])
def list_events(located: VisibleRound, session: SessionDep, paging: PageDep) -> Page[EventRead]:
    """述职评议的全过程记录：每一步由谁、何时、为何办理。"""
    return debrief.list_events(session, rnd=located[0], params=paging)


@router.get("/debrief-rounds/{round_id}/reports", response_model=Page[ReportRead])
def list_reports(
    session: SessionDep,
    actor: ActorDep,
    located: VisibleRound,
    paging: PageDep,
    late: Annotated[bool | None, Query(description="true 只看逾期提交的")] = None,
) -> Page[ReportRead]:
    """本次述职评议的述职报告：党委看所辖全部党支部，书记只看本支部。"""
    rnd, unit = located
    return debrief_reports.list_reports(session, actor=actor, rnd=rnd, unit=unit, params=paging, late=late)


@router.get("/debrief-reports/mine", response_model=Page[ReportRead])
def my_reports(session: SessionDep, actor: ActorDep, paging: PageDep) -> Page[ReportRead]:
    """我的述职：我提交过的述职报告和评议结果（评议结束后可见）。"""
    return debrief_reports.my_reports(session, actor=actor, params=paging)


@router.get("/debrief-reports/{report_id}", response_model=ReportRead)
def read_report(session: SessionDep, actor: ActorDep, located: VisibleReport) -> ReportRead:
    """一份述职报告（本支部书记和党委可见）。"""
    return debrief_reports.read_report(session, actor=actor, located=located)


@router.post(
    "/debrief-reports/{report_id}/submit",
    response_model=ReportRead,
    openapi_extra=body_limit(MAX_SUBMIT_BODY),
)
def submit_report(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: ActorDep,
    report_id: Id,
    text: Annotated[str, Form(max_length=debrief_reports.MAX_TEXT, description="述职报告")],
    photos: Annotated[
        list[UploadFile] | None, File(description="附件照片（JPEG、PNG、WebP，每张 ≤ 10 MB，最多 9 张）")
    ] = None,
) -> Response:
    """提交述职报告（书记）：可再次提交修改；截止日后提交的标记为逾期。照片去除位置等信息后保存，不公开。"""
    files = [f.file for f in photos or [] if f.filename or f.size]
    read = debrief_reports.submit(session, actor=actor, report_id=report_id, text=text, photos=files)
    return idem.respond(session, read)


@router.get(
    "/debrief-reports/{report_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def read_attachment(session: SessionDep, located: VisibleReport, attachment_id: Id, thumb: bool = False) -> Response:
    """述职报告的附件照片（本支部书记和党委可见）。"""
    key = debrief_reports.attachment_file(session, located=located, attachment_id=attachment_id, thumb=thumb)
    store = storage.get_storage()
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": MEDIA_CSP,
        "Cache-Control": "private, no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    media_type = storage.content_type_of(key)
    path = store.path(key)
    if path is not None:
        return FileResponse(path, media_type=media_type, headers=headers)
    try:
        handle = store.open(key)
    except FileNotFoundError:
        raise NotFound("未找到该附件", code="media_not_found") from None
    return StreamingResponse(handle, media_type=media_type, headers=headers)


@router.put("/debrief-reports/{report_id}/scores/mine", response_model=ScoreRead)
def score_report(session: SessionDep, actor: ActorDep, located: WritableReport, body: ScoreBody) -> ScoreRead:
    """党委成员给述职报告打分：每项不超过满分；再次打分替换上一次。"""
    return debrief_reports.score(session, actor=actor, located=located, items=body.items)


@router.post(
    "/debrief-reports/{report_id}/slips",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "代表评议票（A4，可裁剪）"}},
)
def issue_slips(session: SessionDep, actor: ActorDep, located: WritableReport) -> Response:
    """打印该党支部的代表评议票（党委；每名在册代表一张，评议打分结束后作废）；重新打印则旧票作废。
    测评码只在这份 PDF 里，不另保存。"""
    printed = debrief_slips.issue(session, actor=actor, located=located)
    branch, rnd = located.branch, located.rnd
    data = slip_sheet.debrief_pdf(pk(branch), branch.name, rnd.title, printed.codes)
    name = f"{branch.name}{rnd.title}代表评议票.pdf"
    return slip_sheet.response(data, name, count=len(printed.codes), voided=printed.voided)


@router.post("/debrief-reports/{report_id}/publish", response_model=ReportRead)
def publish_report(session: SessionDep, actor: ActorDep, located: WritableReport) -> ReportRead:
    """在本支部公示牌公开述职报告（只公开正文，个人信息遮挡；附件不公开）。"""
    return debrief_reports.set_published(session, actor=actor, located=located, published=True)


@router.post("/debrief-reports/{report_id}/unpublish", response_model=ReportRead)
def unpublish_report(session: SessionDep, actor: ActorDep, located: WritableReport) -> ReportRead:
    """从公示牌撤下述职报告。"""
    return debrief_reports.set_published(session, actor=actor, located=located, published=False)
