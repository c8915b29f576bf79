"""The history of every change (变更记录): one route per kind of object, one reader (reports.history)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from app.core.changes import ChangeKind
from app.core.db import SessionDep
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.members.dependencies import ActorDep
from app.reports import history
from app.reports.schemas_history import ChangeEntry

router = APIRouter(tags=["history"])

PATHS = {
    ChangeKind.member: (
        "/members/{object_id}/history",
        "党员的变更记录（谁、何时、改了什么、为什么）；本人、本支部书记和党委可看",
    ),
    ChangeKind.account: (
        "/accounts/{object_id}/history",
        "登录账号的变更记录（开通、换手机号、重置密码、停用），不含密码",
    ),
    ChangeKind.grant: ("/grants/{object_id}/history", "角色授权的变更记录（授予、收回）"),
    ChangeKind.unit: ("/units/{object_id}/history", "组织的变更记录（新建、改名、移动、撤销）"),
    ChangeKind.board: ("/boards/{object_id}/history", "公示牌的变更记录（标题、说明、选定党员、更换地址、撤下）"),
    ChangeKind.rating_policy: ("/rating-policies/{object_id}/history", "本级评星规则的变更记录（按组织）"),
}


def _route(kind: ChangeKind) -> Callable[..., Page[ChangeEntry]]:
    def read_history(object_id: Id, session: SessionDep, actor: ActorDep, paging: PageDep) -> Page[ChangeEntry]:
        return history.history(session, actor=actor, kind=kind, object_id=object_id, params=paging)

    read_history.__name__ = f"read_{kind.value}_history"
    return read_history


for _kind, (_path, _summary) in PATHS.items():
    router.add_api_route(
        _path, _route(_kind), methods=["GET"], response_model=Page[ChangeEntry], summary=_summary,
        name=f"read_{_kind.value}_history",
    )  # fmt: skip
