"""Pledge endpoints: drafting, the lifecycle actions, progress with photos, notes, lists, the review
queue, the timeline, and stored photos (/media/{key}).

Every pledge response carries its version as the ETag; PATCH and every lifecycle action require it
back as If-Match (428 when missing, 412 when stale). Every POST honours an Idempotency-Key.
Progress reports and notes are appends that cannot conflict, so they need no If-Match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse

from app.auth.dependencies import SignedInAny
from app.core import images, storage
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.idempotency import Idempotency, IdempotencyDep
from app.core.middleware import body_limit
from app.core.pagination import Page, PageDep
from app.org.dependencies import VisibleUnit
from app.pledges import (
    access,
    closing,
    drafting,
    lifecycle,
    progress,
    queries,
    reads,
    router_coverage,
    router_flags,
    router_group,
    vocabulary,
)
from app.pledges.access import Located
from app.pledges.dependencies import IfMatchDep, PledgeActorDep, VisiblePledge, WritablePledge
from app.pledges.models import PledgeCategory, PledgeStatus
from app.pledges.schemas import (
    BatchPublish,
    BatchPublishResult,
    CloseBatch,
    CloseBatchResult,
    CloseBrief,
    MyNoteRead,
    NoteCreate,
    NoteRead,
    PledgeAction,
    PledgeCounts,
    PledgeCreate,
    PledgeRead,
    PledgeUpdate,
    PledgeVocabulary,
    ProgressRead,
    ReviewCounts,
    TimelineEntry,
)
from app.pledges.states import Action, Who

router = APIRouter(tags=["pledges"])

# 9 photos of 10 MB and the form fields around them
MAX_PROGRESS_BODY = progress.MAX_PHOTOS * images.MAX_BYTES + 1024 * 1024
PHOTOS_HELP = "照片（JPEG、PNG、WebP，每张 ≤ 10 MB，最多 9 张）"
MEDIA_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _pledge_response(
    idem: Idempotency | None,
    session: SessionDep,
    actor: Any,
    located: Located,
    *,
    status_code: int = 200,
) -> Response:
    read = reads.read_one(session, actor, located)
    headers = {"ETag": reads.etag(located.pledge)}
    if status_code == 201:
        headers["Location"] = f"/api/v1/pledges/{read.id}"
    if idem is None:
        return JSONResponse(read.model_dump(mode="json"), status_code=status_code, headers=headers)
    return idem.respond(session, read, status_code=status_code, headers=headers)


# ---------------------------------------------------------------- drafting and reading


@router.post("/pledges", response_model=PledgeRead, status_code=201)
def create_pledge(idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, body: PledgeCreate) -> Response:
    """起草承诺（报诺前的草稿）：本人的承诺、书记代党员登记的承诺，或党小组／支部的集体承诺。"""
    located = drafting.create_pledge(session, actor=actor, data=body)
    return _pledge_response(idem, session, actor, located, status_code=201)


@router.get("/pledges", response_model=Page[PledgeRead])
def list_pledges(
    session: SessionDep,
    actor: PledgeActorDep,
    paging: PageDep,
    mine: Annotated[bool, Query(description="只看我的承诺（含我起草的集体承诺）")] = False,
    unit_id: Annotated[int | None, Query(description="该组织及其下级的承诺")] = None,
    owner_unit_id: Annotated[int | None, Query(description="只看该组织自己的集体承诺（不含下级的）")] = None,
    member_id: int | None = None,
    status: Annotated[list[PledgeStatus] | None, Query(description="状态，可多选")] = None,
    category: PledgeCategory | None = None,
    overdue: Annotated[bool | None, Query(description="true 只看逾期未销诺的；false 排除它们")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    q: Annotated[str | None, Query(max_length=40, description="按标题或内容搜索")] = None,
    order: Annotated[
        queries.PledgeOrder, Query(description="recent 最近变动的在前；overdue 逾期的在前（逾期最久的最先）")
    ] = "recent",
) -> Page[PledgeRead]:
    """承诺列表（分页，最近变动的在前，或逾期的在前）。"""
    return queries.list_pledges(
        session,
        actor=actor,
        params=paging,
        order=order,
        mine=mine,
        unit_id=unit_id,
        owner_unit_id=owner_unit_id,
        member_id=member_id,
        statuses=status or (),
        category=category,
        overdue=overdue,
        year=year,
        q=q,
    )


@router.get("/pledges/counts", response_model=PledgeCounts)
def count_pledges(
    session: SessionDep,
    actor: PledgeActorDep,
    mine: bool = False,
    unit_id: int | None = None,
    category: PledgeCategory | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> PledgeCounts:
    """承诺统计：各状态的数量和逾期数量。"""
    return queries.counts(session, actor=actor, mine=mine, unit_id=unit_id, category=category, year=year)


@router.get("/pledges/vocabulary", response_model=PledgeVocabulary)
def read_vocabulary(request: Request, signed: SignedInAny) -> Response:
    """承诺用语：状态、操作、类别和销诺结果的名称，哪些操作须写原因或选结果，以及流转表。"""
    headers = {"ETag": vocabulary.vocabulary_etag(), "Cache-Control": "private, max-age=3600"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return JSONResponse(vocabulary.vocabulary().model_dump(mode="json"), headers=headers)


@router.get("/pledges/{pledge_id}", response_model=PledgeRead)
def read_pledge(session: SessionDep, actor: PledgeActorDep, located: VisiblePledge) -> Response:
    """一项承诺（响应头 ETag 为版本号，修改和办理时放入 If-Match）。"""
    return _pledge_response(None, session, actor, located)


@router.patch("/pledges/{pledge_id}", response_model=PledgeRead)
def update_pledge(
    session: SessionDep, actor: PledgeActorDep, located: WritablePledge, expected: IfMatchDep, body: PledgeUpdate
) -> Response:
    """修改草稿（被退回的承诺也是草稿）。已公示的承诺请用“申请修改”。"""
    drafting.update_draft(session, actor=actor, located=located, data=body, expected_version=expected)
    return _pledge_response(None, session, actor, located)


@router.get("/pledges/{pledge_id}/timeline", response_model=Page[TimelineEntry])
def read_timeline(
    session: SessionDep, actor: PledgeActorDep, located: VisiblePledge, paging: PageDep
) -> Page[TimelineEntry]:
    """承诺的全过程记录：每一步办理、践诺进展和监督意见，最新的在前。"""
    return queries.timeline(session, actor=actor, located=located, params=paging)


# ---------------------------------------------------------------- the lifecycle actions

_ACTION_DOCS: dict[Action, tuple[str, str]] = {
    Action.submit: ("submit", "报诺：把草稿提交给支部审核。"),
    Action.approve: ("approve", "定诺：支部书记审核通过（或通过已公示承诺的修改）。"),
    Action.return_: ("return", "退回：支部书记退回承诺或修改申请，须写明原因。"),
    Action.publish: ("publish", "亮诺：公示一项已通过的承诺。"),
    Action.withdraw: ("withdraw", "撤回：审核通过前，承诺人撤回承诺。"),
    Action.cancel: ("cancel", "取消：支部书记取消已通过或已公示的承诺，须写明原因。"),
    Action.request_close: ("request-close", "申请销诺：承诺人报告承诺已完成。"),
    Action.close: ("close", "销诺：支部书记核实后销诺，选择结果并写明核实意见。"),
    Action.reopen: ("reopen", "继续践诺：销诺申请未通过，退回继续践诺，须写明原因。"),
    Action.review: ("review", "回头看：支部对任期承诺的中期检查意见（须填写，公示牌上公开），承诺继续践诺。"),
}


def _action_endpoint(action: Action) -> Callable[..., Response]:
    def endpoint(
        idem: IdempotencyDep,
        session: SessionDep,
        actor: PledgeActorDep,
        located: WritablePledge,
        expected: IfMatchDep,
        body: PledgeAction | None = None,
    ) -> Response:
        body = body or PledgeAction()
        lifecycle.act(
            session,
            actor=actor,
            located=located,
            action=action,
            expected_version=expected,
            reason=body.reason,
            outcome=body.outcome,
        )
        return _pledge_response(idem, session, actor, located)

    endpoint.__name__ = f"pledge_{action.name.rstrip('_')}"
    endpoint.__doc__ = _ACTION_DOCS[action][1]
    return endpoint


for _action, (_slug, _doc) in _ACTION_DOCS.items():
    router.add_api_route(
        f"/pledges/{{pledge_id}}/{_slug}",
        _action_endpoint(_action),
        methods=["POST"],
        response_model=PledgeRead,
        summary=_doc.split("：", 1)[0],
        description=_doc,
    )


@router.post("/pledges/{pledge_id}/revise", response_model=PledgeRead)
def revise_pledge(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: PledgeActorDep,
    located: WritablePledge,
    expected: IfMatchDep,
    body: PledgeUpdate,
) -> Response:
    """申请修改已公示的承诺：修改内容须经支部书记审核，通过前公示牌仍显示原内容。"""
    drafting.revise(session, actor=actor, located=located, data=body, expected_version=expected)
    return _pledge_response(idem, session, actor, located)


@router.post("/units/{unit_id}/pledges/publish", response_model=BatchPublishResult)
def publish_batch(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: PledgeActorDep,
    unit: VisibleUnit,
    body: BatchPublish | None = None,
) -> Response:
    """批量公示：公示该组织（及下级）全部待公示的承诺，或其中指定的几项。"""
    result = lifecycle.publish_batch(session, actor=actor, unit=unit, pledge_ids=body.pledge_ids if body else None)
    return idem.respond(session, result)


# ---------------------------------------------------------------- progress and notes


@router.post(
    "/pledges/{pledge_id}/progress",
    response_model=ProgressRead,
    status_code=201,
    openapi_extra=body_limit(MAX_PROGRESS_BODY),
)
def add_progress(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: PledgeActorDep,
    located: VisiblePledge,
    text: Annotated[str, Form(max_length=500, description="进展情况")],
    percent: Annotated[int | None, Form(ge=0, le=100, description="完成百分比")] = None,
    photos: Annotated[list[UploadFile] | None, File(description=PHOTOS_HELP)] = None,
) -> Response:
    """践诺：报告进展，可附照片（照片会去除位置等信息后保存）。"""
    files = [f.file for f in photos or [] if f.filename or f.size]  # a form's empty file input sends a blank part
    report = progress.report_progress(session, actor=actor, located=located, text=text, percent=percent, photos=files)
    return idem.respond(session, report, status_code=201)


@router.post("/pledges/{pledge_id}/notes", response_model=NoteRead, status_code=201)
def add_note(
    idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, located: VisiblePledge, body: NoteCreate
) -> Response:
    """监督意见：监督小组对践诺情况的记录（仅支部内可见）。"""
    note = progress.add_note(session, actor=actor, located=located, text=body.text)
    return idem.respond(session, note, status_code=201)


@router.get("/pledge-notes", response_model=Page[MyNoteRead])
def my_notes(session: SessionDep, actor: PledgeActorDep, paging: PageDep) -> Page[MyNoteRead]:
    """我的监督意见：我写过的监督意见，最新的在前，附承诺标题和承诺人。"""
    return queries.my_notes(session, actor=actor, params=paging)


@router.get("/review-queue/counts", response_model=ReviewCounts)
def review_counts(session: SessionDep, actor: PledgeActorDep, unit_id: int | None = None) -> ReviewCounts:
    """待我审核的数量：待定诺、待销诺、待审修改各有多少（全部，不止一页）。"""
    return queries.review_counts(session, actor=actor, unit_id=unit_id)


@router.post("/pledges/close-batch", response_model=CloseBatchResult)
def close_batch(idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, body: CloseBatch) -> Response:
    """批量销诺：每一行由书记选定结果、写明核实意见，并带上该承诺的版本号；逐行答复是否已销诺。"""
    return idem.respond(session, closing.close_batch(session, actor=actor, data=body))


@router.get("/pledges/{pledge_id}/close-brief", response_model=CloseBrief)
def close_brief(session: SessionDep, actor: PledgeActorDep, located: VisiblePledge) -> CloseBrief:
    """销诺对话框：完成进度、最近一次进展和照片（群众满意度见 /evaluations/pledges/{id}/satisfaction）。"""
    access.authorize(actor, located, Who.reviewer)
    return closing.close_brief(session, actor=actor, located=located)


@router.get("/review-queue", response_model=Page[PledgeRead])
def review_queue(
    session: SessionDep,
    actor: PledgeActorDep,
    paging: PageDep,
    kind: Annotated[
        queries.ReviewKind | None, Query(description="review 待定诺；close 待销诺；revision 待审修改")
    ] = None,
    unit_id: int | None = None,
) -> Page[PledgeRead]:
    """待我审核的承诺：待定诺、待销诺和待审修改，等得最久的在前。"""
    return queries.review_queue(session, actor=actor, params=paging, kind=kind, unit_id=unit_id)


# ---------------------------------------------------------------- stored photos


@router.get("/media/{key}", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def read_media(session: SessionDep, actor: PledgeActorDep, key: str) -> Response:
    """照片文件（须登录，且能看到该承诺）。公示牌上的照片经公示牌自己的地址提供。"""
    if not storage.is_key(key):
        raise NotFound("未找到该图片", code="media_not_found")
    access.check_media_access(session, key, actor)
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
        raise NotFound("未找到该图片", code="media_not_found") from None
    return StreamingResponse(handle, media_type=media_type, headers=headers)


router.include_router(router_flags.router)
router.include_router(router_group.router)
router.include_router(router_coverage.router)
