"""Idempotent POSTs: an `Idempotency-Key` header makes a retried request return the first response.

The PWA's offline outbox sends every write with a key and retries until it gets an answer. Per
account and key we keep (≥ settings.idempotency_hours) the request's fingerprint (method, path and a
hash of the canonical body) and, once done, the response:

- the same key and the same body again → the stored response, replayed without doing the work
  (header `Idempotent-Replayed: true`);
- the same key with a different body → 422 `idempotency_key_reused`;
- the same key while the first request is still in flight → 409 `idempotency_in_flight`.

How it fits the one-transaction-per-request rule: the claim (an in-flight row) is inserted and
committed in its own short transaction *before* the request's session starts, so a concurrent
duplicate sees it. The route's work and the stored response are then written in the request's
transaction (`Idempotency.respond()`), so they commit together or not at all. If the request fails,
the in-flight row is deleted again afterwards, so a retry can do the work.

A claim is a lease with its owner's identity (`owner`: host name, kernel boot id, pid and the
process's start time, see `process_identity`). A process killed mid-request (kill -9, OOM, power cut)
leaves its claim behind, but its transaction died with its connection, so nothing of its work was
written: a retry that finds a claim whose owner is provably dead (same host and boot, and that pid is
gone or is now another process) takes the key over at once and does the work. A claim of a live
process (another worker, or this one) answers 409; a claim from another host, whose owner cannot be
checked, counts as abandoned only after IN_FLIGHT_SECONDS.

Usage in a route (the dependency must come first, before anything that opens the session):

    @router.post("/pledges", response_model=PledgeRead, status_code=201)
    def create(idem: IdempotencyDep, session: SessionDep, actor: ActorDep, body: PledgeCreate) -> Response:
        pledge = service.create_pledge(...)
        return idem.respond(session, read, status_code=201, headers={"ETag": etag(pledge)})
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy import JSON, LargeBinary, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col
from starlette.datastructures import UploadFile

from app.core import db as core_db
from app.core.config import settings
from app.core.db import UTCDateTime
from app.core.errors import Conflict, Unprocessable
from app.core.security import InvalidToken, decode_access_token
from app.core.time import as_utc, utcnow

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IN_FLIGHT_SECONDS = 120
_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
_KEPT_HEADERS = ("content-type", "etag", "location")
# tests only (a live server killed mid-request): seconds each claimed request waits before its work
_TEST_HOLD_ENV = "LIANGNUO_TEST_IDEMPOTENCY_HOLD_SECONDS"


class IdempotencyRecord(SQLModel, table=True):
    """One (account, key): the request's fingerprint and, once done, the response to replay.

    `status_code` is NULL while the first request is still in flight."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int
    key: str = Field(max_length=100)
    fingerprint: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=300)
    status_code: int | None = Field(default=None)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
    response_headers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    owner: str | None = Field(default=None, max_length=200)  # the process holding the in-flight claim
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class IdempotentReplay(Exception):
    """Raised by the dependency when the request was already done: the handler replays the response."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__("replay")
        self.status_code = record.status_code or 200
        self.body = record.response_body or b""
        self.headers = dict(record.response_headers or {})


def replay_response(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    headers = {k: v for k, v in exc.headers.items() if k != "content-type"}
    headers[REPLAYED_HEADER] = "true"
    return Response(
        content=exc.body,
        status_code=exc.status_code,
        headers=headers,
        media_type=exc.headers.get("content-type", "application/json"),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(IdempotentReplay, replay_response)


@dataclass
class Idempotency:
    """What a route needs to finish an idempotent request: `respond()` builds the response and, when
    the request carried a key, stores it in the request's transaction."""

    key: str | None = None
    account_id: int | None = None
    record_id: int | None = None
    responded: bool = field(default=False)

    def respond(
        self, session: Session, content: Any, *, status_code: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        response = JSONResponse(jsonable_encoder(content), status_code=status_code, headers=headers)
        if self.record_id is not None:
            kept = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
            session.execute(
                update(IdempotencyRecord)
                .where(col(IdempotencyRecord.id) == self.record_id)
                .values(
                    status_code=status_code,
                    response_body=bytes(response.body),
                    response_headers=kept,
                    completed_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
        self.responded = True
        return response


def _account_of(request: Request) -> int | None:
    """The account named by a valid bearer token (signature and expiry checked; the auth dependency
    still checks revocation and answers 401 itself)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return decode_access_token(token.strip()).account_id
    except InvalidToken:
        return None


async def fingerprint(request: Request) -> str:
    """method + path + query + the body in a canonical form: JSON with sorted keys; a form as its
    fields (files by content hash), so a retry with a new multipart boundary still matches."""
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, request.url.query):
        digest.update(part.encode())
        digest.update(b"\0")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        items: list[tuple[str, str]] = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                file_hash = hashlib.sha256()
                while chunk := await value.read(1 << 20):
                    file_hash.update(chunk)
                await value.seek(0)
                items.append((name, "file:" + file_hash.hexdigest()))
            else:
                items.append((name, "text:" + str(value)))
        items.sort(key=lambda item: item[0])  # stable: files under one name keep their order
        digest.update(json.dumps(items, ensure_ascii=False).encode())
    else:
        raw = await request.body()
        try:
            canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
        except ValueError:
            canonical = raw
        digest.update(canonical)
    return digest.hexdigest()


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or None when
    there is no such process; "" when it cannot be told (no /proc) but the pid exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except OSError:
            return ""
        return ""
    fields = stat[stat.rfind(")") + 2 :].split()  # the name in parentheses may hold spaces
    return fields[19] if len(fields) > 19 else ""


@lru_cache(maxsize=4)
def _identity_of(pid: int) -> str:
    return f"{socket.gethostname()[:100]}/{_boot_id()}/{pid}/{_start_time(pid) or ''}"


def process_identity() -> str:
    """This process, as named in the claims it holds: host/boot id/pid/start time (a restarted server,
    even one given the same pid, is another identity)."""
    return _identity_of(os.getpid())


def owner_is_dead(owner: str | None) -> bool:
    """True only when the claim's owner is provably gone: same host and boot as this process, and the
    pid no longer runs or runs another process (a different start time). Unknown → False."""
    if not owner or owner == process_identity():
        return False
    host, boot, pid_text, started = [*owner.split("/"), "", "", "", ""][:4]
    my_host, my_boot = process_identity().split("/")[:2]
    if host != my_host or boot != my_boot or not boot or not pid_text.isdigit():
        return False
    now_started = _start_time(int(pid_text))
    if now_started is None:
        return True  # no such process
    return bool(started) and bool(now_started) and now_started != started  # the pid was reused


def _find(session: Session, account_id: int, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        col(IdempotencyRecord.account_id) == account_id, col(IdempotencyRecord.key) == key
    )
    return session.execute(stmt).scalar_one_or_none()


def claim(*, account_id: int, key: str, fingerprint: str, method: str, path: str) -> int:
    """Insert and commit the in-flight row (its own short transaction); return its id.

    Raises IdempotentReplay (done before), Unprocessable (same key, other body) or Conflict (in flight)."""
    for _attempt in range(3):
        now = utcnow()
        with core_db.new_session() as session:
            existing = _find(session, account_id, key)
            if existing is None:
                record = IdempotencyRecord(
                    account_id=account_id,
                    key=key,
                    fingerprint=fingerprint,
                    method=method,
                    path=path[:300],
                    created_at=now,
                    locked_until=now + timedelta(seconds=IN_FLIGHT_SECONDS),
                    owner=process_identity(),
                    expires_at=now + timedelta(hours=max(settings.idempotency_hours, 24)),
                )
                session.add(record)
                try:
                    session.commit()
                except IntegrityError:  # a concurrent duplicate inserted it first
                    session.rollback()
                    continue
                assert record.id is not None
                return record.id
            if as_utc(existing.expires_at) < now:
                session.execute(
                    delete(IdempotencyRecord).where(
                        col(IdempotencyRecord.id) == existing.id, col(IdempotencyRecord.expires_at) < now
                    )
                )
                session.commit()
                continue
            if existing.fingerprint != fingerprint:
                raise Unprocessable(
                    "这个 Idempotency-Key 已用于另一个不同的请求，请换一个新的", code="idempotency_key_reused"
                )
            if existing.status_code is not None:
                raise IdempotentReplay(existing)
            if as_utc(existing.locked_until) > now and not owner_is_dead(existing.owner):
                raise _in_flight()
            # abandoned by a crashed worker (dead owner, or the lease ran out): take it over, unless
            # someone else just did
            taken = session.execute(
                update(IdempotencyRecord)
                .where(
                    col(IdempotencyRecord.id) == existing.id,
                    col(IdempotencyRecord.status_code).is_(None),
                    col(IdempotencyRecord.locked_until) == existing.locked_until,
                )
                .values(locked_until=now + timedelta(seconds=IN_FLIGHT_SECONDS), owner=process_identity())
                .execution_options(synchronize_session=False)
            )
            session.commit()
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                assert existing.id is not None
                return existing.id
            raise _in_flight()
    raise _in_flight()


def _in_flight() -> Conflict:
    return Conflict("同一个请求正在处理中，请稍候再试", code="idempotency_in_flight", headers={"Retry-After": "2"})


def release(record_id: int) -> None:
    """Forget an in-flight claim whose request failed (its work was rolled back), so a retry runs."""
    with core_db.new_session() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.id) == record_id, col(IdempotencyRecord.status_code).is_(None)
            )
        )
        session.commit()


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    result = session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) < (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def idempotency(request: Request) -> AsyncIterator[Idempotency]:
    key = request.headers.get(HEADER)
    if key is None:
        yield Idempotency()
        return
    if not _KEY.match(key):
        raise Unprocessable("Idempotency-Key 格式不正确（1 到 100 个可见字符）", code="idempotency_key_invalid")
    account_id = _account_of(request)
    if account_id is None:  # not signed in: the auth dependency answers 401
        yield Idempotency()
        return
    fp = await fingerprint(request)
    record_id = await run_in_threadpool(
        lambda: claim(account_id=account_id, key=key, fingerprint=fp, method=request.method, path=request.url.path)
    )
    idem = Idempotency(key=key, account_id=account_id, record_id=record_id)
    hold = os.environ.get(_TEST_HOLD_ENV)
    if hold:
        await asyncio.sleep(float(hold))
    try:
        yield idem
    except BaseException:
        await run_in_threadpool(release, record_id)
        raise
    if not idem.responded:
        await run_in_threadpool(release, record_id)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
