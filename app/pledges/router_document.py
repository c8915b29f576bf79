"""承诺书 endpoints: a member's document of a year (read, vet all at once, record the signature with an
optional private photo, print as A4 PDF), the branch's list and PDF of all its documents, and the
branch's post coverage (which catalogue posts have no pledge this year)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse

from app.core import images, storage
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.idempotency import IdempotencyDep
from app.core.middleware import body_limit
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.pledges import document, document_pdf
from app.pledges.dependencies import PledgeActorDep
from app.pledges.schemas_document import (
    DocumentRow,
    DocumentVet,
    DocumentVetResult,
    PledgeDocumentRead,
    PostCoverageRow,
)

router = APIRouter(tags=["pledge documents"])

YearPath = Annotated[int, Path(ge=2000, le=2100, description="年度")]
YearQuery = Annotated[int, Query(ge=2000, le=2100, description="年度")]
_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}
PHOTO_HELP = "签字后的承诺书照片（可选；去除位置等信息，仅支部内可见）"
MAX_SIGNED_BODY = images.MAX_BYTES + 1024 * 1024


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get("/members/{member_id}/pledge-documents/{year}.pdf", response_class=Response, responses=_PDF)
def document_pdf_one(session: SessionDep, actor: PledgeActorDep, member_id: Id, year: YearPath) -> Response:
    """打印一名党员的承诺书（A4 PDF）。"""
    doc = document.read(session, actor=actor, member_id=member_id, year=year)
    return _pdf(document_pdf.pdf([doc], title=f"{year} 年度公开承诺书"), f"pledge-document-{member_id}-{year}.pdf")


@router.get("/members/{member_id}/pledge-documents/{year}", response_model=PledgeDocumentRead)
def read_document(session: SessionDep, actor: PledgeActorDep, member_id: Id, year: YearPath) -> PledgeDocumentRead:
    """一名党员某年度的承诺书：党员、支部、党小组、岗位，各项承诺及支部审核，签订情况。"""
    return document.read(session, actor=actor, member_id=member_id, year=year)


@router.post("/members/{member_id}/pledge-documents/{year}/vet", response_model=DocumentVetResult)
def vet_document(
    idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, member_id: Id, year: YearPath, body: DocumentVet
) -> Response:
    """整份审核承诺书：列出的待审核承诺一并通过（定诺）或一并退回（须写原因），每项承诺各自记录。"""
    decided = document.vet(session, actor=actor, member_id=member_id, year=year, data=body)
    doc = document.read(session, actor=actor, member_id=member_id, year=year)
    return idem.respond(session, DocumentVetResult(decided=decided, document=doc))


@router.post(
    "/members/{member_id}/pledge-documents/{year}/signed",
    response_model=PledgeDocumentRead,
    openapi_extra=body_limit(MAX_SIGNED_BODY),
)
def record_signed(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: PledgeActorDep,
    member_id: Id,
    year: YearPath,
    signed_on: Annotated[str | None, Form(max_length=10, description="签订日期 YYYY-MM-DD，默认今天")] = None,
    photo: Annotated[UploadFile | None, File(description=PHOTO_HELP)] = None,
) -> Response:
    """登记承诺书已签订：签订日期、登记人，可附签字后的照片。"""
    upload = photo.file if photo is not None and (photo.filename or photo.size) else None
    doc = document.record_signed(
        session, actor=actor, member_id=member_id, year=year, signed_on=signed_on or None, photo=upload
    )
    return idem.respond(session, doc)


@router.get(
    "/members/{member_id}/pledge-documents/{year}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def read_signed_photo(session: SessionDep, actor: PledgeActorDep, member_id: Id, year: YearPath) -> Response:
    """签字后的承诺书照片（本人和支部可见，不公开）。"""
    key = document.photo_key(session, actor=actor, member_id=member_id, year=year)
    path = storage.get_storage().path(key)
    if path is None:
        raise NotFound("未找到该图片", code="media_not_found")
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type=storage.content_type_of(key), headers=headers)


@router.get("/units/{unit_id}/pledge-documents.pdf", response_class=Response, responses=_PDF)
def documents_pdf(session: SessionDep, actor: PledgeActorDep, unit_id: Id, year: YearQuery) -> Response:
    """打印全支部的承诺书（每人一份，A4 PDF）。"""
    docs = document.documents_of_branch(session, actor=actor, unit_id=unit_id, year=year)
    if not docs:
        raise NotFound(f"{year} 年本支部还没有承诺书", code="documents_empty")
    return _pdf(document_pdf.pdf(docs, title=f"{year} 年度公开承诺书"), f"pledge-documents-{unit_id}-{year}.pdf")


@router.get("/units/{unit_id}/pledge-documents", response_model=Page[DocumentRow])
def list_documents(
    session: SessionDep,
    actor: PledgeActorDep,
    paging: PageDep,
    unit_id: Id,
    year: YearQuery,
    pending: Annotated[bool, Query(description="只看有待审核承诺的")] = False,
    unsigned: Annotated[bool, Query(description="只看有承诺但还没登记签订的")] = False,
) -> Page[DocumentRow]:
    """支部的承诺书一览：每名在册党员的承诺数、待审核数和签订日期。"""
    return document.list_documents(
        session, actor=actor, unit_id=unit_id, year=year, params=paging, pending=pending, unsigned=unsigned
    )


@router.get("/units/{unit_id}/post-coverage", response_model=Page[PostCoverageRow])
def post_coverage(
    session: SessionDep,
    actor: PledgeActorDep,
    paging: PageDep,
    unit_id: Id,
    year: YearQuery,
    without_pledge: Annotated[bool, Query(description="只看今年还没有承诺的岗位")] = False,
) -> Page[PostCoverageRow]:
    """岗位承诺情况：支部在用的每个岗位今年有几项承诺、几人在岗；没有承诺的在前。"""
    return document.post_coverage(
        session, actor=actor, unit_id=unit_id, year=year, params=paging, without_pledge=without_pledge
    )
