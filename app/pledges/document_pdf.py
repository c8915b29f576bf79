"""The 承诺书 as an A4 PDF (WeasyPrint, as the board posters and the import slips): one member's, or
every member's of a branch for printing at once. Each document is a table of its own starting on a
new page: WeasyPrint lays out one table at a time, so a branch of 60 members costs 60 small layouts,
not one large one (the slips' lesson, reports/slips.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.core.time import local_display, utcnow
from app.pledges.schemas_document import PledgeDocumentRead

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), undefined=StrictUndefined
)


def html(documents: Sequence[PledgeDocumentRead], *, title: str) -> str:
    return _env.get_template("document.html").render(documents=documents, title=title, made=local_display(utcnow()))


def pdf(documents: Sequence[PledgeDocumentRead], *, title: str) -> bytes:
    from weasyprint import HTML  # lazily: pango loads only when a PDF is asked for

    data: bytes = HTML(string=html(documents, title=title), base_url=str(TEMPLATES)).write_pdf()
    return data
