"""Printable A4 posters: a board's title, a large QR code, the call to scan and the members with their
pledges as on a wall board; for a star board (创星榜), the counts per level, the branches and members
by level and the 十佳, like the paper 创星榜. Print-ready HTML, and PDF through WeasyPrint with the CJK font embedded
(fonts-noto-cjk; WeasyPrint subsets and embeds every font it uses).

PDFs are cached by the same versions as the public page, so printing twice costs one render.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from markupsafe import Markup
from sqlmodel import Session

from app.boards import public, qr, service, stars
from app.boards.models import Board, BoardKind
from app.boards.render import TEMPLATES, render
from app.boards.schemas import BoardView
from app.org import service as org_service
from app.pledges import history
from app.ratings.schemas import StarBoardPublic

# our own stylesheet, trusted
_CSS_LINES = (TEMPLATES / "poster.css").read_text("utf-8").splitlines()
POSTER_CSS = Markup(" ".join(line.strip() for line in _CSS_LINES))  # noqa: S704
# the poster's own stylesheet allowed by its hash (the API's default CSP would block it in a browser)
_POSTER_CSS_HASH = base64.b64encode(hashlib.sha256(POSTER_CSS.encode()).digest()).decode()
POSTER_CSP = (
    f"default-src 'none'; style-src 'sha256-{_POSTER_CSS_HASH}'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class PosterPart:
    title: str
    url: str
    qr_svg: Markup
    view: BoardView | None = None  # a pledge board
    stars: StarBoardPublic | None = None  # a star board
    note: str = ""
    digest: str | None = None  # 记录校验码 (docs/history.md): paper witnesses the day's digest


def _part(session: Session, board: Board) -> tuple[PosterPart, Hashable]:
    is_stars = board.kind == BoardKind.stars
    version = stars.subtree_version(session, board.unit_id) if is_stars else None
    resolved = service.Resolved(
        board_id=board.id or 0,
        unit_id=board.unit_id,
        version=board.version,
        content_version=version if version is not None else org_service.content_version(session, board.unit_id),
        token=board.token,
    )
    url = service.public_url(board)
    code = Markup(qr.svg(url, title=f"{board.title}二维码"))  # noqa: S704  (built by qr.svg, its title escaped)
    digest = history.digest_line(session, board.unit_id)
    if is_stars:
        view_stars = stars.star_board_view(session, board)
        part = PosterPart(title=board.title, url=url, qr_svg=code, stars=view_stars, note=board.note, digest=digest)
        return part, ("stars", *resolved.cache_key, digest)
    view = public.model_for(session, resolved).view
    return PosterPart(title=view.title, url=url, qr_svg=code, view=view, digest=digest), (*resolved.cache_key, digest)


def html(session: Session, boards: Sequence[Board], *, title: str | None = None) -> str:
    parts = [_part(session, b)[0] for b in boards]
    return render(
        "poster.html",
        posters=parts,
        poster_css=POSTER_CSS,
        title=title or (parts[0].title if parts else "公示牌"),
        # printed on every poster while the public address is a loopback one: such a poster must
        # not go on a wall (its QR code leads nowhere), and the banner says so on the paper itself
        warning=service.public_url_problem(),
        long_list=stars.LONG_LIST,  # a star board's lower levels longer than this: counts only, on paper
    )


_pdf_cache: OrderedDict[Hashable, bytes] = OrderedDict()
_pdf_lock = threading.Lock()


def pdf(session: Session, boards: Sequence[Board], *, title: str | None = None) -> bytes:
    """One PDF with a poster (one or more A4 pages) per board, cached by the boards' versions."""
    from weasyprint import HTML  # imported lazily: pango loads only when a PDF is asked for

    keys = tuple(_part(session, b)[1] for b in boards)
    with _pdf_lock:
        cached = _pdf_cache.get(keys)
        if cached is not None:
            _pdf_cache.move_to_end(keys)
            return cached
    document = html(session, boards, title=title)
    data: bytes = HTML(string=document, base_url=str(TEMPLATES)).write_pdf()
    with _pdf_lock:
        _pdf_cache[keys] = data
        while len(_pdf_cache) > 32:
            _pdf_cache.popitem(last=False)
    return data
