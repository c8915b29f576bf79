"""Uploaded pictures, made safe: sniffed by content, size- and pixel-limited, re-encoded with Pillow.

`process_upload(data)` is the one entry point (pledge photos, member profile photos, …):

- the type comes from the file's first bytes, never its name or Content-Type: JPEG, PNG or WebP,
  anything else → 415; a multi-picture JPEG (MPO: what many phone cameras write, a JPEG followed by
  more frames such as a depth map or a second lens) is a JPEG: its first frame is taken;
- more than `max_bytes` (10 MB) → 413; more than `max_pixels` (a "pixel flood" or decompression
  bomb: a small file that decodes to gigabytes) → 413, refused from the header before decoding;
- the picture is turned upright (EXIF orientation) and re-encoded from its pixels alone, so no
  metadata survives: no EXIF (GPS position, camera, time), no XMP, no ICC, no comments;
- a display version (longest side ≤ 1600 px) and a thumbnail (≤ 320 px), both JPEG.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from app.core.errors import PayloadTooLarge, UnsupportedMediaType

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo is the largest we expect
DISPLAY_MAX = 1600
THUMB_MAX = 320
JPEG_QUALITY = 82

# Pillow's own guard (warning above the limit, error at twice it) as a second line of defence
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# what Pillow may name a file it opened with the plugins above: its JPEG opener turns a JPEG with a
# multi-picture index into an MPO image (frame 0 is the primary picture, the one shown)
_OPENED_AS = {**_FORMATS, "MPO": "image/jpeg"}


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"
    ext: str = "jpg"


@dataclass(frozen=True)
class ProcessedImage:
    source_type: str  # what was uploaded: image/jpeg, image/png or image/webp
    display: Rendition
    thumb: Rendition


def sniff(data: bytes) -> str | None:
    """The image type by its magic bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_size(size: int, *, max_bytes: int = MAX_BYTES) -> None:
    if size > max_bytes:
        raise PayloadTooLarge(f"图片太大：每张不能超过 {max_bytes // (1024 * 1024)} MB", code="image_too_large")


def _unreadable() -> UnsupportedMediaType:
    return UnsupportedMediaType("图片已损坏或无法识别，请重新选择", code="image_unreadable")


def _encode(image: Image.Image, max_side: int) -> Rendition:
    copy = image.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return Rendition(data=out.getvalue(), width=copy.width, height=copy.height)


def process_upload(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    display_max: int = DISPLAY_MAX,
    thumb_max: int = THUMB_MAX,
) -> ProcessedImage:
    """Validate and re-encode an uploaded picture; raises 413 / 415 (AppError) with a Chinese message."""
    check_size(len(data), max_bytes=max_bytes)
    source_type = sniff(data)
    if source_type is None:
        raise UnsupportedMediaType("只能上传 JPEG、PNG 或 WebP 格式的图片", code="image_type")
    with _strict_decoding(), warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(max_pixels) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise _unreadable() from None
        with image:
            if _OPENED_AS.get(image.format or "") != source_type:
                raise _unreadable()
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # the first frame only (MPO); the others are never decoded
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > max_pixels:
                raise _too_many_pixels(max_pixels)
            try:
                if image.format in ("JPEG", "MPO"):
                    # decode at a reduced scale when that still covers the display size (fast, small)
                    image.draft("RGB", (display_max, display_max))
                upright = ImageOps.exif_transpose(image)
                upright.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _too_many_pixels(max_pixels) from None
            except (OSError, ValueError, SyntaxError):
                raise _unreadable() from None
    # only the pixels go on: a fresh image carries no info dict (EXIF, XMP, ICC, comments)
    pixels = _flatten(upright)
    clean = Image.new("RGB", pixels.size)
    clean.paste(pixels)
    clean.thumbnail((display_max, display_max), Image.Resampling.LANCZOS)
    return ProcessedImage(source_type=source_type, display=_encode(clean, display_max), thumb=_encode(clean, thumb_max))


_decoding = threading.Lock()


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Truncated files are refused while we decode, whatever the process-wide setting: WeasyPrint
    (posters) sets Pillow's global `ImageFile.LOAD_TRUNCATED_IMAGES = True` when first imported, which
    would otherwise let a damaged upload through, its missing part painted grey. The flag is global,
    so uploads decode one at a time and the previous value is put back afterwards."""
    with _decoding:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _flatten(image: Image.Image) -> Image.Image:
    """RGB; transparency laid on white (screenshots, drawings)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _too_many_pixels(max_pixels: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"图片像素太多（超过 {max_pixels // 1_000_000} 百万像素），请缩小后再上传", code="image_too_many_pixels"
    )
