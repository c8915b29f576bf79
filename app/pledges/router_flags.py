"""Supervisors' flags (提请书记关注): raised on a pledge, listed for the secretary (the badge counts the
open ones), answered; see `pledges.flags`."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from app.core.db import SessionDep
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.pledges import flags
from app.pledges.dependencies import PledgeActorDep, VisiblePledge
from app.pledges.models import FlagStatus
from app.pledges.schemas import FlagAnswer, FlagCreate, FlagRead

router = APIRouter(tags=["pledges"])


@router.post("/pledges/{pledge_id}/flags", response_model=FlagRead, status_code=201)
def raise_flag(
    idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, located: VisiblePledge, body: FlagCreate
) -> Response:
    """提请书记关注：监督小组写明原因，通知本支部书记（不公示）。"""
    flag = flags.raise_flag(session, actor=actor, located=located, reason=body.reason)
    return idem.respond(session, flag, status_code=201)


@router.get("/pledge-flags", response_model=Page[FlagRead])
def list_flags(
    session: SessionDep,
    actor: PledgeActorDep,
    paging: PageDep,
    status: Literal["open", "answered", "all"] = "open",
    unit_id: Id | None = None,
    pledge_id: Id | None = None,
    mine: bool = False,
) -> Page[FlagRead]:
    """待我答复的提请（默认未答复的，最早的在前；status=all 为全部）；mine=true 为我提出的提请。"""
    wanted = None if status == "all" else FlagStatus(status)
    return flags.flag_list(
        session, actor=actor, params=paging, status=wanted, unit_id=unit_id, pledge_id=pledge_id, mine=mine
    )


@router.post("/pledge-flags/{flag_id}/answer", response_model=FlagRead)
def answer_flag(
    idem: IdempotencyDep, session: SessionDep, actor: PledgeActorDep, flag_id: Id, body: FlagAnswer
) -> Response:
    """书记答复一条提请；答复后提请办结，并通知提出的监督小组成员。"""
    return idem.respond(session, flags.answer_flag(session, actor=actor, flag_id=flag_id, answer=body.answer))
