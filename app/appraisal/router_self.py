"""季度自评: the branch's secretary fills the quarter's self-evaluation (points and a short text per
五好 item, evidence photos) and submits it; the committee lists its branches' self-evaluations beside
its own assessment, and may return one with a reason. A self-evaluation answers with its version as
ETag; saving, photos and actions need it as If-Match ("0" before the first save)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import FileResponse, StreamingResponse

from app.appraisal import self_evaluation, self_evaluation_list
from app.appraisal.dependencies import ManagedBranch, branch_for
from app.appraisal.schemas import SelfEvaluationRead, SelfEvaluationReturn, SelfEvaluationSummary, SelfEvaluationWrite
from app.core import images, storage
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.middleware import body_limit
from app.core.pagination import Page, PageDep
from app.members.dependencies import ActorDep
from app.ratings.dependencies import IfMatchDep, OptionalIfMatchDep

router = APIRouter(prefix="/appraisal", tags=["appraisal"])
Year = Annotated[int, Query(ge=2000, le=2100)]
PATH = "/branches/{branch_id}/self-evaluations/{year}/{quarter}"
MAX_PHOTO_BODY = images.MAX_BYTES + 64 * 1024


def _etag(response: Response, read: SelfEvaluationRead) -> SelfEvaluationRead:
    response.headers["ETag"] = f'"{read.version}"'
    return read


@router.get(PATH, response_model=SelfEvaluationRead)
def get_self_evaluation(
    response: Response, session: SessionDep, actor: ActorDep, branch: ManagedBranch, year: int, quarter: int
) -> SelfEvaluationRead:
    """本季度的自评（五好各项得分、说明和照片），以及党委对本支部的组织考评。"""
    read = self_evaluation.get(session, actor=actor, branch=branch, year=year, quarter=quarter)
    return _etag(response, read)


@router.put(PATH, response_model=SelfEvaluationRead)
def save_self_evaluation(
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    branch: ManagedBranch,
    year: int,
    quarter: int,
    body: SelfEvaluationWrite,
    version: OptionalIfMatchDep,
) -> SelfEvaluationRead:
    """保存自评（只改提交的项目）；提交以后不能再改。"""
    read = self_evaluation.save(
        session, actor=actor, branch=branch, year=year, quarter=quarter, data=body, expected_version=version
    )
    return _etag(response, read)


@router.post(PATH + "/submit", response_model=SelfEvaluationRead)
def submit_self_evaluation(
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    branch: ManagedBranch,
    year: int,
    quarter: int,
    version: IfMatchDep,
) -> SelfEvaluationRead:
    """提交自评（每项都须打分）。"""
    read = self_evaluation.act(
        session,
        actor=actor,
        branch=branch,
        year=year,
        quarter=quarter,
        action=self_evaluation.SelfAction.submit,
        expected_version=version,
    )
    return _etag(response, read)


@router.post(PATH + "/return", response_model=SelfEvaluationRead)
def return_self_evaluation(
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    branch: ManagedBranch,
    year: int,
    quarter: int,
    body: SelfEvaluationReturn,
    version: IfMatchDep,
) -> SelfEvaluationRead:
    """退回修改（党委，须写明原因）。"""
    read = self_evaluation.act(
        session,
        actor=actor,
        branch=branch,
        year=year,
        quarter=quarter,
        action=self_evaluation.SelfAction.return_,
        expected_version=version,
        reason=body.reason,
    )
    return _etag(response, read)


@router.post(PATH + "/photos", response_model=SelfEvaluationRead, openapi_extra=body_limit(MAX_PHOTO_BODY))
def add_self_evaluation_photo(
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    branch: ManagedBranch,
    year: int,
    quarter: int,
    item_key: Annotated[str, Form(max_length=30, description="五好项目")],
    photo: Annotated[UploadFile, File(description="佐证照片（JPEG、PNG 或 WebP，10 MB 以内；位置等信息会被去除）")],
    version: OptionalIfMatchDep,
) -> SelfEvaluationRead:
    """为一个项目上传佐证照片。"""
    data = photo.file.read(images.MAX_BYTES + 1)
    read = self_evaluation.add_photo(
        session,
        actor=actor,
        branch=branch,
        year=year,
        quarter=quarter,
        item_key=item_key,
        data=data,
        expected_version=version,
    )
    return _etag(response, read)


@router.get("/self-evaluations", response_model=Page[SelfEvaluationSummary])
def list_self_evaluations(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    year: Year,
    quarter: Annotated[int, Query(ge=1, le=4)],
    unit_id: Annotated[int | None, Query(ge=1, description="只看该组织下的党支部")] = None,
) -> Page[SelfEvaluationSummary]:
    """各党支部本季度的自评与党委的组织考评并列（党委）。"""
    return self_evaluation_list.overview(
        session, actor=actor, params=paging, year=year, quarter=quarter, unit_id=unit_id
    )


@router.get("/media/{key}", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def read_media(session: SessionDep, actor: ActorDep, key: str) -> Response:
    """自评照片（须登录，且管理该党支部）。"""
    branch_id = self_evaluation.photo_branch(session, key) if storage.is_key(key) else None
    if branch_id is None:
        raise NotFound("未找到该图片", code="media_not_found")
    branch_for(session, actor, branch_id)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    store = storage.get_storage()
    path = store.path(key)
    if path is not None:
        return FileResponse(path, media_type=storage.content_type_of(key), headers=headers)
    return StreamingResponse(store.open(key), media_type=storage.content_type_of(key), headers=headers)
