"""The actor with their member id, the pledge loader (404 outside scope), If-Match."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from app.core.db import SessionDep
from app.core.errors import PreconditionFailed, PreconditionRequired
from app.members.dependencies import ActorDep
from app.pledges.access import Located
from app.pledges.access import visible_pledge as load_visible

# the signed-in actor with their member id while that member is on the roll (members.dependencies:
# someone who left it — 转出, 不在册 — owns no pledge here, rules.may_own)
PledgeActorDep = ActorDep


def visible_pledge(pledge_id: int, session: SessionDep, actor: PledgeActorDep) -> Located:
    return load_visible(session, actor, pledge_id)


VisiblePledge = Annotated[Located, Depends(visible_pledge)]


def writable_pledge(pledge_id: int, session: SessionDep, actor: PledgeActorDep) -> Located:
    """The pledge, locked for this request's transaction (see access.visible_pledge)."""
    return load_visible(session, actor, pledge_id, for_update=True)


WritablePledge = Annotated[Located, Depends(writable_pledge)]


def if_match(
    if_match: Annotated[
        str | None, Header(alias="If-Match", description='承诺的 ETag（如 "3.1"；也可只写版本号 "3"）')
    ] = None,
) -> int:
    """The version the client last saw: 428 when the header is missing, 412 when it is not an ETag
    of ours. The ETag is `"<version>.<progress count>"` (reads.etag); only the version is compared,
    as progress reports are appends that never conflict with an edit or an action."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired()
    value = if_match.strip().removeprefix("W/").strip().strip('"')
    version, _, progress = value.partition(".")
    if not version.isdigit() or len(version) > 9 or not (progress == "" or progress.isdigit()):
        raise PreconditionFailed("If-Match 版本号格式不正确，请刷新后重试", code="stale_version")
    return int(version)


IfMatchDep = Annotated[int, Depends(if_match)]
