"""Fixtures for boards and villager evaluations: pledges made through the pledges service, boards,
fresh in-process state (page cache, rate limiter, view counter) for every test, and a database of its
own that is really committed to (for races and for what one transaction does to another)."""

from __future__ import annotations

import dataclasses
import io
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session

from app.boards import public, public_routes, service
from app.boards.models import Board
from app.boards.schemas import BoardCreate
from app.core import db as core_db
from app.core.config import settings
from app.core.permissions import Actor
from app.core.ratelimit import limiter
from app.core.schema import upgrade
from app.evaluations import dependencies as guard
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import service as pledges_service
from app.pledges.models import PledgeCategory, PledgeOutcome
from app.pledges.schemas import PledgeCreate
from app.pledges.states import WHO, Action, Who
from tests.factories import World, build_world


@pytest.fixture(autouse=True)
def _fresh_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    public.clear_caches()
    limiter.reset()
    service.view_counter.reset()
    # the minimum fill time is tested on its own (it would slow every form test by seconds)
    monkeypatch.setattr(guard, "MIN_FILL_SECONDS", 0)
    # the in-process memo of public pages is tested on its own (test_delivery.py); here every request
    # goes to the database, whose query counts and versions these tests are about
    monkeypatch.setattr(settings, "public_recheck_seconds", 0.0)
    public_routes.page_memo.forget()
    yield
    public.clear_caches()
    limiter.reset()
    service.view_counter.reset()


def actor_of(db: Session, persona: object) -> Actor:
    return org_service.actor_for(db, persona.account_id)  # type: ignore[attr-defined]


def jpeg(color: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="JPEG")
    return buf.getvalue()


@dataclass
class Maker:
    """Makes public pledges and boards the way users do: through the services, as the secretary."""

    db: Session
    world: World

    @property
    def secretary(self) -> Actor:
        return actor_of(self.db, self.world.secretary)

    def pledge(
        self,
        *,
        member: Member | None = None,
        unit: OrgUnit | None = None,
        title: str = "义务维修组内路灯",
        content: str = "每月检查一次组内路灯，坏了及时报修、更换。",
        progress: str | None = None,
        photos: int = 0,
        close: PledgeOutcome | None = None,
        publish: bool = True,
        helped_household: str | None = None,
    ) -> int:
        actor = self.secretary
        category = PledgeCategory.collective if unit is not None else PledgeCategory.post_duty
        if helped_household:
            category = PledgeCategory.pairing
        located = pledges_service.create_pledge(
            self.db,
            actor=actor,
            data=PledgeCreate(
                title=title,
                content=content,
                category=category,
                member_id=member.id if member is not None else None,
                unit_id=unit.id if unit is not None else None,
                helped_household=helped_household,
            ),
        )
        pledge_id = located.pledge.id
        assert pledge_id is not None
        steps = [Action.submit, Action.approve] + ([Action.publish] if publish else [])
        for action in steps:
            self.act(pledge_id, action)
        if progress is not None:
            owner = self.owner_side(pledge_id)
            pledges_service.add_progress(
                self.db,
                actor=owner,
                located=pledges_service.visible_pledge(self.db, owner, pledge_id),
                text=progress,
                percent=50,
                uploads=[jpeg((i * 40 % 255, 90, 160)) for i in range(photos)],
            )
        if close is not None:
            self.act(pledge_id, Action.request_close)
            self.act(pledge_id, Action.close, reason="经核实已完成", outcome=close)
        return pledge_id

    def owner_side(self, pledge_id: int) -> Actor:
        """Who takes the owner's steps: the member themself when they sign in (a secretary acts only
        for a member without a login, docs/pledges.md), else the secretary."""
        member_id = pledges_service.visible_pledge(self.db, self.secretary, pledge_id).pledge.member_id
        member = self.db.get(Member, member_id) if member_id is not None else None
        if member is not None and member.account_id is not None:
            actor = org_service.actor_for(self.db, member.account_id)
            return dataclasses.replace(actor, member_id=member.id)
        return self.secretary

    def act(self, pledge_id: int, action: Action, **kw: object) -> None:
        actor = self.owner_side(pledge_id) if WHO[action] == Who.owner else self.secretary
        located = pledges_service.visible_pledge(self.db, actor, pledge_id)
        pledges_service.act(
            self.db, actor=actor, located=located, action=action, expected_version=located.pledge.version, **kw
        )  # type: ignore[arg-type]

    def board(self, unit: OrgUnit | None = None, **kw: object) -> Board:
        data = BoardCreate(unit_id=(unit or self.world.group).id, **kw)  # type: ignore[arg-type]
        board = service.create_board(self.db, actor=self.secretary, data=data)
        self.db.flush()
        return board


@pytest.fixture
def make(db: Session, world: World) -> Maker:
    return Maker(db=db, world=world)


def member_of(db: Session, persona: object) -> Member:
    member = db.get(Member, persona.member_id)  # type: ignore[attr-defined]
    assert member is not None
    return member


def board_path(board: Board) -> str:
    return f"/b/{board.token}"


def get_form_token(client: TestClient, path: str) -> str:
    """Open a form page (which sets the device cookie) and read its CSRF token."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    marker = 'name="csrf" value="'
    start = r.text.index(marker) + len(marker)
    return r.text[start : r.text.index('"', start)]


@dataclass
class Committed:
    """A migrated database of its own, with the world and a board on the demo group committed; the
    app's sessions (and `db.new_session`) point at it for the test."""

    engine: Engine
    world: World
    board: Board
    pledge_id: int

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture
def committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Committed]:
    pg = os.environ.get("TEST_DATABASE_URL", "").strip()
    schema = f"lt_boards_{secrets.token_hex(4)}"
    if core_db.engine.dialect.name == "postgresql" and pg:
        import psycopg

        with psycopg.connect(pg.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp_path / 'committed.db'}"
    upgrade(url)
    engine = core_db.make_engine(url)
    read_engine = engine.execution_options(sqlite_begin="DEFERRED")
    monkeypatch.setattr(core_db, "engine", engine)
    monkeypatch.setattr(
        core_db,
        "new_session",
        lambda *, read_only=False: Session(read_engine if read_only else engine, expire_on_commit=False),
    )
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = build_world(session)
            maker = Maker(db=session, world=world)
            pledge_id = maker.pledge(member=member_of(session, world.member), title="关爱空巢老人")
            board = maker.board()
            session.commit()
        yield Committed(engine=engine, world=world, board=board, pledge_id=pledge_id)
    finally:
        engine.dispose()
        if core_db.engine.dialect.name == "postgresql" and pg:
            import psycopg

            with psycopg.connect(pg.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
