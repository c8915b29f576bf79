"""Routes of the pairing register (结对帮扶, app/pledges/pairing.py) and of pledges made to a community
(双报到, app/pledges/community.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from app.core.db import SessionDep
from app.core.errors import PreconditionFailed, PreconditionRequired
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.pledges import community, pairing, reads
from app.pledges.dependencies import PledgeActorDep
from app.pledges.schemas import PledgeCreate, PledgeRead, ProgressRead
from app.pledges.schemas_pairing import (
    BranchPairingCounts,
    PairingCreate,
    PairingPledgeCreate,
    PairingRead,
    PairingUpdate,
    VisitCreate,
)

router = APIRouter(tags=["pledges"])


def if_match(
    if_match: Annotated[str | None, Header(alias="If-Match", description='结对记录的版本号（如 "2"）')] = None,
) -> int:
    """The version the client last saw: 428 when missing, 412 when not a version of ours."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired()
    text = if_match.strip().removeprefix("W/").strip().strip('"')
    if not text.isdigit() or len(text) > 9:
        raise PreconditionFailed("If-Match 版本号格式不正确，请刷新后重试", code="stale_version")
    return int(text)


VersionDep = Annotated[int, Depends(if_match)]


def _created_pledge(idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, located: object) -> Response:
    assert isinstance(located, pairing.Located)
    read = reads.read_one(session, actor, located)
    headers = {"ETag": reads.etag(located.pledge), "Location": f"/api/v1/pledges/{read.id}"}
    return idem.respond(session, read, status_code=201, headers=headers)


@router.post("/registrations/{registration_id}/pledges", response_model=PledgeRead, status_code=201)
def create_community_pledge(
    idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, registration_id: Id, body: PledgeCreate
) -> Response:
    """向报到的社区作承诺（双报到）：由该社区党支部审核、公示在社区的公示牌上。"""
    located = community.create_community_pledge(session, actor=actor, registration_id=registration_id, data=body)
    return _created_pledge(idem, session, actor, located)


@router.get("/pairings", response_model=Page[PairingRead])
def list_pairings(
    session: SessionDep,
    actor: PledgeActorDep,
    paging: PageDep,
    unit_id: Id | None = None,
    member_id: Id | None = None,
    active: bool | None = None,
) -> Page[PairingRead]:
    """结对帮扶台账：给出 unit_id 为该组织的（书记、党委），member_id 为该党员的，都不给为本人的。不公开。"""
    return pairing.list_pairings(
        session, actor=actor, params=paging, unit_id=unit_id, member_id=member_id, active=active
    )


@router.get("/pairings/counts", response_model=list[BranchPairingCounts])
def pairing_counts(session: SessionDep, actor: PledgeActorDep, unit_id: Id) -> list[BranchPairingCounts]:
    """各党支部的结对帮扶统计：结对党员、帮扶户数、走访次数（党委、支部书记）。"""
    return pairing.branch_counts(session, actor=actor, unit_id=unit_id)


@router.post("/pairings", response_model=PairingRead, status_code=201)
def create_pairing(idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, body: PairingCreate) -> Response:
    """登记结对帮扶：本人，或支部书记为党员登记。帮扶对象、困难和需求不公开。"""
    located = pairing.create_pairing(session, actor=actor, data=body)
    return idem.respond(session, pairing.read_one(session, actor, located), status_code=201)


@router.get("/pairings/{pairing_id}", response_model=PairingRead)
def read_pairing(session: SessionDep, actor: PledgeActorDep, pairing_id: Id) -> PairingRead:
    """一条结对记录（本人、本支部书记、党委可见）。"""
    return pairing.read_one(session, actor, pairing.visible_pairing(session, actor, pairing_id))


@router.patch("/pairings/{pairing_id}", response_model=PairingRead)
def update_pairing(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: PledgeActorDep,
    pairing_id: Id,
    expected: VersionDep,
    body: PairingUpdate,
) -> Response:
    """修改结对信息，或填写结束日期结束结对。"""
    located = pairing.visible_pairing(session, actor, pairing_id)
    pairing.update_pairing(session, actor=actor, located=located, data=body, expected_version=expected)
    return idem.respond(session, pairing.read_one(session, actor, located))


@router.post("/pairings/{pairing_id}/pledges", response_model=PledgeRead, status_code=201)
def create_pairing_pledge(
    idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, pairing_id: Id, body: PairingPledgeCreate
) -> Response:
    """为该结对起草结对帮扶承诺（草稿，照常报诺、审核、公示；不写帮扶对象姓名）。"""
    located = pairing.visible_pairing(session, actor, pairing_id)
    return _created_pledge(
        idem, session, actor, pairing.create_pairing_pledge(session, actor=actor, located=located, data=body)
    )


@router.post("/pairings/{pairing_id}/visits", response_model=ProgressRead, status_code=201)
def log_visit(
    idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, pairing_id: Id, body: VisitCreate
) -> Response:
    """记录一次走访：记为该结对的结对帮扶承诺的践诺记录（公开，不写帮扶对象姓名）。"""
    located = pairing.visible_pairing(session, actor, pairing_id)
    return idem.respond(session, pairing.log_visit(session, actor=actor, located=located, data=body), status_code=201)
