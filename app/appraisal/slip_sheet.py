"""The printable sheet of a month's slips (or of a 述职评议 round's): A4 PDF by WeasyPrint (as
reports/slips.py), eight cut-out slips a page (two a row), each page a table of its own, each slip with
its QR code (the public form's address) and its short code. Made once from the codes in hand at
issue time; nothing of it is stored."""

from __future__ import annotations

import html as html_lib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import qrcode
from fastapi import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from qrcode.constants import ERROR_CORRECT_Q

from app.appraisal.slips import month_end, shown
from app.core.config import settings
from app.core.downloads import file_response
from app.core.time import local_display, utcnow

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), undefined=StrictUndefined
)
PER_ROW = 2
ROWS_PER_PAGE = 4


def slip_url(branch_id: int, code: str, *, debrief: bool = False) -> str:
    """The form's address in the QR code: a month's slip at /t/…, a 述职评议 slip at /t/debrief/…"""
    return f"{settings.public_base_url.rstrip('/')}/t/{'debrief/' if debrief else ''}{branch_id}/{code}"


def entry_url() -> str:
    return f"{settings.public_base_url.rstrip('/')}/t"


@lru_cache(maxsize=64)
def qr_svg(data: str, title: str = "测评票二维码") -> str:
    """A compact SVG of the code (error correction Q, four-module quiet zone), one path of runs."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=4, box_size=1)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
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
    t = html_lib.escape(title, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" shape-rendering="crispEdges" '
        f'role="img" aria-label="{t}"><title>{t}</title>'
        f'<rect width="{n}" height="{n}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def _render(
    branch_id: int, branch_name: str, codes: Sequence[str], *, title: str, heading: str, scope: str, validity: str
) -> str:
    debrief = heading != MONTH_HEADING
    slips = [
        {"code": shown(c), "qr": Markup(qr_svg(slip_url(branch_id, c, debrief=debrief)))}  # noqa: S704  (our own SVG, title escaped)
        for c in codes
    ]
    rows = [slips[i : i + PER_ROW] for i in range(0, len(slips), PER_ROW)]
    pages = [rows[i : i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)]
    return _env.get_template("slip_sheet.html").render(
        pages=pages,
        title=title,
        heading=heading,
        branch_name=branch_name,
        scope=scope,
        validity=validity,
        entry=entry_url(),
        issued=local_display(utcnow()),
        count=len(codes),
    )


MONTH_HEADING = "党员群众代表每月测评票"
DEBRIEF_HEADING = "述职评议代表评议票"


def html(branch_id: int, branch_name: str, year: int, month: int, codes: Sequence[str]) -> str:
    end = month_end(year, month)
    return _render(
        branch_id,
        branch_name,
        codes,
        title=f"{branch_name} {year}年{month}月党员群众代表测评票",
        heading=MONTH_HEADING,
        scope=f"{year}年{month}月",
        validity=f"{end.month}月{end.day}日后作废",
    )


def debrief_html(branch_id: int, branch_name: str, round_title: str, codes: Sequence[str]) -> str:
    """A 述职评议 round's slips of a branch: valid while the round is scored, void once it closes."""
    return _render(
        branch_id,
        branch_name,
        codes,
        title=f"{branch_name} {round_title} 代表评议票",
        heading=DEBRIEF_HEADING,
        scope=round_title,
        validity="本次述职评议打分结束后作废",
    )


def render_pdf(html_text: str) -> bytes:
    from weasyprint import HTML  # lazily: pango loads only when a PDF is asked for

    data: bytes = HTML(string=html_text, base_url=str(TEMPLATES)).write_pdf()
    return data


def pdf(branch_id: int, branch_name: str, year: int, month: int, codes: Sequence[str]) -> bytes:
    return render_pdf(html(branch_id, branch_name, year, month, codes))


def debrief_pdf(branch_id: int, branch_name: str, round_title: str, codes: Sequence[str]) -> bytes:
    return render_pdf(debrief_html(branch_id, branch_name, round_title, codes))


def response(data: bytes, filename: str, *, count: int, voided: int) -> Response:
    """A printed sheet of slips, shown to print (never cached: the codes are only in it), with how many
    slips it holds and how many unused ones printing it voided."""
    return file_response(
        data,
        filename,
        "application/pdf",
        fallback="slips.pdf",
        inline=True,
        headers={"X-Slip-Count": str(count), "X-Slips-Voided": str(voided)},
    )
