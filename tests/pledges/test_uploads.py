"""Progress photos: stored without EXIF (GPS), size and type limits, decompression bombs, decoded
outside any transaction, and who may fetch a stored photo."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from app.core import db as core_db
from app.core import images
from app.core.storage import LocalStorage, get_storage, is_key
from app.pledges.models import Pledge, PledgePhoto, PledgeProgress, PledgeStatus
from tests.factories import World
from tests.pledges.api import API, progress
from tests.pledges.factories import add_progress, jpeg_bytes, member_pledge

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _jpeg_with_gps(size: tuple[int, int] = (800, 600), orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "TestPhone"  # camera make
    exif[GPS_IFD] = {1: "N", 2: (30.0, 41.0, 12.5), 3: "E", 4: (116.0, 35.0, 1.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the fixture really has GPS
    return data


def _png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims 10 gigapixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 10_000, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def published(world: World) -> int:
    pledge = member_pledge(world, status=PledgeStatus.published)
    assert pledge.id is not None
    return pledge.id


def test_a_photo_is_stored_without_exif_and_upright(client: TestClient, world: World, published: int) -> None:
    r = progress(client, world.member, published, files=[("photos", ("IMG_0001.JPG", _jpeg_with_gps(), "image/jpeg"))])
    assert r.status_code == 201, r.text
    photo = r.json()["photos"][0]
    assert is_key(photo["key"])
    assert is_key(photo["thumb_key"])
    # read the stored file back: no EXIF at all (no GPS, no camera), turned upright by its orientation
    storage = get_storage()
    with storage.open(photo["key"]) as fh:
        stored = fh.read()
    assert b"Exif" not in stored[:4096]
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not image.getexif().get_ifd(GPS_IFD)
    assert "exif" not in image.info
    assert image.size == (600, 800)  # orientation 6: a landscape file shown portrait
    assert (photo["width"], photo["height"]) == (600, 800)
    with storage.open(photo["thumb_key"]) as fh:
        thumb = Image.open(io.BytesIO(fh.read()))
    assert max(thumb.size) <= images.THUMB_MAX
    assert not thumb.getexif()


def test_display_size_is_limited() -> None:
    processed = images.process_upload(jpeg_bytes(size=(4000, 1000)))
    assert (processed.display.width, processed.display.height) == (1600, 400)
    assert (processed.thumb.width, processed.thumb.height) == (320, 80)


def test_png_and_webp_are_accepted_and_re_encoded() -> None:
    for fmt, mode in (("PNG", "RGBA"), ("WEBP", "RGB")):
        out = io.BytesIO()
        Image.new(mode, (50, 40), (10, 200, 10, 128) if mode == "RGBA" else (10, 200, 10)).save(out, format=fmt)
        processed = images.process_upload(out.getvalue())
        assert processed.source_type == f"image/{fmt.lower()}"
        assert Image.open(io.BytesIO(processed.display.data)).format == "JPEG"


def test_a_too_big_photo_is_413(client: TestClient, world: World, published: int) -> None:
    big = jpeg_bytes() + b"\0" * (images.MAX_BYTES + 1)
    r = progress(client, world.member, published, files=[("photos", ("big.jpg", big, "image/jpeg"))])
    assert r.status_code == 413
    body = r.json()
    assert body["code"] == "image_too_large"
    assert "10 MB" in body["detail"]


def test_a_text_file_named_jpg_is_415(client: TestClient, world: World, published: int) -> None:
    r = progress(
        client,
        world.member,
        published,
        files=[("photos", ("photo.jpg", b"just some text, not a picture", "image/jpeg"))],
    )
    assert r.status_code == 415
    assert r.json()["code"] == "image_type"
    assert "JPEG" in r.json()["detail"]


def test_a_damaged_picture_is_415(client: TestClient, world: World, published: int) -> None:
    broken = jpeg_bytes()[:40]
    r = progress(client, world.member, published, files=[("photos", ("x.jpg", broken, "image/jpeg"))])
    assert r.status_code == 415
    assert r.json()["code"] == "image_unreadable"


def test_a_decompression_bomb_is_refused(client: TestClient, world: World, published: int, db: Session) -> None:
    bomb = _png_bomb()
    assert len(bomb) < 1000
    r = progress(client, world.member, published, files=[("photos", ("bomb.png", bomb, "image/png"))])
    assert r.status_code == 413
    assert r.json()["code"] == "image_too_many_pixels"
    # just over the limit, and a bomb hidden behind a picture that is fine: refused too
    with pytest.raises(images.PayloadTooLarge):
        images.process_upload(_png_bomb(10_000, 5_001))
    r = progress(
        client,
        world.member,
        published,
        files=[("photos", ("ok.jpg", jpeg_bytes(), "image/jpeg")), ("photos", ("bomb.png", bomb, "image/png"))],
    )
    assert r.status_code == 413
    # nothing was written for the refused reports
    timeline = client.get(f"{API}/pledges/{published}/timeline", headers=world.member.headers).json()
    assert not [e for e in timeline["items"] if e["kind"] == "progress"]


def test_at_most_nine_photos(client: TestClient, world: World, published: int) -> None:
    files = [("photos", (f"{i}.jpg", jpeg_bytes(color=(i, i, i)), "image/jpeg")) for i in range(10)]
    r = progress(client, world.member, published, files=files)
    assert r.status_code == 422
    assert r.json()["code"] == "too_many_photos"
    r = progress(client, world.member, published, files=files[:9])
    assert r.status_code == 201
    assert len(r.json()["photos"]) == 9


def test_progress_only_while_the_pledge_is_being_kept(client: TestClient, world: World) -> None:
    draft = member_pledge(world)
    r = progress(client, world.member, draft.id or 0)
    assert r.status_code == 409
    assert "progress" not in r.json()["allowed_actions"]
    r = progress(client, world.member, member_pledge(world, status=PledgeStatus.published).id or 0, text="  ")
    assert r.status_code == 422


def test_storage_is_content_addressed_and_safe(tmp_path: object) -> None:
    store = LocalStorage(tmp_path)  # type: ignore[arg-type]
    key = store.put(b"abc", ext="jpg")
    assert store.put(b"abc", ext="jpg") == key
    assert store.exists(key)
    with store.open(key) as fh:
        assert fh.read() == b"abc"
    for bad in ("../../etc/passwd", "a" * 64 + ".exe", "A" * 64 + ".jpg"):
        assert not store.exists(bad)
        with pytest.raises(FileNotFoundError):
            store.open(bad)
    assert not list(store.root.rglob(".tmp-*"))


def test_who_may_fetch_a_stored_photo(client: TestClient, world: World, db: Session) -> None:
    public = member_pledge(world, status=PledgeStatus.published)
    draft = member_pledge(world, status=PledgeStatus.submitted)
    public_photo = add_progress(db, public, photos=1)
    private_photo = add_progress(db, draft, photos=1)

    def key_of(progress_id: int | None) -> str:
        return db.execute(select(col(PledgePhoto.key)).where(col(PledgePhoto.progress_id) == progress_id)).scalar_one()

    # a published pledge's photo: signed in and in scope, never cached, with nosniff and a sandbox CSP;
    # not to anyone (whatever the owner's board consent): the public get it through a board's address
    key = key_of(public_photo.id)
    assert client.get(f"{API}/media/{key}").status_code == 401
    assert client.get(f"{API}/media/{key}", headers=world.outsider.headers).status_code == 404
    r = client.get(f"{API}/media/{key}", headers=world.supervisor.headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "private, no-store"
    assert Image.open(io.BytesIO(r.content)).format == "JPEG"
    # a pledge not yet published: only its owner and reviewers
    key = key_of(private_photo.id)
    assert client.get(f"{API}/media/{key}").status_code == 401
    assert client.get(f"{API}/media/{key}", headers=world.outsider.headers).status_code == 404
    assert client.get(f"{API}/media/{key}", headers=world.supervisor.headers).status_code == 404
    for who in (world.member, world.secretary):
        r = client.get(f"{API}/media/{key}", headers=who.headers)
        assert r.status_code == 200
        assert r.headers["cache-control"] == "private, no-store"
    # unknown or malformed keys
    assert client.get(f"{API}/media/{'0' * 64}.jpg", headers=world.member.headers).status_code == 404
    assert client.get(f"{API}/media/..%2F..%2Fetc%2Fpasswd", headers=world.member.headers).status_code == 404


def _watch_photo_processing(monkeypatch: pytest.MonkeyPatch, during: object = None) -> list[list[bool]]:
    """For each photo decoded: whether each session opened so far was inside a transaction then."""
    sessions: list[Session] = []
    make_session = core_db.new_session

    def tracking(**kw: bool) -> Session:
        session = make_session(**kw)
        sessions.append(session)
        return session

    seen: list[list[bool]] = []
    process = images.process_upload

    def watching(data: bytes, **kw: int) -> images.ProcessedImage:
        seen.append([s.in_transaction() for s in sessions])
        if callable(during):
            during()
        return process(data, **kw)

    monkeypatch.setattr(core_db, "new_session", tracking)
    monkeypatch.setattr(images, "process_upload", watching)
    return seen


def test_photos_are_decoded_outside_any_transaction(
    client: TestClient, world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A POST's transaction takes SQLite's write lock at its first query (signing in): it is ended
    before the photos are decoded, and the rows are written in a fresh one — with the idempotency
    record, so a replay still returns the first answer."""
    seen = _watch_photo_processing(monkeypatch)
    pledge = member_pledge(world, status=PledgeStatus.published)
    files = [("photos", (f"{i}.jpg", jpeg_bytes(color=(i, 60, 90)), "image/jpeg")) for i in range(2)]
    headers = {**world.member.headers, "Idempotency-Key": "progress-phases"}
    path = f"{API}/pledges/{pledge.id}/progress"
    first = client.post(path, data={"text": "清扫村道"}, files=files, headers=headers)
    assert first.status_code == 201, first.text
    assert len(seen) == 2
    assert not any(any(state) for state in seen)
    again = client.post(path, data={"text": "清扫村道"}, files=files, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(seen) == 2  # not decoded again
    count = db.execute(select(func.count()).where(col(PledgeProgress.pledge_id) == pledge.id)).scalar_one()
    assert count == 1


def test_a_pledge_closed_while_its_photos_are_processed_refuses_the_report(
    client: TestClient, world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    pledge = member_pledge(world, status=PledgeStatus.published)

    def closed_meanwhile() -> None:
        db.execute(update(Pledge).where(col(Pledge.id) == pledge.id).values(status=PledgeStatus.closed))

    _watch_photo_processing(monkeypatch, during=closed_meanwhile)
    r = progress(client, world.member, pledge.id or 0, files=[("photos", ("a.jpg", jpeg_bytes(), "image/jpeg"))])
    assert r.status_code == 409
    assert r.json()["pledge_status"] == "closed"
    count = db.execute(select(func.count()).where(col(PledgeProgress.pledge_id) == pledge.id)).scalar_one()
    assert count == 0


def test_progress_body_rules(client: TestClient, world: World) -> None:
    published = member_pledge(world, status=PledgeStatus.published).id or 0
    r = progress(client, world.member, published, text="   ")
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "text", "message": "必填"}]
    files = [("photos", (f"{i}.jpg", b"x", "image/jpeg")) for i in range(10)]
    r = progress(client, world.member, published, files=files)
    assert r.status_code == 422
    assert r.json()["code"] == "too_many_photos"
