"""Loaders of the ratings routes: the period (404 outside the caller's scope), the period locked
for a state change, a branch the period covers, and If-Match."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query

from app.core.db import SessionDep
from app.core.errors import PreconditionFailed, PreconditionRequired
from app.core.pagination import MAX_PAGE_SIZE, PageParams
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.org.models import OrgUnit
from app.ratings import scope
from app.ratings.models import RatingPeriod

Located = tuple[RatingPeriod, OrgUnit]


def visible_period(period_id: Id, session: SessionDep, actor: ActorDep) -> Located:
    return scope.visible_period(session, actor, period_id)


VisiblePeriod = Annotated[Located, Depends(visible_period)]


def writable_period(period_id: Id, session: SessionDep, actor: ActorDep) -> Located:
    """The period, locked for this request's transaction (two state changes queue, never interleave)."""
    return scope.visible_period(session, actor, period_id, for_update=True)


WritablePeriod = Annotated[Located, Depends(writable_period)]


def period_branch(branch_id: Id, session: SessionDep, actor: ActorDep, located: VisiblePeriod) -> OrgUnit:
    """A branch the period covers and the caller sees (404 otherwise)."""
    return scope.branch_in_period(session, actor, located[1], branch_id)


PeriodBranch = Annotated[OrgUnit, Depends(period_branch)]


def query_branch(
    session: SessionDep,
    actor: ActorDep,
    located: VisiblePeriod,
    branch_id: Annotated[Id, Query(description="党支部")],
) -> OrgUnit:
    """`?branch_id=`: a branch the period covers and the caller sees (404 otherwise)."""
    return scope.branch_in_period(session, actor, located[1], branch_id)


QueryBranch = Annotated[OrgUnit, Depends(query_branch)]


def sheet_page(
    page: Annotated[int, Query(ge=1, le=100_000, description="页码，从 1 开始")] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="每页条数（默认 100：一个支部一屏）")] = 100,
) -> PageParams:
    """Paging of a one-screen sheet (a branch's members): 100 a page unless asked otherwise."""
    return PageParams(page=page, size=size)


SheetPageDep = Annotated[PageParams, Depends(sheet_page)]


def parse_if_match(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    text = value.strip().removeprefix("W/").strip().strip('"')
    if not text.isdigit() or len(text) > 9:
        raise PreconditionFailed("If-Match 版本号格式不正确，请刷新后重试", code="stale_version")
    return int(text)


def if_match(
    if_match: Annotated[str | None, Header(alias="If-Match", description='版本号（ETag，如 "3"）')] = None,
) -> int:
    """The version the client last saw: 428 when missing, 412 when not an ETag of ours."""
    version = parse_if_match(if_match)
    if version is None:
        raise PreconditionRequired()
    return version


IfMatchDep = Annotated[int, Depends(if_match)]


def optional_if_match(
    if_match: Annotated[
        str | None, Header(alias="If-Match", description='版本号（ETag）；尚无自有规则时可不填或填 "0"')
    ] = None,
) -> int | None:
    return parse_if_match(if_match)


OptionalIfMatchDep = Annotated[int | None, Depends(optional_if_match)]
