"""Multi-picture JPEGs (MPO, written by many phone cameras) are accepted: the first frame, re-encoded."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageFile

from app.core import images
from app.core.errors import UnsupportedMediaType
from app.core.storage import get_storage
from app.pledges.models import PledgeStatus
from tests.factories import World
from tests.pledges.api import progress
from tests.pledges.factories import jpeg_bytes, member_pledge


def _mpo(first: tuple[int, int, int] = (200, 30, 30), second: tuple[int, int, int] = (30, 30, 200)) -> bytes:
    """A real two-frame MPO, the first frame carrying EXIF with a GPS block (what a phone writes)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS IFD
    frames = [Image.new("RGB", (640, 480), first), Image.new("RGB", (640, 480), second)]
    out = io.BytesIO()
    frames[0].save(out, format="MPO", save_all=True, append_images=frames[1:], exif=exif)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # really a multi-picture file
        assert check.format == "MPO"
        assert getattr(check, "n_frames", 1) == 2
    return data


def test_an_mpo_photo_is_accepted_as_its_first_frame() -> None:
    processed = images.process_upload(_mpo())
    assert processed.source_type == "image/jpeg"
    assert (processed.display.width, processed.display.height) == (640, 480)
    with Image.open(io.BytesIO(processed.display.data)) as shown:
        assert shown.format == "JPEG"  # one picture, not a multi-picture file
        assert getattr(shown, "n_frames", 1) == 1
        r, _g, b = shown.convert("RGB").getpixel((320, 240))  # type: ignore[misc]
        assert r > 150
        assert b < 80
        assert not shown.getexif()  # EXIF (GPS, camera) stripped
        assert "mpinfo" not in shown.info
        assert "exif" not in shown.info
    with Image.open(io.BytesIO(processed.thumb.data)) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) <= images.THUMB_MAX


@pytest.mark.parametrize("truncated_allowed", [False, True])
def test_a_damaged_mpo_is_still_415(monkeypatch: pytest.MonkeyPatch, truncated_allowed: bool) -> None:
    """Also once WeasyPrint (posters) has set Pillow's global LOAD_TRUNCATED_IMAGES in this process."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", truncated_allowed)
    data = _mpo()
    with pytest.raises(UnsupportedMediaType):
        images.process_upload(data[: len(data) // 3] + b"\x00" * 64)
    with pytest.raises(UnsupportedMediaType):  # a plain JPEG cut short too
        images.process_upload(jpeg_bytes(size=(800, 600))[:2000])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is truncated_allowed  # put back for WeasyPrint


def test_a_phone_mpo_photo_uploads_as_progress(client: TestClient, world: World) -> None:
    """Through the real upload route: 201 (was 415), stored as a plain JPEG without EXIF."""
    pledge = member_pledge(world, status=PledgeStatus.published)
    assert pledge.id is not None
    r = progress(client, world.member, pledge.id, files=[("photos", ("IMG_0001.JPG", _mpo(), "image/jpeg"))])
    assert r.status_code == 201, r.text
    photo = r.json()["photos"][0]
    with get_storage().open(photo["key"]) as fh:
        stored = fh.read()
    with Image.open(io.BytesIO(stored)) as shown:
        assert shown.format == "JPEG"
        assert not shown.getexif()
    assert (photo["width"], photo["height"]) == (640, 480)
