"""QR codes for a board's public URL: SVG for print and pages, PNG for anything else.

Error correction Q (25 % of the code may be dirty or torn, as on a wall outdoors) and the standard
four-module quiet zone. Both are pure functions of their input, so they are memoised.
"""

from __future__ import annotations

import html
import io
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_Q

QUIET_ZONE = 4
MIN_PNG_SIZE = 120
MAX_PNG_SIZE = 1200
DEFAULT_PNG_SIZE = 480


def _matrix(data: str) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE, box_size=1)
    qr.add_data(data)
    qr.make(fit=True)
    return [list(row) for row in qr.get_matrix()]  # includes the quiet zone


@lru_cache(maxsize=512)
def svg(data: str, *, title: str = "二维码") -> str:
    """A compact SVG (one path of horizontal runs) on a white background, scalable to any size."""
    matrix = _matrix(data)
    n = len(matrix)
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    safe_title = html.escape(title, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" shape-rendering="crispEdges" '
        f'role="img" aria-label="{safe_title}"><title>{safe_title}</title>'
        f'<rect width="{n}" height="{n}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def clamp_size(size: int | None) -> int:
    if size is None:
        return DEFAULT_PNG_SIZE
    return max(MIN_PNG_SIZE, min(MAX_PNG_SIZE, size))


@lru_cache(maxsize=256)
def png(data: str, size: int = DEFAULT_PNG_SIZE) -> bytes:
    """A black-on-white PNG no larger than `size` pixels square (whole pixels per module)."""
    matrix = _matrix(data)
    n = len(matrix)
    box = max(1, clamp_size(size) // n)
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE, box_size=box)
    qr.add_data(data)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
