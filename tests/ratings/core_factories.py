"""Helpers for the ratings-core tests (policies, periods, reviews, assessments): periods created and
moved through the API or the services, as a person or the committee would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.permissions import SYSTEM
from app.ratings import periods
from app.ratings.models import PeriodKind, RatingPeriod
from app.ratings.schemas import PeriodCreate
from app.ratings.states import Action
from tests.factories import Persona, World

API = "/api/v1"


def headers(persona: Persona, version: int | None = None, **extra: str) -> dict[str, str]:
    out = dict(persona.headers)
    if version is not None:
        out["If-Match"] = f'"{version}"'
    out.update(extra)
    return out


def new_period(db: Session, world: World, *, quarter: int = 3, year: int = 2026, **kw: Any) -> RatingPeriod:
    """A draft quarter of the world's town (through the service, as SYSTEM)."""
    data = PeriodCreate(unit_id=world.town.id or 0, kind=PeriodKind.quarter, year=year, quarter=quarter, **kw)
    period, _unit = periods.create_period(db, actor=SYSTEM, data=data)
    return period


def move(db: Session, period: RatingPeriod, *actions: Action, reason: str | None = "原因") -> RatingPeriod:
    for action in actions:
        periods.transition(db, period, action, actor=SYSTEM, expected_version=period.version, reason=reason)
    return period


def open_period(db: Session, world: World, **kw: Any) -> RatingPeriod:
    return move(db, new_period(db, world, **kw), Action.open)


def act(
    client: TestClient, persona: Persona, period_id: int, slug: str, version: int, reason: str | None = None
) -> Any:
    body = {"reason": reason} if reason else None
    return client.post(f"{API}/rating-periods/{period_id}/{slug}", json=body, headers=headers(persona, version))
