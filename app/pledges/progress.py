"""Keeping a pledge: progress reports (践诺) with up to nine photos, and supervision notes (监督意见).

Only the owner reports (access.authorize as `owner`), only while the pledge is being kept
(states.ACTIVE); photos are re-encoded and stored before any row names them. A report is an append:
it needs no If-Match and keeps the version (the ETag still changes: reads.etag).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlmodel import Session

from app.core import images
from app.core.db import end_read_phase, pk
from app.core.errors import Unprocessable
from app.core.permissions import Actor
from app.core.storage import get_storage
from app.core.time import utcnow
from app.pledges import access, household_text, states
from app.pledges.access import Located
from app.pledges.lifecycle import actor_account_id, actor_name, wrong_state
from app.pledges.models import PledgeNote, PledgePhoto, PledgeProgress, PledgeStatus
from app.pledges.news import touch_pledges
from app.pledges.reads import progress_read
from app.pledges.schemas import NoteRead, ProgressRead
from app.pledges.states import Who

MAX_PHOTOS = 9


def check_progress_allowed(actor: Actor, located: Located) -> None:
    """Only the owner reports progress, and only while the pledge is being kept (403 / 409)."""
    access.authorize(actor, located, Who.owner)
    if PledgeStatus(located.pledge.status) not in states.ACTIVE:
        raise wrong_state(actor, located, "报告进展（只有公示后、销诺前可以报告进展）")


@dataclass(frozen=True)
class StoredPhoto:
    """A photo re-encoded (display image and thumbnail) and stored durably, ready for its row."""

    key: str
    thumb_key: str
    image: images.ProcessedImage


def store_photos(uploads: Iterable[bytes]) -> list[StoredPhoto]:
    """Decode and re-encode every photo first (413 / 415 refuse the whole report, nothing stored),
    then store them durably (fsync'd and renamed) — before any row names them. No database here."""
    processed = [images.process_upload(data) for data in uploads]
    storage = get_storage()
    return [
        StoredPhoto(storage.put(p.display.data, ext=p.display.ext), storage.put(p.thumb.data, ext=p.thumb.ext), p)
        for p in processed
    ]


def photo_row(photo: StoredPhoto, *, pledge_id: int, progress_id: int, sort_order: int, at: datetime) -> PledgePhoto:
    image = photo.image
    return PledgePhoto(
        pledge_id=pledge_id,
        progress_id=progress_id,
        key=photo.key,
        thumb_key=photo.thumb_key,
        content_type=image.display.content_type,
        width=image.display.width,
        height=image.display.height,
        thumb_width=image.thumb.width,
        thumb_height=image.thumb.height,
        size_bytes=len(image.display.data),
        sort_order=sort_order,
        created_at=at,
    )


def _read_photo(file: BinaryIO) -> bytes:
    """A photo's bytes; 413 as soon as it is larger than a photo may be (never read further)."""
    data = file.read(images.MAX_BYTES + 1)
    images.check_size(len(data))
    return data


def _checked_progress(session: Session, actor: Actor, located: Located, text: str, photo_count: int) -> str:
    """The report's text, stripped; 422 when empty, naming the helped household or with too many
    photos; 403 / 409 (who, state)."""
    text = text.strip()
    if not text:
        raise Unprocessable("请填写进展情况", code="invalid", errors=[{"field": "text", "message": "必填"}])
    if photo_count > MAX_PHOTOS:
        raise Unprocessable(
            f"每次最多上传 {MAX_PHOTOS} 张照片",
            code="too_many_photos",
            errors=[{"field": "photos", "message": "太多了"}],
        )
    check_progress_allowed(actor, located)
    household_text.check_pledge_texts(session, located.pledge, text)
    return text


def report_progress(
    session: Session,
    *,
    actor: Actor,
    located: Located,
    text: str,
    percent: int | None,
    photos: Sequence[BinaryIO],
) -> ProgressRead:
    """A progress report (践诺) over HTTP, in three phases, so that decoding and re-encoding up to nine
    photos never holds SQLite's write lock (nor a PostgreSQL row lock):

    1. reads: the caller authenticated and loaded the pledge; here the text, the photo count, who
       and the state are checked — then `end_read_phase()` ends that transaction;
    2. no transaction: each photo is read (413 past 10 MB), decoded and re-encoded (413 / 415 refuse
       the whole report) and stored durably;
    3. a fresh transaction: the pledge is loaded again FOR UPDATE and checked again (it may have been
       closed meanwhile: 409), and the rows are written (see _record_progress).

    The uploads themselves were received and hashed (Idempotency-Key fingerprint) before the route
    ran, so checking first saves the decoding, not the upload."""
    text = _checked_progress(session, actor, located, text, len(photos))
    end_read_phase(session)
    stored = store_photos(_read_photo(f) for f in photos)
    return _record_progress(
        session, actor=actor, pledge_id=pk(located.pledge), text=text, percent=percent, photos=stored
    )


def add_progress(
    session: Session,
    *,
    actor: Actor,
    located: Located,
    text: str,
    percent: int | None,
    uploads: Sequence[bytes],
) -> ProgressRead:
    """A progress report in the caller's one transaction (the demo seeder, tests): the same checks,
    photos and rows as report_progress(), without ending the transaction in between."""
    text = _checked_progress(session, actor, located, text, len(uploads))
    return _record_progress(
        session, actor=actor, pledge_id=pk(located.pledge), text=text, percent=percent, photos=store_photos(uploads)
    )


def _record_progress(
    session: Session, *, actor: Actor, pledge_id: int, text: str, percent: int | None, photos: Sequence[StoredPhoto]
) -> ProgressRead:
    """Write a report's rows, after loading the pledge again FOR UPDATE and checking who and state
    again."""
    located = access.visible_pledge(session, actor, pledge_id, for_update=True)
    check_progress_allowed(actor, located)
    pledge = located.pledge
    now = utcnow()
    progress = PledgeProgress(
        pledge_id=pledge_id,
        author_account_id=actor_account_id(actor),
        author_name=actor_name(session, actor),
        text=text,
        percent=percent,
        photo_count=len(photos),
        created_at=now,
    )
    session.add(progress)
    session.flush()
    rows = [
        photo_row(photo, pledge_id=pledge_id, progress_id=pk(progress), sort_order=i, at=now)
        for i, photo in enumerate(photos)
    ]
    session.add_all(rows)
    pledge.progress_count += 1
    pledge.last_progress_at = now
    if percent is not None:
        pledge.percent = percent
    pledge.updated_at = now
    session.add(pledge)
    session.flush()
    touch_pledges(session, [pledge])
    return progress_read(progress, rows)


def add_note(session: Session, *, actor: Actor, located: Located, text: str) -> NoteRead:
    """A supervision note (监督意见) by the supervision group; seen inside the branch only."""
    access.require_note(actor, located)
    if PledgeStatus(located.pledge.status) not in states.ACTIVE:
        raise wrong_state(actor, located, "添加监督意见")
    note = PledgeNote(
        pledge_id=pk(located.pledge),
        author_account_id=actor_account_id(actor),
        author_name=actor_name(session, actor),
        text=text,
    )
    session.add(note)
    session.flush()
    return NoteRead.model_validate(note)
