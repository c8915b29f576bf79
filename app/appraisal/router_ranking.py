"""The 比学赶超 ranking: the committee's preview, its publish and withdraw decisions (the public page
itself is app/boards/ranking.py, /r/{token})."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.appraisal import ranking, tiers
from app.appraisal.models_tiers import RANKING_STATUS_LABELS, RankingPublication, RankingStatus
from app.appraisal.schemas_tiers import RankingPreviewRead, RankingPublishBody, RankingRead, ReasonBody
from app.core.config import settings
from app.core.db import SessionDep
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep
from app.core.permissions import Actor, Permission
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.ratings.dependencies import IfMatchDep

router = APIRouter(tags=["appraisal"])


def public_url(token: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/r/{token}"


def read(session: SessionDep, actor: Actor, p: RankingPublication) -> RankingRead:
    return RankingRead(
        id=p.id or 0,
        unit_id=p.unit_id,
        year=p.year,
        title=p.title,
        status=p.status,
        status_label=RANKING_STATUS_LABELS[RankingStatus(p.status)],
        url=public_url(p.token),
        qr_svg=f"/r/{p.token}/qr.svg",
        published_at=p.published_at,
        version=p.version,
        allowed_actions=ranking.allowed_actions(actor, session, p),
    )


@router.get("/rankings", response_model=Page[RankingRead])
def list_rankings(
    session: SessionDep,
    actor: ActorDep,
    paging: PageDep,
    unit_id: Annotated[Id | None, Query(description="党委")] = None,
) -> Page[RankingRead]:
    """已公布或撤下的比学赶超排行榜（党委）。"""
    page = ranking.list_publications(session, actor=actor, params=paging, unit_id=unit_id)
    return Page[RankingRead](
        **{**page.model_dump(exclude={"items"}), "items": [read(session, actor, p) for p in page.items]}
    )


@router.get("/rankings/preview", response_model=RankingPreviewRead)
def preview(
    session: SessionDep,
    actor: ActorDep,
    unit_id: Annotated[Id, Query(description="党委")],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> RankingPreviewRead:
    """排行榜预览（党委）：公布前看到的与公开页面相同。"""
    committee = tiers.committee_of(session, actor, unit_id, Permission.rating_admin)
    return RankingPreviewRead(**asdict(ranking.view(session, committee, year)))


@router.post("/rankings", response_model=RankingRead, status_code=201)
def publish(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: RankingPublishBody) -> Response:
    """公布该年度的比学赶超排行榜（党委决定）；撤下后可再次公布，地址不变。"""
    publication = ranking.publish(session, actor=actor, unit_id=body.unit_id, year=body.year, reason=body.reason)
    answer = read(session, actor, publication)
    return idem.respond(session, answer, status_code=201, headers={"ETag": f'"{answer.version}"'})


@router.post("/rankings/{publication_id}/withdraw", response_model=RankingRead)
def withdraw(
    idem: IdempotencyDep,
    session: SessionDep,
    actor: ActorDep,
    publication_id: Id,
    expected: IfMatchDep,
    body: ReasonBody,
) -> Response:
    """撤下排行榜（党委，须写明理由）；If-Match 为排行榜的版本号。"""
    publication = ranking.locate(session, actor, publication_id, lock=True)
    ranking.withdraw(session, actor=actor, publication=publication, expected_version=expected, reason=body.reason)
    answer = read(session, actor, publication)
    return idem.respond(session, answer, headers={"ETag": f'"{answer.version}"'})
