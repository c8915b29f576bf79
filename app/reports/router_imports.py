"""Roster and org-unit import: templates, checking a file, confirming it, and the slips of its new
accounts as a PDF. A secretary imports within their branch, the committee within its subtree."""

from __future__ import annotations

from fastapi import APIRouter, File, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from app.core import db as core_db
from app.core.db import SessionDep, end_read_phase
from app.core.downloads import file_response
from app.core.idempotency import IdempotencyDep
from app.core.middleware import body_limit
from app.core.permissions import Actor
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.reports import import_templates, imports, imports_read, slips
from app.reports.schemas_imports import ImportKind, ImportReport, Slip, SlipsPdfRequest, SlipsReissueRequest

router = APIRouter(prefix="/imports", tags=["reports"])

# the largest file the import reads, and the form around it
MAX_UPLOAD_BODY = imports_read.MAX_BYTES + 1024 * 1024
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILE = File(description="Excel 工作簿（.xlsx）或 CSV（UTF-8 或 GB18030）")


def _upload(file: UploadFile) -> imports.Upload:
    data = file.file.read(imports_read.MAX_BYTES + 1)
    return imports.Upload(data=data, file_name=file.filename or "")


def _read(
    session: Session, actor: Actor, kind: ImportKind, unit_id: int | None, file: UploadFile
) -> tuple[imports.Upload, imports_read.Sheet]:
    """The permission first (404/403 before a byte is parsed), then the file parsed outside the
    request's transaction: on SQLite a POST holds the write lock from its first query, and parsing
    a large workbook takes seconds."""
    imports.import_unit(session, actor=actor, kind=kind, unit_id=unit_id)
    upload = _upload(file)
    end_read_phase(session)
    return upload, imports.read(upload)


def _download(data: bytes, filename: str, media_type: str) -> Response:
    return file_response(data, filename, media_type, fallback=f"import.{filename.rsplit('.', 1)[-1]}")


@router.get("/templates/{kind}.xlsx", response_class=Response, responses={200: {"content": {_XLSX: {}}}})
def download_template(session: SessionDep, actor: ActorDep, kind: ImportKind, unit_id: Id | None = None) -> Response:
    """导入模板（Excel）：中文表头、示例行、下拉选项（含本组织的党支部、党小组），表头冻结。"""
    unit = imports.import_unit(session, actor=actor, kind=kind, unit_id=unit_id)
    below = org_service.subtree(session, unit)
    index: dict[int, OrgUnit] = org_service.units_by_id(session, org_service.ancestor_ids(unit))
    index.update({int(u.id or 0): u for u in below})

    def path_of(u: OrgUnit) -> str:
        ids = [int(p) for p in u.path.strip("/").split("/") if p]
        return "/".join(index[i].name for i in ids if i in index)

    if kind == ImportKind.members:
        units = [path_of(u) for u in below if u.kind == UnitKind.branch]
        groups = sorted({u.name for u in below if u.kind == UnitKind.group})
    else:
        units, groups = [path_of(u) for u in below if u.kind != UnitKind.group], []
    data = import_templates.template(kind.value, units=units[:500], groups=groups[:500])
    name = f"{unit.name}{'党员名册' if kind == ImportKind.members else '组织'}导入模板.xlsx"
    return _download(data, name, _XLSX)


@router.post("/{kind}/check", response_model=ImportReport, openapi_extra=body_limit(MAX_UPLOAD_BODY))
def check_import(
    session: SessionDep, actor: ActorDep, kind: ImportKind, unit_id: Id | None = None, file: UploadFile = _FILE
) -> ImportReport:
    """检查导入文件：逐行逐列列出问题和将要新增、更新的内容；不写入任何数据。"""
    upload, sheet = _read(session, actor, kind, unit_id, file)
    # the check only reads: in a read-only session of its own, outside SQLite's write lock
    with core_db.new_session(read_only=True) as reading:
        return imports.check(reading, actor=actor, kind=kind, unit_id=unit_id, upload=upload, sheet=sheet)[1]


@router.post("/{kind}/confirm", response_model=ImportReport, openapi_extra=body_limit(MAX_UPLOAD_BODY))
def confirm_import(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: ActorDep,
    kind: ImportKind,
    unit_id: Id | None = None,
    file: UploadFile = _FILE,
) -> Response:
    """确认导入（同一文件再传一次）：重新检查，没有问题才全部写入，有问题则一行也不写。
    新开通账号的一次性初始密码只在这次应答中出现；带同一 Idempotency-Key 重试时不再包含密码。"""
    upload, sheet = _read(session, actor, kind, unit_id, file)
    result = imports.confirm(session, actor=actor, kind=kind, unit_id=unit_id, upload=upload, sheet=sheet)
    withheld = [s.model_copy(update={"initial_password": None}) for s in result.slips]
    idem.respond(session, result.model_copy(update={"slips": withheld, "slips_withheld": bool(withheld)}))
    return JSONResponse(jsonable_encoder(result), headers={"Cache-Control": "no-store"})


@router.post("/slips.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def slips_pdf(session: SessionDep, actor: ActorDep, body: SlipsPdfRequest) -> Response:
    """把导入时生成的初始密码凭条排成 A4 PDF（每页 10 张，沿虚线剪开）；服务器不保存。"""
    found = slips.slips_for(session, actor=actor, requests=body.slips)
    return Response(
        slips.pdf(found),
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="slips.pdf"', "Cache-Control": "no-store"},
    )


@router.post("/slips/reissue", response_model=list[Slip])
def reissue_slips(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: SlipsReissueRequest) -> Response:
    """导入应答丢失（如断网）、凭条没能打印时：为这些还没登录过的党员重新生成一次性初始密码（旧的作废），只在这次应答中出现。"""
    found = slips.reissue(session, actor=actor, member_ids=body.member_ids)
    idem.respond(session, [s.model_copy(update={"initial_password": None}) for s in found])
    return JSONResponse(jsonable_encoder(found), headers={"Cache-Control": "no-store"})
